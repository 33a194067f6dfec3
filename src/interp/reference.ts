/** The reference interpreter: runs a graph with each op's float reference kernel (ground truth for --verify). */
import type { Graph, Node, Value } from '../ir/types.js';
import { getOp } from '../ops/registry.js';
import { constValue } from '../ir/graph.js';
import { EdgecError } from '../util/errors.js';
import { isIntegerNode, type QValue } from '../ir/quant.js';

/** Per-tensor observer, called with every value the interpreter produces (calibration, layer diffs). */
export type ValueObserver = (tensor: string, v: Value) => void;

/** Run the graph on named input values; returns the graph outputs by name. */
export function runReference(g: Graph, feeds: Record<string, Value>, observe?: ValueObserver): Record<string, Value> {
  const env = new Map<string, Value>();
  for (const name of g.inputs) {
    const v = feeds[name];
    if (!v) throw new EdgecError(`missing input '${name}'`);
    env.set(name, v);
  }
  // Free values after their last use to bound memory on big models.
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((t) => t && lastUse.set(t, i)));
  for (const o of g.outputs) lastUse.set(o, Infinity);
  g.nodes.forEach((n, i) => {
    const ins = n.inputs.map((t) => (t ? (env.get(t) ?? constValue(g, t)) : undefined));
    ins.forEach((v, k) => {
      if (n.inputs[k] && !v) throw new Error(`internal: value of '${n.inputs[k]}' missing at node '${n.name}'`);
    });
    const outs = evalNode(g, n, ins);
    n.outputs.forEach((o, k) => {
      if (!o) return;
      env.set(o, outs[k]);
      observe?.(o, outs[k]);
    });
    for (const t of n.inputs) if (t && lastUse.get(t) === i && !g.inputs.includes(t)) env.delete(t);
  });
  const result: Record<string, Value> = {};
  for (const o of g.outputs) {
    const v = env.get(o) ?? constValue(g, o);
    if (!v) throw new Error(`internal: output '${o}' was not computed`);
    result[o] = v;
  }
  return result;
}

/** Run one node: its integer reference when it touches quantized tensors, else its float reference. */
export function evalNode(g: Graph, n: Node, ins: (Value | undefined)[]): Value[] {
  const def = getOp(n.op);
  if (!isIntegerNode(g, n)) return def.reference(n, ins);
  if (!def.intReference) throw new EdgecError(`node '${n.name}' (${n.op}) has quantized tensors but ${n.op} has no integer reference`);
  const qins = ins.map((v, k): QValue | undefined => (v ? { ...v, quant: g.tensors.get(n.inputs[k])!.quant } : undefined));
  const qouts = n.outputs.map((o) => {
    const t = g.tensors.get(o);
    return { dtype: t?.dtype ?? 'float32', shape: t?.shape ?? [], quant: t?.quant };
  });
  return def.intReference(n, qins, qouts);
}
