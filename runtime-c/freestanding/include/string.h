/* Freestanding <string.h> for edgec's WebAssembly builds (no libc): the memory functions the kernels use.
 * Implemented in ../libc.c; clang lowers fixed-size calls to loads/stores and the rest to bulk-memory ops. */
#ifndef EDGEC_FREESTANDING_STRING_H
#define EDGEC_FREESTANDING_STRING_H
#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
