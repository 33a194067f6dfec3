/** Activation fusion: HardSwish spelled out as x*clip(x+3,0,6)/6 becomes one op; activations move into their producer's epilogue. */
import type { Node } from '../ir/types.js';
import { constValue } from '../ir/graph.js';
import { attrFloat } from '../ir/attrs.js';
import { activationAttrs } from '../ops/activation.js';
import { bypassNode, rewritePass } from './patterns.js';
import type { Graph } from '../ir/types.js';

const scalarIs = (g: Graph, name: string, want: number) => {
  const v = constValue(g, name);
  return !!v && v.data.length === 1 && Math.abs(v.data[0] - want) < 1e-6;
};

/** Replace the chain ending at `root` by one HardSwish of `x`. */
function toHardSwish(g: Graph, root: Node, x: string, drop: Node[]): boolean {
  g.nodes = g.nodes.filter((n) => !drop.includes(n));
  root.op = 'HardSwish';
  root.inputs = [x];
  root.attrs = {};
  for (const d of drop) for (const o of d.outputs) g.tensors.delete(o);
  return true;
}

export const fuseActivation = rewritePass('fuse-activation', 'recognise HardSwish; fuse activations into Conv/Gemm/MatMul epilogues', [
  {
    // Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6) as PaddlePaddle and PyTorch exports write hardswish.
    name: 'hardswish-div',
    pattern: { op: 'Div', inputs: [{ op: 'Mul', as: 'mul', commutative: true, inputs: ['any', { op: 'Clip', as: 'clip', inputs: [{ op: 'Add', as: 'add', commutative: true, inputs: ['any', 'const'] }] }] }, 'const'] },
    rewrite(m, g) {
      const { mul, clip, add } = m.nodes;
      const x = mul.inputs.find((i) => i !== clip.outputs[0])!;
      const addConst = add.inputs.find((i) => g.tensors.get(i)?.data)!;
      if (!add.inputs.includes(x) || !scalarIs(g, addConst, 3) || !scalarIs(g, m.root.inputs[1], 6)) return false;
      if (attrFloat(clip, 'min', -Infinity) !== 0 || attrFloat(clip, 'max', Infinity) !== 6) return false;
      return toHardSwish(g, m.root, x, [mul, clip, add]);
    },
  },
  {
    // Mul(x, HardSigmoid(x, 1/6, 0.5)) is HardSwish (ONNX exporters at opset < 14).
    name: 'hardswish-hardsigmoid',
    pattern: { op: 'Mul', commutative: true, inputs: ['any', { op: 'HardSigmoid', as: 'hs' }] },
    rewrite(m, g) {
      const hs = m.nodes.hs;
      const x = m.root.inputs.find((i) => i !== hs.outputs[0])!;
      if (hs.inputs[0] !== x || Math.abs(attrFloat(hs, 'alpha', 0.2) - 1 / 6) > 1e-6 || attrFloat(hs, 'beta', 0.5) !== 0.5) return false;
      return toHardSwish(g, m.root, x, [hs]);
    },
  },
  {
    name: 'activation-into-producer',
    pattern: { op: ['Relu', 'Clip', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Sigmoid'], inputs: [{ op: ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'], as: 'producer' }] },
    rewrite(m, g) {
      const p = m.nodes.producer;
      const attrs = activationAttrs(m.root);
      if (p.attrs.act || !attrs || g.tensors.get(p.outputs[0])?.dtype !== 'float32') return false;
      Object.assign(p.attrs, attrs);
      return bypassNode(g, m.root, p.outputs[0]);
    },
  },
]);
