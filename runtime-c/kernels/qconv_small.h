/* Size-profile int8 convolution for microcontrollers: direct loops over the raw int8 weights, no scratch, one
 * requantization per output (TFLite's MultiplyByQuantizedMultiplier). Regular, grouped, depthwise and 1x1 alike. */
#ifndef EDGEC_QCONV_SMALL_H
#define EDGEC_QCONV_SMALL_H
#include <stdint.h>
#include "qmath.h"

/* Per-output-channel requantization: y = clamp(mbqm(acc + bias, mult, shift) + zy, lo, hi). */
typedef struct {
  const int32_t *bias; /* NULL: no bias */
  const int32_t *mult;
  const int8_t *shift;
  int per_channel; /* 0: mult[0]/shift[0] for every channel */
  int32_t zy, lo, hi;
} edgec_qsmall_epi;

/* One accumulator of output channel m through the requantization. */
EDGEC_INLINE int8_t edgec_qsmall_out(int32_t acc, const edgec_qsmall_epi *e, int m) {
  const int c = e->per_channel ? m : 0;
  const int32_t b = e->bias ? e->bias[m] : 0;
  const int32_t v = edgec_mbqm((int32_t)((uint32_t)acc + (uint32_t)b), e->mult[c], e->shift[c]) + e->zy;
  return (int8_t)(v < e->lo ? e->lo : v > e->hi ? e->hi : v);
}

/* y[N][M][OH][OW] = requant(sum (x - zx)(w - zw)) with w[M][C/G][KH][KW]; padding contributes nothing. */
static void edgec_qconv2d_small(const int8_t *x, const int8_t *w, const edgec_qsmall_epi *e, int8_t *y, int N, int C,
                                int H, int W, int M, int OH, int OW, int G, int KH, int KW, int SH, int SW, int DH,
                                int DW, int PT, int PL, int32_t zx, int32_t zw) {
  const int cg = C / G, mg = M / G;
  for (int n = 0; n < N; n++)
    for (int m = 0; m < M; m++) {
      const int8_t *wm = w + (long)m * cg * KH * KW;
      const int8_t *xg = x + ((long)n * C + (long)(m / mg) * cg) * H * W;
      int8_t *ym = y + ((long)n * M + m) * OH * OW;
      for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++) {
          int32_t acc = 0;
          for (int c = 0; c < cg; c++) {
            const int8_t *xc = xg + (long)c * H * W;
            const int8_t *wc = wm + c * KH * KW;
            for (int kh = 0; kh < KH; kh++) {
              const int ih = oh * SH - PT + kh * DH;
              if (ih < 0 || ih >= H) continue;
              for (int kw = 0; kw < KW; kw++) {
                const int iw = ow * SW - PL + kw * DW;
                if (iw < 0 || iw >= W) continue;
                acc += ((int32_t)xc[ih * W + iw] - zx) * ((int32_t)wc[kh * KW + kw] - zw);
              }
            }
          }
          ym[oh * OW + ow] = edgec_qsmall_out(acc, e, m);
        }
    }
}
#endif
