/**
 * TFLite's 16x8 arithmetic (int16 activations, int8 weights): the int64 requantization of the conv kernels and the
 * Prepare-time parameters of Add/Sub/Mul/LeakyRelu with 16-bit tensors, as TFLite Micro computes them.
 */
import type { Node, QuantParams } from '../ir/types.js';
import { nodeError } from '../ops/util.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, type QuantizedMultiplier } from './fixed-point.js';

const f32 = Math.fround;
const P53 = 2 ** 53;

/**
 * TFLite MultiplyByQuantizedMultiplier(int64 x, multiplier, shift): the multiplier reduced to 16 bits and one rounding
 * shift (the 16x8 conv requantization); the int64 result is truncated to int32 as the C cast does.
 */
export function multiplyByQuantizedMultiplier64(x: number, m: QuantizedMultiplier): number {
  const reduced = m.multiplier < 0x7fff0000 ? Math.floor((m.multiplier + 32768) / 65536) : 0x7fff;
  const total = 15 - m.shift;
  const round = 2 ** (total - 1);
  const prod = x * reduced;
  if (Math.abs(prod) + round < P53) return Math.floor((prod + round) / 2 ** total) | 0;
  return Number(BigInt.asIntN(32, (BigInt(x) * BigInt(reduced) + BigInt(round)) >> BigInt(total)));
}

/** Per-tensor scale and zero point of a 16-bit operand, or an error naming the node. */
export function perTensor16(node: Node, q: QuantParams | undefined, what: string): { s: number; z: number } {
  if (!q) nodeError(node, `${what} has no quantization parameters`);
  if (q.scale.length !== 1) nodeError(node, `${what} is quantized per channel; the 16-bit ${node.op} takes per-tensor parameters`);
  return { s: q.scale[0], z: q.zeroPoint[0] };
}

/** Add/Sub parameters: inputs scaled by s_i / 2max after a 15-bit left shift, output by 2max / (2^15 s_y) (TFLM add_common / sub_common). */
export interface Add16Params {
  z1: number;
  z2: number;
  zy: number;
  m1: QuantizedMultiplier;
  m2: QuantizedMultiplier;
  mo: QuantizedMultiplier;
  sign: 1 | -1;
}

/** The left shift of 16-bit Add/Sub (20 for 8-bit). */
export const ADD16_LEFT_SHIFT = 15;

/** The ratios in double, for Add and Sub alike (the TFLite Micro that made the integration goldens computes both so). */
export function add16Params(node: Node, x1: QuantParams | undefined, x2: QuantParams | undefined, y: QuantParams | undefined, sub: boolean): Add16Params {
  const a = perTensor16(node, x1, 'input 0');
  const b = perTensor16(node, x2, 'input 1');
  const o = perTensor16(node, y, 'output 0');
  const twiceMax = 2 * Math.max(a.s, b.s);
  return {
    z1: a.z, z2: b.z, zy: o.z, sign: sub ? -1 : 1,
    m1: quantizeMultiplier(a.s / twiceMax), m2: quantizeMultiplier(b.s / twiceMax), mo: quantizeMultiplier(twiceMax / (2 ** ADD16_LEFT_SHIFT * o.s)),
  };
}

/** reference_ops AddElementwise / SubElementwise on one 16-bit pair, before the clamp. */
export function add16Elem(p: Add16Params, a: number, b: number): number {
  const s1 = multiplyByQuantizedMultiplier((a - p.z1) * 2 ** ADD16_LEFT_SHIFT, p.m1);
  const s2 = multiplyByQuantizedMultiplier((b - p.z2) * 2 ** ADD16_LEFT_SHIFT, p.m2);
  return multiplyByQuantizedMultiplier(s1 + p.sign * s2, p.mo) + p.zy;
}

/** Mul parameters: s1 * s2 / s_y in double (TFLM CalculateOpDataMul). */
export interface Mul16Params {
  z1: number;
  z2: number;
  zy: number;
  m: QuantizedMultiplier;
}

/** Mul's zero points and output multiplier. */
export function mul16Params(node: Node, x1: QuantParams | undefined, x2: QuantParams | undefined, y: QuantParams | undefined): Mul16Params {
  const a = perTensor16(node, x1, 'input 0');
  const b = perTensor16(node, x2, 'input 1');
  const o = perTensor16(node, y, 'output 0');
  return { z1: a.z, z2: b.z, zy: o.z, m: quantizeMultiplier((a.s * b.s) / o.s) };
}

/** reference_integer_ops MulElementwise on one pair, before the clamp. */
export function mul16Elem(p: Mul16Params, a: number, b: number): number {
  return multiplyByQuantizedMultiplier((a - p.z1) * (b - p.z2), p.m) + p.zy;
}

/** LeakyRelu parameters: s_x / s_y and alpha s_x / s_y, both in float32 (TFLM CalculateOpDataLeakyRelu). */
export interface LeakyRelu16Params {
  zx: number;
  zy: number;
  identity: QuantizedMultiplier;
  alpha: QuantizedMultiplier;
}

/** LeakyRelu's two multipliers. */
export function leakyRelu16Params(node: Node, x: QuantParams | undefined, y: QuantParams | undefined, alpha: number): LeakyRelu16Params {
  const a = perTensor16(node, x, 'input 0');
  const o = perTensor16(node, y, 'output 0');
  return { zx: a.z, zy: o.z, identity: quantizeMultiplier(f32(a.s / o.s)), alpha: quantizeMultiplier(f32(f32(a.s * f32(alpha)) / o.s)) };
}

/** reference_ops QuantizeLeakyRelu on one value, before the clamp. */
export function leakyRelu16Elem(p: LeakyRelu16Params, x: number): number {
  const d = x - p.zx;
  return p.zy + multiplyByQuantizedMultiplier(d, d >= 0 ? p.identity : p.alpha);
}
