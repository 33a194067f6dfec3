/** Build IR graphs with quantized tensors directly (no ONNX), and check C against the integer reference bit for bit. */
import '../../src/ops/index.js';
import type { ExecutionContext } from 'ava';
import type { DType, Graph, Node, QuantParams, Tensor, TensorData, Value } from '../../src/ir/types.js';
import { inferShapes } from '../../src/passes/infer-shapes.js';
import { runReference } from '../../src/interp/reference.js';
import { runC, type RunCOptions } from './c-run.js';

/** Per-tensor quantization parameters. */
export function qp(scale: number, zeroPoint = 0): QuantParams {
  return { scale: Float32Array.of(scale), zeroPoint: Int32Array.of(zeroPoint) };
}

/** Per-channel parameters along `axis`. */
export function qpc(scales: readonly number[], axis: number, zeroPoints?: readonly number[]): QuantParams {
  return { scale: Float32Array.from(scales), zeroPoint: Int32Array.from(zeroPoints ?? scales.map(() => 0)), axis };
}

/** A tensor spec: type, shape, optional constant data and quantization. */
export interface TensorSpec {
  dtype: DType;
  shape: number[];
  data?: TensorData;
  quant?: QuantParams;
}

/** Make a graph from tensor specs (inputs, constants, and any intermediate/output quantization) and nodes; shapes are inferred. */
export function qgraph(spec: {
  inputs: Record<string, TensorSpec>;
  consts?: Record<string, TensorSpec>;
  /** Quantization of node outputs (by tensor name) and their dtype where shape inference cannot know it. */
  quant?: Record<string, QuantParams>;
  nodes: (Omit<Node, 'attrs' | 'name'> & { name?: string; attrs?: Node['attrs'] })[];
  outputs: string[];
}): Graph {
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of Object.entries({ ...spec.inputs, ...(spec.consts ?? {}) })) tensors.set(name, { name, ...t });
  for (const [name, q] of Object.entries(spec.quant ?? {})) tensors.set(name, { name, dtype: 'int8', shape: [], quant: q });
  const g: Graph = {
    name: 'q',
    tensors,
    nodes: spec.nodes.map((n, i) => ({ name: n.name ?? `n${i}_${n.op}`, attrs: n.attrs ?? {}, op: n.op, inputs: n.inputs, outputs: n.outputs })),
    inputs: Object.keys(spec.inputs),
    outputs: spec.outputs,
    source: 'test',
  };
  inferShapes.run(g, { verifyIr: true } as never);
  return g;
}

/** Random integers in [lo, hi] of a dtype (deterministic). */
export function randInts(dtype: DType, n: number, lo: number, hi: number, seed = 1): TensorData {
  let s = seed >>> 0;
  const out = dtype === 'int8' ? new Int8Array(n) : dtype === 'uint8' ? new Uint8Array(n) : dtype === 'int16' ? new Int16Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + Math.floor((s / 4294967296) * (hi - lo + 1));
  }
  return out;
}

/** Run the graph through the integer reference and the compiled C; assert every output is identical. Returns the reference outputs. */
export async function assertBitExact(t: ExecutionContext, g: Graph, feeds: Record<string, Value>, opts: RunCOptions = {}): Promise<Record<string, Value>> {
  const ref = runReference(g, feeds);
  const c = await runC(g, feeds, opts);
  for (const o of g.outputs) {
    const a = ref[o].data;
    const b = c[o].data;
    t.is(b.length, a.length, `${o}: length`);
    let bad = 0;
    let first = -1;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && a[i] !== b[i]) { bad++; if (first < 0) first = i; }
    t.is(bad, 0, `${o}: ${bad} of ${a.length} elements differ (first at ${first}: reference ${a[first]}, C ${b[first]})`);
  }
  return ref;
}
