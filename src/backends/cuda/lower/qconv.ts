/** CUDA lowerings of the int8 forms: Conv, Gemm and MatMul with constant weights on integer tensor cores (or the direct
 * int8 kernel), requantized exactly as the integer reference; Quantize, Dequantize and LookupTable. */
import type { QuantParams } from '../../../ir/types.js';
import { numel } from '../../../ir/dtype.js';
import { attrString } from '../../../ir/attrs.js';
import { convGeometry } from '../../../ops/conv.js';
import { qconvParams } from '../../../ops/conv-int.js';
import { qgemmParams, qmatmulParams } from '../../../ops/linalg-int.js';
import { matmulGeometry, gemmGeometry } from '../../../ops/linalg.js';
import { nodeError } from '../../../ops/util.js';
import type { QRequant } from '../../../quant/qlinear.js';
import { cFloat } from '../../c/lowering.js';
import { gridFor, ELEMENT_THREADS, type CudaLowerCtx, type CudaLowering, type CudaTensor } from '../lowering.js';
import { mmaTile, MMA_BK, type MmaTile } from './conv.js';

const qop = (t: CudaTensor | undefined) => t && { ...t.info, quant: t.quant };
const bytesOf = (a: Int32Array | Int8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function need(ctx: CudaLowerCtx, i: number): CudaTensor {
  const t = ctx.input(i);
  if (!t) nodeError(ctx.node, `input ${i} is required`);
  return t;
}

/** The int8 weight matrix w'[m][k] = w - z_w[m] with rows for `m` channels; an error when it leaves int8. */
export function centeredWeights(ctx: CudaLowerCtx, m: number, k: number, get: (i: number, p: number) => number, zw: (i: number) => number): Int8Array {
  const out = new Int8Array(m * k);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const v = get(i, p) - zw(i);
      if (v < -128 || v > 127) nodeError(ctx.node, `weight minus its zero point (${v}) leaves int8; requantize the weights symmetric`);
      out[i * k + p] = v;
    }
  return out;
}

/** Upload the QEpilogue arrays (folded bias, multipliers, shifts per output channel) and return its initializer;
 * without a requantization (int32 accumulator outputs) only the folded bias is used. */
export function qEpilogue(ctx: CudaLowerCtx, r: QRequant | undefined, w: Int8Array, m: number, k: number, zx: number, bias: ArrayLike<number> | undefined): string {
  const b = new Int32Array(m);
  const mult = new Int32Array(m);
  const shift = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    let sum = 0;
    for (let p = 0; p < k; p++) sum += w[i * k + p];
    b[i] = ((bias ? bias[i] : 0) - zx * sum) | 0;
    const q = r?.mults[i % r.mults.length];
    mult[i] = q?.multiplier ?? 0;
    shift[i] = q?.shift ?? 0;
  }
  const arr = (stem: string, a: Int32Array) => ctx.constBytes(stem, bytesOf(a), 'int32_t');
  return `edgec::QEpilogue{${arr('qbias', b)}, ${arr('qmult', mult)}, ${arr('qshift', shift)}, ${r?.zy ?? 0}, ${r?.lo ?? 0}, ${r?.hi ?? 0}}`;
}

/** int8 A packed [Mpad][Kpad] for the integer tensor-core kernel. */
function packInt8A(w: Int8Array, m: number, k: number, tile: MmaTile): { bytes: Uint8Array; kpad: number } {
  const kpad = Math.ceil(k / MMA_BK) * MMA_BK;
  const out = new Int8Array(Math.ceil(m / tile.bm) * tile.bm * kpad);
  for (let i = 0; i < m; i++) out.set(w.subarray(i * k, i * k + k), i * kpad);
  return { bytes: bytesOf(out), kpad };
}

function launchQMma(ctx: CudaLowerCtx, problem: string, m: number, n: number, w: Int8Array, k: number, x: string, y: string, zx: number, epi: string): void {
  const tile = mmaTile(m);
  const { bytes, kpad } = packInt8A(w, m, k, tile);
  ctx.useKernel('qconv.cuh');
  const out = ctx.output(0).info.dtype === 'int32' ? 'int32_t' : 'int8_t';
  const kernel = `edgec::qconv_mma<${problem}, ${tile.bm}, ${tile.bn}, ${tile.wm}, ${tile.wn}, ${kpad}, ${out}>`;
  ctx.launch(kernel, `dim3(${Math.ceil(n / tile.bn)}, ${Math.ceil(m / tile.bm)})`, String(tile.wm * tile.wn * 32), [x, ctx.constBytes('qconv_w', bytes, 'int8_t'), y, `(int8_t)${zx}`, epi]);
}

const zpAt = (q: QuantParams, c: number) => (q.zeroPoint.length === 1 ? q.zeroPoint[0] : q.zeroPoint[c]);

function lowerQConv(ctx: CudaLowerCtx): void {
  const x = need(ctx, 0);
  const w = need(ctx, 1);
  const b = ctx.input(2);
  const y = ctx.output(0);
  if (x.info.dtype !== 'int8' || y.info.dtype !== 'int8') nodeError(ctx.node, `the CUDA integer Conv takes int8 (got ${x.info.dtype}); 16x8 runs on target c`);
  const p = qconvParams(ctx.node, false, [qop(x), qop(w), qop(b)], qop(y));
  if (!w.value || (b && !b.value)) nodeError(ctx.node, 'weights and bias must be constants for the integer CUDA Conv');
  const g = convGeometry(ctx.node, x.info, w.info);
  if (g.inSpatial.length !== 2) nodeError(ctx.node, 'the integer CUDA Conv takes 2-D convolutions');
  const [H, W] = g.inSpatial;
  const [OH, OW] = g.outSpatial;
  const [KH, KW] = g.kernel;
  const [SH, SW] = g.strides;
  const [DH, DW] = g.dilations;
  const [PT, PL] = g.padsBegin;
  const k = (g.inC / g.group) * KH * KW;
  const wd = w.value.data;
  const wc = centeredWeights(ctx, g.outC, k, (i, q) => wd[i * k + q], (i) => zpAt(p.w, i));
  const zx = p.x.zeroPoint[0];
  const epi = qEpilogue(ctx, p.r, wc, g.outC, k, zx, b?.value?.data);
  const n = g.batch * OH * OW;
  if (g.group === 1 && n >= 64) {
    const problem = `edgec::ConvProblem<int8_t, ${[g.batch, g.inC, H, W, g.outC, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL].join(', ')}>`;
    launchQMma(ctx, problem, g.outC, n, wc, k, x.ptr, y.ptr, zx, epi);
    return;
  }
  ctx.useKernel('qconv.cuh');
  const dims = [g.batch, g.inC, H, W, g.outC, OH, OW, g.group, KH, KW, SH, SW, DH, DW, PT, PL];
  const wp = ctx.constBytes('qconv_w', bytesOf(wc), 'int8_t');
  ctx.launch(`edgec::qconv_direct<${dims.join(', ')}>`, gridFor(g.batch * g.outC * OH * OW), String(ELEMENT_THREADS), [x.ptr, wp, y.ptr, `(int8_t)${zx}`, epi]);
}

/** Y[rows][n] = requant(X[rows][k] B[k][n]) (or the int32 accumulators) on integer tensor cores with B constant. */
function qRows(ctx: CudaLowerCtx, x: CudaTensor, y: CudaTensor, rows: number, k: number, n: number, bAt: (p: number, j: number) => number, zb: (j: number) => number, r: QRequant | undefined, zx: number, bias: ArrayLike<number> | undefined): void {
  const wc = centeredWeights(ctx, n, k, (j, p) => bAt(p, j), zb);
  const epi = qEpilogue(ctx, r, wc, n, k, zx, bias);
  launchQMma(ctx, `edgec::RowsProblem<int8_t, ${n}, ${rows}, ${k}, ${k}, ${n}>`, n, rows, wc, k, x.ptr, y.ptr, zx, epi);
}

function lowerQGemm(ctx: CudaLowerCtx): void {
  const [a, b] = [need(ctx, 0), need(ctx, 1)];
  const c = ctx.input(2);
  const y = ctx.output(0);
  const p = qgemmParams(ctx.node, [qop(a), qop(b), qop(c)], qop(y));
  const g = gemmGeometry(ctx.node, a.info, b.info, c?.info);
  if (!b.value || g.transA || (c && (!c.value || numel(c.info.shape) !== g.n && numel(c.info.shape) !== 1)))
    nodeError(ctx.node, 'the integer CUDA Gemm needs constant B and C (C per column), no transA');
  const bd = b.value.data;
  const cd = c?.value?.data;
  const bias = cd && Array.from({ length: g.n }, (_, j) => cd[cd.length === 1 ? 0 : j]);
  qRows(ctx, a, y, g.m, g.k, g.n, (q, j) => bd[g.transB ? j * g.k + q : q * g.n + j], (j) => zpAt(p.b, j), p.r, p.a.zeroPoint[0], bias);
}

/** Integer MatMul with a constant 2-D B on integer tensor cores. */
export function lowerQMatMulConst(ctx: CudaLowerCtx): void {
  const [a, b] = [need(ctx, 0), need(ctx, 1)];
  const y = ctx.output(0);
  const p = qmatmulParams(ctx.node, [qop(a), qop(b)], qop(y));
  const g = matmulGeometry(ctx.node, a.info.shape, b.info.shape);
  if (!b.value || b.info.shape.length > 2) nodeError(ctx.node, 'the integer CUDA MatMul needs a constant 2-D B');
  const bd = b.value.data;
  qRows(ctx, a, y, g.aOffsets.length * g.m, g.k, g.n, (q, j) => bd[q * g.n + j], (j) => zpAt(p.b, j), p.r, p.a.zeroPoint[0], undefined);
}

function perTensor(ctx: CudaLowerCtx, q: QuantParams | undefined): { s: number; z: number } {
  if (!q || q.scale.length !== 1) nodeError(ctx.node, 'the CUDA kernel takes per-tensor quantization parameters');
  return { s: q.scale[0], z: q.zeroPoint[0] };
}

/** Integer Conv, Gemm, Quantize, Dequantize, LookupTable → CUDA lowering. */
export const qCudaLowerings: Record<string, CudaLowering> = {
  Conv: { lower: lowerQConv },
  Gemm: { lower: lowerQGemm },
  Quantize: {
    lower(ctx) {
      const x = need(ctx, 0);
      const y = ctx.output(0);
      if (y.info.dtype !== 'int8' || attrString(ctx.node, 'rounding', 'half_to_even') !== 'half_to_even')
        nodeError(ctx.node, 'the CUDA Quantize writes int8 with half-to-even rounding');
      const { s, z } = perTensor(ctx, y.quant);
      const n = numel(y.info.shape);
      ctx.useKernel('qconv.cuh');
      ctx.launch('edgec::quantize', gridFor(n), String(ELEMENT_THREADS), [x.ptr, y.ptr, String(n), cFloat(s), String(z), '-128', '127']);
    },
  },
  Dequantize: {
    lower(ctx) {
      const x = need(ctx, 0);
      const q = x.quant;
      if ((x.info.dtype !== 'int8' && x.info.dtype !== 'int32') || !q) nodeError(ctx.node, `the CUDA Dequantize reads quantized int8 or int32, got ${x.info.dtype}`);
      const n = numel(x.info.shape);
      const c = q.scale.length;
      const axis = c === 1 ? 0 : (q.axis ?? 0) < 0 ? (q.axis ?? 0) + x.info.shape.length : (q.axis ?? 0);
      const inner = c === 1 ? n : numel(x.info.shape.slice(axis + 1));
      const s = ctx.constBytes('dq_scale', new Uint8Array(Float32Array.from(q.scale).buffer), 'float');
      const z = ctx.constBytes('dq_zero', bytesOf(Int32Array.from(q.zeroPoint)), 'int32_t');
      ctx.useKernel('qconv.cuh');
      const t = x.info.dtype === 'int8' ? 'int8_t' : 'int32_t';
      ctx.launch(`edgec::dequantize<${t}, ${c}, ${inner}>`, gridFor(n), String(ELEMENT_THREADS), [x.ptr, ctx.output(0).ptr, String(n), s, z]);
    },
  },
  LookupTable: {
    lower(ctx) {
      const x = need(ctx, 0);
      const t = need(ctx, 1);
      if (x.info.dtype !== 'int8' || t.info.dtype !== 'int8') nodeError(ctx.node, 'the CUDA LookupTable maps int8 to int8');
      const n = numel(x.info.shape);
      ctx.useKernel('qconv.cuh');
      ctx.launch('edgec::lookup', gridFor(n), String(ELEMENT_THREADS), [x.ptr, t.ptr, ctx.output(0).ptr, String(n)]);
    },
  },
};
