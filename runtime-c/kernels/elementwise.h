/* edgec elementwise helpers: branch-free float select, vectorizable expf/tanhf/erff, contiguous max and sum,
 * exact integer modulo, defined float-to-integer conversion. Include after edgec_runtime.h. The loops themselves
 * are emitted per node with literal shapes; these helpers keep them vectorizable without -ffast-math. */
#ifndef EDGEC_KERNELS_ELEMENTWISE_H
#define EDGEC_KERNELS_ELEMENTWISE_H

/* Bit view of a float (type punning through a union is defined in C99 and vectorizes). */
typedef union {
  float f;
  uint32_t u;
} edgec_f32_bits;

/* c ? a : b for floats as a bit blend: both sides are computed, and gcc keeps the loop branch-free (a plain ?: on
 * floats is often split into branches, which -ftrapping-math then stops the vectorizer from if-converting). */
EDGEC_INLINE float edgec_self(int c, float a, float b) {
  edgec_f32_bits ab, bb, rb;
  uint32_t m = 0u - (uint32_t)(c != 0);
  ab.f = a;
  bb.f = b;
  rb.u = (ab.u & m) | (bb.u & ~m);
  return rb.f;
}

/* exp(x) for float within 2 ulp, branch-free so loops calling it vectorize (results below 2^-125 flush to 0). */
EDGEC_INLINE float edgec_expf(float x) {
  const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits */
  float xc = edgec_self(x < -86.6f, -86.6f, edgec_self(x > 88.72283f, 88.72283f, x));
  edgec_f32_bits nb, sc;
  float n, r, p;
  nb.f = xc * 1.44269504088896341f + magic;
  n = nb.f - magic;
  r = xc - n * 0.693359375f; /* ln2 split in two parts (Cody-Waite) */
  r = r + n * 2.12194440e-4f;
  p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  /* 2^(n-1) from its exponent bits, times 2: valid for n-1 in [-126, 127]. */
  sc.u = (nb.u - 0x4B400000u + 126u) << 23;
  p = p * sc.f * 2.0f;
  return edgec_self(x < -86.6f, 0.0f, edgec_self(x > 88.72283f, HUGE_VALF, p));
}

/* GNU vector extensions speed up max/min reductions; define EDGEC_NO_VECTOR_EXT to use plain C everywhere. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(EDGEC_NO_VECTOR_EXT)
#define EDGEC_VECTOR_EXT 1
typedef float edgec_v8f __attribute__((vector_size(32)));
typedef int32_t edgec_v8i __attribute__((vector_size(32)));
#endif

/* Maximum (is_min == 0) or minimum of n >= 1 contiguous floats; GNU vector extensions where available, because
 * gcc does not vectorize select-based max reductions without -ffast-math. */
EDGEC_INLINE float edgec_extreme_f32(const float *EDGEC_RESTRICT x, ptrdiff_t n, int is_min) {
  float m = x[0];
  ptrdiff_t i = 0, nb = n - n % 8; /* whole blocks of 8, then the rest (this form keeps gcc's loop bounds exact) */
#ifdef EDGEC_VECTOR_EXT
  if (nb > 0) {
    edgec_v8f acc, v;
    edgec_v8i take;
    int l;
    memcpy(&acc, x, sizeof acc);
    for (i = 8; i < nb; i += 8) {
      memcpy(&v, x + i, sizeof v);
      take = is_min ? (v < acc) : (v > acc);
      acc = (edgec_v8f)((take & (edgec_v8i)v) | (~take & (edgec_v8i)acc));
    }
    for (l = 0; l < 8; l++) m = (is_min ? acc[l] < m : acc[l] > m) ? acc[l] : m;
    i = nb;
  }
#else
  (void)nb;
#endif
  for (; i < n; i++) m = (is_min ? x[i] < m : x[i] > m) ? x[i] : m;
  return m;
}

/* Sum of n contiguous floats in 8 independent partial sums (vectorizes without -ffast-math). */
EDGEC_INLINE float edgec_sum_f32(const float *EDGEC_RESTRICT x, ptrdiff_t n) {
  float acc[8] = {0.0f}, s = 0.0f;
  ptrdiff_t i, nb = n - n % 8;
  int l;
  for (i = 0; i < nb; i += 8)
    for (l = 0; l < 8; l++) acc[l] += x[i + l];
  for (i = nb; i < n; i++) s += x[i];
  for (l = 0; l < 8; l++) s += acc[l];
  return s;
}

/* Sum of exp(x[i] - m) over n contiguous floats; exps go through a fixed 64-float block so both loops vectorize. */
EDGEC_INLINE float edgec_sumexp_f32(const float *EDGEC_RESTRICT x, ptrdiff_t n, float m) {
  float blk[64], s = 0.0f;
  ptrdiff_t i, k;
  for (i = 0; i < n; i += 64) {
    ptrdiff_t len = n - i < 64 ? n - i : 64;
    for (k = 0; k < len; k++) blk[k] = edgec_expf(x[i + k] - m);
    s += edgec_sum_f32(blk, len);
  }
  return s;
}

/* tanh(x) for float within a few ulp, branch-free (Cephes: odd polynomial below 0.625, exp formula above). */
EDGEC_INLINE float edgec_tanhf(float x) {
  float ax = edgec_self(x < 0.0f, -x, x), z = x * x, p, e;
  p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  p = p * z * x + x;
  e = 1.0f - 2.0f / (edgec_expf(2.0f * ax) + 1.0f);
  e = edgec_self(x < 0.0f, -e, e);
  return edgec_self(ax < 0.625f, p, e);
}

/* erf(x) for float within 4 ulp, branch-free (odd/even rational fit on [-4, 4]; erf is +-1 in float beyond). */
EDGEC_INLINE float edgec_erff(float a) {
  float x = edgec_self(a > 4.0f, 4.0f, edgec_self(a < -4.0f, -4.0f, a)), x2 = x * x, p, q;
  p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 - 2.10102402082508e-06f;
  p = p * x2 - 5.69250639462346e-05f;
  p = p * x2 - 7.34990630326855e-04f;
  p = p * x2 - 2.95459980854025e-03f;
  p = p * x2 - 1.60960333262415e-02f;
  q = -1.45660718464996e-05f;
  q = q * x2 - 2.13374055278905e-04f;
  q = q * x2 - 1.68282697438203e-03f;
  q = q * x2 - 7.37332916720468e-03f;
  q = q * x2 - 1.42647390514189e-02f;
  return x * p / q;
}

/* Float to int64 as edgec's Cast defines it: truncate toward zero, NaN/inf to 0, saturate outside the int64 range. */
EDGEC_INLINE int64_t edgec_f2i(double x) {
  if (!(x == x) || x == HUGE_VAL || x == -HUGE_VAL) return 0;
  if (x >= 9223372036854775807.0) return INT64_MAX;
  if (x <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)x;
}

/* Floor modulo for signed 32-bit (and promoted 8/16-bit) integers: the result takes the divisor's sign; x mod 0 = 0. */
EDGEC_INLINE int32_t edgec_mod_floor_i32(int32_t a, int32_t b) {
  int32_t r = (b == -1 || b == 0) ? 0 : a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

/* Floor modulo for int64; x mod 0 = 0. */
EDGEC_INLINE int64_t edgec_mod_floor_i64(int64_t a, int64_t b) {
  int64_t r = (b == -1 || b == 0) ? 0 : a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

/* Truncating modulo (C's %, ONNX fmod=1) for int32, defined for INT32_MIN % -1 and x % 0 (= 0). */
EDGEC_INLINE int32_t edgec_mod_trunc_i32(int32_t a, int32_t b) {
  return (b == -1 || b == 0) ? 0 : a % b;
}

/* Truncating modulo for int64, defined for INT64_MIN % -1 and x % 0 (= 0). */
EDGEC_INLINE int64_t edgec_mod_trunc_i64(int64_t a, int64_t b) {
  return (b == -1 || b == 0) ? 0 : a % b;
}

#endif
