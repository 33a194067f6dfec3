/** Integer (TFLite int8) Gemm and MatMul: operand checks shared with the C lowering, and the integer references. */
import type { Node, QuantParams, Value } from '../ir/types.js';
import type { QTensorInfo, QValue } from '../ir/quant.js';
import { attrFloat, attrInt } from '../ir/attrs.js';
import { activationQuant, asFloat64, biasCheck, centered, requantize, requantOf, weightQuant, withoutActivation, type QOperand, type QRequant } from '../quant/qlinear.js';
import { nodeError } from './util.js';
import { wrapInt32 } from '../quant/fixed-point.js';

/** Quantization of an integer Gemm/MatMul: both operands' parameters plus the requantization. */
export interface QMatParams {
  a: QuantParams;
  b: QuantParams;
  /** The requantization to int8, or undefined when the output is the raw int32 accumulator. */
  r?: QRequant;
}

/**
 * Whether an integer MatMul writes its int32 accumulators (scale s_a * s_b per column, zero point 0: a classifier head
 * whose float consumers dequantize them) instead of requantized int8; checks those parameters.
 */
export function isAccumulatorOutput(node: Node, a: QuantParams, b: QuantParams, y: QOperand): boolean {
  if (y?.dtype !== 'int32') return false;
  const q = y.quant;
  const n = b.scale.length;
  const ok = !!q && q.scale.length === n && q.zeroPoint.every((z) => z === 0) && Array.from(q.scale).every((s, j) => s === Math.fround(a.scale[0] * b.scale[j]));
  if (!ok) nodeError(node, 'an int32 output must have scale s_a * s_b (per column of B) and zero point 0');
  return true;
}

/** Check an integer MatMul (A per tensor; B per tensor or per column along its last axis) and resolve its parameters. */
export function qmatmulParams(node: Node, [a, b]: QOperand[], y: QOperand): QMatParams {
  const aq = activationQuant(node, a, 'input A');
  if (!b) return activationQuant(node, b, 'input B') as never;
  const axis = b.shape.length - 1;
  const bq = weightQuant(node, b, 'input B', axis, b.shape.length === 1 ? 1 : b.shape[axis]);
  return { a: aq, b: bq, r: isAccumulatorOutput(node, aq, bq, y) ? undefined : requantOf(node, aq, bq, y) };
}

/** Check an integer Gemm (alpha = beta = 1; B per tensor or per output column; int32 C) and resolve its parameters. */
export function qgemmParams(node: Node, [a, b, c]: QOperand[], y: QOperand): QMatParams & { r: QRequant } {
  const aq = activationQuant(node, a, 'input A');
  if (!b) return activationQuant(node, b, 'input B') as never;
  const transB = attrInt(node, 'transB', 0) !== 0;
  const bq = weightQuant(node, b, 'input B', transB ? 0 : 1, transB ? b.shape[0] : b.shape[1]);
  biasCheck(node, c, 'input C');
  if (attrFloat(node, 'alpha', 1) !== 1) nodeError(node, 'alpha must be 1 for the integer Gemm; fold it into the scales');
  if (c && attrFloat(node, 'beta', 1) !== 1) nodeError(node, 'beta must be 1 for the integer Gemm; fold it into the bias');
  return { a: aq, b: bq, r: requantOf(node, aq, bq, y) };
}

type FloatRef = (node: Node, inputs: (Value | undefined)[]) => Value[];

/** Integer reference of MatMul: sum (a - z_a)(b - z_b) exactly (batched, broadcast), requantized per output column. */
export function matmulIntReference(floatRef: FloatRef, node: Node, inputs: (QValue | undefined)[], outputs: QTensorInfo[]): Value[] {
  const [a, b] = inputs as QValue[];
  const p = qmatmulParams(node, inputs, outputs[0]);
  const acc = floatRef(withoutActivation(node), [centered(a, p.a), centered(b, p.b)])[0];
  if (!p.r) return [{ dtype: 'int32', shape: [...acc.shape], data: Int32Array.from(acc.data, wrapInt32) }];
  return [requantize(acc, outputs[0], p.r, acc.shape.length - 1)];
}

/** Integer reference of Gemm: C + sum (a - z_a)(b - z_b) exactly (transA/transB, broadcast C), requantized per column. */
export function gemmIntReference(floatRef: FloatRef, node: Node, inputs: (QValue | undefined)[], outputs: QTensorInfo[]): Value[] {
  const [a, b, c] = inputs as QValue[];
  const p = qgemmParams(node, inputs, outputs[0]);
  const acc = floatRef(withoutActivation(node), [centered(a, p.a), centered(b, p.b), asFloat64(c)])[0];
  return [requantize(acc, outputs[0], p.r, 1)];
}
