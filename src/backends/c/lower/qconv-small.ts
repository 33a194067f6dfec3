/** Size-profile C lowering of integer Conv (microcontroller targets): the direct kernel of runtime-c/kernels/qconv_small.h
 * over the raw int8 weights, with no arena scratch and per-channel bias/multiplier/shift tables in flash. */
import { convGeometry, to2d } from '../../../ops/conv.js';
import { qconvParams } from '../../../ops/conv-int.js';
import { nodeError } from '../../../ops/util.js';
import type { CLowerCtx, CLowering } from '../lowering.js';
import { isConv16 } from './qconv16.js';
import { qconvLowerings } from './qconv.js';
import { constBias, qop, weightZero } from './qlinalg.js';

function lowerQConvSmall(ctx: CLowerCtx): void {
  const x = ctx.input(0);
  const w = ctx.input(1);
  if (!x || !w) nodeError(ctx.node, 'inputs X and W are required');
  if (!w.value) nodeError(ctx.node, 'weight W must be a constant for the integer Conv');
  const b = ctx.input(2);
  const y = ctx.output(0);
  const p = qconvParams(ctx.node, false, [qop(x), qop(w), qop(b)], qop(y));
  const g = convGeometry(ctx.node, x.info, w.info);
  ctx.useKernel('qconv_small.h');
  const bias = constBias(ctx, b, 'bias B');
  const r = p.r;
  const perChannel = r.mults.length > 1;
  const n = perChannel ? g.outC : 1;
  const mult = ctx.constArray('qmult', { dtype: 'int32', shape: [n], data: Int32Array.from({ length: n }, (_, c) => r.mults[c].multiplier) });
  const shift = ctx.constArray('qshift', { dtype: 'int8', shape: [n], data: Int8Array.from({ length: n }, (_, c) => r.mults[c].shift) });
  const bsym = bias ? ctx.constArray('qbias', { dtype: 'int32', shape: [g.outC], data: Int32Array.from(bias) }) : 'NULL';
  const wsym = ctx.constArray('qconv_w', { dtype: 'int8', shape: [w.value.data.length], data: Int8Array.from(w.value.data) });
  ctx.line(`static const edgec_qsmall_epi e = {${bsym}, ${mult}, ${shift}, ${perChannel ? 1 : 0}, ${r.zy}, ${r.lo}, ${r.hi}};`);
  const [H, W] = to2d(g.inSpatial, 1);
  const [OH, OW] = to2d(g.outSpatial, 1);
  const [KH, KW] = to2d(g.kernel, 1);
  const [SH, SW] = to2d(g.strides, 1);
  const [DH, DW] = to2d(g.dilations, 1);
  const [PT, PL] = to2d(g.padsBegin, 0);
  const args = [g.batch, g.inC, H, W, g.outC, OH, OW, g.group, KH, KW, SH, SW, DH, DW, PT, PL, p.x.zeroPoint[0], weightZero(ctx, p.w)];
  ctx.line(`edgec_qconv2d_small(${x.ptr}, ${wsym}, &e, ${y.ptr}, ${args.join(', ')});`);
}

/** Integer Conv → the size-profile kernel for 1-D/2-D int8 convolutions; 3-D and 16x8 keep the speed lowerings. */
export const qconvSmallLowerings: Record<string, CLowering> = {
  Conv: (ctx) => (isConv16(ctx) || ctx.input(0)!.info.shape.length > 4 ? qconvLowerings.Conv(ctx) : lowerQConvSmall(ctx)),
};
