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
      out.push({ name: `${n.name}_${act.op}`, op: act.op, inputs: [pre], outputs: [y], attrs: STANDALONE_ATTRS[act.op](act.alpha, act.beta) });
    }
    g.nodes = out;
  },
};
