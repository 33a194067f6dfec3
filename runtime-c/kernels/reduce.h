/* edgec float reductions over the middle axis of an [outer, r, inner] view (any contiguous run of axes maps to one).
 * Include after edgec_runtime.h and kernels/elementwise.h. Arguments are literals at every call site, so the
 * always-inline bodies specialise; inner == 1 uses independent partial sums, inner > 1 vectorizes across inner. */
#ifndef EDGEC_KERNELS_REDUCE_H
#define EDGEC_KERNELS_REDUCE_H

/* Lanes of the partial accumulators for reductions over contiguous elements. */
#define EDGEC_REDUCE_LANES 8

/* Operations of edgec_reduce_f32. */
enum {
  EDGEC_RED_SUM = 0,     /* sum of x */
  EDGEC_RED_SUMSQ = 1,   /* sum of x*x */
  EDGEC_RED_MAX = 2,
  EDGEC_RED_MIN = 3,
  EDGEC_RED_PROD = 4
};

/* One accumulation step of reduction `op`. */
EDGEC_INLINE float edgec_red_step(int op, float acc, float x) {
  switch (op) {
  case EDGEC_RED_SUMSQ: return acc + x * x;
  case EDGEC_RED_MAX: return x > acc ? x : acc;
  case EDGEC_RED_MIN: return x < acc ? x : acc;
  case EDGEC_RED_PROD: return acc * x;
  default: return acc + x;
  }
}

/* Identity element of reduction `op`. */
EDGEC_INLINE float edgec_red_init(int op) {
  switch (op) {
  case EDGEC_RED_MAX: return -HUGE_VALF;
  case EDGEC_RED_MIN: return HUGE_VALF;
  case EDGEC_RED_PROD: return 1.0f;
  default: return 0.0f;
  }
}

/* Reduce n contiguous floats with `op` (partial results in independent lanes, so the loop vectorizes). */
EDGEC_INLINE float edgec_red_row(int op, const float *EDGEC_RESTRICT x, ptrdiff_t n) {
  float acc[EDGEC_REDUCE_LANES], s = edgec_red_init(op);
  ptrdiff_t i, nb = n - n % EDGEC_REDUCE_LANES;
  int l;
  if (op == EDGEC_RED_MAX || op == EDGEC_RED_MIN) return n > 0 ? edgec_extreme_f32(x, n, op == EDGEC_RED_MIN) : s;
  for (l = 0; l < EDGEC_REDUCE_LANES; l++) acc[l] = edgec_red_init(op);
  for (i = 0; i < nb; i += EDGEC_REDUCE_LANES)
    for (l = 0; l < EDGEC_REDUCE_LANES; l++) acc[l] = edgec_red_step(op, acc[l], x[i + l]);
  for (i = nb; i < n; i++) s = edgec_red_step(op, s, x[i]);
  for (l = 0; l < EDGEC_REDUCE_LANES; l++) s = op == EDGEC_RED_SUMSQ ? s + acc[l] : edgec_red_step(op, s, acc[l]);
  return s;
}

/* y[o, j] = post(reduce_k x[o, k, j]); post scales by `scale` then takes the square root if `root`. */
EDGEC_INLINE void edgec_reduce_f32(const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y, ptrdiff_t outer, ptrdiff_t r,
                                   ptrdiff_t inner, int op, float scale, int root) {
  ptrdiff_t o, k, j;
  for (o = 0; o < outer; o++) {
    const float *xo = x + o * r * inner;
    float *yo = y + o * inner;
    if (inner == 1) {
      yo[0] = edgec_red_row(op, xo, r);
    } else {
      for (j = 0; j < inner; j++) yo[j] = edgec_red_init(op);
      for (k = 0; k < r; k++)
        for (j = 0; j < inner; j++) yo[j] = edgec_red_step(op, yo[j], xo[k * inner + j]);
    }
    if (scale != 1.0f)
      for (j = 0; j < inner; j++) yo[j] *= scale;
    if (root)
      for (j = 0; j < inner; j++) yo[j] = sqrtf(yo[j]);
  }
}

/* y[o, j] = log(sum_k exp(x[o, k, j])), computed stably around the maximum; scratch holds `inner` floats. */
EDGEC_INLINE void edgec_reduce_logsumexp_f32(const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y, ptrdiff_t outer,
                                             ptrdiff_t r, ptrdiff_t inner, float *EDGEC_RESTRICT scratch) {
  ptrdiff_t o, k, j;
  for (o = 0; o < outer; o++) {
    const float *xo = x + o * r * inner;
    float *yo = y + o * inner;
    if (inner == 1) {
      float m = edgec_red_row(EDGEC_RED_MAX, xo, r);
      if (m == HUGE_VALF || m == -HUGE_VALF) {
        yo[0] = m;
        continue;
      }
      yo[0] = m + logf(edgec_sumexp_f32(xo, r, m));
    } else {
      float *m = scratch;
      for (j = 0; j < inner; j++) {
        m[j] = xo[j];
        yo[j] = 0.0f;
      }
      for (k = 1; k < r; k++)
        for (j = 0; j < inner; j++) m[j] = xo[k * inner + j] > m[j] ? xo[k * inner + j] : m[j];
      for (k = 0; k < r; k++)
        for (j = 0; j < inner; j++) yo[j] += edgec_expf(xo[k * inner + j] - m[j]);
      for (j = 0; j < inner; j++) yo[j] = (m[j] == HUGE_VALF || m[j] == -HUGE_VALF) ? m[j] : m[j] + logf(yo[j]);
    }
  }
}

#endif
