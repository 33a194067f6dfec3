/** int8 Gemm and MatMul by constant weights on the vector vocabulary's 4-byte dot products (runtime-c/kernels/qdot.h):
 * the weights packed at compile time as B panels of the target's tile, the activations packed at run time, the
 * activation zero point folded into a per-column bias; requantized per column, or kept as int32 for a classifier head. */
import { gemmGeometry, matmulGeometry } from '../../../ops/linalg.js';
import { qgemmParams, qmatmulParams } from '../../../ops/linalg-int.js';
import type { QRequant } from '../../../quant/qlinear.js';
import { broadcastStrides } from '../../../ops/util.js';
import type { CLowerCtx, CTensor } from '../lowering.js';
import { VECTOR_VOCABS } from '../vector-vocab.js';
import { constBias, emitQEpi, qop } from './qlinalg.js';

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** Pack K x N int8 weights (element (k, j) = get(k, j)) into B panels [ceil(N/nr)][ceil(K/4)][nr][4], zero padded. */
export function packQDotB(k: number, n: number, nr: number, get: (k: number, j: number) => number): Int8Array {
  const k4 = Math.ceil(k / 4);
  const o = new Int8Array(roundUp(n, nr) * k4 * 4);
  for (let j = 0; j < n; j++) {
    const base = Math.floor(j / nr) * k4 * nr * 4 + (j % nr) * 4;
    for (let p = 0; p < k; p++) o[base + (p >> 2) * nr * 4 + (p & 3)] = get(p, j);
  }
  return o;
}

/** One product Y[m][n] = A[m][k] (at a.ptr, element (i, p) at i * rs + p * cs) times constant weights get(p, j). */
interface DotProduct {
  m: number;
  k: number;
  n: number;
  a: CTensor;
  rs: number;
  cs: number;
  w: (p: number, j: number) => number;
  za: number;
  /** Per-column int32 bias (added before requantization, or to a head's accumulators). */
  bias?: ArrayLike<number>;
  /** Requantization; undefined: int32 accumulators (a classifier head). */
  r?: QRequant;
}

/** Emit one product on the dot kernel. */
function emitDotProduct(ctx: CLowerCtx, d: DotProduct, y: CTensor): void {
  const { nr, mr } = VECTOR_VOCABS[ctx.target.simd!].qdot;
  ctx.useKernel('qdot.h');
  const packed = packQDotB(d.k, d.n, nr, d.w);
  const wsym = ctx.constArray('qdot_b', { dtype: 'int8', shape: [packed.length], data: packed });
  // sum_p (a - za) w = sum_p a w - za * sum_p w: the second term joins the bias (wrapping like the int32 kernels).
  const folded = Int32Array.from({ length: d.n }, (_, j) => {
    let s = 0;
    for (let p = 0; p < d.k; p++) s += d.w(p, j);
    return ((d.bias ? d.bias[j] : 0) - d.za * s) | 0;
  });
  let maxW = 0;
  for (let j = 0; j < d.n; j++) for (let p = 0; p < d.k; p++) maxW = Math.max(maxW, Math.abs(d.w(p, j)));
  if (d.r) {
    emitQEpi(ctx, d.r, d.n, true, folded, d.k * 128 * maxW);
  } else {
    const corr = ctx.constArray('qdot_corr', { dtype: 'int32', shape: [d.n + nr], data: Int32Array.from({ length: d.n + nr }, (_, j) => (j < d.n ? folded[j] : 0)) });
    ctx.line(`const edgec_qepi e = {${corr}, NULL, NULL, NULL, NULL, NULL, 1, 0, 0, 0};`);
  }
  const k4 = Math.ceil(d.k / 4);
  const aBytes = (d.m === 1 ? 1 : roundUp(d.m, mr)) * k4 * 4 + 16;
  // A vocabulary on int16 pairs widens one weight panel at a time after packed A (qpair.h): k4 quads x 16 columns x 4 int16.
  const pairs = d.m > 1 && VECTOR_VOCABS[ctx.target.simd!].defines.EDGEC_QDOT_PAIRS ? roundUp(aBytes, 16) - aBytes + k4 * nr * 4 * 2 : 0;
  const s = ctx.scratch(aBytes + pairs);
  const [y8, y32] = d.r ? [y.ptr, 'NULL'] : ['NULL', y.ptr];
  ctx.line(`edgec_qdot_linear(${d.m}, ${d.n}, ${d.k}, ${d.a.ptr}, ${d.rs}, ${d.cs}, ${wsym}, ${y8}, ${y32}, &e, ${s});`);
}

/** Whether a node's weights suit the dot kernel: a target vocabulary, run-time A, constant B with zero points 0. */
function dotOperands(ctx: CLowerCtx): { a: CTensor; b: CTensor } | undefined {
  const a = ctx.input(0);
  const b = ctx.input(1);
  if (!ctx.target.simd || !a || !b || a.value || !b.value || !b.quant) return undefined;
  if (a.info.dtype !== 'int8' || b.info.dtype !== 'int8' || b.quant.zeroPoint.some((z) => z !== 0)) return undefined;
  return { a, b };
}

/** int8 MatMul by shared constant weights on the dot kernel (batches as rows); false when it does not fit. */
export function lowerQMatMulDot(ctx: CLowerCtx): boolean {
  const ops = dotOperands(ctx);
  if (!ops) return false;
  const { a, b } = ops;
  const y = ctx.output(0);
  const p = qmatmulParams(ctx.node, [qop(a), qop(b)], qop(y));
  const g = matmulGeometry(ctx.node, a.info.shape, b.info.shape);
  const { k, n } = g;
  if (!g.bOffsets.every((o) => o === g.bOffsets[0]) || !g.aOffsets.every((o, i) => o === i * g.m * k)) return false;
  const m = g.m * g.aOffsets.length;
  const off = g.bOffsets[0];
  const wd = b.value!.data;
  emitDotProduct(ctx, { m, k, n, a, rs: k, cs: 1, w: (q, j) => wd[off + q * n + j], za: p.a.zeroPoint[0], r: p.r }, y);
  return true;
}

/** int8 Gemm by constant weights on the dot kernel; false when it does not fit. */
export function lowerQGemmDot(ctx: CLowerCtx): boolean {
  const ops = dotOperands(ctx);
  if (!ops) return false;
  const { a, b } = ops;
  const c = ctx.input(2);
  const y = ctx.output(0);
  const p = qgemmParams(ctx.node, [qop(a), qop(b), qop(c)], qop(y));
  const g = gemmGeometry(ctx.node, a.info, b.info, c?.info);
  const { m, k, n } = g;
  let bias: number[] | undefined;
  if (c) {
    const cv = constBias(ctx, c, 'input C')!;
    const [rs, cs] = broadcastStrides(c.info.shape, [m, n]);
    if (rs !== 0 && m > 1) return false;
    bias = Array.from({ length: n }, (_, j) => cv[j * cs]);
  }
  const [rs, cs] = g.transA ? [1, m] : [k, 1];
  const [rsb, csb] = g.transB ? [1, k] : [n, 1];
  const wd = b.value!.data;
  emitDotProduct(ctx, { m, k, n, a, rs, cs, w: (q, j) => wd[q * rsb + j * csb], za: p.a.zeroPoint[0], bias, r: p.r }, y);
  return true;
}
