/** C lowerings of Quantize, Dequantize and LookupTable: elementwise loops with the parameters as literals. */
import { numel } from '../../../ir/dtype.js';
import type { QuantParams } from '../../../ir/types.js';
import { qRange } from '../../../quant/params.js';
import { cFloat, type CLowerCtx, type CLowering } from '../lowering.js';
import { cType, emitLoops, need, operand, type LoopOperand } from './elementwise.js';
import { attrString } from '../../../ir/attrs.js';
import { requantParams } from '../../../quant/kernels.js';
import { centred, mbqm, plusZp } from './qelementwise.js';
import { cScalar } from './layout.js';

/** Scale and zero point as C: literals per tensor, or constant arrays broadcast along the channel axis. */
function paramOperands(ctx: CLowerCtx, q: QuantParams, shape: readonly number[]): { scale: (xs: string[]) => string; zp: (xs: string[]) => string; ops: LoopOperand[] } {
  if (q.scale.length === 1) return { scale: () => cFloat(q.scale[0]), zp: () => String(q.zeroPoint[0]), ops: [] };
  const axis = q.axis ?? 0;
  const bshape = shape.map((d, i) => (i === axis ? d : 1));
  const s = ctx.constArray('qscale', { dtype: 'float32', shape: [q.scale.length], data: q.scale });
  const scaleOp: LoopOperand = { ptr: `((const float *)${s})`, dtype: 'float32', shape: bshape };
  // Symmetric per-channel parameters (weights, int32 accumulators) share one zero point: a literal, not an array.
  if (q.zeroPoint.every((z) => z === q.zeroPoint[0])) return { scale: (xs) => xs[1], zp: () => String(q.zeroPoint[0]), ops: [scaleOp] };
  const z = ctx.constArray('qzero', { dtype: 'int32', shape: [q.zeroPoint.length], data: q.zeroPoint });
  return {
    scale: (xs) => xs[1],
    zp: (xs) => xs[2],
    ops: [scaleOp, { ptr: `((const int32_t *)${z})`, dtype: 'int32', shape: bshape }],
  };
}

const quantize: CLowering = (ctx) => {
  const x = need(ctx, 0);
  const y = ctx.output(0);
  const q = y.quant!;
  const [qmin, qmax] = qRange(y.info.dtype);
  const p = paramOperands(ctx, q, y.info.shape);
  emitLoops(ctx, [operand(x), ...p.ops], operand(y), (xs) => ({
    stmts: [`float r = ${ROUND_C[attrString(ctx.node, 'rounding', 'half_to_even')]}(${xs[0]} / ${p.scale(xs)});`, `int32_t z = ${p.zp(xs)};`,
      `r = r < (float)(${qmin} - z) ? (float)(${qmin} - z) : r > (float)(${qmax} - z) ? (float)(${qmax} - z) : r;`],
    value: `(${y.info.dtype}_t)((int32_t)r + z)`,
  }));
};

/** Requantize: zy + edgec_mbqm(x - zx) saturated to the output type, the multiplier and zero points as literals. */
const requantize: CLowering = (ctx) => {
  const x = need(ctx, 0);
  const y = ctx.output(0);
  const p = requantParams(ctx.node, x.quant, y.quant);
  const [lo, hi] = qRange(y.info.dtype).map((v) => cScalar('int32', v));
  ctx.useKernel('qmath.h');
  emitLoops(ctx, [operand(x)], operand(y), ([v]) => ({ value: `(${cType(y.info.dtype)})edgec_clampi(${plusZp(mbqm(centred(v, p.zx), p.m), p.zy)}, ${lo}, ${hi})` }));
};

const dequantize: CLowering = (ctx) => {
  const x = need(ctx, 0);
  const y = ctx.output(0);
  const q = x.quant!;
  const p = paramOperands(ctx, q, x.info.shape);
  emitLoops(ctx, [operand(x), ...p.ops], operand(y), (xs) => ({ value: `(float)((int32_t)${xs[0]} - ${p.zp(xs)}) * ${p.scale(xs)}` }));
};

const lookupTable: CLowering = (ctx) => {
  const x = need(ctx, 0);
  const t = need(ctx, 1);
  const y = ctx.output(0);
  const off = x.info.dtype === 'int8' ? ' + 128' : '';
  if (x.info.dtype === 'int16') {
    ctx.useKernel('qlut.h');
    ctx.line(`edgec_qlut_s16(${x.ptr}, ${y.ptr}, ${numel(x.info.shape)}, ${t.ptr});`);
    return;
  }
  if (ctx.target.simd && x.info.dtype === 'int8' && t.info.dtype === 'int8') {
    // Targets with a vector vocabulary hold the table in registers (kernels/vlut.h).
    ctx.useKernel('vlut.h');
    ctx.line(`edgec_lut_s8(${x.ptr}, ${y.ptr}, ${numel(x.info.shape)}, ${t.ptr});`);
    return;
  }
  if (x.info.dtype === 'int8' && t.info.dtype === 'int8') {
    // Elsewhere a kernel with an AVX2 path for hosts that have it (kernels/qlut.h).
    ctx.useKernel('qlut.h');
    ctx.line(`edgec_qlut_s8(${x.ptr}, ${y.ptr}, ${numel(x.info.shape)}, ${t.ptr});`);
    return;
  }
  ctx.line(`const ${t.info.dtype}_t *EDGEC_RESTRICT lut = ${t.ptr};`);
  emitLoops(ctx, [operand(x)], operand(y), ([v]) => ({ value: `lut[(int)${v}${off}]` }));
};

/** Quantization ops → C (these only exist in integer form). */
export const quantIntLowerings: Record<string, CLowering> = { Quantize: quantize, Dequantize: dequantize, Requantize: requantize, LookupTable: lookupTable };

/** C rounding function of each Quantize rounding mode. */
const ROUND_C: Record<string, string> = { half_to_even: 'rintf', half_away_from_zero: 'roundf' };
