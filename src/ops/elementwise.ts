/** Elementwise ops: unary activations and math, broadcasting binary arithmetic, variadic Sum/Max/Min/Mean. */
import type { Node, TensorInfo, Value } from '../ir/types.js';
import { attrFloat } from '../ir/attrs.js';
import { allocData, numel } from '../ir/dtype.js';
import type { OpDef } from './registry.js';
import { broadcastShapes, forEachBroadcast, nodeError, requireInput } from './util.js';

/** Scalar float semantics of each unary op (attributes read from the node). */
export const UNARY: Record<string, (node: Node) => (x: number) => number> = {
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
  Round: () => (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
  },
  Sign: () => Math.sign,
  Sin: () => Math.sin,
  Cos: () => Math.cos,
  Erf: () => erf,
  Softplus: () => (x) => (x > 20 ? x : Math.log1p(Math.exp(x))),
  Softsign: () => (x) => x / (1 + Math.abs(x)),
  LeakyRelu: (n) => {
    const a = attrFloat(n, 'alpha', 0.01);
    return (x) => (x >= 0 ? x : a * x);
  },
  Elu: (n) => {
    const a = attrFloat(n, 'alpha', 1);
    return (x) => (x >= 0 ? x : a * (Math.exp(x) - 1));
  },
  Selu: (n) => {
    const a = attrFloat(n, 'alpha', 1.6732632423543772);
    const g = attrFloat(n, 'gamma', 1.0507009873554805);
    return (x) => (x > 0 ? g * x : g * a * (Math.exp(x) - 1));
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
};

/** Abramowitz-Stegun style erf accurate to float precision (series/continued fraction). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    // Maclaurin series: converges fast enough below 2.5 in double precision.
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
    // Continued fraction for erfc.
    let f = 0;
    for (let k = 60; k >= 1; k--) f = (k / 2) / (ax + f);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  }
  return x < 0 ? -r : r;
}

/** Scalar semantics of each binary op. */
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
  Mod: (a, b) => a - Math.floor(a / b) * b,
};

const COMPARISONS = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or']);

/** Round to the element type after a float-semantics op (integer division truncates, float32 rounds). */
function store(out: Value, i: number, v: number): void {
  if (out.dtype === 'float32' || out.dtype === 'float64' || out.dtype === 'bool') out.data[i] = v;
  else out.data[i] = Math.trunc(v);
}

function unaryDef(op: string, summary: string): OpDef {
  return {
    op,
    summary,
    infer: ({ node, inputs }) => [{ ...requireInput(node, inputs, 0) }],
    reference(node, [x]) {
      const f = UNARY[op](node);
      const v = x as Value;
      const out: Value = { dtype: v.dtype, shape: [...v.shape], data: allocData(v.dtype, v.data.length) };
      for (let i = 0; i < v.data.length; i++) store(out, i, f(v.data[i]));
      return [out];
    },
  };
}

function binaryDef(op: string, summary: string): OpDef {
  const f = BINARY[op];
  const cmp = COMPARISONS.has(op);
  return {
    op,
    summary,
    infer({ node, inputs }) {
      const a = requireInput(node, inputs, 0);
      const b = requireInput(node, inputs, 1);
      if (!cmp && op !== 'Pow' && a.dtype !== b.dtype) nodeError(node, `input types ${a.dtype} and ${b.dtype} differ`);
      return [{ dtype: cmp ? 'bool' : a.dtype, shape: broadcastShapes(node, [a.shape, b.shape]) }];
    },
    reference(node, [a, b]) {
      const x = a as Value;
      const y = b as Value;
      const shape = broadcastShapes(node, [x.shape, y.shape]);
      const out: Value = { dtype: cmp ? 'bool' : x.dtype, shape, data: allocData(cmp ? 'bool' : x.dtype, numel(shape)) };
      const xd = x.data;
      const yd = y.data;
      if (op === 'Div' && x.dtype !== 'float32' && x.dtype !== 'float64') {
        forEachBroadcast(shape, [x.shape, y.shape], (o, [i, j]) => store(out, o, Math.trunc(xd[i] / yd[j])));
      } else if (x.dtype === 'float32' && (op === 'Pow' || op === 'Div')) {
        forEachBroadcast(shape, [x.shape, y.shape], (o, [i, j]) => store(out, o, f(xd[i], Math.fround(yd[j]))));
      } else {
        forEachBroadcast(shape, [x.shape, y.shape], (o, [i, j]) => store(out, o, f(xd[i], yd[j])));
      }
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

export const elementwiseOps: OpDef[] = [
  ...Object.keys(UNARY).map((op) => unaryDef(op, `elementwise ${op}`)),
  ...Object.keys(BINARY)
    .filter((op) => op !== 'Max' && op !== 'Min')
    .map((op) => binaryDef(op, `broadcasting ${op}`)),
  variadicDef('Sum', 'variadic broadcasting sum'),
  variadicDef('Max', 'variadic broadcasting max'),
  variadicDef('Min', 'variadic broadcasting min'),
  variadicDef('Mean', 'variadic broadcasting mean'),
];
