/* edgec int8 elementwise kernels on the vector vocabulary (runtime-c/simd): TFLite's int8 Add/Sub, Mul and the plain
 * requantization of Relu/Clip/Requantize, 16 lanes at a time and bit-exact with the scalar forms in qelementwise.h
 * (the tails use them). Operands broadcast over an [outer, inner] loop: element (o, i) of an operand is at
 * p[o * so + i * si] with si 1 (a full row) or 0 (one value per row, computed once and splatted). */
#ifndef EDGEC_KERNEL_VQELEMENTWISE_H
#define EDGEC_KERNEL_VQELEMENTWISE_H

#include "qelementwise.h"

#if !defined(EDGEC_SIMD)
#error "vqelementwise.h needs a vector vocabulary (runtime-c/simd); the emitter includes one for targets that name it"
#endif

/* One operand of the [outer, inner] loop. */
typedef struct {
  const int8_t *p;
  ptrdiff_t so;
  int si;
} edgec_qrow;

/* TFLite MultiplyByQuantizedMultiplier (edgec_mbqm) with its constants splatted; shl/rsh: whether the left shift and
 * the rounding right shift are nonzero (the kernels' loops are unswitched on them). */
typedef struct {
  edgec_vi32 m, l, r;
  int shl, rsh;
} edgec_vqm;

EDGEC_INLINE edgec_vqm edgec_vqm_of(int32_t m, int shift) {
  edgec_vqm q;
  q.m = edgec_vi32_splat(m);
  q.l = edgec_vi32_splat(shift > 0 ? shift : 0);
  q.r = edgec_vi32_splat(shift > 0 ? 0 : -shift);
  q.shl = shift > 0;
  q.rsh = shift < 0;
  return q;
}

/* edgec_mbqm on 4 lanes (the doubling high product is never INT32_MIN, so the short rounding shift applies). */
EDGEC_INLINE edgec_vi32 edgec_vqm_apply(edgec_vi32 x, const edgec_vqm *q) {
  if (q->shl) x = edgec_vi32_shl(x, q->l);
  x = edgec_vi32_srdhm(x, q->m);
  return q->rsh ? edgec_vi32_rdivpot_pos(x, q->r) : x;
}

/* 16 int8 lanes at p minus zero point z as four int32 vectors. */
EDGEC_INLINE void edgec_vq_centred(const int8_t *p, edgec_vi32 z, edgec_vi32 x[4]) {
  int v;
  edgec_vi8_widen4(edgec_vi8_load(p), x);
  for (v = 0; v < 4; v++) x[v] = edgec_vi32_sub(x[v], z);
}

/* Four int32 vectors (16 lanes) to int8 at y: clamp(r + zy, lo, hi). */
EDGEC_INLINE void edgec_vq_store(int8_t *y, const edgec_vi32 r[4], int32_t zy, edgec_vi8 lo, edgec_vi8 hi) {
  edgec_vi8_store(y, edgec_vi8_min(edgec_vi8_max(edgec_vi8_from_i32(r[0], r[1], r[2], r[3], zy), lo), hi));
}

/* Parameters of int8 Add/Sub (src/quant/kernels.ts addParams): inputs centred, shifted left by `left` and scaled by
 * (m1, s1) / (m2, s2) (MultiplyByQuantizedMultiplierSmallerThanOneExp), summed (sub: differenced), requantized by
 * (mo, so), plus zy, clamped to [lo, hi]. */
typedef struct {
  int32_t z1, z2, zy, lo, hi;
  int left;
  int32_t m1, m2, mo;
  int s1, s2, so, sub;
} edgec_qadd;

/* The scaled input of Add/Sub for one value (the reference form). */
EDGEC_INLINE int32_t edgec_qadd_in(int32_t x, int32_t z, int left, int32_t m, int s) {
  return edgec_mbqm_lt1((x - z) * (1 << left), m, s);
}

/* edgec_qadd_in on 4 centred lanes: mbqm_lt1(x << left, q). With EDGEC_QADD_NARROW and left in [10, 23] (centred
 * int8 lanes are within +-255), the doubling high product of the shifted lanes is edgec_vi32_srdhm_shl_narrow's
 * 32-bit form from the split multiplier (mh, ml). */
typedef struct {
  edgec_vqm q;
  edgec_vi32 sh, mh, ml;
  int narrow, k;
} edgec_vqadd_in;

EDGEC_INLINE edgec_vqadd_in edgec_vqadd_in_of(int left, int32_t m, int s) {
  edgec_vqadd_in a;
  a.q = edgec_vqm_of(m, s);
  a.sh = edgec_vi32_splat(left);
  a.k = 31 - left;
#if defined(EDGEC_QADD_NARROW) && EDGEC_QADD_NARROW
  a.narrow = left >= 10 && left <= 23 && s <= 0;
#else
  a.narrow = 0;
#endif
  a.mh = edgec_vi32_splat(a.narrow ? m >> a.k : 0);
  a.ml = edgec_vi32_splat(a.narrow ? (int32_t)(m & (((int32_t)1 << a.k) - 1)) : 0);
  return a;
}

EDGEC_INLINE edgec_vi32 edgec_vqadd_in_apply(edgec_vi32 x, const edgec_vqadd_in *a) {
#if defined(EDGEC_QADD_NARROW) && EDGEC_QADD_NARROW
  if (a->narrow) {
    x = edgec_vi32_srdhm_shl_narrow(x, a->mh, a->ml, a->k);
    return a->q.rsh ? edgec_vi32_rdivpot_pos(x, a->q.r) : x;
  }
#endif
  return edgec_vqm_apply(edgec_vi32_shl(x, a->sh), &a->q);
}

/* y[o][i] = Add/Sub(a[o][i], b[o][i]) for outer x inner values (y dense; a or b may be y itself). */
static EDGEC_UNUSED void edgec_vq_add_s8(edgec_qrow a, edgec_qrow b, int8_t *y, ptrdiff_t outer, ptrdiff_t inner,
                                         const edgec_qadd *p) {
  const edgec_vqadd_in q1 = edgec_vqadd_in_of(p->left, p->m1, p->s1), q2 = edgec_vqadd_in_of(p->left, p->m2, p->s2);
  const edgec_vqm qo = edgec_vqm_of(p->mo, p->so);
  const edgec_vi32 z1 = edgec_vi32_splat(p->z1), z2 = edgec_vi32_splat(p->z2);
  const edgec_vi8 lo = edgec_vi8_splat((int8_t)p->lo), hi = edgec_vi8_splat((int8_t)p->hi);
  ptrdiff_t o, i;
  int v;
  for (o = 0; o < outer; o++) {
    const int8_t *pa = a.p + o * a.so, *pb = b.p + o * b.so;
    int8_t *yo = y + o * inner;
    const int32_t ra = a.si ? 0 : edgec_qadd_in(pa[0], p->z1, p->left, p->m1, p->s1);
    const int32_t rb = b.si ? 0 : edgec_qadd_in(pb[0], p->z2, p->left, p->m2, p->s2);
    for (i = 0; i + 16 <= inner; i += 16) {
      edgec_vi32 x1[4], x2[4];
      if (a.si) {
        edgec_vq_centred(pa + i, z1, x1);
        for (v = 0; v < 4; v++) x1[v] = edgec_vqadd_in_apply(x1[v], &q1);
      } else {
        for (v = 0; v < 4; v++) x1[v] = edgec_vi32_splat(ra);
      }
      if (b.si) {
        edgec_vq_centred(pb + i, z2, x2);
        for (v = 0; v < 4; v++) x2[v] = edgec_vqadd_in_apply(x2[v], &q2);
      } else {
        for (v = 0; v < 4; v++) x2[v] = edgec_vi32_splat(rb);
      }
      for (v = 0; v < 4; v++) x1[v] = edgec_vqm_apply(p->sub ? edgec_vi32_sub(x1[v], x2[v]) : edgec_vi32_add(x1[v], x2[v]), &qo);
      edgec_vq_store(yo + i, x1, p->zy, lo, hi);
    }
    for (; i < inner; i++) {
      const int32_t s1 = a.si ? edgec_qadd_in(pa[i], p->z1, p->left, p->m1, p->s1) : ra;
      const int32_t s2 = b.si ? edgec_qadd_in(pb[i], p->z2, p->left, p->m2, p->s2) : rb;
      yo[i] = (int8_t)edgec_clampi(edgec_mbqm(p->sub ? s1 - s2 : s1 + s2, p->mo, p->so) + p->zy, p->lo, p->hi);
    }
  }
}

/* y[o][i] = clamp(mbqm((a - z1)(b - z2), m, s) + zy, lo, hi): TFLite's int8 Mul, for outer x inner values. */
static EDGEC_UNUSED void edgec_vq_mul_s8(edgec_qrow a, edgec_qrow b, int8_t *y, ptrdiff_t outer, ptrdiff_t inner,
                                         int32_t z1, int32_t z2, int32_t m, int s, int32_t zy, int32_t lo, int32_t hi) {
  const edgec_vqm q = edgec_vqm_of(m, s);
  const edgec_vi32 vz1 = edgec_vi32_splat(z1), vz2 = edgec_vi32_splat(z2);
  const edgec_vi8 vlo = edgec_vi8_splat((int8_t)lo), vhi = edgec_vi8_splat((int8_t)hi);
  ptrdiff_t o, i;
  int v;
  for (o = 0; o < outer; o++) {
    const int8_t *pa = a.p + o * a.so, *pb = b.p + o * b.so;
    int8_t *yo = y + o * inner;
    const int32_t ra = a.si ? 0 : pa[0] - z1, rb = b.si ? 0 : pb[0] - z2;
    for (i = 0; i + 16 <= inner; i += 16) {
      edgec_vi32 x1[4], x2[4];
      if (a.si) edgec_vq_centred(pa + i, vz1, x1);
      else for (v = 0; v < 4; v++) x1[v] = edgec_vi32_splat(ra);
      if (b.si) edgec_vq_centred(pb + i, vz2, x2);
      else for (v = 0; v < 4; v++) x2[v] = edgec_vi32_splat(rb);
      for (v = 0; v < 4; v++) x1[v] = edgec_vqm_apply(edgec_vi32_mul(x1[v], x2[v]), &q);
      edgec_vq_store(yo + i, x1, zy, vlo, vhi);
    }
    for (; i < inner; i++) {
      const int32_t d1 = a.si ? pa[i] - z1 : ra, d2 = b.si ? pb[i] - z2 : rb;
      yo[i] = (int8_t)edgec_clampi(edgec_mbqm(d1 * d2, m, s) + zy, lo, hi);
    }
  }
}

/* y[i] = clamp(mbqm(x[i] - zx, m, s) + zy, lo, hi) for n values (Relu, Clip, Requantize; y may be x). */
static EDGEC_UNUSED void edgec_vq_requant_s8(const int8_t *x, int8_t *y, ptrdiff_t n, int32_t zx, int32_t m, int s,
                                             int32_t zy, int32_t lo, int32_t hi) {
  const edgec_vqm q = edgec_vqm_of(m, s);
  const edgec_vi32 vz = edgec_vi32_splat(zx);
  const edgec_vi8 vlo = edgec_vi8_splat((int8_t)lo), vhi = edgec_vi8_splat((int8_t)hi);
  ptrdiff_t i;
  int v;
  for (i = 0; i + 16 <= n; i += 16) {
    edgec_vi32 r[4];
    edgec_vq_centred(x + i, vz, r);
    for (v = 0; v < 4; v++) r[v] = edgec_vqm_apply(r[v], &q);
    edgec_vq_store(y + i, r, zy, vlo, vhi);
  }
  for (; i < n; i++) y[i] = (int8_t)edgec_clampi(edgec_mbqm(x[i] - zx, m, s) + zy, lo, hi);
}

#endif
