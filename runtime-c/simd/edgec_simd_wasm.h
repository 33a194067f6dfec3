/* edgec vector vocabulary on WebAssembly SIMD128 (wasm_simd128.h, clang -msimd128): 128-bit vectors of 4 float /
 * 4 int32 / 16 int8 lanes. Same names and semantics as every header in runtime-c/simd/ (edgec_simd_scalar.h is the
 * reference). SIMD128 has no fused multiply-add (fma is mul + add), no per-lane shift counts (uniform counts take one
 * instruction, mixed counts go lane by lane) and no 8-bit dot product: int8 quads widen to i16 and pair-sum with
 * i32x4.dot_i16x8_s into two accumulators (low and high 8 bytes) that edgec_vdot_sum folds into quads. */
#ifndef EDGEC_SIMD_H
#define EDGEC_SIMD_H
#include <wasm_simd128.h>
#include <stdint.h>
#include <string.h>

#define EDGEC_SIMD 1
#define EDGEC_SIMD_ISA "wasm"
#define EDGEC_VF32_LANES 4
#define EDGEC_VI32_LANES 4
#define EDGEC_VI8_LANES 16
#if !defined(EDGEC_SIMD_DOTPROD)
#define EDGEC_SIMD_DOTPROD 0
#endif

#define EDGEC_SIMD_FN static inline __attribute__((always_inline, unused))

typedef v128_t edgec_vf32;
typedef v128_t edgec_vi32;
typedef v128_t edgec_vi8;
typedef v128_t edgec_vm32;

/* ---- float32 lanes ---- */
#define edgec_vf32_load(p) wasm_v128_load(p)
#define edgec_vf32_store(p, v) wasm_v128_store((p), (v))
#define edgec_vf32_splat(x) wasm_f32x4_splat(x)
#define edgec_vf32_zero() wasm_f32x4_const_splat(0.0f)
#define edgec_vf32_add(a, b) wasm_f32x4_add((a), (b))
#define edgec_vf32_sub(a, b) wasm_f32x4_sub((a), (b))
#define edgec_vf32_mul(a, b) wasm_f32x4_mul((a), (b))
/* acc + a * b (two roundings: SIMD128 has no fused multiply-add). */
#define edgec_vf32_fma(acc, a, b) wasm_f32x4_add((acc), wasm_f32x4_mul((a), (b)))
/* acc + b * lane `lane` of a (lane a constant). */
#define edgec_vf32_fma_lane(acc, b, a, lane) \
  wasm_f32x4_add((acc), wasm_f32x4_mul((b), wasm_i32x4_shuffle((a), (a), (lane), (lane), (lane), (lane))))
/* a > b ? a : b and a < b ? a : b per lane: pmax(b, a) = b < a ? a : b, pmin(b, a) = a < b ? a : b (maxps/minps). */
#define edgec_vf32_max(a, b) wasm_f32x4_pmax((b), (a))
#define edgec_vf32_min(a, b) wasm_f32x4_pmin((b), (a))
EDGEC_SIMD_FN float edgec_vf32_hsum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}
#define edgec_vf32_gt(a, b) wasm_f32x4_gt((a), (b))
#define edgec_vf32_ge(a, b) wasm_f32x4_ge((a), (b))
/* Lanes of t where mask m is set, else lanes of f. */
#define edgec_vf32_select(m, t, f) wasm_v128_bitselect((t), (f), (m))

/* ---- int32 lanes ---- */
#define edgec_vi32_load(p) wasm_v128_load(p)
#define edgec_vi32_store(p, v) wasm_v128_store((p), (v))
/* *p in every lane. */
#define edgec_vi32_load1(p) wasm_v128_load32_splat(p)
#define edgec_vi32_splat(x) wasm_i32x4_splat(x)
#define edgec_vi32_zero() wasm_i32x4_const_splat(0)
#define edgec_vi32_add(a, b) wasm_i32x4_add((a), (b))
#define edgec_vi32_sub(a, b) wasm_i32x4_sub((a), (b))
#define edgec_vi32_mul(a, b) wasm_i32x4_mul((a), (b))
#define edgec_vi32_max(a, b) wasm_i32x4_max((a), (b))
#define edgec_vi32_min(a, b) wasm_i32x4_min((a), (b))
EDGEC_SIMD_FN int32_t edgec_vi32_hsum(v128_t v) {
  return (int32_t)((uint32_t)wasm_i32x4_extract_lane(v, 0) + (uint32_t)wasm_i32x4_extract_lane(v, 1) +
                   (uint32_t)wasm_i32x4_extract_lane(v, 2) + (uint32_t)wasm_i32x4_extract_lane(v, 3));
}
/* Whether every lane of s equals lane 0 (the kernels pass splatted per-channel counts: one shift instruction). */
EDGEC_SIMD_FN int edgec_simd_uniform(v128_t s) {
  return wasm_i32x4_all_true(wasm_i32x4_eq(s, wasm_i32x4_shuffle(s, s, 0, 0, 0, 0)));
}
/* Wrapping left shift by per-lane counts s in [0, 31]. */
EDGEC_SIMD_FN v128_t edgec_vi32_shl(v128_t x, v128_t s) {
  if (edgec_simd_uniform(s)) return wasm_i32x4_shl(x, (uint32_t)wasm_i32x4_extract_lane(s, 0));
  return wasm_i32x4_make((int32_t)((uint32_t)wasm_i32x4_extract_lane(x, 0) << wasm_i32x4_extract_lane(s, 0)),
                         (int32_t)((uint32_t)wasm_i32x4_extract_lane(x, 1) << wasm_i32x4_extract_lane(s, 1)),
                         (int32_t)((uint32_t)wasm_i32x4_extract_lane(x, 2) << wasm_i32x4_extract_lane(s, 2)),
                         (int32_t)((uint32_t)wasm_i32x4_extract_lane(x, 3) << wasm_i32x4_extract_lane(s, 3)));
}
/* gemmlowp SaturatingRoundingDoublingHighMul per lane: floor((a*b + 2^30) / 2^31) on 64-bit products (equal to
 * gemmlowp's truncating form with its sign-dependent nudge), INT32_MAX for INT32_MIN * INT32_MIN. Only the low 32 bits
 * of each shifted product are kept, and those are the same for a logical shift (one instruction on x64, where V8
 * emulates the 64-bit arithmetic shift with several). */
EDGEC_SIMD_FN v128_t edgec_vi32_srdhm(v128_t a, v128_t b) {
  const v128_t nudge = wasm_i64x2_const_splat((int64_t)1 << 30);
  const v128_t lo = wasm_u64x2_shr(wasm_i64x2_add(wasm_i64x2_extmul_low_i32x4(a, b), nudge), 31);
  const v128_t hi = wasm_u64x2_shr(wasm_i64x2_add(wasm_i64x2_extmul_high_i32x4(a, b), nudge), 31);
  const v128_t r = wasm_i32x4_shuffle(lo, hi, 0, 2, 4, 6);
  const v128_t min = wasm_i32x4_const_splat(INT32_MIN);
  /* The one overflow gives INT32_MIN; flipping its bits gives INT32_MAX. */
  return wasm_v128_xor(r, wasm_v128_and(wasm_i32x4_eq(a, min), wasm_i32x4_eq(b, min)));
}
/* edgec_vi32_srdhm(x << (31 - k), m) for |x| <= 255 and k in [8, 21], with mh = m >> k and ml = m & (2^k - 1):
 * x * mh + ((x * ml + 2^(k-1)) >> k), exact in 32 bits (two multiplies instead of the 64-bit products). */
EDGEC_SIMD_FN v128_t edgec_vi32_srdhm_shl_narrow(v128_t x, v128_t mh, v128_t ml, int k) {
  const v128_t lo = wasm_i32x4_add(wasm_i32x4_mul(x, ml), wasm_i32x4_splat((int32_t)1 << (k - 1)));
  return wasm_i32x4_add(wasm_i32x4_mul(x, mh), wasm_i32x4_shr(lo, (uint32_t)k));
}
/* gemmlowp RoundingDivideByPOT per lane (ties away from zero), exponents e in [0, 31]. */
EDGEC_SIMD_FN int32_t edgec_simd_rdivpot1(int32_t x, int e) {
  const int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + ((x & mask) > threshold ? 1 : 0);
}
EDGEC_SIMD_FN v128_t edgec_vi32_rdivpot(v128_t x, v128_t e) {
  if (edgec_simd_uniform(e)) {
    const int s = wasm_i32x4_extract_lane(e, 0);
    const v128_t mask = wasm_i32x4_splat((int32_t)(((int64_t)1 << s) - 1));
    /* threshold = mask/2 + (x < 0); masks are all ones (-1), so "+ 1" is "- mask" and "+ (r > t)" is "- (r > t)". */
    const v128_t threshold = wasm_i32x4_sub(wasm_i32x4_shr(mask, 1), wasm_i32x4_lt(x, wasm_i32x4_const_splat(0)));
    return wasm_i32x4_sub(wasm_i32x4_shr(x, (uint32_t)s), wasm_i32x4_gt(wasm_v128_and(x, mask), threshold));
  }
  return wasm_i32x4_make(edgec_simd_rdivpot1(wasm_i32x4_extract_lane(x, 0), wasm_i32x4_extract_lane(e, 0)),
                         edgec_simd_rdivpot1(wasm_i32x4_extract_lane(x, 1), wasm_i32x4_extract_lane(e, 1)),
                         edgec_simd_rdivpot1(wasm_i32x4_extract_lane(x, 2), wasm_i32x4_extract_lane(e, 2)),
                         edgec_simd_rdivpot1(wasm_i32x4_extract_lane(x, 3), wasm_i32x4_extract_lane(e, 3)));
}

/* ---- int8 lanes ---- */
#define edgec_vi8_load(p) wasm_v128_load(p)
#define edgec_vi8_store(p, v) wasm_v128_store((p), (v))
#define edgec_vi8_splat(x) wasm_i8x16_splat(x)
/* The 4 bytes p[0..3] in every 32-bit lane (a weight quad for the dot products). */
#define edgec_vi8_splat4(p) wasm_v128_load32_splat(p)
#define edgec_vi8_max(a, b) wasm_i8x16_max((a), (b))
#define edgec_vi8_min(a, b) wasm_i8x16_min((a), (b))
/* The 64 bytes at p as four vectors val[0..3]. */
typedef struct { v128_t val[4]; } edgec_vi8x4;
EDGEC_SIMD_FN edgec_vi8x4 edgec_vi8_load_x4(const int8_t *p) {
  edgec_vi8x4 r;
  r.val[0] = wasm_v128_load(p); r.val[1] = wasm_v128_load(p + 16);
  r.val[2] = wasm_v128_load(p + 32); r.val[3] = wasm_v128_load(p + 48);
  return r;
}
/* The 16 even-indexed bytes of p[0..31]: p[0], p[2], ..., p[30] (reads 32 bytes). */
EDGEC_SIMD_FN v128_t edgec_vi8_load_even(const int8_t *p) {
  return wasm_i8x16_shuffle(wasm_v128_load(p), wasm_v128_load(p + 16), 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
}
/* The 16 int8 lanes sign-extended to four int32 vectors (lanes 0-3, 4-7, 8-11, 12-15). */
EDGEC_SIMD_FN void edgec_vi8_widen4(v128_t v, v128_t out[4]) {
  const v128_t lo = wasm_i16x8_extend_low_i8x16(v), hi = wasm_i16x8_extend_high_i8x16(v);
  out[0] = wasm_i32x4_extend_low_i16x8(lo);
  out[1] = wasm_i32x4_extend_high_i16x8(lo);
  out[2] = wasm_i32x4_extend_low_i16x8(hi);
  out[3] = wasm_i32x4_extend_high_i16x8(hi);
}
/* Four int32 vectors (16 lanes in order) to int8: saturate to int16, add zp (saturating), saturate to int8: equal to
 * clamp(v + zp, -128, 127) for every int32 v and |zp| <= 128. */
EDGEC_SIMD_FN v128_t edgec_vi8_from_i32(v128_t v0, v128_t v1, v128_t v2, v128_t v3, int32_t zp) {
  const v128_t z = wasm_i16x8_splat((int16_t)zp);
  const v128_t lo = wasm_i16x8_add_sat(wasm_i16x8_narrow_i32x4(v0, v1), z);
  const v128_t hi = wasm_i16x8_add_sat(wasm_i16x8_narrow_i32x4(v2, v3), z);
  return wasm_i8x16_narrow_i16x8(lo, hi);
}
/* Interleave four rows of 16 bytes into k-quads: out[q] holds columns 4q..4q+3, each as its 4 bytes (rows 0..3). */
EDGEC_SIMD_FN void edgec_vi8_zip4(v128_t r0, v128_t r1, v128_t r2, v128_t r3, v128_t out[4]) {
  const v128_t a = wasm_i8x16_shuffle(r0, r1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const v128_t b = wasm_i8x16_shuffle(r0, r1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const v128_t c = wasm_i8x16_shuffle(r2, r3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const v128_t d = wasm_i8x16_shuffle(r2, r3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  out[0] = wasm_i16x8_shuffle(a, c, 0, 8, 1, 9, 2, 10, 3, 11);
  out[1] = wasm_i16x8_shuffle(a, c, 4, 12, 5, 13, 6, 14, 7, 15);
  out[2] = wasm_i16x8_shuffle(b, d, 0, 8, 1, 9, 2, 10, 3, 11);
  out[3] = wasm_i16x8_shuffle(b, d, 4, 12, 5, 13, 6, 14, 7, 15);
}
/* edgec_vi8_zip4's four vectors stored at p (64 bytes; byte 4j + q is byte j of row q). */
EDGEC_SIMD_FN void edgec_vi8_store_zip4(int8_t *p, v128_t r0, v128_t r1, v128_t r2, v128_t r3) {
  v128_t z[4];
  edgec_vi8_zip4(r0, r1, r2, r3, z);
  wasm_v128_store(p, z[0]);
  wasm_v128_store(p + 16, z[1]);
  wasm_v128_store(p + 32, z[2]);
  wasm_v128_store(p + 48, z[3]);
}

/* a[0], b[0], a[1], b[1], ..., a[15], b[15] stored at p (32 bytes: two rows' bytes interleaved). */
#define edgec_vi8_store_zip2(p, a, b)                                                                              \
  do {                                                                                                             \
    const v128_t za_ = (a), zb_ = (b);                                                                             \
    wasm_v128_store((p), wasm_i8x16_shuffle(za_, zb_, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));      \
    wasm_v128_store((p) + 16, wasm_i8x16_shuffle(za_, zb_, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)); \
  } while (0)

/* edgec_vi32_rdivpot for exponents e in [1, 31] and lanes above INT32_MIN (NEON has a shorter form for them). */
#define edgec_vi32_rdivpot_pos(x, e) edgec_vi32_rdivpot((x), (e))

/* Bitwise and; a > b per lane as a mask (all ones or zero); lanes of t where mask m is set, else of f. */
#define edgec_vi32_and(a, b) wasm_v128_and((a), (b))
#define edgec_vi32_gt(a, b) wasm_i32x4_gt((a), (b))
#define edgec_vi32_select(m, t, f) wasm_v128_bitselect((t), (f), (m))

/* ---- int16 lanes (8) and their pair products into int32 lanes ---- */
typedef v128_t edgec_vi16;
#define edgec_vi16_load(p) wasm_v128_load(p)
/* The int16 pair p[0], p[1] in every 32-bit lane. */
EDGEC_SIMD_FN v128_t edgec_vi16_splat2(const int16_t *p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return wasm_i32x4_splat(v);
}
/* acc lane i += a[2i] * b[2i] + a[2i+1] * b[2i+1] (i32x4.dot_i16x8_s). */
#define edgec_vi32_dot2(acc, a, b) wasm_i32x4_add((acc), wasm_i32x4_dot_i16x8((a), (b)))
#define edgec_vi16_store(p, v) wasm_v128_store((p), (v))
/* The 8 int8 at p sign-extended to int16 lanes. */
#define edgec_vi16_load_i8(p) wasm_i16x8_load8x8(p)
/* The int16 pair in 32-bit lane `lane` of v (a constant) in every 32-bit lane. */
#define edgec_vi16_dup2(v, lane) wasm_i32x4_shuffle((v), (v), (lane), (lane), (lane), (lane))
/* Four k-quads of int8 (column c's bytes at 4c..4c+3) as int16 pairs: out[h] holds bytes 4c + 2h, 4c + 2h + 1 of
 * columns c = 0..3, sign-extended. */
EDGEC_SIMD_FN void edgec_vi16_quads_i8(v128_t v, v128_t out[2]) {
  const v128_t p = wasm_i8x16_shuffle(v, v, 0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
  out[0] = wasm_i16x8_extend_low_i8x16(p);
  out[1] = wasm_i16x8_extend_high_i8x16(p);
}
/* Two int8 rows interleaved and sign-extended: out[q] holds the int16 pairs (r0[j], r1[j]) of columns j = 4q..4q+3. */
EDGEC_SIMD_FN void edgec_vi16_zip_i8(v128_t r0, v128_t r1, v128_t out[4]) {
  const v128_t lo = wasm_i8x16_shuffle(r0, r1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const v128_t hi = wasm_i8x16_shuffle(r0, r1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  out[0] = wasm_i16x8_extend_low_i8x16(lo);
  out[1] = wasm_i16x8_extend_high_i8x16(lo);
  out[2] = wasm_i16x8_extend_low_i8x16(hi);
  out[3] = wasm_i16x8_extend_high_i8x16(hi);
}

/* Sixteen int32 lanes as four vectors (lanes 0-3, 4-7, 8-11, 12-15): the accumulators of 16 int8 lanes. */
typedef struct {
  v128_t v0, v1, v2, v3;
} edgec_vacc16;
EDGEC_SIMD_FN edgec_vacc16 edgec_vacc16_zero(void) {
  edgec_vacc16 r;
  r.v0 = r.v1 = r.v2 = r.v3 = wasm_i32x4_const_splat(0);
  return r;
}
/* acc += x0 * w0 + x1 * w1 on 16 int8 lanes, the pair summed in int16 (callers keep |x0 w0 + x1 w1| < 2^15: weights
 * in [-127, 127]): i16x8.extmul per half, then the int16 sums widened into the int32 lanes. */
EDGEC_SIMD_FN edgec_vacc16 edgec_vacc16_mac2(edgec_vacc16 a, v128_t x0, v128_t w0, v128_t x1, v128_t w1) {
  const v128_t lo = wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(x0, w0), wasm_i16x8_extmul_low_i8x16(x1, w1));
  const v128_t hi = wasm_i16x8_add(wasm_i16x8_extmul_high_i8x16(x0, w0), wasm_i16x8_extmul_high_i8x16(x1, w1));
  a.v0 = wasm_i32x4_add(a.v0, wasm_i32x4_extend_low_i16x8(lo));
  a.v1 = wasm_i32x4_add(a.v1, wasm_i32x4_extend_high_i16x8(lo));
  a.v2 = wasm_i32x4_add(a.v2, wasm_i32x4_extend_low_i16x8(hi));
  a.v3 = wasm_i32x4_add(a.v3, wasm_i32x4_extend_high_i16x8(hi));
  return a;
}

/* ---- 256-entry byte tables ---- */
/* The table as 16 vectors of 16 entries. */
typedef struct {
  v128_t q[16];
} edgec_vlut256;
EDGEC_SIMD_FN edgec_vlut256 edgec_vlut256_load(const int8_t *t) {
  edgec_vlut256 r;
  int k;
  for (k = 0; k < 16; k++) r.q[k] = wasm_v128_load(t + 16 * k);
  return r;
}
/* Lane i: t[x[i] + 128]. i8x16.swizzle gives 0 for indices past 15, so each 16-entry part answers only its own lanes. */
EDGEC_SIMD_FN v128_t edgec_vi8_lut256(const edgec_vlut256 *t, v128_t x) {
  const v128_t idx = wasm_v128_xor(x, wasm_i8x16_const_splat((int8_t)0x80));
  v128_t r = wasm_i8x16_swizzle(t->q[0], idx);
  int k;
  for (k = 1; k < 16; k++) r = wasm_v128_or(r, wasm_i8x16_swizzle(t->q[k], wasm_i8x16_sub(idx, wasm_i8x16_splat((int8_t)(16 * k)))));
  return r;
}

/* ---- int8 dot products into int32 lanes (SDOT semantics after edgec_vdot_sum) ----
 * lo accumulates i32x4.dot_i16x8_s of the low 8 bytes widened (pair sums of quads 0 and 1), hi of the high 8 bytes
 * (quads 2 and 3); each pair sum is at most 2 * 128 * 128, so no lane overflows before the int32 accumulation. */
typedef struct {
  v128_t lo, hi;
} edgec_vdot;
EDGEC_SIMD_FN edgec_vdot edgec_vdot_zero(void) {
  edgec_vdot r;
  r.lo = r.hi = wasm_i32x4_const_splat(0);
  return r;
}
EDGEC_SIMD_FN edgec_vdot edgec_vdot_acc(edgec_vdot acc, v128_t a, v128_t b) {
  acc.lo = wasm_i32x4_add(acc.lo, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(a), wasm_i16x8_extend_low_i8x16(b)));
  acc.hi = wasm_i32x4_add(acc.hi, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(a), wasm_i16x8_extend_high_i8x16(b)));
  return acc;
}
/* An accumulator whose edgec_vdot_sum is v (a bias to start from): lanes v0, 0, v1, 0 and v2, 0, v3, 0. */
EDGEC_SIMD_FN edgec_vdot edgec_vdot_from(v128_t v) {
  edgec_vdot r;
  r.lo = wasm_i32x4_shuffle(v, wasm_i32x4_const_splat(0), 0, 4, 1, 5);
  r.hi = wasm_i32x4_shuffle(v, wasm_i32x4_const_splat(0), 2, 6, 3, 7);
  return r;
}
/* acc += dot4(b, the 4 bytes of 32-bit lane `lane` of a in every lane) (lane a constant). */
#define edgec_vdot_acc_lane(acc, b, a, lane) edgec_vdot_acc((acc), (b), wasm_i32x4_shuffle((a), (a), (lane), (lane), (lane), (lane)))
/* Quad sums: pair sums (0+1, 2+3) of lo, then of hi. */
EDGEC_SIMD_FN v128_t edgec_vdot_sum(edgec_vdot acc) {
  return wasm_i32x4_add(wasm_i32x4_shuffle(acc.lo, acc.hi, 0, 2, 4, 6), wasm_i32x4_shuffle(acc.lo, acc.hi, 1, 3, 5, 7));
}
/* acc += dot4(a0, b0) + dot4(a1, b1) per lane. */
#define edgec_vdot_acc2(acc, a0, b0, a1, b1) edgec_vdot_acc(edgec_vdot_acc((acc), (a0), (b0)), (a1), (b1))
/* acc + dot4(a, b) on int32 lanes (SDOT semantics). */
#define edgec_vi32_dot4(acc, a, b) wasm_i32x4_add((acc), edgec_vdot_sum(edgec_vdot_acc(edgec_vdot_zero(), (a), (b))))

#endif
