/* edgec Resize kernels: integer-factor nearest upsampling (any element size) and separable linear/cubic (float32).
 * Include after edgec_runtime.h. Other nearest resizes go through edgec_remap in layout.h. */
#ifndef EDGEC_KERNELS_RESIZE_H
#define EDGEC_KERNELS_RESIZE_H

/* Repeat each of iw elements of ES bytes sw times into d (inlined per constant ES and SW). */
EDGEC_INLINE void edgec_upsample_row(unsigned char *EDGEC_RESTRICT d, const unsigned char *EDGEC_RESTRICT s, ptrdiff_t iw,
                                     ptrdiff_t SW, size_t ES) {
  ptrdiff_t x, k;
  for (x = 0; x < iw; x++)
    for (k = 0; k < SW; k++) memcpy(d + (size_t)(x * SW + k) * ES, s + (size_t)x * ES, ES);
}

/* Nearest upsampling by integer factors: planes of ih x iw elements of es bytes -> (ih*sh) x (iw*sw).
 * Each source row is widened once, then copied sh-1 times. */
static EDGEC_UNUSED void edgec_resize_nearest_int(void *dst, const void *src, ptrdiff_t planes, ptrdiff_t ih, ptrdiff_t iw,
                                                  ptrdiff_t sh, ptrdiff_t sw, size_t es) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  size_t in_row = (size_t)iw * es, out_row = in_row * (size_t)sw;
  ptrdiff_t r, k;
  for (r = 0; r < planes * ih; r++) {
    unsigned char *o = d + (size_t)(r * sh) * out_row;
    const unsigned char *i = s + (size_t)r * in_row;
    if (es == 4 && sw == 2) edgec_upsample_row(o, i, iw, 2, 4);
    else if (es == 4 && sw == 4) edgec_upsample_row(o, i, iw, 4, 4);
    else if (es == 4) edgec_upsample_row(o, i, iw, sw, 4);
    else if (es == 1) edgec_upsample_row(o, i, iw, sw, 1);
    else if (es == 2) edgec_upsample_row(o, i, iw, sw, 2);
    else if (es == 8) edgec_upsample_row(o, i, iw, sw, 8);
    else edgec_upsample_row(o, i, iw, sw, es);
    for (k = 1; k < sh; k++) memcpy(o + (size_t)k * out_row, o, out_row);
  }
}

/* Separable resampling of float planes ih x iw -> oh x ow. Output row i blends ky input rows yi[i*ky+t] with weights
 * yw[i*ky+t] into tmp (iw floats), then output column j blends kx entries xi[j*kx+t] of tmp with weights xw[j*kx+t]. */
static EDGEC_UNUSED void edgec_resize_taps_f32(const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y, ptrdiff_t planes,
                                               ptrdiff_t ih, ptrdiff_t iw, ptrdiff_t oh, ptrdiff_t ow, int ky,
                                               const int32_t *yi, const float *yw, int kx, const int32_t *xi, const float *xw,
                                               float *EDGEC_RESTRICT tmp) {
  ptrdiff_t p, i, j, c;
  int t;
  for (p = 0; p < planes; p++) {
    const float *xp = x + (size_t)(p * ih * iw);
    float *yp = y + (size_t)(p * oh * ow);
    for (i = 0; i < oh; i++) {
      const int32_t *ri = yi + (size_t)i * (size_t)ky;
      const float *rw = yw + (size_t)i * (size_t)ky;
      float *yr = yp + (size_t)(i * ow);
      if (ky == 2) {
        const float *r0 = xp + (size_t)ri[0] * (size_t)iw, *r1 = xp + (size_t)ri[1] * (size_t)iw;
        float w0 = rw[0], w1 = rw[1];
        for (c = 0; c < iw; c++) tmp[c] = w0 * r0[c] + w1 * r1[c];
      } else {
        const float *r0 = xp + (size_t)ri[0] * (size_t)iw;
        float w0 = rw[0];
        for (c = 0; c < iw; c++) tmp[c] = w0 * r0[c];
        for (t = 1; t < ky; t++) {
          const float *rt = xp + (size_t)ri[t] * (size_t)iw;
          float wt = rw[t];
          for (c = 0; c < iw; c++) tmp[c] += wt * rt[c];
        }
      }
      if (kx == 2) {
        for (j = 0; j < ow; j++) yr[j] = xw[2 * j] * tmp[xi[2 * j]] + xw[2 * j + 1] * tmp[xi[2 * j + 1]];
      } else if (kx == 4) {
        for (j = 0; j < ow; j++) {
          const int32_t *ci = xi + 4 * j;
          const float *cw = xw + 4 * j;
          yr[j] = cw[0] * tmp[ci[0]] + cw[1] * tmp[ci[1]] + cw[2] * tmp[ci[2]] + cw[3] * tmp[ci[3]];
        }
      } else {
        for (j = 0; j < ow; j++) {
          float acc = 0.0f;
          for (t = 0; t < kx; t++) acc += xw[(size_t)j * (size_t)kx + (size_t)t] * tmp[xi[(size_t)j * (size_t)kx + (size_t)t]];
          yr[j] = acc;
        }
      }
    }
  }
}

#endif
