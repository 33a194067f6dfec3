/** 256-entry tables for int8 unary ops: the float reference evaluated at every input code, quantized to the output. */
import type { Node, QuantParams, Value } from '../ir/types.js';
import { getOp } from '../ops/registry.js';
import { dequantizeData, quantizeData } from './params.js';

/** Table of `node` (a unary float op, extra inputs constant) from input params `xq` to output params `yq`. */
export function int8Table(node: Node, xq: QuantParams, yq: QuantParams, extra: (Value | undefined)[] = []): Int8Array {
  const codes = Int8Array.from({ length: 256 }, (_, i) => i - 128);
  const xs = dequantizeData(codes, [256], xq);
  const [fy] = getOp(node.op).reference(node, [{ dtype: 'float32', shape: [256], data: xs }, ...extra]);
  return quantizeData(fy.data, [256], yq, 'int8') as Int8Array;
}

/** One step of a unary chain: a node whose `x` slot takes the running value, its other inputs constant. */
export interface TableStep {
  node: Node;
  inputs: (Value | undefined | 'x')[];
}

/** Table of a unary chain (an activation and the scalar affine ops after it): the float references applied in turn. */
export function int8ChainTable(steps: TableStep[], xq: QuantParams, yq: QuantParams): Int8Array {
  const codes = Int8Array.from({ length: 256 }, (_, i) => i - 128);
  let v: Value = { dtype: 'float32', shape: [256], data: dequantizeData(codes, [256], xq) };
  for (const s of steps) [v] = getOp(s.node.op).reference(s.node, s.inputs.map((i) => (i === 'x' ? v : i)));
  return quantizeData(v.data, [256], yq, 'int8') as Int8Array;
}
