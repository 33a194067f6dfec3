/** View cleanup: Squeeze/Unsqueeze/Flatten become Reshape views, stacked Reshapes collapse, and a Reshape to its own shape vanishes. */
import type { Graph, Node } from '../ir/types.js';
import { freshName } from '../ir/graph.js';
import { bypassNode, rewritePass } from './patterns.js';

/** Turn node `n` into Reshape(x) to its (known, static) output shape. */
function toReshape(g: Graph, n: Node, x: string): boolean {
  const y = g.tensors.get(n.outputs[0]);
  if (!y) return false;
  const shape = freshName(g, `${n.outputs[0]}/shape`);
  g.tensors.set(shape, { name: shape, dtype: 'int64', shape: [y.shape.length], data: Float64Array.from(y.shape) });
  Object.assign(n, { op: 'Reshape', inputs: [x, shape], attrs: {} });
  return true;
}

export const foldViews = rewritePass('fold-views', 'Squeeze/Unsqueeze/Flatten as Reshape views; Reshape pairs collapse; identity Reshapes vanish', [
  {
    name: 'view-as-reshape',
    pattern: { op: ['Squeeze', 'Unsqueeze', 'Flatten'] },
    rewrite: (m, g) => toReshape(g, m.root, m.root.inputs[0]),
  },
  {
    name: 'reshape-of-reshape',
    pattern: { op: 'Reshape', inputs: [{ op: 'Reshape', as: 'inner' }] },
    rewrite(m, g) {
      const { inner } = m.nodes;
      g.nodes = g.nodes.filter((n) => n !== inner);
      g.tensors.delete(inner.outputs[0]);
      return toReshape(g, m.root, inner.inputs[0]);
    },
  },
  {
    name: 'identity-reshape',
    pattern: { op: 'Reshape' },
    rewrite(m, g) {
      const x = g.tensors.get(m.root.inputs[0]);
      const y = g.tensors.get(m.root.outputs[0]);
      if (!x || !y || x.shape.join('x') !== y.shape.join('x')) return false;
      return bypassNode(g, m.root, m.root.inputs[0]);
    },
  },
]);
