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

/** The chain's float value at each of `xs` (the float references applied in turn). */
function chainAt(steps: TableStep[], xs: Float32Array): Float32Array {
  let v: Value = { dtype: 'float32', shape: [xs.length], data: xs };
  for (const s of steps) [v] = getOp(s.node.op).reference(s.node, s.inputs.map((i) => (i === 'x' ? v : i)));
  return Float32Array.from(v.data);
}

/**
 * 513-entry int16 table of a unary chain for int16 input params `xq` and output params `yq` (both zero point 0):
 * TFLite's LUTPopulateInt16 (lut.h) in double: entry i samples the chain at the start of segment i of 512 over the input
 * range, less half the error linear interpolation makes at the segment's midpoint.
 */
export function int16ChainTable(steps: TableStep[], xq: QuantParams, yq: QuantParams): Int16Array {
  const [sx, zx, sy, zy] = [xq.scale[0], xq.zeroPoint[0], yq.scale[0], yq.zeroPoint[0]];
  const inMin = sx * (-32768 - zx);
  const inMax = sx * (32767 - zx);
  const outRange = sy * (32767 - zy) - sy * (-32768 - zy);
  const segments = 512;
  const step = (inMax - inMin) / segments;
  const inv = 65536 / outRange;
  const at = (offset: number) => chainAt(steps, Float32Array.from({ length: segments + 1 }, (_, i) => inMin + i * step + offset));
  const [val, mid] = [at(0), at(step / 2)];
  const last = chainAt(steps, Float32Array.of(inMax))[0];
  const round = (v: number) => Math.sign(v) * Math.round(Math.abs(v));
  const clamp = (v: number) => Math.min(Math.max(v, -32768), 32767);
  const lut = new Int16Array(segments + 1);
  for (let i = 0; i < segments; i++) {
    const sample = round(val[i] * inv);
    const interp = round((val[i + 1] * inv + sample) / 2);
    const bias = round((interp - round(mid[i] * inv)) / 2);
    lut[i] = clamp(sample - bias);
  }
  lut[segments] = clamp(round(last * inv));
  return lut;
}
