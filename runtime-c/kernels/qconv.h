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

#if defined(EDGEC_QAVX2)
/* edgec_q_requant_row with the left shifts and rounding as constants (see edgec_q_requant8). */
EDGEC_INLINE void edgec_q_requant_row_v(const int32_t *EDGEC_RESTRICT acc, int8_t *EDGEC_RESTRICT y, ptrdiff_t n,
                                        const edgec_qepi *e, int ch, int lsh, int fast) {
  const edgec_qepi8 p = edgec_qepi8_at(e, ch, 0);
  const edgec_qout8 out = edgec_qout8_of(e);
  ptrdiff_t i;
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

/* Requantize n int32 accumulators of channel ch (per-row epilogue parameters) into int8. With AVX2, acc must be
 * readable in whole 32-element chunks (the last chunk's extra outputs are not stored). Out of line: one tight loop. */
static EDGEC_UNUSED EDGEC_NOINLINE void edgec_q_requant_row(const int32_t *EDGEC_RESTRICT acc, int8_t *EDGEC_RESTRICT y,
                                                            ptrdiff_t n, const edgec_qepi *e, int ch) {
#if defined(EDGEC_QAVX2)
  if (e->lsh)
    edgec_q_requant_row_v(acc, y, n, e, ch, 1, e->round != NULL);
  else if (e->round)
    edgec_q_requant_row_v(acc, y, n, e, ch, 0, 1);
  else
    edgec_q_requant_row_v(acc, y, n, e, ch, 0, 0);
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

/* Pairs per phase of a depthwise plane row: output width rounded to whole 32-output chunks, plus the tap reach. */
#define EDGEC_QDW_PHASE(OW, KW, SW, DW) (((ptrdiff_t)(OW) + 31) / 32 * 32 + (ptrdiff_t)((KW) - 1) * (DW) / (SW) + 8)
/* Rows of the depthwise pair plane: every padded row that starts a pair of kernel rows. */
#define EDGEC_QDW_ROWS(OH, KH, SH, DH) ((ptrdiff_t)((OH) - 1) * (SH) + (ptrdiff_t)(((KH) - 1) / 2 * 2) * (DH) + 1)
/* Bytes of depthwise scratch: the pair plane (int16 pairs), then two int32 rows of accumulators. */
#define EDGEC_QDW_SCRATCH(OH, OW, KH, KW, SH, SW, DH, DW) \
  ((ptrdiff_t)4 * EDGEC_QDW_ROWS(OH, KH, SH, DH) * (SW) * EDGEC_QDW_PHASE(OW, KW, SW, DW) + 8 * EDGEC_QROW(OW))

#if defined(EDGEC_QAVX2)
/* 16 depthwise plane pairs from 16 columns of two rows (SW 1: contiguous; SW 2: every other byte of 32). */
EDGEC_INLINE void edgec_qdw_fill16(const int8_t *a, const int8_t *b, int SW, __m256i z, int16_t *o) {
  __m128i x0, x1;
  if (SW == 1) {
    x0 = _mm_loadu_si128((const __m128i *)(const void *)a);
    x1 = _mm_loadu_si128((const __m128i *)(const void *)b);
  } else {
    const __m256i sel = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8, 10, 12, 14,
                                         1, 3, 5, 7, 9, 11, 13, 15);
    x0 = _mm256_castsi256_si128(
        _mm256_permute4x64_epi64(_mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(const void *)a), sel), 0xD8));
    x1 = _mm256_castsi256_si128(
        _mm256_permute4x64_epi64(_mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(const void *)b), sel), 0xD8));
  }
  _mm256_storeu_si256((__m256i *)(void *)o, _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x0, x1)), z));
  _mm256_storeu_si256((__m256i *)(void *)(o + 16), _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_unpackhi_epi8(x0, x1)), z));
}
#endif

/* One phase of a depthwise pair-plane row: pair j = (s0[c] - zx, s1[c] - zx) for input column c = j*SW + p - PL,
 * zero outside the input (a NULL row is all padding); n pairs. */
EDGEC_INLINE void edgec_qdw_fill(const int8_t *s0, const int8_t *s1, int W, int SW, int p, int PL, int zx, ptrdiff_t n,
                                 int16_t *EDGEC_RESTRICT d) {
  int lo, hi, j;
  edgec_qconv_range((int)n, SW, p - PL, W, &lo, &hi);
  if (!s0 && !s1) lo = hi = 0;
  for (j = 0; j < lo; j++) d[2 * j] = d[2 * j + 1] = 0;
  j = lo;
#if defined(EDGEC_QAVX2)
  if (SW <= 2 && s0 && s1 && hi - lo >= 16) {
    /* 16 pairs at a time while the 16 * SW input bytes stay inside the row; then one chunk ending at or just before hi
     * (overlapping pairs already written, with the same values) and at most a pair or two in scalar code. */
    const __m256i z = _mm256_set1_epi16((short)zx);
    const ptrdiff_t room = (ptrdiff_t)W - 16 * SW - p + PL;
    const ptrdiff_t last = room < 0 ? -1 : room / SW; /* largest j whose chunk stays in the row */
    for (; j + 16 <= hi && j <= last; j += 16)
      edgec_qdw_fill16(s0 + (ptrdiff_t)j * SW + p - PL, s1 + (ptrdiff_t)j * SW + p - PL, SW, z, d + 2 * j);
    if (j < hi) {
      const ptrdiff_t jt = hi - 16 < last ? hi - 16 : last;
      if (jt >= lo && jt + 16 > j) {
        edgec_qdw_fill16(s0 + jt * SW + p - PL, s1 + jt * SW + p - PL, SW, z, d + 2 * jt);
        j = (int)(jt + 16);
      }
    }
  }
#endif
  for (; j < hi; j++) {
    const ptrdiff_t c = (ptrdiff_t)j * SW + p - PL;
    d[2 * j] = (int16_t)(s0 ? s0[c] - zx : 0);
    d[2 * j + 1] = (int16_t)(s1 ? s1[c] - zx : 0);
  }
  for (; j < n; j++) d[2 * j] = d[2 * j + 1] = 0;
}

/* Most taps of a depthwise kernel the vector path takes at once (pairs of kernel rows x kernel columns). */
#define EDGEC_QDW_MAXTAPS 64

#if defined(EDGEC_QAVX2)
/* Accumulators of one (or, with two, two) depthwise output rows into acc (rows EDGEC_QROW(OW) apart): the second row's
 * plane row is r2 int16 after the first's; taps at off[t] with weight pairs wk[t]. Always inlined so the tap count can
 * be a constant. */
EDGEC_INLINE void edgec_qdw_acc(const int16_t *row, ptrdiff_t r2, int OW, const ptrdiff_t *off, const int16_t *wk,
                                int taps, int two, int32_t *EDGEC_RESTRICT acc) {
  int ow, t;
#define EDGEC_QDW_LD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define EDGEC_QDW_MAC(a, p) a = _mm256_add_epi32(a, _mm256_madd_epi16(EDGEC_QDW_LD(p), wv))
#define EDGEC_QDW_ST(p, a) _mm256_storeu_si256((__m256i *)(void *)(p), a)
  for (ow = 0; ow < OW; ow += 32) {
    const int16_t *s0 = row + 2 * ow;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    if (two) {
      for (t = 0; t < taps; t++) {
        const int16_t *s = s0 + off[t];
        const __m256i wv = edgec_q_bcast(wk + 2 * t);
        EDGEC_QDW_MAC(a0, s); EDGEC_QDW_MAC(a1, s + 16); EDGEC_QDW_MAC(a2, s + 32); EDGEC_QDW_MAC(a3, s + 48);
        EDGEC_QDW_MAC(b0, s + r2); EDGEC_QDW_MAC(b1, s + r2 + 16); EDGEC_QDW_MAC(b2, s + r2 + 32); EDGEC_QDW_MAC(b3, s + r2 + 48);
      }
      EDGEC_QDW_ST(acc + EDGEC_QROW(OW) + ow, b0); EDGEC_QDW_ST(acc + EDGEC_QROW(OW) + ow + 8, b1);
      EDGEC_QDW_ST(acc + EDGEC_QROW(OW) + ow + 16, b2); EDGEC_QDW_ST(acc + EDGEC_QROW(OW) + ow + 24, b3);
    } else {
      for (t = 0; t < taps; t++) {
        const int16_t *s = s0 + off[t];
        const __m256i wv = edgec_q_bcast(wk + 2 * t);
        EDGEC_QDW_MAC(a0, s); EDGEC_QDW_MAC(a1, s + 16); EDGEC_QDW_MAC(a2, s + 32); EDGEC_QDW_MAC(a3, s + 48);
      }
    }
    EDGEC_QDW_ST(acc + ow, a0); EDGEC_QDW_ST(acc + ow + 8, a1); EDGEC_QDW_ST(acc + ow + 16, a2); EDGEC_QDW_ST(acc + ow + 24, a3);
  }
#undef EDGEC_QDW_ST
#undef EDGEC_QDW_MAC
#undef EDGEC_QDW_LD
}
#endif

/* Output rows of one depthwise channel from its pair plane pp (row r: for every column the pair (padded row r,
 * padded row r + DH); SW phases of pw pairs per row): taps (kh, kh + 1) at column kw are one madd with the weight
 * pair wk[kh / 2][kw], read at a fixed offset from the output row's plane row. Columns go 32 at a time (the plane has
 * slack for the last chunk) into int32 rows acc (two of EDGEC_QROW(OW)), which are then requantized. */
static EDGEC_UNUSED EDGEC_NOINLINE void edgec_qdw_rows(const int16_t *EDGEC_RESTRICT pp, ptrdiff_t pw,
                                                       const int16_t *EDGEC_RESTRICT wk, int8_t *EDGEC_RESTRICT yc,
                                                       int OH, int OW, int KH, int KW, int SH, int SW, int DH, int DW,
                                                       const edgec_qepi *e, int ch, int32_t *EDGEC_RESTRICT acc) {
  const int kh2 = (KH + 1) / 2, taps = kh2 * KW;
  const ptrdiff_t ws = (ptrdiff_t)SW * pw;
  ptrdiff_t off[EDGEC_QDW_MAXTAPS];
  int oh, ow, kp, kw, t;
  for (kp = 0; kp < kh2 && taps <= EDGEC_QDW_MAXTAPS; kp++)
    for (kw = 0; kw < KW; kw++)
      off[kp * KW + kw] = 2 * ((ptrdiff_t)2 * kp * DH * ws + (ptrdiff_t)(kw * DW % SW) * pw + kw * DW / SW);
  (void)off;
  for (oh = 0; oh < OH; oh++) {
    const int16_t *row = pp + 2 * (ptrdiff_t)oh * SH * ws;
#if defined(EDGEC_QAVX2)
    if (taps <= EDGEC_QDW_MAXTAPS) {
      /* Two output rows at a time share the weight broadcasts. */
      const int two = oh + 1 < OH;
      const ptrdiff_t r2 = 2 * (ptrdiff_t)SH * ws;
      edgec_qdw_acc(row, r2, OW, off, wk, taps, two, acc);
      edgec_q_requant_row(acc, yc + (ptrdiff_t)oh * OW, OW, e, ch);
      if (two) edgec_q_requant_row(acc + EDGEC_QROW(OW), yc + (ptrdiff_t)(oh + 1) * OW, OW, e, ch);
      oh += two;
      continue;
    }
#endif
    for (ow = 0; ow < OW; ow++) {
      int32_t a = 0;
      for (kp = 0; kp < kh2; kp++)
        for (kw = 0; kw < KW; kw++) {
          const int16_t *s = row + 2 * ((ptrdiff_t)2 * kp * DH * ws + (ptrdiff_t)(kw * DW % SW) * pw + kw * DW / SW + ow);
          t = kp * KW + kw;
          a += s[0] * wk[2 * t] + s[1] * wk[2 * t + 1];
        }
      acc[ow] = a;
    }
    edgec_q_requant_row(acc, yc + (ptrdiff_t)oh * OW, OW, e, ch);
  }
}

/* Depthwise 2-D int8 conv (C/G == 1, M = C * multiplier). Each input channel becomes a plane of vertical pairs: row r
 * holds, for every padded column, (padded row r, padded row r + DH) as int16 x - zx (zero padding), split into SW
 * phases (phase p holds padded columns p, p + SW, ...) so strided convs read contiguous vectors; two kernel rows are
 * then one madd. wk: per output channel [ceil(KH/2)][KW][2] int16 weight pairs (minus zero point; zero past the last
 * row). scratch: EDGEC_QDW_SCRATCH bytes. */
static EDGEC_UNUSED void edgec_qconv2d_dw(const int8_t *x, const int16_t *w, const edgec_qepi *e, int8_t *y, int N,
                                          int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW,
                                          int DH, int DW, int PT, int PL, int zx, void *scratch) {
  const int mult = M / C, kh2 = (KH + 1) / 2;
  const ptrdiff_t pw = EDGEC_QDW_PHASE(OW, KW, SW, DW), hp = EDGEC_QDW_ROWS(OH, KH, SH, DH);
  int16_t *pp = (int16_t *)scratch;
  int32_t *acc = (int32_t *)(void *)(pp + 2 * hp * SW * pw);
  int n, c, m, r, p;
  for (n = 0; n < N; n++) {
    for (c = 0; c < C; c++) {
      const int8_t *xc = x + ((ptrdiff_t)n * C + c) * H * W;
      for (r = 0; r < hp; r++) {
        const int i0 = r - PT, i1 = r + DH - PT;
        const int8_t *s0 = i0 >= 0 && i0 < H ? xc + (ptrdiff_t)i0 * W : NULL;
        const int8_t *s1 = i1 >= 0 && i1 < H ? xc + (ptrdiff_t)i1 * W : NULL;
        for (p = 0; p < SW; p++) edgec_qdw_fill(s0, s1, W, SW, p, PL, zx, pw, pp + 2 * ((ptrdiff_t)r * SW + p) * pw);
      }
      for (m = 0; m < mult; m++) {
        const int co = c * mult + m;
        edgec_qdw_rows(pp, pw, w + (ptrdiff_t)co * kh2 * KW * 2, y + ((ptrdiff_t)n * M + co) * OH * OW, OH, OW, KH, KW,
                       SH, SW, DH, DW, e, co, acc);
      }
    }
  }
}

/* Pair rows of the row-pair depthwise plane (vertical stride SH of 1 or 2): pair q holds padded rows 2q and 2q + 1. */
#define EDGEC_QDW1_ROWS(OH, KH, SH) ((SH) == 1 ? (ptrdiff_t)((OH) - 1) / 2 + ((KH) + 2) / 2 : (ptrdiff_t)(OH) - 1 + ((KH) + 2) / 2)
/* Bytes of row-pair depthwise scratch: the pair plane, then two int32 rows of accumulators. */
#define EDGEC_QDW1_SCRATCH(OH, OW, KH, KW, SH, SW, DW) \
  ((ptrdiff_t)4 * EDGEC_QDW1_ROWS(OH, KH, SH) * (SW) * EDGEC_QDW_PHASE(OW, KW, SW, DW) + 8 * EDGEC_QROW(OW))

/* Output rows of one depthwise channel with vertical dilation 1 from a plane of row pairs. Stride 1: rows oh and
 * oh + 1 (oh even) both read pair rows oh/2 + j (padded rows oh + 2j, oh + 2j + 1); row oh weighs them with
 * wa[j] = (w[2j], w[2j+1]), row oh + 1 with wb[j] = (w[2j-1], w[2j]) (zero outside the kernel), so each loaded pair
 * feeds both rows. Stride 2: row oh reads pair rows oh + j with wa[j]. Taps at off[t] (t = j*KW + kw). */
static EDGEC_UNUSED EDGEC_NOINLINE void edgec_qdw1_rows(const int16_t *EDGEC_RESTRICT pp, ptrdiff_t pw,
                                                        const int16_t *EDGEC_RESTRICT wk, int8_t *EDGEC_RESTRICT yc,
                                                        int OH, int OW, int KH, int KW, int SH, int SW, int DW,
                                                        const edgec_qepi *e, int ch, int32_t *EDGEC_RESTRICT acc) {
  const int J = (KH + 2) / 2, taps = J * KW;
  const ptrdiff_t ws = (ptrdiff_t)SW * pw;
  const int16_t *wa = wk, *wb = wk + 2 * taps;
  int32_t *acc1 = acc + EDGEC_QROW(OW);
  ptrdiff_t off[EDGEC_QDW_MAXTAPS];
  int oh, ow, j, kw, t;
  for (j = 0; j < J && taps <= EDGEC_QDW_MAXTAPS; j++)
    for (kw = 0; kw < KW; kw++) off[j * KW + kw] = 2 * ((ptrdiff_t)j * ws + (ptrdiff_t)(kw * DW % SW) * pw + kw * DW / SW);
  (void)off;
  for (oh = 0; oh < OH; oh += 1 + (SH == 1)) {
    const int16_t *row = pp + (ptrdiff_t)(SH == 1 ? oh / 2 : oh) * 2 * ws; /* its first pair row */
    const int two = SH == 1 && oh + 1 < OH;
#if defined(EDGEC_QAVX2)
    if (taps <= EDGEC_QDW_MAXTAPS) {
#define EDGEC_QDW_LD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define EDGEC_QDW_ST(p, a) _mm256_storeu_si256((__m256i *)(void *)(p), a)
      for (ow = 0; ow < OW; ow += 32) {
        const int16_t *s0 = row + 2 * ow;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        if (two)
          for (t = 0; t < taps; t++) {
            const int16_t *s = s0 + off[t];
            const __m256i va = edgec_q_bcast(wa + 2 * t), vb = edgec_q_bcast(wb + 2 * t);
            __m256i v;
            v = EDGEC_QDW_LD(s);
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(v, va)); b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(v, vb));
            v = EDGEC_QDW_LD(s + 16);
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(v, va)); b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(v, vb));
            v = EDGEC_QDW_LD(s + 32);
            a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(v, va)); b2 = _mm256_add_epi32(b2, _mm256_madd_epi16(v, vb));
            v = EDGEC_QDW_LD(s + 48);
            a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(v, va)); b3 = _mm256_add_epi32(b3, _mm256_madd_epi16(v, vb));
          }
        else
          for (t = 0; t < taps; t++) {
            const int16_t *s = s0 + off[t];
            const __m256i va = edgec_q_bcast(wa + 2 * t);
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(EDGEC_QDW_LD(s), va));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(EDGEC_QDW_LD(s + 16), va));
            a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(EDGEC_QDW_LD(s + 32), va));
            a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(EDGEC_QDW_LD(s + 48), va));
          }
        EDGEC_QDW_ST(acc + ow, a0); EDGEC_QDW_ST(acc + ow + 8, a1); EDGEC_QDW_ST(acc + ow + 16, a2); EDGEC_QDW_ST(acc + ow + 24, a3);
        EDGEC_QDW_ST(acc1 + ow, b0); EDGEC_QDW_ST(acc1 + ow + 8, b1); EDGEC_QDW_ST(acc1 + ow + 16, b2); EDGEC_QDW_ST(acc1 + ow + 24, b3);
      }
#undef EDGEC_QDW_ST
#undef EDGEC_QDW_LD
    } else
#endif
    {
      for (ow = 0; ow < OW; ow++) {
        int32_t a = 0, b = 0;
        for (j = 0; j < J; j++)
          for (kw = 0; kw < KW; kw++) {
            const int16_t *s = row + 2 * ((ptrdiff_t)j * ws + (ptrdiff_t)(kw * DW % SW) * pw + kw * DW / SW + ow);
            t = j * KW + kw;
            a += s[0] * wa[2 * t] + s[1] * wa[2 * t + 1];
            b += s[0] * wb[2 * t] + s[1] * wb[2 * t + 1];
          }
        acc[ow] = a;
        acc1[ow] = b;
      }
    }
    edgec_q_requant_row(acc, yc + (ptrdiff_t)oh * OW, OW, e, ch);
    if (two) edgec_q_requant_row(acc1, yc + (ptrdiff_t)(oh + 1) * OW, OW, e, ch);
  }
}

/* Depthwise 2-D int8 conv with vertical stride 1 or 2 and vertical dilation 1 (C/G == 1, M = C * multiplier): like
 * edgec_qconv2d_dw, but the plane holds only the pairs of padded rows (2q, 2q + 1) (edgec_qdw1_rows): half the plane,
 * and for stride 1 half the loads. wk: per output channel [2][(KH + 2) / 2][KW][2] int16 weight pairs (wa, then wb,
 * minus zero point). scratch: EDGEC_QDW1_SCRATCH bytes. */
static EDGEC_UNUSED void edgec_qconv2d_dw1(const int8_t *x, const int16_t *w, const edgec_qepi *e, int8_t *y, int N,
                                           int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW,
                                           int DW, int PT, int PL, int zx, void *scratch) {
  const int mult = M / C, J = (KH + 2) / 2;
  const ptrdiff_t pw = EDGEC_QDW_PHASE(OW, KW, SW, DW), hq = EDGEC_QDW1_ROWS(OH, KH, SH);
  int16_t *pp = (int16_t *)scratch;
  int32_t *acc = (int32_t *)(void *)(pp + 2 * hq * SW * pw);
  int n, c, m, q, p;
  for (n = 0; n < N; n++) {
    for (c = 0; c < C; c++) {
      const int8_t *xc = x + ((ptrdiff_t)n * C + c) * H * W;
      for (q = 0; q < hq; q++) {
        const int i0 = 2 * q - PT, i1 = 2 * q + 1 - PT;
        const int8_t *s0 = i0 >= 0 && i0 < H ? xc + (ptrdiff_t)i0 * W : NULL;
        const int8_t *s1 = i1 >= 0 && i1 < H ? xc + (ptrdiff_t)i1 * W : NULL;
        for (p = 0; p < SW; p++) edgec_qdw_fill(s0, s1, W, SW, p, PL, zx, pw, pp + 2 * ((ptrdiff_t)q * SW + p) * pw);
      }
      for (m = 0; m < mult; m++) {
        const int co = c * mult + m;
        edgec_qdw1_rows(pp, pw, w + (ptrdiff_t)co * 4 * J * KW, y + ((ptrdiff_t)n * M + co) * OH * OW, OH, OW, KH, KW, SH,
                        SW, DW, e, co, acc);
      }
    }
  }
}

/* 2-D int8 ConvTranspose via the int8 GEMM + col2im: for each group and block of `rows` input rows,
 * cols[(o, kh, kw)][pixel] = A_g x (X_g - zx) in int32 (ap: per-group packed W^T, Mg = O/G*KH*KW rows over Kg = C/G,
 * group g at ap + g * EDGEC_QPACK_A(Mg, Kg)), scattered into an int32 accumulator plane per output channel, then
 * requantized. scratch: O*OH*OW + 32 int32 accumulators (rounded to 16), Mg*rows*W int32 cols (rounded to 16), then
 * the packed B block. */
static EDGEC_UNUSED void edgec_qconvtranspose2d(const int8_t *x, const int16_t *ap, const edgec_qepi *e, int8_t *y,
                                                int N, int C, int H, int W, int O, int OH, int OW, int G, int KH,
                                                int KW, int SH, int SW, int DH, int DW, int PT, int PL, int zx,
                                                void *scratch, int rows, int MC) {
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

/* 2-D int8 ConvTranspose whose taps never overlap (KH <= SH, KW <= SW, no dilation across taps): each output is one
 * GEMM value plus the bias, so for each group and block of `rows` input rows the int8 GEMM writes
 * cols[(o, kh, kw)][pixel] already requantized (er: per-row epilogue of the G * Mg rows, row (g, o, kh, kw) being
 * channel g * O/G + o), and the bytes are scattered into Y; outputs no tap reaches are the requantized bias (e: per
 * output channel). ap as edgec_qconvtranspose2d; scratch: Mg*rows*W bytes (rounded to 64), then the packed B block. */
static EDGEC_UNUSED void edgec_qconvtranspose2d_direct(const int8_t *x, const int16_t *ap, const edgec_qepi *e,
                                                       const edgec_qepi *er, int8_t *y, int N, int C, int H, int W,
                                                       int O, int OH, int OW, int G, int KH, int KW, int SH, int SW,
                                                       int DH, int DW, int PT, int PL, int zx, void *scratch, int rows,
                                                       int MC) {
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
        edgec_qgemm(mg, ncols, k2, ap + g * gstride, aps, bpack, bps, cols, NULL, ncols, er, g * mg, 0, MC);
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
