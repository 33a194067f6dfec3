/** Which nodes run on integers: the one predicate the interpreter, the quantizer and the backends share. */
import type { Graph, Node, QuantParams, TensorInfo, Value } from './types.js';

/** A value together with its tensor's quantization parameters (absent for float tensors). */
export interface QValue extends Value {
  quant?: QuantParams;
}

/** A tensor type with its quantization parameters. */
export interface QTensorInfo extends TensorInfo {
  quant?: QuantParams;
}

/** True when any input or output of the node is a quantized tensor: it then runs its integer reference / kernel. */
export function isIntegerNode(g: Graph, node: Node): boolean {
  return [...node.inputs, ...node.outputs].some((t) => t !== '' && g.tensors.get(t)?.quant !== undefined);
}
