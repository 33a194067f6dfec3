/* edgec int8 softmax: TFLite's reference int8 softmax (gemmlowp fixed-point exp and reciprocal), output scale 1/256
 * and zero point -128. src/quant/softmax.ts is the same arithmetic and the reference it is tested against. */
#ifndef EDGEC_KERNELS_QSOFTMAX_H
#define EDGEC_KERNELS_QSOFTMAX_H
#include "qmath.h"

/* gemmlowp SaturatingRoundingMultiplyByPOT<e> for e > 0: a left shift saturating to the int32 range. */
EDGEC_INLINE int32_t edgec_gl_shl_sat(int32_t x, int e) {
  const int32_t threshold = (int32_t)((1u << (31 - e)) - 1u);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << e);
}

/* gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl (Q0.31 in and out). */
EDGEC_INLINE int32_t edgec_gl_exp_quarter(int32_t a) {
  const int32_t c = 1895147668;
  const int32_t x = a + (1 << 28);
  const int32_t x2 = edgec_srdhm(x, x), x3 = edgec_srdhm(x2, x), x4 = edgec_srdhm(x2, x2);
  const int32_t t = edgec_rdivpot(edgec_srdhm(edgec_rdivpot(x4, 2) + x3, 715827883) + x2, 1);
  return c + edgec_srdhm(c, x + t);
}

/* gemmlowp exp_on_negative_values for a Q5.26 input a <= 0: exp(a) in Q0.31. */
static EDGEC_UNUSED int32_t edgec_gl_exp_neg(int32_t a) {
  static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int32_t aq = (a & ((1 << 24) - 1)) - (1 << 24);
  const int32_t rem = aq - a;
  int32_t r = edgec_gl_exp_quarter(edgec_gl_shl_sat(aq, 5));
  int k;
  for (k = 0; k < 7; k++)
    if (rem & (1 << (24 + k))) r = edgec_srdhm(r, barrel[k]);
  return a == 0 ? INT32_MAX : r;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1 (Q0.31 in and out). */
static EDGEC_UNUSED int32_t edgec_gl_one_over_one_plus_x(int32_t a) {
  const int64_t s = (int64_t)a + INT32_MAX;
  const int32_t h = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
  int32_t x = 1515870810 + edgec_srdhm(h, -1010580540);
  int i;
  for (i = 0; i < 3; i++) {
    const int32_t om = (1 << 29) - edgec_srdhm(h, x);
    x = x + edgec_gl_shl_sat(edgec_srdhm(x, om), 2);
  }
  return edgec_gl_shl_sat(x, 1);
}

/* Leading zero bits of a 32-bit value (32 for 0). */
EDGEC_INLINE int edgec_clz32(uint32_t x) {
  int n = 0;
  if (!x) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    n++;
  }
  return n;
}

/* x / 2^e rounded; 0 for e >= 32 (a row TFLite would refuse). */
EDGEC_INLINE int32_t edgec_gl_div_pot(int32_t x, int e) {
  return e >= 32 ? 0 : edgec_rdivpot(x, e);
}

/* int8 softmax of outer x inner rows of n values spaced inner apart; mult, left_shift and diff_min come from
 * TFLite's PreprocessSoftmaxScaling and CalculateInputRadius for the input scale. */
static EDGEC_UNUSED void edgec_q_softmax_s8(const int8_t *EDGEC_RESTRICT x, int8_t *EDGEC_RESTRICT y, ptrdiff_t outer,
                                            ptrdiff_t n, ptrdiff_t inner, int32_t mult, int left_shift,
                                            int32_t diff_min) {
  ptrdiff_t o, j, k;
  for (o = 0; o < outer; o++)
    for (j = 0; j < inner; j++) {
      const int8_t *p = x + o * n * inner + j;
      int8_t *q = y + o * n * inner + j;
      int32_t mx = -128, sum = 0, scale;
      int h, e;
      for (k = 0; k < n; k++) mx = p[k * inner] > mx ? p[k * inner] : mx;
      for (k = 0; k < n; k++) {
        const int32_t d = (int32_t)p[k * inner] - mx;
        if (d >= diff_min) sum += edgec_rdivpot(edgec_gl_exp_neg(edgec_srdhm(d * (1 << left_shift), mult)), 12);
      }
      h = edgec_clz32((uint32_t)sum);
      scale = edgec_gl_one_over_one_plus_x((int32_t)(((uint32_t)sum << h) - (1u << 31)));
      e = (12 - h) + 31 - 8;
      for (k = 0; k < n; k++) {
        const int32_t d = (int32_t)p[k * inner] - mx;
        int32_t v = -128;
        if (d >= diff_min) {
          const int32_t ex = edgec_gl_exp_neg(edgec_srdhm(d * (1 << left_shift), mult));
          v = edgec_clampi(edgec_gl_div_pot(edgec_srdhm(scale, ex), e) - 128, -128, 127);
        }
        q[k * inner] = (int8_t)v;
      }
    }
}
#endif
