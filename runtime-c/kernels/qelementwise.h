/* edgec int8 elementwise helpers: TFLite's reference requantization steps not already in qmath.h. */
#ifndef EDGEC_KERNELS_QELEMENTWISE_H
#define EDGEC_KERNELS_QELEMENTWISE_H
#include "qmath.h"

/* TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp: x * m * 2^(shift - 31) for shift <= 0, rounded twice. */
EDGEC_INLINE int32_t edgec_mbqm_lt1(int32_t x, int32_t m, int shift) {
  return edgec_rdivpot(edgec_srdhm(x, m), -shift);
}

/* TFLite's rounded integer average: (acc +- count / 2) / count with C's truncating division. */
EDGEC_INLINE int32_t edgec_rounded_div(int32_t acc, int32_t count) {
  return acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
}
#endif
