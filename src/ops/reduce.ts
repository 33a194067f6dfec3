/** Reductions over axes (ReduceSum, ReduceMean, ... with keepdims) and ArgMax/ArgMin. */
import type { DType, Node, TensorInfo, Value } from '../ir/types.js';
import { attrInt, attrInts } from '../ir/attrs.js';
import { allocData, numel, stridesOf } from '../ir/dtype.js';
import type { OpDef } from './registry.js';
import { makeValue, nodeError, normAxis, requireInput } from './util.js';
import { isFloatType } from './elementwise.js';
import { exactForm, requireQuant8, sameForm, withIntForms, type IntForm } from './qform.js';
import { clampInt } from '../quant/fixed-point.js';
import { qRange } from '../quant/params.js';
import { meanElem, requantElem, requantParams } from '../quant/kernels.js';

/** The reduce ops edgec knows. */
export const REDUCE_KINDS = [
  'ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd',
  'ReduceL2', 'ReduceLogSumExp', 'ReduceSumSquare',
] as const;
/** One of REDUCE_KINDS. */
export type ReduceKind = (typeof REDUCE_KINDS)[number];

/** A reduction resolved against its input shape: which axes, whether it is a no-op copy, output shape. */
export interface ReducePlan {
  /** Sorted, normalised, unique axes reduced. */
  axes: number[];
  keepdims: boolean;
  /** noop_with_empty_axes=1 with no axes: output is the input. */
  noop: boolean;
  outShape: number[];
}

/** Resolve a Reduce* node's axes/keepdims/noop_with_empty_axes against the input rank. */
export function reducePlan(node: Node, shape: readonly number[]): ReducePlan {
  const rank = shape.length;
  const given = attrInts(node, 'axes') ?? [];
  const keepdims = attrInt(node, 'keepdims', 1) !== 0;
  if (!given.length && attrInt(node, 'noop_with_empty_axes', 0)) return { axes: [], keepdims, noop: true, outShape: [...shape] };
  const axes = given.length ? given.map((a) => normAxis(node, a, rank)) : shape.map((_, i) => i);
  const uniq = [...new Set(axes)].sort((a, b) => a - b);
  if (uniq.length !== axes.length) nodeError(node, `axes [${given.join(', ')}] repeat an axis; list each axis once`);
  const outShape: number[] = [];
  shape.forEach((d, i) => {
    if (!uniq.includes(i)) outShape.push(d);
    else if (keepdims) outShape.push(1);
  });
  return { axes: uniq, keepdims, noop: false, outShape };
}

/** Iterate over reduction groups: calls fn(outIndex, inputIndices) once per output element. */
function forEachGroup(shape: readonly number[], axes: readonly number[], fn: (o: number, idx: number[]) => void): void {
  const st = stridesOf(shape);
  const keptDims = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const redOffsets: number[] = [0];
  for (const a of axes) {
    const next: number[] = [];
    for (const base of redOffsets) for (let k = 0; k < shape[a]; k++) next.push(base + k * st[a]);
    redOffsets.splice(0, redOffsets.length, ...next);
  }
  const nOut = numel(keptDims.map((d) => shape[d]));
  const counter = new Array<number>(keptDims.length).fill(0);
  const idx = new Array<number>(redOffsets.length);
  for (let o = 0; o < nOut; o++) {
    let base = 0;
    keptDims.forEach((d, k) => (base += counter[k] * st[d]));
    for (let k = 0; k < redOffsets.length; k++) idx[k] = base + redOffsets[k];
    fn(o, idx);
    for (let k = keptDims.length - 1; k >= 0; k--) {
      if (++counter[k] < shape[keptDims[k]]) break;
      counter[k] = 0;
    }
  }
}

/** The scalar reduction of one group of values (in double precision). */
function reduceValues(kind: ReduceKind, xs: ArrayLike<number>, idx: readonly number[]): number {
  const n = idx.length;
  switch (kind) {
    case 'ReduceSum': case 'ReduceMean': {
      let s = 0;
      for (const i of idx) s += xs[i];
      return kind === 'ReduceMean' ? s / n : s;
    }
    case 'ReduceSumSquare': case 'ReduceL2': {
      let s = 0;
      for (const i of idx) s += xs[i] * xs[i];
      return kind === 'ReduceL2' ? Math.sqrt(s) : s;
    }
    case 'ReduceProd': {
      let p = 1;
      for (const i of idx) p *= xs[i];
      return p;
    }
    case 'ReduceMax': {
      let m = -Infinity;
      for (const i of idx) if (xs[i] > m) m = xs[i];
      return m;
    }
    case 'ReduceMin': {
      let m = Infinity;
      for (const i of idx) if (xs[i] < m) m = xs[i];
      return m;
    }
    case 'ReduceLogSumExp': {
      let m = -Infinity;
      for (const i of idx) if (xs[i] > m) m = xs[i];
      if (!Number.isFinite(m)) return m;
      let s = 0;
      for (const i of idx) s += Math.exp(xs[i] - m);
      return m + Math.log(s);
    }
  }
}

function storeAs(dtype: DType, v: number): number {
  return isFloatType(dtype) ? v : Math.trunc(v) + 0;
}

function reduceDef(kind: ReduceKind, summary: string): OpDef {
  return {
    op: kind,
    summary,
    infer({ node, inputs }) {
      const x = requireInput(node, inputs, 0);
      if (x.dtype === 'bool') nodeError(node, 'bool input is not supported; Cast it to a numeric type');
      return [{ dtype: x.dtype, shape: reducePlan(node, x.shape).outShape }];
    },
    reference(node, [x]) {
      const v = x as Value;
      const plan = reducePlan(node, v.shape);
      if (plan.noop) return [makeValue(v.dtype, [...v.shape], v.data.slice())];
      const out = makeValue(v.dtype, plan.outShape);
      forEachGroup(v.shape, plan.axes, (o, idx) => (out.data[o] = storeAs(v.dtype, reduceValues(kind, v.data, idx))));
      return [out];
    },
  };
}

/** ArgMax/ArgMin's axis, keepdims and select_last_index, resolved against the input rank. */
export function argPlan(node: Node, shape: readonly number[]): { axis: number; keepdims: boolean; last: boolean; outShape: number[] } {
  const axis = normAxis(node, attrInt(node, 'axis', 0), shape.length);
  const keepdims = attrInt(node, 'keepdims', 1) !== 0;
  const last = attrInt(node, 'select_last_index', 0) !== 0;
  const outShape = shape.flatMap((d, i) => (i !== axis ? [d] : keepdims ? [1] : []));
  return { axis, keepdims, last, outShape };
}

function argDef(op: 'ArgMax' | 'ArgMin'): OpDef {
  const isMax = op === 'ArgMax';
  return {
    op,
    summary: `index of the ${isMax ? 'largest' : 'smallest'} element along an axis (int64)`,
    infer({ node, inputs }) {
      const x: TensorInfo = requireInput(node, inputs, 0);
      if (x.dtype === 'bool') nodeError(node, 'bool input is not supported; Cast it to a numeric type');
      if (x.shape.length === 0) nodeError(node, 'input is a scalar; ArgMax/ArgMin need rank >= 1');
      const plan = argPlan(node, x.shape);
      if (x.shape[plan.axis] === 0) nodeError(node, `axis ${plan.axis} has size 0; there is no element to pick`);
      return [{ dtype: 'int64', shape: plan.outShape }];
    },
    reference(node, [x]) {
      const v = x as Value;
      const { axis, last, outShape } = argPlan(node, v.shape);
      const out: Value = { dtype: 'int64', shape: outShape, data: allocData('int64', numel(outShape)) };
      const outer = numel(v.shape.slice(0, axis));
      const r = v.shape[axis];
      const inner = numel(v.shape.slice(axis + 1));
      const d = v.data;
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < inner; j++) {
          const base = o * r * inner + j;
          let best = d[base];
          let bi = 0;
          for (let k = 1; k < r; k++) {
            const e = d[base + k * inner];
            const better = isMax ? e > best : e < best;
            if (better || (last && e === best)) {
              best = e;
              bi = k;
            }
          }
          out.data[o * inner + j] = bi;
        }
      return [out];
    },
  };
}

/**
 * Integer ReduceMean: TFLite's int8 Mean (reference_integer_ops::Mean, what TFLM runs for a 4-D mean over the
 * spatial axes with keep_dims) for any axes: the centred sum requantized by sx / sy, then rounded-divided by the count.
 */
const reduceMeanInt: IntForm = {
  quant: 'requant',
  intReference(node, [xv], [y]) {
    const x = xv!;
    requireQuant8(node, x, 'input 0');
    requireQuant8(node, y, 'output 0');
    const p = requantParams(node, x.quant, y.quant);
    const [lo, hi] = qRange(y.dtype);
    const plan = reducePlan(node, x.shape);
    const out = makeValue(y.dtype, plan.outShape);
    if (plan.noop) {
      x.data.forEach((v, i) => (out.data[i] = clampInt(requantElem(p, v), lo, hi)));
      return [out];
    }
    forEachGroup(x.shape, plan.axes, (o, idx) => {
      let acc = 0;
      for (const i of idx) acc += x.data[i] - p.zx;
      out.data[o] = clampInt(meanElem(p, acc, idx.length), lo, hi);
    });
    return [out];
  },
};

/** Registry entries of the reductions. */
export const reduceOps: OpDef[] = withIntForms(
  [
    reduceDef('ReduceSum', 'sum over axes'),
    reduceDef('ReduceMean', 'mean over axes'),
    reduceDef('ReduceMax', 'maximum over axes'),
    reduceDef('ReduceMin', 'minimum over axes'),
    reduceDef('ReduceProd', 'product over axes'),
    reduceDef('ReduceL2', 'L2 norm over axes'),
    reduceDef('ReduceLogSumExp', 'log of the sum of exponentials over axes (stable)'),
    reduceDef('ReduceSumSquare', 'sum of squares over axes'),
    argDef('ArgMax'),
    argDef('ArgMin'),
  ],
  { ReduceMean: reduceMeanInt, ReduceMax: sameForm, ReduceMin: sameForm, ArgMax: exactForm, ArgMin: exactForm },
);
