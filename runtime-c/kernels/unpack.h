/* edgec lossless weight unpacking: canonical Huffman codes (lengths <= 15, MSB-first bit stream) for int8/uint8
 * weights and for the exponent byte of float32 weights (whose sign and mantissa are stored raw, 3 bytes each).
 * Decoding runs once, at the first model run, into RAM; the result is bit-identical to the unpacked weights. */
#ifndef EDGEC_KERNEL_UNPACK_H
#define EDGEC_KERNEL_UNPACK_H

#include <stdint.h>

/* A Huffman code: count[len] codes of each length 1..15 (count[0] unused) and the symbols in canonical order. */
typedef struct {
  const uint16_t *count;
  const uint8_t *symbol;
  const uint8_t *bits;
} edgec_huff;

/* Decode n symbols of code h into out[i * stride]. */
static EDGEC_UNUSED void edgec_huff_decode(const edgec_huff *h, uint8_t *out, long n, int stride) {
  unsigned long pos = 0;
  long i;
  for (i = 0; i < n; i++) {
    int code = 0, first = 0, index = 0, len;
    for (len = 1; len <= 15; len++) {
      code |= (h->bits[pos >> 3] >> (7 - (pos & 7))) & 1;
      pos++;
      if (code - h->count[len] < first) {
        out[i * stride] = h->symbol[index + (code - first)];
        break;
      }
      index += h->count[len];
      first = (first + h->count[len]) << 1;
      code <<= 1;
    }
  }
}

/* float32 weights: exponent bytes from code h, sign and mantissa from rest (3 bytes per value, little-endian). */
static EDGEC_UNUSED void edgec_unpack_f32(uint32_t *out, long n, const edgec_huff *h, const uint8_t *rest) {
  long i;
  edgec_huff_decode(h, (uint8_t *)out, n, 4); /* exponent bytes land in each word's first byte, fixed below */
  for (i = 0; i < n; i++) {
    const uint32_t e = ((const uint8_t *)out)[i * 4];
    const uint32_t r = (uint32_t)rest[3 * i] | ((uint32_t)rest[3 * i + 1] << 8) | ((uint32_t)rest[3 * i + 2] << 16);
    out[i] = ((r >> 23) << 31) | (e << 23) | (r & 0x7fffffu);
  }
}

#endif
