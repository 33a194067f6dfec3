/** Round-to-nearest int4 group quantization, and the group scale / zero point rule GPTQ shares with it. */
import { roundScale, W4_SYMMETRIC_ZERO, w4Groups, type W4ScaleType } from './w4-format.js';

/** Options every int4 weight quantizer takes. */
export interface W4QuantOptions {
  /** Input rows (along K) per scale. */
  group: number;
  scaleType: W4ScaleType;
  /** Zero point fixed at 8 (codes are signed int4) instead of a 4-bit zero point per group. */
  symmetric: boolean;
}

/** Unpacked int4 weights: codes [K][N] in [0, 15], scales [G][N] (representable in the scale type), zeros [G][N]. */
export interface W4Quantized {
  codes: Uint8Array;
  scales: Float64Array;
  /** Absent for symmetric quantization. */
  zeros?: Uint8Array;
}

/** Empty result arrays for a K x N matrix. */
export function allocQuantized(k: number, n: number, opts: W4QuantOptions): W4Quantized {
  const g = w4Groups(k, opts.group);
  return { codes: new Uint8Array(k * n), scales: new Float64Array(g * n), zeros: opts.symmetric ? undefined : new Uint8Array(g * n) };
}

/** Smallest positive scale of each storage type (a group of zeros still needs a usable scale). */
const MIN_SCALE: Record<W4ScaleType, number> = { float16: 2 ** -24, float32: 2 ** -149 };

/**
 * Scale and zero point per column for group `gi` from rows [r0, r1) of w ([K][N], row-major): min/max over the group
 * with 0 always inside the range (GPTQ's rule); asymmetric s = (max - min) / 15, z = round(-min / s); symmetric
 * s = max(-min / 8, max / 7), z = 8. The scale is rounded to its storage type before z and the codes are chosen.
 */
export function groupParams(w: Float64Array, n: number, r0: number, r1: number, gi: number, opts: W4QuantOptions, out: W4Quantized): void {
  for (let j = 0; j < n; j++) {
    let lo = 0;
    let hi = 0;
    for (let r = r0; r < r1; r++) {
      const v = w[r * n + j];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const raw = opts.symmetric ? Math.max(-lo / 8, hi / 7) : (hi - lo) / 15;
    const s = Math.max(roundScale(raw > 0 ? raw : 1, opts.scaleType), MIN_SCALE[opts.scaleType]);
    out.scales[gi * n + j] = s;
    if (out.zeros) out.zeros[gi * n + j] = Math.min(15, Math.max(0, Math.round(-lo / s)));
  }
}

/** The code of value v under scale s and zero point z: clamp(round(v / s) + z, 0, 15). */
export function quantizeCode(v: number, s: number, z: number): number {
  const q = Math.round(v / s) + z;
  return q < 0 ? 0 : q > 15 ? 15 : q;
}

/** Zero point of column j in group gi. */
export function zeroAt(q: W4Quantized, gi: number, n: number, j: number): number {
  return q.zeros ? q.zeros[gi * n + j] : W4_SYMMETRIC_ZERO;
}

/** Round-to-nearest: every group's parameters from its own weights, every weight to its nearest code. */
export function rtnQuantize(w: Float64Array, k: number, n: number, opts: W4QuantOptions): W4Quantized {
  const out = allocQuantized(k, n, opts);
  for (let r0 = 0, gi = 0; r0 < k; r0 += opts.group, gi++) {
    const r1 = Math.min(k, r0 + opts.group);
    groupParams(w, n, r0, r1, gi, opts, out);
    for (let r = r0; r < r1; r++)
      for (let j = 0; j < n; j++) out.codes[r * n + j] = quantizeCode(w[r * n + j], out.scales[gi * n + j], zeroAt(out, gi, n, j));
  }
  return out;
}

/** Dequantized weights [K][N] of an unpacked result (float32 values, as the kernel sees them). */
export function dequantizeQuantized(q: W4Quantized, k: number, n: number, group: number): Float64Array {
  const out = new Float64Array(k * n);
  for (let r = 0; r < k; r++) {
    const gi = Math.floor(r / group);
    for (let j = 0; j < n; j++) out[r * n + j] = Math.fround(q.scales[gi * n + j] * (q.codes[r * n + j] - zeroAt(q, gi, n, j)));
  }
  return out;
}
