/* edgec Winograd F(2x2, 3x3) convolution (NCHW, float, stride 1, no dilation, one group): 2.25x fewer multiplies
 * than direct 3x3. Weights arrive transformed (U = G g G^T, 16 values per filter) and packed as 16 SGEMM A
 * operands; per block of tile rows the input is transformed (V = B^T d B) into 16 B operands, multiplied with the
 * SGEMM kernel, and transformed back (Y = A^T M A) with bias and activation.
 * Builds on kernels/conv.h (plane fill) and kernels/gemm.h. C99, no malloc, no globals, no VLAs. */
#ifndef EDGEC_KERNEL_WINOGRAD_H
#define EDGEC_KERNEL_WINOGRAD_H

#include "conv.h"

/* Floats per phase of one plane row (tile columns + one overlap column + slack). */
#define EDGEC_WINO_PHASE(TW) ((ptrdiff_t)(TW) + 9)
/* Floats of the input plane for `rows` tile rows, rounded to whole 64-byte lines (V and M that follow stay aligned). */
#define EDGEC_WINO_PLANE(rows, TW) (((ptrdiff_t)(2 * (rows) + 2) * 2 * EDGEC_WINO_PHASE(TW) + 15) / 16 * 16)
/* Columns of the V/M buffers for `rows` tile rows: whole NR-wide panels. */
#define EDGEC_WINO_LDB(rows, TW) \
  ((ptrdiff_t)(((rows) * (TW) + EDGEC_GEMM_NR - 1) / EDGEC_GEMM_NR) * EDGEC_GEMM_NR)

/* Input transform of channel plane rows for tile rows [0, rows): plane row r (2 phases of pw floats: even and odd
 * padded columns) is input row 2*t0 - PT + r. Writes V[e][col] for e = 0..15 at v + e * estride. */
EDGEC_INLINE void edgec_wino_input(const float *EDGEC_RESTRICT plane, ptrdiff_t pw, int rows, int TW,
                                          float *EDGEC_RESTRICT v, ptrdiff_t estride) {
  int t, tw, i;
  for (t = 0; t < rows; t++) {
    const float *r[4];
    float *EDGEC_RESTRICT o[16];
    for (i = 0; i < 4; i++) r[i] = plane + (ptrdiff_t)(2 * t + i) * 2 * pw;
    for (i = 0; i < 16; i++) o[i] = v + i * estride + (ptrdiff_t)t * TW;
    for (tw = 0; tw < TW; tw++) {
      /* d[i][j] = padded column 2*tw + j of row i: phase j % 2, index tw + j / 2. */
      const float d00 = r[0][tw], d01 = r[0][pw + tw], d02 = r[0][tw + 1], d03 = r[0][pw + tw + 1];
      const float d10 = r[1][tw], d11 = r[1][pw + tw], d12 = r[1][tw + 1], d13 = r[1][pw + tw + 1];
      const float d20 = r[2][tw], d21 = r[2][pw + tw], d22 = r[2][tw + 1], d23 = r[2][pw + tw + 1];
      const float d30 = r[3][tw], d31 = r[3][pw + tw], d32 = r[3][tw + 1], d33 = r[3][pw + tw + 1];
      /* B^T d: rows. */
      const float a0 = d00 - d20, a1 = d01 - d21, a2 = d02 - d22, a3 = d03 - d23;
      const float b0 = d10 + d20, b1 = d11 + d21, b2 = d12 + d22, b3 = d13 + d23;
      const float c0 = d20 - d10, c1 = d21 - d11, c2 = d22 - d12, c3 = d23 - d13;
      const float e0 = d10 - d30, e1 = d11 - d31, e2 = d12 - d32, e3 = d13 - d33;
      /* (.) B: columns. */
      o[0][tw] = a0 - a2; o[1][tw] = a1 + a2; o[2][tw] = a2 - a1; o[3][tw] = a1 - a3;
      o[4][tw] = b0 - b2; o[5][tw] = b1 + b2; o[6][tw] = b2 - b1; o[7][tw] = b1 - b3;
      o[8][tw] = c0 - c2; o[9][tw] = c1 + c2; o[10][tw] = c2 - c1; o[11][tw] = c1 - c3;
      o[12][tw] = e0 - e2; o[13][tw] = e1 + e2; o[14][tw] = e2 - e1; o[15][tw] = e1 - e3;
    }
  }
}

/* Output transform of one output channel for tile rows [t0, t0 + rows): m[e * estride + col] are the 16 products of
 * each tile; writes the 2x2 outputs (+ bias) into y (OH x OW), then the activation row by row. */
EDGEC_INLINE void edgec_wino_output(const float *EDGEC_RESTRICT m, ptrdiff_t estride, int t0, int rows, int TW,
                                           float bias, float *EDGEC_RESTRICT y, int OH, int OW, int act, float aa,
                                           float ab) {
  const int full = OW / 2; /* tiles whose two columns are both inside the output */
  int t, tw, e;
  for (t = 0; t < rows; t++) {
    const int oh = 2 * (t0 + t);
    const float *mi[16];
    float *EDGEC_RESTRICT y0 = y + (ptrdiff_t)oh * OW;
    float *EDGEC_RESTRICT y1 = y0 + OW;
    const int two = oh + 1 < OH;
    for (e = 0; e < 16; e++) mi[e] = m + e * estride + (ptrdiff_t)t * TW;
    for (tw = 0; tw < TW; tw++) {
      /* A^T M: rows, then (.) A: columns. */
      const float s0 = mi[0][tw] + mi[4][tw] + mi[8][tw], s1 = mi[1][tw] + mi[5][tw] + mi[9][tw];
      const float s2 = mi[2][tw] + mi[6][tw] + mi[10][tw], s3 = mi[3][tw] + mi[7][tw] + mi[11][tw];
      const float u0 = mi[4][tw] - mi[8][tw] - mi[12][tw], u1 = mi[5][tw] - mi[9][tw] - mi[13][tw];
      const float u2 = mi[6][tw] - mi[10][tw] - mi[14][tw], u3 = mi[7][tw] - mi[11][tw] - mi[15][tw];
      const float o00 = s0 + s1 + s2 + bias, o01 = s1 - s2 - s3 + bias;
      const float o10 = u0 + u1 + u2 + bias, o11 = u1 - u2 - u3 + bias;
      if (tw < full) {
        y0[2 * tw] = o00;
        y0[2 * tw + 1] = o01;
        if (two) {
          y1[2 * tw] = o10;
          y1[2 * tw + 1] = o11;
        }
      } else {
        y0[2 * tw] = o00;
        if (two) y1[2 * tw] = o10;
      }
    }
    edgec_act_run(y0, OW, act, aa, ab);
    if (two) edgec_act_run(y1, OW, act, aa, ab);
  }
}

/* 3x3 stride-1 conv by Winograd F(2x2, 3x3). up: 16 packed A operands, operand e at up + e * ceil(M/MR)*MR*C
 * (U[e][m][c]); blocks of `rows` tile rows; scratch (64-byte aligned): plane (EDGEC_WINO_PLANE floats)
 * + V (16 * C * ldb) + M (16 * M * ldb) floats, ldb = EDGEC_WINO_LDB(rows, TW). Always inlined, with the transforms:
 * with each call site's literal shapes gcc vectorizes them with constant strides (~1.6x over one generic copy). */
EDGEC_INLINE void edgec_conv2d_wino(const float *x, const float *up, const float *bias, float *y, int N, int C, int H,
                                    int W, int M, int OH, int OW, int PT, int PL, int act, float aa, float ab,
                                    float *scratch, int rows, int MC, int KC) {
  const int TH = (OH + 1) / 2, TW = (OW + 1) / 2;
  const ptrdiff_t pw = EDGEC_WINO_PHASE(TW), ldb = EDGEC_WINO_LDB(rows, TW);
  const ptrdiff_t aop = (ptrdiff_t)((M + EDGEC_GEMM_MR - 1) / EDGEC_GEMM_MR) * EDGEC_GEMM_MR * C;
  float *plane = scratch, *vb = scratch + EDGEC_WINO_PLANE(rows, TW), *mb = vb + 16 * (ptrdiff_t)C * ldb;
  int n, t0, c, m, e, r, k0;
  for (n = 0; n < N; n++) {
    const float *xn = x + (ptrdiff_t)n * C * H * W;
    float *yn = y + (ptrdiff_t)n * M * OH * OW;
    for (t0 = 0; t0 < TH; t0 += rows) {
      const int tr = TH - t0 < rows ? TH - t0 : rows, ntiles = tr * TW;
      for (c = 0; c < C; c++) {
        const float *xc = xn + (ptrdiff_t)c * H * W;
        for (r = 0; r < 2 * tr + 2; r++) {
          const int ih = 2 * t0 - PT + r;
          float *d = plane + (ptrdiff_t)r * 2 * pw;
          if (ih < 0 || ih >= H)
            memset(d, 0, (size_t)(2 * pw) * sizeof(float));
          else
            edgec_dw_fill_row2(xc + (ptrdiff_t)ih * W, W, PL, (int)pw, d);
        }
        edgec_wino_input(plane, pw, tr, TW, vb + (ptrdiff_t)c * ldb, (ptrdiff_t)C * ldb);
        for (e = 0; e < 16; e++)
          memset(vb + ((ptrdiff_t)e * C + c) * ldb + ntiles, 0, (size_t)(ldb - ntiles) * sizeof(float));
      }
      for (e = 0; e < 16; e++) {
        for (k0 = 0; k0 < C; k0 += KC) {
          const int kc = C - k0 < KC ? C - k0 : KC;
          edgec_sgemm_block(M, ntiles, kc, up + e * aop + (ptrdiff_t)k0 * EDGEC_GEMM_MR, (ptrdiff_t)C * EDGEC_GEMM_MR,
                            vb + ((ptrdiff_t)e * C + k0) * ldb, EDGEC_GEMM_NR, ldb, mb + (ptrdiff_t)e * M * ldb, ldb,
                            k0 > 0, NULL, NULL, EDGEC_ACT_NONE, 0.0f, 0.0f, MC);
        }
      }
      for (m = 0; m < M; m++)
        edgec_wino_output(mb + (ptrdiff_t)m * ldb, (ptrdiff_t)M * ldb, t0, tr, TW, bias ? bias[m] : 0.0f,
                          yn + (ptrdiff_t)m * OH * OW, OH, OW, act, aa, ab);
    }
  }
}

#endif
