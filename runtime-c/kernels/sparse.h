/* edgec N:M sparse kernels: weights stored as the kept values of each output row ([rows][kept], kept = K / M * N)
 * plus their in-group indices (`bits` each, packed LSB first, `row_bytes` per row); the pruned weights are never
 * touched. Plain C99 loops over fixed-width tiles that compilers vectorize; the per-row index decoding is hoisted out
 * of the tile loops. The int8 forms accumulate (w) * (x - zx) in int32 exactly as the dense kernels do (symmetric
 * weights: a pruned weight is code 0) and requantize through edgec_q_out1, so they equal the integer reference. */
#ifndef EDGEC_KERNEL_SPARSE_H
#define EDGEC_KERNEL_SPARSE_H

#include "gemm.h"
#include "qgemm.h"

/* Positions per register tile: the accumulators of one output row over EDGEC_SP_TILE positions stay in vector
 * registers, and the K x EDGEC_SP_TILE slice of X they read stays in L1 while every output row passes over it. */
#define EDGEC_SP_TILE 32

/* Decode the reduction index (k) of each kept weight of one row into koff[kept]. */
EDGEC_INLINE void edgec_sp_decode_row(const uint8_t *EDGEC_RESTRICT idx, int kept, int n, int m, int bits, int *EDGEC_RESTRICT koff) {
  const unsigned mask = (1u << bits) - 1u;
  unsigned pos = 0;
  int j = 0, base = 0;
  while (j < kept) {
    int t;
    for (t = 0; t < n; t++, j++, pos += (unsigned)bits) {
      const unsigned word = (unsigned)idx[pos >> 3] | ((unsigned)idx[(pos >> 3) + 1] << 8);
      koff[j] = base + (int)((word >> (pos & 7)) & mask);
    }
    base += m;
  }
}

/* Y[o * syo + p * syp] = bias[o] + sum over kept j of vals[o][j] * X[koff_o(j)][p] for o < O, p < P (X: [K][P] rows
 * ldx apart). syo = P, syp = 1: a 1x1 convolution on NCHW; syo = 1, syp = O: a Gemm on transposed A. No activation
 * (callers apply it). koff: scratch of kept ints. */
static EDGEC_UNUSED EDGEC_FMA_CONTRACT void edgec_spmm_f32(int O, int K, int P, int n, int m, int bits, int row_bytes,
                                        const float *EDGEC_RESTRICT vals, const uint8_t *EDGEC_RESTRICT idx,
                                        const float *bias, const float *EDGEC_RESTRICT x, ptrdiff_t ldx,
                                        float *EDGEC_RESTRICT y, ptrdiff_t syo, ptrdiff_t syp, int *EDGEC_RESTRICT koff) {
  const int kept = K / m * n;
  int o, j, t, p0;
  for (p0 = 0; p0 < P; p0 += EDGEC_SP_TILE) {
    const int tn = P - p0 < EDGEC_SP_TILE ? P - p0 : EDGEC_SP_TILE;
    const float *EDGEC_RESTRICT xp = x + p0;
    for (o = 0; o < O; o++) {
      const float *EDGEC_RESTRICT v = vals + (ptrdiff_t)o * kept;
      float acc[EDGEC_SP_TILE];
      const float b = bias ? bias[o] : 0.0f;
      float *EDGEC_RESTRICT yo = y + (ptrdiff_t)o * syo + (ptrdiff_t)p0 * syp;
      edgec_sp_decode_row(idx + (ptrdiff_t)o * row_bytes, kept, n, m, bits, koff);
#if defined(EDGEC_HAVE_V8)
      if (tn == EDGEC_SP_TILE) {
        /* Four vector accumulators in registers; one broadcast weight and four loads per kept weight. */
        edgec_vec8 a0 = EDGEC_V8_SET1(b), a1 = a0, a2 = a0, a3 = a0;
        for (j = 0; j < kept; j++) {
          const edgec_vec8 w = EDGEC_V8_SET1(v[j]);
          const float *xr = xp + (ptrdiff_t)koff[j] * ldx;
          a0 += w * EDGEC_V8_LOAD(xr);
          a1 += w * EDGEC_V8_LOAD(xr + 8);
          a2 += w * EDGEC_V8_LOAD(xr + 16);
          a3 += w * EDGEC_V8_LOAD(xr + 24);
        }
        EDGEC_V8_STORE(acc, a0);
        EDGEC_V8_STORE(acc + 8, a1);
        EDGEC_V8_STORE(acc + 16, a2);
        EDGEC_V8_STORE(acc + 24, a3);
      } else
#endif
      if (tn == EDGEC_SP_TILE) {
        for (t = 0; t < EDGEC_SP_TILE; t++) acc[t] = b;
        for (j = 0; j < kept; j++) {
          const float w = v[j];
          const float *EDGEC_RESTRICT xr = xp + (ptrdiff_t)koff[j] * ldx;
          for (t = 0; t < EDGEC_SP_TILE; t++) acc[t] += w * xr[t];
        }
      } else {
        for (t = 0; t < tn; t++) acc[t] = b;
        for (j = 0; j < kept; j++) {
          const float w = v[j];
          const float *EDGEC_RESTRICT xr = xp + (ptrdiff_t)koff[j] * ldx;
          for (t = 0; t < tn; t++) acc[t] += w * xr[t];
        }
      }
      if (syp == 1)
        for (t = 0; t < tn; t++) yo[t] = acc[t];
      else
        for (t = 0; t < tn; t++) yo[t * syp] = acc[t];
    }
  }
}

/* int8 form of edgec_spmm_f32: acc = sum vals[o][j] * (X[k][p] - zx) in int32, then edgec_q_out1 with channel o. */
static EDGEC_UNUSED void edgec_spmm_s8(int O, int K, int P, int n, int m, int bits, int row_bytes,
                                       const int8_t *EDGEC_RESTRICT vals, const uint8_t *EDGEC_RESTRICT idx, int zx,
                                       const int8_t *EDGEC_RESTRICT x, ptrdiff_t ldx, int8_t *EDGEC_RESTRICT y,
                                       ptrdiff_t syo, ptrdiff_t syp, const edgec_qepi *e, int *EDGEC_RESTRICT koff) {
  const int kept = K / m * n;
  int o, j, t, p0;
  for (p0 = 0; p0 < P; p0 += EDGEC_SP_TILE) {
    const int tn = P - p0 < EDGEC_SP_TILE ? P - p0 : EDGEC_SP_TILE;
    const int8_t *EDGEC_RESTRICT xp = x + p0;
    for (o = 0; o < O; o++) {
      const int8_t *EDGEC_RESTRICT v = vals + (ptrdiff_t)o * kept;
      int32_t acc[EDGEC_SP_TILE];
      int8_t *EDGEC_RESTRICT yo = y + (ptrdiff_t)o * syo + (ptrdiff_t)p0 * syp;
      edgec_sp_decode_row(idx + (ptrdiff_t)o * row_bytes, kept, n, m, bits, koff);
#if defined(EDGEC_HAVE_V8) && (defined(__clang__) || __GNUC__ >= 9)
      if (tn == EDGEC_SP_TILE) {
        /* int32 vector accumulators; each kept weight widens 4 x 8 int8 inputs once. */
        typedef int8_t edgec_sp_c8 __attribute__((vector_size(8), aligned(1)));
        typedef int32_t edgec_sp_i8u __attribute__((vector_size(32), aligned(4)));
        const edgec_vec8i z = {zx, zx, zx, zx, zx, zx, zx, zx};
        edgec_vec8i a0 = {0, 0, 0, 0, 0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0;
        for (j = 0; j < kept; j++) {
          const int32_t wj = v[j];
          const edgec_vec8i w = {wj, wj, wj, wj, wj, wj, wj, wj};
          const int8_t *xr = xp + (ptrdiff_t)koff[j] * ldx;
          a0 += w * (__builtin_convertvector(*(const edgec_sp_c8 *)(const void *)xr, edgec_vec8i) - z);
          a1 += w * (__builtin_convertvector(*(const edgec_sp_c8 *)(const void *)(xr + 8), edgec_vec8i) - z);
          a2 += w * (__builtin_convertvector(*(const edgec_sp_c8 *)(const void *)(xr + 16), edgec_vec8i) - z);
          a3 += w * (__builtin_convertvector(*(const edgec_sp_c8 *)(const void *)(xr + 24), edgec_vec8i) - z);
        }
        *(edgec_sp_i8u *)(void *)acc = a0;
        *(edgec_sp_i8u *)(void *)(acc + 8) = a1;
        *(edgec_sp_i8u *)(void *)(acc + 16) = a2;
        *(edgec_sp_i8u *)(void *)(acc + 24) = a3;
        for (t = 0; t < tn; t++) yo[t * syp] = edgec_q_out1(acc[t], e, o);
        continue;
      }
#endif
      for (t = 0; t < EDGEC_SP_TILE; t++) acc[t] = 0;
      for (j = 0; j < kept; j++) {
        const int32_t w = v[j];
        const int8_t *EDGEC_RESTRICT xr = xp + (ptrdiff_t)koff[j] * ldx;
        if (tn == EDGEC_SP_TILE)
          for (t = 0; t < EDGEC_SP_TILE; t++) acc[t] += w * ((int32_t)xr[t] - zx);
        else
          for (t = 0; t < tn; t++) acc[t] += w * ((int32_t)xr[t] - zx);
      }
      for (t = 0; t < tn; t++) yo[t * syp] = edgec_q_out1(acc[t], e, o);
    }
  }
}

/* Transpose A [M][K] into at [K][M] (the sparse Gemm runs on columns of A). */
#define EDGEC_SP_TRANSPOSE(T, a, at, M, K)                                                                    \
  do {                                                                                                       \
    int i_, k_;                                                                                              \
    for (i_ = 0; i_ < (M); i_++)                                                                             \
      for (k_ = 0; k_ < (K); k_++) (at)[(ptrdiff_t)k_ * (M) + i_] = (a)[(ptrdiff_t)i_ * (K) + k_];          \
  } while (0)

#endif
