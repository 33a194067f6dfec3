/** C lowerings of N:M-pruned Conv (1x1) and Gemm weights onto runtime-c/kernels/sparse.h (any N:M), sparse24.h (float 2:4, the vector kernel) and sparse24q.h (int8 2:4); a node they cannot take goes to the dense lowering. */
import type { Node } from '../../../ir/types.js';
import { attrInt, attrInts, attrFloat } from '../../../ir/attrs.js';
import { convGeometry, to2d } from '../../../ops/conv.js';
import { gemmGeometry } from '../../../ops/linalg.js';
import { qconvParams } from '../../../ops/conv-int.js';
import { qgemmParams } from '../../../ops/linalg-int.js';
import { broadcastStrides } from '../../../ops/util.js';
import { isNm, packNm } from '../../../sparse/nm.js';
import type { CLowerCtx, CLowering, CTensor } from '../lowering.js';
import { VECTOR_VOCABS, type SimdIsa } from '../vector-vocab.js';
import { actArgs, bDirect, gemmBlocking, GEMM_NR, packedAFloats } from './linalg.js';
import { constBias, emitQEpi, qop, QGEMM_MR } from './qlinalg.js';
import { foldZeroPoint } from './qdot.js';
import type { QRequant } from '../../../quant/qlinear.js';

/** The N:M pattern a pruning pass recorded on a node (attribute `sparse` = [n, m]). */
export function sparsePattern(node: Node): { n: number; m: number } | undefined {
  const v = attrInts(node, 'sparse');
  return v && v.length === 2 ? { n: v[0], m: v[1] } : undefined;
}

/** Compressed weights as const arrays: rows x k (row-major, at most n non-zeros per group of m) → C symbols and geometry. */
function emitPacked(ctx: CLowerCtx, rows: number, k: number, at: (r: number, i: number) => number, nm: { n: number; m: number }, dtype: 'float32' | 'int8') {
  const dense = Float64Array.from({ length: rows * k }, (_, i) => at(Math.floor(i / k), i % k));
  if (!isNm(dense, rows, k, nm.n, nm.m)) return undefined;
  const p = packNm(dense, rows, k, nm.n, nm.m);
  const values = dtype === 'float32' ? Float32Array.from(p.values) : Int8Array.from(p.values);
  const vals = ctx.constArray('sparse_values', { dtype, shape: [values.length], data: values });
  // One byte past the end: the decoder reads index pairs of bytes.
  const indices = new Uint8Array(p.indices.length + 1);
  indices.set(p.indices);
  const idx = ctx.constArray('sparse_indices', { dtype: 'uint8', shape: [indices.length], data: indices });
  const koff = `(int *)${ctx.scratch(((k / nm.m) * nm.n) * 4)}`;
  ctx.useKernel('sparse.h');
  return { geo: `${nm.n}, ${nm.m}, ${p.bits}, ${p.rowBytes}`, vals, idx, koff, rowBytes: p.rowBytes };
}

/** The node's fused activation over `count` contiguous outputs (nothing when it has none). */
function applyActivation(ctx: CLowerCtx, y: string, count: number): void {
  if (ctx.node.attrs.act) ctx.line(`edgec_act_apply(${y}, ${count}, ${actArgs(ctx.node)});`);
}

/** A pointwise Conv (1x1, stride 1, no padding, one group) whose inputs the sparse kernels take, with its sizes. */
function pointwise(ctx: CLowerCtx): { x: CTensor; w: CTensor; y: CTensor; O: number; K: number; P: number; batch: number } | undefined {
  const [x, w] = [ctx.input(0), ctx.input(1)];
  if (!x || !w?.value) return undefined;
  const g = convGeometry(ctx.node, x.info, w.info);
  const unit = (v: number[], want: number) => v.every((d) => d === want);
  if (g.group !== 1 || !unit(g.kernel, 1) || !unit(g.strides, 1) || !unit([...g.padsBegin, ...g.padsEnd], 0)) return undefined;
  return { x, w, y: ctx.output(0), O: g.outC, K: g.inC, P: g.outSpatial.reduce((a, b) => a * b, 1), batch: g.batch };
}

/** Layer sizes of a product on 2:4 weights: outputs O, reduction K, pixels (or Gemm rows) P. */
export interface SparseShape { o: number; k: number; p: number }

/**
 * Whether the 2:4 vector kernel (sparse24.h) beats the dense GEMM on this layer, per vector ISA ('none': the host's
 * GNU vectors). The sparse kernel does half the multiply-adds; its main tile (one row x eight vectors of pixels, one
 * splat and index decode per eight FMAs) wins wherever it covers most pixels, and on few pixels (Gemm rows) where the
 * dense tiles run mostly empty. Measured on AVX2 (one thread, CPU time): 0.57-0.78x of the dense GEMM's time for O, K
 * in 32..6625 with P = 40 or P >= 240; 1.02x at P = 100 (a 64-pixel tile plus tails). Between 64 and 128 pixels the
 * layer keeps the compressed weights and expands them into the dense GEMM's panels per run.
 */
export const SPARSE_WINS: Record<SimdIsa | 'none', (s: SparseShape) => boolean> = {
  none: (s) => s.p <= 64 || s.p >= 128,
  scalar: (s) => s.p <= 64 || s.p >= 128,
  neon: (s) => s.p <= 64 || s.p >= 128,
  'neon-dotprod': (s) => s.p <= 64 || s.p >= 128,
  wasm: (s) => s.p <= 64 || s.p >= 128,
};

/** Whether the lowering runs a 2:4 layer on the sparse kernel (else: compressed weights expanded for the dense GEMM). */
export function sparseComputes(ctx: CLowerCtx, s: SparseShape): boolean {
  return SPARSE_WINS[ctx.target.simd ?? 'none'](s);
}

/** Reduction rows per block of the 2:4 kernel: the X block of its main tile (8 vectors of pixels) in half of L1. */
function sparseKc(ctx: CLowerCtx): number {
  return Math.max(8, Math.floor(ctx.target.l1Bytes / 2 / (8 * ctx.target.vectorFloats * 4) / 8) * 8);
}

/** Float pointwise Conv on N:M weights: 2:4 on the vector kernel or expanded into the dense GEMM; other N:M on the generic kernel. */
function sparseConv(ctx: CLowerCtx): boolean {
  const nm = sparsePattern(ctx.node);
  const c = nm && pointwise(ctx);
  if (!nm || !c || c.x.info.dtype !== 'float32') return false;
  const wd = c.w.value!.data;
  const s = emitPacked(ctx, c.O, c.K, (r, i) => wd[r * c.K + i], nm, 'float32');
  if (!s) return false;
  const b = ctx.input(2);
  const bias = b ? b.ptr : 'NULL';
  if (nm.n === 2 && nm.m === 4) {
    ctx.useKernel('sparse24.h');
    if (sparseComputes(ctx, { o: c.O, k: c.K, p: c.P })) {
      const tmp = ctx.scratch(8 * ctx.target.vectorFloats * 4);
      for (let n = 0; n < c.batch; n++)
        ctx.line(`edgec_spmm24_f32(${c.O}, ${c.K}, ${c.P}, ${s.vals}, ${s.idx}, ${s.rowBytes}, ${bias}, ${c.x.ptr} + ${n * c.K * c.P}, ${c.P}, ${c.y.ptr} + ${n * c.O * c.P}, ${c.P}, 1, ${sparseKc(ctx)}, ${actArgs(ctx.node)}, (float *)${tmp});`);
      return true;
    }
    // Dense product on the expanded weights: packed A panels in front of the GEMM's B block.
    ctx.useKernel('conv.h');
    const blk = gemmBlocking(ctx.target);
    const g = convGeometry(ctx.node, c.x.info, c.w.info);
    const [H, W] = to2d(g.inSpatial, 1);
    const apFloats = Math.ceil(packedAFloats(c.O, c.K) / 16) * 16;
    const work = Math.min(blk.kc, c.K) * Math.ceil(Math.min(blk.nc, H * W) / GEMM_NR) * GEMM_NR;
    ctx.line(`float *ap = (float *)${ctx.scratch((apFloats + work) * 4)};`);
    ctx.line(`edgec_sp24_expand_a(${c.O}, ${c.K}, ${s.vals}, ${s.idx}, ${s.rowBytes}, ap);`);
    const geo = [c.batch, c.K, H, W, c.O, H, W, 1, 1, 1, 1, 1, 1, 1, 0, 0];
    ctx.line(`edgec_conv2d(${c.x.ptr}, ap, ${bias}, ${c.y.ptr}, ${geo.join(', ')}, ${actArgs(ctx.node)}, ap + ${apFloats}, ${H}, ${blk.mc}, ${blk.kc}, ${blk.nc}, ${bDirect(c.O)});`);
    return true;
  }
  for (let n = 0; n < c.batch; n++)
    ctx.line(`edgec_spmm_f32(${c.O}, ${c.K}, ${c.P}, ${s.geo}, ${s.vals}, ${s.idx}, ${bias}, ${c.x.ptr} + ${n * c.K * c.P}, ${c.P}, ${c.y.ptr} + ${n * c.O * c.P}, ${c.P}, 1, ${s.koff});`);
  applyActivation(ctx, c.y.ptr, c.batch * c.O * c.P);
  return true;
}

/** The dense int8 kernels' packed weight panels (constArray stem → panel rows mr and reduction run kq, see
 * edgec_sp24_expand_s8) that a 2:4 layer rebuilds at run time from its compressed storage. */
function int8Panels(ctx: CLowerCtx): Record<string, { mr: number; kq: number; slack: number }> {
  return { qconv_w: { mr: QGEMM_MR, kq: 2, slack: 0 }, qdot_w: { mr: ctx.target.simd ? VECTOR_VOCABS[ctx.target.simd].qdot.mr : 0, kq: 4, slack: 16 } };
}

/**
 * Whether the int8 2:4 kernel (sparse24q.h) beats the dense int8 kernel on this layer, per vector ISA ('none': the
 * host's GNU vectors). It does half the multiply-adds, as int16 pair sums widened into int32 lanes (about 4 products
 * an instruction on NEON), so it wins where the dense int8 products are no cheaper: NEON without SDOT (SMULL + SADALP;
 * PP-OCR rec int8 under qemu on cortex-a72: pointwise layers 0.59-0.65x of the dense instructions, P = 40 layers
 * 0.8x), WASM (widened i32x4.dot_i16x8_s) and the portable loops. SDOT does 16 products an instruction: on dotprod
 * the dense kernel on expanded weights is faster (cortex-a76: the 2:4 kernel 1.9-3.1x the dense instructions), except
 * on a single pixel, whose dense lowering (a GEMV) stores its own weight copy that the run-time expansion does not
 * rebuild: there the 2:4 kernel keeps the artifact compressed. On the
 * AVX2 host both multiply with pmaddwd and come out even (rec int8 under callgrind: 1.05x the dense instructions with
 * the 2:4 kernel on every layer, 1.07x with the large layers on expanded weights): the 2:4 kernel everywhere.
 * Elsewhere the compressed weights are expanded into the dense kernel's panels per run.
 */
export const SPARSE_WINS_INT8: Record<SimdIsa | 'none', (s: SparseShape) => boolean> = {
  none: () => true,
  scalar: () => true,
  neon: () => true,
  'neon-dotprod': (s) => s.p < 16,
  wasm: () => true,
};

/** Whether int8 weights suit the 2:4 kernel: all in [-127, 127] (it sums two int8 products in int16). */
function pairSumsFit(w: ArrayLike<number>): boolean {
  for (let i = 0; i < w.length; i++) if (w[i] === -128) return false;
  return true;
}

/** The int8 2:4 kernel on rows x k weights (`at`), raw int8 X ([k][p] rows ldx apart at xs[n]) into ys[n]: the epilogue
 * with the activation zero point folded into the bias, then one call per batch item. */
function emitSparse24q(ctx: CLowerCtx, r: QRequant, rows: number, k: number, at: (o: number, i: number) => number, bias: ArrayLike<number> | undefined,
  zx: number, s: { vals: string; idx: string; rowBytes: number }, calls: { x: string; y: string; ldx: number; p: number; syo: number; syp: number }[]): void {
  ctx.useKernel('sparse24q.h');
  const w = Float64Array.from({ length: rows * k }, (_, i) => at(Math.floor(i / k), i % k));
  emitQEpi(ctx, r, rows, false, foldZeroPoint(w, rows, bias, zx), k * 255 * 128);
  const tmp = ctx.scratch(8192 + 16 * k + 64);
  for (const c of calls)
    ctx.line(`edgec_spmm24_s8(${rows}, ${k}, ${c.p}, ${s.vals}, ${s.idx}, ${s.rowBytes}, ${c.x}, ${c.ldx}, ${c.y}, ${c.syo}, ${c.syp}, &e, ${tmp});`);
}

/** int8 pointwise Conv on N:M weights (symmetric weights only: a pruned weight is then code 0). 2:4 layers run the
 * int8 2:4 kernel where it wins, elsewhere the dense lowering on panels expanded from the compressed storage at run
 * time; other N:M patterns run the generic kernel. */
function sparseQConv(ctx: CLowerCtx, dense: CLowering): boolean {
  const nm = sparsePattern(ctx.node);
  const c = nm && pointwise(ctx);
  if (!nm || !c) return false;
  const b = ctx.input(2);
  const p = qconvParams(ctx.node, false, [qop(c.x), qop(c.w), qop(b)], qop(c.y));
  if (p.w.zeroPoint.some((z) => z !== 0)) return false;
  const wd = c.w.value!.data;
  const at = (r: number, i: number) => wd[r * c.K + i];
  const s = emitPacked(ctx, c.O, c.K, at, nm, 'int8');
  if (!s) return false;
  const shape = { o: c.O, k: c.K, p: c.P };
  if (nm.n === 2 && nm.m === 4 && SPARSE_WINS_INT8[ctx.target.simd ?? 'none'](shape) && pairSumsFit(wd)) {
    const calls = Array.from({ length: c.batch }, (_, n) => ({ x: `${c.x.ptr} + ${n * c.K * c.P}`, y: `${c.y.ptr} + ${n * c.O * c.P}`, ldx: c.P, p: c.P, syo: c.P, syp: 1 }));
    emitSparse24q(ctx, p.r, c.O, c.K, at, constBias(ctx, b, 'bias B'), p.x.zeroPoint[0], s, calls);
    return true;
  }
  if (nm.n === 2 && nm.m === 4) {
    ctx.useKernel('sparse24.h');
    const panels = int8Panels(ctx);
    const expanding: CLowerCtx = {
      ...ctx,
      constArray: (stem, v) => {
        const layout = panels[stem];
        if (!layout || v.dtype !== 'int8') return ctx.constArray(stem, v);
        // Self-check: the run-time expansion must rebuild exactly the panels the dense lowering packed.
        const want = v.data as Int8Array;
        const kb = Math.ceil(c.K / layout.kq);
        const got = new Int8Array(want.length);
        for (let o = 0; o < c.O; o++)
          for (let k = 0; k < c.K; k++) got[((Math.floor(o / layout.mr) * kb + Math.floor(k / layout.kq)) * layout.mr + (o % layout.mr)) * layout.kq + (k % layout.kq)] = wd[o * c.K + k];
        if (layout.mr === 0 || got.some((x, i) => x !== want[i])) throw new Error(`${ctx.node.name}: the 2:4 expansion does not rebuild the ${stem} panels (internal error)`);
        const out = `(int8_t *)${ctx.scratch(want.length)}`;
        ctx.line(`edgec_sp24_expand_s8(${c.O}, ${c.K}, ${s.vals}, ${s.idx}, ${s.rowBytes}, ${layout.mr}, ${layout.kq}, ${want.length}, ${out});`);
        return out;
      },
    };
    dense(expanding);
    return true;
  }
  emitQEpi(ctx, p.r, c.O, false, constBias(ctx, b, 'bias B'), c.K * 255 * 128);
  for (let n = 0; n < c.batch; n++)
    ctx.line(`edgec_spmm_s8(${c.O}, ${c.K}, ${c.P}, ${s.geo}, ${s.vals}, ${s.idx}, ${p.x.zeroPoint[0]}, ${c.x.ptr} + ${n * c.K * c.P}, ${c.P}, ${c.y.ptr} + ${n * c.O * c.P}, ${c.P}, 1, &e, ${s.koff});`);
  return true;
}

/** Gemm with constant N:M weights B, run-time A and no transA: sizes, weight accessor and the bias vector (or undefined). */
function gemmParts(ctx: CLowerCtx) {
  const [a, b, cIn] = [ctx.input(0), ctx.input(1), ctx.input(2)];
  if (!a || a.value || !b?.value || attrInt(ctx.node, 'transA', 0)) return undefined;
  const g = gemmGeometry(ctx.node, a.info, b.info, cIn?.info);
  const bd = b.value.data;
  const at = (o: number, k: number) => (g.transB ? bd[o * g.k + k] : bd[k * g.n + o]);
  let bias: number[] | undefined;
  if (cIn && g.beta !== 0) {
    if (!cIn.value) return undefined;
    const [rs, cs] = broadcastStrides(cIn.info.shape, [g.m, g.n]);
    if (rs !== 0 && g.m > 1) return undefined;
    bias = Array.from({ length: g.n }, (_, j) => Number(cIn.value!.data[j * cs]));
  }
  return { a, b, c: cIn, y: ctx.output(0), g, at, bias };
}

/** Float Gemm on N:M weights (alpha and beta folded into the stored values and bias). */
function sparseGemm(ctx: CLowerCtx): boolean {
  const nm = sparsePattern(ctx.node);
  const q = nm && gemmParts(ctx);
  if (!nm || !q || q.a.info.dtype !== 'float32') return false;
  const alpha = attrFloat(ctx.node, 'alpha', 1);
  const s = emitPacked(ctx, q.g.n, q.g.k, (o, k) => alpha * q.at(o, k), nm, 'float32');
  if (!s) return false;
  const bias = q.bias ? ctx.constArray('sparse_bias', { dtype: 'float32', shape: [q.g.n], data: Float32Array.from(q.bias, (v) => q.g.beta * v) }) : 'NULL';
  // The kernel walks columns of A: transpose it into scratch first; Y is written with row stride N.
  ctx.line(`float *at = (float *)${ctx.scratch(q.g.k * q.g.m * 4)};`);
  ctx.line(`EDGEC_SP_TRANSPOSE(float, ${q.a.ptr}, at, ${q.g.m}, ${q.g.k});`);
  if (nm.n === 2 && nm.m === 4) {
    ctx.useKernel('sparse24.h');
    const tmp = ctx.scratch(8 * ctx.target.vectorFloats * 4);
    ctx.line(`edgec_spmm24_f32(${q.g.n}, ${q.g.k}, ${q.g.m}, ${s.vals}, ${s.idx}, ${s.rowBytes}, ${bias}, at, ${q.g.m}, ${q.y.ptr}, 1, ${q.g.n}, 0, EDGEC_ACT_NONE, 0.0f, 0.0f, (float *)${tmp});`);
  } else {
    ctx.line(`edgec_spmm_f32(${q.g.n}, ${q.g.k}, ${q.g.m}, ${s.geo}, ${s.vals}, ${s.idx}, ${bias}, at, ${q.g.m}, ${q.y.ptr}, 1, ${q.g.n}, ${s.koff});`);
  }
  applyActivation(ctx, q.y.ptr, q.g.m * q.g.n);
  return true;
}

/** int8 Gemm on N:M weights (symmetric weights only). */
function sparseQGemm(ctx: CLowerCtx): boolean {
  const nm = sparsePattern(ctx.node);
  const q = nm && gemmParts(ctx);
  if (!nm || !q) return false;
  const p = qgemmParams(ctx.node, [qop(q.a), qop(q.b), qop(q.c)], qop(q.y));
  if (p.b.zeroPoint.some((z) => z !== 0) || !p.r) return false; // int32 accumulator heads use the dense kernel
  const s = emitPacked(ctx, q.g.n, q.g.k, q.at, nm, 'int8');
  if (!s) return false;
  // 2:4 on the int8 2:4 kernel on every ISA: the generic kernel is slower, and few rows leave the dense tiles mostly empty.
  const fast = nm.n === 2 && nm.m === 4 && pairSumsFit(q.b.value!.data);
  if (!fast) emitQEpi(ctx, p.r, q.g.n, true, q.bias, q.g.k * 255 * 128);
  ctx.line(`int8_t *at = (int8_t *)${ctx.scratch(q.g.k * q.g.m)};`);
  ctx.line(`EDGEC_SP_TRANSPOSE(int8_t, ${q.a.ptr}, at, ${q.g.m}, ${q.g.k});`);
  if (fast) {
    emitSparse24q(ctx, p.r, q.g.n, q.g.k, q.at, q.bias, p.a.zeroPoint[0], s, [{ x: 'at', y: q.y.ptr, ldx: q.g.m, p: q.g.m, syo: 1, syp: q.g.n }]);
    return true;
  }
  ctx.line(`edgec_spmm_s8(${q.g.n}, ${q.g.k}, ${q.g.m}, ${s.geo}, ${s.vals}, ${s.idx}, ${p.a.zeroPoint[0]}, at, ${q.g.m}, ${q.y.ptr}, 1, ${q.g.n}, &e, ${s.koff});`);
  return true;
}

/** A sparse lowering: emits the node and returns true, or returns false to hand it to the dense lowering (which it may also call itself). */
type SparseLowering = (ctx: CLowerCtx, dense: CLowering) => boolean;

/** Sparse lowerings by op, float and integer. */
export const SPARSE_LOWERINGS: { float: Record<string, SparseLowering>; int: Record<string, SparseLowering> } = {
  float: { Conv: sparseConv, Gemm: sparseGemm },
  int: { Conv: sparseQConv, Gemm: sparseQGemm },
};

/** Wrap a lowering table so the ops with a sparse form try it first. */
export function withSparse(table: Record<string, CLowering>, sparse: Record<string, SparseLowering>): Record<string, CLowering> {
  const out = { ...table };
  for (const [op, lower] of Object.entries(sparse)) {
    const dense = table[op];
    if (dense) out[op] = (ctx) => { if (!lower(ctx, dense)) dense(ctx); };
  }
  return out;
}
