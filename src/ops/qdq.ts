/** ONNX's QuantizeLinear/DequantizeLinear as imported (scale and zero point as inputs); lower-qdq turns them into Quantize/Dequantize. */
import type { DType, Node, QuantParams, Value } from '../ir/types.js';
import { attrInt } from '../ir/attrs.js';
import type { OpDef } from './registry.js';
import { nodeError, requireInput } from './util.js';
import { dequantizeData, quantizeData } from '../quant/params.js';

/** Scale/zero point inputs as QuantParams (per tensor, or per axis when the scale is 1-D with more than one entry). */
export function qdqParams(node: Node, scale: Value | undefined, zp: Value | undefined, rank: number): QuantParams {
  if (!scale) nodeError(node, 'scale must be a constant for static compilation');
  const n = scale.data.length;
  const axis = attrInt(node, 'axis', 1);
  const q: QuantParams = {
    scale: Float32Array.from(scale.data),
    zeroPoint: zp ? Int32Array.from(zp.data as ArrayLike<number>) : new Int32Array(n),
  };
  if (n > 1) q.axis = axis < 0 ? axis + rank : axis;
  if (q.zeroPoint.length !== n) nodeError(node, `scale has ${n} entries but zero point has ${q.zeroPoint.length}`);
  return q;
}

/** Element type of a QuantizeLinear output: the zero point's type (uint8 when absent). */
export function qdqType(zp: { dtype: DType } | undefined): DType {
  return zp?.dtype ?? 'uint8';
}

const quantizeLinear: OpDef = {
  op: 'QuantizeLinear',
  summary: 'saturate(round(x / scale) + zero_point), per tensor or per axis (lowered to Quantize at compile time)',
  infer({ node, inputs }) {
    const x = requireInput(node, inputs, 0);
    return [{ dtype: qdqType(inputs[2]), shape: [...x.shape] }];
  },
  reference(node, [x, s, z]) {
    const v = x as Value;
    const to = qdqType(z);
    return [{ dtype: to, shape: [...v.shape], data: quantizeData(v.data, v.shape, qdqParams(node, s, z, v.shape.length), to) }];
  },
};

const dequantizeLinear: OpDef = {
  op: 'DequantizeLinear',
  summary: '(x - zero_point) * scale, per tensor or per axis (lowered to Dequantize at compile time)',
  infer({ node, inputs }) {
    const x = requireInput(node, inputs, 0);
    return [{ dtype: 'float32', shape: [...x.shape] }];
  },
  reference(node, [x, s, z]) {
    const v = x as Value;
    return [{ dtype: 'float32', shape: [...v.shape], data: dequantizeData(v.data, v.shape, qdqParams(node, s, z, v.shape.length)) }];
  },
};

/** Registry entries of the ONNX-form quantization ops. */
export const qdqOps: OpDef[] = [quantizeLinear, dequantizeLinear];
