/** Integer forms shared by the op families: the 'same' policy, quantized-input checks, attaching forms by op name. */
import type { DType, Node, QuantParams, TensorInfo, Value } from '../ir/types.js';
import type { QTensorInfo } from '../ir/quant.js';
import type { OpDef } from './registry.js';
import { nodeError } from './util.js';

/** The integer part of an op definition: its quantizer policy and integer reference. */
export type IntForm = Pick<OpDef, 'quant' | 'intReference' | 'intOutputQuant'>;

/** True when a tensor type carries quantization parameters (graph tensors do; plain TensorInfo does not). */
export function isQuantized(t: TensorInfo | undefined): boolean {
  return !!(t as QTensorInfo | undefined)?.quant;
}

/** The 8-bit integer types the int8 kernels take. */
export const INT8_TYPES: readonly DType[] = ['int8', 'uint8'];

/** Activation types of kernels that also have TFLite's 16-bit (16x8) form, and of pure data movement. */
export const INT8_16_TYPES: readonly DType[] = ['int8', 'uint8', 'int16'];

/** Quantization parameters of `t`, per tensor and of one of `types`, or an error naming the node. */
export function requireQuantOf(node: Node, t: QTensorInfo | undefined, what: string, types: readonly DType[]): QuantParams {
  if (!t?.quant) nodeError(node, `${what} has no quantization parameters; quantize it or run ${node.op} in float`);
  if (!types.includes(t.dtype)) nodeError(node, `${what} is ${t.dtype}; integer ${node.op} takes ${types.join(' or ')}`);
  if (t.quant.scale.length !== 1) nodeError(node, `${what} is quantized per channel; integer ${node.op} takes per-tensor parameters`);
  return t.quant;
}

/** Quantization parameters of `t`, per tensor and of an 8-bit type, or an error naming the node. */
export function requireQuant8(node: Node, t: QTensorInfo | undefined, what: string): QuantParams {
  return requireQuantOf(node, t, what, INT8_TYPES);
}

/** Input 0's parameters, which every output must share ('same' policy: the op only moves or selects values, of any width). */
export function requireSameQuant(node: Node, x: QTensorInfo | undefined, outs: readonly QTensorInfo[]): QuantParams {
  const q = requireQuantOf(node, x, 'input 0', INT8_16_TYPES);
  outs.forEach((o, k) => {
    const p = requireQuantOf(node, o, `output ${k}`, INT8_16_TYPES);
    if (p.scale[0] !== q.scale[0] || p.zeroPoint[0] !== q.zeroPoint[0])
      nodeError(node, `output ${k} has scale ${p.scale[0]} / zero point ${p.zeroPoint[0]} but input 0 has ${q.scale[0]} / ${q.zeroPoint[0]}; ${node.op} keeps its input's quantization`);
  });
  return q;
}

/** The 'same' form of a data-movement op: its float reference run on the raw integers. */
export function sameForm(def: OpDef): IntForm {
  return {
    quant: 'same',
    intReference(node, inputs, outputs) {
      requireSameQuant(node, inputs[0], outputs);
      return def.reference(node, inputs);
    },
  };
}

/** An op whose output is not quantized (Shape, ArgMax): its float reference already computes on the integers. */
export function exactForm(def: OpDef): IntForm {
  return { intReference: (node, inputs) => def.reference(node, inputs as (Value | undefined)[]) };
}

/** Attach integer forms by op name; a form may be built from the op's own definition. */
export function withIntForms(defs: readonly OpDef[], forms: Record<string, IntForm | ((def: OpDef) => IntForm)>): OpDef[] {
  return defs.map((d) => {
    const f = forms[d.op];
    if (!f) return d;
    return { ...d, ...(typeof f === 'function' ? f(d) : f) };
  });
}
