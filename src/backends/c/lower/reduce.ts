/** C lowerings of Reduce* (float32 contiguous-axes fast path in kernels/reduce.h, loop nests otherwise) and ArgMax/ArgMin. */
import type { DType } from '../../../ir/types.js';
import { byteSize, numel, stridesOf } from '../../../ir/dtype.js';
import { argPlan, reducePlan, REDUCE_KINDS, type ReduceKind } from '../../../ops/reduce.js';
import { cFloat, type CLowerCtx, type CLowering } from '../lowering.js';
import { coalesce, cType, floatMath, indexExpr, need } from './elementwise.js';

/** A reduction as loops: coalesced input dims, input strides, output strides (0 on reduced dims). */
export interface ReduceNest {
  dims: number[];
  inStrides: number[];
  outStrides: number[];
}

/** The coalesced loop nest of reducing `axes` of `shape`. */
export function reduceNest(shape: readonly number[], axes: readonly number[]): ReduceNest {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const ks = stridesOf(kept);
  const outFull = shape.map((_, i) => (axes.includes(i) ? 0 : ks[i]));
  const { dims, strides } = coalesce(shape, [stridesOf(shape), outFull]);
  return { dims, inStrides: strides[0], outStrides: strides[1] };
}

/** [outer, r, inner] when at most one run of reduced dims remains after coalescing. */
export function asBlock(n: ReduceNest): { outer: number; r: number; inner: number } | undefined {
  const red = n.dims.map((_, i) => n.outStrides[i] === 0);
  const first = red.indexOf(true);
  if (first < 0) return { outer: numel(n.dims), r: 1, inner: 1 };
  if (red.lastIndexOf(true) !== first) return undefined;
  return { outer: numel(n.dims.slice(0, first)), r: n.dims[first], inner: numel(n.dims.slice(first + 1)) };
}

const KERNEL_OP: Record<Exclude<ReduceKind, 'ReduceLogSumExp'>, string> = {
  ReduceSum: 'EDGEC_RED_SUM', ReduceMean: 'EDGEC_RED_SUM', ReduceSumSquare: 'EDGEC_RED_SUMSQ', ReduceL2: 'EDGEC_RED_SUMSQ',
  ReduceMax: 'EDGEC_RED_MAX', ReduceMin: 'EDGEC_RED_MIN', ReduceProd: 'EDGEC_RED_PROD',
};

/** Emit nested loops `for every input element: body(v, accIndex)` with v the element converted to type A. */
function emitNest(ctx: CLowerCtx, n: ReduceNest, A: string, body: (v: string, o: string) => string): void {
  const r = n.dims.length;
  let ind = '';
  for (let d = 0; d < r; d++) {
    ctx.line(`${ind}for (ptrdiff_t i${d} = 0; i${d} < ${n.dims[d]}; i${d}++) {`);
    ind += '  ';
  }
  ctx.line(`${ind}const ${A} v = (${A})x[${indexExpr(n.inStrides, r)}];`);
  ctx.line(`${ind}${body('v', indexExpr(n.outStrides, r))}`);
  for (let d = r - 1; d >= 0; d--) {
    ind = ind.slice(2);
    ctx.line(`${ind}}`);
  }
}

/** Any dtype, any axes: accumulate in float (float32) or double (others) over a loop nest, then finalise. */
function reduceGeneral(ctx: CLowerCtx, kind: ReduceKind, nest: ReduceNest, dt: DType, xPtr: string, yPtr: string, nOut: number, r: number): void {
  const f32 = dt === 'float32';
  const A = f32 ? 'float' : 'double';
  const m = floatMath(f32 ? 'float32' : 'float64');
  const inPlace = dt === 'float32' || dt === 'float64';
  const T = cType(dt);
  ctx.line(`const ${T} *EDGEC_RESTRICT x = ${xPtr};`);
  ctx.line(`${A} *EDGEC_RESTRICT acc = (${A} *)${inPlace ? yPtr : ctx.scratch(nOut * 8)};`);
  if (!inPlace) ctx.line(`${T} *EDGEC_RESTRICT y = ${yPtr};`);
  const init = kind === 'ReduceMax' || kind === 'ReduceLogSumExp' ? m.lit(-Infinity) : kind === 'ReduceMin' ? m.lit(Infinity) : kind === 'ReduceProd' ? m.lit(1) : m.lit(0);
  let fin = (a: string) => a;
  if (kind === 'ReduceLogSumExp') {
    ctx.line(`${A} *EDGEC_RESTRICT mx = (${A} *)${ctx.scratch(nOut * (f32 ? 4 : 8))};`);
    ctx.line(`for (ptrdiff_t o = 0; o < ${nOut}; o++) { mx[o] = ${init}; acc[o] = ${m.lit(0)}; }`);
    emitNest(ctx, nest, A, (v, o) => `if (${v} > mx[${o}]) mx[${o}] = ${v};`);
    emitNest(ctx, nest, A, (v, o) => `acc[${o}] += exp${m.f}(${v} - mx[${o}]);`);
    fin = (a) => `(mx[o] == ${m.lit(Infinity)} || mx[o] == ${m.lit(-Infinity)}) ? mx[o] : mx[o] + log${m.f}(${a})`;
  } else {
    ctx.line(`for (ptrdiff_t o = 0; o < ${nOut}; o++) acc[o] = ${init};`);
    const step: Record<string, (v: string, o: string) => string> = {
      ReduceSum: (v, o) => `acc[${o}] += ${v};`,
      ReduceMean: (v, o) => `acc[${o}] += ${v};`,
      ReduceSumSquare: (v, o) => `acc[${o}] += ${v} * ${v};`,
      ReduceL2: (v, o) => `acc[${o}] += ${v} * ${v};`,
      ReduceProd: (v, o) => `acc[${o}] *= ${v};`,
      ReduceMax: (v, o) => `if (${v} > acc[${o}]) acc[${o}] = ${v};`,
      ReduceMin: (v, o) => `if (${v} < acc[${o}]) acc[${o}] = ${v};`,
    };
    emitNest(ctx, nest, A, step[kind]);
    if (kind === 'ReduceMean') fin = (a) => `${a} / ${m.lit(r)}`;
    if (kind === 'ReduceL2') fin = (a) => `sqrt${m.f}(${a})`;
  }
  const changed = fin('acc[o]') !== 'acc[o]';
  if (inPlace && changed) ctx.line(`for (ptrdiff_t o = 0; o < ${nOut}; o++) acc[o] = ${fin('acc[o]')};`);
  if (!inPlace) ctx.line(`for (ptrdiff_t o = 0; o < ${nOut}; o++) y[o] = (${T})edgec_f2i(${fin('acc[o]')});`);
}

function reduceLowering(kind: ReduceKind): CLowering {
  return (ctx) => {
    const x = need(ctx, 0);
    const y = ctx.output(0);
    const dt = x.info.dtype;
    const plan = reducePlan(ctx.node, x.info.shape);
    const bytes = byteSize(dt, y.info.shape);
    if (plan.noop) {
      if (bytes) ctx.line(`memcpy(${y.ptr}, ${x.ptr}, ${bytes});`);
      return;
    }
    const nOut = numel(y.info.shape);
    if (nOut === 0) return;
    const r = numel(x.info.shape) / nOut;
    const nest = reduceNest(x.info.shape, plan.axes);
    const block = asBlock(nest);
    ctx.useKernel('elementwise.h');
    if (dt !== 'float32' || !block || r === 0) {
      reduceGeneral(ctx, kind, nest, dt, x.ptr, y.ptr, nOut, r);
      return;
    }
    ctx.useKernel('reduce.h');
    const { outer, inner } = block;
    if (kind === 'ReduceLogSumExp') {
      const scratch = inner > 1 ? `(float *)${ctx.scratch(inner * 4)}` : '(float *)0';
      ctx.line(`edgec_reduce_logsumexp_f32(${x.ptr}, ${y.ptr}, ${outer}, ${block.r}, ${inner}, ${scratch});`);
      return;
    }
    const scale = kind === 'ReduceMean' ? cFloat(1 / block.r) : '1.0f';
    const root = kind === 'ReduceL2' ? 1 : 0;
    ctx.line(`edgec_reduce_f32(${x.ptr}, ${y.ptr}, ${outer}, ${block.r}, ${inner}, ${KERNEL_OP[kind]}, ${scale}, ${root});`);
  };
}

function argLowering(isMax: boolean): CLowering {
  return (ctx) => {
    const x = need(ctx, 0);
    const y = ctx.output(0);
    const shape = x.info.shape;
    const { axis, last } = argPlan(ctx.node, shape);
    const outer = numel(shape.slice(0, axis));
    const r = shape[axis];
    const inner = numel(shape.slice(axis + 1));
    if (outer * inner === 0) return;
    const T = cType(x.info.dtype);
    const cmp = isMax ? '>' : '<';
    ctx.line(`const ${T} *EDGEC_RESTRICT x = ${x.ptr};`);
    ctx.line(`int64_t *EDGEC_RESTRICT y = ${y.ptr};`);
    ctx.line(`for (ptrdiff_t o = 0; o < ${outer}; o++) {`);
    ctx.line(`  for (ptrdiff_t j = 0; j < ${inner}; j++) {`);
    ctx.line(`    const ${T} *p = x + o * ${r * inner} + j;`);
    ctx.line(`    ${T} best = p[0];`);
    ctx.line(`    int64_t bi = 0;`);
    ctx.line(`    for (ptrdiff_t k = 1; k < ${r}; k++) {`);
    ctx.line(`      const ${T} v = p[k * ${inner}];`);
    ctx.line(`      if (v ${cmp}${last ? '=' : ''} best) { best = v; bi = k; }`);
    ctx.line('    }');
    ctx.line(`    y[o * ${inner} + j] = bi;`);
    ctx.line('  }');
    ctx.line('}');
  };
}

/** Reduce*, ArgMax and ArgMin → C lowering. */
export const reduceLowerings: Record<string, CLowering> = {
  ...Object.fromEntries(REDUCE_KINDS.map((k) => [k, reduceLowering(k)])),
  ArgMax: argLowering(true),
  ArgMin: argLowering(false),
};
