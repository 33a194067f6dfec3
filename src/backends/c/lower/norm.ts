/** C lowerings of the normalization ops onto runtime-c/kernels/norm.h. */
import type { Value } from '../../../ir/types.js';
import type { CLowerCtx, CLowering, CTensor } from '../lowering.js';
import { cFloat } from '../lowering.js';
import { attrFloat } from '../../../ir/attrs.js';
import { broadcastStrides, nodeError } from '../../../ops/util.js';
import { channelView, layerNormView, lrnParams } from '../../../ops/norm.js';

/** Input i as a float32 tensor (the dtype norm.h implements). */
function floatInput(ctx: CLowerCtx, i: number): CTensor {
  const t = ctx.input(i);
  if (!t) nodeError(ctx.node, `input ${i} is required`);
  if (t.info.dtype !== 'float32')
    nodeError(ctx.node, `input ${i} has type ${t.info.dtype}, which has no C normalization kernel; run this node in float32`);
  return t;
}

const batchNorm: CLowering = (ctx) => {
  const x = floatInput(ctx, 0);
  const y = ctx.output(0);
  const { n, c, s } = channelView(x.info.shape);
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const params = [1, 2, 3, 4].map((i) => ctx.input(i));
  if (params.some((p) => !p)) nodeError(ctx.node, 'inputs scale, B, mean and var are all required');
  ctx.useKernel('norm.h');
  const values = params.map((p) => p?.value);
  if (values.every((v): v is Value => !!v)) {
    // Constant parameters: fold to one scale and one shift per channel at compile time.
    const [scale, bias, mean, variance] = values.map((v) => v.data);
    const a = new Float32Array(c);
    const b = new Float32Array(c);
    for (let ch = 0; ch < c; ch++) {
      const k = scale[ch] / Math.sqrt(variance[ch] + eps);
      a[ch] = k;
      b[ch] = bias[ch] - mean[ch] * k;
    }
    const sa = ctx.constArray('bn_scale', { dtype: 'float32', shape: [c], data: a });
    const sb = ctx.constArray('bn_shift', { dtype: 'float32', shape: [c], data: b });
    ctx.line(`edgec_batchnorm(${x.ptr}, ${y.ptr}, ${sa}, ${sb}, ${n}, ${c}, ${s});`);
    return;
  }
  const [sc, bi, me, va] = [1, 2, 3, 4].map((i) => floatInput(ctx, i).ptr);
  const buf = ctx.scratch(2 * c * 4);
  ctx.line(`float *bn_a = (float *)${buf};`);
  ctx.line(`edgec_batchnorm_fold(${sc}, ${bi}, ${me}, ${va}, ${cFloat(eps)}, ${c}, bn_a, bn_a + ${c});`);
  ctx.line(`edgec_batchnorm(${x.ptr}, ${y.ptr}, bn_a, bn_a + ${c}, ${n}, ${c}, ${s});`);
};

const instanceNorm: CLowering = (ctx) => {
  const x = floatInput(ctx, 0);
  const scale = floatInput(ctx, 1);
  const bias = floatInput(ctx, 2);
  const { n, c, s } = channelView(x.info.shape);
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  ctx.useKernel('norm.h');
  ctx.line(`edgec_instancenorm(${x.ptr}, ${ctx.output(0).ptr}, ${scale.ptr}, ${bias.ptr}, ${n}, ${c}, ${s}, ${cFloat(eps)});`);
};

/** C pointer to d floats of a LayerNormalization Scale/B, expanding a broadcast constant to the normalized shape. */
function normParam(ctx: CLowerCtx, t: CTensor, normShape: readonly number[], d: number, stem: string): string {
  if (t.info.shape.reduce((a, b) => a * b, 1) === d) return t.ptr;
  if (!t.value)
    nodeError(ctx.node, `${stem} of shape [${t.info.shape.join(', ')}] broadcasts at run time; give it the normalized shape [${normShape.join(', ')}] or make it a constant`);
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
  return ctx.constArray(`ln_${stem}`, { dtype: 'float32', shape: [...normShape], data: out });
}

const layerNorm: CLowering = (ctx) => {
  const x = floatInput(ctx, 0);
  const { m, d, axis } = layerNormView(ctx.node, x.info.shape);
  const normShape = x.info.shape.slice(axis);
  const scale = normParam(ctx, floatInput(ctx, 1), normShape, d, 'scale');
  const bias = ctx.input(2) ? normParam(ctx, floatInput(ctx, 2), normShape, d, 'bias') : '(const float *)0';
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  ctx.useKernel('norm.h');
  ctx.line(`edgec_layernorm(${x.ptr}, ${ctx.output(0).ptr}, ${scale}, ${bias}, ${m}, ${d}, ${cFloat(eps)});`);
};

const lrn: CLowering = (ctx) => {
  const x = floatInput(ctx, 0);
  const { n, c, s } = channelView(x.info.shape);
  const p = lrnParams(ctx.node);
  ctx.useKernel('norm.h');
  ctx.line(`edgec_lrn(${x.ptr}, ${ctx.output(0).ptr}, ${n}, ${c}, ${s}, ${p.size}, ${cFloat(p.alpha)}, ${cFloat(p.beta)}, ${cFloat(p.bias)});`);
};

/** Normalization op → C lowering. */
export const normLowerings: Record<string, CLowering> = {
  BatchNormalization: batchNorm,
  InstanceNormalization: instanceNorm,
  LayerNormalization: layerNorm,
  LRN: lrn,
};
