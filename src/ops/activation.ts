/** Fused activations: an elementwise op folded into its producer's epilogue (Conv, Gemm, MatMul...). */
import type { Attr, Node, Value } from '../ir/types.js';
import { attrFloat, attrString } from '../ir/attrs.js';
import { UNARY } from './elementwise.js';

/** Activations a producer can carry in attrs `act` (+ `act_alpha`, `act_beta`); ids match runtime-c's EDGEC_ACT_*. */
export const FUSABLE_ACTIVATIONS = ['Relu', 'Clip', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Sigmoid', 'SiLU'] as const;
export type FusableActivation = (typeof FUSABLE_ACTIVATIONS)[number];

/** The fused activation of a node, as {op, alpha, beta} (Clip: alpha=min, beta=max; SiLU: x * sigmoid(alpha * x)). */
export interface FusedActivation {
  op: FusableActivation;
  alpha: number;
  beta: number;
}

/** Read a node's fused activation, if any. */
export function fusedActivation(node: Node): FusedActivation | undefined {
  const op = attrString(node, 'act') as FusableActivation | undefined;
  if (!op) return undefined;
  return { op, alpha: attrFloat(node, 'act_alpha', 0), beta: attrFloat(node, 'act_beta', 0) };
}

/** Attributes that record `act` (an activation node) on a producer; undefined if it cannot be fused. */
export function activationAttrs(act: Node): Record<string, Attr> | undefined {
  const f = (value: number): Attr => ({ type: 'float', value });
  switch (act.op) {
    case 'Relu': case 'HardSwish': case 'Sigmoid':
      return { act: { type: 'string', value: act.op } };
    case 'Clip':
      return { act: { type: 'string', value: 'Clip' }, act_alpha: f(attrFloat(act, 'min', -3.4e38)), act_beta: f(attrFloat(act, 'max', 3.4e38)) };
    case 'HardSigmoid':
      return { act: { type: 'string', value: 'HardSigmoid' }, act_alpha: f(attrFloat(act, 'alpha', 0.2)), act_beta: f(attrFloat(act, 'beta', 0.5)) };
    case 'LeakyRelu':
      return { act: { type: 'string', value: 'LeakyRelu' }, act_alpha: f(attrFloat(act, 'alpha', 0.01)) };
    default:
      return undefined;
  }
}

/** Apply a node's fused activation in place to a float reference output. */
export function applyFusedActivation(node: Node, out: Value): void {
  const a = fusedActivation(node);
  if (!a) return;
  const attrs: Record<string, Attr> =
    a.op === 'Clip' ? { min: { type: 'float', value: a.alpha }, max: { type: 'float', value: a.beta } }
    : a.op === 'HardSigmoid' || a.op === 'LeakyRelu' ? { alpha: { type: 'float', value: a.alpha }, beta: { type: 'float', value: a.beta } }
    : {};
  const fn = a.op === 'SiLU' ? (x: number) => x / (1 + Math.exp(-a.alpha * x)) : UNARY[a.op]({ name: node.name, op: a.op, inputs: [], outputs: [], attrs });
  const d = out.data;
  for (let i = 0; i < d.length; i++) d[i] = fn(d[i]);
}
