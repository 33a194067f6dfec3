/** Shape ops: Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout (aliasing views), Shape, ConstantOfShape, Range, Expand, Tile. */
import type { DType, Node, TensorInfo, Value } from '../ir/types.js';
import { attrInt, attrInts, attrTensor } from '../ir/attrs.js';
import { numel } from '../ir/dtype.js';
import type { OpDef, ShapeArgs } from './registry.js';
import { broadcastShapes, makeValue, nodeError, normAxis, requireConst, requireInput, toNumbers } from './util.js';
import { remapValue, type RemapPlan } from './layout.js';
import { exactForm, sameForm, withIntForms } from './qform.js';

/** Target shape of Reshape: 0 copies the input dim (unless allowzero), -1 is inferred. */
export function reshapeShape(node: Node, inShape: readonly number[], spec: readonly number[]): number[] {
  const allowzero = attrInt(node, 'allowzero', 0) !== 0;
  const out = spec.map((d, i) => {
    if (d === 0 && !allowzero) {
      if (i >= inShape.length) nodeError(node, `shape entry ${i} is 0 (copy) but the input has rank ${inShape.length}`);
      return inShape[i];
    }
    if (d < -1) nodeError(node, `shape entry ${d} is invalid; use -1 to infer one dim`);
    return d;
  });
  const n = numel(inShape);
  const neg = out.indexOf(-1);
  if (neg >= 0) {
    if (out.indexOf(-1, neg + 1) >= 0) nodeError(node, `shape [${spec.join(',')}] has more than one -1`);
    const known = numel(out.filter((d) => d !== -1));
    if (known === 0 || n % known !== 0) nodeError(node, `cannot reshape [${inShape.join(',')}] to [${spec.join(',')}]`);
    out[neg] = n / known;
  }
  if (numel(out) !== n) nodeError(node, `cannot reshape [${inShape.join(',')}] (${n} elements) to [${out.join(',')}]`);
  return out;
}

/** Output shape of Flatten: [prod(dims before axis), prod(dims from axis)]. */
export function flattenShape(node: Node, shape: readonly number[]): number[] {
  const r = shape.length;
  const ax = attrInt(node, 'axis', 1);
  const a = ax < 0 ? ax + r : ax;
  if (a < 0 || a > r) nodeError(node, `axis ${ax} is out of range for rank ${r}`);
  return [numel(shape.slice(0, a)), numel(shape.slice(a))];
}

/** Output shape of Squeeze (axes attr, or every size-1 dim when absent). */
export function squeezeShape(node: Node, shape: readonly number[]): number[] {
  const axesAttr = attrInts(node, 'axes');
  if (!axesAttr) return shape.filter((d) => d !== 1);
  const axes = new Set(axesAttr.map((a) => normAxis(node, a, shape.length)));
  for (const a of axes) if (shape[a] !== 1) nodeError(node, `cannot squeeze axis ${a} of size ${shape[a]}; only size-1 dims can be squeezed`);
  return shape.filter((_, i) => !axes.has(i));
}

/** Output shape of Unsqueeze (axes attr, relative to the output rank). */
export function unsqueezeShape(node: Node, shape: readonly number[]): number[] {
  const axesAttr = attrInts(node, 'axes');
  if (!axesAttr) nodeError(node, `axes are required (attribute, or a constant input from opset 13)`);
  const r = shape.length + axesAttr.length;
  const axes = new Set(axesAttr.map((a) => normAxis(node, a, r)));
  if (axes.size !== axesAttr.length) nodeError(node, `axes [${axesAttr.join(',')}] repeat an axis`);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(axes.has(i) ? 1 : shape[k++]);
  return out;
}

/** An aliasing view op: output 0 is input 0's bytes with a new shape. */
function viewDef(op: string, summary: string, shapeOf: (node: Node, x: TensorInfo, consts: ShapeArgs['consts']) => number[]): OpDef {
  return {
    op,
    summary,
    aliasesInput: true,
    infer({ node, inputs, consts }) {
      const x = requireInput(node, inputs, 0);
      return [{ dtype: x.dtype, shape: shapeOf(node, x, consts) }];
    },
    reference(node, inputs) {
      const x = inputs[0]!;
      return [{ dtype: x.dtype, shape: shapeOf(node, x, inputs), data: x.data.slice() }];
    },
  };
}

/** The [start, end) range of dims Shape reports, clamped to the rank. */
function shapeRange(node: Node, rank: number): [number, number] {
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const s = norm(attrInt(node, 'start', 0));
  const e = norm(attrInt(node, 'end', rank));
  return [s, Math.max(s, e)];
}

/** The fill value of ConstantOfShape (float32 0 when absent). */
function constantOfShapeValue(node: Node): { dtype: DType; v: number } {
  const t = attrTensor(node, 'value');
  if (!t) return { dtype: 'float32', v: 0 };
  if (t.data.length !== 1) nodeError(node, `attribute 'value' must hold exactly one element, got ${t.data.length}`);
  return { dtype: t.dtype, v: t.data[0] };
}

/** Element count of Range for float/int semantics of the start dtype. */
function rangeCount(dtype: DType, start: number, limit: number, delta: number): number {
  const diff = dtype === 'float32' ? Math.fround(limit - start) : limit - start;
  return Math.max(0, Math.ceil(diff / delta));
}

/** The scalar start/limit/delta of a Range node. */
function rangeArgs(node: Node, vals: readonly (Value | undefined)[]): [number, number, number] {
  const nums = [0, 1, 2].map((i) => {
    const v = requireConst(node, vals, i, ['start', 'limit', 'delta'][i]);
    if (v.data.length !== 1) nodeError(node, `input ${i} must be a scalar, got shape [${v.shape.join(',')}]`);
    return v.data[0];
  });
  if (nums[2] === 0) nodeError(node, `delta is 0; Range needs a non-zero delta`);
  return [nums[0], nums[1], nums[2]];
}

/** Broadcast plan of Expand: input aligned right, size-1 dims read index 0. */
export function expandPlan(inShape: readonly number[], outShape: readonly number[]): { view: number[]; plan: RemapPlan } {
  const view = [...new Array<number>(outShape.length - inShape.length).fill(1), ...inShape];
  const maps = view.map((d, i) => (d === outShape[i] ? null : new Int32Array(outShape[i])));
  return { view, plan: { outShape: [...outShape], maps } };
}

/** Tile plan: output dim i is in[i]*repeats[i]; map j -> j mod in[i]. */
export function tilePlan(node: Node, inShape: readonly number[], repeats: readonly number[]): RemapPlan {
  if (repeats.length !== inShape.length) nodeError(node, `repeats has ${repeats.length} values for rank ${inShape.length}; give one per axis`);
  if (repeats.some((r) => r < 0)) nodeError(node, `repeats [${repeats.join(',')}] must be non-negative`);
  const outShape = inShape.map((d, i) => d * repeats[i]);
  const maps = inShape.map((d, i) => (repeats[i] === 1 ? null : Int32Array.from({ length: outShape[i] }, (_, j) => j % d)));
  return { outShape, maps };
}

/** Expand output shape: bidirectional broadcast of the input with the shape input. */
function expandShape(node: Node, x: TensorInfo, consts: readonly (Value | undefined)[]): number[] {
  return broadcastShapes(node, [x.shape, toNumbers(requireConst(node, consts, 1, 'shape'))]);
}

/** Shape ops: aliasing views plus Shape, ConstantOfShape, Range, Expand, Tile. */
const shapeDefs: OpDef[] = [
  viewDef('Reshape', 'reshape (0 copies a dim, -1 infers, allowzero)', (node, x, consts) =>
    reshapeShape(node, x.shape, toNumbers(requireConst(node, consts, 1, 'shape')))),
  viewDef('Flatten', 'flatten to 2-D around axis', (node, x) => flattenShape(node, x.shape)),
  viewDef('Squeeze', 'remove size-1 dims', (node, x) => squeezeShape(node, x.shape)),
  viewDef('Unsqueeze', 'insert size-1 dims', (node, x) => unsqueezeShape(node, x.shape)),
  viewDef('Identity', 'copy of the input', (_node, x) => [...x.shape]),
  viewDef('Dropout', 'inference-time dropout (identity)', (_node, x) => [...x.shape]),
  {
    op: 'Shape',
    summary: 'the input shape as int64 (start/end)',
    infer({ node, inputs }) {
      const [s, e] = shapeRange(node, requireInput(node, inputs, 0).shape.length);
      return [{ dtype: 'int64', shape: [e - s] }];
    },
    reference(node, [x]) {
      const [s, e] = shapeRange(node, x!.shape.length);
      return [makeValue('int64', [e - s], Float64Array.from(x!.shape.slice(s, e)))];
    },
  },
  {
    op: 'ConstantOfShape',
    summary: 'tensor of a given shape filled with one value',
    infer({ node, consts }) {
      return [{ dtype: constantOfShapeValue(node).dtype, shape: toNumbers(requireConst(node, consts, 0, 'shape')) }];
    },
    reference(node, [shape]) {
      const { dtype, v } = constantOfShapeValue(node);
      const out = makeValue(dtype, toNumbers(shape!));
      out.data.fill(v);
      return [out];
    },
  },
  {
    op: 'Range',
    summary: 'arithmetic sequence from constant start/limit/delta',
    infer({ node, inputs, consts }) {
      const t = requireInput(node, inputs, 0);
      const [s, l, d] = rangeArgs(node, consts);
      return [{ dtype: t.dtype, shape: [rangeCount(t.dtype, s, l, d)] }];
    },
    reference(node, inputs) {
      const dtype = inputs[0]!.dtype;
      const [s, l, d] = rangeArgs(node, inputs);
      const n = rangeCount(dtype, s, l, d);
      const out = makeValue(dtype, [n]);
      let v = s;
      for (let i = 0; i < n; i++) {
        out.data[i] = v;
        v = dtype === 'float32' ? Math.fround(v + d) : v + d;
      }
      return [out];
    },
  },
  {
    op: 'Expand',
    summary: 'broadcast to a constant shape',
    infer({ node, inputs, consts }) {
      const x = requireInput(node, inputs, 0);
      return [{ dtype: x.dtype, shape: expandShape(node, x, consts) }];
    },
    reference(node, inputs) {
      const x = inputs[0]!;
      const { view, plan } = expandPlan(x.shape, expandShape(node, x, inputs));
      return [remapValue({ ...x, shape: view }, plan)];
    },
  },
  {
    op: 'Tile',
    summary: 'repeat a tensor along each axis',
    infer({ node, inputs, consts }) {
      const x = requireInput(node, inputs, 0);
      return [{ dtype: x.dtype, shape: tilePlan(node, x.shape, toNumbers(requireConst(node, consts, 1, 'repeats'))).outShape }];
    },
    reference(node, inputs) {
      const x = inputs[0]!;
      return [remapValue(x, tilePlan(node, x.shape, toNumbers(inputs[1]!)))];
    },
  },
];

/** Shape ops with their integer forms: views and broadcasts keep their input's parameters; Shape reads only the shape. */
export const shapeOps: OpDef[] = withIntForms(shapeDefs, {
  ...Object.fromEntries(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Expand', 'Tile'].map((op) => [op, sameForm])),
  Shape: exactForm,
});
