/** Shared pieces of every requantizing int8 kernel: output multipliers and the fused-activation clamp range. */
import type { DType, Node, QuantParams } from '../ir/types.js';
import { fusedActivation } from '../ops/activation.js';
import { nodeError } from '../ops/util.js';
import { quantizeMultiplier, roundHalfAway, type QuantizedMultiplier } from './fixed-point.js';
import { qRange } from './params.js';

/** Per-output-channel multipliers s_x * s_w[c] / s_y (TFLite: computed in double from the float32 scales). */
export function requantMultipliers(x: QuantParams, w: QuantParams, y: QuantParams): QuantizedMultiplier[] {
  return Array.from(w.scale, (sw) => quantizeMultiplier((x.scale[0] * sw) / y.scale[0]));
}

/**
 * The clamp [lo, hi] of a requantized output: the dtype's range narrowed by a fused Relu or Clip
 * (TFLite CalculateActivationRangeQuantized). Other fused activations cannot be requantized: the quantizer
 * splits them into their own (table) nodes first.
 */
export function outputClamp(node: Node, y: QuantParams, dtype: DType): [number, number] {
  const act = fusedActivation(node);
  if (!act) return qRange(dtype);
  if (act.op === 'Relu') return clampRange(y, dtype, 0, Infinity);
  if (act.op === 'Clip') return clampRange(y, dtype, act.alpha, act.beta);
  nodeError(node, `fused ${act.op} cannot run on integers; split it into its own node before quantizing`);
}

/**
 * The integer range [lo, hi] of the real range [min, max] in `y`'s quantization, within the dtype's range
 * (TFLite: zero_point + round(f / scale) with the division in float32; infinite bounds clamp nothing).
 */
export function clampRange(y: QuantParams, dtype: DType, min: number, max: number): [number, number] {
  const [qmin, qmax] = qRange(dtype);
  const q = (v: number) => y.zeroPoint[0] + roundHalfAway(Math.fround(Math.fround(v) / y.scale[0]));
  const lo = min === -Infinity ? qmin : Math.max(qmin, Math.min(qmax, q(min)));
  const hi = max === Infinity ? qmax : Math.min(qmax, Math.max(qmin, q(max)));
  return [lo, hi];
}
