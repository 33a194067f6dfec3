/** What a TFLite import rule works with: the operator, its operand tensors, the graph builder, and shared helpers (fused activations, padding). */
import type { Attr, DType } from '../../ir/types.js';
import { EdgecError } from '../../util/errors.js';
import { ActivationFunctionType, Padding } from './generated/index.js';
import type { GraphBuilder, Layout } from './builder.js';
import type { TfliteOp, TfliteTensor } from './model.js';

/** The operator being imported, with typed access to its operands and options. */
export class OpCtx {
  constructor(readonly op: TfliteOp, readonly b: GraphBuilder, private readonly file: string) {}

  /** `file: operator i (CODE) 'output name'`, the prefix of every error about this operator. */
  get where(): string {
    const out = this.op.outputs[0];
    return `${this.file}: operator ${this.op.index} (${this.op.code})${out !== undefined && out >= 0 ? ` writing '${this.b.tensor(out).name}'` : ''}`;
  }

  /** Throw a one-line error about this operator. */
  fail(msg: string): never {
    throw new EdgecError(`${this.where}: ${msg}`);
  }

  /** Whether optional operand k is present. */
  has(k: number): boolean {
    return (this.op.inputs[k] ?? -1) >= 0;
  }

  /** Operand k (required). */
  in(k: number): TfliteTensor {
    if (!this.has(k)) this.fail(`input ${k} is missing`);
    return this.b.tensor(this.op.inputs[k]);
  }

  /** Result k. */
  out(k = 0): TfliteTensor {
    const t = this.op.outputs[k];
    if (t === undefined || t < 0) this.fail(`output ${k} is missing`);
    return this.b.tensor(t);
  }

  /** Constant operand k, or an error saying it must be constant. */
  constIn(k: number, what: string): TfliteTensor & { data: NonNullable<TfliteTensor['data']> } {
    const t = this.in(k);
    if (!t.data) this.fail(`${what} (input ${k}) must be a constant for static compilation`);
    return t as TfliteTensor & { data: NonNullable<TfliteTensor['data']> };
  }

  /** The builtin options table, read through its generated class. */
  options<T>(make: () => T): T {
    const o = this.op.raw.builtinOptions(make()) as T | null;
    if (!o) this.fail('the operator has no options table; re-convert the model');
    return o;
  }

  /** The builtin options table if the operator has one (some converters omit all-default tables). */
  optional<T>(make: () => T): T | undefined {
    return (this.op.raw.builtinOptions(make()) as T | null) ?? undefined;
  }

  /** IR name of operand k in `layout`. */
  view(k: number, layout: Layout): string {
    return this.b.view(this.in(k).index, layout);
  }

  /** The layout operand k lives in. */
  home(k: number): Layout {
    return this.b.home(this.in(k).index);
  }
}

/** A rule imports one TFLite operator by adding IR nodes through the builder. */
export type TfliteRule = (ctx: OpCtx) => void;

/** How a TFLite fused activation becomes IR: attributes on a producer that takes `act`, or an activation node. */
interface ActivationForm {
  name: string;
  /** `act` attributes (Relu, Clip); absent when only a separate node can express it. */
  attrs?: Record<string, Attr>;
  op: string;
  opAttrs: Record<string, Attr>;
}

const f = (value: number): Attr => ({ type: 'float', value });
const s = (value: string): Attr => ({ type: 'string', value });

/** TFLite fused activations by ActivationFunctionType (RELU6 and RELU_N1_TO_1 are Clip ranges). */
const ACTIVATIONS: Partial<Record<ActivationFunctionType, ActivationForm>> = {
  [ActivationFunctionType.RELU]: { name: 'RELU', attrs: { act: s('Relu') }, op: 'Relu', opAttrs: {} },
  [ActivationFunctionType.RELU6]: { name: 'RELU6', attrs: { act: s('Clip'), act_alpha: f(0), act_beta: f(6) }, op: 'Clip', opAttrs: { min: f(0), max: f(6) } },
  [ActivationFunctionType.RELU_N1_TO_1]: { name: 'RELU_N1_TO_1', attrs: { act: s('Clip'), act_alpha: f(-1), act_beta: f(1) }, op: 'Clip', opAttrs: { min: f(-1), max: f(1) } },
  [ActivationFunctionType.TANH]: { name: 'TANH', op: 'Tanh', opAttrs: {} },
};

/**
 * Emit `op` writing output 0 in `layout`, with TFLite fused activation `act`. `fusable`: the IR op applies `act`
 * attributes in its float reference too (Conv, ConvTranspose, Gemm); integer nodes always clamp through them.
 */
export function emitWithActivation(
  ctx: OpCtx, op: string, inputs: string[], layout: Layout, attrs: Record<string, Attr>, act: ActivationFunctionType, fusable: boolean,
): void {
  const y = ctx.out(0);
  const out = ctx.b.define(y.index, layout);
  if (act === ActivationFunctionType.NONE) {
    ctx.b.add(op, inputs, [out], attrs);
    return;
  }
  const form = ACTIVATIONS[act];
  if (!form) ctx.fail(`fused activation ${ActivationFunctionType[act] ?? act} is not supported`);
  const quantized = !!y.quant;
  if (form.attrs && (fusable || quantized)) {
    ctx.b.add(op, inputs, [out], { ...attrs, ...form.attrs });
    return;
  }
  if (quantized) ctx.fail(`fused ${form.name} on a quantized output is not supported; convert without fusing it`);
  const t = ctx.b.tensors.get(out)!;
  const pre = ctx.b.temp(`${out}/pre_${form.op.toLowerCase()}`, t.dtype, [...t.shape]);
  ctx.b.add(op, inputs, [pre], attrs);
  ctx.b.add(form.op, [pre], [out], form.opAttrs);
}

/** One spatial dim of TFLite SAME/VALID padding: output size and pads (the odd pixel goes at the end). */
export function tflitePadding(padding: Padding, size: number, kernel: number, stride: number, dilation = 1): { out: number; begin: number; end: number } {
  const eff = (kernel - 1) * dilation + 1;
  const out = padding === Padding.SAME ? Math.floor((size + stride - 1) / stride) : Math.floor((size + stride - eff) / stride);
  const total = Math.max(0, (out - 1) * stride + eff - size);
  const begin = Math.floor(total / 2);
  return { out, begin, end: total - begin };
}

/** IR attribute helpers. */
export const ints = (value: number[]): Attr => ({ type: 'ints', value });
export const int = (value: number): Attr => ({ type: 'int', value });
export const float = f;
export const str = s;

/** IR dtypes a Quantize/Requantize node can write. */
export const QUANT_OUT: readonly DType[] = ['int8', 'uint8', 'int16', 'int32'];
