/** Calibration: run the float reference over sample inputs, record every tensor's values, choose clipping ranges. */
import type { Graph, Value } from '../ir/types.js';
import { runReference } from '../interp/reference.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { HIST_BINS, Histogram } from './histogram.js';
import { EdgecError } from '../util/errors.js';

/** How a tensor's range is chosen from its value statistics. */
export type CalibMethod = 'minmax' | 'percentile' | 'entropy' | 'mse';

/** A clipping range [min, max] for a tensor. */
export interface Range {
  min: number;
  max: number;
}

/** Observe every float tensor of the graph over the calibration feeds. */
export function collectHistograms(g: Graph, feeds: Record<string, Value>[], progress: Progress = silentProgress): Map<string, Histogram> {
  if (feeds.length === 0) throw new EdgecError('the calibration set is empty: give --calib a .npy file or a folder with at least one sample');
  const hists = new Map<string, Histogram>();
  const observe = (name: string, v: Value) => {
    if (v.dtype !== 'float32') return;
    let h = hists.get(name);
    if (!h) hists.set(name, (h = new Histogram()));
    h.add(v.data);
  };
  progress.start('calibrate', feeds.length);
  feeds.forEach((f, i) => {
    for (const n of g.inputs) observe(n, f[n]);
    runReference(g, f, observe);
    progress.update(i + 1, `sample ${i + 1}/${feeds.length}`);
  });
  progress.stop();
  return hists;
}

/** Clip both tails at the given percentile (ONNX Runtime's default is 99.999). */
function percentileRange(h: Histogram, pct = 99.999): Range {
  const tail = 1 - pct / 100;
  return { min: Math.max(h.min, h.quantile(tail)), max: Math.min(h.max, h.quantile(1 - tail)) };
}

/** Expected squared error of quantizing the histogram to 256 levels over [lo, hi] (clipping + rounding). */
function quantMse(h: Histogram, lo: number, hi: number): number {
  const step = (hi - lo) / 255;
  let err = 0;
  for (let b = 0; b < HIST_BINS; b++) {
    const c = h.counts[b];
    if (c === 0) continue;
    const x = (h.edge(b) + h.edge(b + 1)) / 2;
    if (x < lo) err += c * (lo - x) ** 2;
    else if (x > hi) err += c * (x - hi) ** 2;
    else err += (c * step * step) / 12;
  }
  return err;
}

/** The range minimising quantization MSE over shrunken [a*min, b*max] (each end searched on a grid). */
function mseRange(h: Histogram): Range {
  const lo0 = Math.min(h.min, 0);
  const hi0 = Math.max(h.max, 0);
  let best = { min: lo0, max: hi0 };
  let bestErr = quantMse(h, lo0, hi0);
  const grid = Array.from({ length: 40 }, (_, i) => 1 - i * 0.02);
  // Coordinate descent: upper end, then lower end, twice.
  for (let pass = 0; pass < 2; pass++) {
    for (const a of grid) {
      const e = quantMse(h, best.min, hi0 * a);
      if (e < bestErr) { bestErr = e; best = { min: best.min, max: hi0 * a }; }
    }
    for (const a of grid) {
      const e = quantMse(h, lo0 * a, best.max);
      if (e < bestErr) { bestErr = e; best = { min: lo0 * a, max: best.max }; }
    }
  }
  return best;
}

/** KL divergence of P (reference distribution) from Q, skipping empty bins of P. */
function kl(p: Float64Array, q: Float64Array): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) { sp += p[i]; sq += q[i]; }
  let d = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) d += (p[i] / sp) * Math.log((p[i] / sp) / (q[i] > 0 ? q[i] / sq : 1e-12));
  return d;
}

/** TensorRT-style entropy calibration on |x|: the threshold whose 128-level quantization keeps KL(P||Q) smallest. */
function entropyRange(h: Histogram): Range {
  const half = HIST_BINS / 2;
  const abs = new Float64Array(half);
  for (let b = 0; b < HIST_BINS; b++) abs[b < half ? half - 1 - b : b - half] += h.counts[b];
  const levels = 128;
  let bestT = half;
  let bestD = Infinity;
  for (let t = levels; t <= half; t += 8) {
    const p = abs.slice(0, t);
    let outliers = 0;
    for (let i = t; i < half; i++) outliers += abs[i];
    p[t - 1] += outliers;
    // Q: P's first t bins merged into `levels` groups, each group's mass spread over its non-empty bins.
    const q = new Float64Array(t);
    for (let j = 0; j < levels; j++) {
      const s = Math.floor((j * t) / levels);
      const e = Math.floor(((j + 1) * t) / levels);
      let mass = 0;
      let nz = 0;
      for (let i = s; i < e; i++) { mass += abs[i]; if (abs[i] > 0) nz++; }
      for (let i = s; i < e; i++) if (abs[i] > 0) q[i] = mass / nz;
    }
    const d = kl(p, q);
    if (d < bestD) { bestD = d; bestT = t; }
  }
  const thr = (bestT / half) * h.limit;
  return { min: Math.max(h.min, -thr), max: Math.min(h.max, thr) };
}

/** Range choosers by method; each is tested on known distributions. */
export const RANGE_METHODS: Record<CalibMethod, (h: Histogram) => Range> = {
  minmax: (h) => ({ min: h.min, max: h.max }),
  percentile: (h) => percentileRange(h),
  entropy: entropyRange,
  mse: mseRange,
};

/** Ranges of every observed tensor by `method`. */
export function chooseRanges(hists: Map<string, Histogram>, method: CalibMethod): Map<string, Range> {
  const out = new Map<string, Range>();
  for (const [name, h] of hists) out.set(name, RANGE_METHODS[method](h));
  return out;
}
