/* edgec 2:4 sparse float kernel: Y[O][P] = W X + bias with W stored as the two kept values of every group of four
 * reduction weights ([O][K / 2]) plus their 2-bit in-group indices (one byte per two groups, LSB first, `row_bytes`
 * per row). Only the kept half of the products is computed. Register tile: one output row x eight vectors of pixels
 * (pixel tails: two rows x four or one vectors); every kept weight is one splat and eight vector FMAs on the X row its
 * index names (decoded from the index byte in registers, no offset table), so the index decode is shared by the eight
 * vectors, and the reduction runs in blocks whose X rows stay in L1 while every output row passes over them. Written once against a small set of vector names that map to the vector
 * vocabulary (runtime-c/simd: NEON, WASM SIMD128, portable) when one is selected, to GNU 8-float vectors on the host,
 * and to plain loops elsewhere. */
#ifndef EDGEC_KERNEL_SPARSE24_H
#define EDGEC_KERNEL_SPARSE24_H

#include "gemm.h"

#if defined(EDGEC_SIMD)
#define EDGEC_SPF_LANES EDGEC_VF32_LANES
typedef edgec_vf32 edgec_spf;
#define edgec_spf_load(p) edgec_vf32_load(p)
#define edgec_spf_store(p, v) edgec_vf32_store((p), (v))
#define edgec_spf_splat(x) edgec_vf32_splat(x)
#define edgec_spf_fma(acc, a, b) edgec_vf32_fma((acc), (a), (b))
#elif defined(EDGEC_HAVE_V8)
#define EDGEC_SPF_LANES 8
typedef edgec_vec8 edgec_spf;
#define edgec_spf_load(p) EDGEC_V8_LOAD(p)
#define edgec_spf_store(p, v) EDGEC_V8_STORE((p), (v))
#define edgec_spf_splat(x) EDGEC_V8_SET1(x)
#define edgec_spf_fma(acc, a, b) ((acc) + (a) * (b))
#else
#define EDGEC_SPF_LANES 1
#endif


#if EDGEC_SPF_LANES > 1
/* The tiles of the pixel tails, over two output rows: NV = 4 or 1 vectors per row (accumulators a0..a3 or a0), one
 * kept weight w against X row xr, initialisation from a value or from memory, and the store. */
#define EDGEC_SP24_FMA_4(a, w_, xr_)                                                                                   \
  a##0 = edgec_spf_fma(a##0, w_, edgec_spf_load(xr_));                                                                 \
  a##1 = edgec_spf_fma(a##1, w_, edgec_spf_load((xr_) + EDGEC_SPF_LANES));                                             \
  a##2 = edgec_spf_fma(a##2, w_, edgec_spf_load((xr_) + 2 * EDGEC_SPF_LANES));                                         \
  a##3 = edgec_spf_fma(a##3, w_, edgec_spf_load((xr_) + 3 * EDGEC_SPF_LANES))
#define EDGEC_SP24_SET_4(a, b) edgec_spf a##0 = edgec_spf_splat(b), a##1 = a##0, a##2 = a##0, a##3 = a##0
#define EDGEC_SP24_LOAD_4(a, p)                                                                                        \
  edgec_spf a##0 = edgec_spf_load(p), a##1 = edgec_spf_load((p) + EDGEC_SPF_LANES),                                    \
            a##2 = edgec_spf_load((p) + 2 * EDGEC_SPF_LANES), a##3 = edgec_spf_load((p) + 3 * EDGEC_SPF_LANES)
#define EDGEC_SP24_OUT_4(a, p)                                                                                         \
  edgec_spf_store((p), a##0);                                                                                          \
  edgec_spf_store((p) + EDGEC_SPF_LANES, a##1);                                                                        \
  edgec_spf_store((p) + 2 * EDGEC_SPF_LANES, a##2);                                                                    \
  edgec_spf_store((p) + 3 * EDGEC_SPF_LANES, a##3)
#define EDGEC_SP24_FMA_1(a, w_, xr_) a##0 = edgec_spf_fma(a##0, w_, edgec_spf_load(xr_))
#define EDGEC_SP24_SET_1(a, b) edgec_spf a##0 = edgec_spf_splat(b)
#define EDGEC_SP24_LOAD_1(a, p) edgec_spf a##0 = edgec_spf_load(p)
#define EDGEC_SP24_OUT_1(a, p) edgec_spf_store((p), a##0)
/* Kept weight t (0..3) of index byte b, whose two groups start at X row xg. */
#define EDGEC_SP24_KEPT(NV, a, v, b, t, xg, ldx)                                                                       \
  do {                                                                                                                 \
    const edgec_spf w_ = edgec_spf_splat((v)[t]);                                                                      \
    const float *xr_ = (xg) + (ptrdiff_t)((((t) >> 1) << 2) + (((b) >> (2 * (t))) & 3u)) * (ldx);                      \
    EDGEC_SP24_FMA_##NV(a, w_, xr_);                                                                                   \
  } while (0)

/* Two output rows (values v0/v1, index rows i0/i1, outputs y0/y1 of NV * lanes contiguous pixels) over reductions
 * [k0, k1) (k0 a multiple of 8) of the X tile xp: the first block (k0 == 0) starts from the biases, later blocks from
 * the partial sums in y0/y1. */
#define EDGEC_SP24_ROWS2(NV)                                                                                           \
  EDGEC_INLINE EDGEC_FMA_CONTRACT void edgec_sp24_rows2_##NV(                                                          \
      int k0, int k1, const float *EDGEC_RESTRICT v0, const float *EDGEC_RESTRICT v1,                                  \
      const uint8_t *EDGEC_RESTRICT i0, const uint8_t *EDGEC_RESTRICT i1, float b0, float b1,                          \
      const float *EDGEC_RESTRICT xp, ptrdiff_t ldx, float *EDGEC_RESTRICT y0, float *EDGEC_RESTRICT y1) {             \
    const float *EDGEC_RESTRICT xg = xp + (ptrdiff_t)k0 * ldx;                                                         \
    const ptrdiff_t step = 8 * ldx;                                                                                    \
    int q = k0 / 8;                                                                                                    \
    if (k0 == 0) {                                                                                                     \
      EDGEC_SP24_SET_##NV(a, b0);                                                                                      \
      EDGEC_SP24_SET_##NV(c, b1);                                                                                      \
      EDGEC_SP24_LOOP(NV)                                                                                              \
    } else {                                                                                                           \
      EDGEC_SP24_LOAD_##NV(a, y0);                                                                                     \
      EDGEC_SP24_LOAD_##NV(c, y1);                                                                                     \
      EDGEC_SP24_LOOP(NV)                                                                                              \
    }                                                                                                                  \
  }
#define EDGEC_SP24_LOOP(NV)                                                                                            \
  for (v0 += 4 * q, v1 += 4 * q; q < k1 / 8; q++, xg += step, v0 += 4, v1 += 4) {                                     \
    const unsigned e0 = i0[q], e1 = i1[q];                                                                             \
    EDGEC_SP24_KEPT(NV, a, v0, e0, 0, xg, ldx);                                                                        \
    EDGEC_SP24_KEPT(NV, c, v1, e1, 0, xg, ldx);                                                                        \
    EDGEC_SP24_KEPT(NV, a, v0, e0, 1, xg, ldx);                                                                        \
    EDGEC_SP24_KEPT(NV, c, v1, e1, 1, xg, ldx);                                                                        \
    EDGEC_SP24_KEPT(NV, a, v0, e0, 2, xg, ldx);                                                                        \
    EDGEC_SP24_KEPT(NV, c, v1, e1, 2, xg, ldx);                                                                        \
    EDGEC_SP24_KEPT(NV, a, v0, e0, 3, xg, ldx);                                                                        \
    EDGEC_SP24_KEPT(NV, c, v1, e1, 3, xg, ldx);                                                                        \
  }                                                                                                                    \
  if (k1 % 8) { /* the last, odd group: low 4 bits of its byte */                                                      \
    const unsigned e0 = i0[q], e1 = i1[q];                                                                             \
    EDGEC_SP24_KEPT(NV, a, v0, e0, 0, xg, ldx);                                                                        \
    EDGEC_SP24_KEPT(NV, c, v1, e1, 0, xg, ldx);                                                                        \
    EDGEC_SP24_KEPT(NV, a, v0, e0, 1, xg, ldx);                                                                        \
    EDGEC_SP24_KEPT(NV, c, v1, e1, 1, xg, ldx);                                                                        \
  }                                                                                                                    \
  EDGEC_SP24_OUT_##NV(a, y0);                                                                                          \
  EDGEC_SP24_OUT_##NV(c, y1);
EDGEC_SP24_ROWS2(4)
EDGEC_SP24_ROWS2(1)

/* One output row over eight vectors of pixels (the main tile: one index decode and one splat per eight FMAs, eight
 * independent accumulators), reductions [k0, k1) as edgec_sp24_rows2_1. */
#define EDGEC_SP24_FMA8(t)                                                                                             \
  do {                                                                                                                 \
    const edgec_spf w_ = edgec_spf_splat(v0[t]);                                                                       \
    const float *xr_ = xg + (ptrdiff_t)((((t) >> 1) << 2) + ((e >> (2 * (t))) & 3u)) * ldx;                           \
    a0 = edgec_spf_fma(a0, w_, edgec_spf_load(xr_));                                                                   \
    a1 = edgec_spf_fma(a1, w_, edgec_spf_load(xr_ + EDGEC_SPF_LANES));                                                 \
    a2 = edgec_spf_fma(a2, w_, edgec_spf_load(xr_ + 2 * EDGEC_SPF_LANES));                                             \
    a3 = edgec_spf_fma(a3, w_, edgec_spf_load(xr_ + 3 * EDGEC_SPF_LANES));                                             \
    a4 = edgec_spf_fma(a4, w_, edgec_spf_load(xr_ + 4 * EDGEC_SPF_LANES));                                             \
    a5 = edgec_spf_fma(a5, w_, edgec_spf_load(xr_ + 5 * EDGEC_SPF_LANES));                                             \
    a6 = edgec_spf_fma(a6, w_, edgec_spf_load(xr_ + 6 * EDGEC_SPF_LANES));                                             \
    a7 = edgec_spf_fma(a7, w_, edgec_spf_load(xr_ + 7 * EDGEC_SPF_LANES));                                             \
  } while (0)
EDGEC_INLINE EDGEC_FMA_CONTRACT void edgec_sp24_row_8(int k0, int k1, const float *EDGEC_RESTRICT v0,
                                                      const uint8_t *EDGEC_RESTRICT i0, float b0,
                                                      const float *EDGEC_RESTRICT xp, ptrdiff_t ldx,
                                                      float *EDGEC_RESTRICT y0) {
  const float *EDGEC_RESTRICT xg = xp + (ptrdiff_t)k0 * ldx;
  const ptrdiff_t step = 8 * ldx;
  int q = k0 / 8, t;
  edgec_spf a0, a1, a2, a3, a4, a5, a6, a7;
  if (k0 == 0) {
    a0 = edgec_spf_splat(b0);
    a1 = a0; a2 = a0; a3 = a0; a4 = a0; a5 = a0; a6 = a0; a7 = a0;
  } else {
    a0 = edgec_spf_load(y0); a1 = edgec_spf_load(y0 + EDGEC_SPF_LANES);
    a2 = edgec_spf_load(y0 + 2 * EDGEC_SPF_LANES); a3 = edgec_spf_load(y0 + 3 * EDGEC_SPF_LANES);
    a4 = edgec_spf_load(y0 + 4 * EDGEC_SPF_LANES); a5 = edgec_spf_load(y0 + 5 * EDGEC_SPF_LANES);
    a6 = edgec_spf_load(y0 + 6 * EDGEC_SPF_LANES); a7 = edgec_spf_load(y0 + 7 * EDGEC_SPF_LANES);
  }
  for (v0 += 4 * q; q < k1 / 8; q++, xg += step, v0 += 4) {
    const unsigned e = i0[q];
    EDGEC_SP24_FMA8(0);
    EDGEC_SP24_FMA8(1);
    EDGEC_SP24_FMA8(2);
    EDGEC_SP24_FMA8(3);
  }
  if (k1 % 8) {
    const unsigned e = i0[q];
    EDGEC_SP24_FMA8(0);
    EDGEC_SP24_FMA8(1);
  }
  edgec_spf_store(y0, a0); edgec_spf_store(y0 + EDGEC_SPF_LANES, a1);
  edgec_spf_store(y0 + 2 * EDGEC_SPF_LANES, a2); edgec_spf_store(y0 + 3 * EDGEC_SPF_LANES, a3);
  edgec_spf_store(y0 + 4 * EDGEC_SPF_LANES, a4); edgec_spf_store(y0 + 5 * EDGEC_SPF_LANES, a5);
  edgec_spf_store(y0 + 6 * EDGEC_SPF_LANES, a6); edgec_spf_store(y0 + 7 * EDGEC_SPF_LANES, a7);
  (void)t;
}
#endif

/* One output row over tn pixels in plain loops, reductions [k0, k1): acc[t] = (k0 == 0 ? b : acc[t]) + sum. */
EDGEC_INLINE void edgec_sp24_row_scalar(int k0, int k1, const float *EDGEC_RESTRICT v, const uint8_t *EDGEC_RESTRICT idx,
                                        float b, const float *EDGEC_RESTRICT xp, ptrdiff_t ldx, int tn,
                                        float *EDGEC_RESTRICT acc) {
  int g, t;
  if (k0 == 0)
    for (t = 0; t < tn; t++) acc[t] = b;
  for (g = k0 / 4; g < k1 / 4; g++) {
    const unsigned byte = idx[g >> 1] >> ((g & 1) * 4);
    const float *EDGEC_RESTRICT x0 = xp + (ptrdiff_t)(4 * g + (int)(byte & 3u)) * ldx;
    const float *EDGEC_RESTRICT x1 = xp + (ptrdiff_t)(4 * g + (int)((byte >> 2) & 3u)) * ldx;
    const float w0 = v[2 * g], w1 = v[2 * g + 1];
    for (t = 0; t < tn; t++) acc[t] += w0 * x0[t] + w1 * x1[t];
  }
}

#define EDGEC_SP24_TP (8 * EDGEC_SPF_LANES)

/* Y[o * syo + p * syp] = act(bias[o] + sum over kept j of vals[o][j] * X[k_o(j)][p]) for o < O, p < P (X: [K][P] rows
 * ldx apart; K a multiple of 4). syo = P, syp = 1: a pointwise convolution on NCHW, reductions in blocks of kc (a
 * multiple of 8) so the X block a pixel tile reads stays in L1; syo = 1, syp = O: a Gemm on transposed A (one block;
 * `act` is applied by the caller: pass EDGEC_ACT_NONE). tmp: scratch of EDGEC_SP24_TP floats. */
static EDGEC_UNUSED EDGEC_FMA_CONTRACT void edgec_spmm24_f32(int O, int K, int P, const float *EDGEC_RESTRICT vals,
                                                             const uint8_t *EDGEC_RESTRICT idx, int row_bytes,
                                                             const float *bias, const float *EDGEC_RESTRICT x,
                                                             ptrdiff_t ldx, float *EDGEC_RESTRICT y, ptrdiff_t syo,
                                                             ptrdiff_t syp, int kc, int act, float aa, float ab,
                                                             float *EDGEC_RESTRICT tmp) {
  const int kept = K / 2;
  int o, p0, k0, t;
  if (syp != 1 || kc < 8) kc = K;
  for (p0 = 0; p0 < P;) {
    const int left = P - p0;
    /* Tile width: eight vectors (one row at a time), else four or one (row pairs), else the scalar tail. */
    const int tn = left >= EDGEC_SP24_TP ? EDGEC_SP24_TP : left >= 4 * EDGEC_SPF_LANES ? 4 * EDGEC_SPF_LANES : left >= EDGEC_SPF_LANES ? EDGEC_SPF_LANES : left;
    const float *EDGEC_RESTRICT xp = x + p0;
    for (k0 = 0; k0 < K; k0 += kc) {
      const int k1 = K - k0 < kc ? K : k0 + kc, last = k1 == K;
      o = 0;
#if EDGEC_SPF_LANES > 1
      if (tn == EDGEC_SP24_TP)
        for (; o < O; o++) {
          float *yo = y + (ptrdiff_t)o * syo + (ptrdiff_t)p0 * syp, *y0 = syp == 1 ? yo : tmp;
          edgec_sp24_row_8(k0, k1, vals + (ptrdiff_t)o * kept, idx + (ptrdiff_t)o * row_bytes, bias ? bias[o] : 0.0f, xp,
                           ldx, y0);
          if (syp != 1)
            for (t = 0; t < tn; t++) yo[t * syp] = y0[t];
          else if (last)
            edgec_act_run(y0, tn, act, aa, ab);
        }
      else if (tn >= EDGEC_SPF_LANES)
        for (; o + 2 <= O; o += 2) {
          const float *v0 = vals + (ptrdiff_t)o * kept;
          const uint8_t *i0 = idx + (ptrdiff_t)o * row_bytes;
          float *yo = y + (ptrdiff_t)o * syo + (ptrdiff_t)p0 * syp;
          float *y0 = syp == 1 ? yo : tmp, *y1 = syp == 1 ? yo + syo : tmp + 4 * EDGEC_SPF_LANES;
          const float b0 = bias ? bias[o] : 0.0f, b1 = bias ? bias[o + 1] : 0.0f;
          if (tn == 4 * EDGEC_SPF_LANES)
            edgec_sp24_rows2_4(k0, k1, v0, v0 + kept, i0, i0 + row_bytes, b0, b1, xp, ldx, y0, y1);
          else
            edgec_sp24_rows2_1(k0, k1, v0, v0 + kept, i0, i0 + row_bytes, b0, b1, xp, ldx, y0, y1);
          if (syp != 1) {
            for (t = 0; t < tn; t++) yo[t * syp] = y0[t];
            for (t = 0; t < tn; t++) yo[syo + t * syp] = y1[t];
          } else if (last) {
            edgec_act_run(y0, tn, act, aa, ab);
            edgec_act_run(y1, tn, act, aa, ab);
          }
        }
#endif
      for (; o < O; o++) {
        float *yo = y + (ptrdiff_t)o * syo + (ptrdiff_t)p0 * syp, *acc = syp == 1 ? yo : tmp;
        edgec_sp24_row_scalar(k0, k1, vals + (ptrdiff_t)o * kept, idx + (ptrdiff_t)o * row_bytes, bias ? bias[o] : 0.0f,
                              xp, ldx, tn, acc);
        if (syp != 1)
          for (t = 0; t < tn; t++) yo[t * syp] = acc[t];
        else if (last)
          edgec_act_run(yo, tn, act, aa, ab);
      }
    }
    p0 += tn;
  }
}

/* Expand 2:4 storage into the SGEMM's packed A panels [ceil(O / MR)][K][MR] (pruned weights and padding rows zero), for
 * layers where the dense product is faster than the sparse one: the artifact keeps the compressed weights. */
static EDGEC_UNUSED void edgec_sp24_expand_a(int O, int K, const float *EDGEC_RESTRICT vals,
                                             const uint8_t *EDGEC_RESTRICT idx, int row_bytes, float *EDGEC_RESTRICT ap) {
  const int kept = K / 2;
  const ptrdiff_t n = (ptrdiff_t)((O + EDGEC_GEMM_MR - 1) / EDGEC_GEMM_MR) * EDGEC_GEMM_MR * K;
  ptrdiff_t i;
  int o, g;
  for (i = 0; i < n; i++) ap[i] = 0.0f;
  for (o = 0; o < O; o++) {
    float *EDGEC_RESTRICT base = ap + (ptrdiff_t)(o / EDGEC_GEMM_MR) * K * EDGEC_GEMM_MR + o % EDGEC_GEMM_MR;
    const float *EDGEC_RESTRICT v = vals + (ptrdiff_t)o * kept;
    const uint8_t *EDGEC_RESTRICT r = idx + (ptrdiff_t)o * row_bytes;
    for (g = 0; g < K / 4; g++) {
      const unsigned byte = r[g >> 1] >> ((g & 1) * 4);
      base[(ptrdiff_t)(4 * g + (int)(byte & 3u)) * EDGEC_GEMM_MR] = v[2 * g];
      base[(ptrdiff_t)(4 * g + (int)((byte >> 2) & 3u)) * EDGEC_GEMM_MR] = v[2 * g + 1];
    }
  }
}

/* Expand int8 2:4 storage into the dense int8 kernels' packed weight panels: element (o, k) at
 * ((o / mr) * ceil(K / kq) * mr + (k / kq) * mr + o % mr) * kq + k % kq of `total` bytes, everything else zero (the
 * int16-pair panels of qgemm.h: mr 6, kq 2; the dot panels of qdot.h: the vocabulary's mr, kq 4). */
static EDGEC_UNUSED void edgec_sp24_expand_s8(int O, int K, const int8_t *EDGEC_RESTRICT vals,
                                              const uint8_t *EDGEC_RESTRICT idx, int row_bytes, int mr, int kq,
                                              ptrdiff_t total, int8_t *EDGEC_RESTRICT out) {
  const int kept = K / 2, kb = (K + kq - 1) / kq;
  ptrdiff_t i;
  int o, g, t;
  for (i = 0; i < total; i++) out[i] = 0;
  for (o = 0; o < O; o++) {
    int8_t *EDGEC_RESTRICT base = out + ((ptrdiff_t)(o / mr) * kb * mr + o % mr) * kq;
    const int8_t *EDGEC_RESTRICT v = vals + (ptrdiff_t)o * kept;
    const uint8_t *EDGEC_RESTRICT r = idx + (ptrdiff_t)o * row_bytes;
    for (g = 0; g < K / 4; g++) {
      const unsigned byte = r[g >> 1] >> ((g & 1) * 4);
      for (t = 0; t < 2; t++) {
        const int k = 4 * g + (int)((byte >> (2 * t)) & 3u);
        base[(ptrdiff_t)(k / kq) * mr * kq + k % kq] = v[2 * g + t];
      }
    }
  }
}

#endif

