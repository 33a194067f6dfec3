/** Helpers shared by op definitions: broadcasting, axis normalisation, value construction. */
import type { DType, Node, TensorData, TensorInfo, Value } from '../ir/types.js';
import { allocData, numel, stridesOf } from '../ir/dtype.js';
import { EdgecError } from '../util/errors.js';

/** Throw a user-facing error about a node. */
export function nodeError(node: Node, msg: string): never {
  throw new EdgecError(`node '${node.name}' (${node.op}): ${msg}`);
}

/** Numpy-style broadcast of several shapes. */
export function broadcastShapes(node: Node, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else nodeError(node, `shapes [${shapes.map((x) => x.join('x')).join('], [')}] do not broadcast`);
    }
  }
  return out;
}

/** Strides of `shape` seen through a broadcast to `outShape` (0 on broadcast dims). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const st = stridesOf(shape);
  const r = outShape.length;
  const res = new Array<number>(r).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const o = r - shape.length + i;
    res[o] = shape[i] === 1 ? 0 : st[i];
  }
  return res;
}

/** Resolve a possibly negative axis against a rank. */
export function normAxis(node: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) nodeError(node, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** A value of the given type filled from `data` (or zeros). */
export function makeValue(dtype: DType, shape: number[], data?: TensorData): Value {
  return { dtype, shape, data: data ?? allocData(dtype, numel(shape)) };
}

/** The type of input `i`, or an error naming the node if it is absent. */
export function requireInput(node: Node, inputs: readonly (TensorInfo | undefined)[], i: number): TensorInfo {
  const t = inputs[i];
  if (!t) nodeError(node, `input ${i} is required`);
  return t;
}

/** The constant value of input `i`, or an error saying it must be constant. */
export function requireConst(node: Node, consts: readonly (Value | undefined)[], i: number, what: string): Value {
  const v = consts[i];
  if (!v) nodeError(node, `${what} (input ${i}) must be a constant for static compilation; bind input shapes with --input-shape`);
  return v;
}

/** Plain number array of a value's data. */
export function toNumbers(v: Value): number[] {
  return Array.from(v.data as ArrayLike<number>);
}

/** Iterate output indices of a broadcast elementwise op with k inputs, calling fn(outIndex, inIndices). */
export function forEachBroadcast(
  outShape: readonly number[],
  inShapes: readonly (readonly number[])[],
  fn: (o: number, idx: number[]) => void,
): void {
  const n = numel(outShape);
  const r = outShape.length;
  const strides = inShapes.map((s) => broadcastStrides(s, outShape));
  const counter = new Array<number>(r).fill(0);
  const idx = new Array<number>(inShapes.length).fill(0);
  for (let o = 0; o < n; o++) {
    fn(o, idx);
    for (let d = r - 1; d >= 0; d--) {
      counter[d]++;
      for (let k = 0; k < idx.length; k++) idx[k] += strides[k][d];
      if (counter[d] < outShape[d]) break;
      for (let k = 0; k < idx.length; k++) idx[k] -= strides[k][d] * outShape[d];
      counter[d] = 0;
    }
  }
}
