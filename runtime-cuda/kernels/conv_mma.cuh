/* Implicit-GEMM convolution and GEMM on fp16 tensor cores (mma.sync m16n8k16, fp32 accumulate).
 *
 * C[M][N] = A[M][K] * B[K][N]: A is the weight matrix, packed at compile time as fp16 [Mpad][Kpad] (zero padded to the
 * tile sizes); B is gathered on the fly from the fp32 activations by a Problem type (im2col for convolutions, rows of a
 * matrix for GEMM) and rounded to fp16 into shared memory; the epilogue (bias, activation, scalar affine, residual) runs
 * on the fp32 accumulators before the only store. Fragment layouts follow the PTX ISA for m16n8k16 .f16:
 * A: a{0,1} row g col 2t(+1), a{2,3} row g+8, a{4,5} row g col 2t+8(+1), a{6,7} row g+8 col 2t+8(+1);
 * B: b{0,1} k 2t(+1) col g, b{2,3} k 2t+8(+1) col g; C: c{0,1} row g col 2t(+1), c{2,3} row g+8 (g = lane/4, t = lane%4). */
#ifndef EDGEC_CONV_MMA_CUH
#define EDGEC_CONV_MMA_CUH
#include "../edgec_cuda.cuh"

namespace edgec {

/* K depth of one shared-memory tile. */
constexpr int MMA_BK = 32;
/* Row padding (halves) that keeps fragment loads free of bank conflicts. */
constexpr int MMA_PAD = 8;

__device__ __forceinline__ void mma_16816(float *c, const uint32_t *a, const uint32_t *b) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

/* Convolution as GEMM: M = output channels, N = batch * OH * OW, K = C * KH * KW (one group); T is the activation
 * type (float, or int8_t whose padding reads as the input zero point). */
template <typename T, int BATCH, int C, int H, int W, int M_, int OH, int OW, int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL>
struct ConvProblem {
  typedef T Elem;
  static constexpr int M = M_;
  static constexpr int N = BATCH * OH * OW;
  static constexpr int K = C * KH * KW;
  /* The column of B a thread gathers: the input plane of its batch entry and the window origin. */
  struct Col { const T *base; int ih0, iw0; bool live; T pad; };
  __device__ static Col column(const T *x, int n, T pad) {
    Col c;
    c.pad = pad;
    c.live = n < N;
    int nn = c.live ? n : 0;
    int b = nn / (OH * OW), p = nn % (OH * OW);
    c.base = x + (long)b * C * H * W;
    c.ih0 = (p / OW) * SH - PT;
    c.iw0 = (p % OW) * SW - PL;
    return c;
  }
  __device__ static T load(const Col &c, int k) {
    if (!c.live || k >= K) return c.pad;
    int ci = k / (KH * KW), r = k % (KH * KW);
    int ih = c.ih0 + (r / KW) * DH, iw = c.iw0 + (r % KW) * DW;
    if (ih < 0 || ih >= H || iw < 0 || iw >= W) return c.pad;
    return c.base[((long)ci * H + ih) * W + iw];
  }
  /* NCHW offset of output (m, n). */
  __device__ static long out_index(int m, int n) {
    int b = n / (OH * OW), p = n % (OH * OW);
    return ((long)b * M + m) * (OH * OW) + p;
  }
};

/* GEMM with constant weights: Y[t][m] = sum_k X[t][k] * Wt[m][k]; M = output features, N = rows t, K (T as above). */
template <typename T, int M_, int N_, int K_, int LDX, int LDY>
struct RowsProblem {
  typedef T Elem;
  static constexpr int M = M_;
  static constexpr int N = N_;
  static constexpr int K = K_;
  struct Col { const T *base; bool live; T pad; };
  __device__ static Col column(const T *x, int n, T pad) { return Col{x + (long)(n < N ? n : 0) * LDX, n < N, pad}; }
  __device__ static T load(const Col &c, int k) { return (c.live && k < K) ? c.base[k] : c.pad; }
  __device__ static long out_index(int m, int n) { return (long)n * LDY + m; }
};

/* One thread block computes a BM x BN tile of C with WM x WN warps; KPAD is A's padded row length. */
template <class P, int BM, int BN, int WM, int WN, int KPAD, int ACT>
__global__ void __launch_bounds__(WM * WN * 32)
conv_mma(const float *__restrict__ x, const __half *__restrict__ a, float *__restrict__ y, Epilogue e) {
  constexpr int NT = WM * WN * 32;
  constexpr int WTM = BM / WM, WTN = BN / WN; /* warp tile */
  constexpr int MI = WTM / 16, NI = WTN / 8;  /* mma tiles per warp */
  constexpr int KPT = MMA_BK * BN / NT;       /* k values of B each thread gathers per tile */
  constexpr int LDS = MMA_BK + MMA_PAD;
  static_assert(NT % BN == 0 && KPT % 2 == 0 && MI >= 1 && NI >= 1, "tile shape");
  __shared__ __align__(16) __half As[BM][LDS];
  __shared__ __align__(16) __half Bs[BN][LDS];

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int wm = warp / WN, wn = warp % WN;
  const int g = lane >> 2, t = lane & 3;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int bn = tid % BN, bk0 = (tid / BN) * KPT;
  const typename P::Col col = P::column(x, n0 + bn, 0.0f);

  float acc[MI][NI][4];
#pragma unroll
  for (int i = 0; i < MI; i++)
#pragma unroll
    for (int j = 0; j < NI; j++)
#pragma unroll
      for (int r = 0; r < 4; r++) acc[i][j][r] = 0.0f;

  for (int k0 = 0; k0 < P::K; k0 += MMA_BK) {
    /* A tile: 16-byte copies of the padded fp16 weights. */
    for (int i = tid; i < BM * (MMA_BK / 8); i += NT) {
      int row = i / (MMA_BK / 8), c8 = (i % (MMA_BK / 8)) * 8;
      *reinterpret_cast<uint4 *>(&As[row][c8]) = __ldg(reinterpret_cast<const uint4 *>(a + (long)(m0 + row) * KPAD + k0 + c8));
    }
    /* B tile: gather, round to fp16, store k-contiguous per column (partly unrolled: full unrolling spills). */
#pragma unroll 2
    for (int kk = 0; kk < KPT; kk += 2) {
      float v0 = P::load(col, k0 + bk0 + kk), v1 = P::load(col, k0 + bk0 + kk + 1);
      *reinterpret_cast<__half2 *>(&Bs[bn][bk0 + kk]) = __floats2half2_rn(v0, v1);
    }
    __syncthreads();
#pragma unroll
    for (int ks = 0; ks < MMA_BK; ks += 16) {
      uint32_t af[MI][4], bf[NI][2];
#pragma unroll
      for (int i = 0; i < MI; i++) {
        int r = wm * WTM + i * 16 + g;
        af[i][0] = *reinterpret_cast<const uint32_t *>(&As[r][ks + 2 * t]);
        af[i][1] = *reinterpret_cast<const uint32_t *>(&As[r + 8][ks + 2 * t]);
        af[i][2] = *reinterpret_cast<const uint32_t *>(&As[r][ks + 2 * t + 8]);
        af[i][3] = *reinterpret_cast<const uint32_t *>(&As[r + 8][ks + 2 * t + 8]);
      }
#pragma unroll
      for (int j = 0; j < NI; j++) {
        int c = wn * WTN + j * 8 + g;
        bf[j][0] = *reinterpret_cast<const uint32_t *>(&Bs[c][ks + 2 * t]);
        bf[j][1] = *reinterpret_cast<const uint32_t *>(&Bs[c][ks + 2 * t + 8]);
      }
#pragma unroll
      for (int i = 0; i < MI; i++)
#pragma unroll
        for (int j = 0; j < NI; j++) mma_16816(acc[i][j], af[i], bf[j]);
    }
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
        if (m < P::M && n < P::N) {
          long o = P::out_index(m, n);
          y[o] = epilogue<ACT>(e, acc[i][j][r], m, o);
        }
      }
}

} /* namespace edgec */
#endif
