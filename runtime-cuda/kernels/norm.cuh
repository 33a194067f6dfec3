/* Row reductions: LayerNormalization and Softmax over the last D elements of each row (one block per row), and a
 * strided softmax for inner axes (one thread per (outer, inner) pair). */
#ifndef EDGEC_NORM_CUH
#define EDGEC_NORM_CUH
#include "../edgec_cuda.cuh"

namespace edgec {

constexpr int ROW_THREADS = 128;

/* Sum (or max) over the block; every thread gets the result. */
template <bool MAX>
__device__ __forceinline__ float block_reduce(float v, float *shared) {
  for (int o = 16; o; o >>= 1) {
    float u = __shfl_xor_sync(0xffffffffu, v, o);
    v = MAX ? fmaxf(v, u) : v + u;
  }
  int warp = threadIdx.x / 32, lane = threadIdx.x & 31;
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = shared[0];
  for (int w = 1; w < (int)(blockDim.x / 32); w++) v = MAX ? fmaxf(v, shared[w]) : v + shared[w];
  return v;
}

/* y = (x - mean) / sqrt(var + eps) * scale[j] + bias[j] over rows of D. */
template <int D>
__global__ void layer_norm(const float *__restrict__ x, const float *__restrict__ scale, const float *__restrict__ bias, float *__restrict__ y, float eps) {
  __shared__ float red[ROW_THREADS / 32];
  const float *r = x + (long)blockIdx.x * D;
  float *o = y + (long)blockIdx.x * D;
  float s = 0.0f;
  for (int j = threadIdx.x; j < D; j += blockDim.x) s += r[j];
  float mean = block_reduce<false>(s, red) / (float)D;
  float q = 0.0f;
  for (int j = threadIdx.x; j < D; j += blockDim.x) { float d = r[j] - mean; q += d * d; }
  float inv = 1.0f / sqrtf(block_reduce<false>(q, red) / (float)D + eps);
  for (int j = threadIdx.x; j < D; j += blockDim.x) o[j] = (r[j] - mean) * inv * __ldg(scale + j) + (bias ? __ldg(bias + j) : 0.0f);
}

/* Softmax (or log-softmax) over rows of D contiguous elements. */
template <int D, bool LOG>
__global__ void softmax_rows(const float *__restrict__ x, float *__restrict__ y) {
  __shared__ float red[ROW_THREADS / 32];
  const float *r = x + (long)blockIdx.x * D;
  float *o = y + (long)blockIdx.x * D;
  float mx = -INFINITY;
  for (int j = threadIdx.x; j < D; j += blockDim.x) mx = fmaxf(mx, r[j]);
  mx = block_reduce<true>(mx, red);
  float s = 0.0f;
  for (int j = threadIdx.x; j < D; j += blockDim.x) s += expf(r[j] - mx);
  s = block_reduce<false>(s, red);
  float ls = logf(s), inv = 1.0f / s;
  for (int j = threadIdx.x; j < D; j += blockDim.x) o[j] = LOG ? r[j] - mx - ls : expf(r[j] - mx) * inv;
}

/* Softmax over the middle axis of OUTER x D x INNER: one thread per (outer, inner). */
template <int OUTER, int D, int INNER, bool LOG>
__global__ void softmax_strided(const float *__restrict__ x, float *__restrict__ y) {
  long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
  if (i >= (long)OUTER * INNER) return;
  long base = (i / INNER) * D * INNER + i % INNER;
  float mx = -INFINITY, s = 0.0f;
  for (int j = 0; j < D; j++) mx = fmaxf(mx, x[base + (long)j * INNER]);
  for (int j = 0; j < D; j++) s += expf(x[base + (long)j * INNER] - mx);
  float ls = logf(s), inv = 1.0f / s;
  for (int j = 0; j < D; j++) {
    float v = x[base + (long)j * INNER] - mx;
    y[base + (long)j * INNER] = LOG ? v - ls : expf(v) * inv;
  }
}

} /* namespace edgec */
#endif
