/* edgec convolutions (NCHW, float): GEMM-based 2-D Conv (1x1 straight on the input, im2col otherwise),
 * direct depthwise 2-D Conv, GEMM + col2im 2-D ConvTranspose, and direct 3-D Conv/ConvTranspose.
 * Builds on kernels/gemm.h. C99, no malloc, no globals, no VLAs. */
#ifndef EDGEC_KERNEL_CONV_H
#define EDGEC_KERNEL_CONV_H

#include "gemm.h"

/* First output index o in [0, n) whose input coordinate o*s + off is >= 0, and one past the last with
 * o*s + off < len. */
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
static EDGEC_UNUSED void edgec_conv_pack_weights(const float *EDGEC_RESTRICT w, int M, int G, int K,
                                                 float *EDGEC_RESTRICT out) {
  const int mg = M / G;
  const ptrdiff_t gstride = (ptrdiff_t)((mg + EDGEC_GEMM_MR - 1) / EDGEC_GEMM_MR) * EDGEC_GEMM_MR * K;
  int g;
  for (g = 0; g < G; g++) edgec_sgemm_pack_a(mg, K, w + (ptrdiff_t)g * mg * K, K, 1, 1.0f, out + g * gstride);
}

/* im2col of output rows [oh0, oh1) of one group: col[k][j], k = (ci, kh, kw), j = (oh - oh0)*OW + ow,
 * rows ldb floats long (zero-filled past the last column). */
EDGEC_INLINE void edgec_conv2d_im2col(const float *EDGEC_RESTRICT x, int Cg, int H, int W, int OW, int KH, int KW,
                                      int SH, int SW, int DH, int DW, int PT, int PL, int oh0, int oh1,
                                      float *EDGEC_RESTRICT col, ptrdiff_t ldb) {
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
          for (ow = 0; ow < lo; ow++) d[ow] = 0.0f;
          if (hi > lo) {
            /* s[ow - lo] is input column (ow * SW + off) of row ih, in range for ow in [lo, hi). */
            const float *EDGEC_RESTRICT s = xc + (ptrdiff_t)ih * W + (ptrdiff_t)lo * SW + off;
            if (SW == 1)
              memcpy(d + lo, s, (size_t)(hi - lo) * sizeof(float));
            else if (SW == 2)
              for (ow = lo; ow < hi; ow++) d[ow] = s[2 * (ow - lo)];
            else
              for (ow = lo; ow < hi; ow++) d[ow] = s[(ptrdiff_t)(ow - lo) * SW];
          }
          for (ow = hi; ow < OW; ow++) d[ow] = 0.0f;
        }
        if (ldb > ncols) memset(row + ncols, 0, (size_t)(ldb - ncols) * sizeof(float));
      }
    }
  }
}

/* 2-D convolution Y = act(W * X + bias) through the packed SGEMM. ap: per-group packed weights
 * (group g at ap + g * ceil(Mg/MR)*MR*Kg, Kg = C/G*KH*KW). A 1x1 / stride 1 / no-pad conv multiplies X directly;
 * any other conv runs im2col over blocks of `rows` output rows. b_direct: see edgec_sgemm. scratch: see the
 * lowering. Always inlined so the im2col loops see each call site's literal shapes. */
EDGEC_INLINE void edgec_conv2d(const float *x, const float *ap, const float *bias, float *y, int N, int C, int H,
                               int W, int M, int OH, int OW, int G, int KH, int KW, int SH, int SW, int DH, int DW,
                               int PT, int PL, int act, float aa, float ab, float *scratch, int rows, int MC, int KC,
                               int NC, int b_direct) {
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
        edgec_sgemm(mg, (int)hw, kg, apg, NULL, 0, 0, 1.0f, NULL, xg, hw, 1, b_direct, yg, hw, 0, bg, NULL, act, aa, ab,
                    scratch, MC, KC, NC);
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

/* The depthwise kernel's vector: the vocabulary's (runtime-c/simd) when one is selected, else the GNU 8-float vector.
 * EDGEC_DW_VEXT (a vocabulary row's define) keeps the GNU vector where engines run it faster (WebAssembly on x86). */
#if defined(EDGEC_SIMD) && !EDGEC_DW_VEXT
#define EDGEC_DW_VEC 1
#define EDGEC_DW_L EDGEC_VF32_LANES
typedef edgec_vf32 edgec_dwv;
#define EDGEC_DW_LOAD(p) edgec_vf32_load(p)
#define EDGEC_DW_STORE(p, v) edgec_vf32_store((p), (v))
#define EDGEC_DW_SPLAT(x) edgec_vf32_splat(x)
#define EDGEC_DW_FMA(acc, w, x) edgec_vf32_fma((acc), (w), (x))
#define EDGEC_DW_ACT(x, act, va, vb) edgec_vf32_act((x), (act), (va), (vb))
#elif defined(EDGEC_HAVE_V8)
#define EDGEC_DW_VEC 1
#define EDGEC_DW_L 8
typedef edgec_vec8 edgec_dwv;
#define EDGEC_DW_LOAD(p) EDGEC_V8_LOAD(p)
#define EDGEC_DW_STORE(p, v) EDGEC_V8_STORE((p), (v))
#define EDGEC_DW_SPLAT(x) EDGEC_V8_SET1(x)
#define EDGEC_DW_FMA(acc, w, x) ((acc) + (w) * (x))
#define EDGEC_DW_ACT(x, act, va, vb) edgec_v8_act((x), (act), (va), (vb))
#endif
/* Output columns per chunk (32 or 16; a vocabulary row sets 16 where 2 rows x 32 columns of accumulators would not
 * fit its registers), and vectors per chunk. */
#ifndef EDGEC_DW_COLS
#define EDGEC_DW_COLS 32
#endif
#define EDGEC_DW_NV (EDGEC_DW_COLS / EDGEC_DW_L)

#if defined(EDGEC_DW_VEC)
/* NV (1 to EDGEC_DW_NV) vectors of depthwise outputs at column ow for ROWS (1 or 2) output rows that are SH plane rows
 * apart. Each plane row vector is loaded once and feeds every output row it is a tap row of (fewer loads per FMA for
 * two rows of a tall kernel). Only the first `valid` outputs of each row are stored. */
EDGEC_FMA_CONTRACT EDGEC_INLINE void edgec_dw_chunk(const float *EDGEC_RESTRICT xp, ptrdiff_t ws, ptrdiff_t pw,
                                                    const float *EDGEC_RESTRICT wk, edgec_dwv vbias,
                                                    float *EDGEC_RESTRICT yr, ptrdiff_t yrs, int ow, int valid,
                                                    const int NV, const int ROWS, const int KH, const int KW,
                                                    const int SH, const int SW, const int DH, const int DW, int vact,
                                                    edgec_dwv va, edgec_dwv vb) {
  edgec_dwv acc[2][EDGEC_DW_NV], xv[EDGEC_DW_NV];
  const int span = (ROWS - 1) * SH + (KH - 1) * DH + 1;
  int r, q, kw, v;
  for (q = 0; q < ROWS; q++)
    for (v = 0; v < NV; v++) acc[q][v] = vbias;
  for (r = 0; r < span; r++) {
    for (kw = 0; kw < KW; kw++) {
      const float *p = xp + (ptrdiff_t)r * ws + (ptrdiff_t)(kw * DW % SW) * pw + kw * DW / SW + ow;
      for (v = 0; v < NV; v++) xv[v] = EDGEC_DW_LOAD(p + EDGEC_DW_L * v);
      for (q = 0; q < ROWS; q++) {
        const int d = r - q * SH;
        if (d >= 0 && d % DH == 0 && d / DH < KH) {
          const edgec_dwv wv = EDGEC_DW_SPLAT(wk[d / DH * KW + kw]);
          for (v = 0; v < NV; v++) acc[q][v] = EDGEC_DW_FMA(acc[q][v], wv, xv[v]);
        }
      }
    }
  }
  for (q = 0; q < ROWS; q++) {
    float *yq = yr + q * yrs + ow;
    for (v = 0; v < NV; v++) {
      edgec_dwv o = vact != EDGEC_ACT_NONE ? EDGEC_DW_ACT(acc[q][v], vact, va, vb) : acc[q][v];
      if (EDGEC_DW_L * v + EDGEC_DW_L <= valid) {
        EDGEC_DW_STORE(yq + EDGEC_DW_L * v, o);
      } else {
        float t[EDGEC_DW_L];
        const int rest = valid - EDGEC_DW_L * v < EDGEC_DW_L ? valid - EDGEC_DW_L * v : EDGEC_DW_L;
        int j;
        EDGEC_DW_STORE(t, o);
        for (j = 0; j < rest; j++) yq[EDGEC_DW_L * v + j] = t[j];
      }
    }
  }
}
#endif

/* Output rows of one depthwise channel over a zero-padded, phase-split plane (see edgec_conv2d_dw): plane row
 * oh * SH (row stride ws, SW phases of pw floats each) starts tap row 0 of output row oh; wk holds the KHxKW taps.
 * Column tap c = kw*DW lives in phase c % SW at offset c / SW, so every load is contiguous; rows hold slack for whole
 * vectors. Rows go two at a time for tall kernels; columns EDGEC_DW_COLS at a time, then one chunk of TAIL (0 to
 * EDGEC_DW_COLS / 8, a constant) 8-column groups. */
EDGEC_FMA_CONTRACT EDGEC_INLINE void edgec_dw_rows(const float *EDGEC_RESTRICT plane, ptrdiff_t ws, ptrdiff_t pw,
                                                   const float *EDGEC_RESTRICT wk, float bias, float *EDGEC_RESTRICT yc,
                                                   int OH, int OW, const int SH, const int TAIL, const int KH,
                                                   const int KW, const int SW, const int DH, const int DW, int act,
                                                   float aa, float ab) {
  int oh;
#if defined(EDGEC_DW_VEC)
  const int vact = edgec_act_in_registers(act) ? act : EDGEC_ACT_NONE;
  const edgec_dwv va = EDGEC_DW_SPLAT(aa), vb = EDGEC_DW_SPLAT(ab), vbias = EDGEC_DW_SPLAT(bias);
  const int body = OW / EDGEC_DW_COLS * EDGEC_DW_COLS, pair = KH >= 4; /* two rows share enough plane rows to pay off from 4 taps up */
  for (oh = 0; oh < OH; oh += 1 + pair) {
    const float *xp = plane + (ptrdiff_t)oh * SH * ws;
    float *yr = yc + (ptrdiff_t)oh * OW;
    int ow;
    if (pair && oh + 1 < OH) {
      for (ow = 0; ow < body; ow += EDGEC_DW_COLS)
        edgec_dw_chunk(xp, ws, pw, wk, vbias, yr, OW, ow, EDGEC_DW_COLS, EDGEC_DW_NV, 2, KH, KW, SH, SW, DH, DW, vact, va, vb);
      if (TAIL > 0)
        edgec_dw_chunk(xp, ws, pw, wk, vbias, yr, OW, body, OW - body, TAIL * 8 / EDGEC_DW_L, 2, KH, KW, SH, SW, DH, DW, vact, va, vb);
      if (vact != act) edgec_act_run(yr, 2 * (ptrdiff_t)OW, act, aa, ab);
    } else {
      for (ow = 0; ow < body; ow += EDGEC_DW_COLS)
        edgec_dw_chunk(xp, ws, pw, wk, vbias, yr, OW, ow, EDGEC_DW_COLS, EDGEC_DW_NV, 1, KH, KW, SH, SW, DH, DW, vact, va, vb);
      if (TAIL > 0)
        edgec_dw_chunk(xp, ws, pw, wk, vbias, yr, OW, body, OW - body, TAIL * 8 / EDGEC_DW_L, 1, KH, KW, SH, SW, DH, DW, vact, va, vb);
      if (vact != act) edgec_act_run(yr, OW, act, aa, ab);
    }
  }
#else
  int ow, kh, kw;
  (void)TAIL;
  for (oh = 0; oh < OH; oh++) {
    const float *xp = plane + (ptrdiff_t)oh * SH * ws;
    float *yr = yc + (ptrdiff_t)oh * OW;
    for (ow = 0; ow < OW; ow++) {
      float acc = bias;
      for (kh = 0; kh < KH; kh++)
        for (kw = 0; kw < KW; kw++)
          acc += wk[kh * KW + kw] * xp[(ptrdiff_t)kh * DH * ws + (ptrdiff_t)(kw * DW % SW) * pw + kw * DW / SW + ow];
      yr[ow] = acc;
    }
    edgec_act_run(yr, OW, act, aa, ab);
  }
#endif
}

/* edgec_dw_rows with the tail chunk size picked once per channel rather than per row. */
EDGEC_FMA_CONTRACT EDGEC_INLINE void edgec_dw_channel(const float *plane, ptrdiff_t ws, ptrdiff_t pw, const float *wk,
                                                      float b, float *yc, int OH, int OW, const int SH, const int KH,
                                                      const int KW, const int SW, const int DH, const int DW, int act,
                                                      float aa, float ab) {
  switch ((OW % EDGEC_DW_COLS + 7) / 8) {
  case 0: edgec_dw_rows(plane, ws, pw, wk, b, yc, OH, OW, SH, 0, KH, KW, SW, DH, DW, act, aa, ab); break;
  case 1: edgec_dw_rows(plane, ws, pw, wk, b, yc, OH, OW, SH, 1, KH, KW, SW, DH, DW, act, aa, ab); break;
  case 2: edgec_dw_rows(plane, ws, pw, wk, b, yc, OH, OW, SH, 2, KH, KW, SW, DH, DW, act, aa, ab); break;
  case 3: edgec_dw_rows(plane, ws, pw, wk, b, yc, OH, OW, SH, 3, KH, KW, SW, DH, DW, act, aa, ab); break;
  default: edgec_dw_rows(plane, ws, pw, wk, b, yc, OH, OW, SH, 4, KH, KW, SW, DH, DW, act, aa, ab); break;
  }
}

/* Floats per phase of a plane row edgec_conv2d_dw builds (output width, tap reach, slack for whole vectors). */
#define EDGEC_DW_PLANE_PHASE(OW, KW, SW, DW) ((ptrdiff_t)(OW) + (ptrdiff_t)((KW) - 1) * (DW) / (SW) + 16)
/* Rows of that plane. */
#define EDGEC_DW_PLANE_ROWS(OH, KH, SH, DH) ((ptrdiff_t)((OH) - 1) * (SH) + (ptrdiff_t)((KH) - 1) * (DH) + 1)

/* One plane row for stride 2: d[j] = padded column 2j, d[pw + j] = padded column 2j + 1 (padded column c is input
 * column c - PL, zero outside [0, W)). Where both phases are in range it is one deinterleaving loop gcc vectorizes;
 * outside, zeros, plus at most a column or two per edge that only one phase reaches. */
EDGEC_INLINE void edgec_dw_fill_row2(const float *EDGEC_RESTRICT xr, int W, int PL, int pw, float *EDGEC_RESTRICT d) {
  float *EDGEC_RESTRICT d1 = d + pw;
  int a0, b0, a1, b1, lo, hi, j;
  edgec_conv_valid_range(pw, 2, -PL, W, &a0, &b0);
  edgec_conv_valid_range(pw, 2, 1 - PL, W, &a1, &b1);
  lo = a0 > a1 ? a0 : a1;
  hi = b0 < b1 ? b0 : b1;
  if (hi < lo) hi = lo;
  for (j = 0; j < lo; j++) d[j] = d1[j] = 0.0f;
  for (j = hi; j < pw; j++) d[j] = d1[j] = 0.0f;
  if (hi > lo) {
    const float *EDGEC_RESTRICT s = xr + 2 * lo - PL;
    for (j = 0; j < hi - lo; j++) {
      d[lo + j] = s[2 * j];
      d1[lo + j] = s[2 * j + 1];
    }
  }
  for (j = a0; j < lo; j++) d[j] = xr[2 * j - PL];
  for (j = hi > a0 ? hi : a0; j < b0; j++) d[j] = xr[2 * j - PL];
  for (j = a1; j < lo; j++) d1[j] = xr[2 * j + 1 - PL];
  for (j = hi > a1 ? hi : a1; j < b1; j++) d1[j] = xr[2 * j + 1 - PL];
}

/* Depthwise 2-D conv (Cin/G == 1; M = C * multiplier). Each channel is copied once into a zero-padded plane in
 * scratch (EDGEC_DW_PLANE_ROWS rows of SW * EDGEC_DW_PLANE_PHASE floats) whose rows are split into SW phases
 * (phase p holds padded columns p, p + SW, ...), so strided convs read contiguous vectors; every output row is then
 * a branch-free vector loop over all taps. Always inlined: with the literal shapes of each call site gcc specializes
 * the tap loops and tail handling (worth ~1.5x over one generic copy). */
EDGEC_FMA_CONTRACT EDGEC_INLINE void edgec_conv2d_dw(const float *x, const float *w, const float *bias, float *y, int N,
                                                     int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH,
                                                     int SW, int DH, int DW, int PT, int PL, int act, float aa,
                                                     float ab, float *scratch) {
  const int mult = M / C;
  const ptrdiff_t pw = EDGEC_DW_PLANE_PHASE(OW, KW, SW, DW), ws = SW * pw, hp = EDGEC_DW_PLANE_ROWS(OH, KH, SH, DH);
  int n, c, m, r, p, j;
  for (n = 0; n < N; n++) {
    for (c = 0; c < C; c++) {
      const float *xc = x + ((ptrdiff_t)n * C + c) * H * W;
      for (r = 0; r < hp; r++) {
        float *EDGEC_RESTRICT d = scratch + r * ws;
        const int ih = r - PT;
        if (ih < 0 || ih >= H) {
          memset(d, 0, (size_t)ws * sizeof(float));
          continue;
        }
        if (SW == 2) {
          edgec_dw_fill_row2(xc + (ptrdiff_t)ih * W, W, PL, (int)pw, d);
          continue;
        }
        for (p = 0; p < SW; p++) {
          float *EDGEC_RESTRICT dp = d + p * pw;
          int lo, hi;
          edgec_conv_valid_range((int)pw, SW, p - PL, W, &lo, &hi);
          for (j = 0; j < lo; j++) dp[j] = 0.0f;
          if (hi > lo) {
            /* s[j - lo] is input column (j * SW + p - PL) of row ih, in range for j in [lo, hi). */
            const float *EDGEC_RESTRICT s = xc + (ptrdiff_t)ih * W + (ptrdiff_t)lo * SW + p - PL;
            if (SW == 1)
              memcpy(dp + lo, s, (size_t)(hi - lo) * sizeof(float));
            else
              for (j = lo; j < hi; j++) dp[j] = s[(ptrdiff_t)(j - lo) * SW];
          }
          for (j = hi; j < pw; j++) dp[j] = 0.0f;
        }
      }
      for (m = 0; m < mult; m++) {
        const int co = c * mult + m;
        const float *wk = w + (ptrdiff_t)co * KH * KW;
        const float b = bias ? bias[co] : 0.0f;
        float *yc = y + ((ptrdiff_t)n * M + co) * OH * OW;
        edgec_dw_channel(scratch, ws, pw, wk, b, yc, OH, OW, SH, KH, KW, SW, DH, DW, act, aa, ab);
      }
    }
  }
}

/* Scatter one GEMM block of a 2-D ConvTranspose into Y (input rows [h0, h1), cols[(o, kh, kw)][pixel]).
 * General form: accumulate into Y (pre-filled with the bias). With `direct` (taps never overlap: K <= S, no dilation)
 * each covered pixel is written once as col + bias; with `full` also every output pixel is covered, so each output
 * row is complete once its taps are written and gets the activation right away. */
EDGEC_INLINE void edgec_convtranspose2d_scatter(const float *cols, int ncols, const float *bias, float *y, int og,
                                                int obase, int h0, int h1, int W, int OH, int OW, int KH, int KW,
                                                int SH, int SW, int DH, int DW, int PT, int PL, int direct, int full,
                                                int act, float aa, float ab) {
  const ptrdiff_t ohw = (ptrdiff_t)OH * OW;
  int o, kh, kw, ih, iw;
  for (o = 0; o < og; o++) {
    float *yo = y + (ptrdiff_t)(obase + o) * ohw;
    const float b = bias ? bias[obase + o] : 0.0f;
    for (kh = 0; kh < KH; kh++) {
      for (ih = h0; ih < h1; ih++) {
        const int oh = ih * SH - PT + kh * DH;
        float *yr;
        if (oh < 0 || oh >= OH) continue;
        yr = yo + (ptrdiff_t)oh * OW;
        if (full && KW == 2 && SW == 2 && PL == 0 && OW == 2 * W) {
          const float *EDGEC_RESTRICT c0 = cols + ((ptrdiff_t)(o * KH + kh) * KW) * ncols + (ptrdiff_t)(ih - h0) * W;
          const float *EDGEC_RESTRICT c1 = c0 + ncols;
          float *EDGEC_RESTRICT d = yr;
          for (iw = 0; iw < W; iw++) {
            d[2 * iw] = c0[iw] + b;
            d[2 * iw + 1] = c1[iw] + b;
          }
        } else {
          for (kw = 0; kw < KW; kw++) {
            const float *EDGEC_RESTRICT cw =
                cols + ((ptrdiff_t)(o * KH + kh) * KW + kw) * ncols + (ptrdiff_t)(ih - h0) * W;
            const int off = kw * DW - PL;
            int lo, hi;
            edgec_conv_valid_range(W, SW, off, OW, &lo, &hi);
            if (hi <= lo) continue;
            {
              /* d[(iw - lo) * SW] is output column iw * SW + off, in range for iw in [lo, hi). */
              float *EDGEC_RESTRICT d = yr + (ptrdiff_t)lo * SW + off;
              if (direct) {
                for (iw = lo; iw < hi; iw++) d[(ptrdiff_t)(iw - lo) * SW] = cw[iw] + b;
              } else if (SW == 1) {
                for (iw = lo; iw < hi; iw++) d[iw - lo] += cw[iw];
              } else if (SW == 2) {
                for (iw = lo; iw < hi; iw++) d[2 * (iw - lo)] += cw[iw];
              } else {
                for (iw = lo; iw < hi; iw++) d[(ptrdiff_t)(iw - lo) * SW] += cw[iw];
              }
            }
          }
        }
        if (full) edgec_act_run(yr, OW, act, aa, ab);
      }
    }
  }
}

/* 2-D ConvTranspose via GEMM + col2im: for each group and block of `rows` input rows,
 * cols[(o, kh, kw)][pixel] = A_g x X_g (ap: per-group packed W^T, Mg = O/G*KH*KW rows, Kg = C/G), then the
 * scatter into Y. Kernels no larger than the stride (the 2x2 stride-2 upsampler) write Y directly and, when they cover
 * it, apply the activation row by row; otherwise Y starts at the bias and gets the activation once complete.
 * scratch: Mg*rows*W floats (rounded up to 16) + the SGEMM's B block. b_direct: see edgec_sgemm. Always inlined (literal shapes let
 * gcc vectorize the scatter). */
EDGEC_INLINE void edgec_convtranspose2d(const float *x, const float *ap, const float *bias, float *y, int N, int C,
                                        int H, int W, int O, int OH, int OW, int G, int KH, int KW, int SH, int SW,
                                        int DH, int DW, int PT, int PL, int act, float aa, float ab, float *scratch,
                                        int rows, int MC, int KC, int NC, int b_direct) {
  const int cg = C / G, og = O / G, mg = og * KH * KW;
  const ptrdiff_t gstride = (ptrdiff_t)((mg + EDGEC_GEMM_MR - 1) / EDGEC_GEMM_MR) * EDGEC_GEMM_MR * cg;
  const ptrdiff_t hw = (ptrdiff_t)H * W, ohw = (ptrdiff_t)OH * OW;
  const int direct = KH <= SH && KW <= SW && (KH == 1 || DH == 1) && (KW == 1 || DW == 1);
  const int full = direct && KH == SH && KW == SW && OH + PT <= H * SH && OW + PL <= W * SW;
  float *cols = scratch, *gemm_scratch = scratch + ((ptrdiff_t)mg * rows * W + 15) / 16 * 16;
  int n, g, o, h0;
  for (n = 0; n < N; n++) {
    float *yn = y + (ptrdiff_t)n * O * ohw;
    if (!full) {
      for (o = 0; o < O; o++) {
        float *yo = yn + o * ohw;
        const float b = bias ? bias[o] : 0.0f;
        ptrdiff_t i;
        for (i = 0; i < ohw; i++) yo[i] = b;
      }
    }
    for (g = 0; g < G; g++) {
      const float *xg = x + ((ptrdiff_t)n * C + (ptrdiff_t)g * cg) * hw;
      for (h0 = 0; h0 < H; h0 += rows) {
        const int h1 = H - h0 < rows ? H : h0 + rows;
        const int ncols = (h1 - h0) * W;
        edgec_sgemm(mg, ncols, cg, ap + g * gstride, NULL, 0, 0, 1.0f, NULL, xg + (ptrdiff_t)h0 * W, hw, 1, b_direct,
                    cols, ncols, 0, NULL, NULL, EDGEC_ACT_NONE, 0.0f, 0.0f, gemm_scratch, MC, KC, NC);
        edgec_convtranspose2d_scatter(cols, ncols, bias, yn, og, g * og, h0, h1, W, OH, OW, KH, KW, SH, SW, DH, DW, PT,
                                      PL, direct, full, act, aa, ab);
      }
    }
    if (!full) edgec_act_run(yn, (ptrdiff_t)O * ohw, act, aa, ab);
  }
}

/* Direct 3-D convolution (also any lower rank padded with unit dims): w is [M][C/G][KD][KH][KW]. */
static EDGEC_UNUSED void edgec_conv3d_direct(const float *x, const float *w, const float *bias, float *y, int N, int C,
                                             int D, int H, int W, int M, int OD, int OH, int OW, int G, int KD, int KH,
                                             int KW, int SD, int SH, int SW, int DD, int DH, int DW, int PF, int PT,
                                             int PL, int act, float aa, float ab) {
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
      edgec_act_run(ym, ovol, act, aa, ab);
    }
  }
}

/* Direct 3-D ConvTranspose (scatter form): w is [C][O/G][KD][KH][KW]; Y starts at the bias. */
static EDGEC_UNUSED void edgec_convtranspose3d_direct(const float *x, const float *w, const float *bias, float *y,
                                                      int N, int C, int D, int H, int W, int O, int OD, int OH, int OW,
                                                      int G, int KD, int KH, int KW, int SD, int SH, int SW, int DD,
                                                      int DH, int DW, int PF, int PT, int PL, int act, float aa,
                                                      float ab) {
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
    edgec_act_run(yn, (ptrdiff_t)O * ovol, act, aa, ab);
  }
}

#endif
