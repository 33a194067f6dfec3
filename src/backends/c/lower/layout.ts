/** C lowerings of the layout ops onto runtime-c/kernels/layout.h, plus the remap/transpose emitters other families share. */
import type { DType, Value } from '../../../ir/types.js';
import { castScalar, DTYPES, numel, stridesOf } from '../../../ir/dtype.js';
import { cFloat, type CLowerCtx, type CLowering, type CTensor } from '../lowering.js';
import { int64Literal } from '../constants.js';
import { nodeError, normAxis } from '../../../ops/util.js';
import { attrFloat, attrInt } from '../../../ir/attrs.js';
import {
  depthSpacePlan, gatherIndices, padPlanOf, slicePlanOf, splitSizes, transposePerm, type RemapPlan,
} from '../../../ops/layout.js';

/** Input i of the node, or an error naming it. */
export function needInput(ctx: CLowerCtx, i: number): CTensor {
  const t = ctx.input(i);
  if (!t) nodeError(ctx.node, `input ${i} is required`);
  return t;
}

/** A C literal of `v` in `dtype` (exact for floats, saturating for int64). */
export function cScalar(dtype: DType, v: number): string {
  const x = castScalar(v, dtype);
  if (dtype === 'float32') return cFloat(x);
  if (dtype === 'float64') return Number.isFinite(x) ? x.toPrecision(17) : x > 0 ? 'HUGE_VAL' : x < 0 ? '-HUGE_VAL' : '(0.0/0.0)';
  if (dtype === 'int64') return int64Literal(x);
  if (dtype === 'uint32') return `${x}u`;
  if (dtype === 'int32' && x === -2147483648) return '(-2147483647 - 1)';
  return String(x);
}

/** Mark tensors as read when an empty output leaves nothing to do (keeps -Wunused-parameter quiet). */
export function emitTouch(ctx: CLowerCtx, ...ts: CTensor[]): void {
  ctx.line(`${ts.map((t) => `(void)${t.ptr};`).join(' ')} /* empty tensor: nothing to move */`);
}

/** Emit `dst = src` as one copy unless the emitter made them share a buffer. */
export function emitCopy(ctx: CLowerCtx, src: CTensor, dst: CTensor): void {
  const bytes = numel(dst.info.shape) * DTYPES[dst.info.dtype].bytes;
  if (!bytes) emitTouch(ctx, src, dst);
  else ctx.line(`if ((const void *)${dst.ptr} != (const void *)${src.ptr}) memcpy(${dst.ptr}, ${src.ptr}, ${bytes});`);
}

/** A pointer expression offset by `bytes`. */
function bytePtr(ptr: string, bytes: number, isConst: boolean): string {
  if (!bytes) return ptr;
  return `((${isConst ? 'const ' : ''}unsigned char *)${ptr} + ${bytes})`;
}

/** Emit a remap (gather by per-axis maps) of src viewed as `inShape`; entries -1 write `fill`. */
export function emitRemap(ctx: CLowerCtx, src: CTensor, dst: CTensor, inShape: readonly number[], plan: RemapPlan, fill = 0): void {
  const dtype = src.info.dtype;
  const bsize = DTYPES[dtype].bytes;
  if (!numel(plan.outShape)) return emitTouch(ctx, src, dst);
  const st = stridesOf(inShape);
  const isId = (m: Int32Array | null, od: number, id: number) => !m || (od === id && m.every((v, j) => v === j));
  let axes = inShape.map((id, a) => {
    const od = plan.outShape[a];
    const map = isId(plan.maps[a], od, id) ? null : plan.maps[a];
    return { od, st: st[a], map };
  });
  // Unit output axes that read one fixed index become a base offset; broadcast axes (one index) get stride 0.
  let base = 0;
  for (const ax of axes) {
    const c = ax.map?.[0] ?? -1;
    if (ax.map && ax.od > 1 && c >= 0 && ax.map.every((v) => v === c)) {
      base += c * ax.st;
      ax.st = 0;
      ax.map = null;
    }
  }
  axes = axes.filter((ax) => {
    if (ax.od !== 1 || (ax.map && ax.map[0] < 0)) return true;
    base += (ax.map ? ax.map[0] : 0) * ax.st;
    return false;
  });
  // Trailing contiguous identity axes join the element; adjacent identity axes merge.
  let group = 1;
  while (axes.length && !axes[axes.length - 1].map && axes[axes.length - 1].st === group) group *= axes.pop()!.od;
  for (let a = axes.length - 2; a >= 0; a--) {
    const [x, y] = [axes[a], axes[a + 1]];
    if (!x.map && !y.map && x.st === y.st * y.od) axes.splice(a, 2, { od: x.od * y.od, st: y.st, map: null });
  }
  const s = bytePtr(src.ptr, base * bsize, true);
  if (!axes.length) {
    ctx.line(`memcpy(${dst.ptr}, ${s}, ${group * bsize});`);
    return;
  }
  if (axes.length > 8) nodeError(ctx.node, `data movement over ${axes.length} independent axes exceeds the C kernel's 8; reshape to fewer axes`);
  ctx.useKernel('layout.h');
  const offs: number[] = [];
  const flat: number[] = [];
  for (const ax of axes) {
    offs.push(ax.map ? flat.length : -1);
    if (ax.map) for (const v of ax.map) flat.push(v);
  }
  const inner = axes[axes.length - 1].map;
  let gather = 0;
  if (inner && inner.every((v) => v >= 0)) {
    let runs = 1;
    for (let j = 1; j < inner.length; j++) if (inner[j] !== inner[j - 1] + 1) runs++;
    const contiguous = axes[axes.length - 1].st === group;
    gather = !contiguous || inner.length < 4 * runs ? 1 : 0;
  }
  const maps = flat.length ? ctx.constArray('remap', { dtype: 'int32', shape: [flat.length], data: Int32Array.from(flat) }) : 'NULL';
  ctx.line('{');
  ctx.line(`  static const ptrdiff_t od[] = {${axes.map((a) => a.od).join(', ')}};`);
  ctx.line(`  static const ptrdiff_t is[] = {${axes.map((a) => a.st * bsize).join(', ')}};`);
  ctx.line(`  static const ptrdiff_t mo[] = {${offs.join(', ')}};`);
  let fillArg = 'NULL';
  if (flat.some((v) => v < 0) && !Object.is(castScalar(fill, dtype), 0)) {
    ctx.line(`  static const ${DTYPES[dtype].cType} fv = ${cScalar(dtype, fill)};`);
    fillArg = '&fv';
  }
  ctx.line(`  edgec_remap(${dst.ptr}, ${s}, ${axes.length}, od, is, ${maps}, mo, ${bsize}, ${group}, ${fillArg}, ${gather});`);
  ctx.line('}');
}

/** Emit a transpose of src viewed as `inShape` by `perm`, after dropping unit axes and merging axes that stay adjacent. */
export function emitTranspose(ctx: CLowerCtx, src: CTensor, dst: CTensor, inShape: readonly number[], perm: readonly number[]): void {
  const bsize = DTYPES[src.info.dtype].bytes;
  const n = numel(inShape);
  if (!n) return emitTouch(ctx, src, dst);
  // Drop unit axes, renumbering the permutation.
  const keep = inShape.map((d) => d !== 1);
  const renum = new Map<number, number>();
  let dims: number[] = [];
  inShape.forEach((d, i) => {
    if (keep[i]) {
      renum.set(i, dims.length);
      dims.push(d);
    }
  });
  let p = perm.filter((a) => keep[a]).map((a) => renum.get(a)!);
  // Merge input axes i, i+1 that are adjacent in the output.
  for (let merged = true; merged; ) {
    merged = false;
    for (let k = 0; k + 1 < p.length; k++) {
      const i = p[k];
      if (p[k + 1] !== i + 1) continue;
      dims = [...dims.slice(0, i), dims[i] * dims[i + 1], ...dims.slice(i + 2)];
      p = p.filter((_, j) => j !== k + 1).map((a) => (a > i ? a - 1 : a));
      merged = true;
      break;
    }
  }
  let es = bsize;
  if (p.length && p[p.length - 1] === p.length - 1) {
    es *= dims.pop()!;
    p.pop();
  }
  if (p.length <= 1) {
    ctx.line(`memcpy(${dst.ptr}, ${src.ptr}, ${n * bsize});`);
    return;
  }
  ctx.useKernel('layout.h');
  if (p.length === 2 || (p.length === 3 && p[0] === 0 && p[1] === 2 && p[2] === 1)) {
    const [batch, rows, cols] = p.length === 2 ? [1, dims[0], dims[1]] : dims;
    ctx.line(`edgec_transpose2d(${dst.ptr}, ${src.ptr}, ${batch}, ${rows}, ${cols}, ${es});`);
    return;
  }
  if (p.length > 8) nodeError(ctx.node, `transpose over ${p.length} independent axes exceeds the C kernel's 8`);
  const ist = dims.map((_, i) => numel(dims.slice(i + 1)) * es);
  ctx.line('{');
  ctx.line(`  static const ptrdiff_t od[] = {${p.map((a) => dims[a]).join(', ')}};`);
  ctx.line(`  static const ptrdiff_t is[] = {${p.map((a) => ist[a]).join(', ')}};`);
  ctx.line(`  edgec_transpose(${dst.ptr}, ${src.ptr}, ${p.length}, od, is, ${es});`);
  ctx.line('}');
}

/** Concat: each input's rows land at its offset within every output row. */
const concat: CLowering = (ctx) => {
  const y = ctx.output(0);
  const shape = y.info.shape;
  const axis = normAxis(ctx.node, attrInt(ctx.node, 'axis', 0), shape.length);
  const es = DTYPES[y.info.dtype].bytes;
  const outer = numel(shape.slice(0, axis));
  const inner = numel(shape.slice(axis + 1)) * es;
  const rowOut = shape[axis] * inner;
  let off = 0;
  if (!rowOut || !outer) emitTouch(ctx, y);
  ctx.node.inputs.forEach((name, i) => {
    const x = name ? ctx.input(i) : undefined;
    if (!x) return;
    const row = x.info.shape[axis] * inner;
    if (!row || !outer) emitTouch(ctx, x);
    else {
      ctx.useKernel('layout.h');
      ctx.line(`edgec_copy2d(${bytePtr(y.ptr, off, false)}, ${rowOut}, ${x.ptr}, ${row}, ${outer}, ${row});`);
    }
    off += row;
  });
};

/** Split: each output takes its slab of every input row. */
const split: CLowering = (ctx) => {
  const x = needInput(ctx, 0);
  const shape = x.info.shape;
  const axis = normAxis(ctx.node, attrInt(ctx.node, 'axis', 0), shape.length);
  const es = DTYPES[x.info.dtype].bytes;
  const outer = numel(shape.slice(0, axis));
  const inner = numel(shape.slice(axis + 1)) * es;
  const rowIn = shape[axis] * inner;
  let off = 0;
  splitSizes(ctx.node, shape[axis]).forEach((s, k) => {
    const row = s * inner;
    if (!ctx.node.outputs[k]) {
      off += row;
      return;
    }
    if (!row || !outer) emitTouch(ctx, x, ctx.output(k));
    else {
      ctx.useKernel('layout.h');
      ctx.line(`edgec_copy2d(${ctx.output(k).ptr}, ${row}, ${bytePtr(x.ptr, off, true)}, ${rowIn}, ${outer}, ${row});`);
    }
    off += row;
  });
};

/** Gather: constant indices become a remap; runtime indices use edgec_gather. */
const gather: CLowering = (ctx) => {
  const x = needInput(ctx, 0);
  const ind = needInput(ctx, 1);
  const y = ctx.output(0);
  const shape = x.info.shape;
  const axis = normAxis(ctx.node, attrInt(ctx.node, 'axis', 0), shape.length);
  const outer = numel(shape.slice(0, axis));
  const inner = numel(shape.slice(axis + 1));
  const count = numel(ind.info.shape);
  if (!numel(y.info.shape)) return emitTouch(ctx, x, ind, y);
  if (ind.value) {
    const m = gatherIndices(ctx.node, shape[axis], ind.value.data);
    emitRemap(ctx, x, y, [outer, shape[axis], inner], { outShape: [outer, count, inner], maps: [null, m, null] });
    return;
  }
  ctx.useKernel('layout.h');
  const is64 = ind.info.dtype === 'int64';
  const idx = is64 ? `NULL, (const int64_t *)${ind.ptr}` : `(const int32_t *)${ind.ptr}, NULL`;
  ctx.line(`edgec_gather(${y.ptr}, ${x.ptr}, ${outer}, ${shape[axis]}, ${inner * DTYPES[x.info.dtype].bytes}, ${idx}, ${count});`);
};

/** Constant inputs of a node as values (Slice starts/ends/axes/steps). */
function constInputs(ctx: CLowerCtx): (Value | undefined)[] {
  return ctx.node.inputs.map((_, i) => ctx.input(i)?.value);
}

/** Layout op → C lowering. */
export const layoutLowerings: Record<string, CLowering> = {
  Transpose: (ctx) => {
    const x = needInput(ctx, 0);
    emitTranspose(ctx, x, ctx.output(0), x.info.shape, transposePerm(ctx.node, x.info.shape.length));
  },
  Concat: concat,
  Split: split,
  Slice: (ctx) => {
    const x = needInput(ctx, 0);
    emitRemap(ctx, x, ctx.output(0), x.info.shape, slicePlanOf(ctx.node, x.info.shape, constInputs(ctx)));
  },
  Gather: gather,
  Pad: (ctx) => {
    const x = needInput(ctx, 0);
    emitRemap(ctx, x, ctx.output(0), x.info.shape, padPlanOf(ctx.node, x.info.shape), attrFloat(ctx.node, 'value', 0));
  },
  DepthToSpace: (ctx) => {
    const x = needInput(ctx, 0);
    const p = depthSpacePlan(ctx.node, x.info.shape);
    emitTranspose(ctx, x, ctx.output(0), p.view, p.perm);
  },
  SpaceToDepth: (ctx) => {
    const x = needInput(ctx, 0);
    const p = depthSpacePlan(ctx.node, x.info.shape);
    emitTranspose(ctx, x, ctx.output(0), p.view, p.perm);
  },
};
