/* edgec int8 pooling kernels (TFLite reference semantics): windowed max and average over NC x D x H x W, and the
 * int8 mean over a block [outer, n, inner]. Include after edgec_runtime.h. 1-D and 2-D pooling pass unit leading
 * spatial dims (kernel, stride, dilation 1, pads 0), as pool.h does. */
#ifndef EDGEC_KERNELS_QPOOL_H
#define EDGEC_KERNELS_QPOOL_H
#include "pool.h"
#include "qelementwise.h"
#if defined(__AVX2__) && !defined(EDGEC_NO_SIMD)
#include <immintrin.h>
#endif

/* Window geometry over 3 spatial dims: nc planes of id x ih x iw pooled into od x oh x ow with kernel k*, stride s*,
 * dilation d*, leading pads p* and trailing pads e* (the extent count_include_pad counts). */
typedef struct {
  int nc, id, ih, iw, od, oh, ow, kd, kh, kw, sd, sh, sw, dd, dh, dw, pd, ph, pw, ed, eh, ew;
} edgec_qpool_geom;

/* Visit the input taps of output (z, r, c): sets the tap ranges of the three dims and the offset of tap (0, 0, 0). */
EDGEC_INLINE ptrdiff_t edgec_qpool_window(const edgec_qpool_geom *g, int z, int r, int c, int *t) {
  const int z0 = z * g->sd - g->pd, r0 = r * g->sh - g->ph, c0 = c * g->sw - g->pw;
  edgec_pool_taps(z0, g->kd, g->dd, g->id, &t[0], &t[1]);
  edgec_pool_taps(r0, g->kh, g->dh, g->ih, &t[2], &t[3]);
  edgec_pool_taps(c0, g->kw, g->dw, g->iw, &t[4], &t[5]);
  return ((ptrdiff_t)z0 * g->ih + r0) * g->iw + c0;
}

/* Taps inside the padded extent of output (z, r, c): the divisor of count_include_pad. */
EDGEC_INLINE int32_t edgec_qpool_padded(const edgec_qpool_geom *g, int z, int r, int c) {
  return edgec_pool_padded_taps(z * g->sd - g->pd, g->kd, g->dd, g->id + g->ed) *
         edgec_pool_padded_taps(r * g->sh - g->ph, g->kh, g->dh, g->ih + g->eh) *
         edgec_pool_padded_taps(c * g->sw - g->pw, g->kw, g->dw, g->iw + g->ew);
}

/* The largest code of one window of plane xp (-128 when the window has no input tap). */
EDGEC_INLINE int32_t edgec_q_max_window(const int8_t *xp, const edgec_qpool_geom *g, int z, int r, int c) {
  const ptrdiff_t slice = (ptrdiff_t)g->ih * g->iw;
  int t[6], a, b, e;
  const ptrdiff_t off = edgec_qpool_window(g, z, r, c, t);
  int32_t m = -128;
  for (a = t[0]; a < t[1]; a++)
    for (b = t[2]; b < t[3]; b++) {
      const ptrdiff_t row = off + (ptrdiff_t)a * g->dd * slice + (ptrdiff_t)b * g->dh * g->iw;
      for (e = t[4]; e < t[5]; e++) {
        const int32_t v = xp[row + (ptrdiff_t)e * g->dw];
        m = v > m ? v : m;
      }
    }
  return m;
}

/* int8 max pooling: the largest code of each window (-128 for a window with no input tap), clamped to [lo, hi]. */
static EDGEC_UNUSED void edgec_q_maxpool_s8(const int8_t *EDGEC_RESTRICT x, int8_t *EDGEC_RESTRICT y,
                                            const edgec_qpool_geom *g, int32_t lo, int32_t hi) {
  const ptrdiff_t plane = (ptrdiff_t)g->id * g->ih * g->iw;
  int p, z, r, c;
#if defined(__AVX2__) && !defined(EDGEC_NO_SIMD)
  if (g->od == 1 && g->kd == 1 && g->pd == 0 && g->ph == 0 && g->pw == 0 && g->kh == 2 && g->kw == 2 && g->sh == 2 &&
      g->sw == 2 && g->dh == 1 && g->dw == 1 && 2 * g->oh <= g->ih && 2 * g->ow <= g->iw) {
    /* 2x2 stride 2 windows all inside the plane: 16 outputs from two 32-byte rows, the column pairs maxed as int16 */
    const __m256i vlo = _mm256_set1_epi8((char)lo), vhi = _mm256_set1_epi8((char)hi);
    for (p = 0; p < g->nc; p++)
      for (r = 0; r < g->oh; r++) {
        const int8_t *x0 = x + p * plane + (ptrdiff_t)(2 * r) * g->iw, *x1 = x0 + g->iw;
        for (c = 0; c + 16 <= g->ow; c += 16, y += 16) {
          const __m256i v = _mm256_max_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(x0 + 2 * c)),
                                            _mm256_loadu_si256((const __m256i *)(const void *)(x1 + 2 * c)));
          const __m256i w = _mm256_max_epi16(_mm256_srai_epi16(_mm256_slli_epi16(v, 8), 8), _mm256_srai_epi16(v, 8));
          __m256i q = _mm256_permute4x64_epi64(_mm256_packs_epi16(w, w), 0x08);
          q = _mm256_min_epi8(_mm256_max_epi8(q, vlo), vhi);
          _mm_storeu_si128((__m128i *)(void *)y, _mm256_castsi256_si128(q));
        }
        for (; c < g->ow; c++) {
          const int8_t a = x0[2 * c] > x0[2 * c + 1] ? x0[2 * c] : x0[2 * c + 1], b = x1[2 * c] > x1[2 * c + 1] ? x1[2 * c] : x1[2 * c + 1];
          *y++ = (int8_t)edgec_clampi(a > b ? a : b, lo, hi);
        }
      }
    return;
  }
#endif
  for (p = 0; p < g->nc; p++) {
    const int8_t *xp = x + p * plane;
    for (z = 0; z < g->od; z++)
      for (r = 0; r < g->oh; r++)
        for (c = 0; c < g->ow; c++) *y++ = (int8_t)edgec_clampi(edgec_q_max_window(xp, g, z, r, c), lo, hi);
  }
}

/* int8 average pooling. requant == 0 (equal input and output parameters): TFLite's rounded mean of the raw codes,
 * padding taps counted as zx when include_pad is set. requant != 0: the centred sum is requantized by (m, shift)
 * then rounded-divided by the tap count, plus zy. A window with nothing to divide by gives zy. Clamped to [lo, hi]. */
static EDGEC_UNUSED void edgec_q_avgpool_s8(const int8_t *EDGEC_RESTRICT x, int8_t *EDGEC_RESTRICT y,
                                            const edgec_qpool_geom *g, int include_pad, int requant, int32_t zx,
                                            int32_t m, int shift, int32_t zy, int32_t lo, int32_t hi) {
  const ptrdiff_t slice = (ptrdiff_t)g->ih * g->iw, plane = (ptrdiff_t)g->id * slice;
  int p, z, r, c, a, b, e, t[6];
  for (p = 0; p < g->nc; p++) {
    const int8_t *xp = x + p * plane;
    for (z = 0; z < g->od; z++)
      for (r = 0; r < g->oh; r++)
        for (c = 0; c < g->ow; c++) {
          const ptrdiff_t off = edgec_qpool_window(g, z, r, c, t);
          const int32_t valid = (t[1] - t[0]) * (t[3] - t[2]) * (t[5] - t[4]);
          const int32_t count = include_pad ? edgec_qpool_padded(g, z, r, c) : valid;
          int32_t acc = 0, v;
          for (a = t[0]; a < t[1]; a++)
            for (b = t[2]; b < t[3]; b++) {
              const ptrdiff_t row = off + (ptrdiff_t)a * g->dd * slice + (ptrdiff_t)b * g->dh * g->iw;
              for (e = t[4]; e < t[5]; e++) acc += xp[row + (ptrdiff_t)e * g->dw];
            }
          if (!count)
            v = zy;
          else if (requant)
            v = edgec_rounded_div(edgec_mbqm(acc - valid * zx, m, shift), count) + zy;
          else
            v = edgec_rounded_div(acc + (count - valid) * zx, count);
          *y++ = (int8_t)edgec_clampi(v, lo, hi);
        }
  }
}

/* TFLite's int8 Mean over the n values spaced inner apart of each of outer x inner groups: the centred sum
 * requantized by (m, shift), rounded-divided by n, plus zy, saturated to int8. */
static EDGEC_UNUSED void edgec_q_mean_s8(const int8_t *EDGEC_RESTRICT x, int8_t *EDGEC_RESTRICT y, ptrdiff_t outer,
                                         ptrdiff_t n, ptrdiff_t inner, int32_t zx, int32_t m, int shift, int32_t zy) {
  ptrdiff_t o, j, k;
  for (o = 0; o < outer; o++)
    for (j = 0; j < inner; j++) {
      const int8_t *xp = x + o * n * inner + j;
      int32_t acc = 0;
      for (k = 0; k < n; k++) acc += (int32_t)xp[k * inner] - zx;
      y[o * inner + j] = (int8_t)edgec_clampi(edgec_rounded_div(edgec_mbqm(acc, m, shift), (int32_t)n) + zy, -128, 127);
    }
}
#endif
