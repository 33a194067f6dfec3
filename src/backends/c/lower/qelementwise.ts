/** C lowerings of the integer elementwise ops (TFLite int8 Add, Sub, Mul, PRelu, LeakyRelu, Relu, Clip) as loop nests,
 * or the host's Mul-by-row-factor and same-shape Add kernels (kernels/qbinary.h). */
import type { QuantParams } from '../../../ir/types.js';
import { attrFloat } from '../../../ir/attrs.js';
import { numel } from '../../../ir/dtype.js';
import { intElementwise } from '../../../ops/elementwise.js';
import type { QuantizedMultiplier } from '../../../quant/fixed-point.js';
import {
  addParams, leakyReluParams, mulParams, preluParams, requantParams,
} from '../../../quant/kernels.js';
import type { CLowerCtx, CLowering, CTensor } from '../lowering.js';
import { cType, emitLoops, need, operand, type LoopBody } from './elementwise.js';
import { lowerVqElementwise } from './vqelementwise.js';

/** `(int32_t)x - z` without a double minus. */
export function centred(x: string, z: number): string {
  return z === 0 ? `(int32_t)${x}` : z > 0 ? `((int32_t)${x} - ${z})` : `((int32_t)${x} + ${-z})`;
}

/** `v + z` without a double sign. */
export function plusZp(v: string, z: number): string {
  return z === 0 ? v : z > 0 ? `${v} + ${z}` : `${v} - ${-z}`;
}

/** edgec_mbqm(x, multiplier, shift): TFLite MultiplyByQuantizedMultiplier with the constants as literals. */
export function mbqm(x: string, m: QuantizedMultiplier): string {
  return `edgec_mbqm(${x}, ${m.multiplier}, ${m.shift})`;
}

/** The quantization parameters of a tensor (checked by intElementwise before any lowering reads them). */
function q(t: CTensor): QuantParams {
  return t.quant!;
}

/** Per-element body of one integer op: statements computing `r` (int32, before the clamp). */
type IntBody = (ctx: CLowerCtx, ins: CTensor[], y: CTensor) => (xs: string[]) => string[];

/** The C body of each integer elementwise op; each mirrors its TypeScript kernel in src/quant/kernels.ts. */
const INT_BODIES: Record<string, IntBody> = {
  Add: addSub(false),
  Sub: addSub(true),
  Mul: (ctx, [a, b], y) => {
    const p = mulParams(ctx.node, q(a), q(b), q(y));
    return ([u, v]) => [`const int32_t r = ${plusZp(mbqm(`${centred(u, p.z1)} * ${centred(v, p.z2)}`, p.m), p.zy)};`];
  },
  PRelu: (ctx, [x, s], y) => {
    const p = preluParams(ctx.node, q(x), q(s), q(y));
    return ([u, v]) => [
      `const int32_t d = ${centred(u, p.zx)};`,
      `const int32_t r = ${plusZp(`(d >= 0 ? ${mbqm('d', p.m1)} : ${mbqm(`d * ${centred(v, p.za)}`, p.m2)})`, p.zy)};`,
    ];
  },
  LeakyRelu: (ctx, [x], y) => {
    const p = leakyReluParams(ctx.node, q(x), q(y), attrFloat(ctx.node, 'alpha', 0.01));
    return ([u]) => [
      `const int32_t d = ${centred(u, p.zx)};`,
      `const int32_t r = ${plusZp(`(d >= 0 ? ${mbqm('d', p.identity)} : ${mbqm('d', p.alpha)})`, p.zy)};`,
    ];
  },
  Relu: requant,
  Clip: requant,
};

/** Add and Sub: both inputs shifted left by 20 and scaled to twice the larger input scale, summed, requantized. */
function addSub(sub: boolean): IntBody {
  return (ctx, [a, b], y) => {
    const p = addParams(ctx.node, q(a), q(b), q(y), sub, y.info.dtype);
    const scaled = (x: string, z: number, m: QuantizedMultiplier) =>
      `edgec_mbqm_lt1(${centred(x, z)} * (1 << ${p.leftShift}), ${m.multiplier}, ${m.shift})`;
    return ([u, v]) => [
      `const int32_t s1 = ${scaled(u, p.z1, p.m1)};`,
      `const int32_t s2 = ${scaled(v, p.z2, p.m2)};`,
      `const int32_t r = ${plusZp(mbqm(`s1 ${sub ? '-' : '+'} s2`, p.mo), p.zy)};`,
    ];
  };
}

/** Relu and Clip: a plain requantization; the activation range is the clamp. */
function requant(ctx: CLowerCtx, [x]: CTensor[], y: CTensor): (xs: string[]) => string[] {
  const p = requantParams(ctx.node, q(x), q(y));
  return ([u]) => [`const int32_t r = ${plusZp(mbqm(centred(u, p.zx), p.m), p.zy)};`];
}

/** Rows and row length when `b` holds one value per row of `y` (shape [..., C, 1, ...]: a squeeze-excitation gate). */
function perRowFactor(b: number[], y: number[]): { rows: number; n: number } | undefined {
  const bs = [...Array<number>(Math.max(0, y.length - b.length)).fill(1), ...b];
  if (bs.length !== y.length) return undefined;
  let k = bs.length - 1;
  while (k >= 0 && bs[k] === 1) k--;
  if (k < 0 || bs.slice(0, k + 1).some((d, i) => d !== y[i])) return undefined;
  const rows = y.slice(0, k + 1).reduce((p, d) => p * d, 1);
  return { rows, n: numel(y) / rows };
}

/**
 * The host's int8 Mul by one factor per row and same-shape int8 Add as kernels/qbinary.h calls (AVX2 where the host has
 * it); false for every other shape, type or target (targets with a vector vocabulary lower through vqelementwise).
 */
function lowerQBinary(ctx: CLowerCtx, ins: CTensor[], y: CTensor, lo: number, hi: number): boolean {
  const op = ctx.node.op;
  if (ctx.target.simd || (op !== 'Mul' && op !== 'Add') || ins.length !== 2 || [...ins, y].some((t) => t.info.dtype !== 'int8')) return false;
  const ys = y.info.shape;
  const full = ins.map((t) => t.info.shape.length === ys.length && t.info.shape.every((d, i) => d === ys[i]));
  if (op === 'Add') {
    if (!full[0] || !full[1]) return false;
    const p = addParams(ctx.node, q(ins[0]), q(ins[1]), q(y), false, 'int8');
    if (p.leftShift !== 20) return false;
    ctx.useKernel('qbinary.h');
    ctx.line(`edgec_qadd_s8(${ins[0].ptr}, ${ins[1].ptr}, ${y.ptr}, ${numel(ys)}, ${p.z1}, ${p.m1.multiplier}, ${p.m1.shift}, ${p.z2}, ${p.m2.multiplier}, ${p.m2.shift}, ${p.mo.multiplier}, ${p.mo.shift}, ${p.zy}, ${lo}, ${hi});`);
    return true;
  }
  // Mul is symmetric: the full-shape operand is `a`, the per-row factor `b`.
  const ai = full[0] ? 0 : full[1] ? 1 : -1;
  const rowsOf = ai < 0 ? undefined : perRowFactor(ins[1 - ai].info.shape, ys);
  if (!rowsOf || rowsOf.n < 32) return false; // rows shorter than one vector stay a plain loop
  const [a, b] = [ins[ai], ins[1 - ai]];
  const p = mulParams(ctx.node, q(a), q(b), q(y));
  ctx.useKernel('qbinary.h');
  ctx.line(`edgec_qmul_rows(${a.ptr}, ${b.ptr}, ${y.ptr}, ${rowsOf.rows}, ${rowsOf.n}, ${p.z1}, ${p.z2}, ${p.m.multiplier}, ${p.m.shift}, ${p.zy}, ${lo}, ${hi});`);
  return true;
}

/** Lowering of one integer elementwise op: checks and clamp range from the reference, body from INT_BODIES. */
const intElementwiseLowering: CLowering = (ctx) => {
  if (lowerVqElementwise(ctx)) return;
  const ins = ctx.node.inputs.map((_, i) => need(ctx, i));
  const y = ctx.output(0);
  const k = intElementwise(ctx.node, ins.map((t) => ({ ...t.info, quant: t.quant })), { ...y.info, quant: y.quant });
  if (lowerQBinary(ctx, ins, y, k.lo, k.hi)) return;
  const body = INT_BODIES[ctx.node.op](ctx, ins, y);
  ctx.useKernel('qelementwise.h');
  emitLoops(ctx, ins.map(operand), operand(y), (xs): LoopBody => ({
    stmts: body(xs),
    value: `(${cType(y.info.dtype)})edgec_clampi(r, ${k.lo}, ${k.hi})`,
  }));
};

/** Integer elementwise op → C lowering. */
export const qElementwiseLowerings: Record<string, CLowering> = Object.fromEntries(
  Object.keys(INT_BODIES).map((op) => [op, intElementwiseLowering]),
);
