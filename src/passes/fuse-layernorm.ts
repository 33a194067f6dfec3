/** LayerNorm spelled out (ReduceMean, Sub, Pow, ReduceMean, Add eps, Sqrt, Div, then Mul gamma, Add beta) becomes one op. */
import type { Graph, Node } from '../ir/types.js';
import { consumers } from '../ir/graph.js';
import { attrInts } from '../ir/attrs.js';
import { constValue } from '../ir/graph.js';
import { rewritePass, bypassNode } from './patterns.js';

/** The trailing normalized axis of a keepdims ReduceMean over the last axes, or undefined. */
function trailingAxis(g: Graph, mean: Node): number | undefined {
  const rank = g.tensors.get(mean.inputs[0])?.shape.length ?? 0;
  const axes = (attrInts(mean, 'axes') ?? []).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  if (!axes.length || (mean.attrs.keepdims && (mean.attrs.keepdims as { value: number }).value === 0)) return undefined;
  return axes.every((a, i) => a === rank - axes.length + i) ? axes[0] : undefined;
}

const scalar = (g: Graph, name: string) => {
  const v = constValue(g, name);
  return v && v.data.length === 1 ? v.data[0] : undefined;
};

/** Per-element constant of the normalized shape (gamma/beta), or undefined when it broadcasts otherwise. */
function affineConst(g: Graph, ln: Node, name: string): Float32Array | undefined {
  const v = constValue(g, name);
  const x = g.tensors.get(ln.inputs[0])!;
  const axis = (ln.attrs.axis as { value: number }).value;
  const norm = x.shape.slice(axis);
  const d = norm.reduce((a, b) => a * b, 1);
  if (!v || v.dtype !== 'float32') return undefined;
  const lead = v.shape.slice(0, v.shape.length - norm.length);
  if (!lead.every((s) => s === 1)) return undefined;
  if (v.data.length === 1) return new Float32Array(d).fill(v.data[0]);
  return v.data.length === d && v.shape.slice(-norm.length).join('x') === norm.join('x') ? Float32Array.from(v.data) : undefined;
}

export const fuseLayerNorm = rewritePass('fuse-layernorm', 'recognise LayerNormalization spelled out by exporters and fold its affine', [
  {
    name: 'layernorm',
    pattern: {
      op: 'Div',
      inputs: [
        { op: 'Sub', as: 'sub', shared: true, inputs: ['any', { op: 'ReduceMean', as: 'mean', shared: true }] },
        { op: 'Sqrt', as: 'sqrt', inputs: [{ op: 'Add', as: 'add', commutative: true, inputs: [{ op: 'ReduceMean', as: 'var', inputs: [{ op: ['Pow', 'Mul'], as: 'sq' }] }, 'const'] }] },
      ],
    },
    rewrite(m, g) {
      const { sub, mean, add, sq } = m.nodes;
      const x = sub.inputs[0];
      const axis = trailingAxis(g, mean);
      const d = sub.outputs[0];
      const squares = sq.op === 'Pow' ? sq.inputs[0] === d && scalar(g, sq.inputs[1]) === 2 : sq.inputs[0] === d && sq.inputs[1] === d;
      const readers = consumers(g);
      if (axis === undefined || trailingAxis(g, m.nodes.var) !== axis || mean.inputs[0] !== x || !squares) return false;
      if ((readers.get(d) ?? []).length !== 2 || (readers.get(mean.outputs[0]) ?? []).length !== 1) return false;
      const eps = scalar(g, add.inputs.find((i) => g.tensors.get(i)?.data)!);
      if (eps === undefined) return false;
      const dims = g.tensors.get(x)!.shape.slice(axis);
      const n = dims.reduce((a, b) => a * b, 1);
      const mk = (stem: string, v: number) => {
        const name = `${m.root.name}_${stem}`;
        g.tensors.set(name, { name, dtype: 'float32', shape: dims, data: new Float32Array(n).fill(v) });
        return name;
      };
      const drop = new Set([sub, mean, sq, m.nodes.var, add, m.nodes.sqrt]);
      g.nodes = g.nodes.filter((k) => !drop.has(k));
      Object.assign(m.root, { op: 'LayerNormalization', inputs: [x, mk('scale', 1), mk('bias', 0)], attrs: { axis: { type: 'int', value: axis }, epsilon: { type: 'float', value: eps } } });
      return true;
    },
  },
  {
    name: 'layernorm-affine',
    pattern: { op: ['Mul', 'Add'], commutative: true, inputs: [{ op: 'LayerNormalization', as: 'ln' }, 'const'] },
    rewrite(m, g) {
      const ln = m.nodes.ln;
      const c = m.root.inputs.find((i) => i !== ln.outputs[0])!;
      const v = affineConst(g, ln, c);
      const out = g.tensors.get(m.root.outputs[0])!;
      if (!v || out.shape.join('x') !== g.tensors.get(ln.outputs[0])!.shape.join('x')) return false;
      const scale = constValue(g, ln.inputs[1])!.data;
      const bias = constValue(g, ln.inputs[2])!.data;
      const ns = Float32Array.from(scale, (s, i) => (m.root.op === 'Mul' ? s * v[i] : s));
      const nb = Float32Array.from(bias, (b, i) => (m.root.op === 'Mul' ? b * v[i] : b + v[i]));
      const put = (stem: string, data: Float32Array) => {
        const name = `${ln.name}_${stem}${g.tensors.size}`;
        g.tensors.set(name, { name, dtype: 'float32', shape: [...g.tensors.get(ln.inputs[1])!.shape], data });
        return name;
      };
      ln.inputs = [ln.inputs[0], put('scale', ns), put('bias', nb)];
      return bypassNode(g, m.root, ln.outputs[0]);
    },
  },
]);
