/* edgec table lookups: int8 for targets without a vector vocabulary (the host C target): y[i] = lut[x[i] + 128]. With
 * AVX2 the table sits in 16 registers of 16 entries and 32 bytes go through 16 byte shuffles; elsewhere a plain loop.
 * (Targets with a vector vocabulary use kernels/vlut.h.) And int16 with interpolation on every target. C99, no malloc, no globals. */
#ifndef EDGEC_KERNEL_QLUT_H
#define EDGEC_KERNEL_QLUT_H

#include "../edgec_runtime.h"

#if defined(__AVX2__) && !defined(EDGEC_NO_SIMD)
#include <immintrin.h>
#endif

#if defined(__AVX512VBMI__) && defined(__AVX512BW__) && !defined(EDGEC_NO_SIMD)
#define EDGEC_QLUT_VBMI 1
/* y[i] = lut[x[i] + 128] for all n int8 values, 64 at a time: the table sits in four 64-byte registers; one two-table
 * byte permute answers the negative codes (u = x + 128 < 128), another the others, and the sign bits pick between
 * them (both permutes read the low 7 bits of x, equal to those of u). The tail goes through masked loads and stores. */
EDGEC_INLINE void edgec_qlut_s8_vbmi(const int8_t *x, int8_t *y, ptrdiff_t n, const int8_t *lut) {
  const __m512i t0 = _mm512_loadu_si512((const void *)lut), t1 = _mm512_loadu_si512((const void *)(lut + 64));
  const __m512i t2 = _mm512_loadu_si512((const void *)(lut + 128)), t3 = _mm512_loadu_si512((const void *)(lut + 192));
  ptrdiff_t i;
  for (i = 0; i < n; i += 64) {
    const __mmask64 live = n - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (n - i)) - 1);
    const __m512i v = _mm512_maskz_loadu_epi8(live, (const void *)(x + i));
    const __m512i neg = _mm512_permutex2var_epi8(t0, v, t1), pos = _mm512_permutex2var_epi8(t2, v, t3);
    _mm512_mask_storeu_epi8((void *)(y + i), live, _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), pos, neg));
  }
}
#endif

/* y[i] = lut[x[i] + 128] for n int8 values (x and y may be the same buffer). */
static EDGEC_UNUSED void edgec_qlut_s8(const int8_t *x, int8_t *y, ptrdiff_t n, const int8_t *lut) {
  ptrdiff_t i = 0;
#if defined(EDGEC_QLUT_VBMI)
  edgec_qlut_s8_vbmi(x, y, n, lut);
  return;
#elif defined(__AVX2__) && !defined(EDGEC_NO_SIMD)
  if (n >= 256) {
    /* Part k (entries 16k..16k+15) answers the lanes whose index u = x + 128 has u - 16k in [0, 16): adding 0x70 with
     * unsigned saturation keeps those below 0x80 (low nibble intact) and sends every other lane to 0x80 and up, which the
     * shuffle turns into 0; the parts' answers are disjoint, so OR joins them. */
    __m256i t[16];
    const __m256i bias = _mm256_set1_epi8((char)0x70), step = _mm256_set1_epi8(16), flip = _mm256_set1_epi8((char)0x80);
    int k;
    for (k = 0; k < 16; k++) t[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(lut + 16 * k)));
    for (; i + 32 <= n; i += 32) {
      __m256i u = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)(x + i)), flip);
      __m256i r = _mm256_shuffle_epi8(t[0], _mm256_adds_epu8(u, bias));
      for (k = 1; k < 16; k++) {
        u = _mm256_sub_epi8(u, step);
        r = _mm256_or_si256(r, _mm256_shuffle_epi8(t[k], _mm256_adds_epu8(u, bias)));
      }
      _mm256_storeu_si256((__m256i *)(void *)(y + i), r);
    }
  }
#endif
  for (; i < n; i++) y[i] = lut[x[i] + 128];
}

/* int16 through a 513-entry table (TFLite's lut_lookup): entry 256 + (x >> 7) plus the slope to the next entry times
 * the low 7 bits of x, rounded (x and y may be the same buffer). */
static EDGEC_UNUSED void edgec_qlut_s16(const int16_t *x, int16_t *y, ptrdiff_t n, const int16_t *lut) {
  ptrdiff_t i;
  for (i = 0; i < n; i++) {
    const int32_t v = x[i];
    const int32_t k = 256 + (v >> 7);
    const int32_t base = lut[k];
    y[i] = (int16_t)(base + (((lut[k + 1] - base) * (v & 0x7f) + 64) >> 7));
  }
}

/* Int8 HardSwish in float32 arithmetic: x = (c - zx) * sx, y = x * clamp(x * a + b, 0, 1), code = rint(y / sy) + zy
 * saturated to int8; each step one float32 operation (no fused multiply-add), the same in the vector and scalar code.
 * The lowering emits it only where these codes equal the op's table for all 256 inputs. */
EDGEC_INLINE int8_t edgec_qhswish1(int8_t c, int32_t zx, float sx, float a, float b, float sy, int32_t zy) {
  const float x = (float)((int32_t)c - zx) * sx;
  const float t = x * a;
  float g = t + b;
  int32_t v;
  g = g < 0.0f ? 0.0f : g > 1.0f ? 1.0f : g;
  v = (int32_t)rintf((x * g) / sy) + zy;
  return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
}

static EDGEC_UNUSED void edgec_qhswish_s8(const int8_t *x, int8_t *y, ptrdiff_t n, int32_t zx, float sx, float a, float b, float sy,
                                          int32_t zy) {
  ptrdiff_t i = 0;
#if defined(EDGEC_QLUT_VBMI)
  if (n >= 1024) {
    /* The 256 codes through the same arithmetic (this function, below the size test) make the table; then lookups. */
    int8_t codes[256], lut[256];
    int k;
    for (k = 0; k < 256; k++) codes[k] = (int8_t)(k - 128);
    edgec_qhswish_s8(codes, lut, 256, zx, sx, a, b, sy, zy);
    edgec_qlut_s8_vbmi(x, y, n, lut);
    return;
  }
#endif
#if defined(__AVX2__) && !defined(EDGEC_NO_SIMD)
  const __m256i vzx = _mm256_set1_epi32(zx), vzy = _mm256_set1_epi16((short)zy);
  const __m256 vsx = _mm256_set1_ps(sx), va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b), vsy = _mm256_set1_ps(sy);
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
  for (; i + 32 <= n; i += 32) {
    __m256i q[4];
    int k;
    for (k = 0; k < 4; k++) {
      const __m256i c = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(x + i + 8 * k)));
      const __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(c, vzx)), vsx);
      const __m256 g = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(_mm256_mul_ps(v, va), vb), zero), one);
      q[k] = _mm256_cvtps_epi32(_mm256_div_ps(_mm256_mul_ps(v, g), vsy)); /* round to nearest even */
    }
    {
      __m256i p = _mm256_packs_epi16(_mm256_adds_epi16(_mm256_packs_epi32(q[0], q[1]), vzy), _mm256_adds_epi16(_mm256_packs_epi32(q[2], q[3]), vzy));
      p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
      _mm256_storeu_si256((__m256i *)(void *)(y + i), p);
    }
  }
#endif
  for (; i < n; i++) y[i] = edgec_qhswish1(x[i], zx, sx, a, b, sy, zy);
}

#endif
