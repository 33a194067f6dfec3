/** TFLite shape and data-movement operators → IR Reshape / Pad / Slice / Concat / ReduceMean, with axes mapped into the operand's layout. */
import { numel } from '../../ir/dtype.js';
import { dequantizeData } from '../../quant/params.js';
import { ConcatenationOptions, ActivationFunctionType, ReducerOptions, StridedSliceOptions } from './generated/index.js';
import { axisIn, permOf, TO_NHWC, type Layout } from './builder.js';
import { isQuantized } from '../../ops/qform.js';
import { emitWithActivation, float, int, ints, type OpCtx, type TfliteRule } from './context.js';

/** RESHAPE, SQUEEZE, EXPAND_DIMS: a Reshape in TFLite order to the output tensor's static shape. */
const reshape: TfliteRule = (ctx) => {
  const [x, y] = [ctx.in(0), ctx.out(0)];
  if (numel(x.shape) !== numel(y.shape)) ctx.fail(`cannot reshape [${x.shape}] to [${y.shape}]`);
  ctx.b.reshape(ctx.view(0, 'nhwc'), ctx.b.define(y.index, 'nhwc'), y.shape);
};

/** PAD / PADV2: constant padding in the input's layout; PADV2's value is dequantized (it re-quantizes to itself). */
const pad: TfliteRule = (ctx) => {
  const x = ctx.in(0);
  const p = ctx.constIn(1, 'paddings');
  const r = x.shape.length;
  if (p.data.length !== 2 * r) ctx.fail(`paddings have ${p.data.length} values for rank ${r}; give [rank, 2]`);
  const layout = ctx.home(0);
  const perm = permOf(r, layout);
  const pads = [...perm.map((a) => p.data[2 * a]), ...perm.map((a) => p.data[2 * a + 1])];
  let value = 0;
  if (ctx.has(2)) {
    const c = ctx.constIn(2, 'the constant value');
    value = isQuantized(c) ? dequantizeData(c.data, c.shape, c.quant!)[0] : c.data[0];
  }
  ctx.b.add('Pad', [ctx.view(0, layout)], [ctx.b.define(ctx.out(0).index, layout)], { pads: ints(pads), mode: { type: 'string', value: 'constant' }, value: float(value) });
};

/** TFLite StridedSliceStartForAxis / EndForAxis: the resolved [start, stop) of one axis. */
function sliceRange(size: number, begin: number, end: number, stride: number, bit: number, o: StridedSliceOptions): [number, number] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let start = begin < 0 ? begin + size : begin;
  start = stride > 0 ? clamp(start, 0, size) : clamp(start, -1, size - 1);
  if (o.beginMask() & bit) start = stride > 0 ? 0 : size - 1;
  if (o.shrinkAxisMask() & bit) return [start, start >= size ? start : start + 1];
  let stop = o.offset() ? end + start : end;
  if (stop < 0) stop += size;
  stop = stride > 0 ? clamp(stop, 0, size) : clamp(stop, -1, size - 1);
  if (o.endMask() & bit) stop = stride > 0 ? size : -1;
  return [start, stop];
}

/** STRIDED_SLICE: a Slice in the input's layout; shrunk axes are dropped by a Reshape in TFLite order. */
const stridedSlice: TfliteRule = (ctx) => {
  const o = ctx.options(() => new StridedSliceOptions());
  if (o.ellipsisMask() || o.newAxisMask()) ctx.fail('ellipsis_mask and new_axis_mask are not supported; convert with explicit begin/end per axis');
  const [x, y] = [ctx.in(0), ctx.out(0)];
  const [b, e, s] = [ctx.constIn(1, 'begin'), ctx.constIn(2, 'end'), ctx.has(3) ? ctx.constIn(3, 'strides') : undefined];
  const r = x.shape.length;
  if (b.data.length !== r) ctx.fail(`begin has ${b.data.length} values for an input of rank ${r}`);
  const ranges = x.shape.map((size, a) => {
    const stride = s ? s.data[a] : 1;
    if (stride === 0) ctx.fail(`stride of axis ${a} is 0`);
    const [start, stop] = sliceRange(size, b.data[a], e.data[a], stride, 1 << a, o);
    return { start, stop, stride, count: Math.max(0, Math.ceil((stop - start) / stride)) };
  });
  const kept = ranges.filter((_, a) => !(o.shrinkAxisMask() & (1 << a))).map((g) => g.count);
  if (kept.join('x') !== y.shape.join('x')) ctx.fail(`the slice gives [${kept}] but the output tensor is [${y.shape}]`);
  const layout = ctx.home(0);
  const perm = permOf(r, layout);
  const i64 = (stem: string, v: number[]) => ctx.b.constant(`${ctx.b.tensors.get(ctx.view(0, layout))!.name}/${stem}`, { dtype: 'int64', shape: [r], data: Float64Array.from(v) });
  // A negative stop (-1: before index 0) must not read as "from the end" in the IR's Slice.
  const stops = perm.map((a) => (ranges[a].stop < 0 ? -(x.shape[a] + 1) : ranges[a].stop));
  const inputs = [ctx.view(0, layout), i64('starts', perm.map((a) => ranges[a].start)), i64('ends', stops), i64('axes', perm.map((_, i) => i)), i64('steps', perm.map((a) => ranges[a].stride))];
  if (kept.length === r) {
    ctx.b.add('Slice', inputs, [ctx.b.define(y.index, layout)]);
    return;
  }
  const full = ranges.map((g) => g.count);
  const sliced = ctx.b.temp(`${ctx.b.tensors.get(inputs[0])!.name}/slice`, x.dtype, perm.map((a) => full[a]), x.quant);
  ctx.b.add('Slice', inputs, [sliced]);
  let flat = sliced;
  if (layout === 'nchw') {
    flat = ctx.b.temp(`${sliced}:nhwc`, x.dtype, full, x.quant);
    ctx.b.permute(sliced, flat, TO_NHWC);
  }
  ctx.b.reshape(flat, ctx.b.define(y.index, 'nhwc'), y.shape);
};

/** CONCATENATION along a TFLite axis, in the layout of the first operand. */
const concatenation: TfliteRule = (ctx) => {
  const o = ctx.options(() => new ConcatenationOptions());
  const rank = ctx.out(0).shape.length;
  const layout: Layout = rank === 4 && ctx.home(0) === 'nchw' ? 'nchw' : 'nhwc';
  const inputs = ctx.op.inputs.map((t) => ctx.b.view(t, layout));
  emitWithActivation(ctx, 'Concat', inputs, layout, { axis: int(axisIn(o.axis(), rank, layout)) }, o.fusedActivationFunction(), false);
};

/** MEAN over constant axes; kept dims stay in the input's layout, reduced ranks are computed in TFLite order. */
const mean: TfliteRule = (ctx) => {
  const keep = ctx.optional(() => new ReducerOptions())?.keepDims() ?? false;
  const x = ctx.in(0);
  const axes = Array.from(ctx.constIn(1, 'axes').data, (a) => (a < 0 ? a + x.shape.length : a));
  const layout: Layout = keep ? ctx.home(0) : 'nhwc';
  const irAxes = [...new Set(axes.map((a) => axisIn(a, x.shape.length, layout)))].sort((p, q) => p - q);
  emitWithActivation(ctx, 'ReduceMean', [ctx.view(0, layout)], layout, { axes: ints(irAxes), keepdims: int(keep ? 1 : 0) }, ActivationFunctionType.NONE, false);
};

/** Shape and data-movement rules by builtin name. */
export const SHAPE_RULES: Record<string, TfliteRule> = {
  RESHAPE: reshape,
  SQUEEZE: reshape,
  EXPAND_DIMS: reshape,
  PAD: pad,
  PADV2: pad,
  STRIDED_SLICE: stridedSlice,
  CONCATENATION: concatenation,
  MEAN: mean,
};
