/** C lowerings of Quantize, Dequantize and LookupTable: elementwise loops with the parameters as literals. */
import { numel } from '../../../ir/dtype.js';
import type { QuantParams } from '../../../ir/types.js';
import { qRange } from '../../../quant/params.js';
import { cFloat, type CLowerCtx, type CLowering } from '../lowering.js';
import { cType, emitLoops, need, operand, type LoopOperand } from './elementwise.js';
import { attrFloat, attrString } from '../../../ir/attrs.js';
import { COMPUTED_TABLE_OPS } from '../../../ops/elementwise.js';
import { int8Table } from '../../../quant/table.js';
import { roundHalfEven } from '../../../quant/fixed-point.js';
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

/** y = lut[x + 128] over an int8 tensor: in vector registers on targets with a vocabulary (kernels/vlut.h), else
 * the kernel with an AVX2 path for hosts that have it (kernels/qlut.h). */
function emitLutS8(ctx: CLowerCtx, x: string, y: string, n: number, lut: string): void {
  ctx.useKernel(ctx.target.simd ? 'vlut.h' : 'qlut.h');
  ctx.line(`${ctx.target.simd ? 'edgec_lut_s8' : 'edgec_qlut_s8'}(${x}, ${y}, ${n}, ${lut});`);
}

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
  if (x.info.dtype === 'int8' && t.info.dtype === 'int8') {
    emitLutS8(ctx, x.ptr, y.ptr, numel(x.info.shape), t.ptr);
    return;
  }
  ctx.line(`const ${t.info.dtype}_t *EDGEC_RESTRICT lut = ${t.ptr};`);
  emitLoops(ctx, [operand(x)], operand(y), ([v]) => ({ value: `lut[(int)${v}${off}]` }));
};

/** A double literal that parses back to exactly `v`. */
const cDouble = (v: number) => {
  const s = v.toPrecision(17);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
};

/** The float function of a computed-table op on `x` (a float), as C statements ending in `float fy`; written as the
 * float reference evaluates it (float64 arithmetic on the float32 input, no fused multiply-add across statements). */
const TABLE_FUNCTIONS: Record<string, (ctx: CLowerCtx) => string> = {
  HardSwish: () => 'double h = (double)x / 6.0 + 0.5; h = h < 0.0 ? 0.0 : h > 1.0 ? 1.0 : h; const float fy = (float)((double)x * h);',
  HardSigmoid: (ctx) => {
    const a = attrFloat(ctx.node, 'alpha', 0.2);
    const b = attrFloat(ctx.node, 'beta', 0.5);
    return `const double ax = ${cDouble(a)} * (double)x; double h = ax + ${cDouble(b)}; h = h < 0.0 ? 0.0 : h > 1.0 ? 1.0 : h; const float fy = (float)h;`;
  },
};

/**
 * Whether edgec_qhswish_s8's float32 arithmetic (kernels/qlut.h: one rounding per step, no fused multiply-add) gives
 * the op's table for every input code with these parameters, its quotients well inside int32: then the host computes
 * HardSwish in vector registers instead of 16 byte shuffles per 32 lookups.
 */
function hardSwishFloat32Exact(ctx: CLowerCtx, xq: QuantParams, yq: QuantParams): boolean {
  const f = Math.fround;
  const [sx, sy, a] = [f(xq.scale[0]), f(yq.scale[0]), f(1 / 6)];
  const table = int8Table(ctx.node, xq, yq);
  for (let c = -128; c < 128; c++) {
    const v = f(f(c - xq.zeroPoint[0]) * sx);
    const g = Math.min(1, Math.max(0, f(f(v * a) + 0.5)));
    const qv = f(f(v * g) / sy);
    if (Math.abs(qv) >= 2 ** 30) return false;
    const code = Math.min(127, Math.max(-128, roundHalfEven(qv) + yq.zeroPoint[0]));
    if (code !== table[c + 128]) return false;
  }
  return true;
}

/**
 * Int8 HardSwish/HardSigmoid: the 256-entry table their integer reference defines, rebuilt in scratch each run from the
 * quantization parameters (the artifact stores no table), then one lookup pass; under 256 elements (a squeeze-excitation
 * gate) the same function is evaluated per element instead.
 */
const computedTable: CLowering = (ctx) => {
  const x = need(ctx, 0);
  const y = ctx.output(0);
  const xq = x.quant!;
  const yq = y.quant!;
  const n = numel(x.info.shape);
  if (ctx.node.op === 'HardSwish' && !ctx.target.simd && n >= 256 && hardSwishFloat32Exact(ctx, xq, yq)) {
    ctx.useKernel('qlut.h');
    ctx.line(`edgec_qhswish_s8(${x.ptr}, ${y.ptr}, ${n}, ${xq.zeroPoint[0]}, ${cFloat(xq.scale[0])}, ${cFloat(1 / 6)}, 0.5f, ${cFloat(yq.scale[0])}, ${yq.zeroPoint[0]});`);
    return;
  }
  const direct = n < 256;
  if (!direct) ctx.line(`int8_t *lut = (int8_t *)${ctx.scratch(256)};`);
  ctx.line(`for (int i = 0; i < ${direct ? n : 256}; i++) {`);
  ctx.line(`  const float x = (float)(${direct ? `(int32_t)${x.ptr}[i]` : 'i - 128'} - (${xq.zeroPoint[0]})) * ${cFloat(xq.scale[0])};`);
  ctx.line(`  ${TABLE_FUNCTIONS[ctx.node.op](ctx)}`);
  ctx.line(`  const int32_t v = (int32_t)rintf(fy / ${cFloat(yq.scale[0])}) + (${yq.zeroPoint[0]});`);
  ctx.line(`  ${direct ? `${y.ptr}[i]` : 'lut[i]'} = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);`);
  ctx.line('}');
  if (!direct) emitLutS8(ctx, x.ptr, y.ptr, n, 'lut');
};

/** Quantization ops → C (these only exist in integer form). */
export const quantIntLowerings: Record<string, CLowering> = {
  Quantize: quantize, Dequantize: dequantize, Requantize: requantize, LookupTable: lookupTable,
  ...Object.fromEntries([...COMPUTED_TABLE_OPS].map((op) => [op, computedTable])),
};

/** C rounding function of each Quantize rounding mode. */
const ROUND_C: Record<string, string> = { half_to_even: 'rintf', half_away_from_zero: 'roundf' };
