/**
 * Dense double-precision helpers for GPTQ: Gram-matrix accumulation, Cholesky factorisation, triangular inverse and
 * the upper Cholesky factor of an inverse. Everything is blocked and written as dot products over contiguous rows
 * (the fastest loop shape for typed arrays), so a K = 2400 Hessian factors in seconds.
 */

const BS = 64;

/** Dot product of a[ai..ai+len) and b[bi..bi+len) with four accumulators. */
function dot(a: Float64Array, ai: number, b: Float64Array, bi: number, len: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let p = 0;
  for (; p + 3 < len; p += 4) {
    s0 += a[ai + p] * b[bi + p];
    s1 += a[ai + p + 1] * b[bi + p + 1];
    s2 += a[ai + p + 2] * b[bi + p + 2];
    s3 += a[ai + p + 3] * b[bi + p + 3];
  }
  for (; p < len; p++) s0 += a[ai + p] * b[bi + p];
  return s0 + s1 + s2 + s3;
}

/**
 * Lower triangle of sign * A A^T added into out: for 0 <= j <= i < m, out[(r0 + i) * ld + r0 + j] += sign * a_i . a_j,
 * where a_i is the first w entries of row i of a (row stride sa). Two rows against two rows at a time (half the loads).
 */
export function syrkLower(out: Float64Array, ld: number, r0: number, a: Float64Array, m: number, w: number, sign: number, sa = w): void {
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const ai = i * sa;
    const o0 = (r0 + i) * ld + r0;
    const o1 = o0 + ld;
    for (let j = 0; j <= i; j += 2) {
      const aj = j * sa;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let p = 0; p < w; p++) {
        const x0 = a[ai + p], x1 = a[ai + sa + p], y0 = a[aj + p], y1 = a[aj + sa + p];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      out[o0 + j] += sign * s00;
      if (j + 1 <= i) out[o0 + j + 1] += sign * s01;
      out[o1 + j] += sign * s10;
      out[o1 + j + 1] += sign * s11;
    }
  }
  if (i < m) {
    const o = (r0 + i) * ld + r0;
    for (let j = 0; j <= i; j++) out[o + j] += sign * dot(a, i * sa, a, j * sa, w);
  }
}

/** In-place lower Cholesky of a symmetric positive definite n x n row-major matrix; returns false if not positive definite. */
export function choleskyLower(a: Float64Array, n: number): boolean {
  const panel = new Float64Array(n * BS);
  for (let k0 = 0; k0 < n; k0 += BS) {
    const k1 = Math.min(n, k0 + BS);
    const w = k1 - k0;
    // Diagonal block (earlier columns were already subtracted by the trailing updates).
    for (let j = k0; j < k1; j++) {
      const rj = j * n;
      const d = a[rj + j] - dot(a, rj + k0, a, rj + k0, j - k0);
      if (!(d > 0)) return false;
      const l = Math.sqrt(d);
      a[rj + j] = l;
      for (let i = j + 1; i < k1; i++) a[i * n + j] = (a[i * n + j] - dot(a, i * n + k0, a, rj + k0, j - k0)) / l;
    }
    // Panel below it: L21 = A21 L11^-T, row by row; packed contiguously for the trailing update.
    for (let i = k1; i < n; i++) {
      const ri = i * n;
      for (let j = k0; j < k1; j++) a[ri + j] = (a[ri + j] - dot(a, ri + k0, a, j * n + k0, j - k0)) / a[j * n + j];
      panel.set(a.subarray(ri + k0, ri + k1), (i - k1) * w);
    }
    // Trailing update A22 -= L21 L21^T (lower triangle).
    syrkLower(a, n, k1, panel, n - k1, w, -1);
  }
  for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
  return true;
}

/**
 * Transpose of the inverse of a lower-triangular n x n matrix (so upper triangular), by block rows of X = L^-1:
 * X_II = L_II^-1 and X_IJ = -X_II T with T = L_I,<I X_<I,J, each entry of T a dot product of a row of L with a row
 * of X^T (both contiguous).
 */
export function invertLowerTransposed(l: Float64Array, n: number): Float64Array {
  const y = new Float64Array(n * n);
  const d = new Float64Array(BS * BS);
  const t = new Float64Array(BS * n);
  const row = new Float64Array(n);
  for (let i0 = 0; i0 < n; i0 += BS) {
    const i1 = Math.min(n, i0 + BS);
    const b = i1 - i0;
    // D = L_II^-1, row by row.
    d.fill(0);
    for (let i = 0; i < b; i++) {
      const li = (i0 + i) * n + i0;
      for (let p = 0; p < i; p++) {
        const c = l[li + p];
        if (c !== 0) for (let j = 0; j <= p; j++) d[i * BS + j] -= c * d[p * BS + j];
      }
      d[i * BS + i] += 1;
      const inv = 1 / l[li + i];
      for (let j = 0; j <= i; j++) d[i * BS + j] *= inv;
      for (let j = 0; j <= i; j++) y[(i0 + j) * n + i0 + i] = d[i * BS + j];
    }
    if (i0 === 0) continue;
    // T[i][j] = sum_{p=j}^{i0-1} L[i][p] X[p][j] = L[i][j..i0) . Y[j][j..i0); two rows by two columns at a time
    // over the common range p > j (i0 is a multiple of BS, so even), plus the p = j term of column j.
    for (let j = 0; j < i0; j += 2) {
      const y0 = j * n, y1 = y0 + n;
      for (let i = 0; i < b; i += 2) {
        const l0 = (i0 + i) * n, l1 = i + 1 < b ? l0 + n : l0;
        let s00 = l[l0 + j] * y[y0 + j], s10 = l[l1 + j] * y[y0 + j], s01 = 0, s11 = 0;
        for (let p = j + 1; p < i0; p++) {
          const a0 = l[l0 + p], a1 = l[l1 + p], c0 = y[y0 + p], c1 = y[y1 + p];
          s00 += a0 * c0;
          s01 += a0 * c1;
          s10 += a1 * c0;
          s11 += a1 * c1;
        }
        t[i * i0 + j] = s00;
        t[i * i0 + j + 1] = s01;
        if (i + 1 < b) {
          t[(i + 1) * i0 + j] = s10;
          t[(i + 1) * i0 + j + 1] = s11;
        }
      }
    }
    // X[i][0..i0) = -sum_q D[i][q] T[q], written transposed into Y.
    for (let i = 0; i < b; i++) {
      row.fill(0, 0, i0);
      for (let q = 0; q <= i; q++) {
        const c = d[i * BS + q];
        const tq = q * i0;
        for (let j = 0; j < i0; j++) row[j] -= c * t[tq + j];
      }
      for (let j = 0; j < i0; j++) y[j * n + i0 + i] = row[j];
    }
  }
  return y;
}

/**
 * The upper-triangular U with H^-1 = U^T U for a symmetric positive definite H (what GPTQ calls Hinv), or undefined
 * if H is not positive definite. With P the reversal permutation and P H P = L L^T, H^-1 = (P L^-1 P)^T (P L^-1 P)
 * and P L^-1 P is upper triangular: one Cholesky and one triangular inverse, no explicit H^-1.
 */
export function upperCholeskyOfInverse(h: Float64Array, n: number): Float64Array | undefined {
  const r = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) r[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)];
  if (!choleskyLower(r, n)) return undefined;
  const y = invertLowerTransposed(r, n);
  // U[i][j] = X[n-1-i][n-1-j] = Y[n-1-j][n-1-i]; reuse r for U.
  r.fill(0);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) r[i * n + j] = y[(n - 1 - j) * n + (n - 1 - i)];
  return r;
}
