/** MatMul by constant weights plus a constant bias becomes one Gemm (the bias in its epilogue); batched operands go through Reshape views. */
import type { Graph, Node } from '../ir/types.js';
import { constValue, freshName } from '../ir/graph.js';
import { numel } from '../ir/dtype.js';
import { rewritePass } from './patterns.js';

/** A new float tensor of `shape` (with data when given). */
function tensor(g: Graph, stem: string, dtype: 'float32' | 'int64', shape: number[], data?: Float32Array | Float64Array): string {
  const name = freshName(g, stem);
  g.tensors.set(name, { name, dtype, shape, data });
  return name;
}

export const fuseMatMulBias = rewritePass('fuse-matmul-bias', 'MatMul with constant weights followed by a constant bias Add becomes Gemm', [
  {
    name: 'matmul-add-to-gemm',
    pattern: { op: 'Add', commutative: true, inputs: [{ op: 'MatMul', as: 'mm' }, 'const'] },
    rewrite(m, g) {
      const { mm } = m.nodes;
      const add = m.root;
      const a = g.tensors.get(mm.inputs[0]);
      const w = constValue(g, mm.inputs[1]);
      const c = constValue(g, add.inputs.find((i) => i !== mm.outputs[0])!);
      const y = g.tensors.get(add.outputs[0]);
      if (!a || a.data || a.dtype !== 'float32' || a.shape.length < 2 || !w || w.dtype !== 'float32' || w.shape.length !== 2 || mm.attrs.act) return false;
      const [K, N] = w.shape;
      if (!c || c.dtype !== 'float32' || numel(c.shape) !== N || c.shape.some((d, i) => d !== 1 && i !== c.shape.length - 1)) return false;
      if (!y || y.shape.join('x') !== g.tensors.get(mm.outputs[0])!.shape.join('x')) return false;
      const bias = tensor(g, `${add.name}_bias`, 'float32', [N], Float32Array.from(c.data));
      const M = numel(a.shape) / K;
      if (a.shape.length === 2) {
        Object.assign(add, { op: 'Gemm', inputs: [mm.inputs[0], mm.inputs[1], bias], attrs: {} });
        g.nodes = g.nodes.filter((n) => n !== mm);
        g.tensors.delete(mm.outputs[0]);
        return true;
      }
      // [..., M, K] x [K, N]: Reshape (a view) to [M', K], Gemm, Reshape back to [..., M, N].
      const a2 = tensor(g, `${mm.inputs[0]}_2d`, 'float32', [M, K]);
      const y2 = tensor(g, `${add.outputs[0]}_2d`, 'float32', [M, N]);
      const gemm: Node = { name: `${add.name}_gemm`, op: 'Gemm', inputs: [a2, mm.inputs[1], bias], outputs: [y2], attrs: {} };
      g.tensors.delete(mm.outputs[0]);
      Object.assign(mm, { op: 'Reshape', inputs: [mm.inputs[0], tensor(g, `${a2}_shape`, 'int64', [2], Float64Array.of(M, K))], outputs: [a2], attrs: {} });
      g.nodes.splice(g.nodes.indexOf(mm) + 1, 0, gemm);
      Object.assign(add, { op: 'Reshape', inputs: [y2, tensor(g, `${y2}_shape`, 'int64', [y.shape.length], Float64Array.from(y.shape))], attrs: {} });
      return true;
    },
  },
]);
