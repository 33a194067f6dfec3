/** GELU spelled out with Erf, x * 0.5 * (1 + erf(x / sqrt 2)) in the orders PyTorch and HF exports write it, becomes one Gelu op. */
import type { Graph, Node } from '../ir/types.js';
import { constValue } from '../ir/graph.js';
import { rewritePass, type Pattern, type RewriteRule } from './patterns.js';

const near = (g: Graph, name: string | undefined, want: number) => {
  const v = name ? constValue(g, name) : undefined;
  return !!v && v.data.length === 1 && Math.abs(v.data[0] - want) <= 1e-4 * Math.abs(want);
};
const constOf = (g: Graph, n: Node) => n.inputs.find((i) => constValue(g, i));
const otherOf = (n: Node, t: string) => n.inputs.find((i) => i !== t)!;

/** 1 + erf(x / sqrt 2), with x / sqrt 2 as Div or as Mul by 1/sqrt 2. */
const ONE_PLUS_ERF: Pattern = {
  op: 'Add', as: 'one', commutative: true,
  inputs: [{ op: 'Erf', as: 'erf', inputs: [{ op: ['Div', 'Mul'], as: 'scale', inputs: ['any', 'const'] }] }, 'const'],
};

/** Check the constants of the erf term and return x (the scaled input), or undefined. */
function erfInput(g: Graph, nodes: Record<string, Node>): string | undefined {
  const { one, scale } = nodes;
  const x = scale.inputs[0];
  const okScale = scale.op === 'Div' ? near(g, scale.inputs[1], Math.SQRT2) : near(g, scale.inputs[1], Math.SQRT1_2);
  return okScale && near(g, constOf(g, one), 1) && !constValue(g, x) ? x : undefined;
}

/** Replace root by Gelu(x), dropping the captured nodes. */
function toGelu(g: Graph, root: Node, x: string, nodes: Record<string, Node>): boolean {
  const drop = new Set(Object.values(nodes).filter((n) => n !== root));
  g.nodes = g.nodes.filter((n) => !drop.has(n));
  for (const n of drop) for (const o of n.outputs) g.tensors.delete(o);
  Object.assign(root, { op: 'Gelu', inputs: [x], attrs: {} });
  return true;
}

/** One GELU spelling: its pattern and how to find x and the 0.5 constant among the captured nodes. */
function geluRule(name: string, pattern: Pattern, parts: (g: Graph, m: Record<string, Node>, root: Node) => { x?: string; half?: string }): RewriteRule {
  return {
    name,
    pattern,
    rewrite(m, g) {
      const x = erfInput(g, m.nodes);
      const p = parts(g, m.nodes, m.root);
      if (!x || p.x !== x || !near(g, p.half, 0.5)) return false;
      return toGelu(g, m.root, x, m.nodes);
    },
  };
}

export const fuseGelu = rewritePass('fuse-gelu', 'recognise GELU written with Erf (x * 0.5 * (1 + erf(x / sqrt 2)) in any association)', [
  // (x * (1 + erf)) * 0.5
  geluRule('gelu-erf-half-outside', { op: 'Mul', commutative: true, inputs: [{ op: 'Mul', as: 'xe', commutative: true, inputs: ['any', ONE_PLUS_ERF] }, 'const'] },
    (g, n, root) => ({ x: otherOf(n.xe, n.one.outputs[0]), half: constOf(g, root) })),
  // (x * 0.5) * (1 + erf)
  geluRule('gelu-erf-half-x', { op: 'Mul', commutative: true, inputs: [{ op: 'Mul', as: 'xh', commutative: true, inputs: ['any', 'const'] }, ONE_PLUS_ERF] },
    (g, n) => ({ x: n.xh.inputs.find((i) => !constValue(g, i)), half: constOf(g, n.xh) })),
  // x * ((1 + erf) * 0.5)
  geluRule('gelu-erf-half-erf', { op: 'Mul', commutative: true, inputs: ['any', { op: 'Mul', as: 'eh', commutative: true, inputs: [ONE_PLUS_ERF, 'const'] }] },
    (g, n, root) => ({ x: otherOf(root, n.eh.outputs[0]), half: constOf(g, n.eh) })),
]);
