/* edgec convolutions (NCHW, float): GEMM-based 2-D Conv (1x1 straight on the input, im2col otherwise),
 * direct depthwise 2-D Conv, GEMM + col2im 2-D ConvTranspose, and direct 3-D Conv/ConvTranspose.
 * Builds on kernels/gemm.h. C99, no malloc, no globals, no VLAs. */
#ifndef EDGEC_KERNEL_CONV_H
#define EDGEC_KERNEL_CONV_H

#include "gemm.h"

/* First output index o in [0, n) whose input coordinate o*s + off is >= 0, and one past the last with o*s + off < len. */
EDGEC_INLINE void edgec_conv_valid_range(int n, int s, int off, int len, int *lo, int *hi) {
  int a = off >= 0 ? 0 : (-off + s - 1) / s;
  int b = len - 1 - off < 0 ? 0 : (len - 1 - off) / s + 1;
  if (a > n) a = n;
  if (b > n) b = n;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

/* Pack conv weights [M][K] (K = Cin/G * kernel volume) into per-group A panels for edgec_sgemm (run-time weights). */
static EDGEC_UNUSED void edgec_conv_pack_weights(const float *EDGEC_RESTRICT w, int M, int G, int K, float *EDGEC_RESTRICT out) {
  const int mg = M / G;
  const ptrdiff_t gstride = (ptrdiff_t)((mg + EDGEC_GEMM_MR - 1) / EDGEC_GEMM_MR) * EDGEC_GEMM_MR * K;
  int g;
  for (g = 0; g < G; g++) edgec_sgemm_pack_a(mg, K, w + (ptrdiff_t)g * mg * K, K, 1, 1.0f, out + g * gstride);
}

/* im2col of output rows [oh0, oh1) of one group: col[k][j], k = (ci, kh, kw), j = (oh - oh0)*OW + ow,
 * rows ldb floats long (zero-filled past the last column). */
static EDGEC_UNUSED void edgec_conv2d_im2col(const float *EDGEC_RESTRICT x, int Cg, int H, int W, int OW, int KH, int KW, int SH,
                                int SW, int DH, int DW, int PT, int PL, int oh0, int oh1, float *EDGEC_RESTRICT col,
                                ptrdiff_t ldb) {
  const ptrdiff_t ncols = (ptrdiff_t)(oh1 - oh0) * OW;
  int ci, kh, kw, oh, ow;
  for (ci = 0; ci < Cg; ci++) {
    const float *xc = x + (ptrdiff_t)ci * H * W;
    for (kh = 0; kh < KH; kh++) {
      for (kw = 0; kw < KW; kw++) {
        float *row = col + ((ptrdiff_t)(ci * KH + kh) * KW + kw) * ldb;
        const int off = kw * DW - PL;
        int lo, hi;
        edgec_conv_valid_range(OW, SW, off, W, &lo, &hi);
        for (oh = oh0; oh < oh1; oh++) {
          float *EDGEC_RESTRICT d = row + (ptrdiff_t)(oh - oh0) * OW;
          const int ih = oh * SH - PT + kh * DH;
          if (ih < 0 || ih >= H) {
            memset(d, 0, (size_t)OW * sizeof(float));
            continue;
          }
          {
            const float *EDGEC_RESTRICT s = xc + (ptrdiff_t)ih * W + off;
            for (ow = 0; ow < lo; ow++) d[ow] = 0.0f;
            if (SW == 1)
              memcpy(d + lo, s + lo, (size_t)(hi - lo) * sizeof(float));
            else if (SW == 2)
              for (ow = lo; ow < hi; ow++) d[ow] = s[2 * ow];
            else
              for (ow = lo; ow < hi; ow++) d[ow] = s[(ptrdiff_t)ow * SW];
            for (ow = hi; ow < OW; ow++) d[ow] = 0.0f;
          }
        }
        if (ldb > ncols) memset(row + ncols, 0, (size_t)(ldb - ncols) * sizeof(float));
      }
    }
  }
}

/* 2-D convolution Y = act(W * X + bias) through the packed SGEMM. ap: per-group packed weights
 * (group g at ap + g * ceil(Mg/MR)*MR*Kg, Kg = C/G*KH*KW). A 1x1 / stride 1 / no-pad conv multiplies X directly;
 * any other conv runs im2col over blocks of `rows` output rows. scratch: see the lowering for the size. */
static EDGEC_UNUSED void edgec_conv2d(const float *x, const float *ap, const float *bias, float *y, int N, int C, int H, int W,
                         int M, int OH, int OW, int G, int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL,
                         int act, float aa, float ab, float *scratch, int rows, int MC, int KC, int NC) {
  const int cg = C / G, mg = M / G, kg = cg * KH * KW;
  const ptrdiff_t gstride = (ptrdiff_t)((mg + EDGEC_GEMM_MR - 1) / EDGEC_GEMM_MR) * EDGEC_GEMM_MR * kg;
  const ptrdiff_t hw = (ptrdiff_t)H * W, ohw = (ptrdiff_t)OH * OW;
  const int pointwise = KH == 1 && KW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && OH == H && OW == W;
  int n, g;
  for (n = 0; n < N; n++) {
    for (g = 0; g < G; g++) {
      const float *xg = x + ((ptrdiff_t)n * C + (ptrdiff_t)g * cg) * hw;
      float *yg = y + ((ptrdiff_t)n * M + (ptrdiff_t)g * mg) * ohw;
      const float *apg = ap + g * gstride;
      const float *bg = bias ? bias + g * mg : NULL;
      if (pointwise) {
        edgec_sgemm(mg, (int)hw, kg, apg, NULL, 0, 0, 1.0f, NULL, xg, hw, 1, yg, hw, 0, bg, NULL, act, aa, ab, scratch, MC,
                    KC, NC);
      } else {
        int oh0;
        for (oh0 = 0; oh0 < OH; oh0 += rows) {
          const int oh1 = OH - oh0 < rows ? OH : oh0 + rows;
          const int ncols = (oh1 - oh0) * OW;
          const ptrdiff_t ldb = (ptrdiff_t)((ncols + EDGEC_GEMM_NR - 1) / EDGEC_GEMM_NR) * EDGEC_GEMM_NR;
          int k0;
          edgec_conv2d_im2col(xg, cg, H, W, OW, KH, KW, SH, SW, DH, DW, PT, PL, oh0, oh1, scratch, ldb);
          for (k0 = 0; k0 < kg; k0 += KC) {
            const int kc = kg - k0 < KC ? kg - k0 : KC;
            edgec_sgemm_block(mg, ncols, kc, apg + (ptrdiff_t)k0 * EDGEC_GEMM_MR, (ptrdiff_t)kg * EDGEC_GEMM_MR,
                              scratch + (ptrdiff_t)k0 * ldb, EDGEC_GEMM_NR, ldb, yg + (ptrdiff_t)oh0 * OW, ohw, k0 > 0,
                              k0 == 0 ? bg : NULL, NULL, k0 + kc == kg ? act : EDGEC_ACT_NONE, aa, ab, MC);
          }
        }
      }
    }
  }
}

#if defined(EDGEC_HAVE_V8)
/* Load 8 floats p[0], p[s], ..., p[7s] (s is a compile-time constant at the call sites that matter). */
EDGEC_INLINE edgec_vec8 edgec_v8_load_strided(const float *p, int s) {
  if (s == 1) return EDGEC_V8_LOAD(p);
  if (s == 2) {
    const edgec_vec8 lo = EDGEC_V8_LOAD(p), hi = EDGEC_V8_LOAD(p + 8);
#if defined(__clang__)
    return __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14);
#else
    const edgec_vec8i even = {0, 2, 4, 6, 8, 10, 12, 14};
    return __builtin_shuffle(lo, hi, even);
#endif
  }
  return (edgec_vec8){p[0], p[s], p[2 * s], p[3 * s], p[4 * s], p[5 * s], p[6 * s], p[7 * s]};
}
#endif

/* One output row of a depthwise conv over a zero-padded plane: xp points at the plane row of the first tap
 * (row stride ws), wk at the KHxKW taps. Rows of xp hold enough slack for whole 8-wide vectors. */
EDGEC_FMA_CONTRACT EDGEC_INLINE void edgec_dw_row(const float *EDGEC_RESTRICT xp, ptrdiff_t ws,
                                                  const float *EDGEC_RESTRICT wk, float bias, float *EDGEC_RESTRICT yr,
                                                  int OW, const int KH, const int KW, const int SW, const int DH,
                                                  const int DW, int act, float aa, float ab) {
  int ow = 0, kh, kw;
#if defined(EDGEC_HAVE_V8)
  const int vact = edgec_act_in_registers(act) ? act : EDGEC_ACT_NONE;
  const edgec_vec8 va = EDGEC_V8_SET1(aa), vb = EDGEC_V8_SET1(ab), vbias = EDGEC_V8_SET1(bias);
  for (; ow + 32 <= OW; ow += 32) {
    edgec_vec8 a0 = vbias, a1 = vbias, a2 = vbias, a3 = vbias;
    for (kh = 0; kh < KH; kh++) {
      const float *r = xp + (ptrdiff_t)kh * DH * ws + (ptrdiff_t)ow * SW;
      for (kw = 0; kw < KW; kw++) {
        const edgec_vec8 wv = EDGEC_V8_SET1(wk[kh * KW + kw]);
        const float *p = r + kw * DW;
        a0 += wv * edgec_v8_load_strided(p, SW);
        a1 += wv * edgec_v8_load_strided(p + 8 * SW, SW);
        a2 += wv * edgec_v8_load_strided(p + 16 * SW, SW);
        a3 += wv * edgec_v8_load_strided(p + 24 * SW, SW);
      }
    }
    if (vact != EDGEC_ACT_NONE) {
      a0 = edgec_v8_act(a0, vact, va, vb);
      a1 = edgec_v8_act(a1, vact, va, vb);
      a2 = edgec_v8_act(a2, vact, va, vb);
      a3 = edgec_v8_act(a3, vact, va, vb);
    }
    EDGEC_V8_STORE(yr + ow, a0);
    EDGEC_V8_STORE(yr + ow + 8, a1);
    EDGEC_V8_STORE(yr + ow + 16, a2);
    EDGEC_V8_STORE(yr + ow + 24, a3);
  }
  for (; ow < OW; ow += 8) {
    edgec_vec8 a0 = vbias;
    for (kh = 0; kh < KH; kh++) {
      const float *r = xp + (ptrdiff_t)kh * DH * ws + (ptrdiff_t)ow * SW;
      for (kw = 0; kw < KW; kw++) a0 += EDGEC_V8_SET1(wk[kh * KW + kw]) * edgec_v8_load_strided(r + kw * DW, SW);
    }
    if (vact != EDGEC_ACT_NONE) a0 = edgec_v8_act(a0, vact, va, vb);
    if (ow + 8 <= OW) {
      EDGEC_V8_STORE(yr + ow, a0);
    } else {
      float t[8];
      int j;
      EDGEC_V8_STORE(t, a0);
      for (j = 0; j < OW - ow; j++) yr[ow + j] = t[j];
    }
  }
  if (vact != act) edgec_act_apply(yr, OW, act, aa, ab);
#else
  for (; ow < OW; ow++) {
    float acc = bias;
    for (kh = 0; kh < KH; kh++)
      for (kw = 0; kw < KW; kw++) acc += wk[kh * KW + kw] * xp[(ptrdiff_t)kh * DH * ws + (ptrdiff_t)ow * SW + kw * DW];
    yr[ow] = acc;
  }
  edgec_act_apply(yr, OW, act, aa, ab);
#endif
}

/* Row stride of the zero-padded plane edgec_conv2d_dw builds (input span plus slack for whole vectors). */
#define EDGEC_DW_PLANE_STRIDE(OW, KW, SW, DW) ((ptrdiff_t)((OW) + 8) * (SW) + (ptrdiff_t)((KW) - 1) * (DW) + 8)
/* Rows of that plane. */
#define EDGEC_DW_PLANE_ROWS(OH, KH, SH, DH) ((ptrdiff_t)((OH) - 1) * (SH) + (ptrdiff_t)((KH) - 1) * (DH) + 1)

/* Depthwise 2-D conv (Cin/G == 1; M = C * multiplier): each channel is copied into a zero-padded plane in scratch
 * (EDGEC_DW_PLANE_ROWS x EDGEC_DW_PLANE_STRIDE floats), then every output row is a branch-free vector loop. */
static EDGEC_UNUSED EDGEC_FMA_CONTRACT void edgec_conv2d_dw(const float *x, const float *w, const float *bias, float *y, int N, int C, int H, int W,
                            int M, int OH, int OW, int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL,
                            int act, float aa, float ab, float *scratch) {
  const int mult = M / C;
  const ptrdiff_t ws = EDGEC_DW_PLANE_STRIDE(OW, KW, SW, DW), hp = EDGEC_DW_PLANE_ROWS(OH, KH, SH, DH);
  int n, c, m, r, oh;
  for (n = 0; n < N; n++) {
    for (c = 0; c < C; c++) {
      const float *xc = x + ((ptrdiff_t)n * C + c) * H * W;
      for (r = 0; r < hp; r++) {
        float *d = scratch + r * ws;
        const int ih = r - PT;
        memset(d, 0, (size_t)ws * sizeof(float));
        if (ih >= 0 && ih < H) {
          const int lo = PL, hi = PL + W < ws ? PL + W : (int)ws;
          if (hi > lo) memcpy(d + lo, xc + (ptrdiff_t)ih * W, (size_t)(hi - lo) * sizeof(float));
        }
      }
      for (m = 0; m < mult; m++) {
        const int co = c * mult + m;
        const float *wk = w + (ptrdiff_t)co * KH * KW;
        const float b = bias ? bias[co] : 0.0f;
        float *yc = y + ((ptrdiff_t)n * M + co) * OH * OW;
        for (oh = 0; oh < OH; oh++) {
          const float *xp = scratch + (ptrdiff_t)oh * SH * ws;
          float *yr = yc + (ptrdiff_t)oh * OW;
          if (KH == 3 && KW == 3 && SW == 1 && DH == 1 && DW == 1)
            edgec_dw_row(xp, ws, wk, b, yr, OW, 3, 3, 1, 1, 1, act, aa, ab);
          else if (KH == 3 && KW == 3 && SW == 2 && DH == 1 && DW == 1)
            edgec_dw_row(xp, ws, wk, b, yr, OW, 3, 3, 2, 1, 1, act, aa, ab);
          else if (KH == 5 && KW == 5 && SW == 1 && DH == 1 && DW == 1)
            edgec_dw_row(xp, ws, wk, b, yr, OW, 5, 5, 1, 1, 1, act, aa, ab);
          else if (KH == 5 && KW == 5 && SW == 2 && DH == 1 && DW == 1)
            edgec_dw_row(xp, ws, wk, b, yr, OW, 5, 5, 2, 1, 1, act, aa, ab);
          else if (SW == 1)
            edgec_dw_row(xp, ws, wk, b, yr, OW, KH, KW, 1, DH, DW, act, aa, ab);
          else if (SW == 2)
            edgec_dw_row(xp, ws, wk, b, yr, OW, KH, KW, 2, DH, DW, act, aa, ab);
          else
            edgec_dw_row(xp, ws, wk, b, yr, OW, KH, KW, SW, DH, DW, act, aa, ab);
        }
      }
    }
  }
}

/* 2-D ConvTranspose via GEMM + col2im: for each group and block of `rows` input rows,
 * cols[(o, kh, kw)][pixel] = A_g x X_g (ap: per-group packed W^T, Mg = O/G*KH*KW rows, Kg = C/G), then scatter-add into Y
 * (pre-filled with the bias); the activation runs once Y is complete. scratch: Mg*rows*W floats + the SGEMM's B block. */
static EDGEC_UNUSED void edgec_convtranspose2d(const float *x, const float *ap, const float *bias, float *y, int N, int C, int H,
                                  int W, int O, int OH, int OW, int G, int KH, int KW, int SH, int SW, int DH, int DW,
                                  int PT, int PL, int act, float aa, float ab, float *scratch, int rows, int MC, int KC,
                                  int NC) {
  const int cg = C / G, og = O / G, mg = og * KH * KW;
  const ptrdiff_t gstride = (ptrdiff_t)((mg + EDGEC_GEMM_MR - 1) / EDGEC_GEMM_MR) * EDGEC_GEMM_MR * cg;
  const ptrdiff_t hw = (ptrdiff_t)H * W, ohw = (ptrdiff_t)OH * OW;
  float *cols = scratch, *gemm_scratch = scratch + (ptrdiff_t)mg * rows * W;
  int n, g, o, kh, kw, h0, ih, iw;
  for (n = 0; n < N; n++) {
    float *yn = y + (ptrdiff_t)n * O * ohw;
    for (o = 0; o < O; o++) {
      float *yo = yn + o * ohw;
      const float b = bias ? bias[o] : 0.0f;
      ptrdiff_t i;
      for (i = 0; i < ohw; i++) yo[i] = b;
    }
    for (g = 0; g < G; g++) {
      const float *xg = x + ((ptrdiff_t)n * C + (ptrdiff_t)g * cg) * hw;
      for (h0 = 0; h0 < H; h0 += rows) {
        const int h1 = H - h0 < rows ? H : h0 + rows;
        const int ncols = (h1 - h0) * W;
        edgec_sgemm(mg, ncols, cg, ap + g * gstride, NULL, 0, 0, 1.0f, NULL, xg + (ptrdiff_t)h0 * W, hw, 1, cols, ncols, 0,
                    NULL, NULL, EDGEC_ACT_NONE, 0.0f, 0.0f, gemm_scratch, MC, KC, NC);
        for (o = 0; o < og; o++) {
          float *yo = yn + (ptrdiff_t)(g * og + o) * ohw;
          for (kh = 0; kh < KH; kh++) {
            for (kw = 0; kw < KW; kw++) {
              const float *cr = cols + ((ptrdiff_t)(o * KH + kh) * KW + kw) * ncols;
              const int off = kw * DW - PL;
              int lo, hi;
              edgec_conv_valid_range(W, SW, off, OW, &lo, &hi);
              for (ih = h0; ih < h1; ih++) {
                const int oh = ih * SH - PT + kh * DH;
                if (oh < 0 || oh >= OH) continue;
                {
                  float *EDGEC_RESTRICT yr = yo + (ptrdiff_t)oh * OW + off;
                  const float *EDGEC_RESTRICT cw = cr + (ptrdiff_t)(ih - h0) * W;
                  if (SW == 1)
                    for (iw = lo; iw < hi; iw++) yr[iw] += cw[iw];
                  else if (SW == 2)
                    for (iw = lo; iw < hi; iw++) yr[2 * iw] += cw[iw];
                  else
                    for (iw = lo; iw < hi; iw++) yr[(ptrdiff_t)iw * SW] += cw[iw];
                }
              }
            }
          }
        }
      }
    }
    if (act != EDGEC_ACT_NONE) edgec_act_apply(yn, (ptrdiff_t)O * ohw, act, aa, ab);
  }
}

/* Direct 3-D convolution (also any lower rank padded with unit dims): w is [M][C/G][KD][KH][KW]. */
static EDGEC_UNUSED void edgec_conv3d_direct(const float *x, const float *w, const float *bias, float *y, int N, int C, int D,
                                int H, int W, int M, int OD, int OH, int OW, int G, int KD, int KH, int KW, int SD,
                                int SH, int SW, int DD, int DH, int DW, int PF, int PT, int PL, int act, float aa,
                                float ab) {
  const int cg = C / G, mg = M / G;
  const ptrdiff_t ivol = (ptrdiff_t)D * H * W, ovol = (ptrdiff_t)OD * OH * OW;
  int n, m, od, oh, ow, ci, kd, kh, kw;
  for (n = 0; n < N; n++) {
    for (m = 0; m < M; m++) {
      const int g = m / mg;
      const float *wm = w + (ptrdiff_t)m * cg * KD * KH * KW;
      float *ym = y + ((ptrdiff_t)n * M + m) * ovol;
      for (od = 0; od < OD; od++)
        for (oh = 0; oh < OH; oh++)
          for (ow = 0; ow < OW; ow++) {
            float acc = bias ? bias[m] : 0.0f;
            for (ci = 0; ci < cg; ci++) {
              const float *xc = x + ((ptrdiff_t)n * C + (ptrdiff_t)g * cg + ci) * ivol;
              const float *wc = wm + (ptrdiff_t)ci * KD * KH * KW;
              for (kd = 0; kd < KD; kd++) {
                const int id = od * SD - PF + kd * DD;
                if (id < 0 || id >= D) continue;
                for (kh = 0; kh < KH; kh++) {
                  const int ih = oh * SH - PT + kh * DH;
                  if (ih < 0 || ih >= H) continue;
                  for (kw = 0; kw < KW; kw++) {
                    const int iw = ow * SW - PL + kw * DW;
                    if (iw < 0 || iw >= W) continue;
                    acc += wc[(kd * KH + kh) * KW + kw] * xc[((ptrdiff_t)id * H + ih) * W + iw];
                  }
                }
              }
            }
            ym[((ptrdiff_t)od * OH + oh) * OW + ow] = acc;
          }
      if (act != EDGEC_ACT_NONE) edgec_act_apply(ym, ovol, act, aa, ab);
    }
  }
}

/* Direct 3-D ConvTranspose (scatter form): w is [C][O/G][KD][KH][KW]; Y starts at the bias. */
static EDGEC_UNUSED void edgec_convtranspose3d_direct(const float *x, const float *w, const float *bias, float *y, int N, int C,
                                         int D, int H, int W, int O, int OD, int OH, int OW, int G, int KD, int KH,
                                         int KW, int SD, int SH, int SW, int DD, int DH, int DW, int PF, int PT, int PL,
                                         int act, float aa, float ab) {
  const int cg = C / G, og = O / G;
  const ptrdiff_t ivol = (ptrdiff_t)D * H * W, ovol = (ptrdiff_t)OD * OH * OW;
  int n, c, o, id, ih, iw, kd, kh, kw;
  for (n = 0; n < N; n++) {
    float *yn = y + (ptrdiff_t)n * O * ovol;
    for (o = 0; o < O; o++) {
      ptrdiff_t i;
      for (i = 0; i < ovol; i++) yn[o * ovol + i] = bias ? bias[o] : 0.0f;
    }
    for (c = 0; c < C; c++) {
      const int g = c / cg;
      const float *xc = x + ((ptrdiff_t)n * C + c) * ivol;
      for (o = 0; o < og; o++) {
        const float *wk = w + ((ptrdiff_t)c * og + o) * KD * KH * KW;
        float *yo = yn + (ptrdiff_t)(g * og + o) * ovol;
        for (id = 0; id < D; id++)
          for (ih = 0; ih < H; ih++)
            for (iw = 0; iw < W; iw++) {
              const float xv = xc[((ptrdiff_t)id * H + ih) * W + iw];
              for (kd = 0; kd < KD; kd++) {
                const int od = id * SD - PF + kd * DD;
                if (od < 0 || od >= OD) continue;
                for (kh = 0; kh < KH; kh++) {
                  const int oh = ih * SH - PT + kh * DH;
                  if (oh < 0 || oh >= OH) continue;
                  for (kw = 0; kw < KW; kw++) {
                    const int ow = iw * SW - PL + kw * DW;
                    if (ow < 0 || ow >= OW) continue;
                    yo[((ptrdiff_t)od * OH + oh) * OW + ow] += xv * wk[(kd * KH + kh) * KW + kw];
                  }
                }
              }
            }
      }
    }
    if (act != EDGEC_ACT_NONE) edgec_act_apply(yn, (ptrdiff_t)O * ovol, act, aa, ab);
  }
}

#endif
