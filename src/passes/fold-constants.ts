/** Constant folding: nodes whose inputs are all constant (and Shape of a static tensor) become constants. */
import { evalNode } from '../interp/reference.js';
import type { Graph, Node, Value } from '../ir/types.js';
import { numel } from '../ir/dtype.js';
import { constValue } from '../ir/graph.js';
import type { Pass } from './pass.js';

/** Ops never folded: Dequantize of int8 weights stays until fuse-qdq has let integer ops take the int8 data. */
const NEVER_FOLD = new Set<string>(['Dequantize', 'DequantizeLinear']);

/** A fold whose outputs exceed this many elements and 4x its inputs' size stays a run-time node (ConstantOfShape, Expand, Tile). */
const FOLD_GROWTH_LIMIT = 1 << 20;

/** Whether folding would turn small inputs into a huge constant (better generated at run time). */
function growsTooMuch(g: Graph, n: Node): boolean {
  const out = n.outputs.reduce((a, o) => a + numel(g.tensors.get(o)?.shape ?? []), 0);
  const inp = n.inputs.reduce((a, i) => a + (i ? numel(g.tensors.get(i)?.shape ?? []) : 0), 0);
  return out > FOLD_GROWTH_LIMIT && out > 4 * inp;
}

export const foldConstants: Pass = {
  name: 'fold-constants',
  summary: 'evaluate constant subgraphs and Shape of static tensors at compile time',
  run(g: Graph) {
    const keep = [];
    for (const n of g.nodes) {
      const inputs = n.inputs.map((i) => constValue(g, i));
      const shapeOfStatic = n.op === 'Shape' && n.inputs[0] && g.tensors.has(n.inputs[0]);
      const allConst = n.inputs.every((i, k) => !i || inputs[k]);
      if (NEVER_FOLD.has(n.op) || !(allConst || shapeOfStatic) || (!shapeOfStatic && growsTooMuch(g, n))) {
        keep.push(n);
        continue;
      }
      const args = shapeOfStatic && !inputs[0] ? [{ ...g.tensors.get(n.inputs[0])!, data: new Float32Array(0) } as Value] : inputs;
      const outs = evalNode(g, n, args);
      n.outputs.forEach((o, k) => {
        if (!o) return;
        const t = g.tensors.get(o);
        g.tensors.set(o, { ...t, name: o, dtype: outs[k].dtype, shape: outs[k].shape, data: outs[k].data });
      });
    }
    g.nodes = keep;
  },
};
