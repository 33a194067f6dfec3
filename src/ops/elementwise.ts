/** Elementwise ops: unary activations and math, broadcasting binary arithmetic, variadic Sum/Max/Min/Mean. */
import type { DType, Node, TensorInfo, Value } from '../ir/types.js';
import { attrFloat, attrInt, attrString } from '../ir/attrs.js';
import { allocData, DTYPES, numel } from '../ir/dtype.js';
import type { OpDef } from './registry.js';
import { broadcastShapes, forEachBroadcast, makeValue, nodeError, requireInput } from './util.js';
import type { QTensorInfo, QValue } from '../ir/quant.js';
import { INT8_16_TYPES, INT8_TYPES, isQuantized, requireQuantOf, withIntForms, type IntForm } from './qform.js';
import { clampInt } from '../quant/fixed-point.js';
import { dequantizeData, qRange, quantizeData } from '../quant/params.js';
import { clampRange, outputClamp } from '../quant/requant.js';
import {
  addElem, addParams, leakyReluElem, leakyReluParams, mulElem, mulParams, preluElem, preluParams, requantElem, requantParams,
} from '../quant/kernels.js';

/** A unary op's scalar semantics, specialised to a node's attributes. */
export type UnaryFn = (node: Node) => (x: number) => number;

const UNARY_DEFS = {
  Relu: () => (x) => (x > 0 ? x : 0),
  Sigmoid: () => (x) => 1 / (1 + Math.exp(-x)),
  Tanh: () => Math.tanh,
  Exp: () => Math.exp,
  Log: () => Math.log,
  Sqrt: () => Math.sqrt,
  Abs: () => Math.abs,
  Neg: () => (x) => -x,
  Reciprocal: () => (x) => 1 / x,
  Floor: () => Math.floor,
  Ceil: () => Math.ceil,
  Round: () => roundHalfEven,
  Sign: () => Math.sign,
  Sin: () => Math.sin,
  Cos: () => Math.cos,
  Erf: () => erf,
  /** GELU: x * Phi(x) with the exact erf form, or the tanh approximation when approximate='tanh' (ONNX opset 20). */
  Gelu: (n) =>
    attrString(n, 'approximate', 'none') === 'tanh'
      ? (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
      : (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  Softplus: () => (x) => (x > 20 ? x : Math.log1p(Math.exp(x))),
  Softsign: () => (x) => x / (1 + Math.abs(x)),
  LeakyRelu: (n) => {
    const a = attrFloat(n, 'alpha', 0.01);
    return (x) => (x >= 0 ? x : a * x);
  },
  Elu: (n) => {
    const a = attrFloat(n, 'alpha', 1);
    return (x) => (x >= 0 ? x : a * Math.expm1(x));
  },
  Selu: (n) => {
    const a = attrFloat(n, 'alpha', 1.6732632423543772);
    const g = attrFloat(n, 'gamma', 1.0507009873554805);
    return (x) => (x > 0 ? g * x : g * a * Math.expm1(x));
  },
  HardSigmoid: (n) => {
    const a = attrFloat(n, 'alpha', 0.2);
    const b = attrFloat(n, 'beta', 0.5);
    return (x) => Math.max(0, Math.min(1, a * x + b));
  },
  HardSwish: () => (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
  Shrink: (n) => {
    const bias = attrFloat(n, 'bias', 0);
    const lambd = attrFloat(n, 'lambd', 0.5);
    return (x) => (x < -lambd ? x + bias : x > lambd ? x - bias : 0);
  },
  /** Clip with constant bounds, as the importer normalises it (min/max attributes). */
  Clip: (n) => {
    const lo = attrFloat(n, 'min', -Infinity);
    const hi = attrFloat(n, 'max', Infinity);
    return (x) => (x < lo ? lo : x > hi ? hi : x);
  },
} satisfies Record<string, UnaryFn>;

/** Names of the unary ops (the keys a per-backend unary table must cover). */
export type UnaryOp = keyof typeof UNARY_DEFS;

/** Scalar float semantics of each unary op (attributes read from the node). */
export const UNARY: Record<string, UnaryFn> = UNARY_DEFS;

/** Every unary op name. */
export const UNARY_OPS = Object.keys(UNARY_DEFS) as UnaryOp[];

/** Unary ops ONNX also defines on integer tensors; the rest take float32/float64 only. */
export const INT_UNARY = new Set<UnaryOp>(['Relu', 'Abs', 'Neg', 'Sign', 'Clip', 'Shrink']);

/** Round half to even, as ONNX Round and C rint() do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/** erf accurate to double precision (Maclaurin series below 2.5, continued fraction for erfc above). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let k = 1; k < 60; k++) {
      term *= -x2 / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = 0;
    for (let k = 60; k >= 1; k--) f = k / 2 / (ax + f);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  }
  return x < 0 ? -r : r;
}

/** Floor modulo (result takes the divisor's sign), exact for integers: ONNX Mod with fmod=0. */
export function floorMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** Scalar semantics of each binary op (Mod here is fmod=0; fmod=1 is JS `%`). */
export const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: (a, b) => Math.pow(a, b),
  Max: (a, b) => (a > b ? a : b),
  Min: (a, b) => (a < b ? a : b),
  PRelu: (x, s) => (x < 0 ? s * x : x),
  Equal: (a, b) => (a === b ? 1 : 0),
  Less: (a, b) => (a < b ? 1 : 0),
  Greater: (a, b) => (a > b ? 1 : 0),
  LessOrEqual: (a, b) => (a <= b ? 1 : 0),
  GreaterOrEqual: (a, b) => (a >= b ? 1 : 0),
  And: (a, b) => (a && b ? 1 : 0),
  Or: (a, b) => (a || b ? 1 : 0),
  Mod: floorMod,
};

/** Binary ops whose output is bool. */
export const COMPARISONS = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or']);

/** True for float32/float64. */
export function isFloatType(d: DType): boolean {
  return DTYPES[d].isFloat;
}

/** Round to the element type after a float-semantics op (integer results truncate, float32 rounds, ints wrap). */
function store(out: Value, i: number, v: number): void {
  if (out.dtype === 'float32' || out.dtype === 'float64' || out.dtype === 'bool') out.data[i] = v;
  else out.data[i] = Math.trunc(v) + 0; // + 0 turns -0 into 0 (int64 lives in a Float64Array)
}

function unaryDef(op: UnaryOp): OpDef {
  return {
    op,
    summary: `elementwise ${op}${INT_UNARY.has(op) ? ' (float and integer)' : ''}`,
    infer({ node, inputs }) {
      const x = requireInput(node, inputs, 0);
      if (x.dtype === 'bool' || (!isFloatType(x.dtype) && !INT_UNARY.has(op) && !isQuantized(x)))
        nodeError(node, `input type ${x.dtype} is not supported (${op} takes ${INT_UNARY.has(op) ? 'numeric' : 'float'} tensors); insert a Cast`);
      return [{ dtype: x.dtype, shape: [...x.shape] }];
    },
    reference(node, [x]) {
      const f = UNARY[op](node);
      const v = x as Value;
      const out: Value = { dtype: v.dtype, shape: [...v.shape], data: allocData(v.dtype, v.data.length) };
      for (let i = 0; i < v.data.length; i++) store(out, i, f(v.data[i]));
      return [out];
    },
  };
}

/** The scalar function a binary node computes on its element type. */
export function binaryScalar(node: Node, dtype: DType): (a: number, b: number) => number {
  const op = node.op;
  const float = isFloatType(dtype);
  // Integer division and modulo by 0 give 0 (C would trap; ONNX leaves it undefined).
  if (op === 'Mod') {
    const f = attrInt(node, 'fmod', 0) ? (a: number, b: number) => a % b : floorMod;
    return float ? f : (a, b) => (b === 0 ? 0 : f(a, b));
  }
  if (op === 'Div' && !float) return (a, b) => (b === 0 ? 0 : Math.trunc(a / b));
  if (op === 'Mul' && dtype === 'int32') return Math.imul;
  if (op === 'Mul' && dtype === 'uint32') return (a, b) => Math.imul(a, b) >>> 0;
  if (op === 'Pow' && dtype === 'float32') return (a, b) => Math.pow(a, Math.fround(b));
  return BINARY[op];
}

function binaryDef(op: string, summary: string): OpDef {
  const cmp = COMPARISONS.has(op);
  const logical = op === 'And' || op === 'Or';
  return {
    op,
    summary,
    infer({ node, inputs }) {
      const a = requireInput(node, inputs, 0);
      const b = requireInput(node, inputs, 1);
      if (op !== 'Pow' && a.dtype !== b.dtype) nodeError(node, `input types ${a.dtype} and ${b.dtype} differ; insert a Cast so both match`);
      if (logical && a.dtype !== 'bool') nodeError(node, `inputs must be bool, not ${a.dtype}`);
      if (!cmp && (a.dtype === 'bool' || b.dtype === 'bool')) nodeError(node, `bool inputs are not supported for ${op}; Cast them to a numeric type`);
      if (op === 'Mod' && isFloatType(a.dtype) && !attrInt(node, 'fmod', 0)) nodeError(node, `float Mod needs fmod=1 (ONNX rule); set the attribute`);
      return [{ dtype: cmp ? 'bool' : a.dtype, shape: broadcastShapes(node, [a.shape, b.shape]) }];
    },
    reference(node, [a, b]) {
      const x = a as Value;
      const y = b as Value;
      const shape = broadcastShapes(node, [x.shape, y.shape]);
      const dtype: DType = cmp ? 'bool' : x.dtype;
      const out: Value = { dtype, shape, data: allocData(dtype, numel(shape)) };
      const f = binaryScalar(node, x.dtype);
      const xd = x.data;
      const yd = y.data;
      forEachBroadcast(shape, [x.shape, y.shape], (o, [i, j]) => store(out, o, f(xd[i], yd[j])));
      return [out];
    },
  };
}

/** Variadic broadcasting ops (Sum, Max, Min, Mean) with any number of inputs. */
function variadicDef(op: 'Sum' | 'Max' | 'Min' | 'Mean', summary: string): OpDef {
  const f = op === 'Max' ? BINARY.Max : op === 'Min' ? BINARY.Min : BINARY.Add;
  return {
    op,
    summary,
    infer({ node, inputs }) {
      const ts = inputs.filter((t): t is TensorInfo => !!t);
      if (!ts.length) nodeError(node, 'needs at least one input');
      for (const t of ts) if (t.dtype !== ts[0].dtype) nodeError(node, `input types ${ts.map((x) => x.dtype).join(', ')} differ; insert Casts so all match`);
      if (ts[0].dtype === 'bool') nodeError(node, `bool inputs are not supported; Cast them to a numeric type`);
      if (op === 'Mean' && !isFloatType(ts[0].dtype)) nodeError(node, `Mean takes float tensors, not ${ts[0].dtype}; insert a Cast`);
      return [{ dtype: ts[0].dtype, shape: broadcastShapes(node, ts.map((t) => t.shape)) }];
    },
    reference(node, inputs) {
      const vs = inputs.filter((v): v is Value => !!v);
      const shape = broadcastShapes(node, vs.map((v) => v.shape));
      const out: Value = { dtype: vs[0].dtype, shape, data: allocData(vs[0].dtype, numel(shape)) };
      forEachBroadcast(shape, vs.map((v) => v.shape), (o, idx) => {
        let acc = vs[0].data[idx[0]];
        for (let k = 1; k < vs.length; k++) acc = f(acc, vs[k].data[idx[k]]);
        store(out, o, op === 'Mean' ? acc / vs.length : acc);
      });
      return [out];
    },
  };
}

/** An integer elementwise kernel for one node: the per-element function (before the clamp) and the clamp range. */
export interface IntElementwise {
  f: (...xs: number[]) => number;
  lo: number;
  hi: number;
}

type IntKernel = (node: Node, ins: QTensorInfo[], y: QTensorInfo) => IntElementwise;

/** The TFLite int8 kernels of the requantizing elementwise ops (src/quant/kernels.ts), keyed by op. */
export const INT_ELEMENTWISE: Record<string, IntKernel> = {
  Add: (n, [a, b], y) => {
    const p = addParams(n, a.quant, b.quant, y.quant, false, y.dtype);
    return { f: (u, v) => addElem(p, u, v), ...range(outputClamp(n, y.quant!, y.dtype)) };
  },
  Sub: (n, [a, b], y) => {
    const p = addParams(n, a.quant, b.quant, y.quant, true, y.dtype);
    return { f: (u, v) => addElem(p, u, v), ...range(outputClamp(n, y.quant!, y.dtype)) };
  },
  Mul: (n, [a, b], y) => {
    const p = mulParams(n, a.quant, b.quant, y.quant);
    return { f: (u, v) => mulElem(p, u, v), ...range(outputClamp(n, y.quant!, y.dtype)) };
  },
  PRelu: (n, [x, s], y) => {
    const p = preluParams(n, x.quant, s.quant, y.quant);
    return { f: (u, v) => preluElem(p, u, v), ...range(qRange(y.dtype)) };
  },
  LeakyRelu: (n, [x], y) => {
    const p = leakyReluParams(n, x.quant, y.quant, attrFloat(n, 'alpha', 0.01));
    return { f: (u) => leakyReluElem(p, u), ...range(qRange(y.dtype)) };
  },
  // Relu and Clip requantize then clamp to the activation range (TFLM ReluX).
  Relu: (n, [x], y) => {
    const p = requantParams(n, x.quant, y.quant);
    return { f: (u) => requantElem(p, u), ...range(clampRange(y.quant!, y.dtype, 0, Infinity)) };
  },
  Clip: (n, [x], y) => {
    const p = requantParams(n, x.quant, y.quant);
    const b = clampRange(y.quant!, y.dtype, attrFloat(n, 'min', -Infinity), attrFloat(n, 'max', Infinity));
    return { f: (u) => requantElem(p, u), ...range(b) };
  },
};

function range([lo, hi]: [number, number]): { lo: number; hi: number } {
  return { lo, hi };
}

/** Elementwise kernels TFLite also runs on int16 activations (16x8 models), with the same arithmetic. */
const INT16_ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'LeakyRelu']);

/** The integer kernel of an elementwise node, after checking that all its tensors are per-tensor quantized of a width it takes. */
export function intElementwise(node: Node, ins: readonly (QTensorInfo | undefined)[], y: QTensorInfo): IntElementwise {
  const types = INT16_ELEMENTWISE.has(node.op) ? INT8_16_TYPES : INT8_TYPES;
  const qs = ins.map((t, k) => {
    requireQuantOf(node, t, `input ${k}`, types);
    return t as QTensorInfo;
  });
  requireQuantOf(node, y, 'output 0', types);
  return INT_ELEMENTWISE[node.op](node, qs, y);
}

/** Integer reference of a requantizing elementwise op (numpy broadcasting over its inputs). */
function intElementwiseForm(): IntForm {
  return {
    quant: 'requant',
    intReference(node, inputs, [y]) {
      const vs = inputs.filter((v): v is QValue => !!v);
      const k = intElementwise(node, vs, y);
      const shape = broadcastShapes(node, vs.map((v) => v.shape));
      const out = makeValue(y.dtype, shape);
      forEachBroadcast(shape, vs.map((v) => v.shape), (o, idx) => {
        out.data[o] = clampInt(k.f(...idx.map((i, j) => vs[j].data[i])), k.lo, k.hi);
      });
      return [out];
    },
  };
}

/** Unary ops the quantizer tabulates into a LookupTable: every unary op without its own integer kernel. */
const LUT_OPS = UNARY_OPS.filter((op) => !(op in INT_ELEMENTWISE));

/** Table ops whose int8 form needs no stored table: the C backends rebuild the same 256 codes at run time. */
export const COMPUTED_TABLE_OPS: ReadonlySet<string> = new Set(['HardSwish', 'HardSigmoid']);

/**
 * The int8 form of a computed-table op: output code = quantize(f(dequantize(input code))), exactly as the stored
 * LookupTable of the same op would hold (float32 dequantize, f in float64 stored as float32, round half to even).
 */
function computedTableForm(): IntForm {
  return {
    quant: 'lut',
    intReference(node, [x], [y]) {
      const xq = requireQuantOf(node, x, 'input', ['int8']);
      const yq = requireQuantOf(node, y, 'output', ['int8']);
      const f = UNARY[node.op](node);
      const codes = Int8Array.from({ length: 256 }, (_, i) => i - 128);
      const fy = Float32Array.from(dequantizeData(codes, [256], xq), (v) => f(v));
      const table = quantizeData(fy, [256], yq, 'int8');
      const v = x as QValue;
      return [{ dtype: 'int8', shape: [...v.shape], data: Int8Array.from(v.data as Int8Array, (c) => table[c + 128]) }];
    },
  };
}

/** Registry entries of every elementwise op. */
export const elementwiseOps: OpDef[] = withIntForms(
  [
    ...UNARY_OPS.map((op) => unaryDef(op)),
    ...Object.keys(BINARY)
      .filter((op) => op !== 'Max' && op !== 'Min')
      .map((op) => binaryDef(op, `broadcasting ${op}`)),
    variadicDef('Sum', 'variadic broadcasting sum'),
    variadicDef('Max', 'variadic broadcasting max'),
    variadicDef('Min', 'variadic broadcasting min'),
    variadicDef('Mean', 'variadic broadcasting mean'),
  ],
  {
    ...Object.fromEntries(Object.keys(INT_ELEMENTWISE).map((op) => [op, intElementwiseForm()])),
    ...Object.fromEntries(LUT_OPS.map((op) => [op, COMPUTED_TABLE_OPS.has(op) ? computedTableForm() : ({ quant: 'lut' } as IntForm)])),
  },
);
