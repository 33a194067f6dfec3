/* int8 convolution and GEMM, requantized exactly as the integer reference (TFLite/gemmlowp fixed point, the same
 * arithmetic as runtime-c/kernels/qmath.h): acc = bias' + sum x * w' in int32, where w' = w - z_w and
 * bias' = bias - z_x * sum w' (folded at compile time; padding reads as z_x, so it adds nothing), then
 * y = clamp(MultiplyByQuantizedMultiplier(acc, m[c], shift[c]) + z_y, lo, hi).
 * The tensor-core kernel uses mma.sync m16n8k32 .s8 (PTX ISA layouts: a{0..3} row g, k 4t..4t+3; a{4..7} row g+8;
 * a{8..11} row g, k 4t+16..; a{12..15} row g+8, k 4t+16..; b{0..3} k 4t.., col g; b{4..7} k 4t+16.., col g). */
#ifndef EDGEC_QCONV_CUH
#define EDGEC_QCONV_CUH
#include "conv_mma.cuh"

namespace edgec {

/* gemmlowp SaturatingRoundingDoublingHighMul. */
__device__ __forceinline__ int32_t srdhm(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  long long ab = (long long)a * (long long)b;
  int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t)((ab + nudge) / (1ll << 31));
}

/* gemmlowp RoundingDivideByPOT: x / 2^e, ties away from zero. */
__device__ __forceinline__ int32_t rdivpot(int32_t x, int e) {
  int32_t mask = (int32_t)((1ll << e) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier: x * m * 2^(shift - 31), rounded. */
__device__ __forceinline__ int32_t mbqm(int32_t x, int32_t m, int shift) {
  int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  return rdivpot(srdhm((int32_t)((uint32_t)x << left), m), right);
}

/* Per-output-channel requantization: folded int32 bias, multiplier and shift; output zero point and clamp. */
struct QEpilogue {
  const int32_t *bias;
  const int32_t *mult;
  const int32_t *shift;
  int32_t zy, lo, hi;
};

__device__ __forceinline__ int8_t requant(const QEpilogue &e, int32_t acc, int ch) {
  int32_t v = (int32_t)((uint32_t)acc + (uint32_t)__ldg(e.bias + ch));
  v = mbqm(v, __ldg(e.mult + ch), __ldg(e.shift + ch)) + e.zy;
  return (int8_t)(v < e.lo ? e.lo : v > e.hi ? e.hi : v);
}

/* Store one accumulator: requantized int8, or the raw int32 accumulator (plus the folded bias) for int32 outputs. */
__device__ __forceinline__ void qstore(int8_t *y, const QEpilogue &e, int32_t acc, int ch) { *y = requant(e, acc, ch); }
__device__ __forceinline__ void qstore(int32_t *y, const QEpilogue &e, int32_t acc, int ch) {
  *y = (int32_t)((uint32_t)acc + (uint32_t)__ldg(e.bias + ch));
}

__device__ __forceinline__ void mma_16832_s8(int32_t *c, const uint32_t *a, const uint32_t *b) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

/* int8 implicit GEMM: A = w' packed int8 [Mpad][Kpad], B gathered from int8 x; tiles as in conv_mma; TY int8_t
 * (requantized) or int32_t (accumulators of a classifier head). */
template <class P, int BM, int BN, int WM, int WN, int KPAD, typename TY>
__global__ void __launch_bounds__(WM * WN * 32)
qconv_mma(const int8_t *__restrict__ x, const int8_t *__restrict__ a, TY *__restrict__ y, int8_t zx, QEpilogue e) {
  constexpr int NT = WM * WN * 32;
  constexpr int WTM = BM / WM, WTN = BN / WN;
  constexpr int MI = WTM / 16, NI = WTN / 8;
  constexpr int KPT = MMA_BK * BN / NT;
  constexpr int LDS = MMA_BK + 16; /* bytes per row: 48 keeps the fragment loads conflict free */
  static_assert(NT % BN == 0 && KPT % 4 == 0 && MI >= 1 && NI >= 1, "tile shape");
  __shared__ __align__(16) int8_t As[BM][LDS];
  __shared__ __align__(16) int8_t Bs[BN][LDS];

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int wm = warp / WN, wn = warp % WN;
  const int g = lane >> 2, t = lane & 3;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int bn = tid % BN, bk0 = (tid / BN) * KPT;
  const typename P::Col col = P::column(x, n0 + bn, zx);

  int32_t acc[MI][NI][4];
#pragma unroll
  for (int i = 0; i < MI; i++)
#pragma unroll
    for (int j = 0; j < NI; j++)
#pragma unroll
      for (int r = 0; r < 4; r++) acc[i][j][r] = 0;

  for (int k0 = 0; k0 < P::K; k0 += MMA_BK) {
    for (int i = tid; i < BM * (MMA_BK / 16); i += NT) {
      int row = i / (MMA_BK / 16), c16 = (i % (MMA_BK / 16)) * 16;
      *reinterpret_cast<uint4 *>(&As[row][c16]) = __ldg(reinterpret_cast<const uint4 *>(a + (long)(m0 + row) * KPAD + k0 + c16));
    }
#pragma unroll 2
    for (int kk = 0; kk < KPT; kk += 4) {
      uint32_t v = 0;
#pragma unroll
      for (int q = 0; q < 4; q++) v |= (uint32_t)(uint8_t)P::load(col, k0 + bk0 + kk + q) << (8 * q);
      *reinterpret_cast<uint32_t *>(&Bs[bn][bk0 + kk]) = v;
    }
    __syncthreads();
    uint32_t af[MI][4], bf[NI][2];
#pragma unroll
    for (int i = 0; i < MI; i++) {
      int r = wm * WTM + i * 16 + g;
      af[i][0] = *reinterpret_cast<const uint32_t *>(&As[r][4 * t]);
      af[i][1] = *reinterpret_cast<const uint32_t *>(&As[r + 8][4 * t]);
      af[i][2] = *reinterpret_cast<const uint32_t *>(&As[r][4 * t + 16]);
      af[i][3] = *reinterpret_cast<const uint32_t *>(&As[r + 8][4 * t + 16]);
    }
#pragma unroll
    for (int j = 0; j < NI; j++) {
      int c = wn * WTN + j * 8 + g;
      bf[j][0] = *reinterpret_cast<const uint32_t *>(&Bs[c][4 * t]);
      bf[j][1] = *reinterpret_cast<const uint32_t *>(&Bs[c][4 * t + 16]);
    }
#pragma unroll
    for (int i = 0; i < MI; i++)
#pragma unroll
      for (int j = 0; j < NI; j++) mma_16832_s8(acc[i][j], af[i], bf[j]);
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < MI; i++)
#pragma unroll
    for (int j = 0; j < NI; j++)
#pragma unroll
      for (int r = 0; r < 4; r++) {
        int m = m0 + wm * WTM + i * 16 + g + (r >= 2 ? 8 : 0);
        int n = n0 + wn * WTN + j * 8 + 2 * t + (r & 1);
        if (m < P::M && n < P::N) qstore(y + P::out_index(m, n), e, acc[i][j][r], m);
      }
}

/* int8 direct convolution (depthwise, grouped, narrow): one thread per output, int32 accumulation of x * w'. */
template <int BATCH, int C, int H, int W, int M, int OH, int OW, int G, int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL>
__global__ void qconv_direct(const int8_t *__restrict__ x, const int8_t *__restrict__ w, int8_t *__restrict__ y, int8_t zx, QEpilogue e) {
  constexpr int CG = C / G, MG = M / G;
  constexpr long TOTAL = (long)BATCH * M * OH * OW;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < TOTAL; i += (long)gridDim.x * blockDim.x) {
    int ow = (int)(i % OW);
    int oh = (int)((i / OW) % OH);
    int m = (int)((i / ((long)OW * OH)) % M);
    int b = (int)(i / ((long)OW * OH * M));
    const int8_t *xb = x + ((long)b * C + (m / MG) * CG) * H * W;
    const int8_t *wm = w + (long)m * CG * KH * KW;
    int32_t acc = 0;
    for (int c = 0; c < CG; c++) {
#pragma unroll
      for (int kh = 0; kh < KH; kh++) {
        int ih = oh * SH - PT + kh * DH;
#pragma unroll
        for (int kw = 0; kw < KW; kw++) {
          int iw = ow * SW - PL + kw * DW;
          int32_t v = (ih < 0 || ih >= H || iw < 0 || iw >= W) ? zx : xb[((long)c * H + ih) * W + iw];
          acc += v * (int32_t)__ldg(wm + (c * KH + kh) * KW + kw);
        }
      }
    }
    y[i] = requant(e, acc, m);
  }
}

/* Quantize: y = clamp(rint(x / s) + z) with the division rounded to float32 as the reference does. */
__global__ void quantize(const float *__restrict__ x, int8_t *__restrict__ y, long n, float s, int32_t z, int32_t lo, int32_t hi) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
    float r = rintf(__fdiv_rn(x[i], s));
    r = fminf(fmaxf(r, (float)(lo - z)), (float)(hi - z));
    y[i] = (int8_t)((int32_t)r + z);
  }
}

/* Dequantize: y = (float)(x - z[c]) * s[c] in float32, channel c = (i / INNER) % C (C = 1: per tensor). */
template <typename T, int C, int INNER>
__global__ void dequantize(const T *__restrict__ x, float *__restrict__ y, long n, const float *__restrict__ s, const int32_t *__restrict__ z) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
    int c = C == 1 ? 0 : (int)((i / INNER) % C);
    y[i] = __fmul_rn((float)((int32_t)x[i] - __ldg(z + c)), __ldg(s + c));
  }
}

/* 256-entry lookup: y = table[x + 128]. */
__global__ void lookup(const int8_t *__restrict__ x, const int8_t *__restrict__ table, int8_t *__restrict__ y, long n) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) y[i] = __ldg(table + (int)x[i] + 128);
}

} /* namespace edgec */
#endif
