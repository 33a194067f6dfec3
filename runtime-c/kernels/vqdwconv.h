/* edgec int8 depthwise 2-D convolution (NCHW, TFLite int8 scheme) on the vector vocabulary's 4-byte dot products
 * (runtime-c/simd): one SDOT per 4 outputs x 4 kernel rows on NEON with dotprod, vmull_s8 + vpadalq_s16 without it,
 * i32x4.dot_i16x8 on WASM SIMD128, plain C in the portable vocabulary.
 *
 * Each input channel is copied into a padded int8 plane (padding = zx), then into a plane of row quads: quad row q
 * holds, for every padded column, the 4 bytes of padded rows 2q .. 2q + 3 (split into SW column phases so strided
 * convs read contiguous quads). Output row oh starts at padded row oh*SH = 2*q0 + s (phase s = 0 or 1); its kernel
 * rows are the groups j < J of quad rows q0 + 2j, each weighted by the quad (w[4j - s], .., w[4j + 3 - s]) of one
 * kernel column (zero outside the kernel), so a tap column of 4 outputs is one 4-byte dot. With stride 1, rows oh and
 * oh + 1 read the same quads (phases 0 and 1) and share the loads. Weights are raw int8 (zero point 0) and the
 * activation zero point is folded into the bias at compile time (sum (x - zx) w = sum x w - zx sum w); padding with
 * zx then adds nothing, and groups of kernel rows wholly in the vertical padding are skipped (their zx * weight sum,
 * computed at compile time, joins the bias). Accumulators are requantized per channel as edgec_q_out1 (qdot.h).
 * C99, no malloc, no globals, no VLAs. */
#ifndef EDGEC_KERNEL_VQDWCONV_H
#define EDGEC_KERNEL_VQDWCONV_H

#include "qdot.h"

/* Most taps (groups of 4 kernel rows x kernel columns) the kernel takes. */
#define EDGEC_VQDW_MAXTAPS 64
/* Groups of 4 kernel rows one output row spans (odd vertical strides start at odd padded rows too). */
#define EDGEC_VQDW_J(KH, SH) (((KH) + ((SH) & 1) + 3) / 4)
/* Quads per column phase of a quad row: whole 16-output chunks plus the tap reach, in whole 16-quad blocks. */
#define EDGEC_VQDW_PW(OW, KW, SW, DW) \
  ((((ptrdiff_t)(OW) + 15) / 16 * 16 + (ptrdiff_t)((KW) - 1) * (DW) / (SW) + 15) / 16 * 16)
/* Quad rows of the plane. */
#define EDGEC_VQDW_NQ(OH, KH, SH) ((ptrdiff_t)((OH) - 1) * (SH) / 2 + 2 * (EDGEC_VQDW_J(KH, SH) - 1) + 1)
/* Bytes per row of the padded channel copy (the quad builder reads whole vectors past the last column). */
#define EDGEC_VQDW_PADW(W, PL, OW, KW, SW, DW)                                                                        \
  (((ptrdiff_t)(SW) * EDGEC_VQDW_PW(OW, KW, SW, DW) > (ptrdiff_t)(PL) + (W) ? (ptrdiff_t)(SW) * EDGEC_VQDW_PW(OW, KW, SW, DW) \
                                                                          : (ptrdiff_t)(PL) + (W)) + 32)
/* Bytes of the scratch sections: the padded copy (2 NQ + 2 rows), then the quad plane. */
#define EDGEC_VQDW_PAD_BYTES(H, W, PL, OH, OW, KH, KW, SH, SW, DW) \
  (((2 * EDGEC_VQDW_NQ(OH, KH, SH) + 2) * EDGEC_VQDW_PADW(W, PL, OW, KW, SW, DW) + 15) / 16 * 16)
#define EDGEC_VQDW_PLANE_BYTES(OH, OW, KH, KW, SH, SW, DW) \
  ((ptrdiff_t)4 * EDGEC_VQDW_NQ(OH, KH, SH) * (SW) * EDGEC_VQDW_PW(OW, KW, SW, DW))
/* Bytes of scratch edgec_qconv2d_vdw needs. */
#define EDGEC_VQDW_SCRATCH(H, W, PL, OH, OW, KH, KW, SH, SW, DW) \
  (EDGEC_VQDW_PAD_BYTES(H, W, PL, OH, OW, KH, KW, SH, SW, DW) + EDGEC_VQDW_PLANE_BYTES(OH, OW, KH, KW, SH, SW, DW))

/* Quad rows [q0, q1) of one channel's plane from its padded copy pad (rows pw8 bytes apart); SW phases of pw quads
 * per row, phase p quad c holding padded column c*SW + p of the row's 4 padded rows. */
static EDGEC_UNUSED EDGEC_NOINLINE void edgec_vqdw_quads(const int8_t *EDGEC_RESTRICT pad, ptrdiff_t pw8, ptrdiff_t q0,
                                                        ptrdiff_t q1, int SW, ptrdiff_t pw, int8_t *EDGEC_RESTRICT qp) {
  ptrdiff_t q, c;
  int p;
  for (q = q0; q < q1; q++)
    for (p = 0; p < SW; p++) {
      const int8_t *r0 = pad + 2 * q * pw8 + p, *r1 = r0 + pw8, *r2 = r1 + pw8, *r3 = r2 + pw8;
      int8_t *o = qp + 4 * (q * SW + p) * pw;
      if (SW == 1)
        for (c = 0; c < pw; c += 16)
          edgec_vi8_store_zip4(o + 4 * c, edgec_vi8_load(r0 + c), edgec_vi8_load(r1 + c), edgec_vi8_load(r2 + c),
                               edgec_vi8_load(r3 + c));
      else
        for (c = 0; c < pw; c += 16)
          edgec_vi8_store_zip4(o + 4 * c, edgec_vi8_load_even(r0 + 2 * c), edgec_vi8_load_even(r1 + 2 * c),
                               edgec_vi8_load_even(r2 + 2 * c), edgec_vi8_load_even(r3 + 2 * c));
    }
}

/* A channel's requantization parameters held in registers for a row (the int8 stores could alias e's arrays). */
typedef struct {
  edgec_vi32 vm, vl, vr;
  int rs;
  int32_t zy;
  edgec_vi8 lo, hi;
} edgec_vqdw_rq;

/* Epilogue flag of the row kernels (beside qdot.h's mode flags): the channel's right shift is positive (the rounding
 * shift runs); the rows are instantiated per value, so it is a constant in the 16-output loops. */
enum { EDGEC_VQDW_RSH = 16 };
/* Row flag: taps go two at a time through edgec_vdot_acc2 (their products summed in int16 first: the layer's weights
 * hold no -128, so no byte position pairs two -128 * -128 products). */
enum { EDGEC_VQDW_PAIR = 32 };

/* 16 int32 (bias included) through the per-channel epilogue, exactly as edgec_qdot_requant16_row. */
EDGEC_INLINE edgec_vi8 edgec_vqdw_requant(edgec_vi32 x0, edgec_vi32 x1, edgec_vi32 x2, edgec_vi32 x3,
                                          const edgec_vqdw_rq *q, int mode) {
  edgec_vi8 o;
  if (mode & EDGEC_QDOT_LSH) {
    x0 = edgec_vi32_shl(x0, q->vl); x1 = edgec_vi32_shl(x1, q->vl);
    x2 = edgec_vi32_shl(x2, q->vl); x3 = edgec_vi32_shl(x3, q->vl);
  }
  x0 = edgec_vi32_srdhm(x0, q->vm); x1 = edgec_vi32_srdhm(x1, q->vm);
  x2 = edgec_vi32_srdhm(x2, q->vm); x3 = edgec_vi32_srdhm(x3, q->vm);
  if (mode & EDGEC_VQDW_RSH) {
    x0 = edgec_vi32_rdivpot_pos(x0, q->vr); x1 = edgec_vi32_rdivpot_pos(x1, q->vr);
    x2 = edgec_vi32_rdivpot_pos(x2, q->vr); x3 = edgec_vi32_rdivpot_pos(x3, q->vr);
  }
  o = edgec_vi8_from_i32(x0, x1, x2, x3, q->zy);
  if (mode & EDGEC_QDOT_CLAMP) o = edgec_vi8_min(edgec_vi8_max(o, q->lo), q->hi);
  return o;
}

/* 16 outputs of one row (and the next with TWO) for edgec_vqdw_row: accumulators from ia (ib), T taps (in pairs with
 * EDGEC_VQDW_PAIR), requantized and stored as the first N of 16. */
#define EDGEC_VQDW_CHUNK(TWO, N)                                                                                       \
  {                                                                                                                    \
    const int8_t *r = row + 4 * ow;                                                                                    \
    edgec_vdot a0 = ia, a1 = ia, a2 = ia, a3 = ia, b0 = ib, b1 = ib, b2 = ib, b3 = ib;                                 \
    t = 0;                                                                                                             \
    if (mode & EDGEC_VQDW_PAIR)                                                                                        \
      for (; t + 1 < T; t += 2) {                                                                                      \
        const edgec_vi8x4 x = edgec_vi8_load_x4(r + o[t]), z = edgec_vi8_load_x4(r + o[t + 1]);                        \
        a0 = edgec_vdot_acc2(a0, x.val[0], va[t], z.val[0], va[t + 1]);                                                \
        a1 = edgec_vdot_acc2(a1, x.val[1], va[t], z.val[1], va[t + 1]);                                                \
        a2 = edgec_vdot_acc2(a2, x.val[2], va[t], z.val[2], va[t + 1]);                                                \
        a3 = edgec_vdot_acc2(a3, x.val[3], va[t], z.val[3], va[t + 1]);                                                \
        if (TWO) {                                                                                                     \
          b0 = edgec_vdot_acc2(b0, x.val[0], vb[t], z.val[0], vb[t + 1]);                                              \
          b1 = edgec_vdot_acc2(b1, x.val[1], vb[t], z.val[1], vb[t + 1]);                                              \
          b2 = edgec_vdot_acc2(b2, x.val[2], vb[t], z.val[2], vb[t + 1]);                                              \
          b3 = edgec_vdot_acc2(b3, x.val[3], vb[t], z.val[3], vb[t + 1]);                                              \
        }                                                                                                              \
      }                                                                                                                \
    for (; t < T; t++) {                                                                                               \
      const edgec_vi8x4 x = edgec_vi8_load_x4(r + o[t]);                                                               \
      a0 = edgec_vdot_acc(a0, x.val[0], va[t]); a1 = edgec_vdot_acc(a1, x.val[1], va[t]);                              \
      a2 = edgec_vdot_acc(a2, x.val[2], va[t]); a3 = edgec_vdot_acc(a3, x.val[3], va[t]);                              \
      if (TWO) {                                                                                                       \
        b0 = edgec_vdot_acc(b0, x.val[0], vb[t]); b1 = edgec_vdot_acc(b1, x.val[1], vb[t]);                            \
        b2 = edgec_vdot_acc(b2, x.val[2], vb[t]); b3 = edgec_vdot_acc(b3, x.val[3], vb[t]);                            \
      }                                                                                                                \
    }                                                                                                                  \
    edgec_qdot_store8(y + ow, edgec_vqdw_requant(edgec_vdot_sum(a0), edgec_vdot_sum(a1), edgec_vdot_sum(a2),           \
                                                 edgec_vdot_sum(a3), &q, mode), (N));                                  \
    if (TWO)                                                                                                           \
      edgec_qdot_store8(y + OW + ow, edgec_vqdw_requant(edgec_vdot_sum(b0), edgec_vdot_sum(b1), edgec_vdot_sum(b2),    \
                                                        edgec_vdot_sum(b3), &q, mode), (N));                           \
    (void)b0; (void)b1; (void)b2; (void)b3;                                                                            \
  }

/* One output row (two with `two`: the second from the same quads with phase-1 weights wb) at quad row `row`, 16
 * outputs at a time: T taps at byte offsets off[t] with weight quads wa/wb + 4t, accumulators starting from biases
 * ba/bb, requantized into y (and the next row). The weights, offsets and epilogue parameters are held in locals for
 * the row; the one- and two-row loops are separate (neither carries the other's registers), and whole 16-output
 * chunks store without a length test (the ragged last chunk after the loop). Inlined with T a constant for the common
 * kernels (the tap loops unroll). */
EDGEC_INLINE void edgec_vqdw_row(const int8_t *row, const ptrdiff_t *off, const int8_t *wa, const int8_t *wb, int T,
                                 int two, int32_t ba, int32_t bb, const edgec_vqdw_rq *rq, int mode, int8_t *y,
                                 int OW) {
  const edgec_vdot ia = edgec_vdot_from(edgec_vi32_splat(ba)), ib = edgec_vdot_from(edgec_vi32_splat(bb));
  const edgec_vqdw_rq q = *rq;
  edgec_vi8 va[EDGEC_VQDW_MAXTAPS], vb[EDGEC_VQDW_MAXTAPS];
  ptrdiff_t o[EDGEC_VQDW_MAXTAPS];
  int t, ow;
  for (t = 0; t < T; t++) {
    va[t] = edgec_vi8_splat4(wa + 4 * t);
    vb[t] = two ? edgec_vi8_splat4(wb + 4 * t) : va[t];
    o[t] = off[t];
  }
  if (two) {
    for (ow = 0; ow + 16 <= OW; ow += 16) EDGEC_VQDW_CHUNK(1, 16)
    if (ow < OW) EDGEC_VQDW_CHUNK(1, OW - ow)
  } else {
    for (ow = 0; ow + 16 <= OW; ow += 16) EDGEC_VQDW_CHUNK(0, 16)
    if (ow < OW) EDGEC_VQDW_CHUNK(0, OW - ow)
  }
}
#undef EDGEC_VQDW_CHUNK

/* Taps (t, vector t / 4, lane t % 4) of the unrolled rows: 3 (3x3 kernels), 5 and 10 (5x5 kernels, one or two groups). */
#define EDGEC_VQDW_TAPS3(X) X(0, 0, 0) X(1, 0, 1) X(2, 0, 2)
#define EDGEC_VQDW_TAPS5(X) EDGEC_VQDW_TAPS3(X) X(3, 0, 3) X(4, 1, 0)
#define EDGEC_VQDW_TAPS10(X) EDGEC_VQDW_TAPS5(X) X(5, 1, 1) X(6, 1, 2) X(7, 1, 3) X(8, 2, 0) X(9, 2, 1)

/* edgec_vqdw_row for a constant tap list TAPS, with SDOT (EDGEC_SIMD_DOTPROD): the weight quads stay 4 to a vector
 * (read whole, so the weights have 48 bytes of slack) and each tap is a dot with one lane of them (SDOT by element),
 * so 10 taps of two rows take 6 registers beside the 8 accumulators. Each tap has its own pointer stepping 64 bytes
 * per 16 outputs: one post-incremented 4-register load per tap and 16 outputs. */
#define EDGEC_VQDW_ROW_LANES(NAME, TAPS)                                                                               \
  EDGEC_INLINE void NAME(const int8_t *row, const ptrdiff_t *off, const int8_t *wa, const int8_t *wb, int two,         \
                         int32_t ba, int32_t bb, const edgec_vqdw_rq *rq, int mode, int8_t *y, int OW) {               \
    const edgec_vdot ia = edgec_vdot_from(edgec_vi32_splat(ba)), ib = edgec_vdot_from(edgec_vi32_splat(bb));          \
    const edgec_vqdw_rq q = *rq;                                                                                       \
    const edgec_vi8 wa0 = edgec_vi8_load(wa), wa1 = edgec_vi8_load(wa + 16), wa2 = edgec_vi8_load(wa + 32);            \
    const edgec_vi8 wb0 = edgec_vi8_load(wb), wb1 = edgec_vi8_load(wb + 16), wb2 = edgec_vi8_load(wb + 32);            \
    int ow;                                                                                                            \
    TAPS(EDGEC_VQDW_PTR)                                                                                               \
    if (two) {                                                                                                         \
      for (ow = 0; ow + 16 <= OW; ow += 16) EDGEC_VQDW_LANES2(TAPS, 16)                                                \
      if (ow < OW) EDGEC_VQDW_LANES2(TAPS, OW - ow)                                                                    \
    } else {                                                                                                           \
      for (ow = 0; ow + 16 <= OW; ow += 16) EDGEC_VQDW_LANES1(TAPS, 16)                                                \
      if (ow < OW) EDGEC_VQDW_LANES1(TAPS, OW - ow)                                                                    \
    }                                                                                                                  \
    (void)wa0; (void)wa1; (void)wa2; (void)wb0; (void)wb1; (void)wb2;                                                \
  }
/* 16 outputs of two rows (of one row) on the lanes kernel, stored as the first N of 16. */
#define EDGEC_VQDW_LANES2(TAPS, N)                                                                                     \
  {                                                                                                                    \
    edgec_vdot a0 = ia, a1 = ia, a2 = ia, a3 = ia, b0 = ib, b1 = ib, b2 = ib, b3 = ib;                                 \
    TAPS(EDGEC_VQDW_TAP2)                                                                                              \
    edgec_qdot_store8(y + ow, edgec_vqdw_requant(edgec_vdot_sum(a0), edgec_vdot_sum(a1), edgec_vdot_sum(a2),           \
                                                 edgec_vdot_sum(a3), &q, mode), (N));                                  \
    edgec_qdot_store8(y + OW + ow, edgec_vqdw_requant(edgec_vdot_sum(b0), edgec_vdot_sum(b1), edgec_vdot_sum(b2),      \
                                                      edgec_vdot_sum(b3), &q, mode), (N));                             \
  }
#define EDGEC_VQDW_LANES1(TAPS, N)                                                                                     \
  {                                                                                                                    \
    edgec_vdot a0 = ia, a1 = ia, a2 = ia, a3 = ia;                                                                     \
    TAPS(EDGEC_VQDW_TAP1)                                                                                              \
    edgec_qdot_store8(y + ow, edgec_vqdw_requant(edgec_vdot_sum(a0), edgec_vdot_sum(a1), edgec_vdot_sum(a2),           \
                                                 edgec_vdot_sum(a3), &q, mode), (N));                                  \
  }
#define EDGEC_VQDW_PTR(t, v, l) const int8_t *p##t = row + off[t];
#define EDGEC_VQDW_TAP2(t, v, l)                                                                                       \
  {                                                                                                                    \
    const edgec_vi8x4 x = edgec_vi8_load_x4(p##t);                                                                     \
    p##t += 64;                                                                                                        \
    a0 = edgec_vdot_acc_lane(a0, x.val[0], wa##v, l); a1 = edgec_vdot_acc_lane(a1, x.val[1], wa##v, l);                \
    a2 = edgec_vdot_acc_lane(a2, x.val[2], wa##v, l); a3 = edgec_vdot_acc_lane(a3, x.val[3], wa##v, l);                \
    b0 = edgec_vdot_acc_lane(b0, x.val[0], wb##v, l); b1 = edgec_vdot_acc_lane(b1, x.val[1], wb##v, l);                \
    b2 = edgec_vdot_acc_lane(b2, x.val[2], wb##v, l); b3 = edgec_vdot_acc_lane(b3, x.val[3], wb##v, l);                \
  }
#define EDGEC_VQDW_TAP1(t, v, l)                                                                                       \
  {                                                                                                                    \
    const edgec_vi8x4 x = edgec_vi8_load_x4(p##t);                                                                     \
    p##t += 64;                                                                                                        \
    a0 = edgec_vdot_acc_lane(a0, x.val[0], wa##v, l); a1 = edgec_vdot_acc_lane(a1, x.val[1], wa##v, l);                \
    a2 = edgec_vdot_acc_lane(a2, x.val[2], wa##v, l); a3 = edgec_vdot_acc_lane(a3, x.val[3], wa##v, l);                \
  }
#if EDGEC_SIMD_DOTPROD
EDGEC_VQDW_ROW_LANES(edgec_vqdw_row3, EDGEC_VQDW_TAPS3)
EDGEC_VQDW_ROW_LANES(edgec_vqdw_row5, EDGEC_VQDW_TAPS5)
EDGEC_VQDW_ROW_LANES(edgec_vqdw_row10, EDGEC_VQDW_TAPS10)
#endif
#undef EDGEC_VQDW_TAP1
#undef EDGEC_VQDW_TAP2
#undef EDGEC_VQDW_PTR
#undef EDGEC_VQDW_ROW_LANES
#undef EDGEC_VQDW_LANES2
#undef EDGEC_VQDW_LANES1

/* Geometry of one depthwise call shared by its channels. */
typedef struct {
  ptrdiff_t pw;  /* quads per column phase of a quad row */
  int SW, SH, J, KW, T, OH, OW, PT, H;
  int wstride;   /* weight quad bytes per output channel (1 or 2 phases of T quads) */
  int pair;      /* no weight is -128: taps may go in pairs (EDGEC_VQDW_PAIR) */
  const ptrdiff_t *off;
} edgec_vqdw_geo;

/* Output rows of channel co from its quad plane qp and weight quads wq ([phase][J][KW][4]). Groups of kernel rows
 * that fall wholly in the vertical padding are skipped: their contribution zx * (their weight sum) comes from gc
 * ([phase][J] int32) instead. */
EDGEC_INLINE void edgec_vqdw_rows(const int8_t *qp, const int8_t *wq, const int32_t *gc, const edgec_vqdw_geo *g,
                                  int8_t *yc, const edgec_qepi *e, int mode, int co) {
  const edgec_vqdw_geo G = *g; /* a local copy: the int8 stores could alias *g */
  const int J = G.J, KW = G.KW, T = G.T, OH = G.OH, OW = G.OW, SH = G.SH, PT = G.PT, H = G.H;
  const int32_t bias = e->bias ? e->bias[co] : 0;
  edgec_vqdw_rq rq;
  int oh, j;
  rq.vm = edgec_vi32_splat(e->mult[co]);
  rq.vl = edgec_vi32_splat((mode & EDGEC_QDOT_LSH) ? e->lsh[co] : 0);
  rq.vr = edgec_vi32_splat(e->rsh[co]);
  rq.rs = e->rsh[co];
  rq.zy = e->zy;
  rq.lo = edgec_vi8_splat((int8_t)e->lo);
  rq.hi = edgec_vi8_splat((int8_t)e->hi);
  for (oh = 0; oh < OH; oh++) {
    const int r = oh * SH, q0 = r / 2, s = r & 1;
    const int two = SH == 1 && oh + 1 < OH; /* r even: row oh + 1 is phase 1 of the same quads */
    const int8_t *row = qp + 4 * (ptrdiff_t)q0 * G.SW * G.pw;
    const int8_t *wa = wq + 4 * T * s, *wb = wq + 4 * T;
    int j0 = 0, j1 = J, ta;
    int32_t ba = bias, bb = bias;
    /* Group j covers padded rows 2 q0 + 4j .. + 3; the input rows are PT .. PT + H - 1. */
    while (j0 < J && 2 * q0 + 4 * j0 + 3 < PT) j0++;
    while (j1 > j0 && 2 * q0 + 4 * (j1 - 1) >= PT + H) j1--;
    for (j = 0; j < J; j++)
      if (j < j0 || j >= j1) {
        ba += gc[s * J + j];
        if (two) bb += gc[J + j];
      }
    ta = (j1 - j0) * KW;
    wa += 4 * j0 * KW;
    wb += 4 * j0 * KW;
    {
      const ptrdiff_t *off = G.off + j0 * KW;
      int8_t *y = yc + (ptrdiff_t)oh * OW;
      const int rm = mode | EDGEC_VQDW_RSH; /* constants: the mode is one per instantiation */
      if (rq.rs <= 0) edgec_vqdw_row(row, off, wa, wb, ta, two, ba, bb, &rq, mode, y, OW); /* no rounding shift */
#if EDGEC_SIMD_DOTPROD
      else if (ta == 3) edgec_vqdw_row3(row, off, wa, wb, two, ba, bb, &rq, rm, y, OW);
      else if (ta == 5) edgec_vqdw_row5(row, off, wa, wb, two, ba, bb, &rq, rm, y, OW);
      else if (ta == 10) { /* two rows of 10 taps as two passes: one pass would spill (a load per tap is cheap) */
        edgec_vqdw_row10(row, off, wa, wa, 0, ba, ba, &rq, rm, y, OW);
        if (two) edgec_vqdw_row10(row, off, wb, wb, 0, bb, bb, &rq, rm, y + OW, OW);
      }
#else
      /* Emulated dot products: a dot by lane costs a broadcast per tap and accumulator group, splat quads do not;
       * taps go in pairs where the weights allow (edgec_vdot_acc2). */
      else if (ta == 3 && G.pair) edgec_vqdw_row(row, off, wa, wb, 3, two, ba, bb, &rq, rm | EDGEC_VQDW_PAIR, y, OW);
      else if (ta == 5 && G.pair) edgec_vqdw_row(row, off, wa, wb, 5, two, ba, bb, &rq, rm | EDGEC_VQDW_PAIR, y, OW);
      else if (ta == 10 && G.pair) edgec_vqdw_row(row, off, wa, wb, 10, two, ba, bb, &rq, rm | EDGEC_VQDW_PAIR, y, OW);
      else if (G.pair) edgec_vqdw_row(row, off, wa, wb, ta, two, ba, bb, &rq, rm | EDGEC_VQDW_PAIR, y, OW);
#endif
      else edgec_vqdw_row(row, off, wa, wb, ta, two, ba, bb, &rq, rm, y, OW);
    }
    oh += two;
  }
}

/* One channel's rows per epilogue flag set (the mode a constant inside). */
#define EDGEC_VQDW_CHAN(NAME, MODE)                                                                                    \
  static EDGEC_UNUSED EDGEC_NOINLINE void NAME(const int8_t *qp, const int8_t *wq, const int32_t *gc,                   \
                                               const edgec_vqdw_geo *g, int8_t *yc, const edgec_qepi *ep, int co) {    \
    const edgec_qepi ec = *ep; /* a local copy: the int8 stores cannot alias it */                                    \
    edgec_vqdw_rows(qp, wq, gc, g, yc, &ec, (MODE), co);                                                               \
  }
EDGEC_VQDW_CHAN(edgec_vqdw_chan, EDGEC_QDOT_ROWQ)
EDGEC_VQDW_CHAN(edgec_vqdw_chan_l, EDGEC_QDOT_ROWQ | EDGEC_QDOT_LSH)
EDGEC_VQDW_CHAN(edgec_vqdw_chan_c, EDGEC_QDOT_ROWQ | EDGEC_QDOT_CLAMP)
EDGEC_VQDW_CHAN(edgec_vqdw_chan_lc, EDGEC_QDOT_ROWQ | EDGEC_QDOT_LSH | EDGEC_QDOT_CLAMP)
#undef EDGEC_VQDW_CHAN

/* Depthwise 2-D int8 conv (C/G == 1, M = C * multiplier) with vertical dilation 1 and horizontal stride 1 or 2.
 * wq: per output channel the weight quads [phase s][J][KW][4] (byte i of quad (s, j, kw) is w[4j + i - s][kw], zero
 * outside the kernel; phase 1 only for odd SH), J = EDGEC_VQDW_J(KH, SH), J * KW <= EDGEC_VQDW_MAXTAPS; gc: per output
 * channel [phase][J] int32 zx * (sum of the group's quads); e's bias holds b - zx * sum(w) (see the top of the file).
 * pair: 1 when no weight is -128 (taps may be summed in pairs in int16). scratch: EDGEC_VQDW_SCRATCH bytes. */
static EDGEC_UNUSED void edgec_qconv2d_vdw(const int8_t *x, const int8_t *wq, const int32_t *gc, const edgec_qepi *e,
                                           int8_t *y, int N, int C, int H, int W, int M, int OH, int OW, int KH, int KW,
                                           int SH, int SW, int DW, int PT, int PL, int zx, int pair, void *scratch) {
  const int mult = M / C, J = EDGEC_VQDW_J(KH, SH), T = J * KW, nph = 1 + (SH & 1), f = edgec_qdot_flags(e);
  const ptrdiff_t pw = EDGEC_VQDW_PW(OW, KW, SW, DW), nq = EDGEC_VQDW_NQ(OH, KH, SH);
  const ptrdiff_t pw8 = EDGEC_VQDW_PADW(W, PL, OW, KW, SW, DW), ph = 2 * nq + 2;
  /* Quad rows holding some input row (the others are read only by skipped groups). */
  const ptrdiff_t qa = PT >= 3 ? (PT - 2) / 2 : 0, qb = (PT + H + 1) / 2 < nq ? (PT + H + 1) / 2 : nq;
  int8_t *pad = (int8_t *)scratch;
  int8_t *qp = pad + EDGEC_VQDW_PAD_BYTES(H, W, PL, OH, OW, KH, KW, SH, SW, DW);
  ptrdiff_t off[EDGEC_VQDW_MAXTAPS];
  edgec_vqdw_geo g;
  int n, c, m, i, j, kw;
  for (j = 0; j < J; j++)
    for (kw = 0; kw < KW; kw++)
      off[j * KW + kw] = 4 * ((ptrdiff_t)2 * j * SW * pw + (ptrdiff_t)(kw * DW % SW) * pw + kw * DW / SW);
  g.pw = pw; g.SW = SW; g.SH = SH; g.J = J; g.KW = KW; g.T = T; g.OH = OH; g.OW = OW; g.PT = PT; g.H = H;
  g.wstride = 4 * T * nph; g.off = off; g.pair = pair;
  memset(pad, zx, (size_t)(ph * pw8)); /* padding stays zx; each channel rewrites only its input columns */
  for (n = 0; n < N; n++)
    for (c = 0; c < C; c++) {
      const int8_t *xc = x + ((ptrdiff_t)n * C + c) * H * W;
      for (i = 0; i < H && i + PT < ph; i++) memcpy(pad + (ptrdiff_t)(i + PT) * pw8 + PL, xc + (ptrdiff_t)i * W, (size_t)W);
      edgec_vqdw_quads(pad, pw8, qa, qb, SW, pw, qp);
      for (m = 0; m < mult; m++) {
        const int co = c * mult + m;
        const int8_t *w = wq + (ptrdiff_t)co * g.wstride;
        const int32_t *gco = gc + (ptrdiff_t)co * nph * J;
        int8_t *yc = y + ((ptrdiff_t)n * M + co) * OH * OW;
        if (f == 0) edgec_vqdw_chan(qp, w, gco, &g, yc, e, co);
        else if (f == EDGEC_QDOT_LSH) edgec_vqdw_chan_l(qp, w, gco, &g, yc, e, co);
        else if (f == EDGEC_QDOT_CLAMP) edgec_vqdw_chan_c(qp, w, gco, &g, yc, e, co);
        else edgec_vqdw_chan_lc(qp, w, gco, &g, yc, e, co);
      }
    }
}

#endif
