/** Counts, in a graph, the instances of every pattern the fusion passes remove: the report shows them before and after the passes. */
import type { Graph, Node } from '../ir/types.js';
import { constValue } from '../ir/graph.js';
import { attrFloat } from '../ir/attrs.js';
import { matchAt, type Match, type Pattern } from './patterns.js';

const EPILOGUE = ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'];
const ACTIVATIONS = ['Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'LeakyRelu'];
const scalar = (g: Graph, n: Node, want: number) => n.inputs.some((i) => {
  const v = constValue(g, i);
  return !!v && v.data.length === 1 && Math.abs(v.data[0] - want) < 1e-4 * Math.max(1, Math.abs(want));
});
const plain = (n: Node | undefined) => !!n && !n.attrs.act;

/** One fusion pattern to count: a pattern rooted at the node it would rewrite, and an optional extra condition. */
interface CensusEntry {
  pattern: Pattern;
  when?: (m: Match, g: Graph) => boolean;
}

/** Every pattern issue-level fusion must remove, by name. */
export const FUSION_CENSUS: Record<string, CensusEntry> = {
  'conv/gemm + bias or scale': {
    pattern: { op: ['Add', 'Mul'], commutative: true, inputs: [{ op: ['Conv', 'ConvTranspose', 'Gemm'], as: 'p' }, 'const'] },
    when: (m) => plain(m.nodes.p),
  },
  'conv/gemm + batchnorm': { pattern: { op: 'BatchNormalization', inputs: [{ op: ['Conv', 'ConvTranspose', 'Gemm'], as: 'p' }] } },
  'conv/gemm + activation': {
    pattern: { op: ACTIVATIONS, inputs: [{ op: EPILOGUE, as: 'p' }] },
    when: (m, g) => plain(m.nodes.p) && g.tensors.get(m.nodes.p.outputs[0])?.dtype === 'float32',
  },
  'conv/gemm + silu': {
    pattern: { op: 'Mul', commutative: true, inputs: [{ op: EPILOGUE, as: 'p', shared: true }, { op: 'Sigmoid', as: 's' }] },
    when: (m) => plain(m.nodes.p),
  },
  'hardswish spelled out': {
    pattern: { op: 'Clip', inputs: [{ op: 'Add', as: 'add', commutative: true, inputs: ['any', 'const'] }] },
    when: (m, g) => scalar(g, m.nodes.add, 3) && attrFloat(m.root, 'min', -Infinity) === 0 && attrFloat(m.root, 'max', Infinity) === 6,
  },
  'hardswish as x * hardsigmoid': { pattern: { op: 'Mul', commutative: true, inputs: ['any', { op: 'HardSigmoid', as: 'h' }] }, when: (m) => m.root.inputs.includes(m.nodes.h.inputs[0]) },
  'layernorm spelled out': { pattern: { op: 'Sub', inputs: ['any', { op: 'ReduceMean', as: 'mean', shared: true }] } },
  'gelu with erf': { pattern: { op: 'Erf' } },
  'matmul + add': { pattern: { op: 'Add', commutative: true, inputs: [{ op: 'MatMul', as: 'mm' }, 'const'] }, when: (m, g) => !!constValue(g, m.nodes.mm.inputs[1]) },
  'pad + conv': { pattern: { op: 'Conv', inputs: [{ op: 'Pad' }] } },
  'transpose pair': { pattern: { op: 'Transpose', inputs: [{ op: 'Transpose' }] } },
  'reshape pair': { pattern: { op: 'Reshape', inputs: [{ op: 'Reshape' }] } },
  'squeeze/unsqueeze/flatten': { pattern: { op: ['Squeeze', 'Unsqueeze', 'Flatten'] } },
};

/** Instances of each fusion pattern in `g`. */
export function fusionCensus(g: Graph): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, e] of Object.entries(FUSION_CENSUS)) {
    out[name] = g.nodes.filter((n) => {
      const m = matchAt(e.pattern, n, g);
      return !!m && (!e.when || e.when(m, g));
    }).length;
  }
  return out;
}
