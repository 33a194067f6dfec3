/* edgec SGEMM micro-kernel written against the vector vocabulary (runtime-c/simd): the MR x NR tile of gemm.h
 * (6 x 16) as 6 x (16 / lanes) accumulators, one lane-indexed FMA per accumulator and k; fused epilogue
 * (row/column bias, accumulate into C, activation in registers). Included by gemm.h when a vocabulary is selected. */
#ifndef EDGEC_KERNEL_VSGEMM_H
#define EDGEC_KERNEL_VSGEMM_H

#if EDGEC_GEMM_MR != 6
#error "vsgemm.h: the micro-kernel reads A as lanes 0-3 and 2-5 of two vectors; it needs EDGEC_GEMM_MR == 6"
#endif
/* Vectors per tile row. */
#define EDGEC_SGEMM_NV (EDGEC_GEMM_NR / EDGEC_VF32_LANES)

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

/* The tile's 24 accumulators as named variables (arrays of vectors would live in memory), row r vector v: c<r><v>. */
#define EDGEC_SGEMM_EACH(X) X(0, 0) X(0, 1) X(0, 2) X(0, 3) X(1, 0) X(1, 1) X(1, 2) X(1, 3) X(2, 0) X(2, 1) X(2, 2) \
  X(2, 3) X(3, 0) X(3, 1) X(3, 2) X(3, 3) X(4, 0) X(4, 1) X(4, 2) X(4, 3) X(5, 0) X(5, 1) X(5, 2) X(5, 3)
#if EDGEC_SGEMM_NV != 4
#error "vsgemm.h: the tile is written for 4 vectors per row (16 columns of 4 lanes)"
#endif

/* The vocabulary form of edgec_sgemm_ukr (same contract): tile = sum_k A[k][0..MR) x B[k][0..NR) + biases (+ C), then
 * `act`; only the top-left mr x nr part is written. */
static EDGEC_UNUSED void edgec_sgemm_ukr_simd(ptrdiff_t K, const float *EDGEC_RESTRICT a, const float *EDGEC_RESTRICT b,
                                              ptrdiff_t ldb, float *EDGEC_RESTRICT c, ptrdiff_t ldc, int mr, int nr,
                                              int acc_c, const float *rb, const float *cb, int act, float aa, float ab) {
  float t[EDGEC_GEMM_MR * EDGEC_GEMM_NR];
  edgec_vf32 bv[EDGEC_SGEMM_NV], rv[EDGEC_GEMM_MR];
  ptrdiff_t k;
  int i, v;
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
#define EDGEC_SGEMM_INIT(r, v) edgec_vf32 c##r##v = rb ? edgec_vf32_add(bv[v], rv[r]) : bv[v];
  EDGEC_SGEMM_EACH(EDGEC_SGEMM_INIT)
#undef EDGEC_SGEMM_INIT
  for (k = 0; k < K; k++) {
    const edgec_vf32 a0 = edgec_vf32_load(a), a1 = edgec_vf32_load(a + 2); /* rows 0-3 and rows 2-5 */
    const edgec_vf32 b0 = edgec_vf32_load(b), b1 = edgec_vf32_load(b + EDGEC_VF32_LANES);
    const edgec_vf32 b2 = edgec_vf32_load(b + 2 * EDGEC_VF32_LANES), b3 = edgec_vf32_load(b + 3 * EDGEC_VF32_LANES);
#define EDGEC_SGEMM_FMA(r, v) c##r##v = edgec_vf32_fma_lane(c##r##v, b##v, (r < 4 ? a0 : a1), (r < 4 ? r : r - 2));
    EDGEC_SGEMM_EACH(EDGEC_SGEMM_FMA)
#undef EDGEC_SGEMM_FMA
    a += EDGEC_GEMM_MR;
    b += ldb;
  }
  if (mr == EDGEC_GEMM_MR && nr == EDGEC_GEMM_NR && edgec_act_in_registers(act)) {
    const edgec_vf32 va = edgec_vf32_splat(aa), vb = edgec_vf32_splat(ab);
#define EDGEC_SGEMM_OUT(r, v)                                                                                           \
  {                                                                                                                    \
    float *p = c + r * ldc + v * EDGEC_VF32_LANES;                                                                     \
    if (acc_c) c##r##v = edgec_vf32_add(c##r##v, edgec_vf32_load(p));                                                  \
    if (act != EDGEC_ACT_NONE) c##r##v = edgec_vf32_act(c##r##v, act, va, vb);                                         \
    edgec_vf32_store(p, c##r##v);                                                                                      \
  }
    EDGEC_SGEMM_EACH(EDGEC_SGEMM_OUT)
#undef EDGEC_SGEMM_OUT
    return;
  }
#define EDGEC_SGEMM_TMP(r, v) edgec_vf32_store(t + r * EDGEC_GEMM_NR + v * EDGEC_VF32_LANES, c##r##v);
  EDGEC_SGEMM_EACH(EDGEC_SGEMM_TMP)
#undef EDGEC_SGEMM_TMP
  edgec_sgemm_store_tile(t, c, ldc, mr, nr, acc_c, act, aa, ab);
}

#endif
