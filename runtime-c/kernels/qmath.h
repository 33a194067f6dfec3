/* TFLite/gemmlowp fixed-point requantization: the integer arithmetic every int8 kernel shares. */
#ifndef EDGEC_QMATH_H
#define EDGEC_QMATH_H
#include <stdint.h>
#include "../edgec_runtime.h"

/* gemmlowp SaturatingRoundingDoublingHighMul. gemmlowp's (ab + (ab >= 0 ? 2^30 : 1 - 2^30)) / 2^31, truncated, equals
 * floor((ab + 2^30) / 2^31) for every ab; written as that shift, without branches, so loops of it vectorize. */
EDGEC_INLINE int32_t edgec_srdhm(int32_t a, int32_t b) {
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int32_t r = (int32_t)((ab + ((int64_t)1 << 30)) >> 31);
  return a == INT32_MIN && b == INT32_MIN ? INT32_MAX : r;
}

/* gemmlowp RoundingDivideByPOT: x / 2^e, ties away from zero. */
EDGEC_INLINE int32_t edgec_rdivpot(int32_t x, int e) {
  int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier: x * m * 2^(shift - 31), rounded. */
EDGEC_INLINE int32_t edgec_mbqm(int32_t x, int32_t m, int shift) {
  int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  return edgec_rdivpot(edgec_srdhm((int32_t)((uint32_t)x << left), m), right);
}

/* Saturate an int32 to [lo, hi] (lo <= hi). Written with one unsigned range test rather than min/max: gcc 12 -O3
 * vectorizes min/max followed by a narrowing store by narrowing the operands too, which wraps large values
 * (an int8 Mul computed 211 and stored -99 instead of 127). */
EDGEC_INLINE int32_t edgec_clampi(int32_t x, int32_t lo, int32_t hi) {
  return (uint32_t)x - (uint32_t)lo > (uint32_t)hi - (uint32_t)lo ? (x < lo ? lo : hi) : x;
}
#endif
