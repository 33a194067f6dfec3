/* int8 pooling, mean and activation x activation products with the integer reference's arithmetic (TFLite int8
 * MaxPool/AveragePool/Mean, gemmlowp requantization); elementwise int8 ops reuse elementwise.cuh with functors. */
#ifndef EDGEC_QOPS_CUH
#define EDGEC_QOPS_CUH
#include "qconv.cuh"

namespace edgec {

/* MultiplyByQuantizedMultiplierSmallerThanOne (shift <= 0). */
__device__ __forceinline__ int32_t mbqm_lt1(int32_t x, int32_t m, int shift) { return rdivpot(srdhm(x, m), -shift); }

/* TFLite's rounded integer division (half away from zero). */
__device__ __forceinline__ int32_t rounded_div(int32_t acc, int32_t count) {
  int32_t h = count / 2;
  return acc > 0 ? (acc + h) / count : (acc - h) / count;
}

/* Requantization x -> zy + mbqm(x - zx) and the output clamp. */
struct QRequant {
  int32_t zx, zy, mult, shift, lo, hi;
};

__device__ __forceinline__ int8_t clamp8(int32_t v, int32_t lo, int32_t hi) { return (int8_t)(v < lo ? lo : v > hi ? hi : v); }

/* int8 window pooling over planes. MAX: the largest code; average with SAME parameters: rounded mean of the codes
 * (padding counted as zx with INCLUDE_PAD); otherwise the centred sum requantized then rounded-divided. */
template <bool MAX, bool INCLUDE_PAD, bool SAME, int PLANES, int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL, int PB, int PR>
__global__ void qpool2d(const int8_t *__restrict__ x, int8_t *__restrict__ y, QRequant q) {
  constexpr long TOTAL = (long)PLANES * OH * OW;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < TOTAL; i += (long)gridDim.x * blockDim.x) {
    int ow = (int)(i % OW), oh = (int)((i / OW) % OH);
    const int8_t *p = x + (i / ((long)OW * OH)) * H * W;
    int32_t acc = MAX ? -128 : 0;
    int taps = 0, padded = 0;
#pragma unroll
    for (int kh = 0; kh < KH; kh++) {
      int ih = oh * SH - PT + kh * DH;
#pragma unroll
      for (int kw = 0; kw < KW; kw++) {
        int iw = ow * SW - PL + kw * DW;
        if (ih < H + PB && iw < W + PR && ih >= -PT && iw >= -PL) padded++;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        int32_t v = p[ih * W + iw];
        acc = MAX ? (v > acc ? v : acc) : acc + v;
        taps++;
      }
    }
    int32_t v = acc;
    if (!MAX) {
      int count = INCLUDE_PAD ? padded : taps;
      if (SAME) v = count ? rounded_div(acc + (count - taps) * q.zx, count) : q.zy;
      else v = count ? rounded_div(mbqm(acc - taps * q.zx, q.mult, q.shift), count) + q.zy : q.zy;
    }
    y[i] = clamp8(v, q.lo, q.hi);
  }
}

/* int8 Mean over planes of S codes (GlobalAveragePool): rounded_div(mbqm(sum (x - zx)), S) + zy; one warp per plane. */
template <int PLANES, int S>
__global__ void qglobal_mean(const int8_t *__restrict__ x, int8_t *__restrict__ y, QRequant q) {
  int plane = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x & 31;
  if (plane >= PLANES) return;
  const int8_t *p = x + (long)plane * S;
  int32_t acc = 0;
  for (int i = lane; i < S; i += 32) acc += (int32_t)p[i] - q.zx;
  for (int o = 16; o; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
  if (lane == 0) y[plane] = clamp8(rounded_div(mbqm(acc, q.mult, q.shift), S) + q.zy, -128, 127);
}

/* int8 product of two activations: Y[b](m, n) = requant(sum (A - za)(B - zb)), per-tensor parameters (with ACC the
 * int32 accumulator itself). */
template <int M, int N, int K, bool ACC, typename TY>
__global__ void qgemm_act(const int8_t *__restrict__ a, const int8_t *__restrict__ b, TY *__restrict__ y, long ab, long bb, int32_t za, int32_t zb, QRequant q) {
  int n = blockIdx.x * 16 + threadIdx.x, m = blockIdx.y * 16 + threadIdx.y;
  if (m >= M || n >= N) return;
  const int8_t *pa = a + ab * blockIdx.z + (long)m * K, *pb = b + bb * blockIdx.z + n;
  int32_t acc = 0;
  for (int k = 0; k < K; k++) acc += ((int32_t)pa[k] - za) * ((int32_t)pb[(long)k * N] - zb);
  y[(long)blockIdx.z * M * N + (long)m * N + n] = ACC ? (TY)acc : (TY)clamp8(mbqm(acc, q.mult, q.shift) + q.zy, q.lo, q.hi);
}

/* int8 ConvTranspose, one thread per output: acc = sum x * w' (taps that land on the output) + bias', requantized. */
template <int BATCH, int C, int H, int W, int M, int OH, int OW, int G, int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL>
__global__ void qconv_transpose_direct(const int8_t *__restrict__ x, const int8_t *__restrict__ w, int8_t *__restrict__ y, int32_t zx, QEpilogue e) {
  constexpr int CG = C / G, MG = M / G;
  constexpr long TOTAL = (long)BATCH * M * OH * OW;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < TOTAL; i += (long)gridDim.x * blockDim.x) {
    int ow = (int)(i % OW), oh = (int)((i / OW) % OH);
    int m = (int)((i / ((long)OW * OH)) % M), b = (int)(i / ((long)OW * OH * M));
    int grp = m / MG, o = m % MG;
    int32_t acc = 0;
    for (int c = grp * CG; c < (grp + 1) * CG; c++)
      for (int kh = 0; kh < KH; kh++) {
        int th = oh + PT - kh * DH;
        if (th < 0 || th % SH || th / SH >= H) continue;
        for (int kw = 0; kw < KW; kw++) {
          int tw = ow + PL - kw * DW;
          if (tw < 0 || tw % SW || tw / SW >= W) continue;
          acc += ((int32_t)x[(((long)b * C + c) * H + th / SH) * W + tw / SW] - zx) * (int32_t)__ldg(w + (((long)c * MG + o) * KH + kh) * KW + kw);
        }
      }
    y[i] = requant(e, acc, m);
  }
}

} /* namespace edgec */
#endif
