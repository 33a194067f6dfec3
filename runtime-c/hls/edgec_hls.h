/* edgec HLS layer templates (Vitis HLS C++, hls4ml-style): int8 activations and weights, int32 accumulators and
 * TFLite's fixed-point requantization (kernels/qmath.h, shared with the C backend), so C simulation equals the
 * integer reference bit for bit. Each layer is a loop nest with PIPELINE / UNROLL / ALLOCATION pragmas driven by a
 * per-layer config struct; the reuse factor is the initiation interval of the pixel loop. Builds with plain g++ when
 * the vendor headers are absent: the stream type below stands in for hls::stream, and no ap_int type is used. */
#ifndef EDGEC_HLS_H
#define EDGEC_HLS_H
#include <stdint.h>
#include <math.h>
#include "kernels/qmath.h"
#include "kernels/qelementwise.h"

#if defined(__has_include)
#if __has_include(<hls_stream.h>)
#define EDGEC_HLS_VENDOR 1
#endif
#endif

#ifdef EDGEC_HLS_VENDOR
#include <hls_stream.h>
namespace edgec_hls {
template <class T> using stream = hls::stream<T>;
}
#else
#include <deque>
namespace edgec_hls {
/* The FIFO the design's top-level ports need (write, read, empty), for C simulation without the vendor headers. */
template <class T> class stream {
  std::deque<T> q_;

public:
  void write(const T &v) { q_.push_back(v); }
  T read() {
    T v = q_.front();
    q_.pop_front();
    return v;
  }
  bool empty() const { return q_.empty(); }
};
} // namespace edgec_hls
#endif

/* Dataflow channel buffers: PIPO arrays in synthesis, static storage in C simulation (large models overflow the stack). */
#ifdef __SYNTHESIS__
#define EDGEC_HLS_LOCAL
#else
#define EDGEC_HLS_LOCAL static
#endif

namespace edgec_hls {

/* Accumulator: int32 in hardware; exact 64-bit in C simulation, wrapped to int32 as the integer reference does. */
#ifdef __SYNTHESIS__
typedef int32_t acc_t;
#else
typedef int64_t acc_t;
#endif

/* clamp(MultiplyByQuantizedMultiplier(wrap32(acc), m, shift) + zy, lo, hi): the requantizing epilogue. */
inline int8_t requant(acc_t acc, int32_t m, int shift, int32_t zy, int32_t lo, int32_t hi) {
  const int32_t a = (int32_t)(uint32_t)(uint64_t)acc;
  return (int8_t)edgec_clampi(edgec_mbqm(a, m, shift) + zy, lo, hi);
}

/* Read N values from a stream into a dataflow buffer. */
template <class T, int N> void read_stream(stream<T> &s, T x[N]) {
read:
  for (int i = 0; i < N; i++) {
#pragma HLS PIPELINE II = 1
    x[i] = s.read();
  }
}

/* Write a dataflow buffer to a stream. */
template <class T, int N> void write_stream(const T x[N], stream<T> &s) {
write:
  for (int i = 0; i < N; i++) {
#pragma HLS PIPELINE II = 1
    s.write(x[i]);
  }
}

/* Fan a buffer out to two consumers (dataflow channels have one producer and one consumer). */
template <class T, int N> void clone2(const T x[N], T a[N], T b[N]) {
clone:
  for (int i = 0; i < N; i++) {
#pragma HLS PIPELINE II = 1
    a[i] = x[i];
    b[i] = x[i];
  }
}

/* Convolution (grouped, strided, dilated, zero-point padded) over NCHW int8 with per-output-channel requantization.
 * One output pixel per C::REUSE cycles: the channel and tap loops unroll into C::MULTS multipliers (zero weights are
 * constants that fold away, so only nonzero taps cost a multiplier). W is [OC][IC/G][KH][KW], zero point 0, reshaped
 * into words of C::WBANKS weights (one word per cycle); the per-channel requantization constants are partitioned into
 * the C::RBANKS requantizers of a step. */
template <class C>
void conv2d(const int8_t x[C::B * C::IC * C::IH * C::IW], int8_t y[C::B * C::OC * C::OH * C::OW],
            const int8_t w[C::OC * (C::IC / C::G) * C::KH * C::KW], const int32_t bias[C::OC], const int32_t mult[C::OC],
            const int8_t shift[C::OC]) {
  const int ICG = C::IC / C::G, OCG = C::OC / C::G;
#pragma HLS ARRAY_RESHAPE variable = w cyclic factor = C::WBANKS
#pragma HLS ARRAY_PARTITION variable = bias cyclic factor = C::RBANKS
#pragma HLS ARRAY_PARTITION variable = mult cyclic factor = C::RBANKS
#pragma HLS ARRAY_PARTITION variable = shift cyclic factor = C::RBANKS
batch:
  for (int n = 0; n < C::B; n++)
  rows:
    for (int oh = 0; oh < C::OH; oh++)
    cols:
      for (int ow = 0; ow < C::OW; ow++) {
#pragma HLS PIPELINE II = C::REUSE
#pragma HLS ALLOCATION operation instances = mul limit = C::MULTS
      channels:
        for (int oc = 0; oc < C::OC; oc++) {
          const int g = oc / OCG;
          acc_t acc = bias[oc];
        taps:
          for (int ic = 0; ic < ICG; ic++)
            for (int kh = 0; kh < C::KH; kh++)
              for (int kw = 0; kw < C::KW; kw++) {
                const int ih = oh * C::SH - C::PT + kh * C::DH, iw = ow * C::SW - C::PL + kw * C::DW;
                const int8_t wv = w[((oc * ICG + ic) * C::KH + kh) * C::KW + kw];
                if (ih < 0 || ih >= C::IH || iw < 0 || iw >= C::IW || wv == 0) continue;
                const int32_t xv = x[((n * C::IC + g * ICG + ic) * C::IH + ih) * C::IW + iw];
                acc += (acc_t)(xv - C::ZX) * wv;
              }
          y[((n * C::OC + oc) * C::OH + oh) * C::OW + ow] = requant(acc, mult[oc], shift[oc], C::ZY, C::LO, C::HI);
        }
      }
}

/* Fully connected: y[m][n] = requant(bias[n] + sum_k (x[m][k] - ZX) * w[n][k]), one row per C::REUSE cycles. */
template <class C>
void dense(const int8_t x[C::M * C::K], int8_t y[C::M * C::N], const int8_t w[C::N * C::K], const int32_t bias[C::N],
           const int32_t mult[C::N], const int8_t shift[C::N]) {
#pragma HLS ARRAY_RESHAPE variable = w cyclic factor = C::WBANKS
#pragma HLS ARRAY_PARTITION variable = bias cyclic factor = C::RBANKS
#pragma HLS ARRAY_PARTITION variable = mult cyclic factor = C::RBANKS
#pragma HLS ARRAY_PARTITION variable = shift cyclic factor = C::RBANKS
rows:
  for (int m = 0; m < C::M; m++) {
#pragma HLS PIPELINE II = C::REUSE
#pragma HLS ALLOCATION operation instances = mul limit = C::MULTS
  outs:
    for (int n = 0; n < C::N; n++) {
      acc_t acc = bias[n];
    ins:
      for (int k = 0; k < C::K; k++) {
        const int8_t wv = w[n * C::K + k];
        if (wv == 0) continue;
        acc += (acc_t)((int32_t)x[m * C::K + k] - C::ZX) * wv;
      }
      y[m * C::N + n] = requant(acc, mult[n], shift[n], C::ZY, C::LO, C::HI);
    }
  }
}

/* A classifier head's product: the exact int32 accumulators sum_k (x[m][k] - ZX) * w[n][k], wrapped as the reference
 * wraps them, for the host to dequantize. */
template <class C>
void dense_acc(const int8_t x[C::M * C::K], int32_t y[C::M * C::N], const int8_t w[C::N * C::K], const int32_t bias[C::N]) {
#pragma HLS ARRAY_RESHAPE variable = w cyclic factor = C::WBANKS
rows:
  for (int m = 0; m < C::M; m++) {
#pragma HLS PIPELINE II = C::REUSE
#pragma HLS ALLOCATION operation instances = mul limit = C::MULTS
  outs:
    for (int n = 0; n < C::N; n++) {
      acc_t acc = bias[n];
    ins:
      for (int k = 0; k < C::K; k++) {
        const int8_t wv = w[n * C::K + k];
        if (wv == 0) continue;
        acc += (acc_t)((int32_t)x[m * C::K + k] - C::ZX) * wv;
      }
      y[m * C::N + n] = (int32_t)(uint32_t)(uint64_t)acc;
    }
  }
}

/* Max pooling over NCHW planes (window taps outside the input are skipped), clamped to [LO, HI]. */
template <class C> void maxpool2d(const int8_t x[C::NC * C::IH * C::IW], int8_t y[C::NC * C::OH * C::OW]) {
planes:
  for (int p = 0; p < C::NC; p++)
    for (int oh = 0; oh < C::OH; oh++)
      for (int ow = 0; ow < C::OW; ow++) {
#pragma HLS PIPELINE II = 1
        int32_t m = -128;
        for (int kh = 0; kh < C::KH; kh++)
          for (int kw = 0; kw < C::KW; kw++) {
            const int ih = oh * C::SH - C::PT + kh * C::DH, iw = ow * C::SW - C::PL + kw * C::DW;
            if (ih < 0 || ih >= C::IH || iw < 0 || iw >= C::IW) continue;
            const int32_t v = x[(p * C::IH + ih) * C::IW + iw];
            m = v > m ? v : m;
          }
        y[(p * C::OH + oh) * C::OW + ow] = (int8_t)edgec_clampi(m, C::LO, C::HI);
      }
}

/* Average pooling (TFLite int8): the rounded mean of raw codes when input and output share parameters (REQUANT 0),
 * else the centred sum requantized then rounded-divided by the tap count; padding counts as ZX with INCLUDE_PAD. */
template <class C> void avgpool2d(const int8_t x[C::NC * C::IH * C::IW], int8_t y[C::NC * C::OH * C::OW]) {
planes:
  for (int p = 0; p < C::NC; p++)
    for (int oh = 0; oh < C::OH; oh++)
      for (int ow = 0; ow < C::OW; ow++) {
#pragma HLS PIPELINE II = 1
        int32_t acc = 0, valid = 0, padded = 0, v;
        for (int kh = 0; kh < C::KH; kh++)
          for (int kw = 0; kw < C::KW; kw++) {
            const int ih = oh * C::SH - C::PT + kh * C::DH, iw = ow * C::SW - C::PL + kw * C::DW;
            if (ih < C::IH + C::PB && iw < C::IW + C::PR) padded++;
            if (ih < 0 || ih >= C::IH || iw < 0 || iw >= C::IW) continue;
            acc += x[(p * C::IH + ih) * C::IW + iw];
            valid++;
          }
        const int32_t count = C::INCLUDE_PAD ? padded : valid;
        if (!count)
          v = C::ZY;
        else if (C::REQUANT)
          v = edgec_rounded_div(edgec_mbqm(acc - valid * C::ZX, C::M, C::SHIFT), count) + C::ZY;
        else
          v = edgec_rounded_div(acc + (count - valid) * C::ZX, count);
        y[(p * C::OH + oh) * C::OW + ow] = (int8_t)edgec_clampi(v, C::LO, C::HI);
      }
}

/* TFLite int8 Mean over S values of each of NC planes (GlobalAveragePool): one input per cycle. */
template <class C> void global_avgpool(const int8_t x[C::NC * C::S], int8_t y[C::NC]) {
planes:
  for (int p = 0; p < C::NC; p++) {
    int32_t acc = 0;
  taps:
    for (int i = 0; i < C::S; i++) {
#pragma HLS PIPELINE II = 1
      acc += (int32_t)x[p * C::S + i] - C::ZX;
    }
    y[p] = (int8_t)edgec_clampi(edgec_rounded_div(edgec_mbqm(acc, C::M, C::SHIFT), C::S) + C::ZY, -128, 127);
  }
}

/* 256-entry table lookup (quantized Sigmoid, HardSwish, ...): one value per cycle from a ROM. */
template <int N> void lookup(const int8_t x[N], int8_t y[N], const int8_t table[256]) {
values:
  for (int i = 0; i < N; i++) {
#pragma HLS PIPELINE II = 1
    y[i] = table[(int)x[i] + 128];
  }
}

} // namespace edgec_hls
#endif
