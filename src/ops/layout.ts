/** Layout ops: Transpose, Concat, Split, Slice, Gather, Pad, DepthToSpace, SpaceToDepth, plus the axis-map helpers they share. */
import type { Node, TensorInfo, Value } from '../ir/types.js';
import { attrInt, attrInts, attrString, attrFloat } from '../ir/attrs.js';
import { numel, stridesOf } from '../ir/dtype.js';
import type { OpDef } from './registry.js';
import { makeValue, nodeError, normAxis, requireConst, requireInput, toNumbers } from './util.js';
import type { QTensorInfo, QValue } from '../ir/quant.js';
import { INT8_16_TYPES, requireQuant8, requireQuantOf, requireSameQuant, sameForm, withIntForms, type IntForm } from './qform.js';
import { clampInt } from '../quant/fixed-point.js';
import { qRange, quantizeData } from '../quant/params.js';
import { requantElem, requantParams, sameParams } from '../quant/kernels.js';

/** Per-axis source index maps of a gather-by-axis copy: map[a][j] is the input index for output index j (-1: fill), null = identity. */
export type AxisMaps = (Int32Array | null)[];

/** A data-movement plan: output shape plus one source map per axis. */
export interface RemapPlan {
  outShape: number[];
  maps: AxisMaps;
}

/** Reference executor of a remap plan: out[j0..jn] = x[map0[j0]..mapn[jn]], or `fill` where any map is -1. */
export function remapValue(x: Value, plan: RemapPlan, fill = 0): Value {
  const { outShape, maps } = plan;
  const out = makeValue(x.dtype, [...outShape]);
  const n = numel(outShape);
  if (!n) return out;
  const r = outShape.length;
  const st = stridesOf(x.shape);
  const idx = new Array<number>(r).fill(0);
  const src = (a: number, j: number) => (maps[a] ? maps[a]![j] : j);
  for (let o = 0; o < n; o++) {
    let off = 0;
    let fillHere = false;
    for (let a = 0; a < r; a++) {
      const s = src(a, idx[a]);
      if (s < 0) fillHere = true;
      off += s * st[a];
    }
    out.data[o] = fillHere ? fill : x.data[off];
    for (let a = r - 1; a >= 0; a--) {
      if (++idx[a] < outShape[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

/** Clamp helper. */
function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Plan of ONNX Slice (negative indices, INT64 sentinels, negative steps, optional axes/steps). */
export function slicePlan(node: Node, shape: readonly number[], starts: number[], ends: number[], axesIn?: number[], stepsIn?: number[]): RemapPlan {
  const r = shape.length;
  if (starts.length !== ends.length) nodeError(node, `starts has ${starts.length} values but ends has ${ends.length}; give one per sliced axis`);
  const axes = axesIn ?? starts.map((_, i) => i);
  const steps = stepsIn ?? starts.map(() => 1);
  if (axes.length !== starts.length || steps.length !== starts.length)
    nodeError(node, `starts, ends, axes and steps must have the same length (${starts.length}, ${ends.length}, ${axes.length}, ${steps.length})`);
  const outShape = [...shape];
  const maps: AxisMaps = shape.map(() => null);
  const seen = new Set<number>();
  axes.forEach((ax, i) => {
    const a = normAxis(node, ax, r);
    if (seen.has(a)) nodeError(node, `axis ${ax} appears twice in axes; list each axis once`);
    seen.add(a);
    const dim = shape[a];
    const step = steps[i];
    if (step === 0) nodeError(node, `step for axis ${ax} is 0; steps must be non-zero`);
    let s = starts[i] < 0 ? starts[i] + dim : starts[i];
    let e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) {
      s = clamp(s, 0, dim);
      e = clamp(e, 0, dim);
    } else {
      s = clamp(s, 0, dim - 1);
      e = clamp(e, -1, dim - 1);
    }
    const count = Math.max(0, Math.ceil((e - s) / step));
    outShape[a] = count;
    const m = new Int32Array(count);
    for (let j = 0; j < count; j++) m[j] = s + j * step;
    maps[a] = m;
  });
  return { outShape, maps };
}

/** Plan of ONNX Pad: pads = [begins..., ends...] over `axes` (default all); negative pads crop. */
export function padPlan(node: Node, shape: readonly number[], pads: number[], mode: string, axesIn?: number[]): RemapPlan {
  const r = shape.length;
  const axes = (axesIn ?? shape.map((_, i) => i)).map((a) => normAxis(node, a, r));
  if (pads.length !== 2 * axes.length) nodeError(node, `pads has ${pads.length} values; expected ${2 * axes.length} (begin and end per padded axis)`);
  if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) nodeError(node, `mode '${mode}' is not supported; use constant, reflect, edge or wrap`);
  const outShape = [...shape];
  const maps: AxisMaps = shape.map(() => null);
  axes.forEach((a, i) => {
    const dim = shape[a];
    const b = pads[i];
    const e = pads[i + axes.length];
    const n = dim + b + e;
    if (n < 0) nodeError(node, `pads [${b}, ${e}] on axis ${a} crop more than its ${dim} elements`);
    outShape[a] = n;
    if (b === 0 && e === 0) return;
    if (mode !== 'constant' && dim === 0 && n > 0) nodeError(node, `mode '${mode}' cannot pad an empty axis ${a}`);
    if (mode === 'reflect' && dim === 1 && (b > 0 || e > 0)) nodeError(node, `reflect padding needs at least 2 elements on axis ${a}; use edge mode`);
    const m = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      let s = j - b;
      if (s < 0 || s >= dim) {
        if (mode === 'constant') s = -1;
        else if (mode === 'edge') s = clamp(s, 0, dim - 1);
        else if (mode === 'wrap') s = ((s % dim) + dim) % dim;
        else {
          const period = 2 * (dim - 1);
          s = ((s % period) + period) % period;
          if (s >= dim) s = period - s;
        }
      }
      m[j] = s;
    }
    maps[a] = m;
  });
  return { outShape, maps };
}

/** Plan of Gather with constant indices along `axis` (viewed as a 3-axis [outer, n, inner] problem by callers). */
export function gatherIndices(node: Node, dim: number, indices: ArrayLike<number>): Int32Array {
  const m = new Int32Array(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j] < 0 ? indices[j] + dim : indices[j];
    if (!(i >= 0 && i < dim)) nodeError(node, `index ${indices[j]} is out of range for an axis of size ${dim}`);
    m[j] = i;
  }
  return m;
}

/** Transpose reference: out[...] = x[perm-ordered index]. */
export function transposeValue(x: Value, perm: readonly number[]): Value {
  const r = x.shape.length;
  const outShape = perm.map((p) => x.shape[p]);
  const out = makeValue(x.dtype, outShape);
  const n = numel(outShape);
  const ist = stridesOf(x.shape);
  const st = perm.map((p) => ist[p]);
  const idx = new Array<number>(r).fill(0);
  let off = 0;
  for (let o = 0; o < n; o++) {
    out.data[o] = x.data[off];
    for (let a = r - 1; a >= 0; a--) {
      off += st[a];
      if (++idx[a] < outShape[a]) break;
      off -= st[a] * outShape[a];
      idx[a] = 0;
    }
  }
  return out;
}

/** True when transposing `shape` by `perm` keeps the order of its non-unit dims: the bytes do not move (a Reshape view). */
export function transposeIsView(shape: readonly number[], perm: readonly number[]): boolean {
  const order = perm.filter((p) => shape[p] !== 1);
  return order.every((p, i) => i === 0 || p > order[i - 1]);
}

/** The permutation of a Transpose node (default: reversed axes), validated. */
export function transposePerm(node: Node, rank: number): number[] {
  const perm = attrInts(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const sorted = [...perm].map((p) => (p < 0 ? p + rank : p)).sort((a, b) => a - b);
  if (perm.length !== rank || sorted.some((p, i) => p !== i)) nodeError(node, `perm [${perm.join(',')}] is not a permutation of ${rank} axes`);
  return perm.map((p) => (p < 0 ? p + rank : p));
}

/** Sizes of each Split output along the axis (split attr, num_outputs, or equal parts by output count). */
export function splitSizes(node: Node, dim: number): number[] {
  const split = attrInts(node, 'split');
  const n = node.outputs.length;
  if (split) {
    if (split.length !== n) nodeError(node, `split has ${split.length} sizes for ${n} outputs; give one size per output`);
    if (split.reduce((a, b) => a + b, 0) !== dim) nodeError(node, `split sizes [${split.join(',')}] do not add up to the axis size ${dim}`);
    return split;
  }
  const parts = attrInt(node, 'num_outputs');
  if (parts !== undefined) {
    if (parts !== n) nodeError(node, `num_outputs is ${parts} but the node has ${n} outputs`);
    const chunk = Math.ceil(dim / parts);
    return Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
  }
  if (dim % n !== 0) nodeError(node, `axis size ${dim} does not split evenly into ${n} outputs; give a 'split' attribute`);
  return new Array<number>(n).fill(dim / n);
}

/** DepthToSpace/SpaceToDepth as a 6-D reshape + transpose: [view shape, perm, output shape]. */
export function depthSpacePlan(node: Node, shape: readonly number[]): { view: number[]; perm: number[]; outShape: number[] } {
  if (shape.length !== 4) nodeError(node, `input must be 4-D NCHW, got rank ${shape.length}`);
  const b = attrInt(node, 'blocksize');
  if (b === undefined || b < 1) nodeError(node, `attribute 'blocksize' must be a positive int`);
  const [n, c, h, w] = shape;
  if (node.op === 'DepthToSpace') {
    if (c % (b * b) !== 0) nodeError(node, `channels ${c} are not divisible by blocksize^2 = ${b * b}`);
    const c2 = c / (b * b);
    const mode = attrString(node, 'mode', 'DCR');
    if (mode !== 'DCR' && mode !== 'CRD') nodeError(node, `mode '${mode}' must be DCR or CRD`);
    return mode === 'DCR'
      ? { view: [n, b, b, c2, h, w], perm: [0, 3, 4, 1, 5, 2], outShape: [n, c2, h * b, w * b] }
      : { view: [n, c2, b, b, h, w], perm: [0, 1, 4, 2, 5, 3], outShape: [n, c2, h * b, w * b] };
  }
  if (h % b !== 0 || w % b !== 0) nodeError(node, `spatial size ${h}x${w} is not divisible by blocksize ${b}`);
  return { view: [n, c, h / b, b, w / b, b], perm: [0, 3, 5, 1, 2, 4], outShape: [n, c * b * b, h / b, w / b] };
}

/** Gather output shape: data.shape[:axis] + indices.shape + data.shape[axis+1:]. */
function gatherShape(data: readonly number[], indices: readonly number[], axis: number): number[] {
  return [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)];
}

/** Concat output shape, checking that non-axis dims agree. */
function concatShape(node: Node, ins: TensorInfo[]): { axis: number; shape: number[] } {
  if (!ins.length) nodeError(node, 'needs at least one input');
  const r = ins[0].shape.length;
  const ax = attrInt(node, 'axis');
  if (ax === undefined) nodeError(node, `attribute 'axis' is required`);
  const axis = normAxis(node, ax, r);
  const shape = [...ins[0].shape];
  shape[axis] = 0;
  for (const t of ins) {
    if (t.dtype !== ins[0].dtype) nodeError(node, `input types ${ins[0].dtype} and ${t.dtype} differ`);
    if (t.shape.length !== r || t.shape.some((d, i) => i !== axis && d !== ins[0].shape[i]))
      nodeError(node, `input shapes [${ins.map((x) => x.shape.join('x')).join('], [')}] differ outside axis ${ax}`);
    shape[axis] += t.shape[axis];
  }
  return { axis, shape };
}

/** The constant starts/ends/axes/steps of a Slice node. */
function sliceArgs(node: Node, consts: readonly (Value | undefined)[]): [number[], number[], number[] | undefined, number[] | undefined] {
  const starts = toNumbers(requireConst(node, consts, 1, 'starts'));
  const ends = toNumbers(requireConst(node, consts, 2, 'ends'));
  const axes = node.inputs[3] ? toNumbers(requireConst(node, consts, 3, 'axes')) : undefined;
  const steps = node.inputs[4] ? toNumbers(requireConst(node, consts, 4, 'steps')) : undefined;
  return [starts, ends, axes, steps];
}

/** The Pad plan of a node from its canonical attributes. */
export function padPlanOf(node: Node, shape: readonly number[]): RemapPlan {
  const pads = attrInts(node, 'pads');
  if (!pads) nodeError(node, `attribute 'pads' is required (a constant pads input)`);
  return padPlan(node, shape, pads, attrString(node, 'mode', 'constant'), attrInts(node, 'axes'));
}

/** The Slice plan of a node from its constant inputs. */
export function slicePlanOf(node: Node, shape: readonly number[], consts: readonly (Value | undefined)[]): RemapPlan {
  const [s, e, a, st] = sliceArgs(node, consts);
  return slicePlan(node, shape, s, e, a, st);
}

/** The code Pad writes in constant mode: the pad value quantized with the input's parameters (0 gives the zero point). */
export function quantizedPadValue(node: Node, x: QValue): number {
  const q = requireQuantOf(node, x, 'input 0', INT8_16_TYPES);
  return quantizeData(Float32Array.of(attrFloat(node, 'value', 0)), [1], q, x.dtype)[0];
}

/**
 * Integer Concat: inputs whose parameters equal the output's are copied (TFLite int8 concatenation, which requires
 * that); the others are requantized to the output's, zy + (x - zx) * sx / sy with TFLite's integer multiplier.
 */
function intConcatInputs(node: Node, inputs: readonly (QValue | undefined)[], y: QTensorInfo): (Value | undefined)[] {
  const yq = requireQuant8(node, y, 'output 0');
  const [lo, hi] = qRange(y.dtype);
  return inputs.map((x, k) => {
    if (!x) return x;
    requireQuant8(node, x, `input ${k}`);
    if (sameParams(x.quant, yq)) return x;
    const p = requantParams(node, x.quant, yq, `input ${k}`);
    const out = makeValue(y.dtype, [...x.shape]);
    x.data.forEach((v, i) => (out.data[i] = clampInt(requantElem(p, v), lo, hi)));
    return out;
  });
}

/** Layout ops: Transpose, Concat, Split, Slice, Gather, Pad, DepthToSpace, SpaceToDepth. */
const layoutDefs: OpDef[] = [
  {
    op: 'Transpose',
    summary: 'permute axes (perm, default reversed)',
    infer({ node, inputs }) {
      const x = requireInput(node, inputs, 0);
      const perm = transposePerm(node, x.shape.length);
      return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
    },
    reference: (node, [x]) => [transposeValue(x!, transposePerm(node, x!.shape.length))],
  },
  {
    op: 'Concat',
    summary: 'join tensors along an axis',
    infer({ node, inputs }) {
      const ins = inputs.filter((t): t is TensorInfo => !!t);
      return [{ dtype: ins[0]?.dtype ?? 'float32', shape: concatShape(node, ins).shape }];
    },
    reference(node, inputs) {
      const ins = inputs.filter((v): v is Value => !!v);
      const { axis, shape } = concatShape(node, ins);
      const out = makeValue(ins[0].dtype, shape);
      const outer = numel(shape.slice(0, axis));
      const inner = numel(shape.slice(axis + 1));
      const row = shape[axis] * inner;
      let off = 0;
      for (const v of ins) {
        const chunk = v.shape[axis] * inner;
        for (let o = 0; o < outer; o++) out.data.set(v.data.subarray(o * chunk, (o + 1) * chunk), o * row + off);
        off += chunk;
      }
      return [out];
    },
  },
  {
    op: 'Split',
    summary: 'split a tensor along an axis (split sizes, num_outputs or equal parts)',
    infer({ node, inputs }) {
      const x = requireInput(node, inputs, 0);
      const axis = normAxis(node, attrInt(node, 'axis', 0), x.shape.length);
      return splitSizes(node, x.shape[axis]).map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? s : d)) }));
    },
    reference(node, [x]) {
      const v = x!;
      const axis = normAxis(node, attrInt(node, 'axis', 0), v.shape.length);
      let start = 0;
      return splitSizes(node, v.shape[axis]).map((s) => {
        const m = Int32Array.from({ length: s }, (_, j) => start + j);
        start += s;
        const maps: AxisMaps = v.shape.map((_, i) => (i === axis ? m : null));
        return remapValue(v, { outShape: v.shape.map((d, i) => (i === axis ? s : d)), maps });
      });
    },
  },
  {
    op: 'Slice',
    summary: 'strided slice with constant starts/ends/axes/steps',
    infer({ node, inputs, consts }) {
      const x = requireInput(node, inputs, 0);
      return [{ dtype: x.dtype, shape: slicePlanOf(node, x.shape, consts).outShape }];
    },
    reference: (node, inputs) => [remapValue(inputs[0]!, slicePlanOf(node, inputs[0]!.shape, inputs))],
  },
  {
    op: 'Gather',
    summary: 'take entries along an axis by int32/int64 indices',
    infer({ node, inputs }) {
      const x = requireInput(node, inputs, 0);
      const ind = requireInput(node, inputs, 1);
      if (ind.dtype !== 'int32' && ind.dtype !== 'int64') nodeError(node, `indices must be int32 or int64, got ${ind.dtype}`);
      const axis = normAxis(node, attrInt(node, 'axis', 0), x.shape.length);
      return [{ dtype: x.dtype, shape: gatherShape(x.shape, ind.shape, axis) }];
    },
    reference(node, [x, ind]) {
      const v = x!;
      const axis = normAxis(node, attrInt(node, 'axis', 0), v.shape.length);
      const dim = v.shape[axis];
      const m = gatherIndices(node, dim, ind!.data);
      const view = [numel(v.shape.slice(0, axis)), dim, numel(v.shape.slice(axis + 1))];
      const out = remapValue({ ...v, shape: view }, { outShape: [view[0], m.length, view[2]], maps: [null, m, null] });
      return [{ ...out, shape: gatherShape(v.shape, ind!.shape, axis) }];
    },
  },
  {
    op: 'Pad',
    summary: 'pad or crop (constant, reflect, edge, wrap)',
    infer({ node, inputs }) {
      const x = requireInput(node, inputs, 0);
      return [{ dtype: x.dtype, shape: padPlanOf(node, x.shape).outShape }];
    },
    reference: (node, [x]) => [remapValue(x!, padPlanOf(node, x!.shape), attrFloat(node, 'value', 0))],
  },
  ...(['DepthToSpace', 'SpaceToDepth'] as const).map(
    (op): OpDef => ({
      op,
      summary: op === 'DepthToSpace' ? 'move channel blocks into space (DCR/CRD)' : 'move spatial blocks into channels',
      infer({ node, inputs }) {
        const x = requireInput(node, inputs, 0);
        return [{ dtype: x.dtype, shape: depthSpacePlan(node, x.shape).outShape }];
      },
      reference(node, [x]) {
        const p = depthSpacePlan(node, x!.shape);
        const t = transposeValue({ ...x!, shape: p.view }, p.perm);
        return [{ dtype: t.dtype, shape: p.outShape, data: t.data }];
      },
    }),
  ),
];

/** Layout ops with their integer forms: data movement keeps its input's parameters, Concat requantizes. */
export const layoutOps: OpDef[] = withIntForms(layoutDefs, {
  Transpose: sameForm,
  Split: sameForm,
  Slice: sameForm,
  Gather: sameForm,
  DepthToSpace: sameForm,
  SpaceToDepth: sameForm,
  Pad: {
    quant: 'same',
    intReference(node, [x], outs) {
      requireSameQuant(node, x, outs);
      return [remapValue(x!, padPlanOf(node, x!.shape), quantizedPadValue(node, x!))];
    },
  },
  Concat: (def): IntForm => ({
    quant: 'requant',
    intReference: (node, inputs, [y]) => def.reference(node, intConcatInputs(node, inputs, y)),
  }),
});
