/* edgec int8 GEMM on 4-byte dot products, written against the vector vocabulary (runtime-c/simd): SDOT where the
 * target has it, vmull_s8 + vpadalq_s16 on NEON without it, plain C in the portable vocabulary. Operands are raw int8
 * in k-quad panels; the activation zero point is folded into the bias at compile time (sum (x - zx) w = sum x w -
 * zx sum w), so A (weights, zero point 0) and B (activations) are multiplied as stored. The fused epilogue requantizes
 * per row (output channel) exactly as edgec_q_out1: gemmlowp's doubling high multiply and rounding shift.
 *
 * Layouts (MR = EDGEC_QDOT_MR, NR = EDGEC_QDOT_NR = 16, K4 = ceil(K / 4), both from the vocabulary table):
 *   packed A: [ceil(M/MR)][K4][MR][4]  element (i, k) at [i / MR][k / 4][i % MR][k % 4], zero padded, 16 bytes slack
 *   packed B: [ceil(N/NR)][K4][NR][4]  element (k, j) at [j / NR][k / 4][j % NR][k % 4], zero padded */
#ifndef EDGEC_KERNEL_QDOT_H
#define EDGEC_KERNEL_QDOT_H

#include "qconv.h"

#if !defined(EDGEC_SIMD)
#error "qdot.h needs a vector vocabulary (runtime-c/simd); the emitter includes one for targets that name it"
#endif
#if EDGEC_QDOT_NR != 16
#error "qdot.h: the micro-kernel is written for 16-column panels (4 int32 vectors of 4 lanes)"
#endif

/* Bytes of packed B for K x n. */
#define EDGEC_QDOT_BPACK(K, n) ((ptrdiff_t)(((n) + EDGEC_QDOT_NR - 1) / EDGEC_QDOT_NR) * EDGEC_QDOT_NR * (((K) + 3) / 4) * 4)

/* Pack k-rows [0, K) x columns [0, n) of raw int8 (element (k, j) at b[k*rs + j]) into B panels; four rows of 16
 * columns at a time interleave in registers (edgec_vi8_zip4). */
static EDGEC_UNUSED void edgec_qdot_pack_b(int K, int n, const int8_t *EDGEC_RESTRICT b, ptrdiff_t rs,
                                           int8_t *EDGEC_RESTRICT out) {
  const int K4 = (K + 3) / 4, kfull = K / 4;
  int j0, k4, q, j;
  for (j0 = 0; j0 < n; j0 += EDGEC_QDOT_NR) {
    const int nr = n - j0 < EDGEC_QDOT_NR ? n - j0 : EDGEC_QDOT_NR;
    const int8_t *bj = b + j0;
    k4 = 0;
    if (nr == EDGEC_QDOT_NR)
      for (; k4 < kfull; k4++) {
        const int8_t *r = bj + (ptrdiff_t)4 * k4 * rs;
        edgec_vi8_store_zip4(out + (ptrdiff_t)k4 * 4 * EDGEC_QDOT_NR, edgec_vi8_load(r), edgec_vi8_load(r + rs),
                             edgec_vi8_load(r + 2 * rs), edgec_vi8_load(r + 3 * rs));
      }
    if (nr == EDGEC_QDOT_NR && k4 < K4) { /* the last, partial quad: rows past K are zero */
      const int8_t *r = bj + (ptrdiff_t)4 * k4 * rs;
      const int left = K - 4 * k4;
      edgec_vi8_store_zip4(out + (ptrdiff_t)k4 * 4 * EDGEC_QDOT_NR, edgec_vi8_load(r),
                           left > 1 ? edgec_vi8_load(r + rs) : edgec_vi8_splat(0),
                           left > 2 ? edgec_vi8_load(r + 2 * rs) : edgec_vi8_splat(0), edgec_vi8_splat(0));
      k4++;
    }
    for (; k4 < K4; k4++) {
      int8_t *EDGEC_RESTRICT o = out + (ptrdiff_t)k4 * 4 * EDGEC_QDOT_NR;
      for (j = 0; j < EDGEC_QDOT_NR; j++)
        for (q = 0; q < 4; q++) o[4 * j + q] = j < nr && 4 * k4 + q < K ? bj[(ptrdiff_t)(4 * k4 + q) * rs + j] : 0;
    }
    out += (ptrdiff_t)K4 * 4 * EDGEC_QDOT_NR;
  }
}

/* The tile's accumulators as named variables, row r vector v: c<r><v>. */
#if EDGEC_QDOT_MR == 4
#define EDGEC_QDOT_EACH(X) X(0, 0) X(0, 1) X(0, 2) X(0, 3) X(1, 0) X(1, 1) X(1, 2) X(1, 3) \
  X(2, 0) X(2, 1) X(2, 2) X(2, 3) X(3, 0) X(3, 1) X(3, 2) X(3, 3)
#define EDGEC_QDOT_ROWS(X) X(0) X(1) X(2) X(3)
#elif EDGEC_QDOT_MR == 2
#define EDGEC_QDOT_EACH(X) X(0, 0) X(0, 1) X(0, 2) X(0, 3) X(1, 0) X(1, 1) X(1, 2) X(1, 3)
#define EDGEC_QDOT_ROWS(X) X(0) X(1)
#else
#error "qdot.h: EDGEC_QDOT_MR must be 2 or 4"
#endif

/* What the micro-kernel does with its int32 tile: requantize per row (convolution: rows are output channels),
 * requantize per column (Gemm/MatMul: columns are output channels), or store int32 plus a per-column correction
 * (a classifier head's accumulators; the correction, e->bias, is the folded activation zero point). */
enum { EDGEC_QDOT_ROWQ = 0, EDGEC_QDOT_COLQ = 1, EDGEC_QDOT_COL32 = 2 };
/* Mode flags (or-ed into the mode): the epilogue has left shifts; it clamps to an activation range narrower than
 * int8. Tile loops are instantiated per flag set, so both are constants in the per-row epilogue. */
enum { EDGEC_QDOT_LSH = 4, EDGEC_QDOT_CLAMP = 8 };
#define EDGEC_QDOT_BASE(mode) ((mode) & 3)

/* Store the first nr of 16 int8 at y. */
EDGEC_INLINE void edgec_qdot_store8(int8_t *y, edgec_vi8 o, int nr) {
  if (nr == EDGEC_QDOT_NR) {
    edgec_vi8_store(y, o);
  } else {
    int8_t t[16];
    edgec_vi8_store(t, o);
    memcpy(y, t, (size_t)nr);
  }
}

/* The [lo, hi] clamp of a fused activation, under EDGEC_QDOT_CLAMP (the int8 saturation already gives [-128, 127]). */
EDGEC_INLINE edgec_vi8 edgec_qdot_clamp(edgec_vi8 o, const edgec_qepi *e, int mode) {
  if (!(mode & EDGEC_QDOT_CLAMP)) return o;
  return edgec_vi8_min(edgec_vi8_max(o, edgec_vi8_splat((int8_t)e->lo)), edgec_vi8_splat((int8_t)e->hi));
}

/* The flags of an epilogue. */
EDGEC_INLINE int edgec_qdot_flags(const edgec_qepi *e) {
  return (e->lsh ? EDGEC_QDOT_LSH : 0) | (e->lo > -128 || e->hi < 127 ? EDGEC_QDOT_CLAMP : 0);
}

/* 16 int32 of channel ch (bias already accumulated) through the per-row epilogue, exactly as edgec_q_out1. */
EDGEC_INLINE edgec_vi8 edgec_qdot_requant16_row(edgec_vi32 x0, edgec_vi32 x1, edgec_vi32 x2, edgec_vi32 x3,
                                                const edgec_qepi *e, int ch, int mode) {
  const edgec_vi32 vm = edgec_vi32_load1(e->mult + ch);
  const int32_t rs = e->rsh[ch];
  if (mode & EDGEC_QDOT_LSH) {
    const edgec_vi32 vl = edgec_vi32_load1(e->lsh + ch);
    x0 = edgec_vi32_shl(x0, vl); x1 = edgec_vi32_shl(x1, vl); x2 = edgec_vi32_shl(x2, vl); x3 = edgec_vi32_shl(x3, vl);
  }
  x0 = edgec_vi32_srdhm(x0, vm); x1 = edgec_vi32_srdhm(x1, vm); x2 = edgec_vi32_srdhm(x2, vm); x3 = edgec_vi32_srdhm(x3, vm);
  if (rs > 0) {
    const edgec_vi32 vr = edgec_vi32_load1(e->rsh + ch);
    x0 = edgec_vi32_rdivpot_pos(x0, vr); x1 = edgec_vi32_rdivpot_pos(x1, vr);
    x2 = edgec_vi32_rdivpot_pos(x2, vr); x3 = edgec_vi32_rdivpot_pos(x3, vr);
  }
  return edgec_qdot_clamp(edgec_vi8_from_i32(x0, x1, x2, x3, e->zy), e, mode);
}

/* 16 int32 of columns col0.. (bias already accumulated) through the per-column epilogue (vector parameters; the
 * arrays have 16 entries of slack). */
EDGEC_INLINE edgec_vi8 edgec_qdot_requant16_cols(edgec_vi32 x0, edgec_vi32 x1, edgec_vi32 x2, edgec_vi32 x3,
                                                 const edgec_qepi *e, int col0, int mode) {
  edgec_vi32 x[4];
  int v;
  x[0] = x0; x[1] = x1; x[2] = x2; x[3] = x3;
  for (v = 0; v < 4; v++) {
    const int c = col0 + 4 * v;
    if (mode & EDGEC_QDOT_LSH) x[v] = edgec_vi32_shl(x[v], edgec_vi32_load(e->lsh + c));
    x[v] = edgec_vi32_rdivpot(edgec_vi32_srdhm(x[v], edgec_vi32_load(e->mult + c)), edgec_vi32_load(e->rsh + c));
  }
  return edgec_qdot_clamp(edgec_vi8_from_i32(x[0], x[1], x[2], x[3], e->zy), e, mode);
}

/* One row of the tile (16 int32 x0..x3, bias included) out: row `row` and columns col0.. of the product, at y. */
EDGEC_INLINE void edgec_qdot_out_row(edgec_vi32 x0, edgec_vi32 x1, edgec_vi32 x2, edgec_vi32 x3, const edgec_qepi *e,
                                     int mode, int row, int col0, void *y, int nr) {
  if (EDGEC_QDOT_BASE(mode) == EDGEC_QDOT_ROWQ) {
    edgec_qdot_store8((int8_t *)y, edgec_qdot_requant16_row(x0, x1, x2, x3, e, row, mode), nr);
  } else if (EDGEC_QDOT_BASE(mode) == EDGEC_QDOT_COLQ) {
    edgec_qdot_store8((int8_t *)y, edgec_qdot_requant16_cols(x0, x1, x2, x3, e, col0, mode), nr);
  } else if (nr == EDGEC_QDOT_NR) {
    int32_t *t = (int32_t *)y;
    edgec_vi32_store(t, x0); edgec_vi32_store(t + 4, x1); edgec_vi32_store(t + 8, x2); edgec_vi32_store(t + 12, x3);
  } else {
    int32_t t[16];
    edgec_vi32_store(t, x0); edgec_vi32_store(t + 4, x1); edgec_vi32_store(t + 8, x2); edgec_vi32_store(t + 12, x3);
    memcpy(y, t, (size_t)nr * sizeof(int32_t));
  }
}

/* The bias the tile starts from: vector v of row r (per-row mode: the row's bias in every lane; otherwise the
 * columns' biases, or corrections). */
EDGEC_INLINE edgec_vdot edgec_qdot_init(const edgec_qepi *e, int mode, int row, const edgec_vi32 *cols, int v) {
  if (EDGEC_QDOT_BASE(mode) != EDGEC_QDOT_ROWQ) return edgec_vdot_from(cols[v]);
  return e->bias ? edgec_vdot_from(edgec_vi32_load1(e->bias + row)) : edgec_vdot_zero();
}

/* The column biases of a tile at col0 (zero in per-row mode or without bias). */
EDGEC_INLINE void edgec_qdot_col_bias(const edgec_qepi *e, int mode, int col0, edgec_vi32 cols[4]) {
  int v;
  for (v = 0; v < 4; v++)
    cols[v] = EDGEC_QDOT_BASE(mode) != EDGEC_QDOT_ROWQ && e->bias ? edgec_vi32_load(e->bias + col0 + 4 * v) : edgec_vi32_zero();
}

/* Micro-kernel: the MR x NR tile of A panel a times B panel b over K4 k-quads, written out by `mode` into y (row
 * stride ldy elements; the top-left mr x nr part), the tile being rows row0.. and columns col0.. of the product.
 * Inlined into one loop per mode (edgec_qdot_tiles), so the mode is a constant there. */
EDGEC_INLINE void edgec_qdot_ukr(int K4, const int8_t *EDGEC_RESTRICT a, const int8_t *EDGEC_RESTRICT b,
                                        void *y, ptrdiff_t ldy, int mr, int nr, const edgec_qepi *e, int mode, int row0,
                                        int col0) {
  const size_t es = EDGEC_QDOT_BASE(mode) == EDGEC_QDOT_COL32 ? sizeof(int32_t) : 1;
  edgec_vi32 cols[4];
  int k;
  edgec_qdot_col_bias(e, mode, col0, cols);
  {
#define EDGEC_QDOT_INIT(r, v) edgec_vdot c##r##v = edgec_qdot_init(e, mode, row0 + r, cols, v);
    EDGEC_QDOT_EACH(EDGEC_QDOT_INIT)
#undef EDGEC_QDOT_INIT
    /* One k-quad: rows 0..MR-1 of A, 4 bytes each (MR 2 reads the next quad too: slack), times 16 columns of B. */
#define EDGEC_QDOT_ACC(r, v) c##r##v = edgec_vdot_acc_lane(c##r##v, b##v, av, r);
#define EDGEC_QDOT_STEP(o)                                                                                             \
  {                                                                                                                    \
    const edgec_vi8 av = edgec_vi8_load(a + (o) * 4 * EDGEC_QDOT_MR);                                                  \
    const int8_t *bo = b + (o) * 4 * EDGEC_QDOT_NR;                                                                    \
    const edgec_vi8 b0 = edgec_vi8_load(bo), b1 = edgec_vi8_load(bo + 16), b2 = edgec_vi8_load(bo + 32),               \
                    b3 = edgec_vi8_load(bo + 48);                                                                      \
    EDGEC_QDOT_EACH(EDGEC_QDOT_ACC)                                                                                    \
  }
    for (k = 0; k + 2 <= K4; k += 2) {
      EDGEC_QDOT_STEP(0)
      EDGEC_QDOT_STEP(1)
      a += 8 * EDGEC_QDOT_MR;
      b += 8 * EDGEC_QDOT_NR;
    }
    if (k < K4) {
      EDGEC_QDOT_STEP(0)
    }
#undef EDGEC_QDOT_STEP
#undef EDGEC_QDOT_ACC
#define EDGEC_QDOT_OUT(r)                                                                                              \
  if (r < mr)                                                                                                          \
    edgec_qdot_out_row(edgec_vdot_sum(c##r##0), edgec_vdot_sum(c##r##1), edgec_vdot_sum(c##r##2),                      \
                       edgec_vdot_sum(c##r##3), e, mode, row0 + r, col0, (char *)y + (size_t)r * ldy * es, nr);
    EDGEC_QDOT_ROWS(EDGEC_QDOT_OUT)
#undef EDGEC_QDOT_OUT
  }
}

/* One row (a GEMV): a holds K4 quads contiguously (16 bytes of slack), 16 columns of B panel b. */
EDGEC_INLINE void edgec_qdot_ukr1(int K4, const int8_t *EDGEC_RESTRICT a, const int8_t *EDGEC_RESTRICT b,
                                         void *y, int nr, const edgec_qepi *e, int mode, int row0, int col0) {
  edgec_vi32 cols[4];
  edgec_vdot c0, c1, c2, c3;
  int k = 0;
  edgec_qdot_col_bias(e, mode, col0, cols);
  c0 = edgec_qdot_init(e, mode, row0, cols, 0);
  c1 = edgec_qdot_init(e, mode, row0, cols, 1);
  c2 = edgec_qdot_init(e, mode, row0, cols, 2);
  c3 = edgec_qdot_init(e, mode, row0, cols, 3);
  for (; k + 4 <= K4; k += 4) {
    const edgec_vi8 av = edgec_vi8_load(a);
#define EDGEC_QDOT_Q(q)                                                                                                \
  c0 = edgec_vdot_acc_lane(c0, edgec_vi8_load(b + 64 * q), av, q);                                                     \
  c1 = edgec_vdot_acc_lane(c1, edgec_vi8_load(b + 64 * q + 16), av, q);                                                \
  c2 = edgec_vdot_acc_lane(c2, edgec_vi8_load(b + 64 * q + 32), av, q);                                                \
  c3 = edgec_vdot_acc_lane(c3, edgec_vi8_load(b + 64 * q + 48), av, q);
    EDGEC_QDOT_Q(0) EDGEC_QDOT_Q(1) EDGEC_QDOT_Q(2) EDGEC_QDOT_Q(3)
    a += 16;
    b += 4 * 4 * EDGEC_QDOT_NR;
  }
  for (; k < K4; k++) {
    const edgec_vi8 av = edgec_vi8_load(a);
    EDGEC_QDOT_Q(0)
#undef EDGEC_QDOT_Q
    a += 4;
    b += 4 * EDGEC_QDOT_NR;
  }
  edgec_qdot_out_row(edgec_vdot_sum(c0), edgec_vdot_sum(c1), edgec_vdot_sum(c2), edgec_vdot_sum(c3), e, mode, row0,
                     col0, y, nr);
}

/* The tiles of Y[M][N] = A B for one mode: packed A panels (panel i at ap + i * aps; with row1, M is 1 and ap holds
 * the row's quads contiguously) by packed B panels (panel j at bp + j * bps) over K4 k-quads. */
#define EDGEC_QDOT_TILES(NAME, MODE)                                                                                   \
  static EDGEC_UNUSED void NAME(int M, int N, int K4, const int8_t *ap, ptrdiff_t aps, const int8_t *bp, ptrdiff_t bps, \
                                void *y, ptrdiff_t ldy, const edgec_qepi *ep, int row1, int row0, int col0) {          \
    const edgec_qepi ec = *ep, *e = &ec; /* a local copy: the int8 stores cannot alias it, so nothing is reloaded */  \
    const size_t es = EDGEC_QDOT_BASE(MODE) == EDGEC_QDOT_COL32 ? sizeof(int32_t) : 1;                                 \
    int i, j;                                                                                                          \
    for (j = 0; j < N; j += EDGEC_QDOT_NR) {                                                                           \
      const int nr = N - j < EDGEC_QDOT_NR ? N - j : EDGEC_QDOT_NR;                                                    \
      const int8_t *b = bp + (ptrdiff_t)(j / EDGEC_QDOT_NR) * bps;                                                     \
      if (row1) {                                                                                                      \
        edgec_qdot_ukr1(K4, ap, b, (char *)y + (size_t)j * es, nr, e, (MODE), row0, col0 + j);                         \
        continue;                                                                                                      \
      }                                                                                                                \
      for (i = 0; i < M; i += EDGEC_QDOT_MR) {                                                                         \
        const int mr = M - i < EDGEC_QDOT_MR ? M - i : EDGEC_QDOT_MR;                                                  \
        edgec_qdot_ukr(K4, ap + (ptrdiff_t)(i / EDGEC_QDOT_MR) * aps, b, (char *)y + ((size_t)i * ldy + j) * es, ldy,  \
                       mr, nr, e, (MODE), row0 + i, col0 + j);                                                         \
      }                                                                                                                \
    }                                                                                                                  \
  }
EDGEC_QDOT_TILES(edgec_qdot_tiles_rowq, EDGEC_QDOT_ROWQ)
EDGEC_QDOT_TILES(edgec_qdot_tiles_rowq_l, EDGEC_QDOT_ROWQ | EDGEC_QDOT_LSH)
EDGEC_QDOT_TILES(edgec_qdot_tiles_rowq_c, EDGEC_QDOT_ROWQ | EDGEC_QDOT_CLAMP)
EDGEC_QDOT_TILES(edgec_qdot_tiles_rowq_lc, EDGEC_QDOT_ROWQ | EDGEC_QDOT_LSH | EDGEC_QDOT_CLAMP)
/* Per column (Gemm/MatMul: small products), the flags stay run-time values. */
EDGEC_QDOT_TILES(edgec_qdot_tiles_colq, EDGEC_QDOT_COLQ | (ec.lsh ? EDGEC_QDOT_LSH : 0) | EDGEC_QDOT_CLAMP)
EDGEC_QDOT_TILES(edgec_qdot_tiles_col32, EDGEC_QDOT_COL32)
#undef EDGEC_QDOT_TILES

/* Y[M][N] (row stride ldy elements) = A B written out by `mode` (see the tiles above); the product's rows and
 * columns start at row0 and col0 of the epilogue's channels. */
EDGEC_INLINE void edgec_qdot_gemm_to(int M, int N, int K4, const int8_t *ap, ptrdiff_t aps, const int8_t *bp,
                                     ptrdiff_t bps, void *y, ptrdiff_t ldy, const edgec_qepi *e, int mode, int row1,
                                     int row0, int col0) {
  if (mode == EDGEC_QDOT_ROWQ) {
    const int f = edgec_qdot_flags(e);
    if (f == 0) edgec_qdot_tiles_rowq(M, N, K4, ap, aps, bp, bps, y, ldy, e, 0, row0, col0);
    else if (f == EDGEC_QDOT_LSH) edgec_qdot_tiles_rowq_l(M, N, K4, ap, aps, bp, bps, y, ldy, e, 0, row0, col0);
    else if (f == EDGEC_QDOT_CLAMP) edgec_qdot_tiles_rowq_c(M, N, K4, ap, aps, bp, bps, y, ldy, e, 0, row0, col0);
    else edgec_qdot_tiles_rowq_lc(M, N, K4, ap, aps, bp, bps, y, ldy, e, 0, row0, col0);
  }
  else if (mode == EDGEC_QDOT_COLQ) edgec_qdot_tiles_colq(M, N, K4, ap, aps, bp, bps, y, ldy, e, row1, row0, col0);
  else edgec_qdot_tiles_col32(M, N, K4, ap, aps, bp, bps, y, ldy, e, row1, row0, col0);
}

/* The convolution's product: requantized per row (output channel). */
EDGEC_INLINE void edgec_qdot_gemm(int M, int N, int K4, const int8_t *ap, ptrdiff_t aps, const int8_t *bp, ptrdiff_t bps,
                                  int8_t *y, ptrdiff_t ldy, const edgec_qepi *e, int row0) {
  edgec_qdot_gemm_to(M, N, K4, ap, aps, bp, bps, y, ldy, e, EDGEC_QDOT_ROWQ, 0, row0, 0);
}

/* Bytes of packed A for M x K (EDGEC_QDOT_MR-row panels, or one row of quads), with 16 bytes of slack. */
#define EDGEC_QDOT_APACK(M, K) \
  ((ptrdiff_t)((M) == 1 ? 1 : ((M) + EDGEC_QDOT_MR - 1) / EDGEC_QDOT_MR * EDGEC_QDOT_MR) * (((K) + 3) / 4) * 4 + 16)

/* Pack rows [0, M) x k [0, K) of raw int8 (element (i, k) at a[i*rs + k*cs]) into A panels (one row: its quads),
 * zero padded. */
static EDGEC_UNUSED void edgec_qdot_pack_a(int M, int K, const int8_t *EDGEC_RESTRICT a, ptrdiff_t rs, ptrdiff_t cs,
                                           int8_t *EDGEC_RESTRICT out) {
  const int K4 = (K + 3) / 4, mr = M == 1 ? 1 : EDGEC_QDOT_MR;
  int i0, k4, r, q;
  for (i0 = 0; i0 < M; i0 += mr)
    for (k4 = 0; k4 < K4; k4++)
      for (r = 0; r < mr; r++) {
        const int i = i0 + r;
        const int8_t *ai = a + (ptrdiff_t)i * rs;
        for (q = 0; q < 4; q++) {
          const int k = 4 * k4 + q;
          *out++ = i < M && k < K ? ai[(ptrdiff_t)k * cs] : 0;
        }
      }
}

#if !defined(EDGEC_QDOT_PAIRS)
#define EDGEC_QDOT_PAIRS 0
#endif
#if EDGEC_QDOT_PAIRS
#include "qpair.h"
#endif

/* int8 Gemm/MatMul by constant weights: Y[M][N] = A[M][K] (element (i, k) at a[i*rs + k*cs]) times the weights in B
 * panels (bp, zero point 0; the activation zero point folded into e's bias), requantized per column into y8, or as
 * int32 plus the correction e->bias into y32 (e then carries only that). scratch: EDGEC_QDOT_APACK(M, K) bytes (under
 * EDGEC_QDOT_PAIRS with M > 1: rounded up to 16, then EDGEC_QPAIR_PANEL(K4) int16). */
static EDGEC_UNUSED void edgec_qdot_linear(int M, int N, int K, const int8_t *a, ptrdiff_t rs, ptrdiff_t cs,
                                           const int8_t *bp, int8_t *y8, int32_t *y32, const edgec_qepi *e,
                                           void *scratch) {
  const int K4 = (K + 3) / 4;
  int8_t *ap = (int8_t *)scratch;
  edgec_qdot_pack_a(M, K, a, rs, cs, ap);
  if (M == 1) memset(ap + 4 * K4, 0, 16);
#if EDGEC_QDOT_PAIRS /* the pair panel follows packed A in scratch (EDGEC_QPAIR_PANEL(K4) more int16) */
  if (M > 1) {
    edgec_qpair_linear(M, N, K4, ap, (ptrdiff_t)4 * EDGEC_QDOT_MR * K4, bp, (ptrdiff_t)4 * EDGEC_QDOT_NR * K4,
                       y32 ? (void *)y32 : (void *)y8, e, y32 ? EDGEC_QDOT_COL32 : EDGEC_QDOT_COLQ,
                       (int16_t *)(void *)(ap + (EDGEC_QDOT_APACK(M, K) + 15) / 16 * 16));
    return;
  }
#endif
  edgec_qdot_gemm_to(M, N, K4, ap, (ptrdiff_t)4 * EDGEC_QDOT_MR * K4, bp, (ptrdiff_t)4 * EDGEC_QDOT_NR * K4,
                     y32 ? (void *)y32 : (void *)y8, N, e, y32 ? EDGEC_QDOT_COL32 : EDGEC_QDOT_COLQ, M == 1, 0, 0);
}

/* im2col of output rows [oh0, oh1) into col (row (ci, kh, kw) at col + ((ci * KH + kh) * KW + kw) * ldb), padding
 * with zx: edgec_qconv2d_im2col with the stride-2 gather on the vocabulary (even-byte loads, while 32 input bytes
 * stay inside the row). */
EDGEC_INLINE void edgec_qdot_im2col(const int8_t *EDGEC_RESTRICT x, int Cg, int H, int W, int OW, int KH, int KW, int SH,
                                    int SW, int DH, int DW, int PT, int PL, int oh0, int oh1, int zx,
                                    int8_t *EDGEC_RESTRICT col, ptrdiff_t ldb) {
  int ci, kh, kw, oh, ow;
  if (SW != 2) {
    edgec_qconv2d_im2col(x, Cg, H, W, OW, KH, KW, SH, SW, DH, DW, PT, PL, oh0, oh1, zx, col, ldb);
    return;
  }
  for (ci = 0; ci < Cg; ci++)
    for (kh = 0; kh < KH; kh++)
      for (kw = 0; kw < KW; kw++) {
        int8_t *row = col + ((ptrdiff_t)(ci * KH + kh) * KW + kw) * ldb;
        const int off = kw * DW - PL;
        int lo, hi;
        edgec_qconv_range(OW, 2, off, W, &lo, &hi);
        for (oh = oh0; oh < oh1; oh++) {
          int8_t *EDGEC_RESTRICT d = row + (ptrdiff_t)(oh - oh0) * OW;
          const int ih = oh * SH - PT + kh * DH;
          if (ih < 0 || ih >= H) {
            memset(d, zx, (size_t)OW);
            continue;
          }
          for (ow = 0; ow < lo; ow++) d[ow] = (int8_t)zx;
          if (hi > lo) {
            const int8_t *EDGEC_RESTRICT s = x + ((ptrdiff_t)ci * H + ih) * W + (ptrdiff_t)lo * 2 + off;
            const ptrdiff_t room = (ptrdiff_t)W - ((ptrdiff_t)lo * 2 + off); /* input bytes from s to the row end */
            ow = lo;
            for (; ow + 16 <= hi && (ptrdiff_t)(ow - lo) * 2 + 32 <= room; ow += 16)
              edgec_vi8_store(d + ow, edgec_vi8_load_even(s + 2 * (ow - lo)));
            /* The last 16 columns at once (overlapping the ones done) when their 32 bytes stay inside the row. */
            if (ow < hi && hi - lo >= 16 && (ptrdiff_t)(hi - 16 - lo) * 2 + 32 <= room) {
              edgec_vi8_store(d + hi - 16, edgec_vi8_load_even(s + 2 * (hi - 16 - lo)));
              ow = hi;
            }
            for (; ow < hi; ow++) d[ow] = s[(ptrdiff_t)(ow - lo) * 2];
          }
          for (ow = hi; ow < OW; ow++) d[ow] = (int8_t)zx;
        }
      }
}

/* 2-D int8 convolution on the dot GEMM. ap: per-group packed weights (A panels over Kg = C/G*KH*KW, group g at
 * ap + g * gstride bytes); e: per-output-channel epilogue whose bias includes -zx * sum(w). A 1x1 / stride 1 / no-pad
 * conv packs X directly in blocks of `blk` pixels; any other conv runs im2col (padding zx) over blocks of `blk` output
 * rows. scratch: the im2col block (EDGEC_QCOL_LD bytes per row, non-pointwise only), then the packed B block. */
EDGEC_INLINE void edgec_qconv2d_dot(const int8_t *x, const int8_t *ap, ptrdiff_t gstride, const edgec_qepi *e, int8_t *y,
                                    int N, int C, int H, int W, int M, int OH, int OW, int G, int KH, int KW, int SH,
                                    int SW, int DH, int DW, int PT, int PL, int zx, void *scratch, int blk) {
  const int cg = C / G, mg = M / G, kg = cg * KH * KW, k4 = (kg + 3) / 4;
  const ptrdiff_t hw = (ptrdiff_t)H * W, ohw = (ptrdiff_t)OH * OW;
  const ptrdiff_t aps = (ptrdiff_t)4 * EDGEC_QDOT_MR * k4, bps = (ptrdiff_t)4 * EDGEC_QDOT_NR * k4;
  const int pointwise = KH == 1 && KW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && OH == H && OW == W;
  const ptrdiff_t colbytes = pointwise ? 0 : (ptrdiff_t)kg * EDGEC_QCOL_LD(blk * OW);
  int8_t *col = (int8_t *)scratch;
  int8_t *bpack = (int8_t *)scratch + colbytes;
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
#if EDGEC_QDOT_PAIRS /* two panels of int8 B hold one pair panel */
          if (ncols > EDGEC_QDOT_NR) {
            edgec_qpair_gemm(mg, ncols, kg, apg, aps, xg + p0, hw, yg + p0, ohw, e, g * mg, (int16_t *)(void *)bpack);
            continue;
          }
#endif
          edgec_qdot_pack_b(kg, ncols, xg + p0, hw, bpack);
          edgec_qdot_gemm(mg, ncols, k4, apg, aps, bpack, bps, yg + p0, ohw, e, g * mg);
        }
      } else {
        int oh0;
        for (oh0 = 0; oh0 < OH; oh0 += blk) {
          const int oh1 = OH - oh0 < blk ? OH : oh0 + blk;
          const int ncols = (oh1 - oh0) * OW;
          const ptrdiff_t ldb = EDGEC_QCOL_LD(ncols);
          edgec_qdot_im2col(xg, cg, H, W, OW, KH, KW, SH, SW, DH, DW, PT, PL, oh0, oh1, zx, col, ldb);
#if EDGEC_QDOT_PAIRS
          if (ncols > EDGEC_QDOT_NR) {
            edgec_qpair_gemm(mg, ncols, kg, apg, aps, col, ldb, yg + (ptrdiff_t)oh0 * OW, ohw, e, g * mg,
                             (int16_t *)(void *)bpack);
            continue;
          }
#endif
          edgec_qdot_pack_b(kg, ncols, col, ldb, bpack);
          edgec_qdot_gemm(mg, ncols, k4, apg, aps, bpack, bps, yg + (ptrdiff_t)oh0 * OW, ohw, e, g * mg);
        }
      }
    }
  }
}

#endif
