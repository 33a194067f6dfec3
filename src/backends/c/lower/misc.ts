/** C lowerings of Cast (per-element conversion as edgec defines it) and Where (broadcasting select). */
import type { DType } from '../../../ir/types.js';
import { byteSize } from '../../../ir/dtype.js';
import { isFloatType } from '../../../ops/elementwise.js';
import type { CLowering } from '../lowering.js';
import { cType, emitLoops, need, operand } from './elementwise.js';

/** C expression converting `x` of dtype `from` to dtype `to` (float to int truncates; NaN/inf become 0). */
export function castExpr(x: string, from: DType, to: DType): string {
  if (to === 'bool') return `(uint8_t)(${x} != 0)`;
  if (isFloatType(to) || !isFloatType(from)) return `(${cType(to)})${x}`;
  return `(${cType(to)})edgec_f2i((double)${x})`;
}

const cast: CLowering = (ctx) => {
  const x = need(ctx, 0);
  const y = ctx.output(0);
  const from = x.info.dtype;
  const to = y.info.dtype;
  const sameBits = from === to || (from === 'bool' && to === 'uint8');
  if (sameBits) {
    const bytes = byteSize(to, y.info.shape);
    if (bytes) ctx.line(`memcpy(${y.ptr}, ${x.ptr}, ${bytes});`);
    return;
  }
  ctx.useKernel('elementwise.h');
  emitLoops(ctx, [operand(x)], operand(y), ([v]) => ({ value: castExpr(v, from, to) }));
};

const where: CLowering = (ctx) => {
  const c = need(ctx, 0);
  const a = need(ctx, 1);
  const b = need(ctx, 2);
  const y = ctx.output(0);
  emitLoops(ctx, [operand(c), operand(a), operand(b)], operand(y), ([k, u, v]) => ({ value: `${k} ? ${u} : ${v}` }));
};

/** Cast and Where → C lowering. */
export const miscLowerings: Record<string, CLowering> = { Cast: cast, Where: where };
