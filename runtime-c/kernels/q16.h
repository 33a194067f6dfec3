/* 16x8 integer kernels (int16 activations, int8 weights): convolution and transposed convolution with TFLite's
   reference_integer_ops arithmetic, and the per-element functions of the 16-bit Add/Sub/Mul/LeakyRelu. */
#ifndef EDGEC_Q16_H
#define EDGEC_Q16_H
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

/* 16-bit Add/Sub (reference_ops AddElementwise/SubElementwise with left shift 15) and Mul parameters. */
typedef struct {
  int32_t z1, z2, zy;
  int32_t m1, s1, m2, s2, mo, so;
  int32_t sign; /* -1 for Sub */
  int32_t lo, hi;
} edgec_arith16_params;

EDGEC_INLINE int16_t edgec_add16(int32_t a, int32_t b, const edgec_arith16_params *p) {
  int32_t x1 = edgec_mbqm((a - p->z1) * (1 << 15), p->m1, p->s1);
  int32_t x2 = edgec_mbqm((b - p->z2) * (1 << 15), p->m2, p->s2);
  int32_t v = edgec_mbqm(x1 + p->sign * x2, p->mo, p->so) + p->zy;
  return (int16_t)edgec_clampi(v, p->lo, p->hi);
}

EDGEC_INLINE int16_t edgec_mul16(int32_t a, int32_t b, const edgec_arith16_params *p) {
  int32_t v = edgec_mbqm((a - p->z1) * (b - p->z2), p->mo, p->so) + p->zy;
  return (int16_t)edgec_clampi(v, p->lo, p->hi);
}

/* 16-bit LeakyRelu (reference_ops QuantizeLeakyRelu): identity or alpha multiplier by the sign of x - zx. */
EDGEC_INLINE int16_t edgec_leaky16(int32_t x, int32_t zx, int32_t zy, int32_t mi, int32_t si, int32_t ma, int32_t sa) {
  int32_t d = x - zx;
  int32_t v = zy + (d >= 0 ? edgec_mbqm(d, mi, si) : edgec_mbqm(d, ma, sa));
  return (int16_t)edgec_clampi(v, -32768, 32767);
}
#endif
