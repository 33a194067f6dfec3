/* edgec int8 depthwise 2-D convolution (NCHW, TFLite int8 scheme): each input channel becomes a plane of vertical pairs
 * of padded rows (int16 x - zx, zero padding) so two kernel rows are one _mm256_madd_epi16; accumulators go through
 * the shared row requantization. Builds on kernels/qconv.h. C99, no malloc, no globals, no VLAs. */
#ifndef EDGEC_KERNEL_QDWCONV_H
#define EDGEC_KERNEL_QDWCONV_H

#include "qconv.h"

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
#define EDGEC_QDW_MAC(a, p) a = edgec_q_dpwssd(a, EDGEC_QDW_LD(p), wv)
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
 * feeds both rows. Stride 2: row oh reads pair rows oh + j with wa[j]. Taps at plane offsets off[t] (t = j*KW + kw;
 * the caller computes them once). */
static EDGEC_UNUSED EDGEC_NOINLINE void edgec_qdw1_rows(const int16_t *EDGEC_RESTRICT pp, ptrdiff_t pw,
                                                        const int16_t *EDGEC_RESTRICT wk, int8_t *EDGEC_RESTRICT yc,
                                                        int OH, int OW, int KH, int KW, int SH, int SW, int DW,
                                                        const edgec_qepi *e, int ch, const ptrdiff_t *off,
                                                        int32_t *EDGEC_RESTRICT acc) {
  const int J = (KH + 2) / 2, taps = J * KW;
  const ptrdiff_t ws = (ptrdiff_t)SW * pw;
  const int16_t *wa = wk, *wb = wk + 2 * taps;
  int32_t *acc1 = acc + EDGEC_QROW(OW);
  int oh, ow, j, kw, t;
  (void)off;
#if defined(EDGEC_QAVX512)
  const edgec_qepi16 p16 = edgec_qepi16_at(e, ch, 0);
  const edgec_qout8 out = edgec_qout8_of(e);
#endif
  for (oh = 0; oh < OH; oh += 1 + (SH == 1)) {
    const int16_t *row = pp + (ptrdiff_t)(SH == 1 ? oh / 2 : oh) * 2 * ws; /* its first pair row */
    const int two = SH == 1 && oh + 1 < OH;
#if defined(EDGEC_QAVX2)
    if (taps <= EDGEC_QDW_MAXTAPS) {
#if defined(EDGEC_QAVX512)
      /* 32 outputs as two 16-lane accumulators per row: the same pair products, half the instructions. */
      for (ow = 0; ow < OW; ow += 32) {
        const int16_t *s0 = row + 2 * ow;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, b0 = a0, b1 = a0;
        if (two) {
          /* Even and odd taps into separate accumulators (summed at the end): twice the independent chains. */
          __m512i c0 = a0, c1 = a0, d0 = a0, d1 = a0;
          for (t = 0; t + 1 < taps; t += 2) {
            const int16_t *s = s0 + off[t], *u = s0 + off[t + 1];
            const __m512i va = edgec_q_bcast16(wa + 2 * t), vb = edgec_q_bcast16(wb + 2 * t);
            const __m512i vc = edgec_q_bcast16(wa + 2 * t + 2), vd = edgec_q_bcast16(wb + 2 * t + 2);
            const __m512i v0 = _mm512_loadu_si512((const void *)s), v1 = _mm512_loadu_si512((const void *)(s + 32));
            const __m512i x0 = _mm512_loadu_si512((const void *)u), x1 = _mm512_loadu_si512((const void *)(u + 32));
            a0 = edgec_q_dpwssd16(a0, v0, va); b0 = edgec_q_dpwssd16(b0, v0, vb);
            a1 = edgec_q_dpwssd16(a1, v1, va); b1 = edgec_q_dpwssd16(b1, v1, vb);
            c0 = edgec_q_dpwssd16(c0, x0, vc); d0 = edgec_q_dpwssd16(d0, x0, vd);
            c1 = edgec_q_dpwssd16(c1, x1, vc); d1 = edgec_q_dpwssd16(d1, x1, vd);
          }
          if (t < taps) {
            const int16_t *s = s0 + off[t];
            const __m512i va = edgec_q_bcast16(wa + 2 * t), vb = edgec_q_bcast16(wb + 2 * t);
            const __m512i v0 = _mm512_loadu_si512((const void *)s), v1 = _mm512_loadu_si512((const void *)(s + 32));
            a0 = edgec_q_dpwssd16(a0, v0, va); b0 = edgec_q_dpwssd16(b0, v0, vb);
            a1 = edgec_q_dpwssd16(a1, v1, va); b1 = edgec_q_dpwssd16(b1, v1, vb);
          }
          a0 = _mm512_add_epi32(a0, c0); a1 = _mm512_add_epi32(a1, c1);
          b0 = _mm512_add_epi32(b0, d0); b1 = _mm512_add_epi32(b1, d1);
        } else {
          __m512i c0 = a0, c1 = a0;
          for (t = 0; t + 1 < taps; t += 2) {
            const int16_t *s = s0 + off[t], *u = s0 + off[t + 1];
            const __m512i va = edgec_q_bcast16(wa + 2 * t), vc = edgec_q_bcast16(wa + 2 * t + 2);
            a0 = edgec_q_dpwssd16(a0, _mm512_loadu_si512((const void *)s), va);
            a1 = edgec_q_dpwssd16(a1, _mm512_loadu_si512((const void *)(s + 32)), va);
            c0 = edgec_q_dpwssd16(c0, _mm512_loadu_si512((const void *)u), vc);
            c1 = edgec_q_dpwssd16(c1, _mm512_loadu_si512((const void *)(u + 32)), vc);
          }
          if (t < taps) {
            const int16_t *s = s0 + off[t];
            const __m512i va = edgec_q_bcast16(wa + 2 * t);
            a0 = edgec_q_dpwssd16(a0, _mm512_loadu_si512((const void *)s), va);
            a1 = edgec_q_dpwssd16(a1, _mm512_loadu_si512((const void *)(s + 32)), va);
          }
          a0 = _mm512_add_epi32(a0, c0); a1 = _mm512_add_epi32(a1, c1);
        }
        /* Requantized in registers: no int32 rows in memory. */
        edgec_q_store32x(edgec_q_requant16x(a0, &p16, e->lsh != NULL, e->round != NULL),
                         edgec_q_requant16x(a1, &p16, e->lsh != NULL, e->round != NULL), &out, yc + (ptrdiff_t)oh * OW + ow, OW - ow);
        if (two)
          edgec_q_store32x(edgec_q_requant16x(b0, &p16, e->lsh != NULL, e->round != NULL),
                           edgec_q_requant16x(b1, &p16, e->lsh != NULL, e->round != NULL), &out, yc + (ptrdiff_t)(oh + 1) * OW + ow, OW - ow);
      }
      continue;
#else
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
            a0 = edgec_q_dpwssd(a0, v, va); b0 = edgec_q_dpwssd(b0, v, vb);
            v = EDGEC_QDW_LD(s + 16);
            a1 = edgec_q_dpwssd(a1, v, va); b1 = edgec_q_dpwssd(b1, v, vb);
            v = EDGEC_QDW_LD(s + 32);
            a2 = edgec_q_dpwssd(a2, v, va); b2 = edgec_q_dpwssd(b2, v, vb);
            v = EDGEC_QDW_LD(s + 48);
            a3 = edgec_q_dpwssd(a3, v, va); b3 = edgec_q_dpwssd(b3, v, vb);
          }
        else
          for (t = 0; t < taps; t++) {
            const int16_t *s = s0 + off[t];
            const __m256i va = edgec_q_bcast(wa + 2 * t);
            a0 = edgec_q_dpwssd(a0, EDGEC_QDW_LD(s), va);
            a1 = edgec_q_dpwssd(a1, EDGEC_QDW_LD(s + 16), va);
            a2 = edgec_q_dpwssd(a2, EDGEC_QDW_LD(s + 32), va);
            a3 = edgec_q_dpwssd(a3, EDGEC_QDW_LD(s + 48), va);
          }
        EDGEC_QDW_ST(acc + ow, a0); EDGEC_QDW_ST(acc + ow + 8, a1); EDGEC_QDW_ST(acc + ow + 16, a2); EDGEC_QDW_ST(acc + ow + 24, a3);
        EDGEC_QDW_ST(acc1 + ow, b0); EDGEC_QDW_ST(acc1 + ow + 8, b1); EDGEC_QDW_ST(acc1 + ow + 16, b2); EDGEC_QDW_ST(acc1 + ow + 24, b3);
      }
#undef EDGEC_QDW_ST
#undef EDGEC_QDW_LD
#endif
    } else
#elif defined(EDGEC_SIMD)
    if (taps <= EDGEC_QDW_MAXTAPS) {
      /* The same chunks on the vector vocabulary: 32 outputs as 8 int32 vectors per row, one 2-term dot each. */
#define EDGEC_QDW_V8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
      for (ow = 0; ow < OW; ow += 32) {
        const int16_t *s0 = row + 2 * ow;
#define EDGEC_QDW_ZERO(v) edgec_vi32 a##v = edgec_vi32_zero(), b##v = edgec_vi32_zero();
        EDGEC_QDW_V8(EDGEC_QDW_ZERO)
#undef EDGEC_QDW_ZERO
        if (two)
          for (t = 0; t < taps; t++) {
            const int16_t *s = s0 + off[t];
            const edgec_vi16 va = edgec_vi16_splat2(wa + 2 * t), vb = edgec_vi16_splat2(wb + 2 * t);
#define EDGEC_QDW_MAC2(v)                                                                                              \
  {                                                                                                                    \
    const edgec_vi16 x = edgec_vi16_load(s + 8 * v);                                                                   \
    a##v = edgec_vi32_dot2(a##v, x, va);                                                                               \
    b##v = edgec_vi32_dot2(b##v, x, vb);                                                                               \
  }
            EDGEC_QDW_V8(EDGEC_QDW_MAC2)
#undef EDGEC_QDW_MAC2
          }
        else
          for (t = 0; t < taps; t++) {
            const int16_t *s = s0 + off[t];
            const edgec_vi16 va = edgec_vi16_splat2(wa + 2 * t);
#define EDGEC_QDW_MAC1(v) a##v = edgec_vi32_dot2(a##v, edgec_vi16_load(s + 8 * v), va);
            EDGEC_QDW_V8(EDGEC_QDW_MAC1)
#undef EDGEC_QDW_MAC1
          }
#define EDGEC_QDW_STORE(v) edgec_vi32_store(acc + ow + 4 * v, a##v); edgec_vi32_store(acc1 + ow + 4 * v, b##v);
        EDGEC_QDW_V8(EDGEC_QDW_STORE)
#undef EDGEC_QDW_STORE
      }
#undef EDGEC_QDW_V8
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
  ptrdiff_t off[EDGEC_QDW_MAXTAPS]; /* the taps' plane offsets, the same for every channel */
  int n, c, m, q, p, kw;
  for (q = 0; q < J && J * KW <= EDGEC_QDW_MAXTAPS; q++)
    for (kw = 0; kw < KW; kw++) off[q * KW + kw] = 2 * ((ptrdiff_t)q * SW * pw + (ptrdiff_t)(kw * DW % SW) * pw + kw * DW / SW);
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
                        SW, DW, e, co, off, acc);
      }
    }
  }
}


/* Expand raw int8 depthwise taps t[C][KH][KW] (minus the weight zero point zw) into the row-pair planes of
 * edgec_qconv2d_dw1: per channel, pairs (w[2j], w[2j+1]) then (w[2j-1], w[2j]) for j < (KH + 2) / 2, zero outside. */
static EDGEC_UNUSED void edgec_qdw1_expand(const int8_t *t, int C, int KH, int KW, int zw, int16_t *out) {
  const int J = (KH + 2) / 2, per = 4 * J * KW;
  int co, j, kw;
  for (co = 0; co < C; co++)
    for (j = 0; j < J; j++)
      for (kw = 0; kw < KW; kw++) {
        const ptrdiff_t at = (ptrdiff_t)co * per + (ptrdiff_t)(j * KW + kw) * 2;
        const int8_t *tc = t + (ptrdiff_t)co * KH * KW + kw;
#define EDGEC_QDW_TAP(kh) ((kh) >= 0 && (kh) < KH ? (int16_t)(tc[(ptrdiff_t)(kh) * KW] - zw) : (int16_t)0)
        out[at] = EDGEC_QDW_TAP(2 * j);
        out[at + 1] = EDGEC_QDW_TAP(2 * j + 1);
        out[at + 2 * J * KW] = EDGEC_QDW_TAP(2 * j - 1);
        out[at + 2 * J * KW + 1] = EDGEC_QDW_TAP(2 * j);
#undef EDGEC_QDW_TAP
      }
}

/* Expand raw int8 depthwise taps t[C][KH][KW] (minus zw) into edgec_qconv2d_dw's layout: per channel
 * [ceil(KH/2)][KW] pairs of vertically adjacent taps, zero past the last row. */
static EDGEC_UNUSED void edgec_qdw_expand(const int8_t *t, int C, int KH, int KW, int zw, int16_t *out) {
  const int kh2 = (KH + 1) / 2;
  int co, kh, kw;
  for (co = 0; co < C; co++) {
    int16_t *o = out + (ptrdiff_t)co * kh2 * KW * 2;
    for (kw = 0; kw < kh2 * KW * 2; kw++) o[kw] = 0;
    for (kh = 0; kh < KH; kh++)
      for (kw = 0; kw < KW; kw++) o[((kh >> 1) * KW + kw) * 2 + (kh & 1)] = (int16_t)(t[((ptrdiff_t)co * KH + kh) * KW + kw] - zw);
  }
}

#endif
