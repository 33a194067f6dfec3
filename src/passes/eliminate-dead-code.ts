/** Dead-code elimination: drop nodes and tensors nothing reaches from the graph outputs. */
import type { Graph } from '../ir/types.js';
import type { Pass } from './pass.js';

export const eliminateDeadCode: Pass = {
  name: 'eliminate-dead-code',
  summary: 'remove nodes and tensors that do not reach a graph output',
  run(g: Graph) {
    const live = new Set<string>(g.outputs);
    const keep = [];
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const n = g.nodes[i];
      if (n.outputs.some((o) => o && live.has(o))) {
        keep.push(n);
        for (const x of n.inputs) if (x) live.add(x);
        for (const o of n.outputs) if (o) live.add(o);
      }
    }
    g.nodes = keep.reverse();
    for (const i of g.inputs) live.add(i);
    for (const name of [...g.tensors.keys()]) if (!live.has(name)) g.tensors.delete(name);
  },
};
