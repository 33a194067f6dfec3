/**
 * TFLite's reference int8 softmax (reference_ops::Softmax, as TFLM runs it): gemmlowp fixed-point exp on Q5.26
 * differences, a Q12.19 sum, a Newton-Raphson reciprocal, output scale 1/256 with zero point -128.
 * runtime-c/kernels/qsoftmax.h is the same arithmetic in C.
 */
import type { Node, QuantParams } from '../ir/types.js';
import { nodeError } from '../ops/util.js';
import { quantizeMultiplier, roundingDivideByPOT, saturatingRoundingDoublingHighMul as srdhm } from './fixed-point.js';

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
/** Integer bits of the scaled input differences (Q5.26). */
const DIFF_INTEGER_BITS = 5;
/** Integer bits of the sum of exponentials (Q12.19). */
const ACCUM_INTEGER_BITS = 12;
/** gemmlowp's exp(-2^k) multipliers for k = -2..4 (the barrel shifter of exp_on_negative_values). */
export const EXP_BARREL = [1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242] as const;

/** The output quantization TFLite fixes for int8 softmax (a fresh copy each call). */
export function softmaxOutputQuant(): QuantParams {
  return { scale: Float32Array.of(1 / 256), zeroPoint: Int32Array.of(-128) };
}

/** gemmlowp SaturatingRoundingMultiplyByPOT<e> for e > 0: a left shift that saturates to the int32 range. */
export function shiftLeftSaturating(x: number, e: number): number {
  const threshold = 2 ** (31 - e) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * 2 ** e;
}

/** gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl (Q0.31 in and out). */
function expQuarter(a: number): number {
  const c = 1895147668;
  const x = a + (1 << 28);
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4q = roundingDivideByPOT(x4, 2);
  const t = roundingDivideByPOT(srdhm(x4q + x3, 715827883) + x2, 1);
  return c + srdhm(c, x + t);
}

/** gemmlowp exp_on_negative_values for a Q5.26 input a <= 0: exp(a) in Q0.31. */
export function expOnNegativeValues(a: number): number {
  const aq = (a & ((1 << 24) - 1)) - (1 << 24);
  let r = expQuarter(shiftLeftSaturating(aq, DIFF_INTEGER_BITS));
  const rem = aq - a;
  EXP_BARREL.forEach((m, k) => {
    if (rem & (1 << (24 + k))) r = srdhm(r, m);
  });
  return a === 0 ? INT32_MAX : r;
}

/** gemmlowp RoundingHalfSum for int32: (a + b) / 2 rounded away from zero. */
function roundingHalfSum(a: number, b: number): number {
  const s = a + b;
  return Math.trunc((s + (s >= 0 ? 1 : -1)) / 2);
}

/** gemmlowp one_over_one_plus_x_for_x_in_0_1 (Q0.31 in and out). */
export function oneOverOnePlusX(a: number): number {
  const h = roundingHalfSum(a, INT32_MAX);
  let x = 1515870810 + srdhm(h, -1010580540);
  for (let i = 0; i < 3; i++) {
    const om = (1 << 29) - srdhm(h, x);
    x = x + shiftLeftSaturating(srdhm(x, om), 2);
  }
  return shiftLeftSaturating(x, 1);
}

/** TFLite GetReciprocal of a Q12.19 sum: the Q0.31 scale and the number of bits the sum has above 1.0. */
export function getReciprocal(x: number): { scale: number; bitsOverUnit: number } {
  const h = Math.clz32(x);
  const shifted = (((x << h) >>> 0) - 2 ** 31) | 0;
  return { scale: oneOverOnePlusX(shifted), bitsOverUnit: ACCUM_INTEGER_BITS - h };
}

/** Softmax Prepare (TFLM CalculateSoftmaxParams): input multiplier, left shift and the smallest difference kept. */
export interface SoftmaxParams {
  multiplier: number;
  leftShift: number;
  diffMin: number;
}

/** PreprocessSoftmaxScaling and CalculateInputRadius for beta * input scale. */
export function softmaxParams(node: Node, x: QuantParams | undefined, beta = 1): SoftmaxParams {
  if (!x || x.scale.length !== 1) nodeError(node, 'input 0 needs per-tensor quantization parameters');
  const real = Math.min(beta * x.scale[0] * 2 ** (31 - DIFF_INTEGER_BITS), 2 ** 31 - 1);
  const q = quantizeMultiplier(real);
  if (q.shift < 0) nodeError(node, `input scale ${x.scale[0]} is too small for the int8 softmax (beta * scale < 2^-26)`);
  const radius = Math.floor(((2 ** DIFF_INTEGER_BITS - 1) * 2 ** (31 - DIFF_INTEGER_BITS)) / 2 ** q.shift);
  return { multiplier: q.multiplier, leftShift: q.shift, diffMin: -radius };
}

/** x / 2^e rounded; 0 for e >= 32 (where TFLite would refuse the row). */
function divPOT(x: number, e: number): number {
  return e >= 32 ? 0 : roundingDivideByPOT(x, e);
}

/** The int8 softmax of `n` values read at `at(k)`, written through `put(k, v)`. */
export function softmaxRow(p: SoftmaxParams, n: number, at: (k: number) => number, put: (k: number, v: number) => void): void {
  let max = -128;
  for (let k = 0; k < n; k++) max = Math.max(max, at(k));
  const exps = new Array<number>(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const d = at(k) - max;
    exps[k] = d >= p.diffMin ? expOnNegativeValues(srdhm(d * 2 ** p.leftShift, p.multiplier)) : -1;
    if (exps[k] >= 0) sum = (sum + roundingDivideByPOT(exps[k], ACCUM_INTEGER_BITS)) | 0; // Rescale<12> from Q0.31
  }
  const { scale, bitsOverUnit } = getReciprocal(sum);
  const e = bitsOverUnit + 31 - 8;
  for (let k = 0; k < n; k++) {
    if (exps[k] < 0) put(k, -128);
    else put(k, Math.max(-128, Math.min(127, divPOT(srdhm(scale, exps[k]), e) - 128)));
  }
}
