/* edgec int8 requantization on 16 int32 lanes with AVX-512 (F, BW, VL): the arithmetic of edgec_q_requant8
 * (kernels/qgemm.h) lane for lane, in half the instructions, and the int8 output stage with saturating narrowing moves
 * (the same values as the saturating packs of edgec_q_store2x16). Included by kernels/qgemm.h. C99, no malloc, no globals. */
#ifndef EDGEC_KERNEL_QREQ512_H
#define EDGEC_KERNEL_QREQ512_H

#if defined(EDGEC_QAVX2) && defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define EDGEC_QAVX512 1

/* acc + the int16 pair products a * b per int32 lane on 16 lanes (vpdpwssd with AVX512-VNNI, else madd + add). */
EDGEC_INLINE __m512i edgec_q_dpwssd16(__m512i acc, __m512i a, __m512i b) {
#if defined(__AVX512VNNI__)
  return _mm512_dpwssd_epi32(acc, a, b);
#else
  return _mm512_add_epi32(acc, _mm512_madd_epi16(a, b));
#endif
}

/* One int16 pair (32 bits) in all 16 lanes. */
EDGEC_INLINE __m512i edgec_q_bcast16(const int16_t *p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return _mm512_set1_epi32(v);
}

/* Epilogue parameters of 16 lanes (see edgec_qepi8). */
typedef struct {
  __m512i bias, mult, mult_odd, lsh, rsh, mask, half, round;
} edgec_qepi16;

/* 16 lanes of parameters: 16 channels from ch (vec) or one channel broadcast. */
EDGEC_INLINE __m512i edgec_q_param16(const int32_t *p, int ch, int vec) {
  return vec ? _mm512_loadu_si512((const void *)(p + ch)) : _mm512_set1_epi32(p[ch]);
}

EDGEC_INLINE edgec_qepi16 edgec_qepi16_at(const edgec_qepi *e, int ch, int vec) {
  edgec_qepi16 p;
  p.bias = e->bias ? edgec_q_param16(e->bias, ch, vec) : _mm512_setzero_si512();
  p.mult = edgec_q_param16(e->mult, ch, vec);
  p.mult_odd = vec ? _mm512_srli_epi64(p.mult, 32) : p.mult;
  p.lsh = e->lsh ? edgec_q_param16(e->lsh, ch, vec) : _mm512_setzero_si512();
  p.rsh = edgec_q_param16(e->rsh, ch, vec);
  if (e->round) {
    p.round = edgec_q_param16(e->round, ch, vec);
    p.mask = p.half = _mm512_setzero_si512();
  } else {
    p.mask = edgec_q_param16(e->mask, ch, vec);
    p.half = _mm512_srai_epi32(p.mask, 1);
    p.round = _mm512_setzero_si512();
  }
  return p;
}

/* Broadcast 8-lane parameters (every lane the same channel) widened to 16 lanes. */
EDGEC_INLINE edgec_qepi16 edgec_qepi16_of8(const edgec_qepi8 *q) {
  edgec_qepi16 p;
  p.bias = _mm512_broadcast_i64x4(q->bias);
  p.mult = _mm512_broadcast_i64x4(q->mult);
  p.mult_odd = _mm512_broadcast_i64x4(q->mult_odd);
  p.lsh = _mm512_broadcast_i64x4(q->lsh);
  p.rsh = _mm512_broadcast_i64x4(q->rsh);
  p.mask = _mm512_broadcast_i64x4(q->mask);
  p.half = _mm512_broadcast_i64x4(q->half);
  p.round = _mm512_broadcast_i64x4(q->round);
  return p;
}

/* edgec_q_requant8 on 16 lanes. */
EDGEC_INLINE __m512i edgec_q_requant16x(__m512i acc, const edgec_qepi16 *p, int lsh, int fast) {
  const __m512i nudge = _mm512_set1_epi64((int64_t)1 << 30);
  __m512i x = _mm512_add_epi32(acc, p->bias), ev, od, rem, thr, s;
  if (lsh) x = _mm512_sllv_epi32(x, p->lsh);
  ev = _mm512_add_epi64(_mm512_mul_epi32(x, p->mult), nudge);
  od = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), p->mult_odd), nudge);
  x = _mm512_mask_blend_epi32((__mmask16)0xAAAA, _mm512_srli_epi64(ev, 31), _mm512_slli_epi64(od, 1));
  if (fast) return _mm512_srav_epi32(_mm512_add_epi32(_mm512_add_epi32(x, p->round), _mm512_srai_epi32(x, 31)), p->rsh);
  rem = _mm512_and_si512(x, p->mask);
  thr = _mm512_sub_epi32(p->half, _mm512_srai_epi32(x, 31));
  s = _mm512_srav_epi32(x, p->rsh);
  return _mm512_mask_sub_epi32(s, _mm512_cmpgt_epi32_mask(rem, thr), s, _mm512_set1_epi32(-1));
}

/* 32 requantized int32 (a: lanes 0-15, b: 16-31) to 32 int8 at y, the first n of them (n <= 32): int16 saturation,
 * zero point added with int16 saturation, int8 saturation, then the [lo, hi] clamp when narrower. */
EDGEC_INLINE void edgec_q_store32x(__m512i a, __m512i b, const edgec_qout8 *o, int8_t *y, ptrdiff_t n) {
  const __m512i w = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtsepi32_epi16(a)), _mm512_cvtsepi32_epi16(b), 1);
  __m256i r = _mm512_cvtsepi16_epi8(_mm512_adds_epi16(w, _mm512_broadcast_i64x4(o->zy)));
  if (o->clamp) r = _mm256_min_epi8(_mm256_max_epi8(r, o->lo), o->hi);
  if (n >= 32)
    _mm256_storeu_si256((__m256i *)(void *)y, r);
  else
    _mm256_mask_storeu_epi8((void *)y, ((__mmask32)1 << n) - 1, r);
}
#endif

#endif
