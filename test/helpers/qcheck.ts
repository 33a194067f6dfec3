/** Single-node int8 test graphs, random feeds, and the check that an integer op means what its float op means. */
import type { ExecutionContext } from 'ava';
import type { Attr, DType, Graph, QuantParams, Value } from '../../src/ir/types.js';
import { getOp } from '../../src/ops/registry.js';
import { applyFusedActivation } from '../../src/ops/activation.js';
import { dequantizeData, qRange } from '../../src/quant/params.js';
import { qgraph, randInts, type TensorSpec } from './qgraph.js';

/** An int8 tensor spec with per-tensor parameters (data makes it a constant). */
export function q8(shape: number[], scale: number, zeroPoint: number, data?: Int8Array): TensorSpec {
  return { dtype: 'int8', shape, quant: { scale: Float32Array.of(scale), zeroPoint: Int32Array.of(zeroPoint) }, data };
}

/** One node `op` over graph inputs (and constants) into output 'y' quantized with `yq`. */
export function qnode(op: string, ins: Record<string, TensorSpec>, yq: QuantParams, attrs: Record<string, Attr> = {}, outputs = ['y']): Graph {
  const inputs = Object.fromEntries(Object.entries(ins).filter(([, t]) => !t.data));
  const consts = Object.fromEntries(Object.entries(ins).filter(([, t]) => t.data));
  return qgraph({
    inputs,
    consts,
    quant: Object.fromEntries(outputs.map((o) => [o, yq])),
    nodes: [{ op, inputs: Object.keys(ins), outputs, attrs }],
    outputs,
  });
}

/** Random codes over the whole range of each graph input's dtype (deterministic per seed). */
export function randomFeeds(g: Graph, seed = 1): Record<string, Value> {
  return Object.fromEntries(
    g.inputs.map((name, k) => {
      const t = g.tensors.get(name)!;
      const [lo, hi] = qRange(t.dtype);
      const n = t.shape.reduce((a, b) => a * b, 1);
      return [name, { dtype: t.dtype, shape: [...t.shape], data: randInts(t.dtype, n, lo, hi, seed * 31 + k) }];
    }),
  );
}

/** Float attribute helper. */
export function f(value: number): Attr {
  return { type: 'float', value };
}

/** Int attribute helper. */
export function i(value: number): Attr {
  return { type: 'int', value };
}

/** Ints attribute helper. */
export function is(value: number[]): Attr {
  return { type: 'ints', value };
}

/** String attribute helper. */
export function s(value: string): Attr {
  return { type: 'string', value };
}

/** Dequantized value of a quantized tensor. */
function dequant(v: Value, q: QuantParams): Value {
  return { dtype: 'float32', shape: v.shape, data: dequantizeData(v.data, v.shape, q) };
}

/**
 * The single node's float reference on the dequantized inputs (with its fused activation), compared with the
 * dequantized integer output: every element within `steps` output steps once the float result is saturated to the
 * output's representable range. Returns the largest error in steps.
 */
export function assertNearFloat(t: ExecutionContext, g: Graph, feeds: Record<string, Value>, out: Record<string, Value>, steps = 1): number {
  const node = g.nodes[0];
  const ins = node.inputs.map((name) => {
    const tensor = g.tensors.get(name)!;
    const v: Value = feeds[name] ?? { dtype: tensor.dtype, shape: tensor.shape, data: tensor.data! };
    return tensor.quant ? dequant(v, tensor.quant) : v;
  });
  const floats = getOp(node.op).reference(node, ins);
  let worst = 0;
  node.outputs.forEach((name, k) => {
    const yt = g.tensors.get(name)!;
    const yq = yt.quant!;
    applyFusedActivation(node, floats[k]);
    const [qmin, qmax] = qRange(yt.dtype as DType);
    const [s0, z0] = [yq.scale[0], yq.zeroPoint[0]];
    const got = dequantizeData(out[name].data, out[name].shape, yq);
    let bad = -1;
    for (let j = 0; j < got.length; j++) {
      const want = Math.min(Math.max(floats[k].data[j], Math.fround((qmin - z0) * s0)), Math.fround((qmax - z0) * s0));
      // Float32 rounding of the dequantized values is not an error.
      const err = Math.max(0, Math.abs(got[j] - want) / s0 - 1e-4);
      if (err > worst) worst = err;
      if (err > steps && bad < 0) bad = j;
    }
    t.true(bad < 0, `${name}: element ${bad} is ${got[bad]}, float reference ${floats[k].data[bad]} (more than ${steps} steps of ${s0})`);
  });
  return worst;
}
