/* edgec int8 Winograd F(2x2, 3x3) convolution (NCHW, stride 1, no dilation, one group), bit-exact with the direct
 * integer convolution: with G' = 2G every transform is integer, U = G' g G'^T is 4 G g G^T, and A^T (U . V) A is
 * exactly 4 * sum (x - zx) w, so one exact shift recovers the accumulator (the lowering checks that no intermediate
 * can leave int32). 2.25x fewer multiplies than the direct 3x3. Weights arrive transformed and packed as 16 int8
 * GEMM A operands; per block of tile rows the input (x - zx, zero padded) is transformed into 16 packed B operands
 * (channel pairs interleaved, as the GEMM reads them), multiplied into int32 by the int8 GEMM, transformed back and
 * requantized. Builds on kernels/qconv.h. C99, no malloc, no globals, no VLAs. */
#ifndef EDGEC_KERNEL_QWINOGRAD_H
#define EDGEC_KERNEL_QWINOGRAD_H

#include "qconv.h"

/* Tile columns, padded to a multiple of 8 (whole half panels of the packed V). */
#define EDGEC_QWINO_TWP(OW) ((ptrdiff_t)(((OW) + 1) / 2 + 7) / 8 * 8)
/* Int16 elements of one phase of a plane row: channel pairs for TWP + 1 columns, plus slack. */
#define EDGEC_QWINO_PHASE(TWP) (2 * ((ptrdiff_t)(TWP) + 9))
/* Int16 elements of the plane for `rows` tile rows (whole 64-byte lines). */
#define EDGEC_QWINO_PLANE(rows, TWP) (((ptrdiff_t)(2 * (rows) + 2) * 2 * EDGEC_QWINO_PHASE(TWP) + 31) / 32 * 32)
/* Bytes of scratch: plane, 16 packed V operands, 16 int32 M blocks of MB rows, two int32 accumulator rows. */
#define EDGEC_QWINO_SCRATCH(C, rows, TWP, MB)                                                                         \
  (2 * EDGEC_QWINO_PLANE(rows, TWP) + 2 * 16 * EDGEC_QPACK_B(C, (rows) * (TWP)) +                                     \
   4 * 16 * (ptrdiff_t)(MB) * (rows) * (TWP) + 4 * 2 * EDGEC_QROW(2 * (TWP)))

/* Plane rows of one channel pair (c0, c1; c1 < 0: a zero channel) for tile rows from t0: row r is input row
 * 2*t0 - PT + r; phase p holds padded columns 2k + p as int16 pairs (x_c0 - zx, x_c1 - zx), zero outside the input. */
EDGEC_INLINE void edgec_qwino_plane(const int8_t *xc0, const int8_t *xc1, int H, int W, int PT, int PL, int zx,
                                    int t0, int nrows, ptrdiff_t pw, int16_t *EDGEC_RESTRICT plane) {
  int r, p, k;
  for (r = 0; r < nrows; r++) {
    const int ih = 2 * t0 - PT + r;
    int16_t *d = plane + (ptrdiff_t)r * 2 * pw;
    if (ih < 0 || ih >= H) {
      memset(d, 0, (size_t)(2 * pw) * sizeof(int16_t));
      continue;
    }
    for (p = 0; p < 2; p++) {
      int16_t *EDGEC_RESTRICT dp = d + p * pw;
      /* k walks this phase's pairs: zeros before lo, input columns in [lo, hi), zeros after. */
      const int8_t *EDGEC_RESTRICT s0 = xc0 + (ptrdiff_t)ih * W;
      const int8_t *EDGEC_RESTRICT s1 = xc1 ? xc1 + (ptrdiff_t)ih * W : NULL;
      int lo, hi;
      edgec_qconv_range((int)(pw / 2), 2, p - PL, W, &lo, &hi);
      for (k = 0; k < lo; k++) dp[2 * k] = dp[2 * k + 1] = 0;
      k = lo;
#if defined(EDGEC_QAVX2)
      if (s1) {
        /* 16 columns of this phase at a time: deinterleave 32 input bytes of each channel, pair the channels. */
        const __m256i sel = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8, 10, 12,
                                             14, 1, 3, 5, 7, 9, 11, 13, 15);
        const __m256i z = _mm256_set1_epi16((short)zx);
        for (; k + 16 <= hi && 2 * k + p - PL + 32 <= W; k += 16) {
          const __m256i a = _mm256_permute4x64_epi64(
              _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(s0 + 2 * k + p - PL)), sel), 0xD8);
          const __m256i b = _mm256_permute4x64_epi64(
              _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(s1 + 2 * k + p - PL)), sel), 0xD8);
          const __m128i ab = _mm256_castsi256_si128(a), bb = _mm256_castsi256_si128(b);
          _mm256_storeu_si256((__m256i *)(void *)(dp + 2 * k),
                              _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_unpacklo_epi8(ab, bb)), z));
          _mm256_storeu_si256((__m256i *)(void *)(dp + 2 * k + 16),
                              _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_unpackhi_epi8(ab, bb)), z));
        }
      }
#endif
      if (s1)
        for (; k < hi; k++) {
          dp[2 * k] = (int16_t)(s0[2 * k + p - PL] - zx);
          dp[2 * k + 1] = (int16_t)(s1[2 * k + p - PL] - zx);
        }
      else
        for (; k < hi; k++) {
          dp[2 * k] = (int16_t)(s0[2 * k + p - PL] - zx);
          dp[2 * k + 1] = 0;
        }
      for (k = hi; k < pw / 2; k++) dp[2 * k] = dp[2 * k + 1] = 0;
    }
  }
}

/* Input transform V = B^T d B of one channel pair for tile rows [0, rows) of the plane, 8 tiles (16 int16) at a time,
 * into the 16 packed B operands (operand e at v + e * vstride; channel pair cp of C2; tile index t * TWP + tw).
 * d[i][j] is plane row i, padded column 2*tw + j: phase j % 2, pair index tw + j / 2 (int16 index k = 2*tw + half). */
EDGEC_INLINE void edgec_qwino_input(const int16_t *plane, ptrdiff_t pw, int rows, int TWP, int cp, int C2,
                                    int16_t *EDGEC_RESTRICT v, ptrdiff_t vstride) {
  int t, k0;
  for (t = 0; t < rows; t++) {
    const int16_t *r0 = plane + (ptrdiff_t)(2 * t) * 2 * pw, *r1 = r0 + 2 * pw, *r2 = r1 + 2 * pw, *r3 = r2 + 2 * pw;
    for (k0 = 0; k0 < 2 * TWP; k0 += 16) {
      const ptrdiff_t lin = (ptrdiff_t)t * 2 * TWP + k0;
      int16_t *EDGEC_RESTRICT o = v + ((lin / 32) * C2 + cp) * 32 + lin % 32;
#if defined(EDGEC_QAVX2)
#define EDGEC_QW_LD(r, off) _mm256_loadu_si256((const __m256i *)(const void *)((r) + (off) + k0))
#define EDGEC_QW_ST(e, val) _mm256_storeu_si256((__m256i *)(void *)(o + (e) * vstride), (val))
      const __m256i d00 = EDGEC_QW_LD(r0, 0), d01 = EDGEC_QW_LD(r0, pw), d02 = EDGEC_QW_LD(r0, 2), d03 = EDGEC_QW_LD(r0, pw + 2);
      const __m256i d10 = EDGEC_QW_LD(r1, 0), d11 = EDGEC_QW_LD(r1, pw), d12 = EDGEC_QW_LD(r1, 2), d13 = EDGEC_QW_LD(r1, pw + 2);
      const __m256i d20 = EDGEC_QW_LD(r2, 0), d21 = EDGEC_QW_LD(r2, pw), d22 = EDGEC_QW_LD(r2, 2), d23 = EDGEC_QW_LD(r2, pw + 2);
      const __m256i d30 = EDGEC_QW_LD(r3, 0), d31 = EDGEC_QW_LD(r3, pw), d32 = EDGEC_QW_LD(r3, 2), d33 = EDGEC_QW_LD(r3, pw + 2);
      __m256i x0, x1, x2, x3;
#define EDGEC_QW_ROW(e, y0, y1, y2, y3)                                                                              \
  EDGEC_QW_ST(e, _mm256_sub_epi16(y0, y2)); EDGEC_QW_ST((e) + 1, _mm256_add_epi16(y1, y2));                          \
  EDGEC_QW_ST((e) + 2, _mm256_sub_epi16(y2, y1)); EDGEC_QW_ST((e) + 3, _mm256_sub_epi16(y1, y3))
      x0 = _mm256_sub_epi16(d00, d20); x1 = _mm256_sub_epi16(d01, d21); x2 = _mm256_sub_epi16(d02, d22); x3 = _mm256_sub_epi16(d03, d23);
      EDGEC_QW_ROW(0, x0, x1, x2, x3);
      x0 = _mm256_add_epi16(d10, d20); x1 = _mm256_add_epi16(d11, d21); x2 = _mm256_add_epi16(d12, d22); x3 = _mm256_add_epi16(d13, d23);
      EDGEC_QW_ROW(4, x0, x1, x2, x3);
      x0 = _mm256_sub_epi16(d20, d10); x1 = _mm256_sub_epi16(d21, d11); x2 = _mm256_sub_epi16(d22, d12); x3 = _mm256_sub_epi16(d23, d13);
      EDGEC_QW_ROW(8, x0, x1, x2, x3);
      x0 = _mm256_sub_epi16(d10, d30); x1 = _mm256_sub_epi16(d11, d31); x2 = _mm256_sub_epi16(d12, d32); x3 = _mm256_sub_epi16(d13, d33);
      EDGEC_QW_ROW(12, x0, x1, x2, x3);
#undef EDGEC_QW_ROW
#undef EDGEC_QW_ST
#undef EDGEC_QW_LD
#else
      int k;
      for (k = k0; k < k0 + 16; k++) {
        const int d00 = r0[k], d01 = r0[pw + k], d02 = r0[k + 2], d03 = r0[pw + k + 2];
        const int d10 = r1[k], d11 = r1[pw + k], d12 = r1[k + 2], d13 = r1[pw + k + 2];
        const int d20 = r2[k], d21 = r2[pw + k], d22 = r2[k + 2], d23 = r2[pw + k + 2];
        const int d30 = r3[k], d31 = r3[pw + k], d32 = r3[k + 2], d33 = r3[pw + k + 2];
        const int a0 = d00 - d20, a1 = d01 - d21, a2 = d02 - d22, a3 = d03 - d23;
        const int b0 = d10 + d20, b1 = d11 + d21, b2 = d12 + d22, b3 = d13 + d23;
        const int c0 = d20 - d10, c1 = d21 - d11, c2 = d22 - d12, c3 = d23 - d13;
        const int e0 = d10 - d30, e1 = d11 - d31, e2 = d12 - d32, e3 = d13 - d33;
        int16_t *q = o + (k - k0);
        q[0] = (int16_t)(a0 - a2); q[vstride] = (int16_t)(a1 + a2);
        q[2 * vstride] = (int16_t)(a2 - a1); q[3 * vstride] = (int16_t)(a1 - a3);
        q[4 * vstride] = (int16_t)(b0 - b2); q[5 * vstride] = (int16_t)(b1 + b2);
        q[6 * vstride] = (int16_t)(b2 - b1); q[7 * vstride] = (int16_t)(b1 - b3);
        q[8 * vstride] = (int16_t)(c0 - c2); q[9 * vstride] = (int16_t)(c1 + c2);
        q[10 * vstride] = (int16_t)(c2 - c1); q[11 * vstride] = (int16_t)(c1 - c3);
        q[12 * vstride] = (int16_t)(e0 - e2); q[13 * vstride] = (int16_t)(e1 + e2);
        q[14 * vstride] = (int16_t)(e2 - e1); q[15 * vstride] = (int16_t)(e1 - e3);
      }
#endif
    }
  }
}

/* Output transform of one channel's tile row: m[e * estride + tw] are the 16 int32 products of each tile; writes the
 * 2x2 accumulators (A^T M A / 4, exact) into rows r0 and r1 (2 * TWP each). */
EDGEC_INLINE void edgec_qwino_output(const int32_t *EDGEC_RESTRICT m, ptrdiff_t estride, int TWP,
                                     int32_t *EDGEC_RESTRICT r0, int32_t *EDGEC_RESTRICT r1) {
  int tw = 0;
#if defined(EDGEC_QAVX2)
  for (; tw < TWP; tw += 8) {
#define EDGEC_QW_LD(e) _mm256_loadu_si256((const __m256i *)(const void *)(m + (e) * estride + tw))
    const __m256i q4 = EDGEC_QW_LD(4), q5 = EDGEC_QW_LD(5), q6 = EDGEC_QW_LD(6), q7 = EDGEC_QW_LD(7);
    const __m256i q8 = EDGEC_QW_LD(8), q9 = EDGEC_QW_LD(9), q10 = EDGEC_QW_LD(10), q11 = EDGEC_QW_LD(11);
    const __m256i s0 = _mm256_add_epi32(_mm256_add_epi32(EDGEC_QW_LD(0), q4), q8);
    const __m256i s1 = _mm256_add_epi32(_mm256_add_epi32(EDGEC_QW_LD(1), q5), q9);
    const __m256i s2 = _mm256_add_epi32(_mm256_add_epi32(EDGEC_QW_LD(2), q6), q10);
    const __m256i s3 = _mm256_add_epi32(_mm256_add_epi32(EDGEC_QW_LD(3), q7), q11);
    const __m256i u0 = _mm256_sub_epi32(_mm256_sub_epi32(q4, q8), EDGEC_QW_LD(12));
    const __m256i u1 = _mm256_sub_epi32(_mm256_sub_epi32(q5, q9), EDGEC_QW_LD(13));
    const __m256i u2 = _mm256_sub_epi32(_mm256_sub_epi32(q6, q10), EDGEC_QW_LD(14));
    const __m256i u3 = _mm256_sub_epi32(_mm256_sub_epi32(q7, q11), EDGEC_QW_LD(15));
#undef EDGEC_QW_LD
    const __m256i o00 = _mm256_srai_epi32(_mm256_add_epi32(_mm256_add_epi32(s0, s1), s2), 2);
    const __m256i o01 = _mm256_srai_epi32(_mm256_sub_epi32(_mm256_sub_epi32(s1, s2), s3), 2);
    const __m256i o10 = _mm256_srai_epi32(_mm256_add_epi32(_mm256_add_epi32(u0, u1), u2), 2);
    const __m256i o11 = _mm256_srai_epi32(_mm256_sub_epi32(_mm256_sub_epi32(u1, u2), u3), 2);
    /* Interleave the two columns of each tile: unpack within 128-bit lanes, then put the lanes in order. */
    const __m256i a = _mm256_unpacklo_epi32(o00, o01), b = _mm256_unpackhi_epi32(o00, o01);
    const __m256i c = _mm256_unpacklo_epi32(o10, o11), d = _mm256_unpackhi_epi32(o10, o11);
    _mm256_storeu_si256((__m256i *)(void *)(r0 + 2 * tw), _mm256_permute2x128_si256(a, b, 0x20));
    _mm256_storeu_si256((__m256i *)(void *)(r0 + 2 * tw + 8), _mm256_permute2x128_si256(a, b, 0x31));
    _mm256_storeu_si256((__m256i *)(void *)(r1 + 2 * tw), _mm256_permute2x128_si256(c, d, 0x20));
    _mm256_storeu_si256((__m256i *)(void *)(r1 + 2 * tw + 8), _mm256_permute2x128_si256(c, d, 0x31));
  }
#endif
  for (; tw < TWP; tw++) {
    const int32_t *q = m + tw;
    const int32_t s0 = q[0] + q[4 * estride] + q[8 * estride], s1 = q[estride] + q[5 * estride] + q[9 * estride];
    const int32_t s2 = q[2 * estride] + q[6 * estride] + q[10 * estride];
    const int32_t s3 = q[3 * estride] + q[7 * estride] + q[11 * estride];
    const int32_t u0 = q[4 * estride] - q[8 * estride] - q[12 * estride];
    const int32_t u1 = q[5 * estride] - q[9 * estride] - q[13 * estride];
    const int32_t u2 = q[6 * estride] - q[10 * estride] - q[14 * estride];
    const int32_t u3 = q[7 * estride] - q[11 * estride] - q[15 * estride];
    r0[2 * tw] = (s0 + s1 + s2) >> 2;
    r0[2 * tw + 1] = (s1 - s2 - s3) >> 2;
    r1[2 * tw] = (u0 + u1 + u2) >> 2;
    r1[2 * tw + 1] = (u1 - u2 - u3) >> 2;
  }
}

/* 3x3 stride-1 int8 conv by Winograd F(2x2, 3x3). up: 16 packed A operands of U (M rows over C), operand e at
 * up + e * EDGEC_QPACK_A(M, C); e: the per-output-channel epilogue; blocks of `rows` tile rows and MB output channels
 * (a multiple of MR); scratch: EDGEC_QWINO_SCRATCH bytes, 64-byte aligned. */
static EDGEC_UNUSED void edgec_qconv2d_wino(const int8_t *x, const int16_t *up, const edgec_qepi *e, int8_t *y, int N,
                                            int C, int H, int W, int M, int OH, int OW, int PT, int PL, int zx,
                                            void *scratch, int rows, int MB) {
  const int TH = (OH + 1) / 2, C2 = (C + 1) / 2;
  const int TWP = (int)EDGEC_QWINO_TWP(OW);
  const ptrdiff_t pw = EDGEC_QWINO_PHASE(TWP), aop = EDGEC_QPACK_A(M, C), vstride = EDGEC_QPACK_B(C, rows * TWP);
  const ptrdiff_t aps = (ptrdiff_t)2 * EDGEC_QGEMM_MR * C2, bps = (ptrdiff_t)2 * EDGEC_QGEMM_NR * C2;
  int16_t *plane = (int16_t *)scratch, *v = plane + EDGEC_QWINO_PLANE(rows, TWP);
  int32_t *mb = (int32_t *)(void *)(v + 16 * vstride);
  int32_t *r0 = mb + (ptrdiff_t)16 * MB * rows * TWP, *r1 = r0 + EDGEC_QROW(2 * TWP);
  int n, t0, cp, m0, m, q, t;
  for (n = 0; n < N; n++) {
    const int8_t *xn = x + (ptrdiff_t)n * C * H * W;
    int8_t *yn = y + (ptrdiff_t)n * M * OH * OW;
    for (t0 = 0; t0 < TH; t0 += rows) {
      const int tr = TH - t0 < rows ? TH - t0 : rows, ntiles = tr * TWP;
      for (cp = 0; cp < C2; cp++) {
        const int8_t *xc0 = xn + (ptrdiff_t)(2 * cp) * H * W;
        edgec_qwino_plane(xc0, 2 * cp + 1 < C ? xc0 + (ptrdiff_t)H * W : NULL, H, W, PT, PL, zx, t0, 2 * tr + 2, pw,
                          plane);
        edgec_qwino_input(plane, pw, tr, TWP, cp, C2, v, vstride);
      }
      if (ntiles % EDGEC_QGEMM_NR) /* the second half of the last panel: zero columns */
        for (q = 0; q < 16; q++)
          for (cp = 0; cp < C2; cp++)
            memset(v + q * vstride + ((ptrdiff_t)(ntiles / 16) * C2 + cp) * 32 + 16, 0, 16 * sizeof(int16_t));
      for (m0 = 0; m0 < M; m0 += MB) {
        const int mb_rows = M - m0 < MB ? M - m0 : MB;
        for (q = 0; q < 16; q++)
          edgec_qgemm(mb_rows, ntiles, C2, up + q * aop + (ptrdiff_t)(m0 / EDGEC_QGEMM_MR) * aps, aps, v + q * vstride,
                      bps, NULL, mb + (ptrdiff_t)q * MB * ntiles, ntiles, e, 0, 0, MB);
        for (m = m0; m < m0 + mb_rows; m++) {
          for (t = 0; t < tr; t++) {
            const int oh = 2 * (t0 + t);
            edgec_qwino_output(mb + (ptrdiff_t)(m - m0) * ntiles + (ptrdiff_t)t * TWP, (ptrdiff_t)MB * ntiles, TWP, r0,
                               r1);
            edgec_q_requant_row(r0, yn + ((ptrdiff_t)m * OH + oh) * OW, OW, e, m);
            if (oh + 1 < OH) edgec_q_requant_row(r1, yn + ((ptrdiff_t)m * OH + oh + 1) * OW, OW, e, m);
          }
        }
      }
    }
  }
}

#endif
