/** TFLite elementwise, activation, quantization and softmax operators → IR, computed in whatever layout their input already has. */
import type { Attr } from '../../ir/types.js';
import { AddOptions, ActivationFunctionType, LeakyReluOptions, MulOptions, SoftmaxOptions, SubOptions } from './generated/index.js';
import { isQuantized } from '../../ops/qform.js';
import { emitWithActivation, float, int, QUANT_OUT, str, type OpCtx, type TfliteRule } from './context.js';
import { axisIn, type Layout } from './builder.js';

/** The layout of a same-rank elementwise result: NCHW when a 4-D operand already lives there. */
function sharedLayout(ctx: OpCtx): Layout {
  const rank = ctx.out(0).shape.length;
  const nchw = ctx.op.inputs.some((t) => t >= 0 && ctx.b.tensor(t).shape.length === 4 && ctx.b.home(t) === 'nchw');
  return rank === 4 && nchw ? 'nchw' : 'nhwc';
}

/** ADD/SUB/MUL with TFLite (numpy) broadcasting and a fused activation. */
function binary(op: 'Add' | 'Sub' | 'Mul', act: (ctx: OpCtx) => ActivationFunctionType): TfliteRule {
  return (ctx) => {
    const layout = sharedLayout(ctx);
    const rank = ctx.out(0).shape.length;
    const inputs = [0, 1].map((k) => ctx.b.broadcastView(ctx.in(k).index, rank, layout));
    emitWithActivation(ctx, op, inputs, layout, {}, act(ctx), false);
  };
}

/** A unary op in its input's layout. */
function unary(op: string, attrs: (ctx: OpCtx) => Record<string, Attr> = () => ({})): TfliteRule {
  return (ctx) => {
    const layout = ctx.home(0);
    ctx.b.add(op, [ctx.view(0, layout)], [ctx.b.define(ctx.out(0).index, layout)], attrs(ctx));
  };
}

/** QUANTIZE: float → int is Quantize (TFLite rounds half away from zero); int → int is Requantize. */
const quantize: TfliteRule = (ctx) => {
  const [x, y] = [ctx.in(0), ctx.out(0)];
  if (!y.quant || !QUANT_OUT.includes(y.dtype)) ctx.fail(`output must be a quantized ${QUANT_OUT.join('/')} tensor, not ${y.dtype}`);
  if (y.quant!.scale.length !== 1) ctx.fail('per-channel QUANTIZE outputs are not supported');
  if (x.dtype === 'float32') return unary('Quantize', () => ({ to: str(y.dtype), rounding: str('half_away_from_zero') }))(ctx);
  if (!isQuantized(x)) ctx.fail(`input ${x.dtype} has no quantization parameters`);
  unary('Requantize', () => ({ to: str(y.dtype) }))(ctx);
};

/** DEQUANTIZE: int → float; a float input (float16 weights widened at import) passes through. */
const dequantize: TfliteRule = (ctx) => unary(isQuantized(ctx.in(0)) ? 'Dequantize' : 'Identity')(ctx);

/** SOFTMAX over the last TFLite axis; beta != 1 scales a float input first. */
const softmax: TfliteRule = (ctx) => {
  const o = ctx.options(() => new SoftmaxOptions());
  const x = ctx.in(0);
  const layout = ctx.home(0);
  const axis = axisIn(x.shape.length - 1, x.shape.length, layout);
  let input = ctx.view(0, layout);
  if (o.beta() !== 1) {
    if (isQuantized(x)) ctx.fail(`quantized SOFTMAX with beta ${o.beta()} is not supported; use beta 1`);
    const beta = ctx.b.constant(`${input}/beta`, { dtype: 'float32', shape: [], data: Float32Array.of(o.beta()) });
    const scaled = ctx.b.temp(`${input}/scaled`, 'float32', [...ctx.b.tensors.get(input)!.shape]);
    ctx.b.add('Mul', [input, beta], [scaled]);
    input = scaled;
  }
  ctx.b.add('Softmax', [input], [ctx.b.define(ctx.out(0).index, layout)], { axis: int(axis), coerce2d: int(0) });
};

/** Elementwise, activation and quantization rules by builtin name. */
export const ELEMENTWISE_RULES: Record<string, TfliteRule> = {
  ADD: binary('Add', (ctx) => ctx.optional(() => new AddOptions())?.fusedActivationFunction() ?? ActivationFunctionType.NONE),
  SUB: binary('Sub', (ctx) => ctx.optional(() => new SubOptions())?.fusedActivationFunction() ?? ActivationFunctionType.NONE),
  MUL: binary('Mul', (ctx) => ctx.optional(() => new MulOptions())?.fusedActivationFunction() ?? ActivationFunctionType.NONE),
  LEAKY_RELU: unary('LeakyRelu', (ctx) => ({ alpha: float(ctx.options(() => new LeakyReluOptions()).alpha()) })),
  RELU: unary('Relu'),
  RELU6: unary('Clip', () => ({ min: float(0), max: float(6) })),
  RELU_N1_TO_1: unary('Clip', () => ({ min: float(-1), max: float(1) })),
  LOGISTIC: unary('Sigmoid'),
  TANH: unary('Tanh'),
  HARD_SWISH: unary('HardSwish'),
  QUANTIZE: quantize,
  DEQUANTIZE: dequantize,
  SOFTMAX: softmax,
};
