/* edgec softmax and log-softmax kernels over the middle axis of an [outer, n, inner] view.
 * Include after edgec_runtime.h and kernels/elementwise.h (for edgec_expf). The last-axis case (inner == 1, also
 * every opset < 13 softmax) works on contiguous rows with vectorized max, exp and sum. */
#ifndef EDGEC_KERNELS_SOFTMAX_H
#define EDGEC_KERNELS_SOFTMAX_H

/* Softmax (log_softmax != 0: log-softmax) of each of `rows` contiguous rows of n floats. */
EDGEC_INLINE void edgec_softmax_rows_f32(const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y, ptrdiff_t rows,
                                         ptrdiff_t n, int log_softmax) {
  ptrdiff_t r, i;
  for (r = 0; r < rows; r++) {
    const float *xr = x + r * n;
    float *yr = y + r * n;
    float m = edgec_extreme_f32(xr, n, 0), s;
    if (log_softmax) {
      s = m + logf(edgec_sumexp_f32(xr, n, m));
      for (i = 0; i < n; i++) yr[i] = xr[i] - s;
    } else {
      s = 0.0f;
      for (i = 0; i < n; i += 256) { /* exp then sum each block while it is in L1 */
        ptrdiff_t k, len = n - i < 256 ? n - i : 256;
        for (k = 0; k < len; k++) yr[i + k] = edgec_expf(xr[i + k] - m);
        s += edgec_sum_f32(yr + i, len);
      }
      s = 1.0f / s;
      for (i = 0; i < n; i++) yr[i] *= s;
    }
  }
}

/* Softmax over the middle axis of [outer, n, inner] (inner > 1); scratch holds 2 * inner floats. */
EDGEC_INLINE void edgec_softmax_strided_f32(const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y, ptrdiff_t outer,
                                            ptrdiff_t n, ptrdiff_t inner, int log_softmax, float *EDGEC_RESTRICT scratch) {
  float *m = scratch, *s = scratch + inner;
  ptrdiff_t o, k, j;
  for (o = 0; o < outer; o++) {
    const float *xo = x + o * n * inner;
    float *yo = y + o * n * inner;
    for (j = 0; j < inner; j++) {
      m[j] = xo[j];
      s[j] = 0.0f;
    }
    for (k = 1; k < n; k++)
      for (j = 0; j < inner; j++) m[j] = xo[k * inner + j] > m[j] ? xo[k * inner + j] : m[j];
    for (k = 0; k < n; k++)
      for (j = 0; j < inner; j++) {
        float e = edgec_expf(xo[k * inner + j] - m[j]);
        if (!log_softmax) yo[k * inner + j] = e;
        s[j] += e;
      }
    if (log_softmax) {
      for (j = 0; j < inner; j++) s[j] = m[j] + logf(s[j]);
      for (k = 0; k < n; k++)
        for (j = 0; j < inner; j++) yo[k * inner + j] = xo[k * inner + j] - s[j];
    } else {
      for (j = 0; j < inner; j++) s[j] = 1.0f / s[j];
      for (k = 0; k < n; k++)
        for (j = 0; j < inner; j++) yo[k * inner + j] *= s[j];
    }
  }
}

#endif
