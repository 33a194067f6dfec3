/** Error metrics between a computed output and its reference. */
import type { Value } from '../ir/types.js';

/** Agreement of one output with its reference. */
export interface OutputMetrics {
  name: string;
  shape: number[];
  max_abs_err: number;
  rel_l2_err: number;
  cosine: number;
}

/** Max abs error, relative L2 error (‖a−r‖/‖r‖, or ‖a−r‖ when ‖r‖ = 0) and cosine similarity of a against r. */
export function compareValues(name: string, a: Value, r: Value): OutputMetrics {
  if (a.data.length !== r.data.length) throw new Error(`output '${name}': ${a.data.length} values, reference has ${r.data.length}`);
  let maxAbs = 0, diff2 = 0, ref2 = 0, a2 = 0, dot = 0;
  for (let i = 0; i < r.data.length; i++) {
    const x = a.data[i], y = r.data[i];
    const d = x - y;
    if (Number.isNaN(d) && !(Number.isNaN(x) && Number.isNaN(y))) { maxAbs = Infinity; diff2 = Infinity; continue; }
    if (Number.isNaN(d) || d === 0) { ref2 += Number.isFinite(y) ? y * y : 0; a2 += Number.isFinite(x) ? x * x : 0; dot += Number.isFinite(x * y) ? x * y : 0; continue; }
    maxAbs = Math.max(maxAbs, Math.abs(d));
    diff2 += d * d; ref2 += y * y; a2 += x * x; dot += x * y;
  }
  const rel = ref2 > 0 ? Math.sqrt(diff2) / Math.sqrt(ref2) : Math.sqrt(diff2);
  const cos = a2 > 0 && ref2 > 0 ? dot / Math.sqrt(a2 * ref2) : diff2 === 0 ? 1 : 0;
  return { name, shape: [...r.shape], max_abs_err: maxAbs, rel_l2_err: rel, cosine: cos };
}

/** Deterministic PRNG (mulberry32) for seeded verification inputs. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
