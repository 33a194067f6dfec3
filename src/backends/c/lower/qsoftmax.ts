/** C lowering of the int8 Softmax onto runtime-c/kernels/qsoftmax.h (TFLite's reference int8 softmax). */
import { checkIntSoftmax, softmaxPlan } from '../../../ops/softmax.js';
import { softmaxParams } from '../../../quant/softmax.js';
import type { CLowering } from '../lowering.js';
import { need } from './elementwise.js';

/** The int8 softmax kernel: portable C, or on the target's vector vocabulary (same results). */
const SOFTMAX_KERNELS = {
  portable: { file: 'qsoftmax.h', fn: 'edgec_q_softmax_s8' },
  vector: { file: 'vqsoftmax.h', fn: 'edgec_vq_softmax_s8' },
} as const;

const softmax: CLowering = (ctx) => {
  const x = need(ctx, 0);
  const y = ctx.output(0);
  checkIntSoftmax(ctx.node, { ...x.info, quant: x.quant }, { ...y.info, quant: y.quant });
  const p = softmaxParams(ctx.node, x.quant);
  const { outer, n, inner } = softmaxPlan(ctx.node, x.info.shape);
  if (outer * n * inner === 0) return;
  const k = SOFTMAX_KERNELS[ctx.target.simd ? 'vector' : 'portable'];
  ctx.useKernel(k.file);
  ctx.line(`${k.fn}(${x.ptr}, ${y.ptr}, ${outer}, ${n}, ${inner}, ${p.multiplier}, ${p.leftShift}, ${p.diffMin});`);
};

/** Integer Softmax → C lowering. */
export const qSoftmaxLowerings: Record<string, CLowering> = { Softmax: softmax };
