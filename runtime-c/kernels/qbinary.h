/* edgec int8 Mul by one factor per row (a squeeze-excitation gate) and same-shape int8 Add, for the host C target:
 * TFLite's reference integer arithmetic (as the loops in src/backends/c/lower/qelementwise.ts emit it), 32 elements
 * at a time with AVX2 (the requantization of kernels/qgemm.h), plain C99 elsewhere. No malloc, no globals. */
#ifndef EDGEC_KERNEL_QBINARY_H
#define EDGEC_KERNEL_QBINARY_H

#include "qelementwise.h"
#include "qgemm.h"

#if defined(EDGEC_QAVX2)
/* Broadcast requantization parameters of one multiplier and signed shift (see edgec_q_requant8); `bias` is added first. */
EDGEC_INLINE edgec_qepi8 edgec_qbin_param8(int32_t bias, int32_t m, int shift) {
  edgec_qepi8 p;
  const int rs = shift < 0 ? -shift : 0;
  p.bias = _mm256_set1_epi32(bias);
  p.mult = p.mult_odd = _mm256_set1_epi32(m);
  p.lsh = _mm256_set1_epi32(shift > 0 ? shift : 0);
  p.rsh = _mm256_set1_epi32(rs);
  p.mask = _mm256_set1_epi32((int32_t)(((int64_t)1 << rs) - 1));
  p.half = _mm256_srai_epi32(p.mask, 1);
  p.round = _mm256_setzero_si256();
  return p;
}

/* The output stage of zero point zy and clamp [lo, hi]. */
EDGEC_INLINE edgec_qout8 edgec_qbin_out8(int32_t zy, int32_t lo, int32_t hi) {
  edgec_qout8 o;
  o.zy = _mm256_set1_epi16((short)zy);
  o.lo = _mm256_set1_epi8((char)lo);
  o.hi = _mm256_set1_epi8((char)hi);
  o.clamp = lo > -128 || hi < 127;
  return o;
}

/* Int8 lanes 8k..8k+7 of 32 bytes as int32. */
EDGEC_INLINE __m256i edgec_qbin_widen(const int8_t *p, int k) {
  return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(p + 8 * k)));
}

#if defined(EDGEC_QAVX512)
/* 16 int8 at p as int32. */
EDGEC_INLINE __m512i edgec_qbin_widen16(const int8_t *p) {
  return _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
}
#endif
#endif

/* y[r][i] = clamp(mbqm((a[r][i] - za) * (b[r] - zb), m, shift) + zy, lo, hi) over `rows` rows of n elements. */
static EDGEC_UNUSED void edgec_qmul_rows(const int8_t *EDGEC_RESTRICT a, const int8_t *EDGEC_RESTRICT b, int8_t *EDGEC_RESTRICT y,
                                         ptrdiff_t rows, ptrdiff_t n, int32_t za, int32_t zb, int32_t m, int shift, int32_t zy,
                                         int32_t lo, int32_t hi) {
  ptrdiff_t r, i;
  for (r = 0; r < rows; r++) {
    const int32_t g = (int32_t)b[r] - zb;
    const int8_t *ar = a + r * n;
    int8_t *yr = y + r * n;
    i = 0;
#if defined(EDGEC_QAVX2)
    {
      /* (a - za) * g as a * g plus the bias -za * g. */
      const edgec_qepi8 p = edgec_qbin_param8(-za * g, m, shift);
      const edgec_qout8 o = edgec_qbin_out8(zy, lo, hi);
      const __m256i vg = _mm256_set1_epi32(g);
      __m256i v[4];
      int k;
#if defined(EDGEC_QAVX512)
      const edgec_qepi16 p16 = edgec_qepi16_of8(&p);
      const __m512i vg16 = _mm512_set1_epi32(g);
      for (; i + 32 <= n; i += 32)
        edgec_q_store32x(edgec_q_requant16x(_mm512_mullo_epi32(edgec_qbin_widen16(ar + i), vg16), &p16, 1, 0),
                         edgec_q_requant16x(_mm512_mullo_epi32(edgec_qbin_widen16(ar + i + 16), vg16), &p16, 1, 0), &o, yr + i, 32);
#endif
      for (; i + 32 <= n; i += 32) {
        for (k = 0; k < 4; k++) v[k] = edgec_q_requant8(_mm256_mullo_epi32(edgec_qbin_widen(ar + i, k), vg), &p, 1, 0);
        edgec_q_store2x16(v[0], v[1], v[2], v[3], &o, yr + i, yr + i + 16);
      }
    }
#endif
    for (; i < n; i++) yr[i] = (int8_t)edgec_clampi(edgec_mbqm(((int32_t)ar[i] - za) * g, m, shift) + zy, lo, hi);
  }
}

/* TFLite int8 Add of two same-shape tensors: each input minus its zero point, shifted left by 20 and scaled by m1/m2
 * (shifts <= 0), summed, then scaled by mo and offset by zy, clamped to [lo, hi]. */
static EDGEC_UNUSED void edgec_qadd_s8(const int8_t *EDGEC_RESTRICT a, const int8_t *EDGEC_RESTRICT b, int8_t *EDGEC_RESTRICT y, ptrdiff_t n,
                                       int32_t za, int32_t m1, int s1, int32_t zb, int32_t m2, int s2, int32_t mo, int so, int32_t zy,
                                       int32_t lo, int32_t hi) {
  ptrdiff_t i = 0;
#if defined(EDGEC_QAVX2)
  {
    const edgec_qepi8 p1 = edgec_qbin_param8(0, m1, s1), p2 = edgec_qbin_param8(0, m2, s2), po = edgec_qbin_param8(0, mo, so);
    const edgec_qout8 o = edgec_qbin_out8(zy, lo, hi);
    const __m256i vza = _mm256_set1_epi32(za), vzb = _mm256_set1_epi32(zb);
    __m256i v[4];
    int k;
#if defined(EDGEC_QAVX512)
    const edgec_qepi16 q1 = edgec_qepi16_of8(&p1), q2 = edgec_qepi16_of8(&p2), qo = edgec_qepi16_of8(&po);
    const __m512i wza = _mm512_set1_epi32(za), wzb = _mm512_set1_epi32(zb);
    __m512i u[2];
    for (; i + 32 <= n; i += 32) {
      for (k = 0; k < 2; k++) {
        const __m512i x1 = edgec_q_requant16x(_mm512_slli_epi32(_mm512_sub_epi32(edgec_qbin_widen16(a + i + 16 * k), wza), 20), &q1, 0, 0);
        const __m512i x2 = edgec_q_requant16x(_mm512_slli_epi32(_mm512_sub_epi32(edgec_qbin_widen16(b + i + 16 * k), wzb), 20), &q2, 0, 0);
        u[k] = edgec_q_requant16x(_mm512_add_epi32(x1, x2), &qo, 1, 0);
      }
      edgec_q_store32x(u[0], u[1], &o, y + i, 32);
    }
#endif
    for (; i + 32 <= n; i += 32) {
      for (k = 0; k < 4; k++) {
        const __m256i x1 = edgec_q_requant8(_mm256_slli_epi32(_mm256_sub_epi32(edgec_qbin_widen(a + i, k), vza), 20), &p1, 0, 0);
        const __m256i x2 = edgec_q_requant8(_mm256_slli_epi32(_mm256_sub_epi32(edgec_qbin_widen(b + i, k), vzb), 20), &p2, 0, 0);
        v[k] = edgec_q_requant8(_mm256_add_epi32(x1, x2), &po, 1, 0);
      }
      edgec_q_store2x16(v[0], v[1], v[2], v[3], &o, y + i, y + i + 16);
    }
  }
#endif
  for (; i < n; i++) {
    const int32_t x1 = edgec_mbqm_lt1(((int32_t)a[i] - za) * (1 << 20), m1, s1);
    const int32_t x2 = edgec_mbqm_lt1(((int32_t)b[i] - zb) * (1 << 20), m2, s2);
    y[i] = (int8_t)edgec_clampi(edgec_mbqm(x1 + x2, mo, so) + zy, lo, hi);
  }
}

#endif
