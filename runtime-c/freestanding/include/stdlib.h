/* Freestanding <stdlib.h> for edgec's WebAssembly builds: integer helpers only (no allocation, no I/O). */
#ifndef EDGEC_FREESTANDING_STDLIB_H
#define EDGEC_FREESTANDING_STDLIB_H
#include <stddef.h>

static inline int abs(int x) { return x < 0 ? -x : x; }
static inline long labs(long x) { return x < 0 ? -x : x; }
static inline long long llabs(long long x) { return x < 0 ? -x : x; }

#endif
