/* 16x8 integer convolution and transposed convolution (int16 activations, int8 weights, int64 accumulators) with
   TFLite's reference_integer_ops arithmetic. */
#ifndef EDGEC_QCONV16_H
#define EDGEC_QCONV16_H
#include <stdint.h>
#include "../edgec_runtime.h"
#include "qmath.h"

/* TFLite MultiplyByQuantizedMultiplier for an int64 accumulator: the multiplier reduced to 16 bits, one rounding shift. */
EDGEC_INLINE int32_t edgec_mbqm64(int64_t x, int32_t m, int shift) {
  int32_t reduced = m < 0x7FFF0000 ? (int32_t)((m + (1 << 15)) >> 16) : 0x7FFF;
  int total = 15 - shift;
  int64_t r = x * (int64_t)reduced + ((int64_t)1 << (total - 1));
  return (int32_t)(r >> total);
}

/* Geometry and requantization of a 2-D 16x8 convolution over NCHW (IR weights: Conv [M, C/g, kh, kw], ConvTranspose [C, M/g, kh, kw]). */
typedef struct {
  int n, c, h, w;   /* input */
  int m, oh, ow;    /* output channels and size */
  int kh, kw, sh, sw, dh, dw, pt, pl;
  int group;
  int wide;         /* 1: int64 accumulator and edgec_mbqm64 (int64 or no bias); 0: int32 accumulator and edgec_mbqm */
  int per_channel;  /* multipliers per output channel (else one) */
  int32_t lo, hi;   /* output clamp */
} edgec_conv16_geom;

EDGEC_INLINE int16_t edgec_requant16(const edgec_conv16_geom *g, int64_t acc, const int32_t *mult, const int32_t *shift, int oc) {
  int k = g->per_channel ? oc : 0;
  int32_t v = g->wide ? edgec_mbqm64(acc, mult[k], shift[k]) : edgec_mbqm((int32_t)acc, mult[k], shift[k]);
  return (int16_t)edgec_clampi(v, g->lo, g->hi);
}

/* Convolution (ConvPerChannel 16x8): acc = bias + sum x * w over the window inside the input; requantized per channel. */
static EDGEC_UNUSED void edgec_conv16x8(const edgec_conv16_geom *g, const int16_t *EDGEC_RESTRICT x, const int8_t *EDGEC_RESTRICT w,
                                        const int64_t *EDGEC_RESTRICT bias, const int32_t *mult, const int32_t *shift, int16_t *EDGEC_RESTRICT y) {
  int cpg = g->c / g->group, mpg = g->m / g->group;
  for (int b = 0; b < g->n; b++)
    for (int oc = 0; oc < g->m; oc++) {
      const int8_t *wo = w + (ptrdiff_t)oc * cpg * g->kh * g->kw;
      const int16_t *xg = x + ((ptrdiff_t)b * g->c + (ptrdiff_t)(oc / mpg) * cpg) * g->h * g->w;
      int16_t *yo = y + ((ptrdiff_t)b * g->m + oc) * g->oh * g->ow;
      for (int oy = 0; oy < g->oh; oy++)
        for (int ox = 0; ox < g->ow; ox++) {
          int64_t acc = bias ? bias[oc] : 0;
          for (int ic = 0; ic < cpg; ic++) {
            const int16_t *xc = xg + (ptrdiff_t)ic * g->h * g->w;
            const int8_t *wc = wo + (ptrdiff_t)ic * g->kh * g->kw;
            for (int ky = 0; ky < g->kh; ky++) {
              int iy = oy * g->sh - g->pt + ky * g->dh;
              if (iy < 0 || iy >= g->h) continue;
              for (int kx = 0; kx < g->kw; kx++) {
                int ix = ox * g->sw - g->pl + kx * g->dw;
                if (ix < 0 || ix >= g->w) continue;
                acc += (int32_t)xc[iy * g->w + ix] * (int32_t)wc[ky * g->kw + kx];
              }
            }
          }
          yo[oy * g->ow + ox] = edgec_requant16(g, acc, mult, shift, oc);
        }
    }
}

/* Transposed convolution (TransposeConv 16x8) as a gather: output (oy, ox) sums the inputs whose window covers it. */
static EDGEC_UNUSED void edgec_conv_transpose16x8(const edgec_conv16_geom *g, const int16_t *EDGEC_RESTRICT x, const int8_t *EDGEC_RESTRICT w,
                                     const int64_t *EDGEC_RESTRICT bias, const int32_t *mult, const int32_t *shift, int16_t *EDGEC_RESTRICT y) {
  int cpg = g->c / g->group, mpg = g->m / g->group;
  for (int b = 0; b < g->n; b++)
    for (int oc = 0; oc < g->m; oc++) {
      int grp = oc / mpg, ocg = oc % mpg;
      int16_t *yo = y + ((ptrdiff_t)b * g->m + oc) * g->oh * g->ow;
      for (int oy = 0; oy < g->oh; oy++)
        for (int ox = 0; ox < g->ow; ox++) {
          int64_t acc = bias ? bias[oc] : 0;
          for (int ic = 0; ic < cpg; ic++) {
            int ci = grp * cpg + ic;
            const int16_t *xc = x + ((ptrdiff_t)b * g->c + ci) * g->h * g->w;
            const int8_t *wc = w + ((ptrdiff_t)ci * mpg + ocg) * g->kh * g->kw;
            for (int ky = 0; ky < g->kh; ky++) {
              int ty = oy + g->pt - ky * g->dh;
              if (ty < 0 || ty % g->sh) continue;
              int iy = ty / g->sh;
              if (iy >= g->h) continue;
              for (int kx = 0; kx < g->kw; kx++) {
                int tx = ox + g->pl - kx * g->dw;
                if (tx < 0 || tx % g->sw) continue;
                int ix = tx / g->sw;
                if (ix >= g->w) continue;
                acc += (int32_t)xc[iy * g->w + ix] * (int32_t)wc[ky * g->kw + kx];
              }
            }
          }
          yo[oy * g->ow + ox] = edgec_requant16(g, acc, mult, shift, oc);
        }
    }
}

#endif
