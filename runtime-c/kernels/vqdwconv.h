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
 * zx then adds nothing. Accumulators start from the bias and are requantized per channel as edgec_q_out1 (qdot.h).
 * C99, no malloc, no globals, no VLAs. */
#ifndef EDGEC_KERNEL_VQDWCONV_H
#define EDGEC_KERNEL_VQDWCONV_H

#include "qdot.h"

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
/* Bytes of the scratch sections: padded copy (2 NQ + 2 rows), quad plane, expanded weights of M channels. */
#define EDGEC_VQDW_PAD_BYTES(H, W, PL, OH, OW, KH, KW, SH, SW, DW) \
  (((2 * EDGEC_VQDW_NQ(OH, KH, SH) + 2) * EDGEC_VQDW_PADW(W, PL, OW, KW, SW, DW) + 15) / 16 * 16)
#define EDGEC_VQDW_PLANE_BYTES(OH, OW, KH, KW, SH, SW, DW) \
  ((ptrdiff_t)4 * EDGEC_VQDW_NQ(OH, KH, SH) * (SW) * EDGEC_VQDW_PW(OW, KW, SW, DW))
#define EDGEC_VQDW_WEIGHT_BYTES(M, KH, KW, SH) ((ptrdiff_t)(M) * 2 * EDGEC_VQDW_J(KH, SH) * (KW) * 4)
/* Bytes of scratch edgec_qconv2d_vdw needs. */
#define EDGEC_VQDW_SCRATCH(M, H, W, PL, OH, OW, KH, KW, SH, SW, DW)                                                  \
  (EDGEC_VQDW_PAD_BYTES(H, W, PL, OH, OW, KH, KW, SH, SW, DW) + EDGEC_VQDW_PLANE_BYTES(OH, OW, KH, KW, SH, SW, DW) + \
   EDGEC_VQDW_WEIGHT_BYTES(M, KH, KW, SH))

/* Expand raw taps t[M][KH][KW] into quads per output channel [2 phases s][J][KW][4]: byte i of quad (s, j, kw) is
 * w[4j + i - s][kw], zero outside the kernel. */
static EDGEC_UNUSED void edgec_vqdw_expand(const int8_t *t, int M, int KH, int KW, int J, int8_t *out) {
  int co, s, j, kw, i;
  for (co = 0; co < M; co++)
    for (s = 0; s < 2; s++)
      for (j = 0; j < J; j++)
        for (kw = 0; kw < KW; kw++)
          for (i = 0; i < 4; i++) {
            const int kh = 4 * j + i - s;
            *out++ = kh >= 0 && kh < KH ? t[((ptrdiff_t)co * KH + kh) * KW + kw] : 0;
          }
}

/* The quad plane of one channel from its padded copy pad (rows pw8 bytes apart): nq quad rows of SW phases of pw
 * quads; phase p quad c holds padded column c*SW + p of the row's 4 padded rows. */
static EDGEC_UNUSED EDGEC_NOINLINE void edgec_vqdw_quads(const int8_t *EDGEC_RESTRICT pad, ptrdiff_t pw8, ptrdiff_t nq,
                                                        int SW, ptrdiff_t pw, int8_t *EDGEC_RESTRICT qp) {
  ptrdiff_t q, c;
  int p;
  for (q = 0; q < nq; q++)
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

/* 16 outputs of one row (two with `two`: the second from the same quads with phase-1 weights wb) at quad row `row`:
 * T taps at byte offsets off[t] with weight quads wa/wb + 4t, then requantized into y (and y2), n of 16 stored.
 * Inlined with T a constant where the common kernels allow (the tap loop unrolls). */
EDGEC_INLINE void edgec_vqdw_chunk(const int8_t *row, const ptrdiff_t *off, const int8_t *wa, const int8_t *wb, int T,
                                   int two, const edgec_qepi *e, int mode, int co, int8_t *y, int8_t *y2, int n) {
  edgec_vdot a0, a1, a2, a3, b0, b1, b2, b3;
  int t;
  a0 = edgec_qdot_init(e, mode, co, NULL, 0);
  a1 = a0; a2 = a0; a3 = a0; b0 = a0; b1 = a0; b2 = a0; b3 = a0;
  if (two)
    for (t = 0; t < T; t++) {
      const int8_t *s = row + off[t];
      const edgec_vi8 x0 = edgec_vi8_load(s), x1 = edgec_vi8_load(s + 16), x2 = edgec_vi8_load(s + 32),
                      x3 = edgec_vi8_load(s + 48);
      const edgec_vi8 va = edgec_vi8_splat4(wa + 4 * t), vb = edgec_vi8_splat4(wb + 4 * t);
      a0 = edgec_vdot_acc(a0, x0, va); a1 = edgec_vdot_acc(a1, x1, va);
      a2 = edgec_vdot_acc(a2, x2, va); a3 = edgec_vdot_acc(a3, x3, va);
      b0 = edgec_vdot_acc(b0, x0, vb); b1 = edgec_vdot_acc(b1, x1, vb);
      b2 = edgec_vdot_acc(b2, x2, vb); b3 = edgec_vdot_acc(b3, x3, vb);
    }
  else
    for (t = 0; t < T; t++) {
      const int8_t *s = row + off[t];
      const edgec_vi8 va = edgec_vi8_splat4(wa + 4 * t);
      a0 = edgec_vdot_acc(a0, edgec_vi8_load(s), va); a1 = edgec_vdot_acc(a1, edgec_vi8_load(s + 16), va);
      a2 = edgec_vdot_acc(a2, edgec_vi8_load(s + 32), va); a3 = edgec_vdot_acc(a3, edgec_vi8_load(s + 48), va);
    }
  edgec_qdot_out_row(edgec_vdot_sum(a0), edgec_vdot_sum(a1), edgec_vdot_sum(a2), edgec_vdot_sum(a3), e, mode, co, 0,
                     y, n);
  if (two)
    edgec_qdot_out_row(edgec_vdot_sum(b0), edgec_vdot_sum(b1), edgec_vdot_sum(b2), edgec_vdot_sum(b3), e, mode, co, 0,
                       y2, n);
}

/* Output rows of channel co from its quad plane qp (quad rows 4 * SW * pw bytes apart) and weight quads wq
 * ([2][J][KW][4]); T = J * KW taps at byte offsets off. A constant T unrolls the tap loop. */
EDGEC_INLINE void edgec_vqdw_rows(const int8_t *qp, ptrdiff_t pw, int SW, const int8_t *wq, const ptrdiff_t *off, int T,
                                  int OH, int OW, int SH, int8_t *yc, const edgec_qepi *e, int mode, int co) {
  int oh, ow;
  for (oh = 0; oh < OH; oh++) {
    const ptrdiff_t r = (ptrdiff_t)oh * SH;
    const int8_t *row = qp + 4 * (r / 2) * SW * pw;
    const int two = SH == 1 && oh + 1 < OH; /* r even: row oh + 1 is phase 1 of the same quads */
    const int8_t *wa = wq + 4 * T * (int)(r & 1);
    int8_t *y = yc + (ptrdiff_t)oh * OW;
    for (ow = 0; ow < OW; ow += 16)
      edgec_vqdw_chunk(row + 4 * ow, off, wa, wq + 4 * T, T, two, e, mode, co, y + ow, y + OW + ow,
                       OW - ow < 16 ? OW - ow : 16);
    oh += two;
  }
}

/* One channel's rows per epilogue flag set (the mode a constant inside; the 3x3 and 5x5 tap counts unrolled). */
#define EDGEC_VQDW_CHAN(NAME, MODE)                                                                                    \
  static EDGEC_UNUSED EDGEC_NOINLINE void NAME(const int8_t *qp, ptrdiff_t pw, int SW, const int8_t *wq,                \
                                               const ptrdiff_t *off, int T, int OH, int OW, int SH, int8_t *yc,        \
                                               const edgec_qepi *ep, int co) {                                         \
    const edgec_qepi ec = *ep, *e = &ec; /* a local copy: the int8 stores cannot alias it */                          \
    if (T == 3) edgec_vqdw_rows(qp, pw, SW, wq, off, 3, OH, OW, SH, yc, e, (MODE), co);                                \
    else if (T == 10) edgec_vqdw_rows(qp, pw, SW, wq, off, 10, OH, OW, SH, yc, e, (MODE), co);                         \
    else edgec_vqdw_rows(qp, pw, SW, wq, off, T, OH, OW, SH, yc, e, (MODE), co);                                       \
  }
EDGEC_VQDW_CHAN(edgec_vqdw_chan, EDGEC_QDOT_ROWQ)
EDGEC_VQDW_CHAN(edgec_vqdw_chan_l, EDGEC_QDOT_ROWQ | EDGEC_QDOT_LSH)
EDGEC_VQDW_CHAN(edgec_vqdw_chan_c, EDGEC_QDOT_ROWQ | EDGEC_QDOT_CLAMP)
EDGEC_VQDW_CHAN(edgec_vqdw_chan_lc, EDGEC_QDOT_ROWQ | EDGEC_QDOT_LSH | EDGEC_QDOT_CLAMP)
#undef EDGEC_VQDW_CHAN

/* Most taps (groups of 4 kernel rows x kernel columns) the kernel takes. */
#define EDGEC_VQDW_MAXTAPS 64

/* Depthwise 2-D int8 conv (C/G == 1, M = C * multiplier) with vertical dilation 1 and horizontal stride 1 or 2:
 * taps t[M][KH][KW] raw int8 (zero point 0), e's bias holding -zx * sum(w) (see the top of the file), J * KW <=
 * EDGEC_VQDW_MAXTAPS with J = EDGEC_VQDW_J(KH, SH). scratch: EDGEC_VQDW_SCRATCH bytes. */
static EDGEC_UNUSED void edgec_qconv2d_vdw(const int8_t *x, const int8_t *taps, const edgec_qepi *e, int8_t *y, int N,
                                           int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW,
                                           int DW, int PT, int PL, int zx, void *scratch) {
  const int mult = M / C, J = EDGEC_VQDW_J(KH, SH), T = J * KW, f = edgec_qdot_flags(e);
  const ptrdiff_t pw = EDGEC_VQDW_PW(OW, KW, SW, DW), nq = EDGEC_VQDW_NQ(OH, KH, SH);
  const ptrdiff_t pw8 = EDGEC_VQDW_PADW(W, PL, OW, KW, SW, DW), ph = 2 * nq + 2;
  int8_t *pad = (int8_t *)scratch;
  int8_t *qp = pad + EDGEC_VQDW_PAD_BYTES(H, W, PL, OH, OW, KH, KW, SH, SW, DW);
  int8_t *wq = qp + EDGEC_VQDW_PLANE_BYTES(OH, OW, KH, KW, SH, SW, DW);
  ptrdiff_t off[EDGEC_VQDW_MAXTAPS];
  int n, c, m, i, j, kw;
  for (j = 0; j < J; j++)
    for (kw = 0; kw < KW; kw++)
      off[j * KW + kw] = 4 * ((ptrdiff_t)2 * j * SW * pw + (ptrdiff_t)(kw * DW % SW) * pw + kw * DW / SW);
  edgec_vqdw_expand(taps, M, KH, KW, J, wq);
  memset(pad, zx, (size_t)(ph * pw8)); /* padding stays zx; each channel rewrites only its input columns */
  for (n = 0; n < N; n++)
    for (c = 0; c < C; c++) {
      const int8_t *xc = x + ((ptrdiff_t)n * C + c) * H * W;
      for (i = 0; i < H && i + PT < ph; i++) memcpy(pad + (ptrdiff_t)(i + PT) * pw8 + PL, xc + (ptrdiff_t)i * W, (size_t)W);
      edgec_vqdw_quads(pad, pw8, nq, SW, pw, qp);
      for (m = 0; m < mult; m++) {
        const int co = c * mult + m;
        const int8_t *w = wq + (ptrdiff_t)co * 8 * T;
        int8_t *yc = y + ((ptrdiff_t)n * M + co) * OH * OW;
        if (f == 0) edgec_vqdw_chan(qp, pw, SW, w, off, T, OH, OW, SH, yc, e, co);
        else if (f == EDGEC_QDOT_LSH) edgec_vqdw_chan_l(qp, pw, SW, w, off, T, OH, OW, SH, yc, e, co);
        else if (f == EDGEC_QDOT_CLAMP) edgec_vqdw_chan_c(qp, pw, SW, w, off, T, OH, OW, SH, yc, e, co);
        else edgec_vqdw_chan_lc(qp, pw, SW, w, off, T, OH, OW, SH, yc, e, co);
      }
    }
}

#endif
