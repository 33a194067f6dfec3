/* edgec W4 GEMM: Y[M][N] = X[M][K] * W + bias, then a fused activation, where W is int4 group-quantized:
 * w = s * (q - z) with 4-bit codes q, per-group scales s (float16 bits or float32) and 4-bit zero points z (8 when
 * symmetric). The weights are dequantized inside the kernel, a panel of 16 columns at a time: into registers for
 * short products (M <= 5), into a small L1 buffer that the SGEMM micro-kernel of gemm.h reads otherwise.
 * C99; GNU vector extensions when the compiler has them, plain loops otherwise. No malloc, no globals.
 *
 * Weight layout (built by the compiler), panels of NR = 16 columns, the last one w = N - 16*(P-1) wide, h = (w+1)/2:
 *   codes:  panel p at qw + p*K*8, row k at + k*h; byte b holds column 2b (low nibble) and column 2b + 1 (high nibble)
 *   scales: panel p at s + p*G*16, group g at + g*w, one per column (G = ceil(K / group))
 *   zeros:  panel p at zp + p*G*8, group g at + g*h, nibbles paired like the codes; NULL means z = 8 everywhere
 * s * (q - z) is exact in float32 (11 x 5 significant bits), so every column sum sees exactly the reference weights. */
#ifndef EDGEC_KERNEL_GEMM_W4_H
#define EDGEC_KERNEL_GEMM_W4_H

#include "gemm.h"

#if defined(EDGEC_HAVE_V8) && (defined(__clang__) || __GNUC__ >= 9)
#define EDGEC_W4_VEC 1
/* Eight nibbles of the 4 bytes at p (byte b: column 2b low, 2b + 1 high) as floats: the little-endian word
 * broadcast, shifted per lane and masked. */
EDGEC_INLINE edgec_vec8 edgec_w4_nib8(const uint8_t *p) {
  const int32_t word = (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
  const edgec_vec8i shifts = {0, 4, 8, 12, 16, 20, 24, 28};
  const edgec_vec8i w = {word, word, word, word, word, word, word, word};
  return __builtin_convertvector((w >> shifts) & 15, edgec_vec8);
}
/* The 16 nibbles of the 8 bytes at p: columns 0..7 into *lo, 8..15 into *hi. */
EDGEC_INLINE void edgec_w4_nibbles(const uint8_t *p, edgec_vec8 *lo, edgec_vec8 *hi) {
  *lo = edgec_w4_nib8(p);
  *hi = edgec_w4_nib8(p + 4);
}
#endif

/* Rows up to which the register path runs (one accumulator pair per row). */
#define EDGEC_W4_SHORT_M 5

/* Floats of scratch edgec_gemm_w4 needs: packed X rows (buffer path only) and one dequantized KC x 16 block. */
#define EDGEC_GEMM_W4_SCRATCH(M, K, KC)                                                                               \
  ((M) <= EDGEC_W4_SHORT_M ? 0 : EDGEC_SGEMM_APACK(M, K) + (ptrdiff_t)(KC) * EDGEC_GEMM_NR)

/* float16 bits to float (zero, subnormals, normals, infinities, NaN). */
EDGEC_INLINE float edgec_f16_to_f32(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  uint32_t bits;
  float f;
  if (exp == 0) {
    f = (float)man * 5.9604644775390625e-08f; /* man * 2^-24, exact */
    memcpy(&bits, &f, sizeof bits);
    bits |= sign;
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 112u) << 23) | (man << 13);
  }
  memcpy(&f, &bits, sizeof f);
  return f;
}

#if defined(EDGEC_W4_VEC)
typedef uint16_t edgec_u16x8 __attribute__((vector_size(16)));
/* Eight float16 bit patterns to floats: the magnitude bits moved into place and rescaled by 2^112 (exact for
 * normals, subnormals and zero), exponent 31 mapped to infinity/NaN, then the sign. */
EDGEC_INLINE edgec_vec8 edgec_w4_f16x8(const uint16_t *p) {
  edgec_u16x8 v;
  edgec_vec8i h, mag, sign;
  edgec_vec8 f;
  memcpy(&v, p, sizeof v);
  h = __builtin_convertvector(v, edgec_vec8i);
  mag = (h & 0x7fff) << 13;
  sign = (h & 0x8000) << 16;
  f = (edgec_vec8)mag * EDGEC_V8_SET1(0x1p112f);
  f = edgec_v8_select((h & 0x7c00) == 0x7c00, (edgec_vec8)(mag | 0x7f800000), f);
  return (edgec_vec8)((edgec_vec8i)f | sign);
}
#endif

/* Scale and offset (-z*s) of the 16 columns of group g of a panel w columns wide (zeros past w). */
EDGEC_INLINE void edgec_w4_group_params(const uint16_t *s16, const float *s32, const uint8_t *zp, int w, int g,
                                        float *EDGEC_RESTRICT s, float *EDGEC_RESTRICT b) {
  const int h = (w + 1) / 2;
  int j;
#if defined(EDGEC_W4_VEC)
  if (w == EDGEC_GEMM_NR) {
    edgec_vec8 s0, s1, z0, z1;
    if (s16) {
      s0 = edgec_w4_f16x8(s16 + (ptrdiff_t)g * EDGEC_GEMM_NR);
      s1 = edgec_w4_f16x8(s16 + (ptrdiff_t)g * EDGEC_GEMM_NR + 8);
    } else {
      s0 = EDGEC_V8_LOAD(s32 + (ptrdiff_t)g * EDGEC_GEMM_NR);
      s1 = EDGEC_V8_LOAD(s32 + (ptrdiff_t)g * EDGEC_GEMM_NR + 8);
    }
    if (zp) {
      edgec_w4_nibbles(zp + (ptrdiff_t)g * 8, &z0, &z1);
    } else {
      z0 = z1 = EDGEC_V8_SET1(8.0f);
    }
    EDGEC_V8_STORE(s, s0);
    EDGEC_V8_STORE(s + 8, s1);
    EDGEC_V8_STORE(b, -z0 * s0);
    EDGEC_V8_STORE(b + 8, -z1 * s1);
    return;
  }
#endif
  for (j = 0; j < EDGEC_GEMM_NR; j++) {
    float sj, zj;
    if (j >= w) {
      s[j] = 0.0f;
      b[j] = 0.0f;
      continue;
    }
    sj = s16 ? edgec_f16_to_f32(s16[(ptrdiff_t)g * w + j]) : s32[(ptrdiff_t)g * w + j];
    zj = zp ? (float)((zp[(ptrdiff_t)g * h + (j >> 1)] >> ((j & 1) * 4)) & 15) : 8.0f;
    s[j] = sj;
    b[j] = -zj * sj;
  }
}

/* Dequantize one row (the (w + 1) / 2 bytes at q) of a panel w columns wide into 16 floats (columns past w get 0). */
EDGEC_INLINE EDGEC_FMA_CONTRACT void edgec_w4_row(const uint8_t *EDGEC_RESTRICT q, int w, const float *s,
                                                  const float *b, float *EDGEC_RESTRICT out) {
  int j;
  for (j = 0; j < EDGEC_GEMM_NR; j++) out[j] = j < w ? (float)((q[j >> 1] >> ((j & 1) * 4)) & 15) * s[j] + b[j] : 0.0f;
}

/* Rows [k0, k0 + kc) of one panel dequantized into out[kc][16]. */
static EDGEC_UNUSED EDGEC_FMA_CONTRACT void edgec_w4_dequant(const uint8_t *qp, const uint16_t *s16, const float *s32,
                                                             const uint8_t *zp, int w, int group, int k0, int kc,
                                                             float *EDGEC_RESTRICT out) {
  const int h = (w + 1) / 2, k1 = k0 + kc;
  float s[EDGEC_GEMM_NR], b[EDGEC_GEMM_NR];
  int k = k0;
  while (k < k1) {
    const int g = k / group, kend = (g + 1) * group < k1 ? (g + 1) * group : k1;
    edgec_w4_group_params(s16, s32, zp, w, g, s, b);
#if defined(EDGEC_W4_VEC)
    if (w == EDGEC_GEMM_NR) {
      const edgec_vec8 s0 = EDGEC_V8_LOAD(s), s1 = EDGEC_V8_LOAD(s + 8), b0 = EDGEC_V8_LOAD(b), b1 = EDGEC_V8_LOAD(b + 8);
      for (; k < kend; k++) {
        float *o = out + (ptrdiff_t)(k - k0) * EDGEC_GEMM_NR;
        edgec_vec8 q0, q1;
        edgec_w4_nibbles(qp + (ptrdiff_t)k * 8, &q0, &q1);
        EDGEC_V8_STORE(o, q0 * s0 + b0);
        EDGEC_V8_STORE(o + 8, q1 * s1 + b1);
      }
      continue;
    }
#endif
    for (; k < kend; k++) edgec_w4_row(qp + (ptrdiff_t)k * h, w, s, b, out + (ptrdiff_t)(k - k0) * EDGEC_GEMM_NR);
  }
}

/* Short products (MM <= EDGEC_W4_SHORT_M rows, a constant after inlining): one panel, weights dequantized in registers
 * and multiplied straight into MM accumulator pairs; y gets the w valid columns, bias added, `act` applied. */
EDGEC_INLINE EDGEC_FMA_CONTRACT void edgec_w4_short_panel(const int MM, int K, int group, const float *x, ptrdiff_t ldx,
                                                          const uint8_t *qp, const uint16_t *s16, const float *s32,
                                                          const uint8_t *zp, int w, const float *bias, float *y,
                                                          ptrdiff_t ldy, int act, float aa, float ab) {
  float s[EDGEC_GEMM_NR], b[EDGEC_GEMM_NR], t[EDGEC_GEMM_NR];
  int m, j, k = 0;
#if defined(EDGEC_W4_VEC)
  edgec_vec8 acc0[EDGEC_W4_SHORT_M], acc1[EDGEC_W4_SHORT_M], i0 = EDGEC_V8_SET1(0.0f), i1 = i0;
  if (bias) {
    for (j = 0; j < EDGEC_GEMM_NR; j++) t[j] = j < w ? bias[j] : 0.0f;
    i0 = EDGEC_V8_LOAD(t);
    i1 = EDGEC_V8_LOAD(t + 8);
  }
  for (m = 0; m < MM; m++) {
    acc0[m] = i0;
    acc1[m] = i1;
  }
  while (k < K) {
    const int g = k / group, kend = (g + 1) * group < K ? (g + 1) * group : K;
    edgec_vec8 s0, s1, b0, b1;
    edgec_w4_group_params(s16, s32, zp, w, g, s, b);
    s0 = EDGEC_V8_LOAD(s); s1 = EDGEC_V8_LOAD(s + 8); b0 = EDGEC_V8_LOAD(b); b1 = EDGEC_V8_LOAD(b + 8);
    if (w == EDGEC_GEMM_NR) {
      for (; k < kend; k++) {
        edgec_vec8 w0, w1;
        edgec_w4_nibbles(qp + (ptrdiff_t)k * 8, &w0, &w1);
        w0 = w0 * s0 + b0;
        w1 = w1 * s1 + b1;
        for (m = 0; m < MM; m++) {
          const edgec_vec8 xv = EDGEC_V8_SET1(x[(ptrdiff_t)m * ldx + k]);
          acc0[m] += xv * w0;
          acc1[m] += xv * w1;
        }
      }
    } else {
      for (; k < kend; k++) {
        edgec_vec8 w0, w1;
        edgec_w4_row(qp + (ptrdiff_t)k * ((w + 1) / 2), w, s, b, t);
        w0 = EDGEC_V8_LOAD(t);
        w1 = EDGEC_V8_LOAD(t + 8);
        for (m = 0; m < MM; m++) {
          const edgec_vec8 xv = EDGEC_V8_SET1(x[(ptrdiff_t)m * ldx + k]);
          acc0[m] += xv * w0;
          acc1[m] += xv * w1;
        }
      }
    }
  }
  for (m = 0; m < MM; m++) {
    float *ym = y + (ptrdiff_t)m * ldy;
    if (w == EDGEC_GEMM_NR) {
      EDGEC_V8_STORE(ym, acc0[m]);
      EDGEC_V8_STORE(ym + 8, acc1[m]);
    } else {
      EDGEC_V8_STORE(t, acc0[m]);
      EDGEC_V8_STORE(t + 8, acc1[m]);
      for (j = 0; j < w; j++) ym[j] = t[j];
    }
    edgec_act_run(ym, w, act, aa, ab);
  }
#else
  float acc[EDGEC_W4_SHORT_M][EDGEC_GEMM_NR];
  for (m = 0; m < MM; m++)
    for (j = 0; j < EDGEC_GEMM_NR; j++) acc[m][j] = bias && j < w ? bias[j] : 0.0f;
  while (k < K) {
    const int g = k / group, kend = (g + 1) * group < K ? (g + 1) * group : K;
    edgec_w4_group_params(s16, s32, zp, w, g, s, b);
    for (; k < kend; k++) {
      edgec_w4_row(qp + (ptrdiff_t)k * ((w + 1) / 2), w, s, b, t);
      for (m = 0; m < MM; m++) {
        const float xv = x[(ptrdiff_t)m * ldx + k];
        for (j = 0; j < EDGEC_GEMM_NR; j++) acc[m][j] += xv * t[j];
      }
    }
  }
  for (m = 0; m < MM; m++) {
    float *ym = y + (ptrdiff_t)m * ldy;
    for (j = 0; j < w; j++) ym[j] = acc[m][j];
    edgec_act_run(ym, w, act, aa, ab);
  }
#endif
}

/* Y[M][N] (row stride ldy) = X[M][K] (row stride ldx) * W + bias[N] (NULL: none), then `act` (aa, ab its parameters).
 * qw/s16 or s32/zp: the panel layout above (exactly one of s16, s32 non-NULL; zp NULL for symmetric codes).
 * scratch: EDGEC_GEMM_W4_SCRATCH(M, K, KC) floats, 64-byte aligned; KC: rows dequantized per block (buffer path). */
static EDGEC_UNUSED EDGEC_FMA_CONTRACT void edgec_gemm_w4(int M, int N, int K, int group, const float *x, ptrdiff_t ldx, const uint8_t *qw,
                                       const uint16_t *s16, const float *s32, const uint8_t *zp, const float *bias,
                                       float *y, ptrdiff_t ldy, int act, float aa, float ab, float *scratch, int KC) {
  const int G = (K + group - 1) / group, P = (N + EDGEC_GEMM_NR - 1) / EDGEC_GEMM_NR;
  float *bbuf = M <= EDGEC_W4_SHORT_M ? scratch : scratch + EDGEC_SGEMM_APACK(M, K);
  int p, k0, i;
  if (M > EDGEC_W4_SHORT_M) edgec_sgemm_pack_a(M, K, x, ldx, 1, 1.0f, scratch);
  for (p = 0; p < P; p++) {
    const int j0 = p * EDGEC_GEMM_NR, w = N - j0 < EDGEC_GEMM_NR ? N - j0 : EDGEC_GEMM_NR;
    const uint8_t *qp = qw + (ptrdiff_t)p * K * 8;
    const uint16_t *sp16 = s16 ? s16 + (ptrdiff_t)p * G * EDGEC_GEMM_NR : NULL;
    const float *sp32 = s32 ? s32 + (ptrdiff_t)p * G * EDGEC_GEMM_NR : NULL;
    const uint8_t *zpp = zp ? zp + (ptrdiff_t)p * G * 8 : NULL;
    const float *bj = bias ? bias + j0 : NULL;
    switch (M) {
    case 0: continue;
    case 1: edgec_w4_short_panel(1, K, group, x, ldx, qp, sp16, sp32, zpp, w, bj, y + j0, ldy, act, aa, ab); continue;
    case 2: edgec_w4_short_panel(2, K, group, x, ldx, qp, sp16, sp32, zpp, w, bj, y + j0, ldy, act, aa, ab); continue;
    case 3: edgec_w4_short_panel(3, K, group, x, ldx, qp, sp16, sp32, zpp, w, bj, y + j0, ldy, act, aa, ab); continue;
    case 4: edgec_w4_short_panel(4, K, group, x, ldx, qp, sp16, sp32, zpp, w, bj, y + j0, ldy, act, aa, ab); continue;
    case 5: edgec_w4_short_panel(5, K, group, x, ldx, qp, sp16, sp32, zpp, w, bj, y + j0, ldy, act, aa, ab); continue;
    default: break;
    }
    for (k0 = 0; k0 < K; k0 += KC) {
      const int kc = K - k0 < KC ? K - k0 : KC, first = k0 == 0, last = k0 + kc == K;
      edgec_w4_dequant(qp, sp16, sp32, zpp, w, group, k0, kc, bbuf);
      for (i = 0; i < M; i += EDGEC_GEMM_MR) {
        const int mr = M - i < EDGEC_GEMM_MR ? M - i : EDGEC_GEMM_MR;
        edgec_sgemm_ukr(kc, scratch + (ptrdiff_t)(i / EDGEC_GEMM_MR) * K * EDGEC_GEMM_MR + (ptrdiff_t)k0 * EDGEC_GEMM_MR,
                        bbuf, EDGEC_GEMM_NR, y + (ptrdiff_t)i * ldy + j0, ldy, mr, w, !first, NULL,
                        first ? bj : NULL, last ? act : EDGEC_ACT_NONE, aa, ab);
      }
    }
  }
}

#endif
