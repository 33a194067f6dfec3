/** Graph queries and edits shared by passes and backends. */
import type { Graph, Node, Tensor, Value } from './types.js';

/** Map from tensor name to the node producing it. */
export function producers(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/** Map from tensor name to the nodes reading it. */
export function consumers(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes)
    for (const i of n.inputs) {
      if (!i) continue;
      let l = m.get(i);
      if (!l) m.set(i, (l = []));
      if (!l.includes(n)) l.push(n);
    }
  return m;
}

/** The constant value of a tensor, if it has data. */
export function constValue(g: Graph, name: string): Value | undefined {
  if (!name) return undefined;
  const t = g.tensors.get(name);
  return t?.data ? { dtype: t.dtype, shape: t.shape, data: t.data } : undefined;
}

/** A tensor by name, throwing if the graph lacks it. */
export function tensorOf(g: Graph, name: string): Tensor {
  const t = g.tensors.get(name);
  if (!t) throw new Error(`internal: tensor '${name}' is not in graph '${g.name}'`);
  return t;
}

/** Replace every read of tensor `from` by `to` (graph outputs included). */
export function replaceUses(g: Graph, from: string, to: string): void {
  for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === from ? to : i));
  g.outputs = g.outputs.map((o) => (o === from ? to : o));
}

/** A fresh tensor or node name with the given stem, unique in the graph. */
export function freshName(g: Graph, stem: string): string {
  if (!g.tensors.has(stem) && !g.nodes.some((n) => n.name === stem)) return stem;
  for (let i = 1; ; i++) {
    const cand = `${stem}_${i}`;
    if (!g.tensors.has(cand) && !g.nodes.some((n) => n.name === cand)) return cand;
  }
}

/** Reorder nodes topologically (stable); throws on a cycle. */
export function topoSort(g: Graph): void {
  const ready = new Set<string>(g.inputs);
  for (const [name, t] of g.tensors) if (t.data) ready.add(name);
  const out: Node[] = [];
  let pending = g.nodes;
  while (pending.length) {
    const next: Node[] = [];
    for (const n of pending) {
      if (n.inputs.every((i) => !i || ready.has(i))) {
        out.push(n);
        for (const o of n.outputs) if (o) ready.add(o);
      } else next.push(n);
    }
    if (next.length === pending.length) {
      const n = next[0];
      const missing = n.inputs.filter((i) => i && !ready.has(i));
      throw new Error(`graph has a cycle or an undefined input: node '${n.name}' (${n.op}) waits for ${missing.join(', ')}`);
    }
    pending = next;
  }
  g.nodes = out;
}

/** Deep-enough copy of a graph for passes that must not touch the original (constant data is shared). */
export function cloneGraph(g: Graph): Graph {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of g.tensors) tensors.set(k, { ...t, shape: [...t.shape] });
  return {
    ...g,
    tensors,
    nodes: g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: { ...n.attrs } })),
    inputs: [...g.inputs],
    outputs: [...g.outputs],
  };
}
