/* Batched fp32 GEMM on CUDA cores (MatMul between activations, Gemm with transposes, the exact path):
 * Y[b][m][n] = epi(alpha * sum_k A[b](m, k) * B[b](k, n) + beta * C(m, n)) with every operand addressed by strides. */
#ifndef EDGEC_GEMM_CUH
#define EDGEC_GEMM_CUH
#include "../edgec_cuda.cuh"

namespace edgec {

/* Strides (elements) of one GEMM: A(m, k) = a[ab * batch + m * am + k * ak], likewise B and the bias C. */
struct GemmStrides {
  long ab, am, ak, bb, bk, bn, cm, cn, yb;
};

constexpr int GEMM_TILE = 16;

/* One 16 x 16 output tile per block; grid.z is the batch. */
template <int M, int N, int K, int ACT>
__global__ void gemm_tiled(const float *__restrict__ a, const float *__restrict__ b, const float *__restrict__ c, float *__restrict__ y,
                           GemmStrides s, float alpha, float beta, Epilogue e) {
  __shared__ float As[GEMM_TILE][GEMM_TILE + 1];
  __shared__ float Bs[GEMM_TILE][GEMM_TILE + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int m = blockIdx.y * GEMM_TILE + ty, n = blockIdx.x * GEMM_TILE + tx;
  const float *ab = a + s.ab * blockIdx.z, *bb = b + s.bb * blockIdx.z;
  float acc = 0.0f;
  for (int k0 = 0; k0 < K; k0 += GEMM_TILE) {
    int ka = k0 + tx, kb = k0 + ty;
    As[ty][tx] = (m < M && ka < K) ? __ldg(ab + m * s.am + ka * s.ak) : 0.0f;
    Bs[ty][tx] = (n < N && kb < K) ? __ldg(bb + kb * s.bk + n * s.bn) : 0.0f;
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < GEMM_TILE; kk++) acc = fmaf(As[ty][kk], Bs[kk][tx], acc);
    __syncthreads();
  }
  if (m < M && n < N) {
    float v = alpha * acc;
    if (c) v += beta * __ldg(c + m * s.cm + n * s.cn);
    long o = s.yb * blockIdx.z + (long)m * N + n;
    y[o] = epilogue<ACT>(e, v, 0, o); /* e.bias is null: the bias is C */
  }
}

} /* namespace edgec */
#endif
