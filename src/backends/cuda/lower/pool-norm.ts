/** CUDA lowerings of pooling and row reductions: windowed and global pooling, LayerNormalization, Softmax. */
import { numel } from '../../../ir/dtype.js';
import { attrFloat } from '../../../ir/attrs.js';
import { broadcastStrides, nodeError } from '../../../ops/util.js';
import { poolGeometry } from '../../../ops/pool.js';
import { layerNormView } from '../../../ops/norm.js';
import { softmaxPlan } from '../../../ops/softmax.js';
import { cFloat } from '../../c/lowering.js';
import { gridFor, ELEMENT_THREADS, type CudaLowerCtx, type CudaLowering, type CudaTensor } from '../lowering.js';

function floatInput(ctx: CudaLowerCtx, i: number): CudaTensor {
  const t = ctx.input(i);
  if (!t) nodeError(ctx.node, `input ${i} is required`);
  if (t.info.dtype !== 'float32') nodeError(ctx.node, `CUDA ${ctx.node.op} takes float32, got ${t.info.dtype}`);
  return t;
}

function windowPool(max: boolean): CudaLowering {
  return {
    lower(ctx) {
      const x = floatInput(ctx, 0);
      const y = ctx.output(0);
      const g = poolGeometry(ctx.node, x.info.shape);
      if (g.inSpatial.length > 2) nodeError(ctx.node, '3-D pooling has no CUDA kernel yet; build for target c');
      const two = (v: number[], f: number) => (v.length === 1 ? [f, v[0]] : v);
      const [H, W] = two(g.inSpatial, 1);
      const [OH, OW] = two(g.outSpatial, 1);
      const planes = x.info.shape[0] * x.info.shape[1];
      const args = [planes, H, W, OH, OW, ...two(g.kernel, 1), ...two(g.strides, 1), ...two(g.dilations, 1), ...two(g.padsBegin, 0), ...two(g.padsEnd, 0)];
      ctx.useKernel('pool.cuh');
      const kernel = `edgec::pool2d<${max}, ${!max && g.countIncludePad}, ${args.join(', ')}>`;
      ctx.launch(kernel, gridFor(planes * OH * OW), String(ELEMENT_THREADS), [x.ptr, y.ptr]);
    },
  };
}

function globalPool(max: boolean): CudaLowering {
  return {
    lower(ctx) {
      const x = floatInput(ctx, 0);
      const s = x.info.shape;
      const planes = s[0] * s[1];
      ctx.useKernel('pool.cuh');
      ctx.launch(`edgec::global_pool<${max}, ${planes}, ${numel(s.slice(2))}>`, String(Math.ceil(planes / 8)), '256', [x.ptr, ctx.output(0).ptr]);
    },
  };
}

/** A LayerNormalization parameter expanded to the D normalized elements (constant), or the tensor when already D long. */
function normParam(ctx: CudaLowerCtx, t: CudaTensor, normShape: readonly number[], d: number): string {
  if (numel(t.info.shape) === d) return t.ptr;
  if (!t.value) nodeError(ctx.node, `parameter of shape [${t.info.shape}] broadcasts at run time; give it shape [${normShape}] or make it constant`);
  const str = broadcastStrides(t.info.shape, normShape);
  const out = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    let rem = j;
    let off = 0;
    for (let k = normShape.length - 1; k >= 0; k--) {
      off += (rem % normShape[k]) * str[k];
      rem = Math.floor(rem / normShape[k]);
    }
    out[j] = t.value.data[off];
  }
  return ctx.constBytes('ln_param', new Uint8Array(out.buffer), 'float');
}

const layerNorm: CudaLowering = {
  lower(ctx) {
    const x = floatInput(ctx, 0);
    const { m, d, axis } = layerNormView(ctx.node, x.info.shape);
    const normShape = x.info.shape.slice(axis);
    const scale = normParam(ctx, floatInput(ctx, 1), normShape, d);
    const bias = ctx.input(2) ? normParam(ctx, floatInput(ctx, 2), normShape, d) : 'nullptr';
    ctx.useKernel('norm.cuh');
    ctx.launch(`edgec::layer_norm<${d}>`, String(m), 'edgec::ROW_THREADS', [x.ptr, scale, bias, ctx.output(0).ptr, cFloat(attrFloat(ctx.node, 'epsilon', 1e-5))]);
  },
};

function softmax(log: boolean): CudaLowering {
  return {
    lower(ctx) {
      const x = floatInput(ctx, 0);
      const y = ctx.output(0);
      const { outer, n, inner } = softmaxPlan(ctx.node, x.info.shape);
      if (!outer || !n || !inner) return;
      ctx.useKernel('norm.cuh');
      if (inner === 1) ctx.launch(`edgec::softmax_rows<${n}, ${log}>`, String(outer), 'edgec::ROW_THREADS', [x.ptr, y.ptr]);
      else ctx.launch(`edgec::softmax_strided<${outer}, ${n}, ${inner}, ${log}>`, gridFor(outer * inner), String(ELEMENT_THREADS), [x.ptr, y.ptr]);
    },
  };
}

/** Pooling and normalization ops → CUDA lowering. */
export const poolNormCudaLowerings: Record<string, CudaLowering> = {
  MaxPool: windowPool(true),
  AveragePool: windowPool(false),
  GlobalMaxPool: globalPool(true),
  GlobalAveragePool: globalPool(false),
  LayerNormalization: layerNorm,
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
};
