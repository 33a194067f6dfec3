/**
 * Pruning scores and SparseGPT (Frantar & Alistarh 2023, "SparseGPT: Massive Language Models Can Be Accurately Pruned
 * in One-Shot") for N:M masks. Weights are W [K][N] (reduction rows, output columns) as in GPTQ, H = 2 sum x^T x over
 * the calibration rows. SparseGPT walks the rows in order; at the first row of each group of M it picks, per column,
 * the N weights with the largest w^2 / U_ii^2 (U: upper Cholesky factor of H^-1) among the error-updated weights,
 * zeroes the others, and pushes each row's pruning error onto the later rows (in blocks, as GPTQ's lazy batch does).
 */
import { hinvFactor } from '../quant/gptq.js';

/** Pruning method: by |w|, by |w| times the input's L2 norm (Wanda), or SparseGPT with error compensation. */
export type PruneMethod = 'magnitude' | 'wanda' | 'sparsegpt';

/** Keep mask [r1 - r0][N] of the N:M groups of rows r0..r1 from scores (larger keeps). */
function maskAlongK(score: (r: number, j: number) => number, k: number, cols: number, n: number, m: number, r0 = 0, r1 = k): Uint8Array {
  const keep = new Uint8Array((r1 - r0) * cols);
  const idx = Array.from({ length: m }, (_, i) => i);
  for (let g0 = r0; g0 < r1; g0 += m)
    for (let j = 0; j < cols; j++) {
      idx.sort((a, b) => score(g0 + b, j) - score(g0 + a, j) || a - b);
      for (let t = 0; t < n; t++) keep[(g0 - r0 + idx[t]) * cols + j] = 1;
    }
  return keep;
}

/** Magnitude or Wanda pruning of w [K][N] (a new array); `hdiag` is H's diagonal (2 sum x_k^2) for Wanda. */
export function pruneByScore(w: Float64Array, k: number, cols: number, n: number, m: number, hdiag?: Float64Array): Float64Array {
  const norm = (r: number) => (hdiag ? Math.sqrt(hdiag[r] / 2) : 1);
  const keep = maskAlongK((r, j) => Math.abs(w[r * cols + j]) * norm(r), k, cols, n, m);
  return w.map((v, i) => (keep[i] ? v : 0));
}

/** SparseGPT N:M pruning of w [K][N] against H [K][K]; returns the pruned, error-compensated weights. */
export function sparseGpt(w: Float64Array, k: number, cols: number, hessian: Float64Array, n: number, m: number, opts: { damp?: number; blockSize?: number } = {}): Float64Array {
  const perm = Int32Array.from({ length: k }, (_, i) => i);
  const u = hinvFactor(hessian, k, perm, opts.damp ?? 0.01);
  const W = Float64Array.from(w);
  const block = Math.ceil((opts.blockSize ?? 128) / m) * m;
  const err = new Float64Array(block * cols);
  let keep: Uint8Array = new Uint8Array(0);
  for (let b0 = 0; b0 < k; b0 += block) {
    const b1 = Math.min(k, b0 + block);
    for (let i = b0; i < b1; i++) {
      if ((i - b0) % m === 0) {
        keep = maskAlongK((r, j) => (W[r * cols + j] / u[r * k + r]) ** 2, k, cols, n, m, i, i + m);
      }
      const d = u[i * k + i];
      const e = err.subarray((i - b0) * cols, (i - b0 + 1) * cols);
      const kr = keep.subarray(((i - b0) % m) * cols, ((i - b0) % m + 1) * cols);
      for (let j = 0; j < cols; j++) {
        const v = W[i * cols + j];
        const q = kr[j] ? v : 0;
        W[i * cols + j] = q;
        e[j] = (v - q) / d;
      }
      for (let i2 = i + 1; i2 < b1; i2++) {
        const c = u[i * k + i2];
        if (c === 0) continue;
        for (let j = 0; j < cols; j++) W[i2 * cols + j] -= c * e[j];
      }
    }
    for (let i2 = b1; i2 < k; i2++)
      for (let i = b0; i < b1; i++) {
        const c = u[i * k + i2];
        if (c === 0) continue;
        const eo = (i - b0) * cols;
        for (let j = 0; j < cols; j++) W[i2 * cols + j] -= c * err[eo + j];
      }
  }
  return W;
}
