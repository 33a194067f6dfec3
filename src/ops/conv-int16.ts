/**
 * 16x8 integer Conv and ConvTranspose (int16 activations with zero point 0, int8 weights, int64 or int32 bias):
 * TFLite's reference_integer_ops ConvPerChannel / TransposeConv for 16-bit data, checks shared with the C lowering.
 */
import type { Node, QuantParams, Value } from '../ir/types.js';
import type { QTensorInfo, QValue } from '../ir/quant.js';
import { numel } from '../ir/dtype.js';
import { nodeError } from './util.js';
import { clampInt, multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplier64, wrapInt32, type QuantizedMultiplier } from '../quant/fixed-point.js';
import { asFloat64, weightQuant, withoutActivation, type QOperand } from '../quant/qlinear.js';
import { outputClamp, requantMultipliers } from '../quant/requant.js';
import { perTensor } from '../quant/kernels.js';

/** Resolved parameters of a 16x8 convolution. */
export interface Conv16Params {
  mults: QuantizedMultiplier[];
  lo: number;
  hi: number;
  /** int64 accumulation with the 16-bit reduced multiplier (int64 or no bias); else int32 with gemmlowp rounding. */
  wide: boolean;
}

/** An int16 activation's scale; TFLite's 16x8 scheme fixes its zero point at 0. */
function activation16(node: Node, t: QOperand, what: string): QuantParams {
  if (!t || t.dtype !== 'int16') nodeError(node, `${what} must be int16 for the 16x8 ${node.op}`);
  const { z } = perTensor(node, t.quant, what);
  if (z !== 0) nodeError(node, `${what} has zero point ${z}; int16 activations are symmetric (zero point 0) in 16x8 quantization`);
  return t.quant!;
}

/** Check a 16x8 Conv (`transpose` false: W [M, C/g, k...]) or ConvTranspose (W [C, M/g, k...]) and resolve its requantization. */
export function conv16Params(node: Node, transpose: boolean, [x, w, b]: QOperand[], y: QOperand): Conv16Params {
  const xq = activation16(node, x, 'input X');
  const yq = activation16(node, y, 'output Y');
  if (!w) nodeError(node, 'weight W is required');
  const axis = transpose ? 1 : 0;
  const wq = weightQuant(node, w, 'weight W', axis, w.shape[axis]);
  if (wq.zeroPoint.some((z) => z !== 0)) nodeError(node, 'int8 weights of a 16x8 convolution must have zero point 0');
  if (b && b.dtype !== 'int64' && b.dtype !== 'int32') nodeError(node, `bias B is ${b.dtype}; the 16x8 ${node.op} takes an int64 (or int32) bias`);
  const [lo, hi] = outputClamp(node, yq, 'int16');
  return { mults: requantMultipliers(xq, wq, yq), lo, hi, wide: b?.dtype !== 'int32' };
}

type FloatRef = (node: Node, inputs: (Value | undefined)[]) => Value[];

/** Integer reference: exact sums of int16 x int8 plus the bias (the float reference on float64 integers), requantized per channel. */
export function conv16IntReference(transpose: boolean, floatRef: FloatRef, node: Node, inputs: (QValue | undefined)[], [y]: QTensorInfo[]): Value[] {
  const p = conv16Params(node, transpose, inputs, y);
  const [x, w, b] = inputs;
  const acc = floatRef(withoutActivation(node), [asFloat64(x), asFloat64(w), asFloat64(b)])[0];
  const channels = acc.shape[1];
  const inner = numel(acc.shape.slice(2));
  const out = new Int16Array(acc.data.length);
  for (let i = 0; i < out.length; i++) {
    const m = p.mults[p.mults.length === 1 ? 0 : Math.floor(i / inner) % channels];
    out[i] = clampInt(p.wide ? multiplyByQuantizedMultiplier64(acc.data[i], m) : multiplyByQuantizedMultiplier(wrapInt32(acc.data[i]), m), p.lo, p.hi);
  }
  return [{ dtype: 'int16', shape: [...acc.shape], data: out }];
}
