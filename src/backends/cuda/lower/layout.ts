/** CUDA lowerings of data movement: every op is one or more launches of the remap kernel (per-axis index maps or
 * strides), and views copy only when the emitter could not alias them. */
import type { Value } from '../../../ir/types.js';
import { DTYPES, numel, stridesOf } from '../../../ir/dtype.js';
import { attrFloat, attrInt } from '../../../ir/attrs.js';
import { nodeError, normAxis } from '../../../ops/util.js';
import { depthSpacePlan, gatherIndices, padPlanOf, slicePlanOf, splitSizes, transposePerm, type AxisMaps } from '../../../ops/layout.js';
import { expandPlan, tilePlan } from '../../../ops/shape.js';
import { nearestMaps, resizeSpec } from '../../../ops/resize.js';
import { cScalar } from '../../c/lower/layout.js';
import { gridFor, ELEMENT_THREADS, type CudaLowerCtx, type CudaLowering, type CudaTensor } from '../lowering.js';

function need(ctx: CudaLowerCtx, i: number): CudaTensor {
  const t = ctx.input(i);
  if (!t) nodeError(ctx.node, `input ${i} is required`);
  return t;
}

/** One region copy: dst[dstOff + c . dstStrides] = src[map(c) . srcStrides] over dims (maps null = identity). */
export function emitRemap(ctx: CudaLowerCtx, src: CudaTensor, dst: CudaTensor, dims: readonly number[], srcStrides: readonly number[],
  dstStrides: readonly number[], maps: AxisMaps, dstOff = 0, fill = 0): void {
  const n = numel(dims);
  if (!n) return;
  const r = Math.max(1, dims.length);
  if (r > 8) nodeError(ctx.node, `data movement over ${r} axes exceeds the CUDA kernel's 8`);
  const flat: number[] = [];
  const offs = dims.map((_, a) => {
    const m = maps[a];
    if (!m) return -1;
    const o = flat.length;
    for (const v of m) flat.push(v);
    return o;
  });
  const arr = (v: readonly number[], f: number) => `{${(v.length ? v : [f]).join(', ')}}`;
  const table = flat.length ? ctx.constBytes('remap', new Uint8Array(Int32Array.from(flat).buffer), 'int') : 'nullptr';
  const cType = DTYPES[src.info.dtype].cType;
  const desc = `edgec::Remap<${r}>{${arr(dims, 1)}, ${arr(srcStrides, 0)}, ${arr(dstStrides, 0)}, ${arr(offs, -1)}}`;
  ctx.useKernel('layout.cuh');
  const fillv = src.info.dtype === 'int64' ? `(int64_t)${Math.trunc(fill)}` : `(${cType})${cScalar(src.info.dtype, fill)}`;
  const out = dstOff ? `${dst.ptr} + ${dstOff}` : dst.ptr;
  ctx.launch(`edgec::remap<${cType}, ${r}>`, gridFor(n), String(ELEMENT_THREADS), [src.ptr, out, table, desc, String(n), fillv]);
}

/** Gather-by-maps of src (viewed as inShape) into a contiguous dst of outShape. */
function remapPlan(ctx: CudaLowerCtx, src: CudaTensor, dst: CudaTensor, inShape: readonly number[], outShape: readonly number[], maps: AxisMaps, fill = 0): void {
  emitRemap(ctx, src, dst, outShape, stridesOf([...inShape]), stridesOf([...outShape]), maps, 0, fill);
}

/** Transpose of src viewed as inShape by perm. */
function transpose(ctx: CudaLowerCtx, src: CudaTensor, dst: CudaTensor, inShape: readonly number[], perm: readonly number[]): void {
  const st = stridesOf([...inShape]);
  const dims = perm.map((a) => inShape[a]);
  emitRemap(ctx, src, dst, dims, perm.map((a) => st[a]), stridesOf(dims), dims.map(() => null));
}

/** Device-to-device copy unless the emitter aliased the buffers. */
function view(ctx: CudaLowerCtx): void {
  const x = need(ctx, 0);
  const y = ctx.output(0);
  const bytes = numel(y.info.shape) * DTYPES[y.info.dtype].bytes;
  if (bytes) ctx.line(`if ((const void *)${y.ptr} != (const void *)${x.ptr}) EDGEC_CUDA_TRY(cudaMemcpyAsync(${y.ptr}, ${x.ptr}, ${bytes}, cudaMemcpyDeviceToDevice, s));`);
}

function constInputs(ctx: CudaLowerCtx): (Value | undefined)[] {
  return ctx.node.inputs.map((_, i) => ctx.input(i)?.value);
}

/** Concat: each input lands in its region of the output. */
function concat(ctx: CudaLowerCtx): void {
  const y = ctx.output(0);
  const shape = y.info.shape;
  const axis = normAxis(ctx.node, attrInt(ctx.node, 'axis', 0), shape.length);
  const ost = stridesOf(shape);
  let off = 0;
  ctx.node.inputs.forEach((name, i) => {
    if (!name) return;
    const x = need(ctx, i);
    emitRemap(ctx, x, y, x.info.shape, stridesOf(x.info.shape), ost, x.info.shape.map(() => null), off * ost[axis]);
    off += x.info.shape[axis];
  });
}

/** Split: each output is a region of the input. */
function split(ctx: CudaLowerCtx): void {
  const x = need(ctx, 0);
  const shape = x.info.shape;
  const axis = normAxis(ctx.node, attrInt(ctx.node, 'axis', 0), shape.length);
  let off = 0;
  splitSizes(ctx.node, shape[axis]).forEach((s, k) => {
    if (ctx.node.outputs[k]) {
      const m = Int32Array.from({ length: s }, (_, j) => off + j);
      remapPlan(ctx, x, ctx.output(k), shape, ctx.output(k).info.shape, shape.map((_, a) => (a === axis ? m : null)));
    }
    off += s;
  });
}

/** Layout and shape ops → CUDA lowering. */
export const layoutCudaLowerings: Record<string, CudaLowering> = {
  Reshape: { lower: view },
  Flatten: { lower: view },
  Squeeze: { lower: view },
  Unsqueeze: { lower: view },
  Identity: { lower: view },
  Dropout: { lower: view },
  Transpose: {
    lower(ctx) {
      const x = need(ctx, 0);
      transpose(ctx, x, ctx.output(0), x.info.shape, transposePerm(ctx.node, x.info.shape.length));
    },
  },
  Concat: { lower: concat },
  Split: { lower: split },
  Slice: {
    lower(ctx) {
      const x = need(ctx, 0);
      const p = slicePlanOf(ctx.node, x.info.shape, constInputs(ctx));
      remapPlan(ctx, x, ctx.output(0), x.info.shape, p.outShape, p.maps);
    },
  },
  Pad: {
    lower(ctx) {
      const x = need(ctx, 0);
      const p = padPlanOf(ctx.node, x.info.shape);
      remapPlan(ctx, x, ctx.output(0), x.info.shape, p.outShape, p.maps, attrFloat(ctx.node, 'value', 0));
    },
  },
  Gather: {
    lower(ctx) {
      const x = need(ctx, 0);
      const ind = need(ctx, 1);
      if (!ind.value) nodeError(ctx.node, 'CUDA Gather needs constant indices; build for target c for run-time indices');
      const shape = x.info.shape;
      const axis = normAxis(ctx.node, attrInt(ctx.node, 'axis', 0), shape.length);
      const outer = numel(shape.slice(0, axis));
      const inner = numel(shape.slice(axis + 1));
      const m = gatherIndices(ctx.node, shape[axis], ind.value.data);
      remapPlan(ctx, x, ctx.output(0), [outer, shape[axis], inner], [outer, m.length, inner], [null, m, null]);
    },
  },
  Expand: {
    lower(ctx) {
      const x = need(ctx, 0);
      const y = ctx.output(0);
      const p = expandPlan(x.info.shape, y.info.shape);
      remapPlan(ctx, x, y, p.view, p.plan.outShape, p.plan.maps);
    },
  },
  Tile: {
    lower(ctx) {
      const x = need(ctx, 0);
      const reps = need(ctx, 1).value;
      if (!reps) nodeError(ctx.node, 'CUDA Tile needs constant repeats');
      const p = tilePlan(ctx.node, x.info.shape, Array.from(reps.data, Number));
      remapPlan(ctx, x, ctx.output(0), x.info.shape, p.outShape, p.maps);
    },
  },
  DepthToSpace: {
    lower(ctx) {
      const x = need(ctx, 0);
      const p = depthSpacePlan(ctx.node, x.info.shape);
      transpose(ctx, x, ctx.output(0), p.view, p.perm);
    },
  },
  SpaceToDepth: {
    lower(ctx) {
      const x = need(ctx, 0);
      const p = depthSpacePlan(ctx.node, x.info.shape);
      transpose(ctx, x, ctx.output(0), p.view, p.perm);
    },
  },
  Resize: {
    lower(ctx) {
      const x = need(ctx, 0);
      const spec = resizeSpec(ctx.node, x.info);
      if (spec.mode !== 'nearest') nodeError(ctx.node, `${spec.mode} Resize has no CUDA kernel yet; use nearest or build for target c`);
      remapPlan(ctx, x, ctx.output(0), spec.inShape, spec.outShape, nearestMaps(spec));
    },
  },
};
