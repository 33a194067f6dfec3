/* edgec int8 convolution product on 2-term int16 dot products (the vocabulary's edgec_vi32_dot2: WebAssembly
 * i32x4.dot_i16x8_s), for vocabularies whose 8-bit dot would widen both operands at every tap (EDGEC_QDOT_PAIRS).
 * The activations are widened once per 16-column panel into int16 k-pairs, so each dot does 8 multiply-adds with no
 * widening in the inner loop; the weights stay qdot.h's A panels (int8 k-quads of EDGEC_QDOT_MR = 2 rows), one 8-byte
 * widening load per quad of both rows. The 2 x 16 tile holds 8 accumulators, one B vector, the weights and their two
 * pair splats in V8's 16 vector registers (15 allocatable on x64) with room to spare (measured ~1.3x faster than
 * keeping the tile's 4 B vectors live). Included by qdot.h; the sums equal qdot.h's (int32 wrapping adds in another
 * order).
 *
 * Pair panel (16 columns over K4 k-quads): int16 [2 * K4][16][2], element (k, j) at [k / 2][j][k % 2], zero padded. */
#ifndef EDGEC_KERNEL_QPAIR_H
#define EDGEC_KERNEL_QPAIR_H

#if EDGEC_QDOT_MR != 2
#error "qpair.h: the pair micro-kernel is written for EDGEC_QDOT_MR 2 (two rows of A per 8-byte quad load)"
#endif

/* int16 elements of one pair panel over K4 k-quads. */
#define EDGEC_QPAIR_PANEL(K4) ((ptrdiff_t)(K4) * 4 * EDGEC_QDOT_NR)

/* Pack columns [0, nr) of k-rows [0, K) of raw int8 (element (k, j) at b[k*rs + j]) into one pair panel; two rows of
 * 16 columns at a time interleave and widen in registers (edgec_vi16_zip_i8). */
static EDGEC_UNUSED void edgec_qpair_pack(int K, int nr, const int8_t *EDGEC_RESTRICT b, ptrdiff_t rs,
                                          int16_t *EDGEC_RESTRICT out) {
  const int kpad = 4 * ((K + 3) / 4);
  int k, j;
  if (nr == EDGEC_QDOT_NR) {
    edgec_vi16 v[4];
    for (k = 0; k + 2 <= K; k += 2) {
      int16_t *EDGEC_RESTRICT o = out + (ptrdiff_t)k * EDGEC_QDOT_NR;
      edgec_vi16_zip_i8(edgec_vi8_load(b + (ptrdiff_t)k * rs), edgec_vi8_load(b + (ptrdiff_t)(k + 1) * rs), v);
      edgec_vi16_store(o, v[0]); edgec_vi16_store(o + 8, v[1]); edgec_vi16_store(o + 16, v[2]); edgec_vi16_store(o + 24, v[3]);
    }
    if (k < K) { /* an odd K: the last pair's second row is zero */
      int16_t *EDGEC_RESTRICT o = out + (ptrdiff_t)k * EDGEC_QDOT_NR;
      edgec_vi16_zip_i8(edgec_vi8_load(b + (ptrdiff_t)k * rs), edgec_vi8_splat(0), v);
      edgec_vi16_store(o, v[0]); edgec_vi16_store(o + 8, v[1]); edgec_vi16_store(o + 16, v[2]); edgec_vi16_store(o + 24, v[3]);
      k += 2;
    }
    if (k < kpad) memset(out + (ptrdiff_t)k * EDGEC_QDOT_NR, 0, (size_t)(kpad - k) * EDGEC_QDOT_NR * sizeof(int16_t));
    return;
  }
  for (k = 0; k < kpad; k++)
    for (j = 0; j < EDGEC_QDOT_NR; j++)
      out[(ptrdiff_t)(k / 2) * 2 * EDGEC_QDOT_NR + 2 * j + k % 2] = (int16_t)(j < nr && k < K ? b[(ptrdiff_t)k * rs + j] : 0);
}

/* Micro-kernel: rows row0, row0 + 1 (the first mr) of A panel a times pair panel b over K4 k-quads (columns col0..),
 * written out by qdot.h's `mode` into y (row stride ldy elements; the first nr columns). Inlined into one loop per mode. */
EDGEC_INLINE void edgec_qpair_ukr(int K4, const int8_t *EDGEC_RESTRICT a, const int16_t *EDGEC_RESTRICT b, void *y,
                                  ptrdiff_t ldy, int mr, int nr, const edgec_qepi *e, int mode, int row0, int col0) {
  const size_t es = EDGEC_QDOT_BASE(mode) == EDGEC_QDOT_COL32 ? sizeof(int32_t) : 1;
  edgec_vi32 c00, c01, c02, c03, c10, c11, c12, c13;
  int k;
  if (EDGEC_QDOT_BASE(mode) == EDGEC_QDOT_ROWQ) {
    const edgec_vi32 i0 = e->bias ? edgec_vi32_load1(e->bias + row0) : edgec_vi32_zero();
    const edgec_vi32 i1 = e->bias ? edgec_vi32_load1(e->bias + row0 + 1) : edgec_vi32_zero();
    c00 = c01 = c02 = c03 = i0;
    c10 = c11 = c12 = c13 = i1;
  } else {
    edgec_vi32 cols[4];
    edgec_qdot_col_bias(e, mode, col0, cols);
    c00 = c10 = cols[0]; c01 = c11 = cols[1]; c02 = c12 = cols[2]; c03 = c13 = cols[3];
  }
  for (k = 0; k < K4; k++) {
    /* Both rows' quads widened: pairs (row 0: lanes 0, 1; row 1: lanes 2, 3). */
    const edgec_vi16 aw = edgec_vi16_load_i8(a);
#define EDGEC_QPAIR_STEP(h)                                                                                            \
  {                                                                                                                    \
    const int16_t *bh = b + 32 * (h);                                                                                  \
    const edgec_vi16 s0 = edgec_vi16_dup2(aw, (h)), s1 = edgec_vi16_dup2(aw, 2 + (h));                                 \
    edgec_vi16 bv;                                                                                                     \
    bv = edgec_vi16_load(bh); c00 = edgec_vi32_dot2(c00, bv, s0); c10 = edgec_vi32_dot2(c10, bv, s1);                  \
    bv = edgec_vi16_load(bh + 8); c01 = edgec_vi32_dot2(c01, bv, s0); c11 = edgec_vi32_dot2(c11, bv, s1);              \
    bv = edgec_vi16_load(bh + 16); c02 = edgec_vi32_dot2(c02, bv, s0); c12 = edgec_vi32_dot2(c12, bv, s1);             \
    bv = edgec_vi16_load(bh + 24); c03 = edgec_vi32_dot2(c03, bv, s0); c13 = edgec_vi32_dot2(c13, bv, s1);             \
  }
    EDGEC_QPAIR_STEP(0)
    EDGEC_QPAIR_STEP(1)
#undef EDGEC_QPAIR_STEP
    a += 4 * EDGEC_QDOT_MR;
    b += 4 * EDGEC_QDOT_NR;
  }
  edgec_qdot_out_row(c00, c01, c02, c03, e, mode, row0, col0, y, nr);
  if (mr > 1) edgec_qdot_out_row(c10, c11, c12, c13, e, mode, row0 + 1, col0, (char *)y + (size_t)ldy * es, nr);
}

/* All row pairs of M rows (A panels at ap, aps bytes apart) times one pair panel (columns col0..), for one mode. */
#define EDGEC_QPAIR_ROWS(NAME, MODE)                                                                                   \
  static EDGEC_UNUSED void NAME(int M, int K4, const int8_t *ap, ptrdiff_t aps, const int16_t *bp, void *y,            \
                                ptrdiff_t ldy, int nr, const edgec_qepi *ep, int row0, int col0) {                     \
    const edgec_qepi ec = *ep, *e = &ec; /* a local copy: the int8 stores cannot alias it */                           \
    const size_t es = EDGEC_QDOT_BASE(MODE) == EDGEC_QDOT_COL32 ? sizeof(int32_t) : 1;                                 \
    int i;                                                                                                             \
    for (i = 0; i < M; i += EDGEC_QDOT_MR)                                                                             \
      edgec_qpair_ukr(K4, ap + (ptrdiff_t)(i / EDGEC_QDOT_MR) * aps, bp, (char *)y + (size_t)i * ldy * es, ldy,        \
                      M - i < EDGEC_QDOT_MR ? M - i : EDGEC_QDOT_MR, nr, e, (MODE), row0 + i, col0);                   \
  }
EDGEC_QPAIR_ROWS(edgec_qpair_rows, EDGEC_QDOT_ROWQ)
EDGEC_QPAIR_ROWS(edgec_qpair_rows_l, EDGEC_QDOT_ROWQ | EDGEC_QDOT_LSH)
EDGEC_QPAIR_ROWS(edgec_qpair_rows_c, EDGEC_QDOT_ROWQ | EDGEC_QDOT_CLAMP)
EDGEC_QPAIR_ROWS(edgec_qpair_rows_lc, EDGEC_QDOT_ROWQ | EDGEC_QDOT_LSH | EDGEC_QDOT_CLAMP)
/* Per column (Gemm/MatMul), the flags stay run-time values as in qdot.h. */
EDGEC_QPAIR_ROWS(edgec_qpair_rows_colq, EDGEC_QDOT_COLQ | (ec.lsh ? EDGEC_QDOT_LSH : 0) | EDGEC_QDOT_CLAMP)
EDGEC_QPAIR_ROWS(edgec_qpair_rows_col32, EDGEC_QDOT_COL32)
#undef EDGEC_QPAIR_ROWS

/* The convolution's product Y[M][n] (row stride ldy) = A (packed A panels, aps bytes apart) times columns [0, n) of
 * raw int8 k-rows [0, K) (element (k, j) at b[k*rs + j]), requantized per row (channels from row0): one pair panel of
 * 16 columns at a time in `panel` (EDGEC_QPAIR_PANEL(K4) int16). */
static EDGEC_UNUSED void edgec_qpair_gemm(int M, int n, int K, const int8_t *ap, ptrdiff_t aps, const int8_t *b,
                                          ptrdiff_t rs, int8_t *y, ptrdiff_t ldy, const edgec_qepi *e, int row0,
                                          int16_t *panel) {
  const int K4 = (K + 3) / 4, f = edgec_qdot_flags(e);
  int j;
  for (j = 0; j < n; j += EDGEC_QDOT_NR) {
    const int nr = n - j < EDGEC_QDOT_NR ? n - j : EDGEC_QDOT_NR;
    edgec_qpair_pack(K, nr, b + j, rs, panel);
    if (f == 0) edgec_qpair_rows(M, K4, ap, aps, panel, y + j, ldy, nr, e, row0, 0);
    else if (f == EDGEC_QDOT_LSH) edgec_qpair_rows_l(M, K4, ap, aps, panel, y + j, ldy, nr, e, row0, 0);
    else if (f == EDGEC_QDOT_CLAMP) edgec_qpair_rows_c(M, K4, ap, aps, panel, y + j, ldy, nr, e, row0, 0);
    else edgec_qpair_rows_lc(M, K4, ap, aps, panel, y + j, ldy, nr, e, row0, 0);
  }
}

/* One of qdot.h's int8 B panels (16 columns over K4 k-quads, [K4][16][4]) as a pair panel. */
static EDGEC_UNUSED void edgec_qpair_from_quads(int K4, const int8_t *EDGEC_RESTRICT b, int16_t *EDGEC_RESTRICT out) {
  int k, v;
  for (k = 0; k < K4; k++, b += 4 * EDGEC_QDOT_NR, out += 4 * EDGEC_QDOT_NR)
    for (v = 0; v < 4; v++) {
      edgec_vi16 p[2];
      edgec_vi16_quads_i8(edgec_vi8_load(b + 16 * v), p);
      edgec_vi16_store(out + 8 * v, p[0]);
      edgec_vi16_store(out + 2 * EDGEC_QDOT_NR + 8 * v, p[1]);
    }
}

/* Gemm/MatMul by constant weights on pair panels: Y[M][N] (row stride N) = packed A (qdot.h's A panels of the
 * activations, aps bytes apart) times qdot.h's B panels of the weights (bps bytes apart), each widened into `panel`
 * (EDGEC_QPAIR_PANEL(K4) int16) before its row pairs run; written out per column (mode COLQ or COL32). */
static EDGEC_UNUSED void edgec_qpair_linear(int M, int N, int K4, const int8_t *ap, ptrdiff_t aps, const int8_t *bp,
                                            ptrdiff_t bps, void *y, const edgec_qepi *e, int mode, int16_t *panel) {
  const size_t es = mode == EDGEC_QDOT_COL32 ? sizeof(int32_t) : 1;
  int j;
  for (j = 0; j < N; j += EDGEC_QDOT_NR) {
    const int nr = N - j < EDGEC_QDOT_NR ? N - j : EDGEC_QDOT_NR;
    edgec_qpair_from_quads(K4, bp + (ptrdiff_t)(j / EDGEC_QDOT_NR) * bps, panel);
    if (mode == EDGEC_QDOT_COL32) edgec_qpair_rows_col32(M, K4, ap, aps, panel, (char *)y + (size_t)j * es, N, nr, e, 0, j);
    else edgec_qpair_rows_colq(M, K4, ap, aps, panel, (char *)y + (size_t)j * es, N, nr, e, 0, j);
  }
}

#endif
