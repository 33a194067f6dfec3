/** CUDA lowerings of Gemm and MatMul: constant weights on the tensor-core kernel (rows of X times packed W^T), the
 * tiled fp32 kernel for products of activations, transposed A and the exact fp32 precision. */
import { gemmGeometry, matmulGeometry } from '../../../ops/linalg.js';
import { nodeError } from '../../../ops/util.js';
import { numel } from '../../../ir/dtype.js';
import { cFloat } from '../../c/lowering.js';
import { actOf, epilogueExpr, type CudaLowerCtx, type CudaLowering, type CudaTensor } from '../lowering.js';
import { launchMma, mmaTile, packHalfA } from './conv.js';

function need(ctx: CudaLowerCtx, i: number): CudaTensor {
  const t = ctx.input(i);
  if (!t) nodeError(ctx.node, `input ${i} is required`);
  if (t.info.dtype !== 'float32') nodeError(ctx.node, `CUDA ${ctx.node.op} takes float32, got ${t.info.dtype} for input ${i}`);
  return t;
}

/** Y[rows][n] = X[rows][k] W[k][n] (+ bias[n]) on tensor cores, W given by `wAt(p, j)`; false when not applicable. */
function rowsOnTensorCores(ctx: CudaLowerCtx, x: CudaTensor, y: CudaTensor, rows: number, k: number, n: number, wAt: (p: number, j: number) => number, bias: string): boolean {
  if (ctx.cuda.precision !== 'fp16' || rows * n < 256) return false;
  const tile = mmaTile(n);
  const { bytes, kpad } = packHalfA(n, k, tile.bm, (j, p) => wAt(p, j));
  const a = ctx.constBytes('gemm_w16', bytes, '__half');
  launchMma(ctx, `edgec::RowsProblem<float, ${n}, ${rows}, ${k}, ${k}, ${n}>`, n, rows, tile, kpad, a, x.ptr, y.ptr, bias);
  return true;
}

/** The tiled fp32 kernel: strides in elements, grid.z over `batch` entries. */
function tiled(ctx: CudaLowerCtx, a: string, b: string, c: string, y: string, m: number, n: number, k: number, batch: number, st: Record<string, number>, alpha: number, beta: number): void {
  ctx.useKernel('gemm.cuh');
  const s = ['ab', 'am', 'ak', 'bb', 'bk', 'bn', 'cm', 'cn', 'yb'].map((f) => st[f] ?? 0);
  const kernel = `edgec::gemm_tiled<${m}, ${n}, ${k}, ${actOf(ctx.node).id}>`;
  const grid = `dim3(${Math.ceil(n / 16)}, ${Math.ceil(m / 16)}, ${batch})`;
  ctx.launch(kernel, grid, 'dim3(16, 16)', [a, b, c, y, `edgec::GemmStrides{${s.join(', ')}}`, cFloat(alpha), cFloat(beta), epilogueExpr(ctx, 'nullptr')]);
}

function lowerGemm(ctx: CudaLowerCtx): void {
  const a = need(ctx, 0);
  const b = need(ctx, 1);
  const c = ctx.input(2);
  const y = ctx.output(0);
  const g = gemmGeometry(ctx.node, a.info, b.info, c?.info);
  const bAt = (p: number, j: number) => g.alpha * b.value!.data[g.transB ? j * g.k + p : p * g.n + j];
  // A bias that varies only along N becomes the epilogue's per-column bias (scaled by beta).
  const rowBias = !c || (c.value && c.info.shape.length <= 2 && (c.info.shape.length < 2 || c.info.shape[0] === 1));
  if (b.value && !g.transA && rowBias) {
    let bias = 'nullptr';
    if (c && g.beta !== 0) {
      const cv = c.value!.data;
      const col = Float32Array.from({ length: g.n }, (_, j) => g.beta * cv[numel(c.info.shape) === 1 ? 0 : j]);
      bias = ctx.constBytes('gemm_bias', new Uint8Array(col.buffer), 'float');
    }
    if (rowsOnTensorCores(ctx, a, y, g.m, g.k, g.n, bAt, bias)) return;
  }
  const cs = c ? c.info.shape : [];
  const cm = cs.length === 2 && cs[0] !== 1 ? cs[1] : 0;
  const cn = cs.length >= 1 && cs[cs.length - 1] !== 1 ? 1 : 0;
  const st = { am: g.transA ? 1 : g.k, ak: g.transA ? g.m : 1, bk: g.transB ? 1 : g.n, bn: g.transB ? g.k : 1, cm, cn };
  tiled(ctx, a.ptr, b.ptr, c ? c.ptr : 'nullptr', y.ptr, g.m, g.n, g.k, 1, st, g.alpha, c ? g.beta : 0);
}

function lowerMatMul(ctx: CudaLowerCtx): void {
  const a = need(ctx, 0);
  const b = need(ctx, 1);
  const y = ctx.output(0);
  const g = matmulGeometry(ctx.node, a.info.shape, b.info.shape);
  const nb = g.aOffsets.length;
  if (b.value && b.info.shape.length <= 2) {
    const wd = b.value.data;
    if (rowsOnTensorCores(ctx, a, y, nb * g.m, g.k, g.n, (p, j) => wd[p * g.n + j], 'nullptr')) return;
  }
  const arith = (o: number[]) => o.every((v, i) => v === i * (nb > 1 ? o[1] - o[0] : 0));
  const st = { am: g.k, ak: 1, bk: g.n, bn: 1, yb: g.m * g.n };
  if (arith(g.aOffsets) && arith(g.bOffsets)) {
    tiled(ctx, a.ptr, b.ptr, 'nullptr', y.ptr, g.m, g.n, g.k, nb, { ...st, ab: nb > 1 ? g.aOffsets[1] : 0, bb: nb > 1 ? g.bOffsets[1] : 0 }, 1, 0);
    return;
  }
  // Irregular batch broadcast: one launch per entry, the absorbed residual offset like the output.
  const residual = ctx.absorbed.residual;
  for (let i = 0; i < nb; i++) {
    if (residual) ctx.absorbed.residual = `${residual} + ${i * g.m * g.n}`;
    tiled(ctx, `${a.ptr} + ${g.aOffsets[i]}`, `${b.ptr} + ${g.bOffsets[i]}`, 'nullptr', `${y.ptr} + ${i * g.m * g.n}`, g.m, g.n, g.k, 1, st, 1, 0);
  }
  ctx.absorbed.residual = residual;
}

/** Gemm and MatMul → CUDA lowering (both apply absorbed epilogues). */
export const linalgCudaLowerings: Record<string, CudaLowering> = {
  Gemm: { lower: lowerGemm, epilogue: true },
  MatMul: { lower: lowerMatMul, epilogue: true },
};
