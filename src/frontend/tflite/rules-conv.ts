/** TFLite convolution, fully-connected and pooling operators → IR Conv / ConvTranspose / Gemm / pools (NCHW, weights permuted at import). */
import type { Attr } from '../../ir/types.js';
import { numel } from '../../ir/dtype.js';
import {
  ActivationFunctionType, Conv2DOptions, DepthwiseConv2DOptions, FullyConnectedOptions, FullyConnectedOptionsWeightsFormat, Pool2DOptions, TransposeConvOptions,
} from './generated/index.js';
import { emitWithActivation, int, ints, tflitePadding, type OpCtx, type TfliteRule } from './context.js';

/** OHWI (conv filters) → OIHW; also 1HWC (depthwise) → C1HW and OHWI (transpose-conv filters) → IOHW. */
const OHWI_TO_OIHW = [0, 3, 1, 2];
const LAST_FIRST = [3, 0, 1, 2];

/** Explicit pads [top, left, bottom, right] of a 2-D window op, checked against the output tensor's size. */
function windowPads(ctx: OpCtx, padding: number, kernel: [number, number], stride: [number, number], dilation: [number, number]): number[] {
  const x = ctx.in(0).shape;
  const y = ctx.out(0).shape;
  const dims = [0, 1].map((i) => tflitePadding(padding, x[1 + i], kernel[i], stride[i], dilation[i]));
  dims.forEach((d, i) => {
    if (d.out !== y[1 + i]) ctx.fail(`output ${['height', 'width'][i]} is ${y[1 + i]} but the input, filter and padding give ${d.out}`);
  });
  return [dims[0].begin, dims[1].begin, dims[0].end, dims[1].end];
}

/** Bias operand (input k) as the IR bias, if present. */
function bias(ctx: OpCtx, k: number): string[] {
  return ctx.has(k) ? [ctx.view(k, 'nhwc')] : [];
}

/** Constant filter of input k permuted into the IR layout. */
function filter(ctx: OpCtx, k: number, perm: readonly number[]): string {
  const w = ctx.constIn(k, 'the filter');
  if (w.shape.length !== 4) ctx.fail(`the filter has rank ${w.shape.length}; CONV filters are 4-D`);
  return ctx.b.permuted(w.index, perm, 'filter');
}

const conv2d: TfliteRule = (ctx) => {
  const o = ctx.options(() => new Conv2DOptions());
  const [x, w] = [ctx.in(0), ctx.in(1)];
  if (x.shape.length !== 4) ctx.fail(`input has rank ${x.shape.length}; CONV_2D takes NHWC`);
  const group = x.shape[3] / w.shape[3];
  if (!Number.isInteger(group)) ctx.fail(`input depth ${x.shape[3]} is not a multiple of the filter depth ${w.shape[3]}`);
  const kernel: [number, number] = [w.shape[1], w.shape[2]];
  const stride: [number, number] = [o.strideH(), o.strideW()];
  const dilation: [number, number] = [o.dilationHFactor(), o.dilationWFactor()];
  const attrs: Record<string, Attr> = {
    kernel_shape: ints(kernel), strides: ints(stride), dilations: ints(dilation), pads: ints(windowPads(ctx, o.padding(), kernel, stride, dilation)), group: int(group),
  };
  emitWithActivation(ctx, 'Conv', [ctx.view(0, 'nchw'), filter(ctx, 1, OHWI_TO_OIHW), ...bias(ctx, 2)], 'nchw', attrs, o.fusedActivationFunction(), true);
};

const depthwiseConv2d: TfliteRule = (ctx) => {
  const o = ctx.options(() => new DepthwiseConv2DOptions());
  const [x, w, y] = [ctx.in(0), ctx.in(1), ctx.out(0)];
  if (x.shape.length !== 4) ctx.fail(`input has rank ${x.shape.length}; DEPTHWISE_CONV_2D takes NHWC`);
  if (w.shape[3] !== y.shape[3] || y.shape[3] % x.shape[3] !== 0)
    ctx.fail(`filter depth ${w.shape[3]} must equal the output depth ${y.shape[3]}, a multiple of the input depth ${x.shape[3]}`);
  const kernel: [number, number] = [w.shape[1], w.shape[2]];
  const stride: [number, number] = [o.strideH(), o.strideW()];
  const dilation: [number, number] = [o.dilationHFactor(), o.dilationWFactor()];
  const attrs: Record<string, Attr> = {
    kernel_shape: ints(kernel), strides: ints(stride), dilations: ints(dilation), pads: ints(windowPads(ctx, o.padding(), kernel, stride, dilation)), group: int(x.shape[3]),
  };
  emitWithActivation(ctx, 'Conv', [ctx.view(0, 'nchw'), filter(ctx, 1, LAST_FIRST), ...bias(ctx, 2)], 'nchw', attrs, o.fusedActivationFunction(), true);
};

/** TRANSPOSE_CONV (output_shape, filter, input, bias): the output shape tensor is read only for its static size. */
const transposeConv: TfliteRule = (ctx) => {
  const o = ctx.options(() => new TransposeConvOptions());
  const [w, x, y] = [ctx.in(1), ctx.in(2), ctx.out(0)];
  if (x.shape.length !== 4) ctx.fail(`input has rank ${x.shape.length}; TRANSPOSE_CONV takes NHWC`);
  if (w.shape[3] !== x.shape[3] || w.shape[0] !== y.shape[3]) ctx.fail(`filter [${w.shape}] does not map input depth ${x.shape[3]} to output depth ${y.shape[3]}`);
  const pads = [0, 0, 0, 0];
  const outPad = [0, 0];
  const stride = [o.strideH(), o.strideW()];
  for (let i = 0; i < 2; i++) {
    const k = w.shape[1 + i];
    // TFLite pads by the padding a forward conv from the output size would need.
    const begin = tflitePadding(o.padding(), y.shape[1 + i], k, stride[i]).begin;
    const end = (x.shape[1 + i] - 1) * stride[i] + k - begin - y.shape[1 + i];
    pads[i] = begin;
    if (end >= 0) pads[2 + i] = end;
    else if (-end < stride[i]) outPad[i] = -end;
    else ctx.fail(`output ${['height', 'width'][i]} ${y.shape[1 + i]} cannot be reached from input ${x.shape[1 + i]} with stride ${stride[i]}`);
  }
  const attrs: Record<string, Attr> = { kernel_shape: ints([w.shape[1], w.shape[2]]), strides: ints(stride), pads: ints(pads), output_padding: ints(outPad) };
  emitWithActivation(ctx, 'ConvTranspose', [ctx.view(2, 'nchw'), filter(ctx, 1, LAST_FIRST), ...bias(ctx, 3)], 'nchw', attrs, o.fusedActivationFunction(), true);
};

/** FULLY_CONNECTED: input flattened to [batch, depth] in TFLite order, Gemm with the [units, depth] weights. */
const fullyConnected: TfliteRule = (ctx) => {
  const o = ctx.options(() => new FullyConnectedOptions());
  if (o.weightsFormat() !== FullyConnectedOptionsWeightsFormat.DEFAULT) ctx.fail('shuffled weight formats are not supported; convert with the default weights format');
  const [x, w, y] = [ctx.in(0), ctx.in(1), ctx.out(0)];
  if (!w.data) ctx.fail('the weights (input 1) must be constant');
  if (x.dtype !== 'float32' && w.dtype !== x.dtype && !(x.dtype === 'int16' && w.dtype === 'int8'))
    ctx.fail(`hybrid ${x.dtype} x ${w.dtype} fully-connected layers are not supported; use a fully quantized or float model`);
  const depth = w.shape[1];
  const batch = numel(x.shape) / depth;
  let a = ctx.view(0, 'nhwc');
  if (x.shape.length !== 2 || x.shape[1] !== depth) {
    const flat = ctx.b.temp(`${a}:2d`, x.dtype, [batch, depth], x.quant);
    ctx.b.reshape(a, flat, [batch, depth]);
    a = flat;
  }
  const inputs = [a, ctx.view(1, 'nhwc'), ...bias(ctx, 2)];
  const attrs = { transB: int(1) };
  if (y.shape.length === 2) return emitWithActivation(ctx, 'Gemm', inputs, 'nhwc', attrs, o.fusedActivationFunction(), true);
  // keep_num_dims: Gemm on the flattened rows, then back to the output's rank.
  if (o.fusedActivationFunction() !== ActivationFunctionType.NONE) ctx.fail('keep_num_dims with a fused activation is not supported; convert without keep_num_dims');
  const out = ctx.b.define(y.index, 'nhwc');
  const mid = ctx.b.temp(`${out}:2d`, y.dtype, [batch, w.shape[0]], y.quant);
  ctx.b.add('Gemm', inputs, [mid], attrs);
  ctx.b.reshape(mid, out, y.shape);
};

/** AVERAGE_POOL_2D / MAX_POOL_2D: NCHW windows; TFLite's average excludes padding. */
function pool(op: 'AveragePool' | 'MaxPool'): TfliteRule {
  return (ctx) => {
    const o = ctx.options(() => new Pool2DOptions());
    if (ctx.in(0).shape.length !== 4) ctx.fail(`input has rank ${ctx.in(0).shape.length}; pooling takes NHWC`);
    const kernel: [number, number] = [o.filterHeight(), o.filterWidth()];
    const stride: [number, number] = [o.strideH(), o.strideW()];
    const attrs: Record<string, Attr> = { kernel_shape: ints(kernel), strides: ints(stride), pads: ints(windowPads(ctx, o.padding(), kernel, stride, [1, 1])) };
    if (op === 'AveragePool') attrs.count_include_pad = int(0);
    emitWithActivation(ctx, op, [ctx.view(0, 'nchw')], 'nchw', attrs, o.fusedActivationFunction(), false);
  };
}

/** Convolution, fully-connected and pooling rules by builtin name. */
export const CONV_RULES: Record<string, TfliteRule> = {
  CONV_2D: conv2d,
  DEPTHWISE_CONV_2D: depthwiseConv2d,
  TRANSPOSE_CONV: transposeConv,
  FULLY_CONNECTED: fullyConnected,
  AVERAGE_POOL_2D: pool('AveragePool'),
  MAX_POOL_2D: pool('MaxPool'),
};
