/* Pooling: windowed max/average over 2-D planes (one thread per output) and global average (one warp per plane). */
#ifndef EDGEC_POOL_CUH
#define EDGEC_POOL_CUH
#include "../edgec_cuda.cuh"

namespace edgec {

/* MAX: window maximum; else the mean over taps inside the input (or inside input + pads with INCLUDE_PAD). */
template <bool MAX, bool INCLUDE_PAD, int PLANES, int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL, int PB, int PR>
__global__ void pool2d(const float *__restrict__ x, float *__restrict__ y) {
  constexpr long TOTAL = (long)PLANES * OH * OW;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < TOTAL; i += (long)gridDim.x * blockDim.x) {
    int ow = (int)(i % OW), oh = (int)((i / OW) % OH);
    const float *p = x + (i / ((long)OW * OH)) * H * W;
    float acc = MAX ? -INFINITY : 0.0f;
    int count = 0;
#pragma unroll
    for (int kh = 0; kh < KH; kh++) {
      int ih = oh * SH - PT + kh * DH;
#pragma unroll
      for (int kw = 0; kw < KW; kw++) {
        int iw = ow * SW - PL + kw * DW;
        bool inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
        if (INCLUDE_PAD && ih < H + PB && iw < W + PR && ih >= -PT && iw >= -PL) count++;
        if (!inside) continue;
        float v = __ldg(p + ih * W + iw);
        if (MAX) acc = v > acc || v != v ? v : acc;
        else acc += v;
        if (!INCLUDE_PAD) count++;
      }
    }
    y[i] = MAX ? acc : acc / (float)(count > 0 ? count : 1);
  }
}

/* y[p] = mean (or max) of plane p of S elements: one warp per plane. */
template <bool MAX, int PLANES, int S>
__global__ void global_pool(const float *__restrict__ x, float *__restrict__ y) {
  int plane = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x & 31;
  if (plane >= PLANES) return;
  const float *p = x + (long)plane * S;
  float acc = MAX ? -INFINITY : 0.0f;
  for (int i = lane; i < S; i += 32) acc = MAX ? fmaxf(acc, __ldg(p + i)) : acc + __ldg(p + i);
  for (int o = 16; o; o >>= 1) {
    float v = __shfl_xor_sync(0xffffffffu, acc, o);
    acc = MAX ? fmaxf(acc, v) : acc + v;
  }
  if (lane == 0) y[plane] = MAX ? acc : acc / (float)S;
}

} /* namespace edgec */
#endif
