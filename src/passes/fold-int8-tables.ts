/** Chains of int8 → int8 elementwise ops of one varying input become one LookupTable (exact: 256 codes through the chain). */
import type { Graph, Node } from '../ir/types.js';
import { consumers, freshName, producers } from '../ir/graph.js';
import { getOp } from '../ops/registry.js';
import type { QValue } from '../ir/quant.js';
import type { Pass } from './pass.js';

/** Elementwise ops whose integer form maps each output code from the same-position input codes alone. */
const POINTWISE_INT_OPS: ReadonlySet<string> = new Set(['LookupTable', 'Add', 'Sub', 'Mul', 'PRelu', 'LeakyRelu', 'Relu', 'Clip', 'Requantize']);

/** The one int8 input of `n` that is not a scalar constant, when every other input is one (else undefined). */
function varyingInput(g: Graph, n: Node): number | undefined {
  let k: number | undefined;
  for (const [i, t] of n.inputs.entries()) {
    if (!t) continue;
    const v = g.tensors.get(t)!;
    if (v.data) {
      if (v.data.length !== 1) return undefined;
      continue;
    }
    if (k !== undefined) return undefined;
    k = i;
  }
  return k;
}

/** The int8 output codes of `n` for the int8 input codes `codes` in its varying input k, by its integer reference. */
function throughNode(g: Graph, n: Node, k: number, codes: Int8Array): Int8Array {
  const x = g.tensors.get(n.inputs[k])!;
  // The 256 codes run along the last axis, so scalar constants of any rank broadcast against them.
  const shape = [...x.shape.map(() => 1).slice(1), codes.length];
  const ins = n.inputs.map((t, i): QValue | undefined => {
    if (!t) return undefined;
    if (i === k) return { dtype: 'int8', shape, data: codes, quant: x.quant };
    const c = g.tensors.get(t)!;
    return { dtype: c.dtype, shape: c.shape, data: c.data!, quant: c.quant };
  });
  const y = g.tensors.get(n.outputs[0])!;
  const [out] = getOp(n.op).intReference!(n, ins, [{ dtype: y.dtype, shape, quant: y.quant }]);
  return Int8Array.from(out.data as ArrayLike<number>);
}

/** Whether `n` can become (or join) a table: int8 in, int8 out, one varying input, an integer reference. */
function tableable(g: Graph, n: Node): number | undefined {
  if (!POINTWISE_INT_OPS.has(n.op) || n.outputs.length !== 1 || !getOp(n.op).intReference) return undefined;
  const k = n.op === 'LookupTable' ? 0 : varyingInput(g, n);
  if (k === undefined) return undefined;
  const x = g.tensors.get(n.inputs[k])!;
  const y = g.tensors.get(n.outputs[0])!;
  if (x.dtype !== 'int8' || y.dtype !== 'int8' || !x.quant || !y.quant) return undefined;
  return k;
}

export const foldInt8Tables: Pass = {
  name: 'fold-int8-tables',
  summary: 'int8 elementwise ops of one varying input (by scalar constants, activation tables) and chains of them become one 256-entry LookupTable',
  run(g: Graph) {
    if (!g.nodes.some((n) => POINTWISE_INT_OPS.has(n.op) && g.tensors.get(n.outputs[0])?.dtype === 'int8')) return;
    const cons = consumers(g);
    const prod = producers(g);
    const removed = new Set<Node>();
    const identity = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    for (const n of g.nodes) {
      const k = tableable(g, n);
      if (k === undefined) continue;
      let src = n.inputs[k];
      let codes = identity;
      const from: string[] = [];
      // Absorb a table that feeds only this node.
      const p = prod.get(src);
      if (p && p.op === 'LookupTable' && !removed.has(p) && (cons.get(src) ?? []).length === 1 && !g.outputs.includes(src)) {
        codes = Int8Array.from(g.tensors.get(p.inputs[1])!.data as ArrayLike<number>);
        from.push(String(p.attrs.from?.value ?? 'LookupTable'));
        src = p.inputs[0];
        removed.add(p);
      }
      if (n.op === 'LookupTable' && codes === identity) continue; // already a lone table
      const table = throughNode(g, n, k, codes);
      const y = g.tensors.get(n.outputs[0])!;
      const name = freshName(g, `${n.name}_table`);
      g.tensors.set(name, { name, dtype: 'int8', shape: [256], data: table, quant: y.quant });
      from.push(n.op === 'LookupTable' ? String(n.attrs.from?.value ?? 'LookupTable') : n.op);
      Object.assign(n, { op: 'LookupTable', inputs: [src, name], attrs: { from: { type: 'string', value: from.join('+') } } });
      prod.set(n.outputs[0], n);
    }
    g.nodes = g.nodes.filter((n) => !removed.has(n));
  },
};
