/** CUDA lowerings of Conv and ConvTranspose: implicit GEMM on fp16 tensor cores (group 1, enough columns), direct fp32
 * kernels otherwise (depthwise, grouped, the exact fp32 precision, run-time weights). */
import { convGeometry, convTransposeGeometry, to2d, type ConvGeometry } from '../../../ops/conv.js';
import { nodeError } from '../../../ops/util.js';
import { actOf, epilogueExpr, gridFor, ELEMENT_THREADS, type CudaLowerCtx, type CudaLowering, type CudaTensor } from '../lowering.js';
import { halfBits } from '../weights.js';

/** Tile shape of the tensor-core kernel: block tile BM x BN, WM x WN warps (128 threads). */
export interface MmaTile {
  bm: number;
  bn: number;
  wm: number;
  wn: number;
}

/** The tile for M output rows: narrow M takes a short, wide tile so few rows of A are padding. */
export function mmaTile(m: number): MmaTile {
  if (m <= 16) return { bm: 16, bn: 128, wm: 1, wn: 4 };
  if (m <= 32) return { bm: 32, bn: 128, wm: 1, wn: 4 };
  return { bm: 64, bn: 64, wm: 2, wn: 2 };
}

/** K depth of one tensor-core tile (MMA_BK in conv_mma.cuh); A rows are padded to it. */
export const MMA_BK = 32;

/** Pack A[m][k] (from `get`) as fp16 [ceil(M / bm) * bm][ceil(K / 32) * 32], zero padded; returns bytes and row length. */
export function packHalfA(m: number, k: number, bm: number, get: (i: number, p: number) => number): { bytes: Uint8Array; kpad: number } {
  const kpad = Math.ceil(k / MMA_BK) * MMA_BK;
  const mpad = Math.ceil(m / bm) * bm;
  const h = new Uint16Array(mpad * kpad);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) h[i * kpad + p] = halfBits(get(i, p));
  return { bytes: new Uint8Array(h.buffer), kpad };
}

/** Launch the tensor-core kernel for a Problem instance with M rows, N columns and packed weights `a`. */
export function launchMma(ctx: CudaLowerCtx, problem: string, m: number, n: number, tile: MmaTile, kpad: number, a: string, x: string, y: string, bias: string): void {
  ctx.useKernel('conv_mma.cuh');
  const act = actOf(ctx.node);
  const kernel = `edgec::conv_mma<${problem}, ${tile.bm}, ${tile.bn}, ${tile.wm}, ${tile.wn}, ${kpad}, ${act.id}>`;
  const grid = `dim3(${Math.ceil(n / tile.bn)}, ${Math.ceil(m / tile.bm)})`;
  ctx.launch(kernel, grid, String(tile.wm * tile.wn * 32), [x, a, y, epilogueExpr(ctx, bias)]);
}


interface Conv2d {
  x: CudaTensor;
  w: CudaTensor;
  bias: string;
  y: CudaTensor;
  /** batch, C, H, W, M, OH, OW, group, KH, KW, SH, SW, DH, DW, PT, PL */
  dims: number[];
}

function conv2d(ctx: CudaLowerCtx, geometry: (x: CudaTensor, w: CudaTensor) => ConvGeometry): Conv2d {
  const x = ctx.input(0);
  const w = ctx.input(1);
  if (!x || !w) nodeError(ctx.node, 'inputs X and W are required');
  if (x.info.dtype !== 'float32' || w.info.dtype !== 'float32') nodeError(ctx.node, `CUDA convolutions take float32, got ${x.info.dtype}; dequantize or cast first`);
  const g = geometry(x, w);
  if (g.inSpatial.length > 2) nodeError(ctx.node, '3-D convolution has no CUDA kernel yet; build for target c');
  const [H, W] = to2d(g.inSpatial, 1);
  const [OH, OW] = to2d(g.outSpatial, 1);
  const [KH, KW] = to2d(g.kernel, 1);
  const [SH, SW] = to2d(g.strides, 1);
  const [DH, DW] = to2d(g.dilations, 1);
  const [PT, PL] = to2d(g.padsBegin, 0);
  const b = ctx.input(2);
  return { x, w, bias: b ? b.ptr : 'nullptr', y: ctx.output(0), dims: [g.batch, g.inC, H, W, g.outC, OH, OW, g.group, KH, KW, SH, SW, DH, DW, PT, PL] };
}

function lowerConv(ctx: CudaLowerCtx): void {
  const c = conv2d(ctx, (x, w) => convGeometry(ctx.node, x.info, w.info));
  const [B, C, H, W, M, OH, OW, G, KH, KW, SH, SW, DH, DW, PT, PL] = c.dims;
  const n = B * OH * OW;
  if (ctx.cuda.precision === 'fp16' && G === 1 && c.w.value && n >= 64) {
    const tile = mmaTile(M);
    const k = C * KH * KW;
    const wd = c.w.value.data;
    const { bytes, kpad } = packHalfA(M, k, tile.bm, (i, p) => wd[i * k + p]);
    const a = ctx.constBytes('conv_w16', bytes, '__half');
    const problem = `edgec::ConvProblem<float, ${[B, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL].join(', ')}>`;
    launchMma(ctx, problem, M, n, tile, kpad, a, c.x.ptr, c.y.ptr, c.bias);
    return;
  }
  ctx.useKernel('conv_direct.cuh');
  const kernel = `edgec::conv_direct<${[B, C, H, W, M, OH, OW, G, KH, KW, SH, SW, DH, DW, PT, PL].join(', ')}, ${actOf(ctx.node).id}>`;
  ctx.launch(kernel, gridFor(B * M * OH * OW), String(ELEMENT_THREADS), [c.x.ptr, c.w.ptr, c.y.ptr, epilogueExpr(ctx, c.bias)]);
}

function lowerConvTranspose(ctx: CudaLowerCtx): void {
  const c = conv2d(ctx, (x, w) => convTransposeGeometry(ctx.node, x.info, w.info));
  const [B, , , , M, OH, OW] = c.dims;
  ctx.useKernel('conv_direct.cuh');
  const kernel = `edgec::conv_transpose_direct<${c.dims.join(', ')}, ${actOf(ctx.node).id}>`;
  ctx.launch(kernel, gridFor(B * M * OH * OW), String(ELEMENT_THREADS), [c.x.ptr, c.w.ptr, c.y.ptr, epilogueExpr(ctx, c.bias)]);
}

/** Conv and ConvTranspose → CUDA lowering (both apply absorbed epilogues). */
export const convCudaLowerings: Record<string, CudaLowering> = {
  Conv: { lower: lowerConv, epilogue: true },
  ConvTranspose: { lower: lowerConvTranspose, epilogue: true },
};
