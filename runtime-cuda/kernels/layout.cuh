/* Data movement as one kernel: every output element of a (sub)region reads the input through per-axis index maps
 * (Slice, Pad, Gather, nearest Resize, Split) or plain strides (Transpose, Concat into an output region). */
#ifndef EDGEC_LAYOUT_CUH
#define EDGEC_LAYOUT_CUH
#include "../edgec_cuda.cuh"

namespace edgec {

/* Region dims; source and destination strides in elements; map offsets into the maps table (-1: identity axis). */
template <int R>
struct Remap {
  long dims[R];
  long src_stride[R];
  long dst_stride[R];
  int map_off[R];
};

/* dst[dst_base + sum c_k * dst_stride_k] = src[src_base + sum map_k(c_k) * src_stride_k], `fill` where a map gives -1. */
template <typename T, int R>
__global__ void remap(const T *__restrict__ src, T *__restrict__ dst, const int *__restrict__ maps, Remap<R> d, long n, T fill) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
    long rem = i, so = 0, doff = 0;
    bool filled = false;
#pragma unroll
    for (int k = R - 1; k >= 0; k--) {
      long c = rem % d.dims[k];
      rem /= d.dims[k];
      long s = d.map_off[k] >= 0 ? (long)__ldg(maps + d.map_off[k] + c) : c;
      filled |= s < 0;
      so += s * d.src_stride[k];
      doff += c * d.dst_stride[k];
    }
    dst[doff] = filled ? fill : src[so];
  }
}

} /* namespace edgec */
#endif
