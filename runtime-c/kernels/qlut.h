/* edgec table lookups: int8 for targets without a vector vocabulary (the host C target): y[i] = lut[x[i] + 128]. With
 * AVX2 the table sits in 16 registers of 16 entries and 32 bytes go through 16 byte shuffles; elsewhere a plain loop.
 * (Targets with a vector vocabulary use kernels/vlut.h.) And int16 with interpolation on every target. C99, no malloc, no globals. */
#ifndef EDGEC_KERNEL_QLUT_H
#define EDGEC_KERNEL_QLUT_H

#include "../edgec_runtime.h"

#if defined(__AVX2__) && !defined(EDGEC_NO_SIMD)
#include <immintrin.h>
#endif

/* y[i] = lut[x[i] + 128] for n int8 values (x and y may be the same buffer). */
static EDGEC_UNUSED void edgec_qlut_s8(const int8_t *x, int8_t *y, ptrdiff_t n, const int8_t *lut) {
  ptrdiff_t i = 0;
#if defined(__AVX2__) && !defined(EDGEC_NO_SIMD)
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

#endif
