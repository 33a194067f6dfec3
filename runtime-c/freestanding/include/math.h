/* Freestanding <math.h> for edgec's WebAssembly builds (no libc). Rounding, sqrt and abs map to WebAssembly
 * instructions; the transcendental functions are implemented in double precision in ../libc.c (float versions
 * round the double result, within 1 ulp). */
#ifndef EDGEC_FREESTANDING_MATH_H
#define EDGEC_FREESTANDING_MATH_H

#define HUGE_VAL (__builtin_huge_val())
#define HUGE_VALF (__builtin_huge_valf())
#define INFINITY (__builtin_inff())
#define NAN (__builtin_nanf(""))
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf(x)
#define isfinite(x) __builtin_isfinite(x)
#define signbit(x) __builtin_signbit(x)
#define M_PI 3.14159265358979323846

static inline double fabs(double x) { return __builtin_fabs(x); }
static inline float fabsf(float x) { return __builtin_fabsf(x); }
static inline double sqrt(double x) { return __builtin_sqrt(x); }
static inline float sqrtf(float x) { return __builtin_sqrtf(x); }
static inline double floor(double x) { return __builtin_floor(x); }
static inline float floorf(float x) { return __builtin_floorf(x); }
static inline double ceil(double x) { return __builtin_ceil(x); }
static inline float ceilf(float x) { return __builtin_ceilf(x); }
static inline double trunc(double x) { return __builtin_trunc(x); }
static inline float truncf(float x) { return __builtin_truncf(x); }
/* Round to nearest, ties to even (WebAssembly's nearest; the default rounding mode is the only mode). */
static inline double rint(double x) { return __builtin_rint(x); }
static inline float rintf(float x) { return __builtin_rintf(x); }
static inline double nearbyint(double x) { return __builtin_rint(x); }
static inline float nearbyintf(float x) { return __builtin_rintf(x); }
static inline double round(double x) { return __builtin_copysign(__builtin_floor(__builtin_fabs(x) + 0.5), x); }
static inline float roundf(float x) { return (float)round((double)x); }
static inline double fmin(double a, double b) { return a != a ? b : (b != b ? a : (a < b ? a : b)); }
static inline float fminf(float a, float b) { return a != a ? b : (b != b ? a : (a < b ? a : b)); }
static inline double fmax(double a, double b) { return a != a ? b : (b != b ? a : (a > b ? a : b)); }
static inline float fmaxf(float a, float b) { return a != a ? b : (b != b ? a : (a > b ? a : b)); }
static inline double copysign(double a, double b) { return __builtin_copysign(a, b); }
static inline float copysignf(float a, float b) { return __builtin_copysignf(a, b); }

double exp(double x);
double expm1(double x);
double log(double x);
double log1p(double x);
double pow(double x, double y);
double sin(double x);
double cos(double x);
double tan(double x);
double atan(double x);
double tanh(double x);
double erf(double x);
double fmod(double x, double y);
float expf(float x);
float expm1f(float x);
float logf(float x);
float log1pf(float x);
float powf(float x, float y);
float sinf(float x);
float cosf(float x);
float tanf(float x);
float atanf(float x);
float tanhf(float x);
float erff(float x);
float fmodf(float x, float y);

#endif
