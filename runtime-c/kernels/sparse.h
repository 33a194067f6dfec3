/* edgec N:M sparse kernels: weights stored as the kept values of each output row ([rows][kept], kept = K / M * N)
 * plus their in-group indices (`bits` each, packed LSB first, `row_bytes` per row); the pruned weights are never
 * touched. Plain C99 loops over fixed-width tiles that compilers vectorize; the per-row index decoding is hoisted out
 * of the tile loops. The int8 forms accumulate (w) * (x - zx) in int32 exactly as the dense kernels do (symmetric
 * weights: a pruned weight is code 0) and requantize through edgec_q_out1, so they equal the integer reference. */
#ifndef EDGEC_KERNEL_SPARSE_H
#define EDGEC_KERNEL_SPARSE_H

#include "qgemm.h"

/* Positions along the P-contiguous inputs processed per pass (an accumulator tile stays in L1). */
#define EDGEC_SP_TILE 256

/* Decode the reduction index (k) of each kept weight of one row into koff[kept]. */
EDGEC_INLINE void edgec_sp_decode_row(const uint8_t *EDGEC_RESTRICT idx, int kept, int n, int m, int bits, int *EDGEC_RESTRICT koff) {
  int j;
  const unsigned mask = (1u << bits) - 1u;
  for (j = 0; j < kept; j++) {
    const int bit = j * bits;
    const unsigned word = (unsigned)idx[bit >> 3] | ((unsigned)idx[(bit >> 3) + 1] << 8);
    koff[j] = (j / n) * m + (int)((word >> (bit & 7)) & mask);
  }
}

/* Y[o][p] = act(bias[o] + sum over kept j of vals[o][j] * X[koff_o(j)][p]) for o < O, p < P (X: [K][P], Y: [O][P],
 * e.g. a 1x1 convolution on NCHW). koff: scratch of kept ints. */
static EDGEC_UNUSED void edgec_spmm_rows_f32(int O, int K, int P, int n, int m, int bits, int row_bytes,
                                             const float *EDGEC_RESTRICT vals, const uint8_t *EDGEC_RESTRICT idx,
                                             const float *bias, const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y,
                                             int act, float aa, float ab, int *EDGEC_RESTRICT koff) {
  const int kept = K / m * n;
  int o, j, t, p0;
  for (o = 0; o < O; o++) {
    const float *EDGEC_RESTRICT v = vals + (ptrdiff_t)o * kept;
    const float b = bias ? bias[o] : 0.0f;
    edgec_sp_decode_row(idx + (ptrdiff_t)o * row_bytes, kept, n, m, bits, koff);
    for (p0 = 0; p0 < P; p0 += EDGEC_SP_TILE) {
      const int tn = P - p0 < EDGEC_SP_TILE ? P - p0 : EDGEC_SP_TILE;
      float acc[EDGEC_SP_TILE];
      float *EDGEC_RESTRICT yo = y + (ptrdiff_t)o * P + p0;
      for (t = 0; t < tn; t++) acc[t] = b;
      for (j = 0; j < kept; j++) {
        const float w = v[j];
        const float *EDGEC_RESTRICT xr = x + (ptrdiff_t)koff[j] * P + p0;
        for (t = 0; t < tn; t++) acc[t] += w * xr[t];
      }
      for (t = 0; t < tn; t++) yo[t] = acc[t];
      edgec_act_apply(yo, tn, act, aa, ab);
    }
  }
}

/* Y[i][o] = act(bias[o] + sum over kept j of vals[o][j] * A[i][koff_o(j)]) for i < M (A: [M][K], Y: [M][O]; Gemm). */
static EDGEC_UNUSED void edgec_spmm_cols_f32(int M, int O, int K, int n, int m, int bits, int row_bytes,
                                             const float *EDGEC_RESTRICT vals, const uint8_t *EDGEC_RESTRICT idx,
                                             const float *bias, const float *EDGEC_RESTRICT a, float *EDGEC_RESTRICT y,
                                             int act, float aa, float ab, int *EDGEC_RESTRICT koff) {
  const int kept = K / m * n;
  int i, o, j;
  for (o = 0; o < O; o++) {
    const float *EDGEC_RESTRICT v = vals + (ptrdiff_t)o * kept;
    edgec_sp_decode_row(idx + (ptrdiff_t)o * row_bytes, kept, n, m, bits, koff);
    for (i = 0; i < M; i++) {
      const float *EDGEC_RESTRICT ar = a + (ptrdiff_t)i * K;
      float s = bias ? bias[o] : 0.0f;
      for (j = 0; j < kept; j++) s += v[j] * ar[koff[j]];
      y[(ptrdiff_t)i * O + o] = s;
    }
  }
  for (i = 0; i < M; i++) edgec_act_apply(y + (ptrdiff_t)i * O, O, act, aa, ab);
}

/* int8 form of edgec_spmm_rows_f32: acc = sum vals[o][j] * (X[k][p] - zx) in int32, then edgec_q_out1 (row channels). */
static EDGEC_UNUSED void edgec_spmm_rows_s8(int O, int K, int P, int n, int m, int bits, int row_bytes,
                                            const int8_t *EDGEC_RESTRICT vals, const uint8_t *EDGEC_RESTRICT idx, int zx,
                                            const int8_t *EDGEC_RESTRICT x, int8_t *EDGEC_RESTRICT y, const edgec_qepi *e,
                                            int *EDGEC_RESTRICT koff) {
  const int kept = K / m * n;
  int o, j, t, p0;
  for (o = 0; o < O; o++) {
    const int8_t *EDGEC_RESTRICT v = vals + (ptrdiff_t)o * kept;
    edgec_sp_decode_row(idx + (ptrdiff_t)o * row_bytes, kept, n, m, bits, koff);
    for (p0 = 0; p0 < P; p0 += EDGEC_SP_TILE) {
      const int tn = P - p0 < EDGEC_SP_TILE ? P - p0 : EDGEC_SP_TILE;
      int32_t acc[EDGEC_SP_TILE];
      for (t = 0; t < tn; t++) acc[t] = 0;
      for (j = 0; j < kept; j++) {
        const int32_t w = v[j];
        const int8_t *EDGEC_RESTRICT xr = x + (ptrdiff_t)koff[j] * P + p0;
        for (t = 0; t < tn; t++) acc[t] += w * ((int32_t)xr[t] - zx);
      }
      for (t = 0; t < tn; t++) y[(ptrdiff_t)o * P + p0 + t] = edgec_q_out1(acc[t], e, o);
    }
  }
}

/* int8 form of edgec_spmm_cols_f32 (column channels: Gemm). */
static EDGEC_UNUSED void edgec_spmm_cols_s8(int M, int O, int K, int n, int m, int bits, int row_bytes,
                                            const int8_t *EDGEC_RESTRICT vals, const uint8_t *EDGEC_RESTRICT idx, int za,
                                            const int8_t *EDGEC_RESTRICT a, int8_t *EDGEC_RESTRICT y, const edgec_qepi *e,
                                            int *EDGEC_RESTRICT koff) {
  const int kept = K / m * n;
  int i, o, j;
  for (o = 0; o < O; o++) {
    const int8_t *EDGEC_RESTRICT v = vals + (ptrdiff_t)o * kept;
    edgec_sp_decode_row(idx + (ptrdiff_t)o * row_bytes, kept, n, m, bits, koff);
    for (i = 0; i < M; i++) {
      const int8_t *EDGEC_RESTRICT ar = a + (ptrdiff_t)i * K;
      int32_t s = 0;
      for (j = 0; j < kept; j++) s += (int32_t)v[j] * ((int32_t)ar[koff[j]] - za);
      y[(ptrdiff_t)i * O + o] = edgec_q_out1(s, e, o);
    }
  }
}

#endif
