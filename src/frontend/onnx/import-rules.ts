/** ONNX op → IR op table: how each supported ONNX op (at any opset 7-21) becomes canonical IR nodes. */
import type { Attr, DType, Node, Value } from '../../ir/types.js';
import { EdgecError } from '../../util/errors.js';
import { dtypeOf } from './proto.js';
import { MS_QUANT_RULES, ONNX_QUANT_RULES } from './qdq-rules.js';

/** What an import rule can ask about the model while rewriting one node. */
export interface ImportCtx {
  opset: number;
  /** The constant value behind a tensor name (initializer or Constant output), if any. */
  constOf(name: string): Value | undefined;
  /** Rank of a tensor known at import (graph inputs and constants), if any. */
  rankOf(name: string): number | undefined;
  /** Register a new constant tensor and return its name. */
  addConst(stem: string, v: Value): string;
}

/** A rule rewrites one ONNX node (already holding typed attrs) into IR nodes. */
export type ImportRule = (node: Node, ctx: ImportCtx) => Node[];

const same: ImportRule = (n) => [n];

function where(n: Node): string {
  return `node '${n.name}' (${n.op})`;
}

/** Numbers of a constant input, or an error saying the input must be constant. */
function constNumbers(n: Node, ctx: ImportCtx, i: number, what: string): number[] | undefined {
  const name = n.inputs[i];
  if (!name) return undefined;
  const v = ctx.constOf(name);
  if (!v) throw new EdgecError(`${where(n)}: ${what} must be a constant for static compilation`);
  return Array.from(v.data as ArrayLike<number>);
}

const ints = (value: number[]): Attr => ({ type: 'ints', value });
const floats = (value: number[]): Attr => ({ type: 'floats', value });
const float = (value: number): Attr => ({ type: 'float', value });
const str = (value: string): Attr => ({ type: 'string', value });

/** Move constant input `i` into an ints attribute `attr` (opset upgrades: axes, split, pads). */
function inputToInts(i: number, attr: string, what: string): ImportRule {
  return (n, ctx) => {
    const v = constNumbers(n, ctx, i, what);
    if (v !== undefined) n.attrs[attr] = ints(v);
    n.inputs = n.inputs.slice(0, i);
    return [n];
  };
}

const clip: ImportRule = (n, ctx) => {
  if (ctx.opset >= 11) {
    const lo = constNumbers(n, ctx, 1, 'Clip min');
    const hi = constNumbers(n, ctx, 2, 'Clip max');
    if (lo) n.attrs.min = float(lo[0]);
    if (hi) n.attrs.max = float(hi[0]);
    n.inputs = n.inputs.slice(0, 1);
  }
  return [n];
};

const pad: ImportRule = (n, ctx) => {
  if (ctx.opset >= 11) {
    const pads = constNumbers(n, ctx, 1, 'Pad pads');
    const value = constNumbers(n, ctx, 2, 'Pad constant_value');
    const axes = constNumbers(n, ctx, 3, 'Pad axes');
    if (pads) n.attrs.pads = ints(pads);
    if (value) n.attrs.value = float(value[0] ?? 0);
    if (axes) n.attrs.axes = ints(axes);
    n.inputs = n.inputs.slice(0, 1);
  } else if (n.attrs.paddings && !n.attrs.pads) {
    n.attrs.pads = n.attrs.paddings;
  }
  return [n];
};

const reduce = (inputSince: number): ImportRule => (n, ctx) => (ctx.opset >= inputSince ? inputToInts(1, 'axes', 'reduction axes')(n, ctx) : [n]);

const split: ImportRule = (n, ctx) => (ctx.opset >= 13 ? inputToInts(1, 'split', 'Split sizes')(n, ctx) : [n]);

const squeezeLike: ImportRule = (n, ctx) => (ctx.opset >= 13 ? inputToInts(1, 'axes', `${n.op} axes`)(n, ctx) : [n]);

const softmaxLike: ImportRule = (n, ctx) => {
  const legacy = ctx.opset < 13;
  if (!n.attrs.axis) n.attrs.axis = { type: 'int', value: legacy ? 1 : -1 };
  n.attrs.coerce2d = { type: 'int', value: legacy ? 1 : 0 };
  return [n];
};

const slice: ImportRule = (n, ctx) => {
  if (ctx.opset < 10) {
    const get = (k: string) => (n.attrs[k] as { value: number[] } | undefined)?.value;
    const starts = get('starts') ?? [];
    const mk = (stem: string, v: number[]) =>
      ctx.addConst(`${n.name}_${stem}`, { dtype: 'int64', shape: [v.length], data: Float64Array.from(v) });
    const inputs = [n.inputs[0], mk('starts', starts), mk('ends', get('ends') ?? [])];
    const axes = get('axes');
    if (axes) inputs.push(mk('axes', axes));
    n.inputs = inputs;
    n.attrs = {};
  }
  return [n];
};

const reshape: ImportRule = (n, ctx) => {
  const shape = (n.attrs.shape as { value: number[] } | undefined)?.value;
  if (shape && n.inputs.length === 1) {
    n.inputs.push(ctx.addConst(`${n.name}_shape`, { dtype: 'int64', shape: [shape.length], data: Float64Array.from(shape) }));
    delete n.attrs.shape;
  }
  return [n];
};

const cast: ImportRule = (n) => {
  const to = n.attrs.to;
  if (!to || to.type !== 'int') throw new EdgecError(`${where(n)}: attribute 'to' is missing`);
  n.attrs.to = str(dtypeOf(to.value, where(n)) satisfies DType);
  return [n];
};

/** Resize (opsets 10-19) and Upsample become Resize with constant `scales` or `sizes` attributes. */
const resize: ImportRule = (n, ctx) => {
  const legacy = n.op === 'Upsample' || ctx.opset < 11;
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  if (n.op === 'Upsample' && n.attrs.scales) scales = (n.attrs.scales as { value: number[] }).value;
  else if (legacy) scales = constNumbers(n, ctx, 1, 'Resize scales');
  else {
    scales = constNumbers(n, ctx, 2, 'Resize scales');
    sizes = constNumbers(n, ctx, 3, 'Resize sizes');
    if (scales && !scales.length) scales = undefined;
  }
  if (n.attrs.axes) throw new EdgecError(`${where(n)}: Resize with 'axes' is not supported; export without axes`);
  const attrs: Record<string, Attr> = {
    mode: str((n.attrs.mode as { value: string } | undefined)?.value ?? 'nearest'),
    coordinate_transformation_mode: str(
      legacy ? 'asymmetric' : ((n.attrs.coordinate_transformation_mode as { value: string } | undefined)?.value ?? 'half_pixel'),
    ),
    nearest_mode: str(legacy ? 'floor' : ((n.attrs.nearest_mode as { value: string } | undefined)?.value ?? 'round_prefer_floor')),
    cubic_coeff_a: float((n.attrs.cubic_coeff_a as { value: number } | undefined)?.value ?? -0.75),
    exclude_outside: { type: 'int', value: (n.attrs.exclude_outside as { value: number } | undefined)?.value ?? 0 },
  };
  if (sizes && sizes.length) attrs.sizes = ints(sizes);
  else if (scales) attrs.scales = floats(scales);
  else throw new EdgecError(`${where(n)}: Resize needs constant scales or sizes`);
  return [{ ...n, op: 'Resize', inputs: [n.inputs[0]], attrs }];
};

/** PRelu before opset 7 applied a 1-D slope per channel (axis 1); reshape it to [C, 1, ...] for numpy broadcasting. */
const prelu: ImportRule = (n, ctx) => {
  const slope = ctx.constOf(n.inputs[1]);
  if (ctx.opset >= 7 || !slope || slope.shape.length !== 1 || slope.shape[0] === 1) return [n];
  const rank = ctx.rankOf(n.inputs[0]);
  if (rank === undefined) throw new EdgecError(`${where(n)}: PRelu-6 with a per-channel slope needs the input rank; re-export the model at opset >= 7`);
  n.inputs[1] = ctx.addConst(`${n.name}_slope`, { ...slope, shape: [slope.shape[0], ...new Array<number>(Math.max(0, rank - 2)).fill(1)] });
  return [n];
};

const firstOutputOnly: ImportRule = (n) => {
  n.outputs = n.outputs.slice(0, 1);
  return [n];
};

/** Every ONNX op edgec imports, with its rule; the IR op it yields must be in the op registry. */
export const ONNX_IMPORT_RULES: Record<string, ImportRule> = {
  Abs: same, Add: same, And: same, ArgMax: same, ArgMin: same, AveragePool: same,
  BatchNormalization: firstOutputOnly, Cast: cast, Ceil: same, Clip: clip, Concat: same,
  ConstantOfShape: same, Conv: same, ConvTranspose: same, Cos: same, DepthToSpace: same, Div: same,
  Dropout: firstOutputOnly, Elu: same, Equal: same, Erf: same, Exp: same, Expand: same, Flatten: same,
  Floor: same, Gather: same, Gelu: same, Gemm: same, GlobalAveragePool: same, GlobalMaxPool: same, Greater: same,
  GreaterOrEqual: same, HardSigmoid: same, HardSwish: same, Identity: same, InstanceNormalization: same,
  LayerNormalization: firstOutputOnly, LeakyRelu: same, Less: same, LessOrEqual: same, Log: same,
  LogSoftmax: softmaxLike, LRN: same, MatMul: same, Max: same, MaxPool: firstOutputOnly, Mean: same, Min: same,
  Mod: same, Mul: same, Neg: same, Or: same, Pad: pad, Pow: same, PRelu: prelu, Range: same, Reciprocal: same,
  ReduceL2: reduce(18), ReduceLogSumExp: reduce(18), ReduceMax: reduce(18), ReduceMean: reduce(18),
  ReduceMin: reduce(18), ReduceProd: reduce(18), ReduceSum: reduce(13), ReduceSumSquare: reduce(18),
  Relu: same, Reshape: reshape, Resize: resize, Round: same, Selu: same, Shape: same, Shrink: same,
  Sigmoid: same, Sign: same, Sin: same, Slice: slice, Softmax: softmaxLike, Softplus: same, Softsign: same,
  SpaceToDepth: same, Split: split, Sqrt: same, Squeeze: squeezeLike, Sub: same, Sum: same, Tanh: same,
  Tile: same, Transpose: same, Unsqueeze: squeezeLike, Upsample: resize, Where: same,
  ...ONNX_QUANT_RULES,
};

/** Rules of other op domains, by domain. */
export const DOMAIN_IMPORT_RULES: Record<string, Record<string, ImportRule>> = {
  'com.microsoft': MS_QUANT_RULES,
};

/** ONNX ops imported as a different IR op (the rest keep their name); quantized ones compile in their integer form. */
export const IMPORTED_AS: Record<string, { ir: string; integer?: boolean }> = {
  Upsample: { ir: 'Resize' },
  QuantizeLinear: { ir: 'Quantize', integer: true },
  DequantizeLinear: { ir: 'Dequantize', integer: true },
  QLinearConv: { ir: 'Conv', integer: true },
  QLinearMatMul: { ir: 'MatMul', integer: true },
  'com.microsoft.QLinearAdd': { ir: 'Add', integer: true },
  'com.microsoft.QLinearMul': { ir: 'Mul', integer: true },
  'com.microsoft.QLinearGlobalAveragePool': { ir: 'GlobalAveragePool', integer: true },
  'com.microsoft.QLinearSigmoid': { ir: 'LookupTable', integer: true },
  'com.microsoft.QLinearLeakyRelu': { ir: 'LeakyRelu', integer: true },
  'com.microsoft.QLinearAveragePool': { ir: 'AveragePool', integer: true },
  'com.microsoft.QLinearConcat': { ir: 'Concat', integer: true },
  'com.microsoft.QuantizeLinear': { ir: 'Quantize', integer: true },
  'com.microsoft.DequantizeLinear': { ir: 'Dequantize', integer: true },
};

/** Every imported op name (domain-qualified outside the default domain). */
export function importedOps(): string[] {
  return [...Object.keys(ONNX_IMPORT_RULES), ...Object.entries(DOMAIN_IMPORT_RULES).flatMap(([d, r]) => Object.keys(r).map((k) => `${d}.${k}`))];
}
