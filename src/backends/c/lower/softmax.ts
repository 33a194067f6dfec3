/** C lowerings of Softmax and LogSoftmax: kernels/softmax.h for float32, a specialised loop nest for float64. */
import { softmaxPlan } from '../../../ops/softmax.js';
import type { CLowerCtx, CLowering } from '../lowering.js';
import { need } from './elementwise.js';

/** float64 softmax over [outer, n, inner] as plain loops (exp from <math.h>). */
function softmaxF64(ctx: CLowerCtx, x: string, y: string, outer: number, n: number, inner: number, log: boolean): void {
  ctx.line(`const double *EDGEC_RESTRICT x = ${x};`);
  ctx.line(`double *EDGEC_RESTRICT y = ${y};`);
  ctx.line(`for (ptrdiff_t o = 0; o < ${outer}; o++) {`);
  ctx.line(`  for (ptrdiff_t j = 0; j < ${inner}; j++) {`);
  ctx.line(`    const double *p = x + o * ${n * inner} + j;`);
  ctx.line(`    double *q = y + o * ${n * inner} + j;`);
  ctx.line('    double m = p[0], s = 0.0;');
  ctx.line(`    for (ptrdiff_t k = 1; k < ${n}; k++) m = p[k * ${inner}] > m ? p[k * ${inner}] : m;`);
  if (log) {
    ctx.line(`    for (ptrdiff_t k = 0; k < ${n}; k++) s += exp(p[k * ${inner}] - m);`);
    ctx.line('    s = m + log(s);');
    ctx.line(`    for (ptrdiff_t k = 0; k < ${n}; k++) q[k * ${inner}] = p[k * ${inner}] - s;`);
  } else {
    ctx.line(`    for (ptrdiff_t k = 0; k < ${n}; k++) s += q[k * ${inner}] = exp(p[k * ${inner}] - m);`);
    ctx.line(`    for (ptrdiff_t k = 0; k < ${n}; k++) q[k * ${inner}] /= s;`);
  }
  ctx.line('  }');
  ctx.line('}');
}

function softmaxLowering(log: boolean): CLowering {
  return (ctx) => {
    const x = need(ctx, 0);
    const y = ctx.output(0);
    const { outer, n, inner } = softmaxPlan(ctx.node, x.info.shape);
    if (outer * n * inner === 0) return;
    if (x.info.dtype === 'float64') {
      softmaxF64(ctx, x.ptr, y.ptr, outer, n, inner, log);
      return;
    }
    ctx.useKernel('elementwise.h');
    ctx.useKernel('softmax.h');
    if (inner === 1) ctx.line(`edgec_softmax_rows_f32(${x.ptr}, ${y.ptr}, ${outer}, ${n}, ${log ? 1 : 0});`);
    else ctx.line(`edgec_softmax_strided_f32(${x.ptr}, ${y.ptr}, ${outer}, ${n}, ${inner}, ${log ? 1 : 0}, (float *)${ctx.scratch(2 * inner * 4)});`);
  };
}

/** Softmax and LogSoftmax → C lowering. */
export const softmaxLowerings: Record<string, CLowering> = {
  Softmax: softmaxLowering(false),
  LogSoftmax: softmaxLowering(true),
};
