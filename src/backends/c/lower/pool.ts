/** C lowerings of the pooling ops onto runtime-c/kernels/pool.h. */
import type { CLowerCtx, CLowering, CTensor } from '../lowering.js';
import { numel } from '../../../ir/dtype.js';
import { poolGeometry } from '../../../ops/pool.js';
import { nodeError } from '../../../ops/util.js';

/** Input 0 and output 0 of a pooling node, which must be float32 (the dtype pool.h implements). */
function floatIO(ctx: CLowerCtx): { x: CTensor; y: CTensor } {
  const x = ctx.input(0);
  if (!x) nodeError(ctx.node, 'input 0 is required');
  if (x.info.dtype !== 'float32')
    nodeError(ctx.node, `input type ${x.info.dtype} has no C pooling kernel; pool in float32 (dequantize or cast before this node)`);
  ctx.useKernel('pool.h');
  return { x, y: ctx.output(0) };
}

/** Left-pad per-spatial-dim values to 3 dims (1-D and 2-D pooling run as 3-D with unit leading dims). */
function to3(v: readonly number[], fill: number): number[] {
  return [...new Array<number>(3 - v.length).fill(fill), ...v];
}

function windowPool(kind: 'max' | 'avg'): CLowering {
  return (ctx) => {
    const { x, y } = floatIO(ctx);
    const g = poolGeometry(ctx.node, x.info.shape);
    const args = [
      x.info.shape[0] * x.info.shape[1],
      ...to3(g.inSpatial, 1), ...to3(g.outSpatial, 1), ...to3(g.kernel, 1),
      ...to3(g.strides, 1), ...to3(g.dilations, 1), ...to3(g.padsBegin, 0),
    ];
    if (kind === 'avg') args.push(...to3(g.padsEnd, 0), g.countIncludePad ? 1 : 0);
    ctx.line(`edgec_${kind}pool(${x.ptr}, ${y.ptr}, ${args.join(', ')});`);
  };
}

function globalPool(kind: 'max' | 'avg'): CLowering {
  return (ctx) => {
    const { x, y } = floatIO(ctx);
    const s = x.info.shape;
    ctx.line(`edgec_global_${kind}pool(${x.ptr}, ${y.ptr}, ${s[0] * s[1]}, ${numel(s.slice(2))});`);
  };
}

/** Pooling op → C lowering. */
export const poolLowerings: Record<string, CLowering> = {
  MaxPool: windowPool('max'),
  AveragePool: windowPool('avg'),
  GlobalMaxPool: globalPool('max'),
  GlobalAveragePool: globalPool('avg'),
};
