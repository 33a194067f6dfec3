/* edgec runtime: the few definitions every generated artifact shares. C99, no malloc, no globals. */
#ifndef EDGEC_RUNTIME_H
#define EDGEC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

#if defined(__GNUC__) || defined(__clang__)
#define EDGEC_ALIGNED(n) __attribute__((aligned(n)))
#define EDGEC_RESTRICT __restrict__
#define EDGEC_INLINE static inline __attribute__((always_inline))
#define EDGEC_UNUSED __attribute__((unused))
/* A layer function (Target.layerFunctions): kept out of line. */
#define EDGEC_LAYER_FN __attribute__((noinline))
#else
#define EDGEC_ALIGNED(n)
#define EDGEC_RESTRICT
#define EDGEC_INLINE static inline
#define EDGEC_UNUSED
#define EDGEC_LAYER_FN
#endif

/* Arena buffers are aligned to this many bytes. */
#define EDGEC_ARENA_ALIGN 64

/* Fused activation ids (match src/ops/activation.ts FUSABLE_ACTIVATIONS order, 1-based). */
enum {
  EDGEC_ACT_NONE = 0,
  EDGEC_ACT_RELU = 1,
  EDGEC_ACT_CLIP = 2,
  EDGEC_ACT_HARDSIGMOID = 3,
  EDGEC_ACT_HARDSWISH = 4,
  EDGEC_ACT_LEAKYRELU = 5,
  EDGEC_ACT_SIGMOID = 6,
  EDGEC_ACT_SILU = 7
};

/* Apply a fused activation to n contiguous floats in place (a, b: Clip min/max, HardSigmoid alpha/beta, LeakyRelu and SiLU alpha). */
EDGEC_INLINE void edgec_act_apply(float *EDGEC_RESTRICT p, ptrdiff_t n, int act, float a, float b) {
  ptrdiff_t i;
  switch (act) {
  case EDGEC_ACT_RELU:
    for (i = 0; i < n; i++) p[i] = p[i] > 0.0f ? p[i] : 0.0f;
    break;
  case EDGEC_ACT_CLIP:
    for (i = 0; i < n; i++) p[i] = p[i] < a ? a : (p[i] > b ? b : p[i]);
    break;
  case EDGEC_ACT_HARDSIGMOID:
    for (i = 0; i < n; i++) {
      float v = a * p[i] + b;
      p[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    }
    break;
  case EDGEC_ACT_HARDSWISH:
    for (i = 0; i < n; i++) {
      float v = p[i] * (1.0f / 6.0f) + 0.5f;
      v = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
      p[i] = p[i] * v;
    }
    break;
  case EDGEC_ACT_LEAKYRELU:
    for (i = 0; i < n; i++) p[i] = p[i] >= 0.0f ? p[i] : a * p[i];
    break;
  case EDGEC_ACT_SIGMOID:
    for (i = 0; i < n; i++) p[i] = 1.0f / (1.0f + expf(-p[i]));
    break;
  case EDGEC_ACT_SILU:
    for (i = 0; i < n; i++) p[i] = p[i] / (1.0f + expf(-a * p[i]));
    break;
  default:
    break;
  }
}

/* Description of one model input or output, for generic drivers. */
typedef struct {
  const char *name;
  int dtype; /* 0 float32, 1 int8, 2 uint8, 3 int16, 4 int32, 5 int64, 6 bool, 7 float64, 8 uint16, 9 uint32 */
  int rank;
  const int32_t *shape;
  size_t bytes;
} edgec_io_info;

/* Description of a compiled model: its I/O and arena size, and a run entry point over pointer arrays. */
typedef struct {
  const char *name;
  int num_inputs;
  int num_outputs;
  const edgec_io_info *inputs;
  const edgec_io_info *outputs;
  size_t arena_bytes;
  int (*run)(const void *const *inputs, void *const *outputs, void *arena);
} edgec_model_info;

#endif
