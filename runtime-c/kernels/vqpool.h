/* edgec int8 pooling on the vector vocabulary (runtime-c/simd): the Mean of GlobalAveragePool / ReduceMean with its
 * sums on 16 lanes, and max pooling 16 output columns at a time (stride 1, or 2 through even-byte loads) over the
 * columns whose window lies inside the row; edges, other strides and the finishing arithmetic are the scalar forms of
 * qpool.h, so the results are those of edgec_q_mean_s8 and edgec_q_maxpool_s8 exactly. */
#ifndef EDGEC_KERNEL_VQPOOL_H
#define EDGEC_KERNEL_VQPOOL_H

#include "qpool.h"

#if !defined(EDGEC_SIMD)
#error "vqpool.h needs a vector vocabulary (runtime-c/simd); the emitter includes one for targets that name it"
#endif

/* TFLite's int8 Mean (edgec_q_mean_s8): the centred sum of the n values spaced inner apart of each of outer x inner
 * groups, requantized by (m, shift), rounded-divided by n, plus zy, saturated. */
static EDGEC_UNUSED void edgec_vq_mean_s8(const int8_t *EDGEC_RESTRICT x, int8_t *EDGEC_RESTRICT y, ptrdiff_t outer,
                                          ptrdiff_t n, ptrdiff_t inner, int32_t zx, int32_t m, int shift, int32_t zy) {
  const uint32_t bias = (uint32_t)n * (uint32_t)zx;
  ptrdiff_t o, j, k;
  int v;
#define EDGEC_VQ_MEAN_OUT(s) (int8_t) edgec_clampi(edgec_rounded_div(edgec_mbqm((int32_t)((uint32_t)(s) - bias), m, shift), (int32_t)n) + zy, -128, 127)
  if (inner == 1) {
    const edgec_vi8 ones = edgec_vi8_splat(1);
    for (o = 0; o < outer; o++) {
      const int8_t *xp = x + o * n;
      edgec_vdot acc = edgec_vdot_zero();
      int32_t s;
      for (k = 0; k + 16 <= n; k += 16) acc = edgec_vdot_acc(acc, edgec_vi8_load(xp + k), ones);
      s = edgec_vi32_hsum(edgec_vdot_sum(acc));
      for (; k < n; k++) s += xp[k];
      y[o] = EDGEC_VQ_MEAN_OUT(s);
    }
    return;
  }
  for (o = 0; o < outer; o++) {
    const int8_t *xo = x + o * n * inner;
    int8_t *yo = y + o * inner;
    for (j = 0; j + 16 <= inner; j += 16) {
      edgec_vi32 acc[4], w[4];
      int32_t t[16];
      for (v = 0; v < 4; v++) acc[v] = edgec_vi32_zero();
      for (k = 0; k < n; k++) {
        edgec_vi8_widen4(edgec_vi8_load(xo + k * inner + j), w);
        for (v = 0; v < 4; v++) acc[v] = edgec_vi32_add(acc[v], w[v]);
      }
      for (v = 0; v < 4; v++) edgec_vi32_store(t + 4 * v, acc[v]);
      for (v = 0; v < 16; v++) yo[j + v] = EDGEC_VQ_MEAN_OUT(t[v]);
    }
    for (; j < inner; j++) {
      int32_t s = 0;
      for (k = 0; k < n; k++) s += xo[k * inner + j];
      yo[j] = EDGEC_VQ_MEAN_OUT(s);
    }
  }
#undef EDGEC_VQ_MEAN_OUT
}

/* int8 max pooling (edgec_q_maxpool_s8): 16 output columns at a time where every tap of the row is inside it and
 * the stride is 1 or 2, the scalar window elsewhere; clamped to [lo, hi]. */
static EDGEC_UNUSED void edgec_vq_maxpool_s8(const int8_t *EDGEC_RESTRICT x, int8_t *EDGEC_RESTRICT y,
                                             const edgec_qpool_geom *g, int32_t lo, int32_t hi) {
  const ptrdiff_t slice = (ptrdiff_t)g->ih * g->iw, plane = (ptrdiff_t)g->id * slice;
  const edgec_vi8 vlo = edgec_vi8_splat((int8_t)lo), vhi = edgec_vi8_splat((int8_t)hi);
  /* Interior columns [c0, c1): all kw taps inside the row. An even-byte load reads one byte past its last lane, so
   * with stride 2 the vector blocks stop one column before c1. */
  int c0 = g->pw > 0 ? (g->pw + g->sw - 1) / g->sw : 0;
  int c1 = g->iw - 1 - (g->kw - 1) * g->dw + g->pw < 0 ? 0 : (g->iw - 1 - (g->kw - 1) * g->dw + g->pw) / g->sw + 1;
  const int vend = g->sw == 1 ? c1 : g->sw == 2 ? c1 - 1 : 0;
  int p, z, r, c, a, b, e, t[6];
  if (c1 > g->ow) c1 = g->ow;
  if (c0 > c1) c0 = c1;
  for (p = 0; p < g->nc; p++) {
    const int8_t *xp = x + p * plane;
    for (z = 0; z < g->od; z++)
      for (r = 0; r < g->oh; r++) {
        int8_t *yr = y + (((ptrdiff_t)p * g->od + z) * g->oh + r) * g->ow;
        const ptrdiff_t off = edgec_qpool_window(g, z, r, c0, t);
        for (c = 0; c < c0; c++) yr[c] = (int8_t)edgec_clampi(edgec_q_max_window(xp, g, z, r, c), lo, hi);
        c = c0;
        if (t[0] < t[1] && t[2] < t[3])
          for (; c + 16 <= vend; c += 16) {
            const ptrdiff_t base = off + (ptrdiff_t)(c - c0) * g->sw;
            edgec_vi8 m = edgec_vi8_splat(-128);
            for (a = t[0]; a < t[1]; a++)
              for (b = t[2]; b < t[3]; b++) {
                const int8_t *row = xp + base + (ptrdiff_t)a * g->dd * slice + (ptrdiff_t)b * g->dh * g->iw;
                for (e = 0; e < g->kw; e++) {
                  const int8_t *q = row + (ptrdiff_t)e * g->dw;
                  m = edgec_vi8_max(m, g->sw == 1 ? edgec_vi8_load(q) : edgec_vi8_load_even(q));
                }
              }
            edgec_vi8_store(yr + c, edgec_vi8_min(edgec_vi8_max(m, vlo), vhi));
          }
        for (; c < g->ow; c++) yr[c] = (int8_t)edgec_clampi(edgec_q_max_window(xp, g, z, r, c), lo, hi);
      }
  }
}

#endif
