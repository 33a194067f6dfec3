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
  const [qmin, qmax] = qRange(dtype);
  const act = fusedActivation(node);
  if (!act) return [qmin, qmax];
  const q = (v: number) => y.zeroPoint[0] + roundHalfAway(v / y.scale[0]);
  if (act.op === 'Relu') return [Math.max(qmin, q(0)), qmax];
  if (act.op === 'Clip') return [Math.max(qmin, Math.min(qmax, q(act.alpha))), Math.min(qmax, Math.max(qmin, q(act.beta)))];
  nodeError(node, `fused ${act.op} cannot run on integers; split it into its own node before quantizing`);
}
