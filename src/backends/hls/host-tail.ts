/**
 * The host tail of an HLS design: the float ops after the accelerator's last integer output (a classifier head's
 * Dequantize of int32 accumulators, bias Add, Softmax) run on the host CPU in C++, as the float reference computes them.
 */
import type { Graph, Node, QuantParams } from '../../ir/types.js';
import { numel } from '../../ir/dtype.js';
import { isIntegerNode } from '../../ir/quant.js';
import { softmaxPlan } from '../../ops/softmax.js';
import { nodeError } from '../../ops/util.js';
import { broadcastLoops, constArray, floatLit, HLS_CTYPES } from './layers.js';

/** What a tail op's code generator gets: the node, the host array of each tensor and constants by name. */
export interface TailCtx {
  g: Graph;
  node: Node;
  /** The C++ array (or constant) holding tensor t. */
  array(t: string): string;
}

/** C++ statements computing one tail node's output array. */
type TailOp = (c: TailCtx) => string[];

const shapeOf = (c: TailCtx, t: string) => c.g.tensors.get(t)!.shape;

/** Per-tensor or per-channel (scale, zero point) of element index expression i, as C++ expressions. */
function channelParams(q: QuantParams, shape: number[], i: string, stem: string): { decls: string[]; s: string; z: string } {
  if (q.scale.length === 1) return { decls: [], s: floatLit(q.scale[0]), z: String(q.zeroPoint[0]) };
  const axis = q.axis ?? 0;
  const inner = numel(shape.slice(axis + 1));
  const c = `((${i} / ${inner}) % ${q.scale.length})`;
  return { decls: [constArray('float', `${stem}_s`, q.scale), constArray('int32_t', `${stem}_z`, q.zeroPoint)], s: `${stem}_s[${c}]`, z: `${stem}_z[${c}]` };
}

const binary = (op: string): TailOp => (c) => {
  const [a, b] = c.node.inputs;
  const y = c.node.outputs[0];
  const lines = broadcastLoops(shapeOf(c, y), [{ expr: c.array(a), shape: shapeOf(c, a) }, { expr: c.array(b), shape: shapeOf(c, b) }], c.array(y),
    () => [], `v0 ${op} v1`, 'float');
  return lines.filter((l) => !l.includes('#pragma'));
};

function softmax(log: boolean): TailOp {
  return (c) => {
    const x = c.array(c.node.inputs[0]);
    const y = c.array(c.node.outputs[0]);
    const { outer, n, inner } = softmaxPlan(c.node, shapeOf(c, c.node.inputs[0]));
    const at = (a: string) => `${a}[(o * ${n} + k) * ${inner} + j]`;
    return [
      `for (int o = 0; o < ${outer}; o++)`,
      `  for (int j = 0; j < ${inner}; j++) {`,
      '    double m = -INFINITY, s = 0;',
      `    for (int k = 0; k < ${n}; k++) m = fmax(m, (double)${at(x)});`,
      `    for (int k = 0; k < ${n}; k++) s += exp((double)${at(x)} - m);`,
      `    for (int k = 0; k < ${n}; k++) ${at(y)} = (float)(${log ? `(double)${at(x)} - m - log(s)` : `exp((double)${at(x)} - m) / s`});`,
      '  }',
    ];
  };
}

/** Float tail ops the host runs (Dequantize included: the accelerator streams the integers out). */
const TAIL_OPS: Record<string, TailOp> = {
  Dequantize: (c) => {
    const x = c.node.inputs[0];
    const q = c.g.tensors.get(x)!.quant!;
    const p = channelParams(q, shapeOf(c, x), 'i', `${c.array(c.node.outputs[0])}_q`);
    return [...p.decls, `for (int i = 0; i < ${numel(shapeOf(c, x))}; i++) ${c.array(c.node.outputs[0])}[i] = (float)((int32_t)${c.array(x)}[i] - ${p.z}) * ${p.s};`];
  },
  Add: binary('+'),
  Sub: binary('-'),
  Mul: binary('*'),
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
  Sigmoid: (c) => [`for (int i = 0; i < ${numel(shapeOf(c, c.node.inputs[0]))}; i++) ${c.array(c.node.outputs[0])}[i] = (float)(1.0 / (1.0 + exp(-(double)${c.array(c.node.inputs[0])}[i])));`],
};

/**
 * The tail: nodes (Dequantize or float, in `candidates`' order) all of whose outputs feed only tail nodes or graph
 * outputs. `consumers` lists the nodes reading each tensor root; `rootOf` resolves aliases.
 */
export function hostTail(g: Graph, candidates: Node[], consumers: Map<string, Node[]>, rootOf: (t: string) => string): Node[] {
  const outputs = new Set(g.outputs.map(rootOf));
  const tail = new Set<Node>();
  for (const n of [...candidates].reverse()) {
    if (n.op !== 'Dequantize' && (isIntegerNode(g, n) || n.op === 'Quantize')) continue;
    const r = rootOf(n.outputs[0]);
    const users = consumers.get(r) ?? [];
    if ((users.length || outputs.has(r)) && users.every((u) => tail.has(u))) tail.add(n);
  }
  // A float node joins only when its activation inputs come from the tail too (else it is a fabric float island).
  const produced = new Set<string>();
  const result: Node[] = [];
  for (const n of candidates) {
    if (!tail.has(n)) continue;
    const acts = n.inputs.filter((t) => t && !g.tensors.get(rootOf(t))?.data).map(rootOf);
    if (n.op !== 'Dequantize' && !acts.every((t) => produced.has(t))) continue;
    if (!TAIL_OPS[n.op]) nodeError(n, `the float ${n.op} after the accelerator has no host implementation in the HLS backend (host tail ops: ${Object.keys(TAIL_OPS).join(', ')})`);
    produced.add(rootOf(n.outputs[0]));
    result.push(n);
  }
  return result;
}

/** The C++ of the tail: host arrays for its tensors and each node's loops. */
export function tailCode(g: Graph, tail: Node[], array: (t: string) => string, declare: (t: string) => void): string[] {
  const lines: string[] = [];
  for (const n of tail) {
    for (const t of n.inputs) {
      const v = t && g.tensors.get(t);
      if (v && v.data && !HLS_CTYPES[v.dtype]) nodeError(n, `constant ${t} is ${v.dtype}`);
    }
    declare(n.outputs[0]);
    lines.push(`/* ${n.op} '${n.name}' (host) */`, ...TAIL_OPS[n.op]({ g, node: n, array }));
  }
  return lines;
}
