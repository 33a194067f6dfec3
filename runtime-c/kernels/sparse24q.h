/* edgec 2:4 sparse int8 kernel: Y = requant(W X) with W stored as the two kept int8 values of every group of four
 * reduction weights ([O][K / 2]) plus their 2-bit in-group indices (one byte per two groups, LSB first, `row_bytes` per
 * row), as sparse24.h stores float weights. Only the kept half of the products is computed: every pair of kept
 * weights multiplies the two X rows its indices name (decoded from the index byte in registers) on 16 int8 lanes, sums
 * the pair in int16 and widens the sum into int32 accumulators; the requantizing epilogue is the dense int8 path's
 * (edgec_q_requant16 on a vector vocabulary, edgec_q_requant_row elsewhere), so the outputs equal the integer
 * reference. Symmetric weights in [-127, 127] (the lowering checks): a pair sum of int8 products then fits int16. The
 * activation zero point is folded into the epilogue's bias (sum (x - zx) w = sum x w - zx sum w). Written once against
 * a few accumulator names that map to the vector vocabulary (runtime-c/simd: NEON, WASM SIMD128, portable) when one is
 * selected, to GNU vectors on the host, and to plain loops elsewhere. */
#ifndef EDGEC_KERNEL_SPARSE24Q_H
#define EDGEC_KERNEL_SPARSE24Q_H

#include "qconv.h"

#if defined(EDGEC_SIMD)
/* The vocabulary's 16-lane int32 accumulator and pair multiply-add (edgec_vacc16_mac2). */
typedef edgec_vacc16 edgec_sq_acc;
typedef edgec_vi8 edgec_sq_w;
#define edgec_sq_zero() edgec_vacc16_zero()
#define edgec_sq_splat(v) edgec_vi8_splat(v)
#define edgec_sq_mac2(a, x0, w0, x1, w1) edgec_vacc16_mac2((a), edgec_vi8_load(x0), (w0), edgec_vi8_load(x1), (w1))
/* The 16 accumulators of channel ch requantized into 16 int8 at y. */
#define edgec_sq_out(a, e, ch, y) edgec_vi8_store((y), edgec_q_requant16((a).v0, (a).v1, (a).v2, (a).v3, (e), (ch)))
#elif defined(EDGEC_HAVE_V8) && (defined(__clang__) || __GNUC__ >= 9)
typedef int8_t edgec_sq_c16 __attribute__((vector_size(16), aligned(1)));
typedef int16_t edgec_sq_w __attribute__((vector_size(32)));
typedef int32_t edgec_sq_acc __attribute__((vector_size(64)));
#define edgec_sq_zero() ((edgec_sq_acc){0})
#define edgec_sq_splat(v) ((edgec_sq_w){0} + (int16_t)(v))
#define edgec_sq_wide(p) __builtin_convertvector(*(const edgec_sq_c16 *)(const void *)(p), edgec_sq_w)
#define edgec_sq_mac2(a, x0, w0, x1, w1)                                                                              \
  ((a) + __builtin_convertvector(edgec_sq_wide(x0) * (w0) + edgec_sq_wide(x1) * (w1), edgec_sq_acc))
#define EDGEC_SQ_BUFFERED 1
#else
typedef struct {
  int32_t v[16];
} edgec_sq_acc;
typedef int32_t edgec_sq_w;
EDGEC_INLINE edgec_sq_acc edgec_sq_zero(void) {
  edgec_sq_acc r;
  memset(&r, 0, sizeof r);
  return r;
}
#define edgec_sq_splat(v) ((int32_t)(v))
EDGEC_INLINE edgec_sq_acc edgec_sq_mac2(edgec_sq_acc a, const int8_t *x0, int32_t w0, const int8_t *x1, int32_t w1) {
  int i;
  for (i = 0; i < 16; i++) a.v[i] += x0[i] * w0 + x1[i] * w1;
  return a;
}
#define EDGEC_SQ_BUFFERED 1
#endif

#if defined(EDGEC_SQ_BUFFERED)
/* Accumulators through an int32 buffer of 32 (edgec_q_requant_row reads whole 32-element chunks). */
#define edgec_sq_keep(a, buf) memcpy((buf), &(a), 16 * sizeof(int32_t))
#endif

/* The X rows of the two kept weights of group h (0 or 1) of index byte b, whose groups start at X row xg. */
#define EDGEC_SQ_ROWS(h, b, xg, ldx, r0, r1)                                                                           \
  const int8_t *r0 = (xg) + (ptrdiff_t)(4 * (h) + (int)(((b) >> (4 * (h))) & 3u)) * (ldx);                          \
  const int8_t *r1 = (xg) + (ptrdiff_t)(4 * (h) + (int)(((b) >> (4 * (h) + 2)) & 3u)) * (ldx)

/* One output row over 16 * NV (2 or 1) pixels of X (rows ldx apart, all K reductions), requantized with channel ch into
 * y (16 * NV contiguous int8). */
#define EDGEC_SQ_TILE(NV)                                                                                              \
  EDGEC_INLINE void edgec_sp24q_tile##NV(int K, const int8_t *EDGEC_RESTRICT v, const uint8_t *EDGEC_RESTRICT idx,     \
                                         const int8_t *EDGEC_RESTRICT x, ptrdiff_t ldx, const edgec_qepi *e, int ch,   \
                                         int8_t *EDGEC_RESTRICT y) {                                                   \
    const int8_t *EDGEC_RESTRICT xg = x;                                                                               \
    edgec_sq_acc a0 = edgec_sq_zero(), a1 = a0;                                                                        \
    int q;                                                                                                             \
    for (q = 0; q < K / 8; q++, xg += 8 * ldx, v += 4) {                                                               \
      const unsigned b = idx[q];                                                                                       \
      const edgec_sq_w w0 = edgec_sq_splat(v[0]), w1 = edgec_sq_splat(v[1]);                                           \
      const edgec_sq_w w2 = edgec_sq_splat(v[2]), w3 = edgec_sq_splat(v[3]);                                           \
      EDGEC_SQ_ROWS(0, b, xg, ldx, r0, r1);                                                                            \
      EDGEC_SQ_ROWS(1, b, xg, ldx, r2, r3);                                                                            \
      a0 = edgec_sq_mac2(a0, r0, w0, r1, w1);                                                                          \
      if (NV == 2) a1 = edgec_sq_mac2(a1, r0 + 16, w0, r1 + 16, w1);                                                   \
      a0 = edgec_sq_mac2(a0, r2, w2, r3, w3);                                                                          \
      if (NV == 2) a1 = edgec_sq_mac2(a1, r2 + 16, w2, r3 + 16, w3);                                                   \
    }                                                                                                                  \
    if (K % 8) { /* the last, odd group: low 4 bits of its byte */                                                     \
      const unsigned b = idx[q];                                                                                       \
      const edgec_sq_w w0 = edgec_sq_splat(v[0]), w1 = edgec_sq_splat(v[1]);                                           \
      EDGEC_SQ_ROWS(0, b, xg, ldx, r0, r1);                                                                            \
      a0 = edgec_sq_mac2(a0, r0, w0, r1, w1);                                                                          \
      if (NV == 2) a1 = edgec_sq_mac2(a1, r0 + 16, w0, r1 + 16, w1);                                                   \
    }                                                                                                                  \
    EDGEC_SQ_STORE##NV(a0, a1, e, ch, y);                                                                              \
  }
#if defined(EDGEC_SQ_BUFFERED)
#define EDGEC_SQ_STORE2(a0, a1, e, ch, y)                                                                              \
  {                                                                                                                    \
    int32_t buf_[32];                                                                                                  \
    edgec_sq_keep(a0, buf_);                                                                                           \
    edgec_sq_keep(a1, buf_ + 16);                                                                                      \
    edgec_q_requant_row(buf_, (y), 32, (e), (ch));                                                                     \
  }
#define EDGEC_SQ_STORE1(a0, a1, e, ch, y)                                                                              \
  {                                                                                                                    \
    int32_t buf_[32];                                                                                                  \
    (void)(a1);                                                                                                        \
    edgec_sq_keep(a0, buf_);                                                                                           \
    memset(buf_ + 16, 0, 16 * sizeof(int32_t));                                                                        \
    edgec_q_requant_row(buf_, (y), 16, (e), (ch));                                                                     \
  }
#else
#define EDGEC_SQ_STORE2(a0, a1, e, ch, y)                                                                              \
  edgec_sq_out(a0, (e), (ch), (y));                                                                                    \
  edgec_sq_out(a1, (e), (ch), (y) + 16)
#define EDGEC_SQ_STORE1(a0, a1, e, ch, y)                                                                              \
  (void)(a1);                                                                                                          \
  edgec_sq_out(a0, (e), (ch), (y))
#endif
EDGEC_SQ_TILE(2)
EDGEC_SQ_TILE(1)

/* Scratch bytes of edgec_spmm24_s8: a zero-padded 16-pixel copy of the pixel tail (K rows) and 32 outputs. */
#define EDGEC_SP24Q_TMP(K) ((ptrdiff_t)16 * (K) + 32)

/* Y[o * syo + p * syp] = requant_o(sum over kept j of vals[o][j] * X[k_o(j)][p]) for o < O, p < P (X: [K][P] raw int8
 * rows ldx apart; K a multiple of 4; e's bias includes -zx * sum_k W[o][k]; channel o). syo = P, syp = 1: a pointwise
 * convolution on NCHW; syo = 1, syp = O: a Gemm on transposed A. Pixels in tiles of 32, then 16, then the tail padded
 * to 16 in tmp (EDGEC_SP24Q_TMP(K) bytes); each X tile stays in cache while every output row passes over it. */
static EDGEC_UNUSED void edgec_spmm24_s8(int O, int K, int P, const int8_t *EDGEC_RESTRICT vals,
                                         const uint8_t *EDGEC_RESTRICT idx, int row_bytes, const int8_t *x,
                                         ptrdiff_t ldx, int8_t *y, ptrdiff_t syo, ptrdiff_t syp, const edgec_qepi *e,
                                         int8_t *EDGEC_RESTRICT tmp) {
  const int kept = K / 2;
  int8_t *EDGEC_RESTRICT out = tmp + (ptrdiff_t)16 * K;
  int p0 = 0, o, t, k;
  while (p0 < P) {
    const int left = P - p0, tn = left >= 32 ? 32 : left >= 16 ? 16 : left;
    const int8_t *xp = x + p0;
    ptrdiff_t ld = ldx;
    if (tn < 16) { /* the tail: its columns copied into a zero-padded 16-pixel panel */
      for (k = 0; k < K; k++) {
        memset(tmp + (ptrdiff_t)k * 16, 0, 16);
        memcpy(tmp + (ptrdiff_t)k * 16, x + (ptrdiff_t)k * ldx + p0, (size_t)tn);
      }
      xp = tmp;
      ld = 16;
    }
    for (o = 0; o < O; o++) {
      int8_t *yo = y + (ptrdiff_t)o * syo + (ptrdiff_t)p0 * syp;
      int8_t *dst = syp == 1 && tn >= 16 ? yo : out;
      const int8_t *v = vals + (ptrdiff_t)o * kept;
      const uint8_t *r = idx + (ptrdiff_t)o * row_bytes;
      if (tn == 32)
        edgec_sp24q_tile2(K, v, r, xp, ld, e, o, dst);
      else
        edgec_sp24q_tile1(K, v, r, xp, ld, e, o, dst);
      if (dst != yo)
        for (t = 0; t < tn; t++) yo[t * syp] = out[t];
    }
    p0 += tn;
  }
}

#endif
