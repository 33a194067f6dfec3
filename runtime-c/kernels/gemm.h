/* edgec SGEMM: cache-blocked single-precision GEMM over packed panels, with a 6x16 register-blocked
 * micro-kernel and a fused epilogue (row/column bias, accumulate into C, activation).
 * C99; GNU vector extensions when the compiler has them, plain loops otherwise. No malloc, no globals.
 *
 * Layouts (MR = EDGEC_GEMM_MR, NR = EDGEC_GEMM_NR):
 *   packed A: [ceil(M/MR)][K][MR]  (rows padded with zeros to MR)
 *   packed B: [ceil(N/NR)][K][NR]  (columns padded with zeros to NR)
 * A micro-kernel may also read B straight from a row-major buffer whose rows hold a multiple of NR floats. */
#ifndef EDGEC_KERNEL_GEMM_H
#define EDGEC_KERNEL_GEMM_H

#include "elementwise.h"

#define EDGEC_GEMM_MR 6
#define EDGEC_GEMM_NR 16

/* Let gcc fuse a*b+c into FMA inside the kernels even in ISO C mode (-std=c99 turns contraction off). */
#if defined(__GNUC__) && !defined(__clang__)
#define EDGEC_FMA_CONTRACT __attribute__((optimize("fp-contract=fast")))
#else
#define EDGEC_FMA_CONTRACT
#endif

/* GNU vector extensions (gcc, clang) unless EDGEC_NO_VECTOR_EXT asks for the plain C99 loops. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(EDGEC_NO_VECTOR_EXT)
#define EDGEC_HAVE_V8 1
typedef float edgec_vec8 __attribute__((vector_size(32)));
typedef float edgec_vec8u __attribute__((vector_size(32), aligned(4)));
typedef int32_t edgec_vec8i __attribute__((vector_size(32)));
#define EDGEC_V8_LOAD(p) (*(const edgec_vec8u *)(const void *)(p))
#define EDGEC_V8_STORE(p, v) (*(edgec_vec8u *)(void *)(p) = (v))
#define EDGEC_V8_SET1(x) ((edgec_vec8){(x), (x), (x), (x), (x), (x), (x), (x)})

/* Piecewise-linear fused activations on one vector (NaN behaviour matches edgec_act_apply). */
EDGEC_INLINE edgec_vec8 edgec_v8_select(edgec_vec8i m, edgec_vec8 t, edgec_vec8 f) {
  return (edgec_vec8)(((edgec_vec8i)t & m) | ((edgec_vec8i)f & ~m));
}
#if defined(__AVX__)
/* lo > x ? lo : x and hi < x ? hi : x in one instruction each (a NaN x passes through, as in edgec_act_apply). */
#define EDGEC_V8_MAX_LO(lo, x) ((edgec_vec8)__builtin_ia32_maxps256((lo), (x)))
#define EDGEC_V8_MIN_HI(hi, x) ((edgec_vec8)__builtin_ia32_minps256((hi), (x)))
#else
#define EDGEC_V8_MAX_LO(lo, x) edgec_v8_select((x) < (lo), (lo), (x))
#define EDGEC_V8_MIN_HI(hi, x) edgec_v8_select((x) > (hi), (hi), (x))
#endif
EDGEC_INLINE edgec_vec8 edgec_v8_relu(edgec_vec8 x) {
  return (edgec_vec8)((edgec_vec8i)x & (x > EDGEC_V8_SET1(0.0f)));
}
EDGEC_INLINE edgec_vec8 edgec_v8_clamp(edgec_vec8 x, edgec_vec8 lo, edgec_vec8 hi) {
  return EDGEC_V8_MIN_HI(hi, EDGEC_V8_MAX_LO(lo, x));
}
EDGEC_INLINE edgec_vec8 edgec_v8_hardswish(edgec_vec8 x) {
  return x * edgec_v8_clamp(x * EDGEC_V8_SET1(1.0f / 6.0f) + EDGEC_V8_SET1(0.5f), EDGEC_V8_SET1(0.0f),
                            EDGEC_V8_SET1(1.0f));
}
EDGEC_INLINE edgec_vec8 edgec_v8_act(edgec_vec8 x, int act, edgec_vec8 va, edgec_vec8 vb) {
  switch (act) {
  case EDGEC_ACT_RELU: return edgec_v8_relu(x);
  case EDGEC_ACT_CLIP: return edgec_v8_clamp(x, va, vb);
  case EDGEC_ACT_HARDSIGMOID: return edgec_v8_clamp(va * x + vb, EDGEC_V8_SET1(0.0f), EDGEC_V8_SET1(1.0f));
  case EDGEC_ACT_HARDSWISH: return edgec_v8_hardswish(x);
  case EDGEC_ACT_LEAKYRELU: return edgec_v8_select(x >= EDGEC_V8_SET1(0.0f), x, va * x);
  default: return x;
  }
}
#endif

/* True when the micro-kernel can apply `act` in registers (everything but Sigmoid). */
EDGEC_INLINE int edgec_act_in_registers(int act) {
  return act != EDGEC_ACT_SIGMOID;
}

/* Apply a fused activation to n contiguous floats: Sigmoid through the vectorizable edgec_expf, the rest as
 * edgec_act_apply does. */
EDGEC_INLINE void edgec_act_run(float *EDGEC_RESTRICT p, ptrdiff_t n, int act, float a, float b) {
  if (act == EDGEC_ACT_SIGMOID) {
    ptrdiff_t i;
    for (i = 0; i < n; i++) p[i] = 1.0f / (1.0f + edgec_expf(-p[i]));
  } else if (act != EDGEC_ACT_NONE) {
    edgec_act_apply(p, n, act, a, b);
  }
}

/* Write a finished MRxNR tile `t` (row stride NR) into C (mr x nr valid), adding C when acc_c, then the activation. */
static EDGEC_UNUSED void edgec_sgemm_store_tile(const float *EDGEC_RESTRICT t, float *EDGEC_RESTRICT c, ptrdiff_t ldc,
                                                int mr, int nr, int acc_c, int act, float aa, float ab) {
  int i, j;
  for (i = 0; i < mr; i++) {
    float *EDGEC_RESTRICT ci = c + i * ldc;
    const float *EDGEC_RESTRICT ti = t + i * EDGEC_GEMM_NR;
    if (acc_c)
      for (j = 0; j < nr; j++) ci[j] += ti[j];
    else
      for (j = 0; j < nr; j++) ci[j] = ti[j];
    edgec_act_run(ci, nr, act, aa, ab);
  }
}

#if defined(EDGEC_SIMD)
#include "vsgemm.h"
#endif

/* Micro-kernel: tile = sum_k A[k][0..MR) x B[k][0..NR) (A panel stride MR per k, B row stride ldb),
 * plus rb[i] (row bias) and cb[j] (column bias) when given, plus the old C when acc_c; then `act`.
 * Only the top-left mr x nr part of the tile is written to C. */
static EDGEC_UNUSED EDGEC_FMA_CONTRACT void edgec_sgemm_ukr(ptrdiff_t K, const float *EDGEC_RESTRICT a,
                                                            const float *EDGEC_RESTRICT b, ptrdiff_t ldb,
                                                            float *EDGEC_RESTRICT c, ptrdiff_t ldc, int mr, int nr,
                                                            int acc_c, const float *rb, const float *cb, int act,
                                                            float aa, float ab) {
#if defined(EDGEC_SIMD)
  edgec_sgemm_ukr_simd(K, a, b, ldb, c, ldc, mr, nr, acc_c, rb, cb, act, aa, ab);
#else
  float t[EDGEC_GEMM_MR * EDGEC_GEMM_NR];
  ptrdiff_t k;
#if defined(EDGEC_HAVE_V8)
  edgec_vec8 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  {
    edgec_vec8 b0 = EDGEC_V8_SET1(0.0f), b1 = b0;
    if (cb) {
      if (nr == EDGEC_GEMM_NR) {
        b0 = EDGEC_V8_LOAD(cb);
        b1 = EDGEC_V8_LOAD(cb + 8);
      } else {
        int j;
        for (j = 0; j < EDGEC_GEMM_NR; j++) t[j] = j < nr ? cb[j] : 0.0f;
        b0 = EDGEC_V8_LOAD(t);
        b1 = EDGEC_V8_LOAD(t + 8);
      }
    }
    c00 = b0; c01 = b1; c10 = b0; c11 = b1; c20 = b0; c21 = b1;
    c30 = b0; c31 = b1; c40 = b0; c41 = b1; c50 = b0; c51 = b1;
    if (rb) {
      edgec_vec8 r;
      r = EDGEC_V8_SET1(rb[0]); c00 += r; c01 += r;
      r = EDGEC_V8_SET1(rb[mr > 1 ? 1 : 0]); c10 += r; c11 += r;
      r = EDGEC_V8_SET1(rb[mr > 2 ? 2 : 0]); c20 += r; c21 += r;
      r = EDGEC_V8_SET1(rb[mr > 3 ? 3 : 0]); c30 += r; c31 += r;
      r = EDGEC_V8_SET1(rb[mr > 4 ? 4 : 0]); c40 += r; c41 += r;
      r = EDGEC_V8_SET1(rb[mr > 5 ? 5 : 0]); c50 += r; c51 += r;
    }
  }
  for (k = 0; k < K; k++) {
    const edgec_vec8 b0 = EDGEC_V8_LOAD(b), b1 = EDGEC_V8_LOAD(b + 8);
    edgec_vec8 av;
    av = EDGEC_V8_SET1(a[0]); c00 += av * b0; c01 += av * b1;
    av = EDGEC_V8_SET1(a[1]); c10 += av * b0; c11 += av * b1;
    av = EDGEC_V8_SET1(a[2]); c20 += av * b0; c21 += av * b1;
    av = EDGEC_V8_SET1(a[3]); c30 += av * b0; c31 += av * b1;
    av = EDGEC_V8_SET1(a[4]); c40 += av * b0; c41 += av * b1;
    av = EDGEC_V8_SET1(a[5]); c50 += av * b0; c51 += av * b1;
    a += EDGEC_GEMM_MR;
    b += ldb;
  }
  if (mr == EDGEC_GEMM_MR && nr == EDGEC_GEMM_NR && edgec_act_in_registers(act)) {
    float *c0 = c, *c1 = c + ldc, *c2 = c + 2 * ldc, *c3 = c + 3 * ldc, *c4 = c + 4 * ldc, *c5 = c + 5 * ldc;
    if (acc_c) {
      c00 += EDGEC_V8_LOAD(c0); c01 += EDGEC_V8_LOAD(c0 + 8);
      c10 += EDGEC_V8_LOAD(c1); c11 += EDGEC_V8_LOAD(c1 + 8);
      c20 += EDGEC_V8_LOAD(c2); c21 += EDGEC_V8_LOAD(c2 + 8);
      c30 += EDGEC_V8_LOAD(c3); c31 += EDGEC_V8_LOAD(c3 + 8);
      c40 += EDGEC_V8_LOAD(c4); c41 += EDGEC_V8_LOAD(c4 + 8);
      c50 += EDGEC_V8_LOAD(c5); c51 += EDGEC_V8_LOAD(c5 + 8);
    }
    if (act != EDGEC_ACT_NONE) {
      const edgec_vec8 va = EDGEC_V8_SET1(aa), vb = EDGEC_V8_SET1(ab);
      /* One switch for the whole tile; each case then runs straight through the 12 accumulators. */
#define EDGEC_ACT_TILE(A)                                                                                              \
  c00 = edgec_v8_act(c00, A, va, vb); c01 = edgec_v8_act(c01, A, va, vb); c10 = edgec_v8_act(c10, A, va, vb);         \
  c11 = edgec_v8_act(c11, A, va, vb); c20 = edgec_v8_act(c20, A, va, vb); c21 = edgec_v8_act(c21, A, va, vb);         \
  c30 = edgec_v8_act(c30, A, va, vb); c31 = edgec_v8_act(c31, A, va, vb); c40 = edgec_v8_act(c40, A, va, vb);         \
  c41 = edgec_v8_act(c41, A, va, vb); c50 = edgec_v8_act(c50, A, va, vb); c51 = edgec_v8_act(c51, A, va, vb)
      switch (act) {
      case EDGEC_ACT_RELU: EDGEC_ACT_TILE(EDGEC_ACT_RELU); break;
      case EDGEC_ACT_CLIP: EDGEC_ACT_TILE(EDGEC_ACT_CLIP); break;
      case EDGEC_ACT_HARDSIGMOID: EDGEC_ACT_TILE(EDGEC_ACT_HARDSIGMOID); break;
      case EDGEC_ACT_HARDSWISH: EDGEC_ACT_TILE(EDGEC_ACT_HARDSWISH); break;
      case EDGEC_ACT_LEAKYRELU: EDGEC_ACT_TILE(EDGEC_ACT_LEAKYRELU); break;
      default: break;
      }
#undef EDGEC_ACT_TILE
    }
    EDGEC_V8_STORE(c0, c00); EDGEC_V8_STORE(c0 + 8, c01);
    EDGEC_V8_STORE(c1, c10); EDGEC_V8_STORE(c1 + 8, c11);
    EDGEC_V8_STORE(c2, c20); EDGEC_V8_STORE(c2 + 8, c21);
    EDGEC_V8_STORE(c3, c30); EDGEC_V8_STORE(c3 + 8, c31);
    EDGEC_V8_STORE(c4, c40); EDGEC_V8_STORE(c4 + 8, c41);
    EDGEC_V8_STORE(c5, c50); EDGEC_V8_STORE(c5 + 8, c51);
    return;
  }
  EDGEC_V8_STORE(t, c00); EDGEC_V8_STORE(t + 8, c01);
  EDGEC_V8_STORE(t + 16, c10); EDGEC_V8_STORE(t + 24, c11);
  EDGEC_V8_STORE(t + 32, c20); EDGEC_V8_STORE(t + 40, c21);
  EDGEC_V8_STORE(t + 48, c30); EDGEC_V8_STORE(t + 56, c31);
  EDGEC_V8_STORE(t + 64, c40); EDGEC_V8_STORE(t + 72, c41);
  EDGEC_V8_STORE(t + 80, c50); EDGEC_V8_STORE(t + 88, c51);
#else
  {
    int i, j;
    for (i = 0; i < EDGEC_GEMM_MR; i++)
      for (j = 0; j < EDGEC_GEMM_NR; j++)
        t[i * EDGEC_GEMM_NR + j] = (rb && i < mr ? rb[i] : 0.0f) + (cb && j < nr ? cb[j] : 0.0f);
    for (k = 0; k < K; k++) {
      for (i = 0; i < EDGEC_GEMM_MR; i++) {
        const float av = a[i];
        for (j = 0; j < EDGEC_GEMM_NR; j++) t[i * EDGEC_GEMM_NR + j] += av * b[j];
      }
      a += EDGEC_GEMM_MR;
      b += ldb;
    }
  }
#endif
  edgec_sgemm_store_tile(t, c, ldc, mr, nr, acc_c, act, aa, ab);
#endif
}

/* Pack rows [0, m) x cols [0, kc) of a strided matrix (element (i,k) at a[i*rs + k*cs]) into A panels
 * [ceil(m/MR)][kc][MR], scaled by `scale`, zero-padding the last panel's rows. */
static EDGEC_UNUSED void edgec_sgemm_pack_a(int m, int kc, const float *EDGEC_RESTRICT a, ptrdiff_t rs, ptrdiff_t cs,
                                            float scale, float *EDGEC_RESTRICT out) {
  int i0, i, k;
  for (i0 = 0; i0 < m; i0 += EDGEC_GEMM_MR) {
    const int mr = m - i0 < EDGEC_GEMM_MR ? m - i0 : EDGEC_GEMM_MR;
    for (k = 0; k < kc; k++) {
      float *EDGEC_RESTRICT o = out + (ptrdiff_t)k * EDGEC_GEMM_MR;
      for (i = 0; i < mr; i++) o[i] = scale * a[(ptrdiff_t)(i0 + i) * rs + (ptrdiff_t)k * cs];
      for (; i < EDGEC_GEMM_MR; i++) o[i] = 0.0f;
    }
    out += (ptrdiff_t)kc * EDGEC_GEMM_MR;
  }
}

/* Pack rows [0, kc) x cols [0, nc) of a strided matrix (element (k,j) at b[k*rs + j*cs]) into B panels
 * [ceil(nc/NR)][kc][NR], zero-padding the last panel's columns. */
static EDGEC_UNUSED void edgec_sgemm_pack_b(int kc, int nc, const float *EDGEC_RESTRICT b, ptrdiff_t rs, ptrdiff_t cs,
                               float *EDGEC_RESTRICT out) {
  int j0, j, k;
  for (j0 = 0; j0 < nc; j0 += EDGEC_GEMM_NR) {
    const int nr = nc - j0 < EDGEC_GEMM_NR ? nc - j0 : EDGEC_GEMM_NR;
    if (cs == 1 && nr == EDGEC_GEMM_NR) {
      for (k = 0; k < kc; k++)
        memcpy(out + (ptrdiff_t)k * EDGEC_GEMM_NR, b + (ptrdiff_t)k * rs + j0, EDGEC_GEMM_NR * sizeof(float));
    } else {
      for (k = 0; k < kc; k++) {
        float *EDGEC_RESTRICT o = out + (ptrdiff_t)k * EDGEC_GEMM_NR;
        const float *EDGEC_RESTRICT bk = b + (ptrdiff_t)k * rs + (ptrdiff_t)j0 * cs;
        for (j = 0; j < nr; j++) o[j] = bk[(ptrdiff_t)j * cs];
        for (; j < EDGEC_GEMM_NR; j++) o[j] = 0.0f;
      }
    }
    out += (ptrdiff_t)kc * EDGEC_GEMM_NR;
  }
}

/* One K-block step over an M x nc block of C: A panels at ap (panel i at ap + i*aps, MR floats per k),
 * B panels at bp (panel j at bp + j*bps, row stride ldb). rb/cb: row/column bias pointers for this block or NULL. */
static EDGEC_UNUSED void edgec_sgemm_block(int M, int nc, int kc, const float *ap, ptrdiff_t aps, const float *bp,
                                           ptrdiff_t bps, ptrdiff_t ldb, float *c, ptrdiff_t ldc, int acc_c,
                                           const float *rb, const float *cb, int act, float aa, float ab, int MC) {
  int m0, i, j;
  for (m0 = 0; m0 < M; m0 += MC) {
    const int m1 = M - m0 < MC ? M : m0 + MC;
    for (j = 0; j < nc; j += EDGEC_GEMM_NR) {
      const int nr = nc - j < EDGEC_GEMM_NR ? nc - j : EDGEC_GEMM_NR;
      const float *bj = bp + (ptrdiff_t)(j / EDGEC_GEMM_NR) * bps;
      for (i = m0; i < m1; i += EDGEC_GEMM_MR) {
        const int mr = m1 - i < EDGEC_GEMM_MR ? m1 - i : EDGEC_GEMM_MR;
        edgec_sgemm_ukr(kc, ap + (ptrdiff_t)(i / EDGEC_GEMM_MR) * aps, bj, ldb, c + (ptrdiff_t)i * ldc + j, ldc, mr, nr,
                        acc_c, rb ? rb + i : NULL, cb ? cb + j : NULL, act, aa, ab);
      }
    }
  }
}

/* Floats of packed A for M x K, rounded up to whole 64-byte lines so a buffer after it stays aligned. */
#define EDGEC_SGEMM_APACK(M, K) \
  (((((M) + EDGEC_GEMM_MR - 1) / EDGEC_GEMM_MR) * EDGEC_GEMM_MR * (ptrdiff_t)(K) + 15) / 16 * 16)
/* Floats of scratch edgec_sgemm needs: packed A (when ap is NULL) plus one packed B block (when bp is NULL). */
#define EDGEC_SGEMM_SCRATCH(M, K, a_packed, b_packed, KC, NC)                                                          \
  ((a_packed) ? 0 : EDGEC_SGEMM_APACK(M, K)) +                                                                         \
      ((b_packed) ? 0 : (ptrdiff_t)(KC) * ((((NC) + EDGEC_GEMM_NR - 1) / EDGEC_GEMM_NR) * EDGEC_GEMM_NR))

/* C[M][N] (row stride ldc) = alpha * A B (+ C when acc_c) + rb[i] + cb[j], then `act`.
 * A: pre-packed panels `ap` (alpha already applied), or strided (a, rsa, csa) packed here with alpha.
 * B: pre-packed panels `bp` over the full K, or strided (b, rsb, csb) packed here block by block; with b_direct and
 * csb == 1 the micro-kernel reads whole NR-column panels of B in place and only a ragged last panel is packed.
 * scratch: EDGEC_SGEMM_SCRATCH floats, 64-byte aligned (packed B panels then load whole cache lines).
 * MC/KC/NC: cache block sizes (MC a multiple of MR, NC of NR). */
static EDGEC_UNUSED void edgec_sgemm(int M, int N, int K, const float *ap, const float *a, ptrdiff_t rsa, ptrdiff_t csa,
                                     float alpha, const float *bp, const float *b, ptrdiff_t rsb, ptrdiff_t csb,
                                     int b_direct, float *c, ptrdiff_t ldc, int acc_c, const float *rb, const float *cb,
                                     int act, float aa, float ab, float *scratch, int MC, int KC, int NC) {
  float *bpack = scratch;
  int n0, k0;
  if (!ap) {
    edgec_sgemm_pack_a(M, K, a, rsa, csa, alpha, scratch);
    ap = scratch;
    bpack = scratch + EDGEC_SGEMM_APACK(M, K);
  }
  if (K == 0) {
    int i, j;
    for (i = 0; i < M; i++) {
      float *ci = c + (ptrdiff_t)i * ldc;
      for (j = 0; j < N; j++) ci[j] = (acc_c ? ci[j] : 0.0f) + (rb ? rb[i] : 0.0f) + (cb ? cb[j] : 0.0f);
      edgec_act_run(ci, N, act, aa, ab);
    }
    return;
  }
  b_direct = b_direct && !bp && csb == 1;
  for (n0 = 0; n0 < N; n0 += NC) {
    const int nc = N - n0 < NC ? N - n0 : NC;
    /* Columns [n0, n0 + nfull) read in place when b_direct; the rest (all of them otherwise) come from panels. */
    const int nfull = b_direct ? nc / EDGEC_GEMM_NR * EDGEC_GEMM_NR : 0;
    for (k0 = 0; k0 < K; k0 += KC) {
      const int kc = K - k0 < KC ? K - k0 : KC;
      const int first = k0 == 0, last = k0 + kc == K, accum = acc_c || !first, blk_act = last ? act : EDGEC_ACT_NONE;
      const float *ak = ap + (ptrdiff_t)k0 * EDGEC_GEMM_MR, *rbk = first ? rb : NULL;
      const ptrdiff_t aps = (ptrdiff_t)K * EDGEC_GEMM_MR;
      if (bp) {
        const float *bk = bp + (ptrdiff_t)(n0 / EDGEC_GEMM_NR) * K * EDGEC_GEMM_NR + (ptrdiff_t)k0 * EDGEC_GEMM_NR;
        edgec_sgemm_block(M, nc, kc, ak, aps, bk, (ptrdiff_t)K * EDGEC_GEMM_NR, EDGEC_GEMM_NR, c + n0, ldc, accum, rbk,
                          first && cb ? cb + n0 : NULL, blk_act, aa, ab, MC);
        continue;
      }
      if (nfull > 0)
        edgec_sgemm_block(M, nfull, kc, ak, aps, b + (ptrdiff_t)k0 * rsb + n0, EDGEC_GEMM_NR, rsb, c + n0, ldc, accum,
                          rbk, first && cb ? cb + n0 : NULL, blk_act, aa, ab, MC);
      if (nc > nfull) {
        const int n1 = n0 + nfull;
        edgec_sgemm_pack_b(kc, nc - nfull, b + (ptrdiff_t)k0 * rsb + (ptrdiff_t)n1 * csb, rsb, csb, bpack);
        edgec_sgemm_block(M, nc - nfull, kc, ak, aps, bpack, (ptrdiff_t)kc * EDGEC_GEMM_NR, EDGEC_GEMM_NR, c + n1, ldc,
                          accum, rbk, first && cb ? cb + n1 : NULL, blk_act, aa, ab, MC);
      }
    }
  }
}

#endif
