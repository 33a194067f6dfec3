/* edgec int8 GEMM (TFLite int8 scheme): int16-widened operands in k-pair panels, int32 accumulation, and a fused
 * requantizing epilogue (bias, MultiplyByQuantizedMultiplier per row or per column, output zero point, clamp).
 * With AVX2 a 6x16 micro-kernel multiplies with _mm256_madd_epi16 (16 MACs per instruction; vpdpwssd with VNNI); elsewhere (or with
 * -DEDGEC_NO_SIMD) plain C99 loops compute the same integers. No malloc, no globals.
 *
 * Layouts (MR = EDGEC_QGEMM_MR, NR = EDGEC_QGEMM_NR, K2 = ceil(K / 2); operands are int16 values minus zero point):
 *   packed A: [ceil(M/MR)][K2][MR][2]   element (i, k) at [i / MR][k / 2][i % MR][k % 2]
 *   packed B: [ceil(N/NR)][K2][NR][2]   element (k, j) at [j / NR][k / 2][j % NR][k % 2]
 * Rows, columns and the odd k past the end are zero. */
#ifndef EDGEC_KERNEL_QGEMM_H
#define EDGEC_KERNEL_QGEMM_H

#include "qmath.h"

#define EDGEC_QGEMM_MR 6
#define EDGEC_QGEMM_NR 16

#if defined(__AVX2__) && !defined(EDGEC_NO_SIMD)
#include <immintrin.h>
#define EDGEC_QAVX2 1
#endif
/* EDGEC_QGEMM_VTILE (a vocabulary define): the tile and its per-row store on the vector vocabulary (int16 pair dot
 * products, edgec_q_requant16) where there is no AVX2 form. */
#if !defined(EDGEC_QGEMM_VTILE) || defined(EDGEC_QAVX2) || !defined(EDGEC_SIMD)
#undef EDGEC_QGEMM_VTILE
#define EDGEC_QGEMM_VTILE 0
#endif

/* Requantization of int32 accumulators to int8: per channel (row or column) bias, multiplier, left/right shifts
 * (TFLite shift = lsh - rsh) and rounding mask (1 << rsh) - 1; arrays hold at least one NR block past the last
 * channel. `round` (1 << (rsh - 1)) is given only where every rsh >= 1 and no shifted value can come near 2^31, so
 * the round-half-away shift is (x + round + (x < 0 ? -1 : 0)) >> rsh without overflow. */
typedef struct {
  const int32_t *bias; /* NULL: no bias */
  const int32_t *mult;
  const int32_t *lsh; /* NULL: no channel shifts left */
  const int32_t *rsh;
  const int32_t *mask;
  const int32_t *round; /* NULL: use mask */
  int per_col; /* channels are columns (Gemm, MatMul) rather than rows (Conv) */
  int32_t zy, lo, hi;
} edgec_qepi;

/* One accumulator through the epilogue: clamp(mbqm(acc + bias, m, shift) + zy) (the reference form the vector code
 * reproduces). */
EDGEC_INLINE int8_t edgec_q_out1(int32_t acc, const edgec_qepi *e, int ch) {
  const int32_t b = e->bias ? e->bias[ch] : 0, l = e->lsh ? e->lsh[ch] : 0;
  const int64_t v = (int64_t)edgec_mbqm((int32_t)((uint32_t)acc + (uint32_t)b), e->mult[ch], l - e->rsh[ch]) + e->zy;
  return (int8_t)(v < e->lo ? e->lo : v > e->hi ? e->hi : v);
}

#if defined(EDGEC_SIMD)
/* 16 int32 accumulators of channel ch (x0..x3 in order) through the epilogue with the vector vocabulary
 * (runtime-c/simd), exactly as edgec_q_out1: gemmlowp's doubling high multiply and rounding shift per lane, then the
 * zero point and the [lo, hi] clamp. */
EDGEC_INLINE edgec_vi8 edgec_q_requant16(edgec_vi32 x0, edgec_vi32 x1, edgec_vi32 x2, edgec_vi32 x3, const edgec_qepi *e,
                                         int ch) {
  const edgec_vi32 vb = edgec_vi32_splat(e->bias ? e->bias[ch] : 0), vm = edgec_vi32_splat(e->mult[ch]);
  const edgec_vi32 vr = edgec_vi32_splat(e->rsh[ch]);
  x0 = edgec_vi32_add(x0, vb); x1 = edgec_vi32_add(x1, vb); x2 = edgec_vi32_add(x2, vb); x3 = edgec_vi32_add(x3, vb);
  if (e->lsh) {
    const edgec_vi32 vl = edgec_vi32_splat(e->lsh[ch]);
    x0 = edgec_vi32_shl(x0, vl); x1 = edgec_vi32_shl(x1, vl); x2 = edgec_vi32_shl(x2, vl); x3 = edgec_vi32_shl(x3, vl);
  }
  x0 = edgec_vi32_rdivpot(edgec_vi32_srdhm(x0, vm), vr);
  x1 = edgec_vi32_rdivpot(edgec_vi32_srdhm(x1, vm), vr);
  x2 = edgec_vi32_rdivpot(edgec_vi32_srdhm(x2, vm), vr);
  x3 = edgec_vi32_rdivpot(edgec_vi32_srdhm(x3, vm), vr);
  return edgec_vi8_min(edgec_vi8_max(edgec_vi8_from_i32(x0, x1, x2, x3, e->zy), edgec_vi8_splat((int8_t)e->lo)),
                       edgec_vi8_splat((int8_t)e->hi));
}
#endif

#if defined(EDGEC_QAVX2)
/* acc + the int16 pair products a * b summed per int32 lane: one vpdpwssd where the ISA has it (AVX-VNNI, or AVX512-VNNI
 * with VL), else madd + add; both wrap modulo 2^32, so the integers are the same. */
EDGEC_INLINE __m256i edgec_q_dpwssd(__m256i acc, __m256i a, __m256i b) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpwssd_epi32(acc, a, b);
#elif defined(__AVXVNNI__)
  return _mm256_dpwssd_avx_epi32(acc, a, b);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
#endif
}

/* Broadcast one int16 pair (32 bits) to all lanes. */
EDGEC_INLINE __m256i edgec_q_bcast(const int16_t *p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return _mm256_set1_epi32(v);
}

/* Epilogue parameters of 8 lanes: 8 channels from ch (per column) or one channel broadcast (per row). */
typedef struct {
  __m256i bias, mult, mult_odd, lsh, rsh, mask, half, round;
} edgec_qepi8;

EDGEC_INLINE __m256i edgec_q_param8(const int32_t *p, int ch, int vec) {
  return vec ? _mm256_loadu_si256((const __m256i *)(const void *)(p + ch)) : _mm256_set1_epi32(p[ch]);
}

EDGEC_INLINE edgec_qepi8 edgec_qepi8_at(const edgec_qepi *e, int ch, int vec) {
  edgec_qepi8 p;
  p.bias = e->bias ? edgec_q_param8(e->bias, ch, vec) : _mm256_setzero_si256();
  p.mult = edgec_q_param8(e->mult, ch, vec);
  p.mult_odd = vec ? _mm256_srli_epi64(p.mult, 32) : p.mult; /* a broadcast has m in both halves of each qword */
  p.lsh = e->lsh ? edgec_q_param8(e->lsh, ch, vec) : _mm256_setzero_si256();
  p.rsh = edgec_q_param8(e->rsh, ch, vec);
  if (e->round) {
    p.round = edgec_q_param8(e->round, ch, vec);
    p.mask = p.half = _mm256_setzero_si256();
  } else {
    p.mask = edgec_q_param8(e->mask, ch, vec);
    p.half = _mm256_srai_epi32(p.mask, 1);
    p.round = _mm256_setzero_si256();
  }
  return p;
}

/* mbqm(acc + bias) on 8 lanes, exactly as edgec_mbqm: the doubling high multiply is (x * m + 2^30) >> 31 on 64-bit
 * products (equal to the nudged, truncated form for multipliers >= 0), then the rounding right shift. lsh: apply the
 * left shifts; fast: round with p->round (see edgec_qepi). Callers pass both as constants. */
EDGEC_INLINE __m256i edgec_q_requant8(__m256i acc, const edgec_qepi8 *p, int lsh, int fast) {
  const __m256i nudge = _mm256_set1_epi64x((int64_t)1 << 30);
  __m256i x = _mm256_add_epi32(acc, p->bias), ev, od, rem, thr;
  if (lsh) x = _mm256_sllv_epi32(x, p->lsh);
  ev = _mm256_add_epi64(_mm256_mul_epi32(x, p->mult), nudge);
  od = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), p->mult_odd), nudge);
  x = _mm256_blend_epi32(_mm256_srli_epi64(ev, 31), _mm256_slli_epi64(od, 1), 0xAA);
  if (fast) return _mm256_srav_epi32(_mm256_add_epi32(_mm256_add_epi32(x, p->round), _mm256_srai_epi32(x, 31)), p->rsh);
  rem = _mm256_and_si256(x, p->mask);
  thr = _mm256_sub_epi32(p->half, _mm256_srai_epi32(x, 31));
  return _mm256_sub_epi32(_mm256_srav_epi32(x, p->rsh), _mm256_cmpgt_epi32(rem, thr));
}

/* The output stage: zero point (added with int16 saturation), int8 saturation, and the [lo, hi] clamp when narrower. */
typedef struct {
  __m256i zy, lo, hi;
  int clamp;
} edgec_qout8;

EDGEC_INLINE edgec_qout8 edgec_qout8_of(const edgec_qepi *e) {
  edgec_qout8 o;
  o.zy = _mm256_set1_epi16((short)e->zy);
  o.lo = _mm256_set1_epi8((char)e->lo);
  o.hi = _mm256_set1_epi8((char)e->hi);
  o.clamp = e->lo > -128 || e->hi < 127;
  return o;
}

/* Two rows of 16 requantized int32 to 2 x 16 int8 at r0 and r1: clamp(v + zy, lo, hi) (saturating packs give the
 * int8 range exactly: a value beyond int16 stays beyond int8 after adding zy). */
EDGEC_INLINE void edgec_q_store2x16(__m256i a0, __m256i a1, __m256i b0, __m256i b1, const edgec_qout8 *o, int8_t *r0,
                                    int8_t *r1) {
  __m256i p = _mm256_packs_epi16(_mm256_adds_epi16(_mm256_packs_epi32(a0, a1), o->zy),
                                 _mm256_adds_epi16(_mm256_packs_epi32(b0, b1), o->zy));
  if (o->clamp) p = _mm256_min_epi8(_mm256_max_epi8(p, o->lo), o->hi);
  p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm_storeu_si128((__m128i *)(void *)r0, _mm256_castsi256_si128(p));
  _mm_storeu_si128((__m128i *)(void *)r1, _mm256_extracti128_si256(p, 1));
}
#endif

#include "qreq512.h"

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define EDGEC_NOINLINE __attribute__((noipa))
#elif defined(__GNUC__) && !defined(__clang__)
#define EDGEC_NOINLINE __attribute__((noinline, noclone))
#elif defined(__clang__)
#define EDGEC_NOINLINE __attribute__((noinline))
#else
#define EDGEC_NOINLINE
#endif

/* The MR x NR int32 tile t = sum_k A(i, k) B(k, j) over K2 k-pairs (a: one A panel, b: one B panel), rows of t ldt
 * apart. Kept out of line and opaque to interprocedural constant propagation: with a literal K2 gcc hoists the
 * broadcasts and spills accumulators; this way the twelve accumulators stay in registers for the whole loop. */
static EDGEC_UNUSED EDGEC_NOINLINE void edgec_qgemm_tile(int K2, const int16_t *EDGEC_RESTRICT a,
                                                         const int16_t *EDGEC_RESTRICT b, int32_t *EDGEC_RESTRICT t,
                                                         ptrdiff_t ldt) {
  int k;
#if defined(EDGEC_QAVX512)
  /* A panel k-pair of B (16 columns x 2) is one 64-byte register: six 16-lane accumulators, one per tile row. */
  __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 2
#endif
  for (k = 0; k < K2; k++) {
    const __m512i bv = _mm512_loadu_si512((const void *)b);
    c0 = edgec_q_dpwssd16(c0, edgec_q_bcast16(a), bv);
    c1 = edgec_q_dpwssd16(c1, edgec_q_bcast16(a + 2), bv);
    c2 = edgec_q_dpwssd16(c2, edgec_q_bcast16(a + 4), bv);
    c3 = edgec_q_dpwssd16(c3, edgec_q_bcast16(a + 6), bv);
    c4 = edgec_q_dpwssd16(c4, edgec_q_bcast16(a + 8), bv);
    c5 = edgec_q_dpwssd16(c5, edgec_q_bcast16(a + 10), bv);
    a += 2 * EDGEC_QGEMM_MR;
    b += 2 * EDGEC_QGEMM_NR;
  }
  _mm512_storeu_si512((void *)t, c0);
  _mm512_storeu_si512((void *)(t + ldt), c1);
  _mm512_storeu_si512((void *)(t + 2 * ldt), c2);
  _mm512_storeu_si512((void *)(t + 3 * ldt), c3);
  _mm512_storeu_si512((void *)(t + 4 * ldt), c4);
  _mm512_storeu_si512((void *)(t + 5 * ldt), c5);
#elif defined(EDGEC_QAVX2)
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256i c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 2
#endif
  for (k = 0; k < K2; k++) {
    const __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)b);
    const __m256i b1 = _mm256_loadu_si256((const __m256i *)(const void *)(b + 16));
    __m256i av;
    av = edgec_q_bcast(a);
    c00 = edgec_q_dpwssd(c00, av, b0); c01 = edgec_q_dpwssd(c01, av, b1);
    av = edgec_q_bcast(a + 2);
    c10 = edgec_q_dpwssd(c10, av, b0); c11 = edgec_q_dpwssd(c11, av, b1);
    av = edgec_q_bcast(a + 4);
    c20 = edgec_q_dpwssd(c20, av, b0); c21 = edgec_q_dpwssd(c21, av, b1);
    av = edgec_q_bcast(a + 6);
    c30 = edgec_q_dpwssd(c30, av, b0); c31 = edgec_q_dpwssd(c31, av, b1);
    av = edgec_q_bcast(a + 8);
    c40 = edgec_q_dpwssd(c40, av, b0); c41 = edgec_q_dpwssd(c41, av, b1);
    av = edgec_q_bcast(a + 10);
    c50 = edgec_q_dpwssd(c50, av, b0); c51 = edgec_q_dpwssd(c51, av, b1);
    a += 2 * EDGEC_QGEMM_MR;
    b += 2 * EDGEC_QGEMM_NR;
  }
#define EDGEC_Q_ST(r, x0, x1)                                                                                        \
  _mm256_storeu_si256((__m256i *)(void *)(t + (r) * ldt), x0);                                                        \
  _mm256_storeu_si256((__m256i *)(void *)(t + (r) * ldt + 8), x1)
  EDGEC_Q_ST(0, c00, c01); EDGEC_Q_ST(1, c10, c11); EDGEC_Q_ST(2, c20, c21);
  EDGEC_Q_ST(3, c30, c31); EDGEC_Q_ST(4, c40, c41); EDGEC_Q_ST(5, c50, c51);
#undef EDGEC_Q_ST
#elif EDGEC_QGEMM_VTILE
  /* Four passes of 6 rows x 4 columns, k-pairs unrolled by two: six accumulators, one B vector and the pair splats
   * (measured in V8 ~1.3x faster than 6 x 8 passes, whose 12 accumulators and 2 B vectors spill). */
  int h;
  for (h = 0; h < 4; h++) {
    const int16_t *EDGEC_RESTRICT ah = a, *EDGEC_RESTRICT bh = b + 8 * h;
    edgec_vi32 c0 = edgec_vi32_zero(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
#define EDGEC_Q_K(o)                                                                                                   \
  {                                                                                                                    \
    const edgec_vi16 bv = edgec_vi16_load(bh + 2 * EDGEC_QGEMM_NR * (o));                                              \
    const int16_t *ak = ah + 2 * EDGEC_QGEMM_MR * (o);                                                                 \
    c0 = edgec_vi32_dot2(c0, bv, edgec_vi16_splat2(ak)); c1 = edgec_vi32_dot2(c1, bv, edgec_vi16_splat2(ak + 2));      \
    c2 = edgec_vi32_dot2(c2, bv, edgec_vi16_splat2(ak + 4)); c3 = edgec_vi32_dot2(c3, bv, edgec_vi16_splat2(ak + 6));  \
    c4 = edgec_vi32_dot2(c4, bv, edgec_vi16_splat2(ak + 8)); c5 = edgec_vi32_dot2(c5, bv, edgec_vi16_splat2(ak + 10)); \
  }
    for (k = 0; k + 2 <= K2; k += 2) {
      EDGEC_Q_K(0)
      EDGEC_Q_K(1)
      ah += 4 * EDGEC_QGEMM_MR;
      bh += 4 * EDGEC_QGEMM_NR;
    }
    if (k < K2) EDGEC_Q_K(0)
#undef EDGEC_Q_K
    edgec_vi32_store(t + 4 * h, c0); edgec_vi32_store(t + ldt + 4 * h, c1); edgec_vi32_store(t + 2 * ldt + 4 * h, c2);
    edgec_vi32_store(t + 3 * ldt + 4 * h, c3); edgec_vi32_store(t + 4 * ldt + 4 * h, c4); edgec_vi32_store(t + 5 * ldt + 4 * h, c5);
  }
#else
  int i, j;
  for (i = 0; i < EDGEC_QGEMM_MR; i++)
    for (j = 0; j < EDGEC_QGEMM_NR; j++) t[i * ldt + j] = 0;
  for (k = 0; k < K2; k++) {
    for (i = 0; i < EDGEC_QGEMM_MR; i++) {
      const int32_t a0 = a[2 * i], a1 = a[2 * i + 1];
      int32_t *EDGEC_RESTRICT ti = t + i * ldt;
      for (j = 0; j < EDGEC_QGEMM_NR; j++) ti[j] += a0 * b[2 * j] + a1 * b[2 * j + 1];
    }
    a += 2 * EDGEC_QGEMM_MR;
    b += 2 * EDGEC_QGEMM_NR;
  }
#endif
}

#if defined(EDGEC_QAVX2)
/* edgec_qgemm_store with the channel direction, left shifts and rounding as constants (see edgec_q_requant8). */
EDGEC_INLINE void edgec_qgemm_store_v(const int32_t *EDGEC_RESTRICT t, int8_t *c, ptrdiff_t ldc, int mr, int nr,
                                      const edgec_qepi *e, int row0, int col0, int per_col, int lsh, int fast) {
  const edgec_qout8 out = edgec_qout8_of(e);
  int8_t tmp[EDGEC_QGEMM_MR * EDGEC_QGEMM_NR];
  const int full = nr == EDGEC_QGEMM_NR; /* whole rows go straight to c; only the first mr rows are requantized */
  int8_t *o = full ? c : tmp;
  const ptrdiff_t ld = full ? ldc : EDGEC_QGEMM_NR;
  int i;
#if defined(EDGEC_QAVX512)
  /* Two tile rows (16 int32 each) per store; the per-column parameters are one 16-lane load. */
  edgec_qepi16 r0 = edgec_qepi16_at(e, per_col ? col0 : row0, per_col), r1 = r0;
  for (i = 0; i < mr; i += 2) {
    if (!per_col) {
      r0 = edgec_qepi16_at(e, row0 + i, 0);
      r1 = edgec_qepi16_at(e, row0 + i + 1, 0);
    }
    {
      const __m512i v0 = edgec_q_requant16x(_mm512_loadu_si512((const void *)(t + i * EDGEC_QGEMM_NR)), &r0, lsh, fast);
      const __m512i v1 = edgec_q_requant16x(_mm512_loadu_si512((const void *)(t + (i + 1) * EDGEC_QGEMM_NR)), &r1, lsh, fast);
      int8_t b[32];
      if (full && i + 1 < mr) {
        const __m512i w = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtsepi32_epi16(v0)), _mm512_cvtsepi32_epi16(v1), 1);
        __m256i q = _mm512_cvtsepi16_epi8(_mm512_adds_epi16(w, _mm512_broadcast_i64x4(out.zy)));
        if (out.clamp) q = _mm256_min_epi8(_mm256_max_epi8(q, out.lo), out.hi);
        _mm_storeu_si128((__m128i *)(void *)(c + i * ldc), _mm256_castsi256_si128(q));
        _mm_storeu_si128((__m128i *)(void *)(c + (i + 1) * ldc), _mm256_extracti128_si256(q, 1));
        continue;
      }
      edgec_q_store32x(v0, v1, &out, b, 32);
      memcpy(c + i * ldc, b, (size_t)nr);
      if (i + 1 < mr) memcpy(c + (i + 1) * ldc, b + 16, (size_t)nr);
    }
  }
  (void)tmp; (void)o; (void)ld;
  return;
#else
  edgec_qepi8 p0 = edgec_qepi8_at(e, per_col ? col0 : row0, per_col);
  edgec_qepi8 p1 = per_col ? edgec_qepi8_at(e, col0 + 8, 1) : p0, q0 = p0, q1 = p1;
  for (i = 0; i < mr; i += 2) {
    const int32_t *r = t + i * EDGEC_QGEMM_NR;
    if (!per_col) {
      p0 = p1 = edgec_qepi8_at(e, row0 + i, 0);
      q0 = q1 = edgec_qepi8_at(e, row0 + i + 1, 0);
    }
    edgec_q_store2x16(edgec_q_requant8(_mm256_load_si256((const __m256i *)(const void *)r), &p0, lsh, fast),
                      edgec_q_requant8(_mm256_load_si256((const __m256i *)(const void *)(r + 8)), &p1, lsh, fast),
                      edgec_q_requant8(_mm256_load_si256((const __m256i *)(const void *)(r + 16)), &q0, lsh, fast),
                      edgec_q_requant8(_mm256_load_si256((const __m256i *)(const void *)(r + 24)), &q1, lsh, fast),
                      &out, o + i * ld, i + 1 < mr || !full ? o + (i + 1) * ld : tmp);
  }
  if (!full)
    for (i = 0; i < mr; i++) memcpy(c + i * ldc, tmp + i * EDGEC_QGEMM_NR, (size_t)nr);
#endif
}
#endif

/* Requantize an MR x NR int32 tile t into c (row stride ldc; the top-left mr x nr part), channel row0 + i (per row) or
 * col0 + j (per column). */
static EDGEC_UNUSED void edgec_qgemm_store(const int32_t *EDGEC_RESTRICT t, int8_t *c, ptrdiff_t ldc, int mr, int nr,
                                           const edgec_qepi *e, int row0, int col0) {
#if defined(EDGEC_QAVX2)
  if (e->lsh)
    edgec_qgemm_store_v(t, c, ldc, mr, nr, e, row0, col0, e->per_col, 1, e->round != NULL);
  else if (e->round)
    e->per_col ? edgec_qgemm_store_v(t, c, ldc, mr, nr, e, row0, col0, 1, 0, 1)
               : edgec_qgemm_store_v(t, c, ldc, mr, nr, e, row0, col0, 0, 0, 1);
  else
    e->per_col ? edgec_qgemm_store_v(t, c, ldc, mr, nr, e, row0, col0, 1, 0, 0)
               : edgec_qgemm_store_v(t, c, ldc, mr, nr, e, row0, col0, 0, 0, 0);
#else
  int i, j;
#if EDGEC_QGEMM_VTILE
  if (!e->per_col && nr == EDGEC_QGEMM_NR) { /* per row: 16 columns of one channel, requantized on the vocabulary */
    for (i = 0; i < mr; i++) {
      const int32_t *r = t + i * EDGEC_QGEMM_NR;
      edgec_vi8_store(c + i * ldc, edgec_q_requant16(edgec_vi32_load(r), edgec_vi32_load(r + 4), edgec_vi32_load(r + 8),
                                                     edgec_vi32_load(r + 12), e, row0 + i));
    }
    return;
  }
#endif
  for (i = 0; i < mr; i++)
    for (j = 0; j < nr; j++) c[i * ldc + j] = edgec_q_out1(t[i * EDGEC_QGEMM_NR + j], e, e->per_col ? col0 + j : row0 + i);
#endif
}

/* Micro-kernel: the MR x NR tile over K2 k-pairs, requantized into c (row stride ldc) with epilogue e, or with c32
 * stored raw as int32 into c32 (row stride ldc). Only the top-left mr x nr part is written. */
EDGEC_INLINE void edgec_qgemm_ukr(int K2, const int16_t *a, const int16_t *b, int8_t *c, int32_t *c32, ptrdiff_t ldc,
                                  int mr, int nr, const edgec_qepi *e, int row0, int col0) {
  int32_t t[EDGEC_QGEMM_MR * EDGEC_QGEMM_NR] EDGEC_ALIGNED(32);
  int i, j;
  if (c32 && mr == EDGEC_QGEMM_MR && nr == EDGEC_QGEMM_NR) {
    edgec_qgemm_tile(K2, a, b, c32, ldc);
    return;
  }
  edgec_qgemm_tile(K2, a, b, t, EDGEC_QGEMM_NR);
  if (!c32) {
    edgec_qgemm_store(t, c, ldc, mr, nr, e, row0, col0);
    return;
  }
  for (i = 0; i < mr; i++)
    for (j = 0; j < nr; j++) c32[i * ldc + j] = t[i * EDGEC_QGEMM_NR + j];
}

/* Pack rows [0, m) x k-columns [0, K) of an int8 matrix (element (i, k) at a[i*rs + k*cs]) minus zp into A panels. */
static EDGEC_UNUSED void edgec_qpack_a(int m, int K, const int8_t *EDGEC_RESTRICT a, ptrdiff_t rs, ptrdiff_t cs, int zp,
                                       int16_t *EDGEC_RESTRICT out) {
  const int K2 = (K + 1) / 2;
  int i0, i, k;
  for (i0 = 0; i0 < m; i0 += EDGEC_QGEMM_MR) {
    const int mr = m - i0 < EDGEC_QGEMM_MR ? m - i0 : EDGEC_QGEMM_MR;
    for (i = 0; i < EDGEC_QGEMM_MR; i++) {
      const int8_t *ai = a + (ptrdiff_t)(i0 + i) * rs;
      int16_t *EDGEC_RESTRICT o = out + 2 * i;
      if (i >= mr) {
        for (k = 0; k < K2; k++) o[2 * EDGEC_QGEMM_MR * k] = o[2 * EDGEC_QGEMM_MR * k + 1] = 0;
        continue;
      }
      for (k = 0; k < K; k++) o[2 * EDGEC_QGEMM_MR * (k / 2) + k % 2] = (int16_t)(ai[(ptrdiff_t)k * cs] - zp);
      if (K % 2) o[2 * EDGEC_QGEMM_MR * (K2 - 1) + 1] = 0;
    }
    out += (ptrdiff_t)2 * EDGEC_QGEMM_MR * K2;
  }
}

/* Pack k-rows [0, K) x columns [0, n) of an int8 matrix (element (k, j) at b[k*rs + j*cs]) minus zp into B panels. */
static EDGEC_UNUSED void edgec_qpack_b(int K, int n, const int8_t *EDGEC_RESTRICT b, ptrdiff_t rs, ptrdiff_t cs, int zp,
                                       int16_t *EDGEC_RESTRICT out) {
  const int K2 = (K + 1) / 2;
  int j0, j, k;
  for (j0 = 0; j0 < n; j0 += EDGEC_QGEMM_NR) {
    const int nr = n - j0 < EDGEC_QGEMM_NR ? n - j0 : EDGEC_QGEMM_NR;
    for (k = 0; k < K2; k++) {
      int16_t *EDGEC_RESTRICT o = out + (ptrdiff_t)2 * EDGEC_QGEMM_NR * k;
      const int8_t *r0 = b + (ptrdiff_t)(2 * k) * rs + (ptrdiff_t)j0 * cs;
      const int8_t *r1 = 2 * k + 1 < K ? r0 + rs : NULL;
#if defined(EDGEC_QAVX2)
      if (cs == 1 && nr == EDGEC_QGEMM_NR) {
        const __m128i x0 = _mm_loadu_si128((const __m128i *)(const void *)r0);
        const __m128i x1 = r1 ? _mm_loadu_si128((const __m128i *)(const void *)r1) : _mm_set1_epi8((char)zp);
        const __m256i z = _mm256_set1_epi16((short)zp);
        _mm256_storeu_si256((__m256i *)(void *)o, _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x0, x1)), z));
        _mm256_storeu_si256((__m256i *)(void *)(o + 16),
                            _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_unpackhi_epi8(x0, x1)), z));
        continue;
      }
#endif
      for (j = 0; j < nr; j++) {
        o[2 * j] = (int16_t)(r0[(ptrdiff_t)j * cs] - zp);
        o[2 * j + 1] = (int16_t)(r1 ? r1[(ptrdiff_t)j * cs] - zp : 0);
      }
      for (; j < EDGEC_QGEMM_NR; j++) o[2 * j] = o[2 * j + 1] = 0;
    }
    out += (ptrdiff_t)2 * EDGEC_QGEMM_NR * K2;
  }
}

/* Int16 elements of packed A for m x K (whole 64-byte lines). */
#define EDGEC_QPACK_A(m, K) \
  (((ptrdiff_t)(((m) + EDGEC_QGEMM_MR - 1) / EDGEC_QGEMM_MR) * EDGEC_QGEMM_MR * (((K) + 1) / 2) * 2 + 31) / 32 * 32)
/* Int16 elements of packed B for K x n (whole 64-byte lines). */
#define EDGEC_QPACK_B(K, n) \
  (((ptrdiff_t)(((n) + EDGEC_QGEMM_NR - 1) / EDGEC_QGEMM_NR) * EDGEC_QGEMM_NR * (((K) + 1) / 2) * 2 + 31) / 32 * 32)

/* C[M][N] (row stride ldc) from packed A (panel i at ap + i * aps) and packed B (panel j at bp + j * bps) over K2
 * k-pairs: requantized int8 into c with epilogue e (channel offsets row0 / col0), or raw int32 into c32 when given.
 * Rows go in blocks of MC (a multiple of MR) whose A panels stay in L2; within a block each B panel is loaded into L1
 * once and reused by every A panel. */
static EDGEC_UNUSED void edgec_qgemm(int M, int N, int K2, const int16_t *ap, ptrdiff_t aps, const int16_t *bp,
                                     ptrdiff_t bps, int8_t *c, int32_t *c32, ptrdiff_t ldc, const edgec_qepi *e,
                                     int row0, int col0, int MC) {
  int m0, i, j;
  for (m0 = 0; m0 < M; m0 += MC) {
    const int m1 = M - m0 < MC ? M : m0 + MC;
    for (j = 0; j < N; j += EDGEC_QGEMM_NR) {
      const int nr = N - j < EDGEC_QGEMM_NR ? N - j : EDGEC_QGEMM_NR;
      const int16_t *b = bp + (ptrdiff_t)(j / EDGEC_QGEMM_NR) * bps;
      for (i = m0; i < m1; i += EDGEC_QGEMM_MR) {
        const int mr = m1 - i < EDGEC_QGEMM_MR ? m1 - i : EDGEC_QGEMM_MR;
        const ptrdiff_t off = (ptrdiff_t)i * ldc + j;
        edgec_qgemm_ukr(K2, ap + (ptrdiff_t)(i / EDGEC_QGEMM_MR) * aps, b, c32 ? NULL : c + off, c32 ? c32 + off : NULL,
                        ldc, mr, nr, e, row0 + i, col0 + j);
      }
    }
  }
}

/* Int16 elements of the widening buffer edgec_qgemm_w8 needs for MC rows over K2 k-pairs. */
#define EDGEC_QGEMM_W8_BUF(MC, K2) ((ptrdiff_t)(((MC) + EDGEC_QGEMM_MR - 1) / EDGEC_QGEMM_MR) * 2 * EDGEC_QGEMM_MR * (K2))

/* edgec_qgemm with A stored as raw int8 panels (the weights' flash bytes; padding holds the zero point zw), widened
 * to int16 minus zw one block of MC rows at a time into aw (EDGEC_QGEMM_W8_BUF(MC, K2) elements). */
static EDGEC_UNUSED void edgec_qgemm_w8(int M, int N, int K2, const int8_t *ap8, ptrdiff_t aps, const int16_t *bp,
                                        ptrdiff_t bps, int8_t *c, int32_t *c32, ptrdiff_t ldc, const edgec_qepi *e,
                                        int row0, int col0, int MC, int16_t *EDGEC_RESTRICT aw, int zw) {
  int m0;
  for (m0 = 0; m0 < M; m0 += MC) {
    const int rows = M - m0 < MC ? M - m0 : MC;
    const ptrdiff_t n = (ptrdiff_t)((rows + EDGEC_QGEMM_MR - 1) / EDGEC_QGEMM_MR) * aps;
    const int8_t *EDGEC_RESTRICT src = ap8 + (ptrdiff_t)(m0 / EDGEC_QGEMM_MR) * aps;
    ptrdiff_t i;
    for (i = 0; i < n; i++) aw[i] = (int16_t)(src[i] - zw);
    edgec_qgemm(rows, N, K2, aw, aps, bp, bps, c ? c + (ptrdiff_t)m0 * ldc : NULL, c32 ? c32 + (ptrdiff_t)m0 * ldc : NULL,
                ldc, e, row0 + m0, col0, MC);
  }
}

/* Columns per block of edgec_qgemm_b8 (a multiple of NR) and the int16 elements of its widening buffer. */
#define EDGEC_QGEMM_B8_NC 256
#define EDGEC_QGEMM_B8_BUF(K2) ((ptrdiff_t)2 * EDGEC_QGEMM_B8_NC * (K2))

/* edgec_qgemm with B stored as raw int8 panels (constant weights of Gemm/MatMul; padding holds zw), widened to int16
 * minus zw EDGEC_QGEMM_B8_NC columns at a time into bw (EDGEC_QGEMM_B8_BUF(K2) elements). */
static EDGEC_UNUSED void edgec_qgemm_b8(int M, int N, int K2, const int16_t *ap, ptrdiff_t aps, const int8_t *bp8,
                                        ptrdiff_t bps, int8_t *c, int32_t *c32, ptrdiff_t ldc, const edgec_qepi *e,
                                        int row0, int col0, int MC, int16_t *EDGEC_RESTRICT bw, int zw) {
  int j0;
  for (j0 = 0; j0 < N; j0 += EDGEC_QGEMM_B8_NC) {
    const int cols = N - j0 < EDGEC_QGEMM_B8_NC ? N - j0 : EDGEC_QGEMM_B8_NC;
    const ptrdiff_t n = (ptrdiff_t)((cols + EDGEC_QGEMM_NR - 1) / EDGEC_QGEMM_NR) * bps;
    const int8_t *EDGEC_RESTRICT src = bp8 + (ptrdiff_t)(j0 / EDGEC_QGEMM_NR) * bps;
    ptrdiff_t i;
    for (i = 0; i < n; i++) bw[i] = (int16_t)(src[i] - zw);
    edgec_qgemm(M, cols, K2, ap, aps, bw, bps, c ? c + j0 : NULL, c32 ? c32 + j0 : NULL, ldc, e, row0, col0 + j0, MC);
  }
}

#endif
