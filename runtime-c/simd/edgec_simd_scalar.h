/* edgec vector vocabulary in portable C99: the reference semantics of every name the ISA headers in runtime-c/simd/
 * define, on 4-lane structs (the same lane counts as NEON and WASM SIMD, so micro-kernel shapes carry over).
 * Kernels written against these names compile for any C compiler; the ISA headers make them single instructions. */
#ifndef EDGEC_SIMD_H
#define EDGEC_SIMD_H
#include <stdint.h>
#include <string.h>

#define EDGEC_SIMD 1
#define EDGEC_SIMD_ISA "scalar"
/* Lanes are emulated with C loops (kernels may need to keep the compiler's loop vectorizer off them). */
#define EDGEC_SIMD_EMULATED 1
#define EDGEC_VF32_LANES 4
#define EDGEC_VI32_LANES 4
#define EDGEC_VI8_LANES 16
#if !defined(EDGEC_SIMD_DOTPROD)
#define EDGEC_SIMD_DOTPROD 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define EDGEC_SIMD_FN static inline __attribute__((always_inline, unused))
#else
#define EDGEC_SIMD_FN static inline
#endif

typedef struct { float v[4]; } edgec_vf32;
typedef struct { int32_t v[4]; } edgec_vi32;
typedef struct { int8_t v[16]; } edgec_vi8;
typedef struct { uint32_t v[4]; } edgec_vm32;

#define EDGEC_SIMD_MAP4(T, expr) T r; int i; for (i = 0; i < 4; i++) r.v[i] = (expr); return r

/* ---- float32 lanes ---- */
EDGEC_SIMD_FN edgec_vf32 edgec_vf32_load(const float *p) { edgec_vf32 r; memcpy(r.v, p, sizeof r.v); return r; }
EDGEC_SIMD_FN void edgec_vf32_store(float *p, edgec_vf32 v) { memcpy(p, v.v, sizeof v.v); }
EDGEC_SIMD_FN edgec_vf32 edgec_vf32_splat(float x) { EDGEC_SIMD_MAP4(edgec_vf32, x); }
EDGEC_SIMD_FN edgec_vf32 edgec_vf32_zero(void) { EDGEC_SIMD_MAP4(edgec_vf32, 0.0f); }
EDGEC_SIMD_FN edgec_vf32 edgec_vf32_add(edgec_vf32 a, edgec_vf32 b) { EDGEC_SIMD_MAP4(edgec_vf32, a.v[i] + b.v[i]); }
EDGEC_SIMD_FN edgec_vf32 edgec_vf32_sub(edgec_vf32 a, edgec_vf32 b) { EDGEC_SIMD_MAP4(edgec_vf32, a.v[i] - b.v[i]); }
EDGEC_SIMD_FN edgec_vf32 edgec_vf32_mul(edgec_vf32 a, edgec_vf32 b) { EDGEC_SIMD_MAP4(edgec_vf32, a.v[i] * b.v[i]); }
/* acc + a * b (fused where the C library's fmaf is). */
EDGEC_SIMD_FN edgec_vf32 edgec_vf32_fma(edgec_vf32 acc, edgec_vf32 a, edgec_vf32 b) {
  EDGEC_SIMD_MAP4(edgec_vf32, acc.v[i] + a.v[i] * b.v[i]);
}
/* acc + b * lane `lane` of a. */
#define edgec_vf32_fma_lane(acc, b, a, lane) edgec_vf32_fma((acc), (b), edgec_vf32_splat((a).v[(lane)]))
/* max(a, b) = a > b ? a : b, min(a, b) = a < b ? a : b (lane-wise; NaN handling as written). */
EDGEC_SIMD_FN edgec_vf32 edgec_vf32_max(edgec_vf32 a, edgec_vf32 b) { EDGEC_SIMD_MAP4(edgec_vf32, a.v[i] > b.v[i] ? a.v[i] : b.v[i]); }
EDGEC_SIMD_FN edgec_vf32 edgec_vf32_min(edgec_vf32 a, edgec_vf32 b) { EDGEC_SIMD_MAP4(edgec_vf32, a.v[i] < b.v[i] ? a.v[i] : b.v[i]); }
EDGEC_SIMD_FN float edgec_vf32_hsum(edgec_vf32 v) { return (v.v[0] + v.v[1]) + (v.v[2] + v.v[3]); }
EDGEC_SIMD_FN edgec_vm32 edgec_vf32_gt(edgec_vf32 a, edgec_vf32 b) { EDGEC_SIMD_MAP4(edgec_vm32, a.v[i] > b.v[i] ? 0xFFFFFFFFu : 0u); }
EDGEC_SIMD_FN edgec_vm32 edgec_vf32_ge(edgec_vf32 a, edgec_vf32 b) { EDGEC_SIMD_MAP4(edgec_vm32, a.v[i] >= b.v[i] ? 0xFFFFFFFFu : 0u); }
EDGEC_SIMD_FN edgec_vf32 edgec_vf32_select(edgec_vm32 m, edgec_vf32 t, edgec_vf32 f) { EDGEC_SIMD_MAP4(edgec_vf32, m.v[i] ? t.v[i] : f.v[i]); }

/* ---- int32 lanes ---- */
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_load(const int32_t *p) { edgec_vi32 r; memcpy(r.v, p, sizeof r.v); return r; }
EDGEC_SIMD_FN void edgec_vi32_store(int32_t *p, edgec_vi32 v) { memcpy(p, v.v, sizeof v.v); }
/* *p in every lane. */
#define edgec_vi32_load1(p) edgec_vi32_splat(*(p))
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_splat(int32_t x) { EDGEC_SIMD_MAP4(edgec_vi32, x); }
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_zero(void) { EDGEC_SIMD_MAP4(edgec_vi32, 0); }
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_add(edgec_vi32 a, edgec_vi32 b) { EDGEC_SIMD_MAP4(edgec_vi32, (int32_t)((uint32_t)a.v[i] + (uint32_t)b.v[i])); }
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_sub(edgec_vi32 a, edgec_vi32 b) { EDGEC_SIMD_MAP4(edgec_vi32, (int32_t)((uint32_t)a.v[i] - (uint32_t)b.v[i])); }
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_mul(edgec_vi32 a, edgec_vi32 b) { EDGEC_SIMD_MAP4(edgec_vi32, (int32_t)((uint32_t)a.v[i] * (uint32_t)b.v[i])); }
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_max(edgec_vi32 a, edgec_vi32 b) { EDGEC_SIMD_MAP4(edgec_vi32, a.v[i] > b.v[i] ? a.v[i] : b.v[i]); }
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_min(edgec_vi32 a, edgec_vi32 b) { EDGEC_SIMD_MAP4(edgec_vi32, a.v[i] < b.v[i] ? a.v[i] : b.v[i]); }
EDGEC_SIMD_FN int32_t edgec_vi32_hsum(edgec_vi32 v) { return (int32_t)((uint32_t)v.v[0] + (uint32_t)v.v[1] + (uint32_t)v.v[2] + (uint32_t)v.v[3]); }
/* Wrapping left shift by per-lane counts in [0, 31]. */
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_shl(edgec_vi32 x, edgec_vi32 s) { EDGEC_SIMD_MAP4(edgec_vi32, (int32_t)((uint32_t)x.v[i] << s.v[i])); }
/* gemmlowp SaturatingRoundingDoublingHighMul per lane. */
EDGEC_SIMD_FN int32_t edgec_simd_srdhm1(int32_t a, int32_t b) {
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  if (a == b && a == INT32_MIN) return INT32_MAX;
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_srdhm(edgec_vi32 a, edgec_vi32 b) { EDGEC_SIMD_MAP4(edgec_vi32, edgec_simd_srdhm1(a.v[i], b.v[i])); }
/* gemmlowp RoundingDivideByPOT per lane (ties away from zero), exponents in [0, 31]. */
EDGEC_SIMD_FN int32_t edgec_simd_rdivpot1(int32_t x, int e) {
  const int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + ((x & mask) > threshold ? 1 : 0);
}
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_rdivpot(edgec_vi32 x, edgec_vi32 e) { EDGEC_SIMD_MAP4(edgec_vi32, edgec_simd_rdivpot1(x.v[i], e.v[i])); }

/* edgec_vi32_rdivpot for exponents e in [1, 31] and lanes above INT32_MIN (NEON has a shorter form for them). */
#define edgec_vi32_rdivpot_pos(x, e) edgec_vi32_rdivpot((x), (e))

/* Bitwise and; a > b per lane as a mask (all ones or zero); lanes of t where mask m is set, else of f. */
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_and(edgec_vi32 a, edgec_vi32 b) { EDGEC_SIMD_MAP4(edgec_vi32, a.v[i] & b.v[i]); }
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_gt(edgec_vi32 a, edgec_vi32 b) { EDGEC_SIMD_MAP4(edgec_vi32, a.v[i] > b.v[i] ? -1 : 0); }
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_select(edgec_vi32 m, edgec_vi32 t, edgec_vi32 f) { EDGEC_SIMD_MAP4(edgec_vi32, m.v[i] ? t.v[i] : f.v[i]); }

/* ---- int16 lanes (pairs for the 2-term dot product) ---- */
typedef struct { int16_t v[8]; } edgec_vi16;
EDGEC_SIMD_FN edgec_vi16 edgec_vi16_load(const int16_t *p) { edgec_vi16 r; memcpy(r.v, p, sizeof r.v); return r; }
/* The int16 pair p[0], p[1] in every 32-bit lane. */
EDGEC_SIMD_FN edgec_vi16 edgec_vi16_splat2(const int16_t *p) {
  edgec_vi16 r;
  int i;
  for (i = 0; i < 8; i++) r.v[i] = p[i % 2];
  return r;
}
/* acc lane i += a[2i]*b[2i] + a[2i+1]*b[2i+1]. */
EDGEC_SIMD_FN edgec_vi32 edgec_vi32_dot2(edgec_vi32 acc, edgec_vi16 a, edgec_vi16 b) {
  EDGEC_SIMD_MAP4(edgec_vi32, (int32_t)((uint32_t)acc.v[i] + (uint32_t)(a.v[2 * i] * b.v[2 * i] + a.v[2 * i + 1] * b.v[2 * i + 1])));
}
EDGEC_SIMD_FN void edgec_vi16_store(int16_t *p, edgec_vi16 v) { memcpy(p, v.v, sizeof v.v); }
/* The 8 int8 at p sign-extended to int16 lanes. */
EDGEC_SIMD_FN edgec_vi16 edgec_vi16_load_i8(const int8_t *p) {
  edgec_vi16 r;
  int i;
  for (i = 0; i < 8; i++) r.v[i] = p[i];
  return r;
}
/* The int16 pair in 32-bit lane `lane` of v in every 32-bit lane. */
EDGEC_SIMD_FN edgec_vi16 edgec_vi16_dup2(edgec_vi16 v, int lane) {
  edgec_vi16 r;
  int i;
  for (i = 0; i < 8; i++) r.v[i] = v.v[2 * lane + i % 2];
  return r;
}
/* Four k-quads of int8 (column c's bytes at 4c..4c+3) as int16 pairs: out[h] holds bytes 4c + 2h, 4c + 2h + 1 of
 * columns c = 0..3, sign-extended. */
EDGEC_SIMD_FN void edgec_vi16_quads_i8(edgec_vi8 v, edgec_vi16 out[2]) {
  int h, c, t;
  for (h = 0; h < 2; h++)
    for (c = 0; c < 4; c++)
      for (t = 0; t < 2; t++) out[h].v[2 * c + t] = v.v[4 * c + 2 * h + t];
}
/* Two int8 rows interleaved and sign-extended: out[q] holds the int16 pairs (r0[j], r1[j]) of columns j = 4q..4q+3. */
EDGEC_SIMD_FN void edgec_vi16_zip_i8(edgec_vi8 r0, edgec_vi8 r1, edgec_vi16 out[4]) {
  int q, i;
  for (q = 0; q < 4; q++)
    for (i = 0; i < 4; i++) {
      out[q].v[2 * i] = r0.v[4 * q + i];
      out[q].v[2 * i + 1] = r1.v[4 * q + i];
    }
}

/* ---- int8 lanes ---- */
EDGEC_SIMD_FN edgec_vi8 edgec_vi8_load(const int8_t *p) { edgec_vi8 r; memcpy(r.v, p, sizeof r.v); return r; }
EDGEC_SIMD_FN void edgec_vi8_store(int8_t *p, edgec_vi8 v) { memcpy(p, v.v, sizeof v.v); }
EDGEC_SIMD_FN edgec_vi8 edgec_vi8_splat(int8_t x) { edgec_vi8 r; memset(r.v, x, sizeof r.v); return r; }
/* The 4 bytes p[0..3] in every 32-bit lane (a weight quad for the dot products). */
EDGEC_SIMD_FN edgec_vi8 edgec_vi8_splat4(const int8_t *p) { edgec_vi8 r; int i; for (i = 0; i < 16; i++) r.v[i] = p[i % 4]; return r; }
EDGEC_SIMD_FN edgec_vi8 edgec_vi8_max(edgec_vi8 a, edgec_vi8 b) { edgec_vi8 r; int i; for (i = 0; i < 16; i++) r.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i]; return r; }
EDGEC_SIMD_FN edgec_vi8 edgec_vi8_min(edgec_vi8 a, edgec_vi8 b) { edgec_vi8 r; int i; for (i = 0; i < 16; i++) r.v[i] = a.v[i] < b.v[i] ? a.v[i] : b.v[i]; return r; }
/* The 64 bytes at p as four vectors val[0..3]. */
typedef struct { edgec_vi8 val[4]; } edgec_vi8x4;
EDGEC_SIMD_FN edgec_vi8x4 edgec_vi8_load_x4(const int8_t *p) {
  edgec_vi8x4 r;
  memcpy(r.val, p, sizeof r.val);
  return r;
}
/* The 16 even-indexed bytes of p[0..31]: p[0], p[2], ..., p[30] (reads 32 bytes). */
EDGEC_SIMD_FN edgec_vi8 edgec_vi8_load_even(const int8_t *p) {
  edgec_vi8 r;
  int i;
  for (i = 0; i < 16; i++) r.v[i] = p[2 * i];
  return r;
}
/* The 16 int8 lanes sign-extended to four int32 vectors (lanes 0-3, 4-7, 8-11, 12-15). */
EDGEC_SIMD_FN void edgec_vi8_widen4(edgec_vi8 v, edgec_vi32 out[4]) {
  int i;
  for (i = 0; i < 16; i++) out[i / 4].v[i % 4] = v.v[i];
}
/* Sixteen int32 lanes as four vectors (lanes 0-3, 4-7, 8-11, 12-15): the accumulators of 16 int8 lanes. */
typedef struct { edgec_vi32 v0, v1, v2, v3; } edgec_vacc16;
EDGEC_SIMD_FN edgec_vacc16 edgec_vacc16_zero(void) { edgec_vacc16 r; memset(&r, 0, sizeof r); return r; }
/* acc += x0 * w0 + x1 * w1 on 16 int8 lanes, the pair summed in int16 (callers keep |x0 w0 + x1 w1| < 2^15: weights
 * in [-127, 127]). */
EDGEC_SIMD_FN edgec_vacc16 edgec_vacc16_mac2(edgec_vacc16 a, edgec_vi8 x0, edgec_vi8 w0, edgec_vi8 x1, edgec_vi8 w1) {
  edgec_vi32 *q[4];
  int i;
  q[0] = &a.v0; q[1] = &a.v1; q[2] = &a.v2; q[3] = &a.v3;
  for (i = 0; i < 16; i++)
    q[i / 4]->v[i % 4] += (int16_t)(x0.v[i] * w0.v[i] + x1.v[i] * w1.v[i]);
  return a;
}
/* Four int32 vectors (16 lanes in order) to int8: clamp(v + zp, -128, 127). */
EDGEC_SIMD_FN edgec_vi8 edgec_vi8_from_i32(edgec_vi32 v0, edgec_vi32 v1, edgec_vi32 v2, edgec_vi32 v3, int32_t zp) {
  const edgec_vi32 *v[4];
  edgec_vi8 r;
  int q, i;
  v[0] = &v0; v[1] = &v1; v[2] = &v2; v[3] = &v3;
  for (q = 0; q < 4; q++)
    for (i = 0; i < 4; i++) {
      const int64_t x = (int64_t)v[q]->v[i] + zp;
      r.v[4 * q + i] = (int8_t)(x < -128 ? -128 : x > 127 ? 127 : x);
    }
  return r;
}
/* Interleave four rows of 16 bytes into k-quads: out[q] holds columns 4q..4q+3, each as its 4 bytes (rows 0..3). */
EDGEC_SIMD_FN void edgec_vi8_zip4(edgec_vi8 r0, edgec_vi8 r1, edgec_vi8 r2, edgec_vi8 r3, edgec_vi8 out[4]) {
  int j;
  for (j = 0; j < 16; j++) {
    out[j / 4].v[4 * (j % 4) + 0] = r0.v[j];
    out[j / 4].v[4 * (j % 4) + 1] = r1.v[j];
    out[j / 4].v[4 * (j % 4) + 2] = r2.v[j];
    out[j / 4].v[4 * (j % 4) + 3] = r3.v[j];
  }
}
/* edgec_vi8_zip4's four vectors stored at p (64 bytes; byte 4j + q is byte j of row q). */
EDGEC_SIMD_FN void edgec_vi8_store_zip4(int8_t *p, edgec_vi8 r0, edgec_vi8 r1, edgec_vi8 r2, edgec_vi8 r3) {
  int j;
  for (j = 0; j < 16; j++) {
    p[4 * j] = r0.v[j];
    p[4 * j + 1] = r1.v[j];
    p[4 * j + 2] = r2.v[j];
    p[4 * j + 3] = r3.v[j];
  }
}

/* A 256-byte table, and y[i] = table[x[i] + 128] on 16 int8 lanes. */
typedef struct { int8_t v[256]; } edgec_vlut256;
EDGEC_SIMD_FN edgec_vlut256 edgec_vlut256_load(const int8_t *t) { edgec_vlut256 r; memcpy(r.v, t, sizeof r.v); return r; }
EDGEC_SIMD_FN edgec_vi8 edgec_vi8_lut256(const edgec_vlut256 *t, edgec_vi8 x) {
  edgec_vi8 r;
  int i;
  for (i = 0; i < 16; i++) r.v[i] = t->v[x.v[i] + 128];
  return r;
}

/* ---- int8 dot products into int32 lanes (SDOT semantics) ---- */
typedef edgec_vi32 edgec_vdot;
#define edgec_vdot_zero() edgec_vi32_zero()
/* An accumulator whose edgec_vdot_sum is v (a bias to start from). */
#define edgec_vdot_from(v) (v)
/* acc lane i += a[4i..4i+3] . b[4i..4i+3]. */
EDGEC_SIMD_FN edgec_vdot edgec_vdot_acc(edgec_vdot acc, edgec_vi8 a, edgec_vi8 b) {
  int i;
  for (i = 0; i < 4; i++)
    acc.v[i] += a.v[4 * i] * b.v[4 * i] + a.v[4 * i + 1] * b.v[4 * i + 1] + a.v[4 * i + 2] * b.v[4 * i + 2] +
                a.v[4 * i + 3] * b.v[4 * i + 3];
  return acc;
}
/* acc lane i += b[4i..4i+3] . a[4 lane..4 lane+3]. */
EDGEC_SIMD_FN edgec_vdot edgec_vdot_acc_lane_f(edgec_vdot acc, edgec_vi8 b, edgec_vi8 a, int lane) {
  edgec_vi8 s;
  int i;
  for (i = 0; i < 16; i++) s.v[i] = a.v[4 * lane + i % 4];
  return edgec_vdot_acc(acc, b, s);
}
#define edgec_vdot_acc_lane(acc, b, a, lane) edgec_vdot_acc_lane_f((acc), (b), (a), (lane))
#define edgec_vdot_sum(acc) (acc)
/* acc += dot4(a0, b0) + dot4(a1, b1) per lane. */
#define edgec_vdot_acc2(acc, a0, b0, a1, b1) edgec_vdot_acc(edgec_vdot_acc((acc), (a0), (b0)), (a1), (b1))
/* acc + dot4(a, b) on int32 lanes. */
#define edgec_vi32_dot4(acc, a, b) edgec_vdot_acc((acc), (a), (b))

#endif
