/* edgec pooling kernels: windowed max/average pooling over 1-3 spatial dims, global max/average pooling.
 * Include after edgec_runtime.h. All sizes are element counts; tensors are NC x D x H x W, row-major.
 * 1-D pooling passes D = H = 1 (kernel, stride, dilation 1, pads 0) and 2-D pooling passes D = 1. */
#ifndef EDGEC_KERNELS_POOL_H
#define EDGEC_KERNELS_POOL_H

#include <float.h>

/* Lanes of the partial sums/maxima used by the global reductions (independent lanes vectorize without -ffast-math). */
#define EDGEC_POOL_LANES 16

/* Window taps [*lo, *hi) of kernel size k and dilation dil starting at pos0 that fall inside [0, n). */
EDGEC_INLINE void edgec_pool_taps(int pos0, int k, int dil, int n, int *lo, int *hi) {
  int a = 0, b = k;
  if (pos0 < 0) a = (-pos0 + dil - 1) / dil;
  if (pos0 + (k - 1) * dil >= n) b = n - pos0 <= 0 ? 0 : (n - pos0 + dil - 1) / dil;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

/* Interior output columns [*lo, *hi): those whose every column tap lies inside [0, w). */
EDGEC_INLINE void edgec_pool_interior(int ow, int w, int kw, int sw, int dw, int pl, int *lo, int *hi) {
  int a = (pl + sw - 1) / sw;
  int last = w - 1 - (kw - 1) * dw + pl; /* largest ow*sw with every tap inside */
  int b = last < 0 ? 0 : last / sw + 1;
  if (b > ow) b = ow;
  if (a > b) a = b;
  *lo = a;
  *hi = b;
}

/* Max of one output over the taps [da,db) x [ha,hb) x [ca,cb) of a window whose tap (0,0,0) is at offset off. */
EDGEC_INLINE float edgec_pool_point_max(const float *xp, ptrdiff_t off, int da, int db, int ha, int hb, int ca, int cb,
                                        ptrdiff_t sd, ptrdiff_t sh, int dw) {
  float m = -FLT_MAX;
  int a, b, c;
  for (a = da; a < db; a++)
    for (b = ha; b < hb; b++) {
      ptrdiff_t o = off + a * sd + b * sh;
      for (c = ca; c < cb; c++) m = xp[o + c * dw] > m ? xp[o + c * dw] : m;
    }
  return m;
}

/* Sum of one output over the taps [da,db) x [ha,hb) x [ca,cb) of a window whose tap (0,0,0) is at offset off. */
EDGEC_INLINE float edgec_pool_point_sum(const float *xp, ptrdiff_t off, int da, int db, int ha, int hb, int ca, int cb,
                                        ptrdiff_t sd, ptrdiff_t sh, int dw) {
  float s = 0.0f;
  int a, b, c;
  for (a = da; a < db; a++)
    for (b = ha; b < hb; b++) {
      ptrdiff_t o = off + a * sd + b * sh;
      for (c = ca; c < cb; c++) s += xp[o + c * dw];
    }
  return s;
}

/* Row operations of the interior: y[j] (op)= x[j * sw] for j < n, with a contiguous path for sw == 1. */
EDGEC_INLINE void edgec_pool_row_copy(float *EDGEC_RESTRICT y, const float *EDGEC_RESTRICT x, int n, int sw) {
  int j;
  if (sw == 1)
    for (j = 0; j < n; j++) y[j] = x[j];
  else
    for (j = 0; j < n; j++) y[j] = x[(ptrdiff_t)j * sw];
}

EDGEC_INLINE void edgec_pool_row_max(float *EDGEC_RESTRICT y, const float *EDGEC_RESTRICT x, int n, int sw) {
  int j;
  if (sw == 1)
    for (j = 0; j < n; j++) y[j] = x[j] > y[j] ? x[j] : y[j];
  else
    for (j = 0; j < n; j++) {
      const float v = x[(ptrdiff_t)j * sw];
      y[j] = v > y[j] ? v : y[j];
    }
}

EDGEC_INLINE void edgec_pool_row_add(float *EDGEC_RESTRICT y, const float *EDGEC_RESTRICT x, int n, int sw) {
  int j;
  if (sw == 1)
    for (j = 0; j < n; j++) y[j] += x[j];
  else
    for (j = 0; j < n; j++) y[j] += x[(ptrdiff_t)j * sw];
}

/* Max pooling of nc planes id x ih x iw into od x oh x ow with kernel k*, strides s*, dilations d*, leading pads p*.
 * Interior columns run tap by tap over a whole output row with no border checks (contiguous when sw == 1). */
static EDGEC_UNUSED void edgec_maxpool(const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y, int nc, int id, int ih,
                                       int iw, int od, int oh, int ow, int kd, int kh, int kw, int sd, int sh, int sw,
                                       int dd, int dh, int dw, int pd, int ph, int pw) {
  const ptrdiff_t plane = (ptrdiff_t)id * ih * iw, slice = (ptrdiff_t)ih * iw;
  int lo, hi, n, p, z, r, j;
  edgec_pool_interior(ow, iw, kw, sw, dw, pw, &lo, &hi);
  n = hi - lo;
  for (p = 0; p < nc; p++) {
    const float *xp = x + p * plane;
    for (z = 0; z < od; z++) {
      int z0 = z * sd - pd, da, db;
      edgec_pool_taps(z0, kd, dd, id, &da, &db);
      for (r = 0; r < oh; r++) {
        int r0 = r * sh - ph, ha, hb, a, b, c;
        float *yr = y + (((ptrdiff_t)p * od + z) * oh + r) * ow;
        const ptrdiff_t xr = z0 * slice + (ptrdiff_t)r0 * iw - pw; /* offset of tap (0,0,0) of output column 0 */
        edgec_pool_taps(r0, kh, dh, ih, &ha, &hb);
        for (j = 0; j < ow; j++) {
          int ca, cb;
          if (j == lo && hi > lo) j = hi; /* interior handled below */
          if (j >= ow) break;
          edgec_pool_taps(j * sw - pw, kw, dw, iw, &ca, &cb);
          yr[j] = edgec_pool_point_max(xp, xr + j * sw, da, db, ha, hb, ca, cb, dd * slice, (ptrdiff_t)dh * iw, dw);
        }
        if (hi <= lo) continue;
        if (da >= db || ha >= hb) {
          for (j = lo; j < hi; j++) yr[j] = -FLT_MAX;
          continue;
        }
        for (a = da; a < db; a++)
          for (b = ha; b < hb; b++)
            for (c = 0; c < kw; c++) {
              const float *xt = xp + (xr + a * dd * slice + (ptrdiff_t)b * dh * iw + c * dw + (ptrdiff_t)lo * sw);
              if (a == da && b == ha && c == 0)
                edgec_pool_row_copy(yr + lo, xt, n, sw);
              else
                edgec_pool_row_max(yr + lo, xt, n, sw);
            }
      }
    }
  }
}

/* Taps of a window starting at pos0 that lie before n + pad_end (what count_include_pad counts). */
EDGEC_INLINE int edgec_pool_padded_taps(int pos0, int k, int dil, int n_plus_pad) {
  int t = n_plus_pad - pos0 <= 0 ? 0 : (n_plus_pad - pos0 + dil - 1) / dil;
  return t < k ? t : k;
}

/* Average pooling, same geometry as edgec_maxpool plus trailing pads e* and include_pad (count_include_pad).
 * Windows with no input tap yield 0. */
static EDGEC_UNUSED void edgec_avgpool(const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y, int nc, int id, int ih,
                                       int iw, int od, int oh, int ow, int kd, int kh, int kw, int sd, int sh, int sw,
                                       int dd, int dh, int dw, int pd, int ph, int pw, int ed, int eh, int ew,
                                       int include_pad) {
  const ptrdiff_t plane = (ptrdiff_t)id * ih * iw, slice = (ptrdiff_t)ih * iw;
  int lo, hi, n, p, z, r, j;
  edgec_pool_interior(ow, iw, kw, sw, dw, pw, &lo, &hi);
  n = hi - lo;
  for (p = 0; p < nc; p++) {
    const float *xp = x + p * plane;
    for (z = 0; z < od; z++) {
      int z0 = z * sd - pd, da, db;
      int zp = include_pad ? edgec_pool_padded_taps(z0, kd, dd, id + ed) : 0;
      edgec_pool_taps(z0, kd, dd, id, &da, &db);
      for (r = 0; r < oh; r++) {
        int r0 = r * sh - ph, ha, hb, a, b, c, rows;
        float *yr = y + (((ptrdiff_t)p * od + z) * oh + r) * ow;
        const ptrdiff_t xr = z0 * slice + (ptrdiff_t)r0 * iw - pw;
        float scale;
        edgec_pool_taps(r0, kh, dh, ih, &ha, &hb);
        rows = include_pad ? zp * edgec_pool_padded_taps(r0, kh, dh, ih + eh) : (db - da) * (hb - ha);
        for (j = 0; j < ow; j++) {
          int ca, cb, cols, cnt;
          if (j == lo && hi > lo) j = hi;
          if (j >= ow) break;
          edgec_pool_taps(j * sw - pw, kw, dw, iw, &ca, &cb);
          cols = include_pad ? edgec_pool_padded_taps(j * sw - pw, kw, dw, iw + ew) : cb - ca;
          cnt = (db - da) * (hb - ha) * (cb - ca);
          yr[j] = cnt ? edgec_pool_point_sum(xp, xr + j * sw, da, db, ha, hb, ca, cb, dd * slice, (ptrdiff_t)dh * iw, dw) /
                            (float)(rows * cols)
                      : 0.0f;
        }
        if (hi <= lo) continue;
        if (da >= db || ha >= hb) {
          for (j = lo; j < hi; j++) yr[j] = 0.0f;
          continue;
        }
        for (a = da; a < db; a++)
          for (b = ha; b < hb; b++)
            for (c = 0; c < kw; c++) {
              const float *xt = xp + (xr + a * dd * slice + (ptrdiff_t)b * dh * iw + c * dw + (ptrdiff_t)lo * sw);
              if (a == da && b == ha && c == 0)
                edgec_pool_row_copy(yr + lo, xt, n, sw);
              else
                edgec_pool_row_add(yr + lo, xt, n, sw);
            }
        scale = 1.0f / (float)(rows * kw);
        for (j = lo; j < hi; j++) yr[j] *= scale;
      }
    }
  }
}

/* Global average pooling: y[p] = mean of the s contiguous floats of plane p, for nc planes. */
static EDGEC_UNUSED void edgec_global_avgpool(const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y, int nc, int s) {
  int p, i, l;
  const float inv = 1.0f / (float)s;
  for (p = 0; p < nc; p++) {
    const float *xp = x + (ptrdiff_t)p * s;
    float acc[EDGEC_POOL_LANES] = {0.0f}, sum = 0.0f;
    for (i = 0; i + EDGEC_POOL_LANES <= s; i += EDGEC_POOL_LANES)
      for (l = 0; l < EDGEC_POOL_LANES; l++) acc[l] += xp[i + l];
    for (; i < s; i++) sum += xp[i];
    for (l = 0; l < EDGEC_POOL_LANES; l++) sum += acc[l];
    y[p] = sum * inv;
  }
}

/* Global max pooling: y[p] = max of the s contiguous floats of plane p, for nc planes. */
static EDGEC_UNUSED void edgec_global_maxpool(const float *EDGEC_RESTRICT x, float *EDGEC_RESTRICT y, int nc, int s) {
  int p, i, l;
  for (p = 0; p < nc; p++) {
    const float *xp = x + (ptrdiff_t)p * s;
    float acc[EDGEC_POOL_LANES], m = -FLT_MAX;
    for (l = 0; l < EDGEC_POOL_LANES; l++) acc[l] = -FLT_MAX;
    for (i = 0; i + EDGEC_POOL_LANES <= s; i += EDGEC_POOL_LANES)
      for (l = 0; l < EDGEC_POOL_LANES; l++) acc[l] = xp[i + l] > acc[l] ? xp[i + l] : acc[l];
    for (; i < s; i++) m = xp[i] > m ? xp[i] : m;
    for (l = 0; l < EDGEC_POOL_LANES; l++) m = acc[l] > m ? acc[l] : m;
    y[p] = m;
  }
}

#endif
