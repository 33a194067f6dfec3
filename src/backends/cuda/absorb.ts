/** Epilogue absorption: consumers a producer kernel applies in its store (pattern table), so their inputs never
 * round-trip through global memory. Rules run in order along a single-consumer chain. */
import type { Graph, Node } from '../../ir/types.js';
import { numel } from '../../ir/dtype.js';

/** One absorbed step: a scalar multiply, a scalar add, or a residual add of an earlier tensor. */
export type AbsorbStep = { kind: 'mul'; value: number } | { kind: 'add'; value: number } | { kind: 'residual'; tensor: string };

/** The chain a producer absorbs: its steps, the skipped nodes and the tensor the producer now writes. */
export interface Absorption {
  steps: AbsorbStep[];
  nodes: Node[];
  output: string;
}

interface Rule {
  /** The step this consumer becomes, or undefined when it does not match. */
  match(g: Graph, consumer: Node, from: string, order: Map<string, number>, at: number): AbsorbStep | undefined;
  /** Steps that may precede this one (the epilogue applies mul, then add, then residual). */
  after: AbsorbStep['kind'][];
}

function scalarConst(g: Graph, name: string): number | undefined {
  const t = g.tensors.get(name);
  return t?.data && t.dtype === 'float32' && numel(t.shape) === 1 ? t.data[0] : undefined;
}

function other(n: Node, from: string): string | undefined {
  if (n.inputs.length !== 2 || n.inputs[0] === n.inputs[1]) return undefined;
  return n.inputs[0] === from ? n.inputs[1] : n.inputs[1] === from ? n.inputs[0] : undefined;
}

const RULES: Rule[] = [
  {
    after: [],
    match(g, n, from) {
      const o = other(n, from);
      const v = n.op === 'Mul' && o !== undefined ? scalarConst(g, o) : undefined;
      return v === undefined ? undefined : { kind: 'mul', value: v };
    },
  },
  {
    after: ['mul'],
    match(g, n, from) {
      const o = other(n, from);
      const v = n.op === 'Add' && o !== undefined ? scalarConst(g, o) : undefined;
      return v === undefined ? undefined : { kind: 'add', value: v };
    },
  },
  {
    after: ['mul', 'add'],
    match(g, n, from, order, at) {
      const o = other(n, from);
      if (n.op !== 'Add' || o === undefined) return undefined;
      const t = g.tensors.get(o);
      const f = g.tensors.get(from)!;
      const ready = g.inputs.includes(o) || (order.get(o) ?? Infinity) < at;
      const same = t && !t.data && t.dtype === 'float32' && t.shape.join('x') === f.shape.join('x') && g.tensors.get(n.outputs[0])!.shape.join('x') === f.shape.join('x');
      return same && ready ? { kind: 'residual', tensor: o } : undefined;
    },
  },
];

/** For every node index whose lowering takes an epilogue, the consumers it absorbs. */
export function planAbsorption(g: Graph, takesEpilogue: (n: Node) => boolean): Map<number, Absorption> {
  const consumers = new Map<string, Node[]>();
  const producedAt = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    for (const x of n.inputs) if (x) consumers.set(x, [...(consumers.get(x) ?? []), n]);
    for (const o of n.outputs) producedAt.set(o, i);
  });
  const plans = new Map<number, Absorption>();
  const taken = new Set<Node>();
  g.nodes.forEach((n, i) => {
    if (taken.has(n) || !takesEpilogue(n) || g.tensors.get(n.outputs[0])?.dtype !== 'float32') return;
    const steps: AbsorbStep[] = [];
    const nodes: Node[] = [];
    let cur = n.outputs[0];
    for (;;) {
      const cs = consumers.get(cur) ?? [];
      if (cs.length !== 1 || g.outputs.includes(cur)) break;
      const c = cs[0];
      const done = new Set(steps.map((s) => s.kind));
      const step = RULES.map((r) => ([...done].every((k) => r.after.includes(k)) ? r.match(g, c, cur, producedAt, i) : undefined)).find((s) => s);
      if (!step || (step.kind !== 'residual' && done.has(step.kind)) || done.has('residual')) break;
      steps.push(step);
      nodes.push(c);
      cur = c.outputs[0];
    }
    if (!nodes.length) return;
    for (const c of nodes) taken.add(c);
    plans.set(i, { steps, nodes, output: cur });
  });
  return plans;
}
