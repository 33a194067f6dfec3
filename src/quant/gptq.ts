/**
 * GPTQ (Frantar et al. 2022, "Accurate Post-Training Quantization for Generative Pre-trained Transformers") for int4
 * group-wise weights. W is [K][N] (input rows, output columns); H = 2 sum x^T x over the calibration rows (K x K).
 * Rows are quantized one at a time in order (or by decreasing H diagonal with act-order); each row's rounding error,
 * scaled by the upper Cholesky factor U of H^-1, is pushed onto the rows not yet quantized: immediately inside the
 * current block of `blockSize` rows, as one batched update for the rows after it (the "lazy batch" of the paper).
 * Group scales and zero points are chosen when the first row of a group is reached, from the error-updated weights;
 * with act-order they are fixed up front from the original weights ("static groups") so groups stay contiguous in K.
 */
import { allocQuantized, groupParams, quantizeCode, zeroAt, type W4QuantOptions, type W4Quantized } from './rtn.js';
import { upperCholeskyOfInverse } from './linalg64.js';

/** GPTQ settings on top of the int4 format options. */
export interface GptqOptions extends W4QuantOptions {
  /** Dampening added to H's diagonal, as a fraction of its mean (default 0.01). */
  damp?: number;
  /** Rows per lazy-update block (default 128, rounded up to a multiple of the group). */
  blockSize?: number;
  /** Quantize rows by decreasing H diagonal (default off). */
  actOrder?: boolean;
}

/** H with dead inputs (zero diagonal: the input is always 0) given a unit diagonal, permuted, dampened; then U (also SparseGPT's). */
export function hinvFactor(hessian: Float64Array, k: number, perm: Int32Array, damp: number): Float64Array {
  const h = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) h[i * k + j] = hessian[perm[i] * k + perm[j]];
  let mean = 0;
  for (let i = 0; i < k; i++) {
    if (h[i * k + i] === 0) h[i * k + i] = 1;
    mean += h[i * k + i] / k;
  }
  // Dampening keeps H positive definite; if rounding still breaks the factorisation, dampen harder.
  for (let d = damp, tries = 0; tries < 6; tries++, d *= 10) {
    const hd = Float64Array.from(h);
    for (let i = 0; i < k; i++) hd[i * k + i] += d * mean;
    const u = upperCholeskyOfInverse(hd, k);
    if (u) return u;
  }
  throw new Error('internal: the calibration Hessian stays indefinite after dampening');
}

/** Quantize w ([K][N], not modified) with GPTQ against Hessian `hessian` ([K][K]). */
export function gptqQuantize(w: Float64Array, k: number, n: number, hessian: Float64Array, opts: GptqOptions): W4Quantized {
  const group = opts.group;
  const out = allocQuantized(k, n, opts);
  const perm = Int32Array.from({ length: k }, (_, i) => i);
  const diag = (i: number) => hessian[i * k + i];
  if (opts.actOrder) {
    // Static groups: parameters from the original weights, before any error feedback.
    for (let r0 = 0, gi = 0; r0 < k; r0 += group, gi++) groupParams(w, n, r0, Math.min(k, r0 + group), gi, opts, out);
    perm.sort((a, b) => diag(b) - diag(a) || a - b);
  }
  const u = hinvFactor(hessian, k, perm, opts.damp ?? 0.01);
  // W in quantization order (row i is original row perm[i]).
  const W = new Float64Array(k * n);
  for (let i = 0; i < k; i++) W.set(w.subarray(perm[i] * n, perm[i] * n + n), i * n);
  const block = Math.ceil((opts.blockSize ?? 128) / group) * group;
  const err = new Float64Array(block * n);
  for (let b0 = 0; b0 < k; b0 += block) {
    const b1 = Math.min(k, b0 + block);
    for (let i = b0; i < b1; i++) {
      const r = perm[i];
      const gi = Math.floor(r / group);
      if (!opts.actOrder && r % group === 0) groupParams(W, n, i, Math.min(k, i + group), gi, opts, out);
      const d = u[i * k + i];
      const e = err.subarray((i - b0) * n, (i - b0 + 1) * n);
      for (let j = 0; j < n; j++) {
        const v = W[i * n + j];
        const s = out.scales[gi * n + j];
        const z = zeroAt(out, gi, n, j);
        const q = quantizeCode(v, s, z);
        out.codes[r * n + j] = q;
        e[j] = (v - Math.fround(s * (q - z))) / d;
      }
      // Error feedback inside the block, right away.
      for (let i2 = i + 1; i2 < b1; i2++) {
        const c = u[i * k + i2];
        if (c === 0) continue;
        const row = i2 * n;
        for (let j = 0; j < n; j++) W[row + j] -= c * e[j];
      }
    }
    // Lazy batch update of every later row with the whole block's errors.
    for (let i2 = b1; i2 < k; i2++) {
      const row = i2 * n;
      for (let i = b0; i < b1; i++) {
        const c = u[i * k + i2];
        if (c === 0) continue;
        const eo = (i - b0) * n;
        for (let j = 0; j < n; j++) W[row + j] -= c * err[eo + j];
      }
    }
  }
  return out;
}
