/* Elementwise kernels: unary maps and broadcasting binary ops over up to 6 coalesced axes; the operation is a functor
 * the generated model.cu defines per op (the CUDA lowering's expression table). */
#ifndef EDGEC_ELEMENTWISE_CUH
#define EDGEC_ELEMENTWISE_CUH
#include "../edgec_cuda.cuh"

namespace edgec {

/* y[i] = F(x[i]) over n contiguous elements. */
template <class F, typename TX, typename TY>
__global__ void unary(const TX *__restrict__ x, TY *__restrict__ y, long n) {
  F f;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) y[i] = f(x[i]);
}

/* Output dims and per-operand element strides (0 on broadcast axes) of a coalesced broadcast. */
template <int R>
struct Broadcast {
  long dims[R];
  long sa[R];
  long sb[R];
};

/* y[i] = F(a[.], b[.]) with numpy broadcasting expressed as strides. */
template <class F, int R, typename TA, typename TB, typename TY>
__global__ void binary(const TA *__restrict__ a, const TB *__restrict__ b, TY *__restrict__ y, Broadcast<R> d, long n) {
  F f;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
    long rem = i, oa = 0, ob = 0;
#pragma unroll
    for (int k = R - 1; k >= 0; k--) {
      long c = rem % d.dims[k];
      rem /= d.dims[k];
      oa += c * d.sa[k];
      ob += c * d.sb[k];
    }
    y[i] = f(a[oa], b[ob]);
  }
}

/* Per-channel affine over N x C x S: y = act(x * scale[c] + shift[c]) (inference BatchNormalization). */
template <int C, int S, int ACT>
__global__ void channel_affine(const float *__restrict__ x, const float *__restrict__ scale, const float *__restrict__ shift,
                               float *__restrict__ y, long n, float act_a, float act_b) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
    int c = (int)((i / S) % C);
    y[i] = act<ACT>(fmaf(x[i], __ldg(scale + c), __ldg(shift + c)), act_a, act_b);
  }
}

} /* namespace edgec */
#endif
