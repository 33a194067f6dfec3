/* edgec int8 convolutions (NCHW, TFLite int8 scheme): GEMM-based 2-D Conv (1x1 straight from the input, im2col
 * otherwise) and ConvTranspose (GEMM + col2im into int32), a direct depthwise 2-D kernel, and direct 3-D kernels.
 * Weights arrive packed and minus their zero points; inputs are widened minus z_x, so padding adds nothing.
 * Builds on kernels/qgemm.h. C99, no malloc, no globals, no VLAs. */
#ifndef EDGEC_KERNEL_QCONV_H
#define EDGEC_KERNEL_QCONV_H

#include "qgemm.h"

/* First output index o in [0, n) whose input coordinate o*s + off is >= 0, and one past the last with
 * o*s + off < len. */
EDGEC_INLINE void edgec_qconv_range(int n, int s, int off, int len, int *lo, int *hi) {
  int a = off >= 0 ? 0 : (-off + s - 1) / s;
  int b = len - 1 - off < 0 ? 0 : (len - 1 - off) / s + 1;
  if (a > n) a = n;
  if (b > n) b = n;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

/* Requantize n int32 accumulators of channel ch (per-row epilogue parameters) into int8. */
static EDGEC_UNUSED void edgec_q_requant_row(const int32_t *EDGEC_RESTRICT acc, int8_t *EDGEC_RESTRICT y, ptrdiff_t n,
                                             const edgec_qepi *e, int ch) {
  ptrdiff_t i = 0, body = 0;
#if defined(EDGEC_QAVX2)
  const edgec_qepi8 p = edgec_qepi8_at(e, ch, 0);
  const edgec_qout8 out = edgec_qout8_of(e);
  const int lsh = e->lsh != NULL;
  body = n / 32 * 32;
  for (; i < body; i += 32) {
    const __m256i a0 = edgec_q_requant8(_mm256_loadu_si256((const __m256i *)(const void *)(acc + i)), &p, lsh);
    const __m256i a1 = edgec_q_requant8(_mm256_loadu_si256((const __m256i *)(const void *)(acc + i + 8)), &p, lsh);
    const __m256i a2 = edgec_q_requant8(_mm256_loadu_si256((const __m256i *)(const void *)(acc + i + 16)), &p, lsh);
    const __m256i a3 = edgec_q_requant8(_mm256_loadu_si256((const __m256i *)(const void *)(acc + i + 24)), &p, lsh);
    edgec_q_store2x16(a0, a1, a2, a3, &out, y + i, y + i + 16);
  }
#endif
  for (i = body; i < n; i++) y[i] = edgec_q_out1(acc[i], e, ch);
}

/* im2col of output rows [oh0, oh1) of one group (int8, padding = zx): col[k][j], k = (ci, kh, kw),
 * j = (oh - oh0)*OW + ow, rows ldb bytes long. */
EDGEC_INLINE void edgec_qconv2d_im2col(const int8_t *EDGEC_RESTRICT x, int Cg, int H, int W, int OW, int KH, int KW,
                                       int SH, int SW, int DH, int DW, int PT, int PL, int oh0, int oh1, int zx,
                                       int8_t *EDGEC_RESTRICT col, ptrdiff_t ldb) {
  int ci, kh, kw, oh, ow;
  for (ci = 0; ci < Cg; ci++) {
    const int8_t *xc = x + (ptrdiff_t)ci * H * W;
    for (kh = 0; kh < KH; kh++) {
      for (kw = 0; kw < KW; kw++) {
        int8_t *row = col + ((ptrdiff_t)(ci * KH + kh) * KW + kw) * ldb;
        const int off = kw * DW - PL;
        int lo, hi;
        edgec_qconv_range(OW, SW, off, W, &lo, &hi);
        for (oh = oh0; oh < oh1; oh++) {
          int8_t *EDGEC_RESTRICT d = row + (ptrdiff_t)(oh - oh0) * OW;
          const int ih = oh * SH - PT + kh * DH;
          if (ih < 0 || ih >= H) {
            memset(d, zx, (size_t)OW);
            continue;
          }
          for (ow = 0; ow < lo; ow++) d[ow] = (int8_t)zx;
          if (hi > lo) {
            /* s[ow - lo] is input column (ow * SW + off) of row ih, in range for ow in [lo, hi). */
            const int8_t *EDGEC_RESTRICT s = xc + (ptrdiff_t)ih * W + (ptrdiff_t)lo * SW + off;
            if (SW == 1)
              memcpy(d + lo, s, (size_t)(hi - lo));
            else
              for (ow = lo; ow < hi; ow++) d[ow] = s[(ptrdiff_t)(ow - lo) * SW];
          }
          for (ow = hi; ow < OW; ow++) d[ow] = (int8_t)zx;
        }
      }
    }
  }
}

/* Bytes of im2col rows for a block of ncols columns (rows padded to whole 64-byte lines). */
#define EDGEC_QCOL_LD(ncols) (((ptrdiff_t)(ncols) + 63) / 64 * 64)

/* 2-D int8 convolution through the int8 GEMM. ap: per-group packed weights (A panels over Kg = C/G*KH*KW, group g
 * at ap + g * EDGEC_QPACK_A(M/G, Kg)); e: per-output-channel epilogue. A 1x1 / stride 1 / no-pad conv packs X
 * directly in blocks of `blk` pixels; any other conv runs im2col over blocks of `blk` output rows; MC: see
 * edgec_qgemm. scratch: the
 * im2col block (EDGEC_QCOL_LD bytes per row, non-pointwise only), then the packed B block. Always inlined so the
 * im2col loops see each call site's literal shapes. */
EDGEC_INLINE void edgec_qconv2d(const int8_t *x, const int16_t *ap, const edgec_qepi *e, int8_t *y, int N, int C,
                                int H, int W, int M, int OH, int OW, int G, int KH, int KW, int SH, int SW, int DH,
                                int DW, int PT, int PL, int zx, void *scratch, int blk, int MC) {
  const int cg = C / G, mg = M / G, kg = cg * KH * KW, k2 = (kg + 1) / 2;
  const ptrdiff_t hw = (ptrdiff_t)H * W, ohw = (ptrdiff_t)OH * OW, gstride = EDGEC_QPACK_A(mg, kg);
  const ptrdiff_t aps = (ptrdiff_t)2 * EDGEC_QGEMM_MR * k2, bps = (ptrdiff_t)2 * EDGEC_QGEMM_NR * k2;
  const int pointwise = KH == 1 && KW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && OH == H && OW == W;
  const ptrdiff_t colbytes = pointwise ? 0 : (ptrdiff_t)kg * EDGEC_QCOL_LD(blk * OW);
  int8_t *col = (int8_t *)scratch;
  int16_t *bpack = (int16_t *)(void *)((uint8_t *)scratch + colbytes);
  int n, g;
  for (n = 0; n < N; n++) {
    for (g = 0; g < G; g++) {
      const int8_t *xg = x + ((ptrdiff_t)n * C + (ptrdiff_t)g * cg) * hw;
      int8_t *yg = y + ((ptrdiff_t)n * M + (ptrdiff_t)g * mg) * ohw;
      const int16_t *apg = ap + g * gstride;
      if (pointwise) {
        ptrdiff_t p0;
        for (p0 = 0; p0 < hw; p0 += blk) {
          const int ncols = hw - p0 < blk ? (int)(hw - p0) : blk;
          edgec_qpack_b(kg, ncols, xg + p0, hw, 1, zx, bpack);
          edgec_qgemm(mg, ncols, k2, apg, aps, bpack, bps, yg + p0, NULL, ohw, e, g * mg, 0, MC);
        }
      } else {
        int oh0;
        for (oh0 = 0; oh0 < OH; oh0 += blk) {
          const int oh1 = OH - oh0 < blk ? OH : oh0 + blk;
          const int ncols = (oh1 - oh0) * OW;
          const ptrdiff_t ldb = EDGEC_QCOL_LD(ncols);
          edgec_qconv2d_im2col(xg, cg, H, W, OW, KH, KW, SH, SW, DH, DW, PT, PL, oh0, oh1, zx, col, ldb);
          edgec_qpack_b(kg, ncols, col, ldb, 1, zx, bpack);
          edgec_qgemm(mg, ncols, k2, apg, aps, bpack, bps, yg + (ptrdiff_t)oh0 * OW, NULL, ohw, e, g * mg, 0, MC);
        }
      }
    }
  }
}

/* Int16 elements per phase of a depthwise plane row: output width, tap reach, slack for whole 8-lane vectors. */
#define EDGEC_QDW_PHASE(OW, KW, SW, DW) ((ptrdiff_t)(OW) + (ptrdiff_t)((KW) - 1) * (DW) / (SW) + 40)
/* Rows of the depthwise plane: the padded rows the taps reach, plus DH zero rows for an odd kernel height's pairs. */
#define EDGEC_QDW_ROWS(OH, KH, SH, DH) ((ptrdiff_t)((OH) - 1) * (SH) + (ptrdiff_t)(KH) * (DH) + 1)
/* Bytes of depthwise scratch: the int16 plane, then its int32 vertical-pair plane. */
#define EDGEC_QDW_SCRATCH(OH, OW, KH, KW, SH, SW, DH, DW) \
  ((ptrdiff_t)6 * EDGEC_QDW_ROWS(OH, KH, SH, DH) * (SW) * EDGEC_QDW_PHASE(OW, KW, SW, DW) + 64)

/* Output rows of one depthwise channel from its vertical-pair plane pp (row r holds, for every column, the pair
 * (plane row r, plane row r + DH); row stride ws pairs, SW phases of pw pairs): taps (kh, kh + 1) at column kw are
 * one madd with the weight pair wk[kh / 2][kw]. Columns go 32 at a time. */
static EDGEC_UNUSED void edgec_qdw_rows(const int16_t *EDGEC_RESTRICT pp, ptrdiff_t ws, ptrdiff_t pw,
                                        const int16_t *EDGEC_RESTRICT wk, int8_t *EDGEC_RESTRICT yc, int OH, int OW,
                                        int KH, int KW, int SH, int SW, int DH, int DW, const edgec_qepi *e, int ch) {
  const int kh2 = (KH + 1) / 2;
  int oh, ow, kp, kw;
#if defined(EDGEC_QAVX2)
  const edgec_qepi8 p = edgec_qepi8_at(e, ch, 0);
  const edgec_qout8 out = edgec_qout8_of(e);
  const int lsh = e->lsh != NULL;
  for (oh = 0; oh < OH; oh++) {
    int8_t *yr = yc + (ptrdiff_t)oh * OW;
    for (ow = 0; ow < OW; ow += 32) {
      __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
      for (kp = 0; kp < kh2; kp++) {
        const int16_t *row = pp + 2 * ((ptrdiff_t)(oh * SH + 2 * kp * DH) * ws + ow);
        for (kw = 0; kw < KW; kw++) {
          const int16_t *s = row + 2 * ((ptrdiff_t)(kw * DW % SW) * pw + kw * DW / SW);
          const __m256i wv = edgec_q_bcast(wk + 2 * (kp * KW + kw));
          a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)s), wv));
          a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(s + 16)), wv));
          a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(s + 32)), wv));
          a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(s + 48)), wv));
        }
      }
      a0 = edgec_q_requant8(a0, &p, lsh);
      a1 = edgec_q_requant8(a1, &p, lsh);
      a2 = edgec_q_requant8(a2, &p, lsh);
      a3 = edgec_q_requant8(a3, &p, lsh);
      if (ow + 32 <= OW) {
        edgec_q_store2x16(a0, a1, a2, a3, &out, yr + ow, yr + ow + 16);
      } else {
        int8_t t[32];
        edgec_q_store2x16(a0, a1, a2, a3, &out, t, t + 16);
        memcpy(yr + ow, t, (size_t)(OW - ow));
      }
    }
  }
#else
  for (oh = 0; oh < OH; oh++) {
    for (ow = 0; ow < OW; ow++) {
      int32_t acc = 0;
      for (kp = 0; kp < kh2; kp++) {
        const int16_t *row = pp + 2 * ((ptrdiff_t)(oh * SH + 2 * kp * DH) * ws + ow);
        for (kw = 0; kw < KW; kw++) {
          const int16_t *s = row + 2 * ((ptrdiff_t)(kw * DW % SW) * pw + kw * DW / SW);
          acc += s[0] * wk[2 * (kp * KW + kw)] + s[1] * wk[2 * (kp * KW + kw) + 1];
        }
      }
      yc[(ptrdiff_t)oh * OW + ow] = edgec_q_out1(acc, e, ch);
    }
  }
#endif
}

/* Depthwise 2-D int8 conv (C/G == 1, M = C * multiplier). Each input channel becomes a zero-padded int16 plane of
 * x - zx whose rows are split into SW phases (phase p holds padded columns p, p + SW, ...), then a plane of vertical
 * pairs (rows r and r + DH interleaved) so two kernel rows are one madd. wk: per output channel
 * [ceil(KH/2)][KW][2] int16 weight pairs (minus zero point; zero past the last row). scratch: EDGEC_QDW_SCRATCH. */
static EDGEC_UNUSED void edgec_qconv2d_dw(const int8_t *x, const int16_t *w, const edgec_qepi *e, int8_t *y, int N,
                                          int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW,
                                          int DH, int DW, int PT, int PL, int zx, void *scratch) {
  const int mult = M / C, kh2 = (KH + 1) / 2;
  const ptrdiff_t pw = EDGEC_QDW_PHASE(OW, KW, SW, DW), ws = SW * pw, hp = EDGEC_QDW_ROWS(OH, KH, SH, DH);
  int16_t *plane = (int16_t *)scratch;
  int16_t *pp = plane + (hp * ws + 31) / 32 * 32;
  int n, c, m, r, p, j;
  for (n = 0; n < N; n++) {
    for (c = 0; c < C; c++) {
      const int8_t *xc = x + ((ptrdiff_t)n * C + c) * H * W;
      for (r = 0; r < hp; r++) {
        int16_t *EDGEC_RESTRICT d = plane + r * ws;
        const int ih = r - PT;
        if (ih < 0 || ih >= H) {
          memset(d, 0, (size_t)ws * sizeof(int16_t));
          continue;
        }
        for (p = 0; p < SW; p++) {
          int16_t *EDGEC_RESTRICT dp = d + p * pw;
          const int8_t *EDGEC_RESTRICT s = xc + (ptrdiff_t)ih * W;
          int lo, hi;
          edgec_qconv_range((int)pw, SW, p - PL, W, &lo, &hi);
          for (j = 0; j < lo; j++) dp[j] = 0;
          for (j = lo; j < hi; j++) dp[j] = (int16_t)(s[(ptrdiff_t)j * SW + p - PL] - zx);
          for (j = hi; j < pw; j++) dp[j] = 0;
        }
      }
      for (r = 0; r + DH < hp; r++) {
        const int16_t *EDGEC_RESTRICT r0 = plane + r * ws, *EDGEC_RESTRICT r1 = r0 + DH * ws;
        int16_t *EDGEC_RESTRICT d = pp + 2 * r * ws;
        for (j = 0; j < ws; j++) {
          d[2 * j] = r0[j];
          d[2 * j + 1] = r1[j];
        }
      }
      for (m = 0; m < mult; m++) {
        const int co = c * mult + m;
        edgec_qdw_rows(pp, ws, pw, w + (ptrdiff_t)co * kh2 * KW * 2, y + ((ptrdiff_t)n * M + co) * OH * OW, OH, OW, KH,
                       KW, SH, SW, DH, DW, e, co);
      }
    }
  }
}

/* 2-D int8 ConvTranspose via the int8 GEMM + col2im: for each group and block of `rows` input rows,
 * cols[(o, kh, kw)][pixel] = A_g x (X_g - zx) in int32 (ap: per-group packed W^T, Mg = O/G*KH*KW rows over Kg = C/G,
 * group g at ap + g * EDGEC_QPACK_A(Mg, Kg)), scattered into an int32 accumulator plane per output channel, then
 * requantized. scratch: O*OH*OW int32 accumulators, Mg*rows*W int32 cols, then the packed B block. */
static EDGEC_UNUSED void edgec_qconvtranspose2d(const int8_t *x, const int16_t *ap, const edgec_qepi *e, int8_t *y,
                                                int N, int C, int H, int W, int O, int OH, int OW, int G, int KH,
                                                int KW, int SH, int SW, int DH, int DW, int PT, int PL, int zx,
                                                void *scratch, int rows, int MC) {
  const int cg = C / G, og = O / G, mg = og * KH * KW, k2 = (cg + 1) / 2;
  const ptrdiff_t gstride = EDGEC_QPACK_A(mg, cg), hw = (ptrdiff_t)H * W, ohw = (ptrdiff_t)OH * OW;
  const ptrdiff_t aps = (ptrdiff_t)2 * EDGEC_QGEMM_MR * k2, bps = (ptrdiff_t)2 * EDGEC_QGEMM_NR * k2;
  int32_t *acc = (int32_t *)scratch;
  int32_t *cols = acc + ((ptrdiff_t)O * ohw + 15) / 16 * 16;
  int16_t *bpack = (int16_t *)(void *)(cols + ((ptrdiff_t)mg * rows * W + 15) / 16 * 16);
  int n, g, h0, o, kh, kw, ih, iw;
  for (n = 0; n < N; n++) {
    memset(acc, 0, (size_t)O * (size_t)ohw * sizeof(int32_t));
    for (g = 0; g < G; g++) {
      const int8_t *xg = x + ((ptrdiff_t)n * C + (ptrdiff_t)g * cg) * hw;
      for (h0 = 0; h0 < H; h0 += rows) {
        const int h1 = H - h0 < rows ? H : h0 + rows, ncols = (h1 - h0) * W;
        edgec_qpack_b(cg, ncols, xg + (ptrdiff_t)h0 * W, hw, 1, zx, bpack);
        edgec_qgemm(mg, ncols, k2, ap + g * gstride, aps, bpack, bps, NULL, cols, ncols, e, 0, 0, MC);
        for (o = 0; o < og; o++) {
          int32_t *ao = acc + (ptrdiff_t)(g * og + o) * ohw;
          for (kh = 0; kh < KH; kh++)
            for (ih = h0; ih < h1; ih++) {
              const int oh = ih * SH - PT + kh * DH;
              if (oh < 0 || oh >= OH) continue;
              for (kw = 0; kw < KW; kw++) {
                const int32_t *EDGEC_RESTRICT cw = cols + ((ptrdiff_t)(o * KH + kh) * KW + kw) * ncols + (ptrdiff_t)(ih - h0) * W;
                const int off = kw * DW - PL;
                int lo, hi;
                edgec_qconv_range(W, SW, off, OW, &lo, &hi);
                if (hi > lo) {
                  /* d[(iw - lo) * SW] is output column iw * SW + off, in range for iw in [lo, hi). */
                  int32_t *EDGEC_RESTRICT d = ao + (ptrdiff_t)oh * OW + (ptrdiff_t)lo * SW + off;
                  for (iw = lo; iw < hi; iw++) d[(ptrdiff_t)(iw - lo) * SW] += cw[iw];
                }
              }
            }
        }
      }
    }
    for (o = 0; o < O; o++) edgec_q_requant_row(acc + (ptrdiff_t)o * ohw, y + ((ptrdiff_t)n * O + o) * ohw, ohw, e, o);
  }
}

/* Direct 3-D int8 convolution (also any lower rank padded with unit dims): w is [M][C/G][KD][KH][KW] int16 minus
 * its zero point; taps outside the input add nothing. */
static EDGEC_UNUSED void edgec_qconv3d_direct(const int8_t *x, const int16_t *w, const edgec_qepi *e, int8_t *y, int N,
                                              int C, int D, int H, int W, int M, int OD, int OH, int OW, int G, int KD,
                                              int KH, int KW, int SD, int SH, int SW, int DD, int DH, int DW, int PF,
                                              int PT, int PL, int zx) {
  const int cg = C / G, mg = M / G;
  const ptrdiff_t ivol = (ptrdiff_t)D * H * W, ovol = (ptrdiff_t)OD * OH * OW;
  int n, m, od, oh, ow, ci, kd, kh, kw;
  for (n = 0; n < N; n++)
    for (m = 0; m < M; m++) {
      const int16_t *wm = w + (ptrdiff_t)m * cg * KD * KH * KW;
      int8_t *ym = y + ((ptrdiff_t)n * M + m) * ovol;
      for (od = 0; od < OD; od++)
        for (oh = 0; oh < OH; oh++)
          for (ow = 0; ow < OW; ow++) {
            int32_t acc = 0;
            for (ci = 0; ci < cg; ci++) {
              const int8_t *xc = x + ((ptrdiff_t)n * C + (ptrdiff_t)(m / mg) * cg + ci) * ivol;
              const int16_t *wc = wm + (ptrdiff_t)ci * KD * KH * KW;
              for (kd = 0; kd < KD; kd++) {
                const int id = od * SD - PF + kd * DD;
                if (id < 0 || id >= D) continue;
                for (kh = 0; kh < KH; kh++) {
                  const int ih = oh * SH - PT + kh * DH;
                  if (ih < 0 || ih >= H) continue;
                  for (kw = 0; kw < KW; kw++) {
                    const int iw = ow * SW - PL + kw * DW;
                    if (iw < 0 || iw >= W) continue;
                    acc += (xc[((ptrdiff_t)id * H + ih) * W + iw] - zx) * wc[(kd * KH + kh) * KW + kw];
                  }
                }
              }
            }
            ym[((ptrdiff_t)od * OH + oh) * OW + ow] = edgec_q_out1(acc, e, m);
          }
    }
}

/* Direct 3-D int8 ConvTranspose (scatter form): w is [C][O/G][KD][KH][KW] int16 minus its zero point; acc: O * OD*OH*OW
 * int32 of scratch. */
static EDGEC_UNUSED void edgec_qconvtranspose3d_direct(const int8_t *x, const int16_t *w, const edgec_qepi *e, int8_t *y,
                                                       int N, int C, int D, int H, int W, int O, int OD, int OH, int OW,
                                                       int G, int KD, int KH, int KW, int SD, int SH, int SW, int DD,
                                                       int DH, int DW, int PF, int PT, int PL, int zx, int32_t *acc) {
  const int cg = C / G, og = O / G;
  const ptrdiff_t ivol = (ptrdiff_t)D * H * W, ovol = (ptrdiff_t)OD * OH * OW;
  int n, c, o, id, ih, iw, kd, kh, kw;
  for (n = 0; n < N; n++) {
    memset(acc, 0, (size_t)O * (size_t)ovol * sizeof(int32_t));
    for (c = 0; c < C; c++) {
      const int8_t *xc = x + ((ptrdiff_t)n * C + c) * ivol;
      for (o = 0; o < og; o++) {
        const int16_t *wk = w + ((ptrdiff_t)c * og + o) * KD * KH * KW;
        int32_t *ao = acc + (ptrdiff_t)(c / cg * og + o) * ovol;
        for (id = 0; id < D; id++)
          for (ih = 0; ih < H; ih++)
            for (iw = 0; iw < W; iw++) {
              const int32_t xv = xc[((ptrdiff_t)id * H + ih) * W + iw] - zx;
              for (kd = 0; kd < KD; kd++) {
                const int od = id * SD - PF + kd * DD;
                if (od < 0 || od >= OD) continue;
                for (kh = 0; kh < KH; kh++) {
                  const int oh = ih * SH - PT + kh * DH;
                  if (oh < 0 || oh >= OH) continue;
                  for (kw = 0; kw < KW; kw++) {
                    const int ow = iw * SW - PL + kw * DW;
                    if (ow < 0 || ow >= OW) continue;
                    ao[((ptrdiff_t)od * OH + oh) * OW + ow] += xv * wk[(kd * KH + kh) * KW + kw];
                  }
                }
              }
            }
      }
    }
    for (o = 0; o < O; o++) edgec_q_requant_row(acc + (ptrdiff_t)o * ovol, y + ((ptrdiff_t)n * O + o) * ovol, ovol, e, o);
  }
}

#endif
