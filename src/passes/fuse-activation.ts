/** Activation fusion: HardSwish spelled out (Div or Mul forms) becomes one op; activations, SiLU included, move into their producer's epilogue. */
import type { Graph, Node } from '../ir/types.js';
import { consumers, constValue, producers } from '../ir/graph.js';
import { attrFloat } from '../ir/attrs.js';
import { activationAttrs } from '../ops/activation.js';
import { bypassNode, rewritePass, type Pattern, type RewriteRule } from './patterns.js';

/** Ops whose epilogue applies a fused activation. */
const EPILOGUE_PRODUCERS = ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'];

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

/** Clip(Add(x, 3), 0, 6), the shared core of every HardSwish spelling. */
const RELU6_SHIFTED: Pattern = { op: 'Clip', as: 'clip', inputs: [{ op: 'Add', as: 'add', commutative: true, inputs: ['any', 'const'] }] };

/** x when `clip` is Clip(x + 3, 0, 6), else undefined. */
function hardswishInput(g: Graph, clip: Node, add: Node): string | undefined {
  const c = add.inputs.find((i) => g.tensors.get(i)?.data);
  const x = add.inputs.find((i) => i !== c);
  if (!c || !x || !scalarIs(g, c, 3) || attrFloat(clip, 'min', -Infinity) !== 0 || attrFloat(clip, 'max', Infinity) !== 6) return undefined;
  return x;
}

/** A HardSwish spelling with Mul: `parts` finds the outer x and the constant that must be 1/6 (or 6 for a Div). */
function hardswishRule(name: string, pattern: Pattern, parts: (g: Graph, n: Record<string, Node>, root: Node) => { x?: string; k?: string; want: number }, drop: string[]): RewriteRule {
  return {
    name,
    pattern,
    rewrite(m, g) {
      const { clip, add } = m.nodes;
      const x = hardswishInput(g, clip, add);
      const p = parts(g, m.nodes, m.root);
      if (!x || p.x !== x || !p.k || !scalarIs(g, p.k, p.want)) return false;
      return toHardSwish(g, m.root, x, [clip, add, ...drop.map((d) => m.nodes[d])]);
    },
  };
}

const constIn = (g: Graph, n: Node) => n.inputs.find((i) => g.tensors.get(i)?.data);
const other = (n: Node, t: string) => n.inputs.find((i) => i !== t);

/** The epilogue producer behind `x` (directly, or through one Reshape view that is x's only reader), if it can take an activation. */
function epilogueProducer(g: Graph, x: string): { producer: Node; view?: Node } | undefined {
  const prod = producers(g);
  let p = prod.get(x);
  let view: Node | undefined;
  if (p?.op === 'Reshape') {
    view = p;
    p = prod.get(p.inputs[0]);
    if ((consumers(g).get(view.inputs[0]) ?? []).length !== 1) return undefined;
  }
  if (!p || !EPILOGUE_PRODUCERS.includes(p.op) || p.attrs.act || g.tensors.get(p.outputs[0])?.dtype !== 'float32') return undefined;
  return { producer: p, view };
}

/** Fuse x * sigmoid(beta x) (SiLU/Swish) into x's producer; `scaled` is the Mul(x, beta) node when beta is explicit. */
function fuseSilu(g: Graph, root: Node, sig: Node, scaled: Node | undefined): boolean {
  const x = other(root, sig.outputs[0]);
  const beta = scaled ? constIn(g, scaled) : undefined;
  const arg = scaled ? other(scaled, beta ?? '') : sig.inputs[0];
  const b = beta ? constValue(g, beta) : undefined;
  if (!x || arg !== x || (scaled && (!b || b.data.length !== 1))) return false;
  const ep = epilogueProducer(g, x);
  const readers = consumers(g).get(x) ?? [];
  if (!ep || readers.length !== 2 || g.outputs.includes(x)) return false;
  ep.producer.attrs.act = { type: 'string', value: 'SiLU' };
  ep.producer.attrs.act_alpha = { type: 'float', value: b ? b.data[0] : 1 };
  const drop = scaled ? [sig, scaled] : [sig];
  g.nodes = g.nodes.filter((n) => !drop.includes(n));
  for (const d of drop) g.tensors.delete(d.outputs[0]);
  return bypassNode(g, root, x);
}

export const fuseActivation = rewritePass('fuse-activation', 'recognise HardSwish; fuse activations into Conv/Gemm/MatMul epilogues', [
  // Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6) as PaddlePaddle and PyTorch exports write hardswish.
  hardswishRule('hardswish-div', { op: 'Div', inputs: [{ op: 'Mul', as: 'mul', commutative: true, inputs: ['any', RELU6_SHIFTED] }, 'const'] },
    (_g, n, root) => ({ x: other(n.mul, n.clip.outputs[0]), k: root.inputs[1], want: 6 }), ['mul']),
  // Mul(Mul(x, Clip(x + 3, 0, 6)), 1/6).
  hardswishRule('hardswish-mul-outside', { op: 'Mul', commutative: true, inputs: [{ op: 'Mul', as: 'mul', commutative: true, inputs: ['any', RELU6_SHIFTED] }, 'const'] },
    (g, n, root) => ({ x: other(n.mul, n.clip.outputs[0]), k: constIn(g, root), want: 1 / 6 }), ['mul']),
  // Mul(x, Mul(Clip(x + 3, 0, 6), 1/6)).
  hardswishRule('hardswish-mul-inside', { op: 'Mul', commutative: true, inputs: ['any', { op: 'Mul', as: 'scale', commutative: true, inputs: [RELU6_SHIFTED, 'const'] }] },
    (g, n, root) => ({ x: other(root, n.scale.outputs[0]), k: constIn(g, n.scale), want: 1 / 6 }), ['scale']),
  // Mul(x, Div(Clip(x + 3, 0, 6), 6)).
  hardswishRule('hardswish-div-inside', { op: 'Mul', commutative: true, inputs: ['any', { op: 'Div', as: 'scale', inputs: [RELU6_SHIFTED, 'const'] }] },
    (_g, n, root) => ({ x: other(root, n.scale.outputs[0]), k: n.scale.inputs[1], want: 6 }), ['scale']),
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
    // x * Sigmoid(x) (SiLU) with x from a Conv/Gemm/MatMul: the producer's epilogue computes it.
    name: 'silu-into-producer',
    pattern: { op: 'Mul', commutative: true, inputs: ['any', { op: 'Sigmoid', as: 'sig' }] },
    rewrite: (m, g) => fuseSilu(g, m.root, m.nodes.sig, undefined),
  },
  {
    // x * Sigmoid(beta * x) (Swish with an explicit beta).
    name: 'swish-into-producer',
    pattern: { op: 'Mul', commutative: true, inputs: ['any', { op: 'Sigmoid', as: 'sig', inputs: [{ op: 'Mul', as: 'scaled', commutative: true, inputs: ['any', 'const'] }] }] },
    rewrite: (m, g) => fuseSilu(g, m.root, m.nodes.sig, m.nodes.scaled),
  },
  {
    name: 'activation-into-producer',
    pattern: { op: ['Relu', 'Clip', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Sigmoid'], inputs: [{ op: EPILOGUE_PRODUCERS, as: 'producer' }] },
    rewrite(m, g) {
      const p = m.nodes.producer;
      const attrs = activationAttrs(m.root);
      if (p.attrs.act || !attrs || g.tensors.get(p.outputs[0])?.dtype !== 'float32') return false;
      Object.assign(p.attrs, attrs);
      return bypassNode(g, m.root, p.outputs[0]);
    },
  },
]);
