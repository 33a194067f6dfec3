/* edgec int8 convolutions (NCHW, TFLite int8 scheme): GEMM-based 2-D Conv (1x1 straight from the input, im2col
 * otherwise) and ConvTranspose (GEMM, then a byte scatter or col2im into int32), and direct 3-D kernels; the shared
 * row requantization. Depthwise convs are in qdwconv.h, 3x3 Winograd in qwinograd.h.
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

#if defined(EDGEC_QAVX2)
/* edgec_q_requant_row with the left shifts and rounding as constants (see edgec_q_requant8). */
EDGEC_INLINE void edgec_q_requant_row_v(const int32_t *EDGEC_RESTRICT acc, int8_t *EDGEC_RESTRICT y, ptrdiff_t n,
                                        const edgec_qepi *e, int ch, int lsh, int fast) {
  const edgec_qepi8 p = edgec_qepi8_at(e, ch, 0);
  const edgec_qout8 out = edgec_qout8_of(e);
  ptrdiff_t i;
#if defined(EDGEC_QAVX512)
  const edgec_qepi16 p16 = edgec_qepi16_of8(&p);
  for (i = 0; i < n; i += 32)
    edgec_q_store32x(edgec_q_requant16x(_mm512_loadu_si512((const void *)(acc + i)), &p16, lsh, fast),
                     edgec_q_requant16x(_mm512_loadu_si512((const void *)(acc + i + 16)), &p16, lsh, fast), &out, y + i, n - i);
  return;
#endif
  for (i = 0; i < n; i += 32) {
    const __m256i a0 = edgec_q_requant8(_mm256_loadu_si256((const __m256i *)(const void *)(acc + i)), &p, lsh, fast);
    const __m256i a1 = edgec_q_requant8(_mm256_loadu_si256((const __m256i *)(const void *)(acc + i + 8)), &p, lsh, fast);
    const __m256i a2 = edgec_q_requant8(_mm256_loadu_si256((const __m256i *)(const void *)(acc + i + 16)), &p, lsh, fast);
    const __m256i a3 = edgec_q_requant8(_mm256_loadu_si256((const __m256i *)(const void *)(acc + i + 24)), &p, lsh, fast);
    if (i + 32 <= n) {
      edgec_q_store2x16(a0, a1, a2, a3, &out, y + i, y + i + 16);
    } else {
      int8_t t[32];
      edgec_q_store2x16(a0, a1, a2, a3, &out, t, t + 16);
      memcpy(y + i, t, (size_t)(n - i));
    }
  }
}
#endif

/* Requantize n int32 accumulators of channel ch (per-row epilogue parameters) into int8. With AVX2 or a vector
 * vocabulary, acc must be readable in whole 32-element chunks (the last chunk's extra outputs are not stored). Out of line: one tight loop. */
static EDGEC_UNUSED EDGEC_NOINLINE void edgec_q_requant_row(const int32_t *EDGEC_RESTRICT acc, int8_t *EDGEC_RESTRICT y,
                                                            ptrdiff_t n, const edgec_qepi *e, int ch) {
#if defined(EDGEC_QAVX2)
  if (e->lsh)
    edgec_q_requant_row_v(acc, y, n, e, ch, 1, e->round != NULL);
  else if (e->round)
    edgec_q_requant_row_v(acc, y, n, e, ch, 0, 1);
  else
    edgec_q_requant_row_v(acc, y, n, e, ch, 0, 0);
#elif defined(EDGEC_SIMD)
  ptrdiff_t i;
  for (i = 0; i < n; i += 16) {
    const edgec_vi8 o = edgec_q_requant16(edgec_vi32_load(acc + i), edgec_vi32_load(acc + i + 4),
                                          edgec_vi32_load(acc + i + 8), edgec_vi32_load(acc + i + 12), e, ch);
    if (i + 16 <= n) {
      edgec_vi8_store(y + i, o);
    } else {
      int8_t t[16];
      edgec_vi8_store(t, o);
      memcpy(y + i, t, (size_t)(n - i));
    }
  }
#else
  ptrdiff_t i;
  for (i = 0; i < n; i++) y[i] = edgec_q_out1(acc[i], e, ch);
#endif
}

/* Int32 elements of an accumulator row of n outputs as edgec_q_requant_row reads it (whole 32-element chunks). */
#define EDGEC_QROW(n) (((ptrdiff_t)(n) + 31) / 32 * 32)

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
            if (SW == 1) {
              memcpy(d + lo, s, (size_t)(hi - lo));
            } else {
              ow = lo;
#if defined(EDGEC_QAVX2)
              if (SW == 2) {
                /* 16 outputs from the even bytes of 32 input bytes, while those stay inside the input row. */
                const __m256i sel = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8,
                                                     10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
                const ptrdiff_t room = (ptrdiff_t)W - ((ptrdiff_t)lo * SW + off); /* input bytes from s to the row end */
                for (; ow + 16 <= hi && (ptrdiff_t)(ow - lo) * 2 + 32 <= room; ow += 16) {
                  const __m256i v = _mm256_permute4x64_epi64(
                      _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(s + 2 * (ow - lo))), sel), 0xD8);
                  _mm_storeu_si128((__m128i *)(void *)(d + ow), _mm256_castsi256_si128(v));
                }
              }
#endif
              for (; ow < hi; ow++) d[ow] = s[(ptrdiff_t)(ow - lo) * SW];
            }
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
EDGEC_INLINE void edgec_qconv2d(const int8_t *x, const int8_t *ap, const edgec_qepi *e, int8_t *y, int N, int C,
                                int H, int W, int M, int OH, int OW, int G, int KH, int KW, int SH, int SW, int DH,
                                int DW, int PT, int PL, int zx, void *scratch, int blk, int MC, int16_t *aw, int zw) {
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
      const int8_t *apg = ap + g * gstride;
      if (pointwise) {
        ptrdiff_t p0;
        for (p0 = 0; p0 < hw; p0 += blk) {
          const int ncols = hw - p0 < blk ? (int)(hw - p0) : blk;
          edgec_qpack_b(kg, ncols, xg + p0, hw, 1, zx, bpack);
          edgec_qgemm_w8(mg, ncols, k2, apg, aps, bpack, bps, yg + p0, NULL, ohw, e, g * mg, 0, MC, aw, zw);
        }
      } else {
        int oh0;
        for (oh0 = 0; oh0 < OH; oh0 += blk) {
          const int oh1 = OH - oh0 < blk ? OH : oh0 + blk;
          const int ncols = (oh1 - oh0) * OW;
          const ptrdiff_t ldb = EDGEC_QCOL_LD(ncols);
          edgec_qconv2d_im2col(xg, cg, H, W, OW, KH, KW, SH, SW, DH, DW, PT, PL, oh0, oh1, zx, col, ldb);
          edgec_qpack_b(kg, ncols, col, ldb, 1, zx, bpack);
          edgec_qgemm_w8(mg, ncols, k2, apg, aps, bpack, bps, yg + (ptrdiff_t)oh0 * OW, NULL, ohw, e, g * mg, 0, MC, aw, zw);
        }
      }
    }
  }
}

/* 2-D int8 ConvTranspose via the int8 GEMM + col2im: for each group and block of `rows` input rows,
 * cols[(o, kh, kw)][pixel] = A_g x (X_g - zx) in int32 (ap: per-group packed W^T, Mg = O/G*KH*KW rows over Kg = C/G,
 * group g at ap + g * EDGEC_QPACK_A(Mg, Kg)), scattered into an int32 accumulator plane per output channel, then
 * requantized. scratch: O*OH*OW + 32 int32 accumulators (rounded to 16), Mg*rows*W int32 cols (rounded to 16), then
 * the packed B block. */
static EDGEC_UNUSED void edgec_qconvtranspose2d(const int8_t *x, const int8_t *ap, const edgec_qepi *e, int8_t *y,
                                                int N, int C, int H, int W, int O, int OH, int OW, int G, int KH,
                                                int KW, int SH, int SW, int DH, int DW, int PT, int PL, int zx,
                                                void *scratch, int rows, int MC, int16_t *aw, int zw) {
  const int cg = C / G, og = O / G, mg = og * KH * KW, k2 = (cg + 1) / 2;
  const ptrdiff_t gstride = EDGEC_QPACK_A(mg, cg), hw = (ptrdiff_t)H * W, ohw = (ptrdiff_t)OH * OW;
  const ptrdiff_t aps = (ptrdiff_t)2 * EDGEC_QGEMM_MR * k2, bps = (ptrdiff_t)2 * EDGEC_QGEMM_NR * k2;
  int32_t *acc = (int32_t *)scratch;
  int32_t *cols = acc + ((ptrdiff_t)O * ohw + 32 + 15) / 16 * 16;
  int16_t *bpack = (int16_t *)(void *)(cols + ((ptrdiff_t)mg * rows * W + 15) / 16 * 16);
  int n, g, h0, o, kh, kw, ih, iw;
  for (n = 0; n < N; n++) {
    memset(acc, 0, (size_t)O * (size_t)ohw * sizeof(int32_t));
    for (g = 0; g < G; g++) {
      const int8_t *xg = x + ((ptrdiff_t)n * C + (ptrdiff_t)g * cg) * hw;
      for (h0 = 0; h0 < H; h0 += rows) {
        const int h1 = H - h0 < rows ? H : h0 + rows, ncols = (h1 - h0) * W;
        edgec_qpack_b(cg, ncols, xg + (ptrdiff_t)h0 * W, hw, 1, zx, bpack);
        edgec_qgemm_w8(mg, ncols, k2, ap + g * gstride, aps, bpack, bps, NULL, cols, ncols, e, 0, 0, MC, aw, zw);
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

/* 2-D int8 ConvTranspose whose taps never overlap (KH <= SH, KW <= SW, no dilation across taps): each output is one
 * GEMM value plus the bias, so for each group and block of `rows` input rows the int8 GEMM writes
 * cols[(o, kh, kw)][pixel] already requantized (er: per-row epilogue of the G * Mg rows, row (g, o, kh, kw) being
 * channel g * O/G + o), and the bytes are scattered into Y; outputs no tap reaches are the requantized bias (e: per
 * output channel). ap as edgec_qconvtranspose2d; scratch: Mg*rows*W bytes (rounded to 64), then the packed B block. */
static EDGEC_UNUSED void edgec_qconvtranspose2d_direct(const int8_t *x, const int8_t *ap, const edgec_qepi *e,
                                                       const edgec_qepi *er, int8_t *y, int N, int C, int H, int W,
                                                       int O, int OH, int OW, int G, int KH, int KW, int SH, int SW,
                                                       int DH, int DW, int PT, int PL, int zx, void *scratch, int rows,
                                                       int MC, int16_t *aw, int zw) {
  const int cg = C / G, og = O / G, mg = og * KH * KW, k2 = (cg + 1) / 2;
  const ptrdiff_t gstride = EDGEC_QPACK_A(mg, cg), hw = (ptrdiff_t)H * W, ohw = (ptrdiff_t)OH * OW;
  const ptrdiff_t aps = (ptrdiff_t)2 * EDGEC_QGEMM_MR * k2, bps = (ptrdiff_t)2 * EDGEC_QGEMM_NR * k2;
  const int full = KH == SH && KW == SW && OH + PT <= H * SH && OW + PL <= W * SW;
  int8_t *cols = (int8_t *)scratch;
  int16_t *bpack = (int16_t *)(void *)(cols + ((ptrdiff_t)mg * rows * W + 63) / 64 * 64);
  int n, g, h0, o, kh, kw, ih, iw;
  (void)DH;
  (void)DW;
  for (n = 0; n < N; n++) {
    int8_t *yn = y + (ptrdiff_t)n * O * ohw;
    if (!full)
      for (o = 0; o < O; o++) memset(yn + (ptrdiff_t)o * ohw, edgec_q_out1(0, e, o), (size_t)ohw);
    for (g = 0; g < G; g++) {
      const int8_t *xg = x + ((ptrdiff_t)n * C + (ptrdiff_t)g * cg) * hw;
      for (h0 = 0; h0 < H; h0 += rows) {
        const int h1 = H - h0 < rows ? H : h0 + rows, ncols = (h1 - h0) * W;
        edgec_qpack_b(cg, ncols, xg + (ptrdiff_t)h0 * W, hw, 1, zx, bpack);
        edgec_qgemm_w8(mg, ncols, k2, ap + g * gstride, aps, bpack, bps, cols, NULL, ncols, er, g * mg, 0, MC, aw, zw);
        for (o = 0; o < og; o++) {
          int8_t *yo = yn + (ptrdiff_t)(g * og + o) * ohw;
          for (kh = 0; kh < KH; kh++)
            for (ih = h0; ih < h1; ih++) {
              const int oh = ih * SH - PT + kh;
              const int8_t *c0 = cols + ((ptrdiff_t)(o * KH + kh) * KW) * ncols + (ptrdiff_t)(ih - h0) * W;
              int8_t *yr;
              if (oh < 0 || oh >= OH) continue;
              yr = yo + (ptrdiff_t)oh * OW;
              if (KW == 2 && SW == 2 && PL == 0 && OW == 2 * W) {
                const int8_t *EDGEC_RESTRICT a = c0, *EDGEC_RESTRICT b = c0 + ncols;
                int8_t *EDGEC_RESTRICT d = yr;
                iw = 0;
#if defined(EDGEC_QAVX2)
                for (; iw + 16 <= W; iw += 16) {
                  const __m128i va = _mm_loadu_si128((const __m128i *)(const void *)(a + iw));
                  const __m128i vb = _mm_loadu_si128((const __m128i *)(const void *)(b + iw));
                  _mm_storeu_si128((__m128i *)(void *)(d + 2 * iw), _mm_unpacklo_epi8(va, vb));
                  _mm_storeu_si128((__m128i *)(void *)(d + 2 * iw + 16), _mm_unpackhi_epi8(va, vb));
                }
#elif defined(edgec_vi8_store_zip2)
                for (; iw + 16 <= W; iw += 16) edgec_vi8_store_zip2(d + 2 * iw, edgec_vi8_load(a + iw), edgec_vi8_load(b + iw));
#endif
                for (; iw < W; iw++) {
                  d[2 * iw] = a[iw];
                  d[2 * iw + 1] = b[iw];
                }
                continue;
              }
              for (kw = 0; kw < KW; kw++) {
                const int8_t *EDGEC_RESTRICT cw = c0 + (ptrdiff_t)kw * ncols;
                const int off = kw - PL;
                int lo, hi;
                edgec_qconv_range(W, SW, off, OW, &lo, &hi);
                for (iw = lo; iw < hi; iw++) yr[(ptrdiff_t)iw * SW + off] = cw[iw];
              }
            }
        }
      }
    }
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
 * + 32 int32 of scratch. */
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
