/** The op registry: every op the IR knows, with its shape rule and float reference kernel. */
import type { Node, QuantParams, TensorInfo, Value } from '../ir/types.js';
import type { QTensorInfo, QValue } from '../ir/quant.js';

/** What a shape rule sees of a node's inputs: static types, plus values of constant inputs. */
export interface ShapeArgs {
  node: Node;
  /** Input types in order; undefined for an absent optional input. */
  inputs: (TensorInfo | undefined)[];
  /** Input values where the input is a constant (for Reshape's shape, Slice's starts, ...). */
  consts: (Value | undefined)[];
}

/** One op: its shape rule, float reference and cost model. */
export interface OpDef {
  /** IR op name (ONNX spelling). */
  op: string;
  /** One line for the supported-op table. */
  summary: string;
  /** Output types from input types; throws EdgecError for inputs the op cannot take. */
  infer(args: ShapeArgs): TensorInfo[];
  /** Float reference: the ground truth the compiled code is checked against. */
  reference(node: Node, inputs: (Value | undefined)[]): Value[];
  /** Multiply-accumulates for one run (0 when not meaningful). */
  macs?(node: Node, inputs: (TensorInfo | undefined)[], outputs: TensorInfo[]): number;
  /**
   * How the int8 quantizer treats the op. 'requant': an integer kernel whose output scale comes from calibration;
   * 'same': the int8 output keeps input 0's scale and zero point (layout ops, MaxPool, Pad, nearest Resize);
   * 'lut': int8 -> int8 through a 256-entry table of the float reference (becomes a LookupTable node).
   * Absent: the op runs in float between Dequantize and Quantize (a float island).
   */
  quant?: 'requant' | 'same' | 'lut';
  /**
   * Integer reference, used when any input or output tensor is quantized (ir/quant.ts isIntegerNode). It defines
   * bit for bit what the integer C kernel computes; inputs and outputs carry their quantization parameters.
   */
  intReference?(node: Node, inputs: (QValue | undefined)[], outputs: QTensorInfo[]): Value[];
  /** Output quantization the integer kernel requires whatever calibration says (int8 Softmax: 1/256, -128). */
  intOutputQuant?(node: Node): QuantParams;
  /** Output 0 is input 0's bytes reinterpreted (Reshape, Flatten, Squeeze...): backends may alias them. */
  aliasesInput?: boolean;
}

const registry = new Map<string, OpDef>();

/** Add op definitions to the registry (each op name once). */
export function registerOps(defs: readonly OpDef[]): void {
  for (const d of defs) {
    if (registry.has(d.op)) throw new Error(`internal: op '${d.op}' registered twice`);
    registry.set(d.op, d);
  }
}

/** The definition of an op, or undefined if edgec does not know it. */
export function findOp(op: string): OpDef | undefined {
  return registry.get(op);
}

/** The definition of an op; throws if unknown (callers have checked support already). */
export function getOp(op: string): OpDef {
  const d = registry.get(op);
  if (!d) throw new Error(`internal: op '${op}' is not registered`);
  return d;
}

/** All registered ops, sorted by name. */
export function allOps(): OpDef[] {
  return [...registry.values()].sort((a, b) => a.op.localeCompare(b.op));
}
