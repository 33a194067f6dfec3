/* edgec 2:4 sparse int8 kernel: Y = requant(W X) with W stored as the two kept int8 values of every group of four
 * reduction weights ([O][K / 2]) plus their 2-bit in-group indices (one byte per two groups, LSB first, `row_bytes` per
 * row), as sparse24.h stores float weights. Only the kept half of the products is computed: every pair of kept
 * weights multiplies the two X rows its indices name (decoded from the index byte in registers) on 16 int8 lanes, sums
 * the pair in int16 and widens the sum into int32 accumulators; the requantizing epilogue is the dense int8 path's
 * (edgec_q_requant16 on a vector vocabulary, edgec_q_requant_row elsewhere), so the outputs equal the integer
 * reference. Symmetric weights in [-127, 127] (the lowering checks): a pair sum of int8 products then fits int16. The
 * activation zero point is folded into the epilogue's bias (sum (x - zx) w = sum x w - zx sum w). Written once against
 * a few accumulator names that map to the vector vocabulary (runtime-c/simd: NEON, WASM SIMD128, portable) when one is
 * selected, to AVX2 pmaddwd or GNU vectors on the host, and to plain loops elsewhere. */
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
#elif defined(EDGEC_QAVX2)
/* AVX2: the two X rows interleaved as int16 pairs and multiplied by the weight pair with pmaddwd (exact int32 pair
 * sums); lo holds pixels 0-3 and 8-11, hi pixels 4-7 and 12-15 (the in-lane interleave), put in order when kept. */
typedef struct {
  __m256i lo, hi;
} edgec_sq_acc;
typedef int32_t edgec_sq_w;
EDGEC_INLINE edgec_sq_acc edgec_sq_zero(void) {
  edgec_sq_acc r;
  r.lo = r.hi = _mm256_setzero_si256();
  return r;
}
#define edgec_sq_splat(v) ((int32_t)(v))
EDGEC_INLINE edgec_sq_acc edgec_sq_mac2(edgec_sq_acc a, const int8_t *x0, int32_t w0, const int8_t *x1, int32_t w1) {
  const __m256i w = _mm256_set1_epi32((int32_t)(((uint32_t)w0 & 0xffffu) | ((uint32_t)w1 << 16)));
  const __m256i p = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)x0));
  const __m256i q = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)x1));
  a.lo = _mm256_add_epi32(a.lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(p, q), w));
  a.hi = _mm256_add_epi32(a.hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(p, q), w));
  return a;
}
#define edgec_sq_keep(a, buf)                                                                                          \
  (_mm256_storeu_si256((__m256i *)(void *)(buf), _mm256_permute2x128_si256((a).lo, (a).hi, 0x20)),                   \
   _mm256_storeu_si256((__m256i *)(void *)((buf) + 8), _mm256_permute2x128_si256((a).lo, (a).hi, 0x31)))
#if !defined(EDGEC_SP24Q_NV)
#define EDGEC_SP24Q_NV 4
#endif
#define EDGEC_SQ_BUFFERED 1
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

#if defined(EDGEC_SQ_BUFFERED) && !defined(edgec_sq_keep)
/* Accumulators through an int32 buffer of 32 (edgec_q_requant_row reads whole 32-element chunks). */
#define edgec_sq_keep(a, buf) memcpy((buf), &(a), 16 * sizeof(int32_t))
#endif

/* The X row offsets of the four kept weights of every index byte (two groups): tab[4 * b + t] for byte b, kept weight
 * t, X rows ld apart (one table load replaces the decode and the multiply by the row stride). */
EDGEC_INLINE void edgec_sp24q_offsets(ptrdiff_t ld, int32_t *EDGEC_RESTRICT tab) {
  int b, t;
  for (b = 0; b < 256; b++)
    for (t = 0; t < 4; t++) tab[4 * b + t] = (int32_t)(((t >> 1) * 4 + ((b >> (2 * t)) & 3)) * ld);
}

/* One pair of kept weights (X rows r0, r1) into the NV accumulators a0.. of 16 pixels each. */
#define EDGEC_SQ_MAC2_NV(NV, r0, w0, r1, w1)                                                                           \
  a0 = edgec_sq_mac2(a0, (r0), (w0), (r1), (w1));                                                                      \
  if ((NV) >= 2) a1 = edgec_sq_mac2(a1, (r0) + 16, (w0), (r1) + 16, (w1));                                             \
  if ((NV) >= 4) a2 = edgec_sq_mac2(a2, (r0) + 32, (w0), (r1) + 32, (w1));                                             \
  if ((NV) >= 4) a3 = edgec_sq_mac2(a3, (r0) + 48, (w0), (r1) + 48, (w1))

/* One output row over 16 * NV (4, 2 or 1) pixels of X (rows ld apart, all K reductions; tab: edgec_sp24q_offsets of
 * ld), requantized with channel ch into y (16 * NV contiguous int8). */
#define EDGEC_SQ_TILE(NV)                                                                                              \
  EDGEC_INLINE void edgec_sp24q_tile##NV(int K, const int8_t *EDGEC_RESTRICT v, const uint8_t *EDGEC_RESTRICT idx,     \
                                         const int8_t *EDGEC_RESTRICT x, ptrdiff_t ld,                                 \
                                         const int32_t *EDGEC_RESTRICT tab, const edgec_qepi *e, int ch,               \
                                         int8_t *EDGEC_RESTRICT y) {                                                   \
    const int8_t *EDGEC_RESTRICT xg = x;                                                                               \
    edgec_sq_acc a0 = edgec_sq_zero(), a1 = a0, a2 = a0, a3 = a0;                                                      \
    int q;                                                                                                             \
    for (q = 0; q < K / 8; q++, xg += 8 * ld, v += 4) {                                                                \
      const int32_t *o = tab + 4 * (int)idx[q];                                                                        \
      const int8_t *r0 = xg + o[0], *r1 = xg + o[1], *r2 = xg + o[2], *r3 = xg + o[3];                                 \
      const edgec_sq_w w0 = edgec_sq_splat(v[0]), w1 = edgec_sq_splat(v[1]);                                           \
      const edgec_sq_w w2 = edgec_sq_splat(v[2]), w3 = edgec_sq_splat(v[3]);                                           \
      EDGEC_SQ_MAC2_NV(NV, r0, w0, r1, w1);                                                                            \
      EDGEC_SQ_MAC2_NV(NV, r2, w2, r3, w3);                                                                            \
    }                                                                                                                  \
    if (K % 8) { /* the last, odd group: low 4 bits of its byte */                                                     \
      const int32_t *o = tab + 4 * (int)(idx[q] & 15u);                                                                \
      const int8_t *r0 = xg + o[0], *r1 = xg + o[1];                                                                   \
      const edgec_sq_w w0 = edgec_sq_splat(v[0]), w1 = edgec_sq_splat(v[1]);                                           \
      EDGEC_SQ_MAC2_NV(NV, r0, w0, r1, w1);                                                                            \
    }                                                                                                                  \
    EDGEC_SQ_STORE##NV(e, ch, y);                                                                                      \
  }
#if defined(EDGEC_SQ_BUFFERED)
#define EDGEC_SQ_STORE4(e, ch, y)                                                                                      \
  {                                                                                                                    \
    int32_t buf_[64];                                                                                                  \
    edgec_sq_keep(a0, buf_);                                                                                           \
    edgec_sq_keep(a1, buf_ + 16);                                                                                      \
    edgec_sq_keep(a2, buf_ + 32);                                                                                      \
    edgec_sq_keep(a3, buf_ + 48);                                                                                      \
    edgec_q_requant_row(buf_, (y), 64, (e), (ch));                                                                     \
  }
#define EDGEC_SQ_STORE2(e, ch, y)                                                                                      \
  {                                                                                                                    \
    int32_t buf_[32];                                                                                                  \
    (void)a2, (void)a3;                                                                                                \
    edgec_sq_keep(a0, buf_);                                                                                           \
    edgec_sq_keep(a1, buf_ + 16);                                                                                      \
    edgec_q_requant_row(buf_, (y), 32, (e), (ch));                                                                     \
  }
#define EDGEC_SQ_STORE1(e, ch, y)                                                                                      \
  {                                                                                                                    \
    int32_t buf_[32];                                                                                                  \
    (void)a1, (void)a2, (void)a3;                                                                                      \
    edgec_sq_keep(a0, buf_);                                                                                           \
    memset(buf_ + 16, 0, 16 * sizeof(int32_t));                                                                        \
    edgec_q_requant_row(buf_, (y), 16, (e), (ch));                                                                     \
  }
#else
#define EDGEC_SQ_STORE4(e, ch, y)                                                                                      \
  edgec_sq_out(a0, (e), (ch), (y));                                                                                    \
  edgec_sq_out(a1, (e), (ch), (y) + 16);                                                                               \
  edgec_sq_out(a2, (e), (ch), (y) + 32);                                                                               \
  edgec_sq_out(a3, (e), (ch), (y) + 48)
#define EDGEC_SQ_STORE2(e, ch, y)                                                                                      \
  (void)a2, (void)a3;                                                                                                  \
  edgec_sq_out(a0, (e), (ch), (y));                                                                                    \
  edgec_sq_out(a1, (e), (ch), (y) + 16)
#define EDGEC_SQ_STORE1(e, ch, y)                                                                                      \
  (void)a1, (void)a2, (void)a3;                                                                                        \
  edgec_sq_out(a0, (e), (ch), (y))
#endif
/* Pixels per main tile, in vectors of 16 (4 where the register file holds 16 accumulators and their operands: the
 * vocabulary table sets it; 2 elsewhere). */
#if !defined(EDGEC_SP24Q_NV)
#define EDGEC_SP24Q_NV 2
#endif
#if EDGEC_SP24Q_NV == 4
EDGEC_SQ_TILE(4)
#endif
EDGEC_SQ_TILE(2)
EDGEC_SQ_TILE(1)

/* Scratch bytes of edgec_spmm24_s8: the row offset tables of X and of the tail panel (2 x 1024 int32), a zero-padded
 * 16-pixel copy of the pixel tail (K rows) and 64 outputs. */
#define EDGEC_SP24Q_TMP(K) ((ptrdiff_t)8192 + 16 * (K) + 64)

/* Y[o * syo + p * syp] = requant_o(sum over kept j of vals[o][j] * X[k_o(j)][p]) for o < O, p < P (X: [K][P] raw int8
 * rows ldx apart; K a multiple of 4; e's bias includes -zx * sum_k W[o][k]; channel o). syo = P, syp = 1: a pointwise
 * convolution on NCHW; syo = 1, syp = O: a Gemm on transposed A. Pixels in tiles of 16 * EDGEC_SP24Q_NV, 32, 16, then
 * the tail padded to 16 in tmp (EDGEC_SP24Q_TMP(K) bytes, 4-byte aligned); each X tile stays in cache while every output row passes
 * over it. */
static EDGEC_UNUSED void edgec_spmm24_s8(int O, int K, int P, const int8_t *EDGEC_RESTRICT vals,
                                         const uint8_t *EDGEC_RESTRICT idx, int row_bytes, const int8_t *x,
                                         ptrdiff_t ldx, int8_t *y, ptrdiff_t syo, ptrdiff_t syp, const edgec_qepi *e,
                                         void *tmp) {
  const int kept = K / 2;
  int32_t *EDGEC_RESTRICT tabx = (int32_t *)tmp, *EDGEC_RESTRICT tabt = tabx + 1024;
  int8_t *EDGEC_RESTRICT panel = (int8_t *)(tabt + 1024), *EDGEC_RESTRICT out = panel + (ptrdiff_t)16 * K;
  int p0 = 0, o, t, k;
  if (P >= 16) edgec_sp24q_offsets(ldx, tabx); /* only the tail's panel table when every tile is the tail */
  while (p0 < P) {
    const int left = P - p0, wide = 16 * EDGEC_SP24Q_NV;
    const int tn = left >= wide ? wide : left >= 32 ? 32 : left >= 16 ? 16 : left;
    const int8_t *xp = x + p0;
    const int32_t *tab = tabx;
    ptrdiff_t ld = ldx;
    if (tn < 16) { /* the tail: its columns copied into a zero-padded 16-pixel panel */
      for (k = 0; k < K; k++)
        for (t = 0; t < 16; t++) panel[(ptrdiff_t)k * 16 + t] = t < tn ? x[(ptrdiff_t)k * ldx + p0 + t] : 0;
      edgec_sp24q_offsets(16, tabt);
      xp = panel;
      tab = tabt;
      ld = 16;
    }
    for (o = 0; o < O; o++) {
      int8_t *yo = y + (ptrdiff_t)o * syo + (ptrdiff_t)p0 * syp;
      int8_t *dst = syp == 1 && tn >= 16 ? yo : out;
      const int8_t *v = vals + (ptrdiff_t)o * kept;
      const uint8_t *r = idx + (ptrdiff_t)o * row_bytes;
#if EDGEC_SP24Q_NV == 4
      if (tn == 64)
        edgec_sp24q_tile4(K, v, r, xp, ld, tab, e, o, dst);
      else
#endif
      if (tn == 32)
        edgec_sp24q_tile2(K, v, r, xp, ld, tab, e, o, dst);
      else
        edgec_sp24q_tile1(K, v, r, xp, ld, tab, e, o, dst);
      if (dst != yo)
        for (t = 0; t < tn; t++) yo[t * syp] = out[t];
    }
    p0 += tn;
  }
}

#endif
