/** C lowerings of the integer data-movement ops: the float lowerings on int8 bytes, Pad's quantized fill, requantizing Concat. */
import { attrFloat, attrInt } from '../../../ir/attrs.js';
import { numel } from '../../../ir/dtype.js';
import { padPlanOf } from '../../../ops/layout.js';
import { normAxis } from '../../../ops/util.js';
import { requireQuant8, requireSameQuant } from '../../../ops/qform.js';
import { qRange, quantizeData } from '../../../quant/params.js';
import { requantParams, sameParams } from '../../../quant/kernels.js';
import type { CLowering, CTensor } from '../lowering.js';
import { cType, need } from './elementwise.js';
import { emitRemap, emitTouch, layoutLowerings } from './layout.js';
import { shapeLowerings } from './shape.js';
import { resizeLowerings } from './resize.js';
import { reduceLowerings } from './reduce.js';
import { centred, mbqm, plusZp } from './qelementwise.js';

/** A tensor as the quantization checks see it. */
function qinfo(t: CTensor): CTensor['info'] & { quant: CTensor['quant'] } {
  return { ...t.info, quant: t.quant };
}

/** A 'same'-policy op: check that every output keeps input 0's parameters, then move bytes as the float lowering does. */
function same(lower: CLowering): CLowering {
  return (ctx) => {
    const outs = ctx.node.outputs.map((o, k) => (o ? qinfo(ctx.output(k)) : undefined)).filter((t) => !!t);
    requireSameQuant(ctx.node, qinfo(need(ctx, 0)), outs);
    lower(ctx);
  };
}

/** Pad: constant mode writes the pad value quantized with the input's parameters. */
const pad: CLowering = (ctx) => {
  const x = need(ctx, 0);
  const y = ctx.output(0);
  const q = requireSameQuant(ctx.node, qinfo(x), [qinfo(y)]);
  const fill = quantizeData(Float32Array.of(attrFloat(ctx.node, 'value', 0)), [1], q, x.info.dtype)[0];
  emitRemap(ctx, x, y, x.info.shape, padPlanOf(ctx.node, x.info.shape), fill);
};

/** Elements from which a requantized int8 Concat input goes through a 256-entry table on vector targets. */
const LUT_MIN = 1024;

/** Concat: inputs with the output's parameters are copied, the others requantized row by row (on vector targets,
 * int8 inputs of LUT_MIN+ elements through a table of their 256 codes). */
const concat: CLowering = (ctx) => {
  const y = ctx.output(0);
  const yq = requireQuant8(ctx.node, qinfo(y), 'output 0');
  const ins = ctx.node.inputs.map((name, i) => (name ? ctx.input(i) : undefined));
  ins.forEach((x, i) => x && requireQuant8(ctx.node, qinfo(x), `input ${i}`));
  if (ins.every((x) => !x || sameParams(x.quant, yq))) return layoutLowerings.Concat(ctx);
  const shape = y.info.shape;
  const axis = normAxis(ctx.node, attrInt(ctx.node, 'axis', 0), shape.length);
  const outer = numel(shape.slice(0, axis));
  const inner = numel(shape.slice(axis + 1));
  const rowOut = shape[axis] * inner;
  const T = cType(y.info.dtype);
  const [lo, hi] = qRange(y.info.dtype);
  let off = 0;
  if (!outer || !rowOut) return emitTouch(ctx, y, ...ins.filter((x): x is CTensor => !!x));
  ins.forEach((x, i) => {
    if (!x) return;
    const row = x.info.shape[axis] * inner;
    if (!row) emitTouch(ctx, x);
    else if (sameParams(x.quant, yq)) {
      ctx.useKernel('layout.h');
      ctx.line(`edgec_copy2d(${y.ptr} + ${off}, ${rowOut}, ${x.ptr}, ${row}, ${outer}, ${row});`);
    } else {
      const p = requantParams(ctx.node, x.quant, yq, `input ${i}`);
      ctx.useKernel('qelementwise.h');
      if (ctx.target.simd && T === 'int8_t' && x.info.dtype === 'int8' && outer * row >= LUT_MIN) {
        // int8 to int8: a function of 256 codes, tabulated per run and applied on the vocabulary (kernels/vlut.h).
        ctx.useKernel('vlut.h');
        ctx.line('{');
        ctx.line(`  int8_t *lut = (int8_t *)${ctx.scratch(256)};`);
        ctx.line(`  for (int c = 0; c < 256; c++) lut[c] = (int8_t)edgec_clampi(${plusZp(mbqm(centred('(c - 128)', p.zx), p.m), p.zy)}, ${lo}, ${hi});`);
        ctx.line(`  for (ptrdiff_t o = 0; o < ${outer}; o++) edgec_lut_s8(${x.ptr} + o * ${row}, ${y.ptr} + ${off} + o * ${rowOut}, ${row}, lut);`);
        ctx.line('}');
        off += row;
        return;
      }
      ctx.line('{');
      ctx.line(`  const ${T} *EDGEC_RESTRICT xs = ${x.ptr};`);
      ctx.line(`  ${T} *EDGEC_RESTRICT ys = ${y.ptr} + ${off};`);
      ctx.line(`  for (ptrdiff_t o = 0; o < ${outer}; o++)`);
      ctx.line(`    for (ptrdiff_t j = 0; j < ${row}; j++)`);
      ctx.line(`      ys[o * ${rowOut} + j] = (${T})edgec_clampi(${plusZp(mbqm(centred(`xs[o * ${row} + j]`, p.zx), p.m), p.zy)}, ${lo}, ${hi});`);
      ctx.line('}');
    }
    off += row;
  });
};

/** Ops whose integer form moves or selects values without changing their quantization. */
const SAME_LOWERINGS: Record<string, CLowering> = {
  ...Object.fromEntries(['Transpose', 'Split', 'Slice', 'Gather', 'DepthToSpace', 'SpaceToDepth'].map((op) => [op, layoutLowerings[op]])),
  ...Object.fromEntries(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Expand', 'Tile'].map((op) => [op, shapeLowerings[op]])),
  Resize: resizeLowerings.Resize,
};

/** Integer data-movement op → C lowering. */
export const qLayoutLowerings: Record<string, CLowering> = {
  ...Object.fromEntries(Object.entries(SAME_LOWERINGS).map(([op, l]) => [op, same(l)])),
  Pad: pad,
  Concat: concat,
  Shape: shapeLowerings.Shape,
  ArgMax: reduceLowerings.ArgMax,
  ArgMin: reduceLowerings.ArgMin,
};

