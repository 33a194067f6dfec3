/** Before int8 quantization: move fused activations other than Relu/Clip back into their own nodes (table ops). */
import type { Attr, Graph, Node } from '../ir/types.js';
import { fusedActivation } from '../ops/activation.js';
import { freshName } from '../ir/graph.js';
import type { Pass } from './pass.js';

/** Attributes of a standalone activation node from a fused one. */
const STANDALONE_ATTRS: Record<string, (alpha: number, beta: number) => Record<string, Attr>> = {
  HardSwish: () => ({}),
  Sigmoid: () => ({}),
  HardSigmoid: (alpha, beta) => ({ alpha: { type: 'float', value: alpha }, beta: { type: 'float', value: beta } }),
  LeakyRelu: (alpha) => ({ alpha: { type: 'float', value: alpha } }),
};

/** SiLU x * sigmoid(alpha x) as standalone nodes: [Mul by alpha,] Sigmoid, Mul. */
function siluNodes(g: Graph, n: Node, pre: string, y: string, alpha: number): Node[] {
  const t = g.tensors.get(y)!;
  const tmp = (stem: string) => {
    const name = freshName(g, `${y}_${stem}`);
    g.tensors.set(name, { name, dtype: t.dtype, shape: [...t.shape] });
    return name;
  };
  const nodes: Node[] = [];
  let arg = pre;
  if (alpha !== 1) {
    const a = freshName(g, `${y}_silu_alpha`);
    g.tensors.set(a, { name: a, dtype: 'float32', shape: [], data: Float32Array.of(alpha) });
    arg = tmp('scaled');
    nodes.push({ name: `${n.name}_SiLU_scale`, op: 'Mul', inputs: [pre, a], outputs: [arg], attrs: {} });
  }
  const sig = tmp('sigmoid');
  nodes.push({ name: `${n.name}_SiLU_sigmoid`, op: 'Sigmoid', inputs: [arg], outputs: [sig], attrs: {} });
  nodes.push({ name: `${n.name}_SiLU`, op: 'Mul', inputs: [pre, sig], outputs: [y], attrs: {} });
  return nodes;
}

export const splitActivations: Pass = {
  name: 'split-activations',
  summary: 'unfuse activations an int8 requantization cannot clamp (HardSwish, Sigmoid, ...) so they become tables',
  run(g: Graph) {
    const out: Node[] = [];
    for (const n of g.nodes) {
      out.push(n);
      const act = fusedActivation(n);
      if (!act || act.op === 'Relu' || act.op === 'Clip') continue;
      const y = n.outputs[0];
      const pre = freshName(g, `${y}_preact`);
      const t = g.tensors.get(y)!;
      g.tensors.set(pre, { name: pre, dtype: t.dtype, shape: [...t.shape] });
      n.outputs[0] = pre;
      delete n.attrs.act;
      delete n.attrs.act_alpha;
      delete n.attrs.act_beta;
      if (act.op === 'SiLU') out.push(...siluNodes(g, n, pre, y, act.alpha));
      else out.push({ name: `${n.name}_${act.op}`, op: act.op, inputs: [pre], outputs: [y], attrs: STANDALONE_ATTRS[act.op](act.alpha, act.beta) });
    }
    g.nodes = out;
  },
};
