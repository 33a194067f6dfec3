/** The contract between the shared C emitter and per-op lowerings (one table per op family in ./lower). */
import type { Node, QuantParams, TensorInfo, Value } from '../../ir/types.js';
import type { CTargetFacts } from './emit.js';

/** A tensor as a lowering sees it: its type, the C expression of its buffer, and its value if constant. */
export interface CTensor {
  name: string;
  info: TensorInfo;
  /** C pointer expression of the element type (e.g. `T3` or `W_conv1_weight`), valid inside run(). */
  ptr: string;
  /** Constant data, for weights a lowering may repack. */
  value?: Value;
  /** Quantization parameters of an integer tensor (scale, zero point, per-channel axis). */
  quant?: QuantParams;
}

/** What a lowering can do while emitting one node. */
export interface CLowerCtx {
  node: Node;
  /** Input i, or undefined for an absent optional input. */
  input(i: number): CTensor | undefined;
  output(i: number): CTensor;
  /** Include runtime-c/kernels/<file> in the artifact (each file once). */
  useKernel(file: string): void;
  /** Node-local scratch of `bytes` bytes in the arena (reused across nodes); returns a `float*`-castable C expression. */
  scratch(bytes: number): string;
  /** Add a const array (e.g. repacked weights) to the weights file; returns its C symbol. */
  constArray(stem: string, value: Value): string;
  /** Append one line of C to the node's body. */
  line(code: string): void;
  /** Target facts the kernel may specialise on (vector width in floats, cache sizes, vector vocabulary). */
  target: CTargetFacts;
}

/** Emits the C statements for one node. */
export type CLowering = (ctx: CLowerCtx) => void;

/** C float literal that round-trips exactly. */
export function cFloat(v: number): string {
  if (Number.isNaN(v)) return '(0.0f/0.0f)';
  if (!Number.isFinite(v)) return v > 0 ? '(1.0f/0.0f)' : '(-1.0f/0.0f)';
  const s = Math.fround(v).toPrecision(9);
  return `${s.includes('.') || s.includes('e') ? s : `${s}.0`}f`;
}

/** C int array initializer, e.g. `{1, 2, 3}`. */
export function cInts(xs: readonly number[]): string {
  return `{${xs.join(', ')}}`;
}

/** C id of a fused activation (EDGEC_ACT_* in runtime-c/edgec_runtime.h). */
export const C_ACTIVATION_IDS = {
  Relu: 'EDGEC_ACT_RELU', Clip: 'EDGEC_ACT_CLIP', HardSigmoid: 'EDGEC_ACT_HARDSIGMOID',
  HardSwish: 'EDGEC_ACT_HARDSWISH', LeakyRelu: 'EDGEC_ACT_LEAKYRELU', Sigmoid: 'EDGEC_ACT_SIGMOID', SiLU: 'EDGEC_ACT_SILU',
} as const satisfies Record<string, string>;
