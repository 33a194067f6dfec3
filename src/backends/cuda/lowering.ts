/** The contract between the CUDA emitter and per-op CUDA lowerings (one table per op family in ./lower). */
import type { Node, QuantParams, TensorInfo, Value } from '../../ir/types.js';
import type { CudaFacts } from '../../targets/targets.js';
import { fusedActivation } from '../../ops/activation.js';
import { cFloat, C_ACTIVATION_IDS } from '../c/lowering.js';

/** A tensor as a CUDA lowering sees it: type, device pointer expression, constant value if any. */
export interface CudaTensor {
  name: string;
  info: TensorInfo;
  /** Device pointer expression of the element type, valid inside the generated enqueue function. */
  ptr: string;
  value?: Value;
  /** Quantization parameters of an integer tensor. */
  quant?: QuantParams;
}

/** Consumers absorbed into a producer's store: scalar affine then a residual add (see absorb.ts). */
export interface AbsorbedEpilogue {
  mul: number;
  add: number;
  /** Device pointer of the residual operand (same shape as the output), if an Add was absorbed. */
  residual?: string;
}

/** What a lowering can do while emitting one node. */
export interface CudaLowerCtx {
  node: Node;
  input(i: number): CudaTensor | undefined;
  output(i: number): CudaTensor;
  /** Include runtime-cuda/kernels/<file> in model.cu. */
  useKernel(file: string): void;
  /** Upload raw bytes with the weights (256-byte aligned); returns a device pointer expression of `cType`. */
  constBytes(stem: string, bytes: Uint8Array, cType: string): string;
  /** Define a device functor struct in model.cu with `body` as its operator() members; returns its name. */
  functor(body: string): string;
  /** Append one launch statement (kernel<<<grid, block, 0, s>>>(...)) and name the kernel instance it launches. */
  launch(kernel: string, grid: string, block: string, args: string[]): void;
  /** Append a plain statement (a device-to-device copy on stream s). */
  line(code: string): void;
  /** Work-space bytes for this node only; returns a device pointer expression (void *). */
  scratch(bytes: number): string;
  /** Consumers absorbed into this node's epilogue (identity when none). */
  absorbed: AbsorbedEpilogue;
  cuda: CudaFacts;
}

/** Emits the launches of one node. */
export interface CudaLowering {
  lower(ctx: CudaLowerCtx): void;
  /** The lowering applies absorbed consumers (scalar affine, residual add) in its store. */
  epilogue?: boolean;
}

/** edgec::Act value of each fused activation (as a number, so kernel names match nvcc's demangled ones). */
const ACT_NUMBERS: Record<keyof typeof C_ACTIVATION_IDS, number> = { Relu: 1, Clip: 2, HardSigmoid: 3, HardSwish: 4, LeakyRelu: 5, Sigmoid: 6, SiLU: 7 };

/** Activation template argument of a node's fused activation and its two constants. */
export function actOf(node: Node): { id: string; a: string; b: string } {
  const f = fusedActivation(node);
  if (!f) return { id: '0', a: '0.0f', b: '0.0f' };
  return { id: String(ACT_NUMBERS[f.op as keyof typeof ACT_NUMBERS]), a: cFloat(f.alpha), b: cFloat(f.beta) };
}

/** The edgec::Epilogue initializer for a node with bias pointer `bias` (or nullptr). */
export function epilogueExpr(ctx: CudaLowerCtx, bias: string): string {
  const a = actOf(ctx.node);
  const e = ctx.absorbed;
  return `edgec::Epilogue{${bias}, ${e.residual ?? 'nullptr'}, ${a.a}, ${a.b}, ${cFloat(e.mul)}, ${cFloat(e.add)}}`;
}

/** Threads per block of the one-thread-per-element kernels. */
export const ELEMENT_THREADS = 256;

/** Launch grid of a one-thread-per-element kernel over n items. */
export function gridFor(n: number, threads = ELEMENT_THREADS): string {
  return String(Math.max(1, Math.min(Math.ceil(n / threads), 65535 * 16)));
}
