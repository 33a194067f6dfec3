/** C lowerings of the integer pooling ops and ReduceMean onto runtime-c/kernels/qpool.h (int8). */
import { numel } from '../../../ir/dtype.js';
import { poolGeometry } from '../../../ops/pool.js';
import { reducePlan } from '../../../ops/reduce.js';
import { nodeError } from '../../../ops/util.js';
import { requireQuant8, requireSameQuant } from '../../../ops/qform.js';
import { requantParams, sameParams } from '../../../quant/kernels.js';
import { outputClamp } from '../../../quant/requant.js';
import type { CLowerCtx, CLowering, CTensor } from '../lowering.js';
import { need } from './elementwise.js';
import { asBlock, reduceLowerings, reduceNest } from './reduce.js';

/** The int8 max-pool and mean kernels: portable C, or on the target's vector vocabulary (same results). */
const POOL_KERNELS = {
  portable: { file: 'qpool.h', max: 'edgec_q_maxpool_s8', mean: 'edgec_q_mean_s8' },
  vector: { file: 'vqpool.h', max: 'edgec_vq_maxpool_s8', mean: 'edgec_vq_mean_s8' },
} as const;

/** The pooling kernels for the node's target. */
function poolKernels(ctx: CLowerCtx): (typeof POOL_KERNELS)[keyof typeof POOL_KERNELS] {
  return POOL_KERNELS[ctx.target.simd ? 'vector' : 'portable'];
}

/** Input 0 and output 0 of an integer pooling node, both int8 and quantized. */
function int8IO(ctx: CLowerCtx): { x: CTensor; y: CTensor } {
  const x = need(ctx, 0);
  const y = ctx.output(0);
  requireQuant8(ctx.node, { ...x.info, quant: x.quant }, 'input 0');
  requireQuant8(ctx.node, { ...y.info, quant: y.quant }, 'output 0');
  if (x.info.dtype !== 'int8' || y.info.dtype !== 'int8') nodeError(ctx.node, `the C kernel pools int8, not ${x.info.dtype} -> ${y.info.dtype}`);
  ctx.useKernel(poolKernels(ctx).file);
  return { x, y };
}

/** Left-pad per-spatial-dim values to 3 dims. */
function to3(v: readonly number[], fill: number): number[] {
  return [...new Array<number>(3 - v.length).fill(fill), ...v];
}

/** Declare the window geometry of a MaxPool/AveragePool node as a static const edgec_qpool_geom `g`. */
function emitGeometry(ctx: CLowerCtx, x: CTensor): boolean {
  const s = x.info.shape;
  const g = poolGeometry(ctx.node, s);
  const fields = [
    s[0] * s[1], ...to3(g.inSpatial, 1), ...to3(g.outSpatial, 1), ...to3(g.kernel, 1),
    ...to3(g.strides, 1), ...to3(g.dilations, 1), ...to3(g.padsBegin, 0), ...to3(g.padsEnd, 0),
  ];
  ctx.line(`static const edgec_qpool_geom g = {${fields.join(', ')}};`);
  return g.countIncludePad;
}

const maxPool: CLowering = (ctx) => {
  const { x, y } = int8IO(ctx);
  requireSameQuant(ctx.node, { ...x.info, quant: x.quant }, [{ ...y.info, quant: y.quant }]);
  if (!numel(y.info.shape)) return;
  const [lo, hi] = outputClamp(ctx.node, y.quant!, 'int8');
  emitGeometry(ctx, x);
  ctx.line(`${poolKernels(ctx).max}(${x.ptr}, ${y.ptr}, &g, ${lo}, ${hi});`);
};

const avgPool: CLowering = (ctx) => {
  const { x, y } = int8IO(ctx);
  if (!numel(y.info.shape)) return;
  const [lo, hi] = outputClamp(ctx.node, y.quant!, 'int8');
  const p = requantParams(ctx.node, x.quant, y.quant);
  const includePad = emitGeometry(ctx, x);
  const requant = sameParams(x.quant, y.quant) ? 0 : 1;
  ctx.line(`edgec_q_avgpool_s8(${x.ptr}, ${y.ptr}, &g, ${includePad ? 1 : 0}, ${requant}, ${p.zx}, ${p.m.multiplier}, ${p.m.shift}, ${p.zy}, ${lo}, ${hi});`);
};

/** TFLite's int8 Mean over a [outer, n, inner] block of the input. */
function emitMean(ctx: CLowerCtx, x: CTensor, y: CTensor, outer: number, n: number, inner: number): void {
  if (!outer || !inner) return;
  if (!n) nodeError(ctx.node, 'the mean of an empty axis is undefined');
  const p = requantParams(ctx.node, x.quant, y.quant);
  ctx.line(`${poolKernels(ctx).mean}(${x.ptr}, ${y.ptr}, ${outer}, ${n}, ${inner}, ${p.zx}, ${p.m.multiplier}, ${p.m.shift}, ${p.zy});`);
}

const globalAvgPool: CLowering = (ctx) => {
  const { x, y } = int8IO(ctx);
  const s = x.info.shape;
  emitMean(ctx, x, y, s[0] * s[1], numel(s.slice(2)), 1);
};

const reduceMean: CLowering = (ctx) => {
  const { x, y } = int8IO(ctx);
  const plan = reducePlan(ctx.node, x.info.shape);
  if (plan.noop) nodeError(ctx.node, 'a ReduceMean with no axes (noop_with_empty_axes) has no integer C kernel; remove the node');
  const block = asBlock(reduceNest(x.info.shape, plan.axes));
  if (!block) nodeError(ctx.node, `axes [${plan.axes.join(', ')}] are not contiguous; the integer C kernel reduces one block of adjacent axes`);
  emitMean(ctx, x, y, block.outer, block.r, block.inner);
};

/** GlobalMaxPool: the float lowering's loops are dtype-generic only for float32, so int8 runs the max kernel over the plane. */
const globalMaxPool: CLowering = (ctx) => {
  const { x, y } = int8IO(ctx);
  requireSameQuant(ctx.node, { ...x.info, quant: x.quant }, [{ ...y.info, quant: y.quant }]);
  const s = x.info.shape;
  const n = numel(s.slice(2));
  if (!numel(y.info.shape)) return;
  ctx.line(`static const edgec_qpool_geom g = {${[s[0] * s[1], 1, 1, n, 1, 1, 1, 1, 1, n, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0].join(', ')}};`);
  ctx.line(`${poolKernels(ctx).max}(${x.ptr}, ${y.ptr}, &g, -128, 127);`);
};

/** Integer pooling op → C lowering (ReduceMax/ReduceMin reuse the dtype-generic reduce loops). */
export const qPoolLowerings: Record<string, CLowering> = {
  MaxPool: maxPool,
  AveragePool: avgPool,
  GlobalMaxPool: globalMaxPool,
  GlobalAveragePool: globalAvgPool,
  ReduceMean: reduceMean,
  ReduceMax: reduceLowerings.ReduceMax,
  ReduceMin: reduceLowerings.ReduceMin,
};
