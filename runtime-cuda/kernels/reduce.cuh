/* Generic reductions over any set of axes (the simple fallback kernel): one thread per output element walks the
 * reduced index space by strides; the functor F gives init, map, combine and finish. */
#ifndef EDGEC_REDUCE_CUH
#define EDGEC_REDUCE_CUH
#include "../edgec_cuda.cuh"

namespace edgec {

/* Kept dims with their input strides (the output is contiguous over them) and reduced dims with theirs. */
template <int RO, int RR>
struct ReduceDesc {
  long odims[RO];
  long ostride[RO];
  long rdims[RR];
  long rstride[RR];
};

template <class F, int RO, int RR>
__global__ void reduce(const float *__restrict__ x, float *__restrict__ y, ReduceDesc<RO, RR> d, long nout, long nred) {
  F f;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < nout; i += (long)gridDim.x * blockDim.x) {
    long rem = i, base = 0;
#pragma unroll
    for (int k = RO - 1; k >= 0; k--) {
      base += (rem % d.odims[k]) * d.ostride[k];
      rem /= d.odims[k];
    }
    float acc = f.init();
    for (long j = 0; j < nred; j++) {
      long r = j, off = base;
#pragma unroll
      for (int k = RR - 1; k >= 0; k--) {
        off += (r % d.rdims[k]) * d.rstride[k];
        r /= d.rdims[k];
      }
      acc = f.combine(acc, f.map(x[off]));
    }
    y[i] = f.finish(acc, (float)nred);
  }
}

/* y[i] = v over n elements. */
template <typename T>
__global__ void fill(T *__restrict__ y, long n, T v) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) y[i] = v;
}

} /* namespace edgec */
#endif
