/* edgec int8 table lookup (LookupTable: quantized Sigmoid, HardSwish, ...) on the vector vocabulary: y[i] =
 * table[x[i] + 128], 16 lanes at a time with the table held in registers. */
#ifndef EDGEC_KERNEL_VLUT_H
#define EDGEC_KERNEL_VLUT_H

#include "../edgec_runtime.h"

#if !defined(EDGEC_SIMD)
#error "vlut.h needs a vector vocabulary (runtime-c/simd); the emitter includes one for targets that name it"
#endif

/* y[i] = lut[x[i] + 128] for n int8 values (x and y may be the same buffer). */
static EDGEC_UNUSED void edgec_lut_s8(const int8_t *x, int8_t *y, ptrdiff_t n, const int8_t *lut) {
  const edgec_vlut256 t = edgec_vlut256_load(lut);
  ptrdiff_t i = 0;
  for (; i + 16 <= n; i += 16) edgec_vi8_store(y + i, edgec_vi8_lut256(&t, edgec_vi8_load(x + i)));
  for (; i < n; i++) y[i] = lut[x[i] + 128];
}

#endif
