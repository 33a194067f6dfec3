/** Integer (TFLite int8) Conv and ConvTranspose: operand checks shared with the C lowering, and the integer references (16x8 in conv-int16.ts). */
import type { Node, QuantParams, Value } from '../ir/types.js';
import type { QTensorInfo, QValue } from '../ir/quant.js';
import { conv16IntReference } from './conv-int16.js';
import { activationQuant, asFloat64, biasCheck, centered, requantize, requantOf, weightQuant, withoutActivation, type QOperand, type QRequant } from '../quant/qlinear.js';

/** Quantization of an integer Conv/ConvTranspose: input, weight and output parameters plus the requantization. */
export interface QConvParams {
  x: QuantParams;
  w: QuantParams;
  r: QRequant;
}

/**
 * Check an integer Conv (`transpose` false: W [M, C/g, k...], channels on axis 0) or ConvTranspose (W [C, M/g, k...],
 * channels on axis 1) and resolve its parameters.
 */
export function qconvParams(node: Node, transpose: boolean, [x, w, b]: QOperand[], y: QOperand): QConvParams {
  const xq = activationQuant(node, x, 'input X');
  if (!w) return activationQuant(node, w, 'weight W') as never;
  const axis = transpose ? 1 : 0;
  const wq = weightQuant(node, w, 'weight W', axis, w.shape[axis]);
  biasCheck(node, b, 'bias B');
  return { x: xq, w: wq, r: requantOf(node, xq, wq, y) };
}

type FloatRef = (node: Node, inputs: (Value | undefined)[]) => Value[];

/**
 * Integer reference of Conv/ConvTranspose: acc = bias + sum (x - z_x)(w - z_w) accumulated exactly by the float
 * reference on float64 integers (padding adds nothing), then requantized per output channel.
 */
export function convIntReference(transpose: boolean, floatRef: FloatRef, node: Node, inputs: (QValue | undefined)[], outputs: QTensorInfo[]): Value[] {
  if (inputs[0]?.dtype === 'int16') return conv16IntReference(transpose, floatRef, node, inputs, outputs);
  const [x, w, b] = inputs;
  const p = qconvParams(node, transpose, inputs, outputs[0]);
  const acc = floatRef(withoutActivation(node), [centered(x as QValue, p.x), centered(w as QValue, p.w), asFloat64(b)])[0];
  return [requantize(acc, outputs[0], p.r, 1)];
}
