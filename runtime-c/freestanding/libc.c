/* Freestanding libc subset for edgec's WebAssembly builds: memory functions and the transcendental math the
 * kernels and generated code call. No state, no imports. Math is computed in double precision (range reduction
 * plus Taylor/series evaluation to ~1e-16 relative error); float versions round the double result. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

#if defined(__wasm__) && !defined(__wasm_bulk_memory__)
#error "libc.c: compile with -mbulk-memory (memcpy and memset must lower to memory.copy/memory.fill, not call themselves)"
#endif

/* With bulk memory, clang lowers these builtins to memory.copy / memory.fill (never back into a call). */
void *memcpy(void *restrict dst, const void *restrict src, size_t n) { return __builtin_memcpy(dst, src, n); }
void *memmove(void *dst, const void *src, size_t n) { return __builtin_memmove(dst, src, n); }
void *memset(void *dst, int c, size_t n) { return __builtin_memset(dst, c, n); }

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
  size_t i;
  for (i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

typedef union {
  double d;
  uint64_t u;
} f64_bits;

static const double LN2_HI = 6.93147180369123816490e-01; /* high 32 bits of ln 2: n * LN2_HI is exact */
static const double LN2_LO = 1.90821492927058770002e-10;
static const double INV_LN2 = 1.44269504088896338700e+00;

/* 2^k for integer k in [-1074, 1023] (subnormal results through two steps). */
static double pow2i(int k) {
  f64_bits b;
  if (k < -1022) {
    b.u = (uint64_t)(k + 1022 + 1023) << 52;
    return b.d * 2.2250738585072014e-308; /* 2^-1022 */
  }
  b.u = (uint64_t)(k + 1023) << 52;
  return b.d;
}

/* e^r for |r| <= ln2/2 + a little: Taylor series to degree 13 (truncation below 1e-17). */
static double exp_reduced(double r) {
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  return 1.0 + r + r * r * p;
}

double exp(double x) {
  double k, r, e;
  if (x != x) return x;
  if (x > 709.782712893384) return HUGE_VAL;
  if (x < -745.1332191019412) return 0.0;
  k = __builtin_rint(x * INV_LN2);
  r = (x - k * LN2_HI) - k * LN2_LO;
  e = exp_reduced(r);
  /* Split the scale so 2^k never overflows before the multiply (k up to 1024 near the top of the range). */
  if (k > 1000) return e * pow2i(1000) * pow2i((int)k - 1000);
  if (k < -1000) return e * pow2i(-1000) * pow2i((int)k + 1000);
  return e * pow2i((int)k);
}

double expm1(double x) {
  double p = 1.0;
  int n;
  if (x != x) return x;
  if (__builtin_fabs(x) >= 0.5) return exp(x) - 1.0;
  /* x (1 + x/2 (1 + x/3 (1 + ...))): at |x| < 0.5 the 20th term is below 1e-24. */
  for (n = 20; n >= 2; n--) p = 1.0 + x * p / n;
  return x * p;
}

double log(double x) {
  f64_bits b;
  int k = 0;
  double m, f, f2, s;
  if (x != x || x == HUGE_VAL) return x;
  if (x < 0.0) return __builtin_nan("");
  if (x == 0.0) return -HUGE_VAL;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984.0; /* 2^54: normalise a subnormal */
    k = -54;
  }
  b.d = x;
  k += (int)((b.u >> 52) & 0x7ff) - 1023;
  b.u = (b.u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL; /* mantissa in [1, 2) */
  m = b.d;
  if (m > 1.4142135623730951) m *= 0.5, k++;
  /* log(m) = 2 atanh(f), f = (m-1)/(m+1), |f| <= 0.1716: odd series to f^25. */
  f = (m - 1.0) / (m + 1.0);
  f2 = f * f;
  s = 1.0 / 25.0;
  s = s * f2 + 1.0 / 23.0;
  s = s * f2 + 1.0 / 21.0;
  s = s * f2 + 1.0 / 19.0;
  s = s * f2 + 1.0 / 17.0;
  s = s * f2 + 1.0 / 15.0;
  s = s * f2 + 1.0 / 13.0;
  s = s * f2 + 1.0 / 11.0;
  s = s * f2 + 1.0 / 9.0;
  s = s * f2 + 1.0 / 7.0;
  s = s * f2 + 1.0 / 5.0;
  s = s * f2 + 1.0 / 3.0;
  return k * LN2_HI + (2.0 * f + (2.0 * f * f2 * s + k * LN2_LO));
}

double log1p(double x) {
  double u = 1.0 + x;
  if (u == 1.0) return x;
  if (u == HUGE_VAL || u <= 0.0) return log(u);
  return log(u) * (x / (u - 1.0)); /* corrects the rounding of 1 + x */
}

static int is_int(double y) { return __builtin_trunc(y) == y && __builtin_fabs(y) < 9007199254740992.0; }
static int is_odd_int(double y) { return is_int(y) && __builtin_fmod(y, 2.0) != 0.0; }

double pow(double x, double y) {
  double r, b;
  long long n;
  if (y == 0.0 || x == 1.0) return 1.0;
  if (x != x || y != y) return x + y;
  if (x == 0.0) {
    if (y > 0.0) return is_odd_int(y) ? x : 0.0;
    return is_odd_int(y) ? __builtin_copysign(HUGE_VAL, x) : HUGE_VAL;
  }
  if (is_int(y) && __builtin_fabs(y) <= 64.0) {
    /* Small integer powers by squaring (exact for the x*x, x*x*x a model writes as Pow). */
    n = (long long)__builtin_fabs(y);
    r = 1.0;
    b = x;
    while (n) {
      if (n & 1) r *= b;
      b *= b;
      n >>= 1;
    }
    return y < 0.0 ? 1.0 / r : r;
  }
  if (x < 0.0) {
    if (!is_int(y)) return __builtin_nan("");
    r = exp(y * log(-x));
    return is_odd_int(y) ? -r : r;
  }
  return exp(y * log(x));
}

static const double PIO2_1 = 1.57079632673412561417e+00; /* pi/2 in three parts (Cody-Waite) */
static const double PIO2_2 = 6.07710050630396597660e-11;
static const double PIO2_3 = 2.02226624879595063154e-21;

/* sin and cos of |r| <= pi/4 by Taylor series (to r^19 and r^18). */
static double sin_reduced(double r) {
  double r2 = r * r, p = -1.0 / 121645100408832000.0;
  p = p * r2 + 1.0 / 355687428096000.0;
  p = p * r2 - 1.0 / 1307674368000.0;
  p = p * r2 + 1.0 / 6227020800.0;
  p = p * r2 - 1.0 / 39916800.0;
  p = p * r2 + 1.0 / 362880.0;
  p = p * r2 - 1.0 / 5040.0;
  p = p * r2 + 1.0 / 120.0;
  p = p * r2 - 1.0 / 6.0;
  return r + r * r2 * p;
}

static double cos_reduced(double r) {
  double r2 = r * r, p = 1.0 / 6402373705728000.0;
  p = p * r2 - 1.0 / 20922789888000.0;
  p = p * r2 + 1.0 / 87178291200.0;
  p = p * r2 - 1.0 / 479001600.0;
  p = p * r2 + 1.0 / 3628800.0;
  p = p * r2 - 1.0 / 40320.0;
  p = p * r2 + 1.0 / 720.0;
  p = p * r2 - 1.0 / 24.0;
  p = p * r2 + 0.5;
  return 1.0 - r2 * p;
}

/* x = q * pi/2 + r with |r| <= pi/4 (accurate for |x| up to ~1e9; beyond that the quadrant is approximate). */
static double reduce_pio2(double x, int *q) {
  double k = __builtin_rint(x * 0.63661977236758134308);
  *q = (int)((long long)k & 3);
  return ((x - k * PIO2_1) - k * PIO2_2) - k * PIO2_3;
}

double sin(double x) {
  int q;
  double r;
  if (x != x || __builtin_isinf(x)) return __builtin_nan("");
  r = reduce_pio2(x, &q);
  switch (q) {
  case 0: return sin_reduced(r);
  case 1: return cos_reduced(r);
  case 2: return -sin_reduced(r);
  default: return -cos_reduced(r);
  }
}

double cos(double x) {
  int q;
  double r;
  if (x != x || __builtin_isinf(x)) return __builtin_nan("");
  r = reduce_pio2(x, &q);
  switch (q) {
  case 0: return cos_reduced(r);
  case 1: return -sin_reduced(r);
  case 2: return -cos_reduced(r);
  default: return sin_reduced(r);
  }
}

double tan(double x) { return sin(x) / cos(x); }

double atan(double x) {
  /* Reduce to |t| <= tan(pi/12) via atan(x) = pi/2 - atan(1/x) and atan(x) = pi/6 + atan((x*sqrt3-1)/(x+sqrt3)). */
  double a = __builtin_fabs(x), off = 0.0, t, t2, s;
  int inv = 0, n;
  if (x != x) return x;
  if (a > 1.0) a = 1.0 / a, inv = 1;
  if (a > 0.2679491924311227) off = 0.52359877559829887308, a = (a * 1.7320508075688772 - 1.0) / (a + 1.7320508075688772);
  t = a;
  t2 = t * t;
  s = 0.0;
  for (n = 31; n >= 3; n -= 2) s = (((n >> 1) & 1) ? -1.0 : 1.0) / n + t2 * s; /* |t| <= 0.268: 16 terms */
  t = off + (t + t * t2 * s);
  if (inv) t = 1.57079632679489661923 - t;
  return x < 0.0 ? -t : t;
}

double tanh(double x) {
  double e;
  if (x != x) return x;
  if (x > 22.0) return 1.0;
  if (x < -22.0) return -1.0;
  e = expm1(2.0 * x);
  return e / (e + 2.0);
}

double erf(double x) {
  double a = __builtin_fabs(x), r;
  int n;
  if (x != x) return x;
  if (a > 6.0) return x < 0.0 ? -1.0 : 1.0;
  if (a < 3.0) {
    /* erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)): terms fall below 1e-17 of the sum by n = 60. */
    double term = a, sum = a, x2 = a * a;
    for (n = 1; n < 80; n++) {
      term *= -x2 / n;
      sum += term / (2 * n + 1);
    }
    r = 1.12837916709551257390 * sum;
  } else {
    /* erfc(a) = exp(-a^2)/sqrt(pi) / (a + 1/2 / (a + 1 / (a + 3/2 / (a + ...)))), continued fraction from the tail. */
    double f = a;
    for (n = 60; n >= 1; n--) f = a + (n * 0.5) / f;
    r = 1.0 - exp(-a * a) * 0.56418958354775628695 / f;
  }
  return x < 0.0 ? -r : r;
}

double fmod(double x, double y) {
  /* Exact remainder by long division: each step subtracts y * 2^k <= |r| (an exact subtraction). */
  double r = __builtin_fabs(x), ay = __builtin_fabs(y), t;
  if (x != x || y != y || __builtin_isinf(x) || y == 0.0) return __builtin_nan("");
  if (__builtin_isinf(y)) return x;
  while (r >= ay) {
    t = ay;
    while (t <= r * 0.5) t *= 2.0;
    r -= t;
  }
  return __builtin_copysign(r, x);
}

float expf(float x) { return (float)exp(x); }
float expm1f(float x) { return (float)expm1(x); }
float logf(float x) { return (float)log(x); }
float log1pf(float x) { return (float)log1p(x); }
float powf(float x, float y) { return (float)pow(x, y); }
float sinf(float x) { return (float)sin(x); }
float cosf(float x) { return (float)cos(x); }
float tanf(float x) { return (float)tan(x); }
float atanf(float x) { return (float)atan(x); }
float tanhf(float x) { return (float)tanh(x); }
float erff(float x) { return (float)erf(x); }
float fmodf(float x, float y) { return (float)fmod(x, y); }
