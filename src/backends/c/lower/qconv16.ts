/** C lowering of the 16x8 integer Conv and ConvTranspose onto runtime-c/kernels/qconv16.h (direct loops, int64 accumulators). */
import { convGeometry, convTransposeGeometry } from '../../../ops/conv.js';
import { conv16Params } from '../../../ops/conv-int16.js';
import { nodeError } from '../../../ops/util.js';
import type { CLowerCtx, CTensor } from '../lowering.js';
import { need } from './elementwise.js';

const qop = (t: CTensor | undefined) => t && { ...t.info, quant: t.quant };

/** True when a convolution node runs on int16 activations (its 16x8 form). */
export function isConv16(ctx: CLowerCtx): boolean {
  return ctx.input(0)?.info.dtype === 'int16';
}

/** Emit one 16x8 Conv (`transpose` false) or ConvTranspose with per-channel multiplier tables and the bias widened to int64. */
export function lowerConv16(ctx: CLowerCtx, transpose: boolean): void {
  const [x, w, b] = [need(ctx, 0), need(ctx, 1), ctx.input(2)];
  const y = ctx.output(0);
  if (x.info.shape.length !== 4) nodeError(ctx.node, `the 16x8 ${ctx.node.op} kernel is 2-D; input rank ${x.info.shape.length} is not supported`);
  const p = conv16Params(ctx.node, transpose, [qop(x), qop(w), qop(b)], qop(y));
  const g = (transpose ? convTransposeGeometry : convGeometry)(ctx.node, x.info, w.info);
  const mult = ctx.constArray('q16_mult', { dtype: 'int32', shape: [p.mults.length], data: Int32Array.from(p.mults, (m) => m.multiplier) });
  const shift = ctx.constArray('q16_shift', { dtype: 'int32', shape: [p.mults.length], data: Int32Array.from(p.mults, (m) => m.shift) });
  if (b && !b.value) nodeError(ctx.node, 'bias B must be a constant for the 16x8 kernel');
  const bias = b?.value ? ctx.constArray('q16_bias', { dtype: 'int64', shape: [b.value.data.length], data: Float64Array.from(b.value.data) }) : 'NULL';
  const geom = [
    g.batch, g.inC, ...g.inSpatial, g.outC, ...g.outSpatial, ...g.kernel, ...g.strides, ...g.dilations, ...g.padsBegin, g.group,
    p.wide ? 1 : 0, p.mults.length > 1 ? 1 : 0, p.lo, p.hi,
  ];
  ctx.useKernel('qconv16.h');
  ctx.line(`static const edgec_conv16_geom geom = {${geom.join(', ')}};`);
  ctx.line(`${transpose ? 'edgec_conv_transpose16x8' : 'edgec_conv16x8'}(&geom, ${x.ptr}, ${w.ptr}, ${bias}, ${mult}, ${shift}, ${y.ptr});`);
}
