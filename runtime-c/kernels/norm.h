/* edgec normalization kernels: batch norm as per-channel scale+shift, instance norm, layer norm, LRN.
 * Include after edgec_runtime.h. Tensors are row-major; "n x c x s" means batch, channels, flattened spatial dims. */
#ifndef EDGEC_KERNELS_NORM_H
#define EDGEC_KERNELS_NORM_H

/* Lanes of the partial sums used by the reductions (independent lanes vectorize without -ffast-math). */
#define EDGEC_NORM_LANES 16

/* Moments of n > 0 contiguous floats taken about x[0] (exact offsets, so rows with a large common offset stay
 * accurate): stores mean - x[0] in *m and returns 1 / sqrt(variance + eps). */
EDGEC_INLINE float edgec_norm_stats(const float *EDGEC_RESTRICT x, int n, float eps, float *m) {
  const float x0 = x[0];
  float acc[EDGEC_NORM_LANES] = {0.0f}, s = 0.0f, mean;
  int i, l;
  for (i = 0; i + EDGEC_NORM_LANES <= n; i += EDGEC_NORM_LANES)
    for (l = 0; l < EDGEC_NORM_LANES; l++) acc[l] += x[i + l] - x0;
  for (; i < n; i++) s += x[i] - x0;
  for (l = 0; l < EDGEC_NORM_LANES; l++) s += acc[l];
  mean = s / (float)n;
  s = 0.0f;
  for (l = 0; l < EDGEC_NORM_LANES; l++) acc[l] = 0.0f;
  for (i = 0; i + EDGEC_NORM_LANES <= n; i += EDGEC_NORM_LANES)
    for (l = 0; l < EDGEC_NORM_LANES; l++) {
      const float d = (x[i + l] - x0) - mean;
      acc[l] += d * d;
    }
  for (; i < n; i++) s += ((x[i] - x0) - mean) * ((x[i] - x0) - mean);
  for (l = 0; l < EDGEC_NORM_LANES; l++) s += acc[l];
  *m = mean;
  return 1.0f / sqrtf(s / (float)n + eps);
}

/* Per-channel affine y = x * a[ch] + b[ch] over n x c x s (inference batch norm with folded parameters). */
static EDGEC_UNUSED void edgec_batchnorm(const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y,
                                         const float *EDGEC_RESTRICT a, const float *EDGEC_RESTRICT b, int n, int c,
                                         int s) {
  int i, ch, k;
  if (s == 1) {
    /* N x C: channels are the contiguous dim. */
    for (i = 0; i < n; i++) {
      const float *xi = x + (ptrdiff_t)i * c;
      float *yi = y + (ptrdiff_t)i * c;
      for (ch = 0; ch < c; ch++) yi[ch] = xi[ch] * a[ch] + b[ch];
    }
    return;
  }
  for (i = 0; i < n; i++)
    for (ch = 0; ch < c; ch++) {
      const ptrdiff_t o = ((ptrdiff_t)i * c + ch) * s;
      const float ac = a[ch], bc = b[ch];
      for (k = 0; k < s; k++) y[o + k] = x[o + k] * ac + bc;
    }
}

/* Fold batch-norm parameters known only at run time: a = scale / sqrt(var + eps), b = bias - mean * a. */
static EDGEC_UNUSED void edgec_batchnorm_fold(const float *EDGEC_RESTRICT scale, const float *EDGEC_RESTRICT bias,
                                              const float *EDGEC_RESTRICT mean, const float *EDGEC_RESTRICT var,
                                              float eps, int c, float *EDGEC_RESTRICT a, float *EDGEC_RESTRICT b) {
  int ch;
  for (ch = 0; ch < c; ch++) {
    a[ch] = scale[ch] / sqrtf(var[ch] + eps);
    b[ch] = bias[ch] - mean[ch] * a[ch];
  }
}

/* Instance norm over n x c x s: each (sample, channel) plane is normalized, then scaled by scale[ch], shifted by bias[ch]. */
static EDGEC_UNUSED void edgec_instancenorm(const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y,
                                            const float *EDGEC_RESTRICT scale, const float *EDGEC_RESTRICT bias, int n,
                                            int c, int s, float eps) {
  int p, k;
  for (p = 0; p < n * c; p++) {
    const float *xp = x + (ptrdiff_t)p * s;
    float *yp = y + (ptrdiff_t)p * s;
    const float x0 = xp[0];
    float mu;
    const float a = scale[p % c] * edgec_norm_stats(xp, s, eps, &mu);
    const float b = bias[p % c] - mu * a;
    for (k = 0; k < s; k++) yp[k] = (xp[k] - x0) * a + b;
  }
}

/* Layer norm of m rows of d floats: y = (x - mean) / sqrt(var + eps) * scale + bias (scale, bias: d floats; bias may be NULL). */
static EDGEC_UNUSED void edgec_layernorm(const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y,
                                         const float *EDGEC_RESTRICT scale, const float *EDGEC_RESTRICT bias, int m,
                                         int d, float eps) {
  int r, k;
  for (r = 0; r < m; r++) {
    const float *xr = x + (ptrdiff_t)r * d;
    float *yr = y + (ptrdiff_t)r * d;
    const float x0 = xr[0];
    float mu;
    const float inv = edgec_norm_stats(xr, d, eps, &mu);
    if (bias)
      for (k = 0; k < d; k++) yr[k] = ((xr[k] - x0) - mu) * inv * scale[k] + bias[k];
    else
      for (k = 0; k < d; k++) yr[k] = ((xr[k] - x0) - mu) * inv * scale[k];
  }
}

/* Local response normalization across channels of n x c x s:
 * y = x / (bias + alpha / size * sum of x^2 over channels [ch - (size-1)/2, ch + ceil((size-1)/2)])^beta.
 * The output plane doubles as the sum-of-squares accumulator. */
static EDGEC_UNUSED void edgec_lrn(const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y, int n, int c, int s,
                                   int size, float alpha, float beta, float bias) {
  const int before = (size - 1) / 2, after = size / 2;
  const float coef = alpha / (float)size;
  int i, ch, q, k;
  for (i = 0; i < n; i++)
    for (ch = 0; ch < c; ch++) {
      const float *xc = x + ((ptrdiff_t)i * c + ch) * s;
      float *yc = y + ((ptrdiff_t)i * c + ch) * s;
      const int q0 = ch - before < 0 ? 0 : ch - before, q1 = ch + after > c - 1 ? c - 1 : ch + after;
      for (k = 0; k < s; k++) yc[k] = 0.0f;
      for (q = q0; q <= q1; q++) {
        const float *xq = x + ((ptrdiff_t)i * c + q) * s;
        for (k = 0; k < s; k++) yc[k] += xq[k] * xq[k];
      }
      if (beta == 0.75f)
        for (k = 0; k < s; k++) {
          const float t = bias + coef * yc[k];
          yc[k] = xc[k] / sqrtf(t * sqrtf(t));
        }
      else
        for (k = 0; k < s; k++) yc[k] = xc[k] / powf(bias + coef * yc[k], beta);
    }
}

#endif
