/** Transpose cleanup: stacked Transposes compose (and vanish when they cancel); one that keeps the order of its non-unit dims becomes a Reshape view. */
import { transposeIsView, transposePerm } from '../ops/layout.js';
import { bypassNode, rewritePass } from './patterns.js';

export const foldTransposes = rewritePass('fold-transposes', 'compose stacked Transposes, drop inverse pairs, turn Transposes of unit dims into Reshape views', [
  {
    name: 'transpose-of-transpose',
    pattern: { op: 'Transpose', inputs: [{ op: 'Transpose', as: 'inner' }] },
    rewrite(m, g) {
      const { inner } = m.nodes;
      const outer = m.root;
      const rank = g.tensors.get(inner.inputs[0])!.shape.length;
      const p1 = transposePerm(inner, rank);
      const perm = transposePerm(outer, rank).map((p) => p1[p]);
      const src = inner.inputs[0];
      if (perm.every((p, i) => p === i)) {
        if (!bypassNode(g, outer, src)) return false;
      } else {
        outer.inputs = [src];
        outer.attrs = { perm: { type: 'ints', value: perm } };
      }
      g.nodes = g.nodes.filter((n) => n !== inner);
      g.tensors.delete(inner.outputs[0]);
      return true;
    },
  },
  {
    name: 'transpose-as-view',
    pattern: { op: 'Transpose' },
    rewrite(m, g) {
      const n = m.root;
      const x = g.tensors.get(n.inputs[0])!;
      if (!transposeIsView(x.shape, transposePerm(n, x.shape.length))) return false;
      const y = g.tensors.get(n.outputs[0])!;
      let shape = `${n.outputs[0]}/shape`;
      for (let k = 1; g.tensors.has(shape); k++) shape = `${n.outputs[0]}/shape_${k}`;
      g.tensors.set(shape, { name: shape, dtype: 'int64', shape: [y.shape.length], data: Float64Array.from(y.shape) });
      Object.assign(n, { op: 'Reshape', inputs: [n.inputs[0], shape], attrs: {} });
      return true;
    },
  },
]);
