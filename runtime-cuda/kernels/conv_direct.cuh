/* Direct convolutions on CUDA cores in fp32: depthwise, grouped/general (the exact path) and transposed. One thread per
 * output element; shapes are template constants so index arithmetic folds. */
#ifndef EDGEC_CONV_DIRECT_CUH
#define EDGEC_CONV_DIRECT_CUH
#include "../edgec_cuda.cuh"

namespace edgec {

/* y[b][m][oh][ow] = epi(sum_{c in group, kh, kw} x[b][c][ih][iw] * w[m][c'][kh][kw]); depthwise is G = C = M. */
template <int BATCH, int C, int H, int W, int M, int OH, int OW, int G, int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL, int ACT>
__global__ void conv_direct(const float *__restrict__ x, const float *__restrict__ w, float *__restrict__ y, Epilogue e) {
  constexpr int CG = C / G, MG = M / G;
  constexpr long TOTAL = (long)BATCH * M * OH * OW;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < TOTAL; i += (long)gridDim.x * blockDim.x) {
    int ow = (int)(i % OW);
    int oh = (int)((i / OW) % OH);
    int m = (int)((i / ((long)OW * OH)) % M);
    int b = (int)(i / ((long)OW * OH * M));
    int c0 = (m / MG) * CG;
    const float *xb = x + ((long)b * C + c0) * H * W;
    const float *wm = w + (long)m * CG * KH * KW;
    float acc = 0.0f;
    for (int c = 0; c < CG; c++) {
#pragma unroll
      for (int kh = 0; kh < KH; kh++) {
        int ih = oh * SH - PT + kh * DH;
        if (ih < 0 || ih >= H) continue;
#pragma unroll
        for (int kw = 0; kw < KW; kw++) {
          int iw = ow * SW - PL + kw * DW;
          if (iw < 0 || iw >= W) continue;
          acc = fmaf(__ldg(xb + ((long)c * H + ih) * W + iw), __ldg(wm + (c * KH + kh) * KW + kw), acc);
        }
      }
    }
    y[i] = epilogue<ACT>(e, acc, m, i);
  }
}

/* ConvTranspose: y[b][o][oh][ow] = epi(sum x[b][c][ih][iw] * w[c][o'][kh][kw]) over ih * SH - PT + kh * DH = oh. */
template <int BATCH, int C, int H, int W, int M, int OH, int OW, int G, int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL, int ACT>
__global__ void conv_transpose_direct(const float *__restrict__ x, const float *__restrict__ w, float *__restrict__ y, Epilogue e) {
  constexpr int CG = C / G, MG = M / G;
  constexpr long TOTAL = (long)BATCH * M * OH * OW;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < TOTAL; i += (long)gridDim.x * blockDim.x) {
    int ow = (int)(i % OW);
    int oh = (int)((i / OW) % OH);
    int m = (int)((i / ((long)OW * OH)) % M);
    int b = (int)(i / ((long)OW * OH * M));
    int grp = m / MG, o = m % MG;
    float acc = 0.0f;
    for (int c = grp * CG; c < (grp + 1) * CG; c++) {
#pragma unroll
      for (int kh = 0; kh < KH; kh++) {
        int th = oh + PT - kh * DH;
        if (th < 0 || th % SH) continue;
        int ih = th / SH;
        if (ih >= H) continue;
#pragma unroll
        for (int kw = 0; kw < KW; kw++) {
          int tw = ow + PL - kw * DW;
          if (tw < 0 || tw % SW) continue;
          int iw = tw / SW;
          if (iw >= W) continue;
          acc = fmaf(__ldg(x + (((long)b * C + c) * H + ih) * W + iw), __ldg(w + (((long)c * MG + o) * KH + kh) * KW + kw), acc);
        }
      }
    }
    y[i] = epilogue<ACT>(e, acc, m, i);
  }
}

} /* namespace edgec */
#endif
