/* edgec int8 softmax on the vector vocabulary (runtime-c/simd): TFLite's reference int8 softmax (qsoftmax.h), the row
 * maximum, gemmlowp's fixed-point exp and the output scaling on 16 lanes at a time, bit-exact with
 * edgec_q_softmax_s8 (which serves rows that are not contiguous, inner > 1, and the tails). */
#ifndef EDGEC_KERNEL_VQSOFTMAX_H
#define EDGEC_KERNEL_VQSOFTMAX_H

#include "qsoftmax.h"

#if !defined(EDGEC_SIMD)
#error "vqsoftmax.h needs a vector vocabulary (runtime-c/simd); the emitter includes one for targets that name it"
#endif

/* edgec_gl_exp_quarter on 4 lanes. */
EDGEC_INLINE edgec_vi32 edgec_vgl_exp_quarter(edgec_vi32 a) {
  const edgec_vi32 c = edgec_vi32_splat(1895147668);
  const edgec_vi32 x = edgec_vi32_add(a, edgec_vi32_splat(1 << 28));
  const edgec_vi32 x2 = edgec_vi32_srdhm(x, x), x3 = edgec_vi32_srdhm(x2, x), x4 = edgec_vi32_srdhm(x2, x2);
  const edgec_vi32 u = edgec_vi32_add(edgec_vi32_rdivpot_pos(x4, edgec_vi32_splat(2)), x3);
  const edgec_vi32 t = edgec_vi32_rdivpot_pos(edgec_vi32_add(edgec_vi32_srdhm(u, edgec_vi32_splat(715827883)), x2),
                                              edgec_vi32_splat(1));
  return edgec_vi32_add(c, edgec_vi32_srdhm(c, edgec_vi32_add(x, t)));
}

/* edgec_gl_exp_neg on 4 lanes (Q5.26 inputs a <= 0; a quarter's residue is in [-2^24, 0), so its left shift by 5
 * cannot saturate). */
EDGEC_INLINE edgec_vi32 edgec_vgl_exp_neg(edgec_vi32 a) {
  static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const edgec_vi32 zero = edgec_vi32_zero();
  const edgec_vi32 aq = edgec_vi32_sub(edgec_vi32_and(a, edgec_vi32_splat((1 << 24) - 1)), edgec_vi32_splat(1 << 24));
  const edgec_vi32 rem = edgec_vi32_sub(aq, a);
  edgec_vi32 r = edgec_vgl_exp_quarter(edgec_vi32_shl(aq, edgec_vi32_splat(5)));
  int k;
  for (k = 0; k < 7; k++) {
    const edgec_vi32 bit = edgec_vi32_gt(edgec_vi32_and(rem, edgec_vi32_splat(1 << (24 + k))), zero);
    r = edgec_vi32_select(bit, edgec_vi32_srdhm(r, edgec_vi32_splat(barrel[k])), r);
  }
  return edgec_vi32_select(edgec_vi32_gt(a, edgec_vi32_splat(-1)), edgec_vi32_splat(INT32_MAX), r);
}

/* For 16 values at p: the exps of (x - max) in Q0.31 and the mask of the lanes with x - max >= diff_min. */
EDGEC_INLINE void edgec_vq_softmax_exps(const int8_t *p, edgec_vi32 vmx, edgec_vi32 vdmin, edgec_vi32 vls,
                                        edgec_vi32 vmult, edgec_vi32 ex[4], edgec_vi32 ok[4]) {
  edgec_vi32 w[4];
  int v;
  edgec_vi8_widen4(edgec_vi8_load(p), w);
  for (v = 0; v < 4; v++) {
    const edgec_vi32 d = edgec_vi32_sub(w[v], vmx);
    ok[v] = edgec_vi32_gt(d, vdmin);
    ex[v] = edgec_vgl_exp_neg(edgec_vi32_srdhm(edgec_vi32_shl(d, vls), vmult));
  }
}

/* On the portable vocabulary's emulated lanes, GCC 12's loop vectorizer at -O3 makes this kernel differ from the
 * reference (the bit-exact test finds it; every other flag set and the NEON/WASM forms agree): keep it off here. */
#if defined(EDGEC_SIMD_EMULATED) && defined(__GNUC__) && !defined(__clang__)
#define EDGEC_VQSOFTMAX_FN static EDGEC_UNUSED __attribute__((optimize("no-tree-loop-vectorize")))
#else
#define EDGEC_VQSOFTMAX_FN static EDGEC_UNUSED
#endif

/* int8 softmax of outer x inner rows of n values spaced inner apart (edgec_q_softmax_s8): contiguous rows on the
 * vocabulary, others on the portable kernel. */
EDGEC_VQSOFTMAX_FN void edgec_vq_softmax_s8(const int8_t *EDGEC_RESTRICT x, int8_t *EDGEC_RESTRICT y, ptrdiff_t outer,
                                             ptrdiff_t n, ptrdiff_t inner, int32_t mult, int left_shift,
                                             int32_t diff_min) {
  const edgec_vi32 vdmin = edgec_vi32_splat(diff_min - 1), vls = edgec_vi32_splat(left_shift),
                   vmult = edgec_vi32_splat(mult);
  ptrdiff_t o, k;
  int v;
  if (inner != 1) {
    edgec_q_softmax_s8(x, y, outer, n, inner, mult, left_shift, diff_min);
    return;
  }
  for (o = 0; o < outer; o++) {
    const int8_t *p = x + o * n;
    int8_t *q = y + o * n;
    int32_t mx = -128, sum = 0, scale;
    int h, e;
    edgec_vi32 vmx, acc = edgec_vi32_zero();
    k = 0;
    if (n >= 16) {
      int8_t t[16];
      edgec_vi8 m = edgec_vi8_load(p);
      for (k = 16; k + 16 <= n; k += 16) m = edgec_vi8_max(m, edgec_vi8_load(p + k));
      edgec_vi8_store(t, m);
      for (v = 0; v < 16; v++) mx = t[v] > mx ? t[v] : mx;
    }
    for (; k < n; k++) mx = p[k] > mx ? p[k] : mx;
    vmx = edgec_vi32_splat(mx);
    for (k = 0; k + 16 <= n; k += 16) {
      edgec_vi32 ex[4], ok[4];
      edgec_vq_softmax_exps(p + k, vmx, vdmin, vls, vmult, ex, ok);
      for (v = 0; v < 4; v++) acc = edgec_vi32_add(acc, edgec_vi32_and(edgec_vi32_rdivpot_pos(ex[v], edgec_vi32_splat(12)), ok[v]));
    }
    sum = edgec_vi32_hsum(acc);
    for (; k < n; k++) {
      const int32_t d = (int32_t)p[k] - mx;
      if (d >= diff_min) sum += edgec_rdivpot(edgec_gl_exp_neg(edgec_srdhm(d * (1 << left_shift), mult)), 12);
    }
    h = edgec_clz32((uint32_t)sum);
    scale = edgec_gl_one_over_one_plus_x((int32_t)(((uint32_t)sum << h) - (1u << 31)));
    e = (12 - h) + 31 - 8;
    for (k = 0; k + 16 <= n; k += 16) {
      edgec_vi32 ex[4], ok[4];
      const edgec_vi32 vs = edgec_vi32_splat(scale), ve = edgec_vi32_splat(e < 32 ? e : 0);
      edgec_vq_softmax_exps(p + k, vmx, vdmin, vls, vmult, ex, ok);
      for (v = 0; v < 4; v++) {
        const edgec_vi32 r = e < 32 ? edgec_vi32_rdivpot(edgec_vi32_srdhm(vs, ex[v]), ve) : edgec_vi32_zero();
        ex[v] = edgec_vi32_and(r, ok[v]);
      }
      edgec_vi8_store(q + k, edgec_vi8_from_i32(ex[0], ex[1], ex[2], ex[3], -128));
    }
    for (; k < n; k++) {
      const int32_t d = (int32_t)p[k] - mx;
      int32_t r = -128;
      if (d >= diff_min) {
        const int32_t ex = edgec_gl_exp_neg(edgec_srdhm(d * (1 << left_shift), mult));
        r = edgec_clampi(edgec_gl_div_pot(edgec_srdhm(scale, ex), e) - 128, -128, 127);
      }
      q[k] = (int8_t)r;
    }
  }
}

#endif
