/**
 * TFLite Micro's int8 elementwise kernels: the Prepare-time parameters (with TFLM's exact float32/double arithmetic)
 * and the per-element integer functions. The integer references and the C lowerings both derive from these.
 */
import type { DType, Node, QuantParams } from '../ir/types.js';
import { nodeError } from '../ops/util.js';
import {
  clampInt, multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierSmallerThanOne, quantizeMultiplier,
  type QuantizedMultiplier,
} from './fixed-point.js';
import { qRange } from './params.js';

const f32 = Math.fround;

/** Parameters of int8 Add/Sub (TFLM CalculateOpDataAdd / CalculateOpDataSub). */
export interface AddParams {
  /** Input zero points (TFLite's offsets are their negation). */
  z1: number;
  z2: number;
  zy: number;
  leftShift: number;
  m1: QuantizedMultiplier;
  m2: QuantizedMultiplier;
  mo: QuantizedMultiplier;
  /** -1 for Sub: the scaled second input is subtracted. */
  sign: 1 | -1;
}

/** The per-tensor scale and zero point of a tensor, or an error naming the node. */
export function perTensor(node: Node, q: QuantParams | undefined, what: string): { s: number; z: number } {
  if (!q) nodeError(node, `${what} has no quantization parameters`);
  if (q.scale.length !== 1) nodeError(node, `${what} is quantized per channel; integer ${node.op} takes per-tensor parameters`);
  return { s: q.scale[0], z: q.zeroPoint[0] };
}

/**
 * Add: multipliers s1 / 2max, s2 / 2max and 2max / (2^20 sy) in double (TFLM add_common.cc).
 * Sub: the same ratios computed in float32 (TFLM sub_common.cc), and scaled1 - scaled2 (reference_ops::Sub).
 * int16 (16x8): a 15-bit left shift, and Sub's ratios in double too, as the TFLite Micro whose 16x8 integration
 * goldens edgec matches computes them.
 */
export function addParams(node: Node, x1: QuantParams | undefined, x2: QuantParams | undefined, y: QuantParams | undefined, sub: boolean, dtype: DType = 'int8'): AddParams {
  const a = perTensor(node, x1, 'input 0');
  const b = perTensor(node, x2, 'input 1');
  const o = perTensor(node, y, 'output 0');
  const leftShift = dtype === 'int16' ? 15 : 20;
  const r = sub && dtype !== 'int16' ? f32 : (v: number) => v;
  const twiceMax = 2 * Math.max(a.s, b.s);
  const r1 = r(a.s / twiceMax);
  const r2 = r(b.s / twiceMax);
  const ro = r(twiceMax / r(2 ** leftShift * o.s));
  return {
    z1: a.z, z2: b.z, zy: o.z, leftShift,
    m1: quantizeMultiplier(r1), m2: quantizeMultiplier(r2), mo: quantizeMultiplier(ro),
    sign: sub ? -1 : 1,
  };
}

/** reference_integer_ops::AddFunc / reference_ops::SubElementwise on one pair, before the clamp. */
export function addElem(p: AddParams, a: number, b: number): number {
  const s1 = multiplyByQuantizedMultiplierSmallerThanOne((a - p.z1) * 2 ** p.leftShift, p.m1);
  const s2 = multiplyByQuantizedMultiplierSmallerThanOne((b - p.z2) * 2 ** p.leftShift, p.m2);
  return multiplyByQuantizedMultiplier(s1 + p.sign * s2, p.mo) + p.zy;
}

/** Parameters of int8 Mul (TFLM CalculateOpDataMul: s1 * s2 / sy in double). */
export interface MulParams {
  z1: number;
  z2: number;
  zy: number;
  m: QuantizedMultiplier;
}

/** Mul's zero points and output multiplier. */
export function mulParams(node: Node, x1: QuantParams | undefined, x2: QuantParams | undefined, y: QuantParams | undefined): MulParams {
  const a = perTensor(node, x1, 'input 0');
  const b = perTensor(node, x2, 'input 1');
  const o = perTensor(node, y, 'output 0');
  return { z1: a.z, z2: b.z, zy: o.z, m: quantizeMultiplier((a.s * b.s) / o.s) };
}

/** reference_integer_ops::MulElementwise on one pair, before the clamp. */
export function mulElem(p: MulParams, a: number, b: number): number {
  return multiplyByQuantizedMultiplier((a - p.z1) * (b - p.z2), p.m) + p.zy;
}

/** A plain requantization x -> zy + (x - zx) * sx / sy (TFLM Relu, Mean, and edgec's Concat and AveragePool). */
export interface RequantParams {
  zx: number;
  zy: number;
  m: QuantizedMultiplier;
}

/** sx / sy in double (TFLM CalculateReluOpData, PrepareMeanOrSum). */
export function requantParams(node: Node, x: QuantParams | undefined, y: QuantParams | undefined, what = 'input 0'): RequantParams {
  const a = perTensor(node, x, what);
  const o = perTensor(node, y, 'output 0');
  return { zx: a.z, zy: o.z, m: quantizeMultiplier(a.s / o.s) };
}

/** zy + MultiplyByQuantizedMultiplier(x - zx), before the clamp. */
export function requantElem(p: RequantParams, x: number): number {
  return multiplyByQuantizedMultiplier(x - p.zx, p.m) + p.zy;
}

/** True when two per-tensor parameter sets are identical (the copy path of Concat, TFLite's AveragePool). */
export function sameParams(a: QuantParams | undefined, b: QuantParams | undefined): boolean {
  return !!a && !!b && a.scale.length === 1 && b.scale.length === 1 && a.scale[0] === b.scale[0] && a.zeroPoint[0] === b.zeroPoint[0];
}

/** Parameters of int8 LeakyRelu (TFLM CalculateOpDataLeakyRelu: both ratios in float32). */
export interface LeakyReluParams {
  zx: number;
  zy: number;
  identity: QuantizedMultiplier;
  alpha: QuantizedMultiplier;
}

/** LeakyRelu's multipliers sx / sy and alpha * sx / sy. */
export function leakyReluParams(node: Node, x: QuantParams | undefined, y: QuantParams | undefined, alpha: number): LeakyReluParams {
  const a = perTensor(node, x, 'input 0');
  const o = perTensor(node, y, 'output 0');
  return {
    zx: a.z, zy: o.z,
    identity: quantizeMultiplier(f32(a.s / o.s)),
    alpha: quantizeMultiplier(f32(f32(a.s * f32(alpha)) / o.s)),
  };
}

/** reference_ops::QuantizeLeakyRelu on one value, before the clamp. */
export function leakyReluElem(p: LeakyReluParams, x: number): number {
  const d = x - p.zx;
  return multiplyByQuantizedMultiplier(d, d >= 0 ? p.identity : p.alpha) + p.zy;
}

/** Parameters of int8 PRelu (TFLM CalculatePreluParams: sx / sy and sx * sa / sy in double). */
export interface PReluParams {
  zx: number;
  za: number;
  zy: number;
  m1: QuantizedMultiplier;
  m2: QuantizedMultiplier;
}

/** PRelu's multipliers for the positive and the negative side. */
export function preluParams(node: Node, x: QuantParams | undefined, slope: QuantParams | undefined, y: QuantParams | undefined): PReluParams {
  const a = perTensor(node, x, 'input 0');
  const s = perTensor(node, slope, 'input 1 (slope)');
  const o = perTensor(node, y, 'output 0');
  return { zx: a.z, za: s.z, zy: o.z, m1: quantizeMultiplier(a.s / o.s), m2: quantizeMultiplier((a.s * s.s) / o.s) };
}

/** reference_ops::BroadcastPrelu4DSlow on one value and its slope, before the clamp. */
export function preluElem(p: PReluParams, x: number, slope: number): number {
  const d = x - p.zx;
  return (d >= 0 ? multiplyByQuantizedMultiplier(d, p.m1) : multiplyByQuantizedMultiplier(d * (slope - p.za), p.m2)) + p.zy;
}

/** TFLite's rounded integer average: (acc ± count / 2) / count, truncating (ties away from zero). */
export function roundedDiv(acc: number, count: number): number {
  const h = Math.floor(count / 2);
  return Math.trunc(acc > 0 ? (acc + h) / count : (acc - h) / count);
}

/** Saturate to a dtype's range. */
export function saturate(v: number, dtype: DType): number {
  const [lo, hi] = qRange(dtype);
  return clampInt(v, lo, hi);
}

/** reference_integer_ops::Mean for one output: the centred sum requantized by sx / sy, rounded-divided by the count. */
export function meanElem(p: RequantParams, centredSum: number, count: number): number {
  return roundedDiv(multiplyByQuantizedMultiplier(centredSum, p.m), count) + p.zy;
}
