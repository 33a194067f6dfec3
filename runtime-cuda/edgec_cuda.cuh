/* edgec CUDA runtime: definitions every generated model.cu shares (activations, fused epilogues, error checks). */
#ifndef EDGEC_CUDA_CUH
#define EDGEC_CUDA_CUH

#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <stdint.h>

/* Return the CUDA error of a call from the enclosing function (which returns cudaError_t). */
#define EDGEC_CUDA_TRY(call)                 \
  do {                                       \
    cudaError_t edgec_err_ = (call);         \
    if (edgec_err_ != cudaSuccess) return edgec_err_; \
  } while (0)

namespace edgec {

/* Fused activation ids (same numbering as runtime-c/edgec_runtime.h). */
enum Act { ACT_NONE = 0, ACT_RELU = 1, ACT_CLIP = 2, ACT_HARDSIGMOID = 3, ACT_HARDSWISH = 4, ACT_LEAKYRELU = 5, ACT_SIGMOID = 6, ACT_SILU = 7 };

/* A fused activation with its constants (Clip min/max, HardSigmoid alpha/beta, LeakyRelu and SiLU alpha). */
template <int ACT>
__device__ __forceinline__ float act(float v, float a, float b) {
  if (ACT == ACT_RELU) return v > 0.0f ? v : 0.0f;
  if (ACT == ACT_CLIP) return v < a ? a : (v > b ? b : v);
  if (ACT == ACT_HARDSIGMOID) { float h = a * v + b; return h < 0.0f ? 0.0f : (h > 1.0f ? 1.0f : h); }
  if (ACT == ACT_HARDSWISH) { float h = v * (1.0f / 6.0f) + 0.5f; h = h < 0.0f ? 0.0f : (h > 1.0f ? 1.0f : h); return v * h; }
  if (ACT == ACT_LEAKYRELU) return v >= 0.0f ? v : a * v;
  if (ACT == ACT_SIGMOID) return 1.0f / (1.0f + expf(-v));
  if (ACT == ACT_SILU) return v / (1.0f + expf(-a * v));
  return v;
}

/* What a producer kernel applies before its store: y = act(acc + bias[ch]) * mul + add (+ residual[i]). */
struct Epilogue {
  const float *bias;     /* per output channel, or nullptr */
  const float *residual; /* same layout as the output, or nullptr */
  float a, b;            /* activation constants */
  float mul, add;        /* scalar affine absorbed from a following Mul/Add by a constant */
};

/* Apply the epilogue to one accumulator for output channel `ch` at output offset `i`. */
template <int ACT>
__device__ __forceinline__ float epilogue(const Epilogue &e, float acc, int ch, long i) {
  float v = acc + (e.bias ? __ldg(e.bias + ch) : 0.0f);
  v = act<ACT>(v, e.a, e.b);
  v = v * e.mul + e.add;
  if (e.residual) v += __ldg(e.residual + i);
  return v;
}

/* Blocks of `threads` covering n items (grid-stride loops cover the rest). */
static inline unsigned blocks_for(long n, int threads) {
  long b = (n + threads - 1) / threads;
  return (unsigned)(b < 1 ? 1 : (b > 65535L * 16 ? 65535L * 16 : b));
}

} /* namespace edgec */

#endif
