/* edgec vector vocabulary on ARM NEON (aarch64, arm_neon.h): 128-bit vectors of 4 float / 4 int32 / 16 int8 lanes.
 * Every ISA header in runtime-c/simd/ defines the same names (see edgec_simd_scalar.h for the reference semantics);
 * kernels written against them serve every ISA. EDGEC_SIMD_DOTPROD=1 (set by the emitter from the vocabulary table)
 * makes the int8 dot product one SDOT (vdotq_s32); otherwise it is vmull_s8 + vpadalq_s16 on a split accumulator. */
#ifndef EDGEC_SIMD_H
#define EDGEC_SIMD_H
#include <arm_neon.h>
#include <stdint.h>

#define EDGEC_SIMD 1
#define EDGEC_SIMD_ISA "neon"
#define EDGEC_VF32_LANES 4
#define EDGEC_VI32_LANES 4
#define EDGEC_VI8_LANES 16

#if !defined(EDGEC_SIMD_DOTPROD)
#define EDGEC_SIMD_DOTPROD 0
#endif
#if EDGEC_SIMD_DOTPROD && !defined(__ARM_FEATURE_DOTPROD)
#error "edgec: this artifact uses SDOT (vdotq_s32); compile with a -mcpu/-march that has the dotprod extension"
#endif

typedef float32x4_t edgec_vf32;
typedef int32x4_t edgec_vi32;
typedef int8x16_t edgec_vi8;

/* ---- float32 lanes ---- */
#define edgec_vf32_load(p) vld1q_f32(p)
#define edgec_vf32_store(p, v) vst1q_f32((p), (v))
#define edgec_vf32_splat(x) vdupq_n_f32(x)
#define edgec_vf32_zero() vdupq_n_f32(0.0f)
#define edgec_vf32_add(a, b) vaddq_f32((a), (b))
#define edgec_vf32_sub(a, b) vsubq_f32((a), (b))
#define edgec_vf32_mul(a, b) vmulq_f32((a), (b))
/* acc + a * b, fused (one rounding). */
#define edgec_vf32_fma(acc, a, b) vfmaq_f32((acc), (a), (b))
/* acc + b * lane `lane` of a (lane a constant). */
#define edgec_vf32_fma_lane(acc, b, a, lane) vfmaq_laneq_f32((acc), (b), (a), (lane))
/* Lane-wise max/min with the other operand returned for a NaN x: max(lo, x) is lo > x ? lo : x. */
#define edgec_vf32_max(a, b) vbslq_f32(vcgtq_f32((a), (b)), (a), (b))
#define edgec_vf32_min(a, b) vbslq_f32(vcltq_f32((a), (b)), (a), (b))
#define edgec_vf32_hsum(v) vaddvq_f32(v)
/* Lanes of t where mask m (all ones) is set, else lanes of f; masks come from the comparisons. */
typedef uint32x4_t edgec_vm32;
#define edgec_vf32_gt(a, b) vcgtq_f32((a), (b))
#define edgec_vf32_ge(a, b) vcgeq_f32((a), (b))
#define edgec_vf32_select(m, t, f) vbslq_f32((m), (t), (f))

/* ---- int32 lanes ---- */
#define edgec_vi32_load(p) vld1q_s32(p)
#define edgec_vi32_store(p, v) vst1q_s32((p), (v))
/* *p in every lane. */
#define edgec_vi32_load1(p) vld1q_dup_s32(p)
#define edgec_vi32_splat(x) vdupq_n_s32(x)
#define edgec_vi32_zero() vdupq_n_s32(0)
#define edgec_vi32_add(a, b) vaddq_s32((a), (b))
#define edgec_vi32_sub(a, b) vsubq_s32((a), (b))
#define edgec_vi32_mul(a, b) vmulq_s32((a), (b))
#define edgec_vi32_max(a, b) vmaxq_s32((a), (b))
#define edgec_vi32_min(a, b) vminq_s32((a), (b))
#define edgec_vi32_hsum(v) vaddvq_s32(v)
/* Wrapping left shift by per-lane counts s in [0, 31]. */
#define edgec_vi32_shl(x, s) vshlq_s32((x), (s))
/* gemmlowp SaturatingRoundingDoublingHighMul per lane (bit-exact with edgec_srdhm). */
#define edgec_vi32_srdhm(a, b) vqrdmulhq_s32((a), (b))
/* gemmlowp RoundingDivideByPOT per lane, exponents e in [0, 31] (bit-exact with edgec_rdivpot). */
static inline int32x4_t edgec_vi32_rdivpot(int32x4_t x, int32x4_t e) {
  const int32x4_t neg = vnegq_s32(e);
  const int32x4_t fixup = vshrq_n_s32(vandq_s32(x, neg), 31);
  return vrshlq_s32(vqaddq_s32(x, fixup), neg);
}

/* edgec_vi32_rdivpot for exponents e in [1, 31] and lanes above INT32_MIN (a doubling high product always is):
 * ties away from zero are ties up of x - 1 for negative x, so x + (x >> 31) then a rounding shift (SSRA, SRSHL). */
#define edgec_vi32_rdivpot_pos(x, e) vrshlq_s32(vsraq_n_s32((x), (x), 31), vnegq_s32(e))

/* Bitwise and; a > b per lane as a mask (all ones or zero); lanes of t where mask m is set, else of f. */
#define edgec_vi32_and(a, b) vandq_s32((a), (b))
#define edgec_vi32_gt(a, b) vreinterpretq_s32_u32(vcgtq_s32((a), (b)))
#define edgec_vi32_select(m, t, f) vbslq_s32(vreinterpretq_u32_s32(m), (t), (f))

/* ---- int16 lanes (pairs for the 2-term dot product) ---- */
typedef int16x8_t edgec_vi16;
#define edgec_vi16_load(p) vld1q_s16(p)
/* The int16 pair p[0], p[1] in every 32-bit lane. */
#define edgec_vi16_splat2(p) vreinterpretq_s16_s32(vld1q_dup_s32((const int32_t *)(const void *)(p)))
/* acc lane i += a[2i]*b[2i] + a[2i+1]*b[2i+1] (x86 pmaddwd, WASM i32x4.dot_i16x8_s). */
static inline int32x4_t edgec_vi32_dot2(int32x4_t acc, int16x8_t a, int16x8_t b) {
  return vaddq_s32(acc, vpaddq_s32(vmull_s16(vget_low_s16(a), vget_low_s16(b)), vmull_high_s16(a, b)));
}
#define edgec_vi16_store(p, v) vst1q_s16((p), (v))
/* The 8 int8 at p sign-extended to int16 lanes. */
#define edgec_vi16_load_i8(p) vmovl_s8(vld1_s8(p))
/* The int16 pair in 32-bit lane `lane` of v (a constant) in every 32-bit lane. */
#define edgec_vi16_dup2(v, lane) vreinterpretq_s16_s32(vdupq_laneq_s32(vreinterpretq_s32_s16(v), (lane)))
/* Four k-quads of int8 (column c's bytes at 4c..4c+3) as int16 pairs: out[h] holds bytes 4c + 2h, 4c + 2h + 1 of
 * columns c = 0..3, sign-extended. */
static inline void edgec_vi16_quads_i8(int8x16_t v, int16x8_t out[2]) {
  const int16x8_t u = vreinterpretq_s16_s8(v);
  out[0] = vmovl_s8(vget_low_s8(vreinterpretq_s8_s16(vuzp1q_s16(u, u))));
  out[1] = vmovl_s8(vget_low_s8(vreinterpretq_s8_s16(vuzp2q_s16(u, u))));
}
/* Two int8 rows interleaved and sign-extended: out[q] holds the int16 pairs (r0[j], r1[j]) of columns j = 4q..4q+3. */
static inline void edgec_vi16_zip_i8(int8x16_t r0, int8x16_t r1, int16x8_t out[4]) {
  const int8x16_t lo = vzip1q_s8(r0, r1), hi = vzip2q_s8(r0, r1);
  out[0] = vmovl_s8(vget_low_s8(lo));
  out[1] = vmovl_high_s8(lo);
  out[2] = vmovl_s8(vget_low_s8(hi));
  out[3] = vmovl_high_s8(hi);
}

/* ---- int8 lanes ---- */
#define edgec_vi8_load(p) vld1q_s8(p)
#define edgec_vi8_store(p, v) vst1q_s8((p), (v))
#define edgec_vi8_splat(x) vdupq_n_s8(x)
/* The 4 bytes p[0..3] in every 32-bit lane (a weight quad for the dot products). */
#define edgec_vi8_splat4(p) vreinterpretq_s8_s32(vld1q_dup_s32((const int32_t *)(const void *)(p)))
#define edgec_vi8_max(a, b) vmaxq_s8((a), (b))
#define edgec_vi8_min(a, b) vminq_s8((a), (b))
/* The 16 even-indexed bytes of p[0..31]: p[0], p[2], ..., p[30] (reads 32 bytes). */
#define edgec_vi8_load_even(p) (vld2q_s8(p).val[0])
/* The 64 bytes at p as four vectors val[0..3] (one LD1 of four registers). */
typedef int8x16x4_t edgec_vi8x4;
#define edgec_vi8_load_x4(p) vld1q_s8_x4(p)
/* The 16 int8 lanes sign-extended to four int32 vectors (lanes 0-3, 4-7, 8-11, 12-15). */
static inline void edgec_vi8_widen4(int8x16_t v, int32x4_t out[4]) {
  const int16x8_t lo = vmovl_s8(vget_low_s8(v)), hi = vmovl_high_s8(v);
  out[0] = vmovl_s16(vget_low_s16(lo));
  out[1] = vmovl_high_s16(lo);
  out[2] = vmovl_s16(vget_low_s16(hi));
  out[3] = vmovl_high_s16(hi);
}
/* Four int32 vectors (16 lanes in order) to int8: saturate to int16, add zero point zp (saturating), saturate to int8:
 * equal to clamp(v + zp, -128, 127) for every int32 v and |zp| <= 128. */
static inline int8x16_t edgec_vi8_from_i32(int32x4_t v0, int32x4_t v1, int32x4_t v2, int32x4_t v3, int32_t zp) {
  const int16x8_t z = vdupq_n_s16((int16_t)zp);
  const int16x8_t lo = vqaddq_s16(vcombine_s16(vqmovn_s32(v0), vqmovn_s32(v1)), z);
  const int16x8_t hi = vqaddq_s16(vcombine_s16(vqmovn_s32(v2), vqmovn_s32(v3)), z);
  return vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi));
}
/* Interleave four rows of 16 bytes (k, k+1, k+2, k+3 of columns 0..15) into k-quads: out[q] holds columns 4q..4q+3,
 * each as its 4 bytes (rows 0..3) in order: the B-panel layout of the int8 dot micro-kernel. */
static inline void edgec_vi8_zip4(int8x16_t r0, int8x16_t r1, int8x16_t r2, int8x16_t r3, int8x16_t out[4]) {
  const int16x8_t a = vreinterpretq_s16_s8(vzip1q_s8(r0, r1)), b = vreinterpretq_s16_s8(vzip2q_s8(r0, r1));
  const int16x8_t c = vreinterpretq_s16_s8(vzip1q_s8(r2, r3)), d = vreinterpretq_s16_s8(vzip2q_s8(r2, r3));
  out[0] = vreinterpretq_s8_s16(vzip1q_s16(a, c));
  out[1] = vreinterpretq_s8_s16(vzip2q_s16(a, c));
  out[2] = vreinterpretq_s8_s16(vzip1q_s16(b, d));
  out[3] = vreinterpretq_s8_s16(vzip2q_s16(b, d));
}
/* edgec_vi8_zip4's four vectors stored at p (64 bytes; byte 4j + q is byte j of row q): one ST4. */
static inline void edgec_vi8_store_zip4(int8_t *p, int8x16_t r0, int8x16_t r1, int8x16_t r2, int8x16_t r3) {
  int8x16x4_t v;
  v.val[0] = r0;
  v.val[1] = r1;
  v.val[2] = r2;
  v.val[3] = r3;
  vst4q_s8(p, v);
}

/* Sixteen int32 lanes as four vectors (lanes 0-3, 4-7, 8-11, 12-15): the accumulators of 16 int8 lanes. */
typedef struct {
  int32x4_t v0, v1, v2, v3;
} edgec_vacc16;
static inline edgec_vacc16 edgec_vacc16_zero(void) {
  edgec_vacc16 r;
  r.v0 = r.v1 = r.v2 = r.v3 = vdupq_n_s32(0);
  return r;
}
/* acc += x0 * w0 + x1 * w1 on 16 int8 lanes, the pair summed in int16 (callers keep |x0 w0 + x1 w1| < 2^15: weights
 * in [-127, 127]): SMULL + SMLAL per half, then SADDW into the int32 lanes. */
static inline edgec_vacc16 edgec_vacc16_mac2(edgec_vacc16 a, int8x16_t x0, int8x16_t w0, int8x16_t x1, int8x16_t w1) {
  const int16x8_t lo = vmlal_s8(vmull_s8(vget_low_s8(x0), vget_low_s8(w0)), vget_low_s8(x1), vget_low_s8(w1));
  const int16x8_t hi = vmlal_high_s8(vmull_high_s8(x0, w0), x1, w1);
  a.v0 = vaddw_s16(a.v0, vget_low_s16(lo));
  a.v1 = vaddw_high_s16(a.v1, lo);
  a.v2 = vaddw_s16(a.v2, vget_low_s16(hi));
  a.v3 = vaddw_high_s16(a.v3, hi);
  return a;
}

/* A 256-byte table held in registers, and y[i] = table[x[i] + 128] on 16 int8 lanes (4 TBL/TBX of 64 bytes). */
typedef struct {
  int8x16x4_t q[4];
} edgec_vlut256;
static inline edgec_vlut256 edgec_vlut256_load(const int8_t *t) {
  edgec_vlut256 r;
  r.q[0] = vld1q_s8_x4(t);
  r.q[1] = vld1q_s8_x4(t + 64);
  r.q[2] = vld1q_s8_x4(t + 128);
  r.q[3] = vld1q_s8_x4(t + 192);
  return r;
}
static inline int8x16_t edgec_vi8_lut256(const edgec_vlut256 *t, int8x16_t x) {
  const uint8x16_t i = veorq_u8(vreinterpretq_u8_s8(x), vdupq_n_u8(0x80)), step = vdupq_n_u8(64);
  const uint8x16_t i1 = vsubq_u8(i, step), i2 = vsubq_u8(i1, step), i3 = vsubq_u8(i2, step);
  int8x16_t r = vqtbl4q_s8(t->q[0], i);
  r = vqtbx4q_s8(r, t->q[1], i1);
  r = vqtbx4q_s8(r, t->q[2], i2);
  return vqtbx4q_s8(r, t->q[3], i3);
}

/* ---- int8 dot products into int32 lanes ----
 * edgec_vdot is an accumulator of 4 int32 lanes: after edgec_vdot_acc(acc, a, b) lane i has gained
 * a[4i]*b[4i] + ... + a[4i+3]*b[4i+3] (SDOT semantics); edgec_vdot_sum reads the lanes out as an edgec_vi32. */
#if EDGEC_SIMD_DOTPROD
typedef int32x4_t edgec_vdot;
#define edgec_vdot_zero() vdupq_n_s32(0)
/* An accumulator whose edgec_vdot_sum is v (a bias to start from). */
#define edgec_vdot_from(v) (v)
#define edgec_vdot_acc(acc, a, b) vdotq_s32((acc), (a), (b))
/* acc += dot4(b, the 4 bytes of 32-bit lane `lane` of a in every lane) (lane a constant). */
#define edgec_vdot_acc_lane(acc, b, a, lane) vdotq_laneq_s32((acc), (b), (a), (lane))
#define edgec_vdot_sum(acc) (acc)
/* acc += dot4(a0, b0) + dot4(a1, b1) per lane (callers keep every a0[i] b0[i] + a1[i] b1[i] within int16: no byte
 * position where both products are -128 * -128). */
#define edgec_vdot_acc2(acc, a0, b0, a1, b1) vdotq_s32(vdotq_s32((acc), (a0), (b0)), (a1), (b1))
#else
/* Without dotprod: pair sums of the low and high 8 products, folded into quads by edgec_vdot_sum. */
typedef struct {
  int32x4_t lo, hi;
} edgec_vdot;
static inline edgec_vdot edgec_vdot_zero(void) {
  edgec_vdot r;
  r.lo = r.hi = vdupq_n_s32(0);
  return r;
}
static inline edgec_vdot edgec_vdot_acc(edgec_vdot acc, int8x16_t a, int8x16_t b) {
  acc.lo = vpadalq_s16(acc.lo, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
  acc.hi = vpadalq_s16(acc.hi, vmull_high_s8(a, b));
  return acc;
}
/* An accumulator whose edgec_vdot_sum is v (a bias to start from): lanes v0, 0, v1, 0 and v2, 0, v3, 0. */
static inline edgec_vdot edgec_vdot_from(int32x4_t v) {
  edgec_vdot r;
  r.lo = vzip1q_s32(v, vdupq_n_s32(0));
  r.hi = vzip2q_s32(v, vdupq_n_s32(0));
  return r;
}
#define edgec_vdot_acc_lane(acc, b, a, lane) \
  edgec_vdot_acc((acc), (b), vreinterpretq_s8_s32(vdupq_laneq_s32(vreinterpretq_s32_s8(a), (lane))))
#define edgec_vdot_sum(acc) vpaddq_s32((acc).lo, (acc).hi)
/* acc += dot4(a0, b0) + dot4(a1, b1) per lane, the two products of each byte position summed in int16 (SMULL + SMLAL
 * per half, then one SADALP): callers keep every a0[i] b0[i] + a1[i] b1[i] within int16 (no byte position where both
 * products are -128 * -128). */
static inline edgec_vdot edgec_vdot_acc2(edgec_vdot acc, int8x16_t a0, int8x16_t b0, int8x16_t a1, int8x16_t b1) {
  acc.lo = vpadalq_s16(acc.lo, vmlal_s8(vmull_s8(vget_low_s8(a0), vget_low_s8(b0)), vget_low_s8(a1), vget_low_s8(b1)));
  acc.hi = vpadalq_s16(acc.hi, vmlal_high_s8(vmull_high_s8(a0, b0), a1, b1));
  return acc;
}
#endif
/* acc + dot4(a, b) on int32 lanes (SDOT semantics). */
#define edgec_vi32_dot4(acc, a, b) vaddq_s32((acc), edgec_vdot_sum(edgec_vdot_acc(edgec_vdot_zero(), (a), (b))))

#endif
