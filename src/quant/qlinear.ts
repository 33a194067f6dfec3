/** The integer (TFLite int8) form of Conv/ConvTranspose/Gemm/MatMul: operand checks, exact accumulation, requantization. */
import type { DType, Node, QuantParams, TensorInfo, Value } from '../ir/types.js';
import type { QTensorInfo, QValue } from '../ir/quant.js';
import { nodeError } from '../ops/util.js';
import { clampInt, multiplyByQuantizedMultiplier, wrapInt32, type QuantizedMultiplier } from './fixed-point.js';
import { paramsAt } from './params.js';
import { outputClamp, requantMultipliers } from './requant.js';

/** A tensor as the integer checks see it: type plus quantization parameters. */
export type QOperand = (TensorInfo & { quant?: QuantParams }) | undefined;

/** The requantization of one integer node's output: per-channel multipliers, output zero point, clamp range. */
export interface QRequant {
  /** One multiplier per weight channel (one for per-tensor weights). */
  mults: QuantizedMultiplier[];
  zy: number;
  lo: number;
  hi: number;
}

/** Per-tensor int8 parameters of an activation (input or output), or a one-line error naming the node. */
export function activationQuant(node: Node, t: QOperand, what: string): QuantParams {
  if (!t) nodeError(node, `${what} is required`);
  if (t.dtype !== 'int8') nodeError(node, `${what} is ${t.dtype}; the integer ${node.op} takes int8`);
  if (!t.quant) nodeError(node, `${what} has no quantization parameters; quantize it or run ${node.op} in float`);
  if (t.quant.scale.length !== 1) nodeError(node, `${what} must be quantized per tensor, not per channel`);
  return t.quant;
}

/** Int8 weight parameters, per tensor or per channel along `axis` with `channels` entries. */
export function weightQuant(node: Node, t: QOperand, what: string, axis: number, channels: number): QuantParams {
  if (!t) nodeError(node, `${what} is required`);
  if (t.dtype !== 'int8') nodeError(node, `${what} is ${t.dtype}; the integer ${node.op} takes int8`);
  const q = t.quant;
  if (!q) nodeError(node, `${what} has no quantization parameters; quantize it or run ${node.op} in float`);
  if (q.scale.length === 1) return q;
  const ax = (q.axis ?? 0) < 0 ? (q.axis ?? 0) + t.shape.length : (q.axis ?? 0);
  if (ax !== axis || q.scale.length !== channels)
    nodeError(node, `${what} has ${q.scale.length} scales along axis ${ax}; give one, or ${channels} along axis ${axis} (the output channels)`);
  return q;
}

/** The bias of an integer node: int32, or int16 when its values fit (used as is: scale s_x * s_w, zero point 0). */
export function biasCheck(node: Node, t: QOperand, what: string): void {
  if (t && t.dtype !== 'int32' && t.dtype !== 'int16') nodeError(node, `${what} is ${t.dtype}; the integer ${node.op} takes an int32 (or int16) bias`);
}

/** Output requantization of x (*) w -> y: multipliers s_x s_w[c] / s_y and the fused Relu/Clip range. */
export function requantOf(node: Node, x: QuantParams, w: QuantParams, y: QOperand): QRequant {
  const yq = activationQuant(node, y, 'output');
  const [lo, hi] = outputClamp(node, yq, (y as TensorInfo).dtype);
  return { mults: requantMultipliers(x, w, yq), zy: yq.zeroPoint[0], lo, hi };
}

/** Integer data minus its zero point(s), as exact float64 (the float references then accumulate exactly). */
export function centered(v: QValue, q: QuantParams): Value {
  const out = new Float64Array(v.data.length);
  if (q.scale.length === 1) {
    const z = q.zeroPoint[0];
    for (let i = 0; i < out.length; i++) out[i] = v.data[i] - z;
  } else {
    for (let i = 0; i < out.length; i++) out[i] = v.data[i] - paramsAt(q, v.shape, i)[1];
  }
  return { dtype: 'float64', shape: [...v.shape], data: out };
}

/** Integer data as exact float64 (biases). */
export function asFloat64(v: Value | undefined): Value | undefined {
  return v && { dtype: 'float64', shape: [...v.shape], data: Float64Array.from(v.data as ArrayLike<number>) };
}

/** The node without its fused activation (the integer form applies it as the output clamp). */
export function withoutActivation(node: Node): Node {
  const { act: _a, act_alpha: _b, act_beta: _c, ...attrs } = node.attrs;
  return { ...node, attrs };
}

/**
 * Requantize exact accumulators: y = clamp(MultiplyByQuantizedMultiplier(wrap32(acc), M[c]) + z_y, lo, hi), where the
 * channel of element i is its index along `axis` of acc's shape, modulo the number of multipliers.
 */
export function requantize(acc: Value, out: QTensorInfo, r: QRequant, axis: number): Value {
  const dtype: DType = out.dtype;
  const data = new Int8Array(acc.data.length);
  const inner = acc.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const nm = r.mults.length;
  const channels = axis < acc.shape.length ? acc.shape[axis] : 1;
  for (let i = 0; i < data.length; i++) {
    const c = nm === 1 ? 0 : Math.floor(i / inner) % channels % nm;
    data[i] = clampInt(multiplyByQuantizedMultiplier(wrapInt32(acc.data[i]), r.mults[c]) + r.zy, r.lo, r.hi);
  }
  return { dtype, shape: [...acc.shape], data };
}
