/** C lowerings of the shape ops: aliasing views copy when not aliased, constants are baked, Expand/Tile remap. */
import { DTYPES, numel } from '../../../ir/dtype.js';
import { attrTensor } from '../../../ir/attrs.js';
import { getOp } from '../../../ops/registry.js';
import { nodeError, toNumbers } from '../../../ops/util.js';
import { expandPlan, tilePlan } from '../../../ops/shape.js';
import type { CLowerCtx, CLowering } from '../lowering.js';
import { cScalar, emitCopy, emitRemap, emitTouch, needInput } from './layout.js';

/** View ops: the output is the input's bytes; copy only when the emitter could not share the buffer. */
const view: CLowering = (ctx) => emitCopy(ctx, needInput(ctx, 0), ctx.output(0));

/** Output 0 computed at compile time from constant inputs (Shape of a static tensor, Range) and stored as a const array. */
function bake(ctx: CLowerCtx, shapeOnly: boolean): void {
  const ins = ctx.node.inputs.map((_, i) => {
    const t = ctx.input(i);
    if (!t) return undefined;
    if (shapeOnly) return { ...t.info, data: new Float32Array(0) };
    if (!t.value) nodeError(ctx.node, `input ${i} must be a constant to compile to C; fold constants first`);
    return t.value;
  });
  const v = getOp(ctx.node.op).reference(ctx.node, ins)[0];
  const y = ctx.output(0);
  if (shapeOnly) ctx.line(`(void)${needInput(ctx, 0).ptr}; /* only the static shape is read */`);
  if (!v.data.length) return emitTouch(ctx, y);
  const sym = ctx.constArray(ctx.node.op.toLowerCase(), v);
  ctx.line(`memcpy(${y.ptr}, ${sym}, ${v.data.length * DTYPES[v.dtype].bytes});`);
}

/** ConstantOfShape: zero fill with memset, any other value by doubling copies. */
const constantOfShape: CLowering = (ctx) => {
  const y = ctx.output(0);
  const n = numel(y.info.shape);
  if (!n) return emitTouch(ctx, y);
  const bsize = DTYPES[y.info.dtype].bytes;
  const t = attrTensor(ctx.node, 'value');
  const v = t ? t.data[0] : 0;
  if (Object.is(v, 0)) {
    ctx.line(`memset(${y.ptr}, 0, ${n * bsize});`);
    return;
  }
  ctx.useKernel('layout.h');
  ctx.line('{');
  ctx.line(`  static const ${DTYPES[y.info.dtype].cType} fv = ${cScalar(y.info.dtype, v)};`);
  ctx.line(`  edgec_fill_elems(${y.ptr}, ${n}, ${bsize}, &fv);`);
  ctx.line('}');
};

/** Shape op → C lowering. */
export const shapeLowerings: Record<string, CLowering> = {
  Reshape: view,
  Flatten: view,
  Squeeze: view,
  Unsqueeze: view,
  Identity: view,
  Dropout: view,
  Shape: (ctx) => bake(ctx, true),
  Range: (ctx) => bake(ctx, false),
  ConstantOfShape: constantOfShape,
  Expand: (ctx) => {
    const x = needInput(ctx, 0);
    const y = ctx.output(0);
    const { view: v, plan } = expandPlan(x.info.shape, y.info.shape);
    emitRemap(ctx, x, y, v, plan);
  },
  Tile: (ctx) => {
    const x = needInput(ctx, 0);
    const reps = ctx.input(1)?.value;
    if (!reps) nodeError(ctx.node, `repeats (input 1) must be a constant to compile to C`);
    emitRemap(ctx, x, ctx.output(0), x.info.shape, tilePlan(ctx.node, x.info.shape, toNumbers(reps)));
  },
};
