/* edgec SGEMM micro-kernel written against the vector vocabulary (runtime-c/simd): the MR x NR tile of gemm.h
 * (6 x 16) in register passes of EDGEC_SGEMM_RR rows x EDGEC_SGEMM_RV vectors (a vocabulary header sets them to
 * what its register file holds without spilling: the whole tile on NEON's 32 registers, smaller passes on
 * WebAssembly's 16), one FMA per accumulator and k; fused epilogue (row/column bias, accumulate into C, activation
 * in registers). Included by gemm.h when a vocabulary is selected. */
#ifndef EDGEC_KERNEL_VSGEMM_H
#define EDGEC_KERNEL_VSGEMM_H

#if EDGEC_GEMM_MR != 6
#error "vsgemm.h: the register passes split a tile of EDGEC_GEMM_MR == 6 rows"
#endif
/* Vectors per tile row. */
#define EDGEC_SGEMM_NV (EDGEC_GEMM_NR / EDGEC_VF32_LANES)
#if EDGEC_SGEMM_NV != 4
#error "vsgemm.h: the tile is written for 4 vectors per row (16 columns of 4 lanes)"
#endif
/* Register pass: rows (1, 2, 3 or 6) and vectors (1, 2 or 4); default the whole tile. */
#ifndef EDGEC_SGEMM_RR
#define EDGEC_SGEMM_RR 6
#endif
#ifndef EDGEC_SGEMM_RV
#define EDGEC_SGEMM_RV 4
#endif
/* 1: A values as splat loads (one load per row and k, nothing held in registers); 0: two A vectors per k and
 * lane-indexed FMAs (NEON's fmla by element). */
#ifndef EDGEC_SGEMM_SPLAT_A
#define EDGEC_SGEMM_SPLAT_A 0
#endif
#if !EDGEC_SGEMM_SPLAT_A && EDGEC_SGEMM_RR != 6
#error "vsgemm.h: lane-indexed A needs whole-tile row passes (EDGEC_SGEMM_RR == 6); set EDGEC_SGEMM_SPLAT_A"
#endif

/* A fused piecewise-linear activation on one vector (NaN behaviour as edgec_act_apply: x < lo ? lo : x, ...). */
EDGEC_INLINE edgec_vf32 edgec_vf32_act(edgec_vf32 x, int act, edgec_vf32 va, edgec_vf32 vb) {
  const edgec_vf32 zero = edgec_vf32_zero(), one = edgec_vf32_splat(1.0f);
  edgec_vf32 t;
  switch (act) {
  case EDGEC_ACT_RELU: return edgec_vf32_select(edgec_vf32_gt(x, zero), x, zero);
  case EDGEC_ACT_CLIP:
    t = edgec_vf32_select(edgec_vf32_gt(va, x), va, x);
    return edgec_vf32_select(edgec_vf32_gt(t, vb), vb, t);
  case EDGEC_ACT_HARDSIGMOID:
    t = edgec_vf32_fma(vb, va, x);
    t = edgec_vf32_select(edgec_vf32_gt(zero, t), zero, t);
    return edgec_vf32_select(edgec_vf32_gt(t, one), one, t);
  case EDGEC_ACT_HARDSWISH:
    t = edgec_vf32_fma(edgec_vf32_splat(0.5f), x, edgec_vf32_splat(1.0f / 6.0f));
    t = edgec_vf32_select(edgec_vf32_gt(zero, t), zero, t);
    t = edgec_vf32_select(edgec_vf32_gt(t, one), one, t);
    return edgec_vf32_mul(x, t);
  case EDGEC_ACT_LEAKYRELU: return edgec_vf32_select(edgec_vf32_ge(x, zero), x, edgec_vf32_mul(va, x));
  default: return x;
  }
}

/* One pass's accumulators as named variables (arrays of vectors would live in memory), row r vector v: c<r><v>. */
#if EDGEC_SGEMM_RV == 4
#define EDGEC_SGEMM_COLS(X, r) X(r, 0) X(r, 1) X(r, 2) X(r, 3)
#elif EDGEC_SGEMM_RV == 2
#define EDGEC_SGEMM_COLS(X, r) X(r, 0) X(r, 1)
#elif EDGEC_SGEMM_RV == 1
#define EDGEC_SGEMM_COLS(X, r) X(r, 0)
#else
#error "vsgemm.h: EDGEC_SGEMM_RV must be 1, 2 or 4"
#endif
#if EDGEC_SGEMM_RR == 6
#define EDGEC_SGEMM_EACH(X) EDGEC_SGEMM_COLS(X, 0) EDGEC_SGEMM_COLS(X, 1) EDGEC_SGEMM_COLS(X, 2) \
  EDGEC_SGEMM_COLS(X, 3) EDGEC_SGEMM_COLS(X, 4) EDGEC_SGEMM_COLS(X, 5)
#elif EDGEC_SGEMM_RR == 3
#define EDGEC_SGEMM_EACH(X) EDGEC_SGEMM_COLS(X, 0) EDGEC_SGEMM_COLS(X, 1) EDGEC_SGEMM_COLS(X, 2)
#elif EDGEC_SGEMM_RR == 2
#define EDGEC_SGEMM_EACH(X) EDGEC_SGEMM_COLS(X, 0) EDGEC_SGEMM_COLS(X, 1)
#elif EDGEC_SGEMM_RR == 1
#define EDGEC_SGEMM_EACH(X) EDGEC_SGEMM_COLS(X, 0)
#else
#error "vsgemm.h: EDGEC_SGEMM_RR must be 1, 2, 3 or 6"
#endif

/* One register pass: rows [r0, r0 + RR) x vectors [v0, v0 + RV) of the tile, bias-initialized from rv/bv, summed
 * over k, then stored to C (whole tile: with C accumulated and the activation) or to the tile buffer t. */
EDGEC_INLINE void edgec_sgemm_pass(ptrdiff_t K, const float *EDGEC_RESTRICT a, const float *EDGEC_RESTRICT b,
                                   ptrdiff_t ldb, float *EDGEC_RESTRICT c, ptrdiff_t ldc, int r0, int v0, int direct,
                                   int acc_c, const edgec_vf32 *bv, const edgec_vf32 *rv, int act, float aa, float ab,
                                   float *EDGEC_RESTRICT t) {
  ptrdiff_t k;
  a += r0;
  b += v0 * EDGEC_VF32_LANES;
#define EDGEC_SGEMM_INIT(r, v) edgec_vf32 c##r##v = edgec_vf32_add(bv[v0 + v], rv[r0 + r]);
  EDGEC_SGEMM_EACH(EDGEC_SGEMM_INIT)
#undef EDGEC_SGEMM_INIT
#if defined(EDGEC_SGEMM_UNROLL) && defined(__clang__)
#pragma clang loop unroll_count(EDGEC_SGEMM_UNROLL)
#endif
  for (k = 0; k < K; k++) {
#if EDGEC_SGEMM_SPLAT_A
#define EDGEC_SGEMM_FMA(r, v) c##r##v = edgec_vf32_fma(c##r##v, edgec_vf32_load(b + v * EDGEC_VF32_LANES), edgec_vf32_splat(a[r]));
#else
    const edgec_vf32 a0 = edgec_vf32_load(a), a1 = edgec_vf32_load(a + 2); /* rows 0-3 and rows 2-5 */
#define EDGEC_SGEMM_FMA(r, v) \
  c##r##v = edgec_vf32_fma_lane(c##r##v, edgec_vf32_load(b + v * EDGEC_VF32_LANES), (r < 4 ? a0 : a1), (r < 4 ? r : r - 2));
#endif
    EDGEC_SGEMM_EACH(EDGEC_SGEMM_FMA)
#undef EDGEC_SGEMM_FMA
    a += EDGEC_GEMM_MR;
    b += ldb;
  }
  if (direct) {
    const edgec_vf32 va = edgec_vf32_splat(aa), vb = edgec_vf32_splat(ab);
#define EDGEC_SGEMM_OUT(r, v)                                                                                           \
  {                                                                                                                    \
    float *p = c + (r0 + r) * ldc + (v0 + v) * EDGEC_VF32_LANES;                                                       \
    if (acc_c) c##r##v = edgec_vf32_add(c##r##v, edgec_vf32_load(p));                                                  \
    if (act != EDGEC_ACT_NONE) c##r##v = edgec_vf32_act(c##r##v, act, va, vb);                                         \
    edgec_vf32_store(p, c##r##v);                                                                                      \
  }
    EDGEC_SGEMM_EACH(EDGEC_SGEMM_OUT)
#undef EDGEC_SGEMM_OUT
    return;
  }
#define EDGEC_SGEMM_TMP(r, v) edgec_vf32_store(t + (r0 + r) * EDGEC_GEMM_NR + (v0 + v) * EDGEC_VF32_LANES, c##r##v);
  EDGEC_SGEMM_EACH(EDGEC_SGEMM_TMP)
#undef EDGEC_SGEMM_TMP
}

/* The vocabulary form of edgec_sgemm_ukr (same contract): tile = sum_k A[k][0..MR) x B[k][0..NR) + biases (+ C), then
 * `act`; only the top-left mr x nr part is written (row passes wholly below mr are skipped). */
static EDGEC_UNUSED void edgec_sgemm_ukr_simd(ptrdiff_t K, const float *EDGEC_RESTRICT a, const float *EDGEC_RESTRICT b,
                                              ptrdiff_t ldb, float *EDGEC_RESTRICT c, ptrdiff_t ldc, int mr, int nr,
                                              int acc_c, const float *rb, const float *cb, int act, float aa, float ab) {
  float t[EDGEC_GEMM_MR * EDGEC_GEMM_NR];
  edgec_vf32 bv[EDGEC_SGEMM_NV], rv[EDGEC_GEMM_MR];
  const int direct = mr == EDGEC_GEMM_MR && nr == EDGEC_GEMM_NR && edgec_act_in_registers(act);
  int i, v, r0, v0;
  for (v = 0; v < EDGEC_SGEMM_NV; v++) bv[v] = edgec_vf32_zero();
  if (cb) {
    const float *src = cb;
    if (nr < EDGEC_GEMM_NR) {
      for (i = 0; i < EDGEC_GEMM_NR; i++) t[i] = i < nr ? cb[i] : 0.0f;
      src = t;
    }
    for (v = 0; v < EDGEC_SGEMM_NV; v++) bv[v] = edgec_vf32_load(src + v * EDGEC_VF32_LANES);
  }
  for (i = 0; i < EDGEC_GEMM_MR; i++) rv[i] = rb ? edgec_vf32_splat(rb[i < mr ? i : 0]) : edgec_vf32_zero();
  for (r0 = 0; r0 < EDGEC_GEMM_MR; r0 += EDGEC_SGEMM_RR) {
    if (r0 >= mr) break;
    for (v0 = 0; v0 < EDGEC_SGEMM_NV; v0 += EDGEC_SGEMM_RV)
      edgec_sgemm_pass(K, a, b, ldb, c, ldc, r0, v0, direct, acc_c, bv, rv, act, aa, ab, t);
  }
  if (!direct) edgec_sgemm_store_tile(t, c, ldc, mr, nr, acc_c, act, aa, ab);
}

#endif
