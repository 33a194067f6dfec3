/** C lowerings of int8 Add, Sub, Mul, Relu and Clip on the vector vocabulary (runtime-c/kernels/vqelementwise.h), for
 * targets that name one; the loop-nest lowerings in qelementwise.ts serve the others and any broadcast that is not
 * one [outer, inner] loop. */
import { numel } from '../../../ir/dtype.js';
import type { QuantParams } from '../../../ir/types.js';
import { intElementwise } from '../../../ops/elementwise.js';
import { broadcastStrides } from '../../../ops/util.js';
import type { QuantizedMultiplier } from '../../../quant/fixed-point.js';
import { addParams, mulParams, requantParams } from '../../../quant/kernels.js';
import type { CLowerCtx, CTensor } from '../lowering.js';
import { coalesce, need } from './elementwise.js';

/** An operand of the [outer, inner] loop: element (o, i) at ptr[o * so + i * si], si 0 or 1. */
interface RowOperand {
  ptr: string;
  so: number;
  si: number;
}

/** The broadcast of `ins` to `out` as one [outer, inner] loop with dense output, or undefined when it is not one. */
export function rowBroadcast(ins: readonly CTensor[], out: readonly number[]): { outer: number; inner: number; ops: RowOperand[] } | undefined {
  const strides = [broadcastStrides(out, out), ...ins.map((x) => broadcastStrides(x.info.shape, out))];
  const { dims, strides: st } = coalesce(out, strides);
  if (dims.length > 2) return undefined;
  const two = dims.length === 2;
  const inner = dims.length ? dims[dims.length - 1] : 1;
  const outer = two ? dims[0] : 1;
  const ops = ins.map((x, k) => {
    const s = st[k + 1];
    return { ptr: x.ptr, so: two ? s[0] : 0, si: dims.length ? s[dims.length - 1] : 0 };
  });
  if (ops.some((o) => o.si !== 0 && o.si !== 1)) return undefined;
  if (two && st[0][0] !== inner) return undefined;
  return { outer, inner, ops };
}

/** Whether a multiplier's shift suits the vector rounding shift (exponents within [0, 31]). */
const vectorShift = (m: QuantizedMultiplier) => m.shift > -32 && m.shift < 32;

/** An edgec_qrow initializer. */
const row = (o: RowOperand) => `(edgec_qrow){${o.ptr}, ${o.so}, ${o.si}}`;

/** The quantization parameters of a tensor (checked by intElementwise first). */
const q = (t: CTensor): QuantParams => t.quant!;

/** Emit the vector call of one op (or return false when its parameters do not suit the vector kernel). */
type VqEmit = (ctx: CLowerCtx, ins: CTensor[], y: CTensor, lo: number, hi: number) => boolean;

function addSub(sub: boolean): VqEmit {
  return (ctx, ins, y, lo, hi) => {
    const b = rowBroadcast(ins, y.info.shape);
    const p = addParams(ctx.node, q(ins[0]), q(ins[1]), q(y), sub, y.info.dtype);
    if (!b || ![p.m1, p.m2, p.mo].every(vectorShift)) return false;
    const fields = [p.z1, p.z2, p.zy, lo, hi, p.leftShift, p.m1.multiplier, p.m2.multiplier, p.mo.multiplier, p.m1.shift, p.m2.shift, p.mo.shift, sub ? 1 : 0];
    ctx.line(`static const edgec_qadd p = {${fields.join(', ')}};`);
    ctx.line(`edgec_vq_add_s8(${row(b.ops[0])}, ${row(b.ops[1])}, ${y.ptr}, ${b.outer}, ${b.inner}, &p);`);
    return true;
  };
}

/** int8 op → its vector emitter; ops missing here keep the loop-nest lowering. */
const VQ_EMITTERS = {
  Add: addSub(false),
  Sub: addSub(true),
  Mul: (ctx, ins, y, lo, hi) => {
    const b = rowBroadcast(ins, y.info.shape);
    const p = mulParams(ctx.node, q(ins[0]), q(ins[1]), q(y));
    if (!b || !vectorShift(p.m)) return false;
    ctx.line(`edgec_vq_mul_s8(${row(b.ops[0])}, ${row(b.ops[1])}, ${y.ptr}, ${b.outer}, ${b.inner}, ${p.z1}, ${p.z2}, ${p.m.multiplier}, ${p.m.shift}, ${p.zy}, ${lo}, ${hi});`);
    return true;
  },
  Relu: (ctx, [x], y, lo, hi) => requant(ctx, x, y, lo, hi),
  Clip: (ctx, [x], y, lo, hi) => requant(ctx, x, y, lo, hi),
} satisfies Record<string, VqEmit>;

/** The int8 data inputs of each vector op (Clip's bounds are folded into the output clamp). */
const VQ_ARITY: Record<keyof typeof VQ_EMITTERS, number> = { Add: 2, Sub: 2, Mul: 2, Relu: 1, Clip: 1 };

function requant(ctx: CLowerCtx, x: CTensor, y: CTensor, lo: number, hi: number): boolean {
  const p = requantParams(ctx.node, q(x), q(y));
  if (!vectorShift(p.m)) return false;
  ctx.line(`edgec_vq_requant_s8(${x.ptr}, ${y.ptr}, ${numel(y.info.shape)}, ${p.zx}, ${p.m.multiplier}, ${p.m.shift}, ${p.zy}, ${lo}, ${hi});`);
  return true;
}

/** Emit an int8 elementwise node on the vector vocabulary; false when the target has none or the node does not fit
 * (other dtypes, a broadcast that is not one [outer, inner] loop), leaving it to the loop-nest lowering. */
export function lowerVqElementwise(ctx: CLowerCtx): boolean {
  const op = ctx.node.op;
  if (!ctx.target.simd || !Object.prototype.hasOwnProperty.call(VQ_EMITTERS, op)) return false;
  const emit: VqEmit = VQ_EMITTERS[op as keyof typeof VQ_EMITTERS];
  const ins = ctx.node.inputs.map((_, i) => need(ctx, i));
  const y = ctx.output(0);
  const data = ins.slice(0, VQ_ARITY[op as keyof typeof VQ_EMITTERS]);
  if (y.info.dtype !== 'int8' || data.some((t) => t.info.dtype !== 'int8') || numel(y.info.shape) === 0) return false;
  const k = intElementwise(ctx.node, ins.map((t) => ({ ...t.info, quant: t.quant })), { ...y.info, quant: y.quant });
  if (!emit(ctx, data, y, k.lo, k.hi)) return false;
  ctx.useKernel('vqelementwise.h');
  return true;
}
