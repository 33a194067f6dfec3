/** C lowerings of Gemm and MatMul onto runtime-c/kernels/gemm.h, plus the compile-time panel packing Conv shares. */
import type { Node, Value } from '../../../ir/types.js';
import { DTYPES } from '../../../ir/dtype.js';
import { fusedActivation } from '../../../ops/activation.js';
import { gemmGeometry, matmulGeometry } from '../../../ops/linalg.js';
import { broadcastStrides, nodeError } from '../../../ops/util.js';
import { C_ACTIVATION_IDS, cFloat, type CLowerCtx, type CLowering, type CTensor } from '../lowering.js';

/** Rows of the SGEMM micro-kernel tile (EDGEC_GEMM_MR in gemm.h). */
export const GEMM_MR = 6;
/** Columns of the SGEMM micro-kernel tile (EDGEC_GEMM_NR in gemm.h). */
export const GEMM_NR = 16;

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** Pack an M x K matrix (element (i, p) = get(i, p)) into A panels [ceil(M/MR)][K][MR], scaled, zero-padded. */
export function packA(m: number, k: number, get: (i: number, p: number) => number, scale = 1): Float32Array {
  const out = new Float32Array(roundUp(m, GEMM_MR) * k);
  for (let i = 0; i < m; i++) {
    const base = Math.floor(i / GEMM_MR) * k * GEMM_MR + (i % GEMM_MR);
    for (let p = 0; p < k; p++) out[base + p * GEMM_MR] = scale * get(i, p);
  }
  return out;
}

/** Pack a K x N matrix (element (p, j) = get(p, j)) into B panels [ceil(N/NR)][K][NR], zero-padded. */
export function packB(k: number, n: number, get: (p: number, j: number) => number): Float32Array {
  const out = new Float32Array(roundUp(n, GEMM_NR) * k);
  for (let j = 0; j < n; j++) {
    const base = Math.floor(j / GEMM_NR) * k * GEMM_NR + (j % GEMM_NR);
    for (let p = 0; p < k; p++) out[base + p * GEMM_NR] = get(p, j);
  }
  return out;
}

/** Floats of one group's packed A panels. */
export function packedAFloats(m: number, k: number): number {
  return roundUp(m, GEMM_MR) * k;
}

/** Cache blocking of the SGEMM driver: MC rows (multiple of MR), KC depth, NC columns (multiple of NR). */
export interface GemmBlocking {
  mc: number;
  kc: number;
  nc: number;
}

/** Block sizes from the target's caches: a KC x NR B panel in half of L1, an MC x KC A block in half of L2. */
export function gemmBlocking(target: CLowerCtx['target']): GemmBlocking {
  const kc = Math.max(64, Math.min(512, Math.floor(target.l1Bytes / 2 / (GEMM_NR * 4))));
  const mc = Math.max(GEMM_MR, Math.floor(target.l2Bytes / 2 / (kc * 4) / GEMM_MR) * GEMM_MR);
  const nc = Math.max(GEMM_NR, Math.min(1024, Math.floor(target.l2Bytes / 4 / (kc * 4) / GEMM_NR) * GEMM_NR));
  return { mc, kc, nc };
}

/** Floats of scratch edgec_sgemm needs (EDGEC_SGEMM_SCRATCH in gemm.h, with the B block clipped to N and K). */
export function sgemmScratchFloats(m: number, n: number, k: number, aPacked: boolean, bPacked: boolean, blk: GemmBlocking): number {
  return (aPacked ? 0 : roundUp(roundUp(m, GEMM_MR) * k, 16)) + (bPacked ? 0 : Math.min(blk.kc, k) * roundUp(Math.min(blk.nc, n), GEMM_NR));
}

/** Whether the SGEMM should read run-time B (unit column stride) in place instead of packing it: only for a
 * product this short (M <= 2 MR), where packing costs more than the strided panel reads (measured on AVX2). */
export function bDirect(m: number): number {
  return m <= 2 * GEMM_MR ? 1 : 0;
}

/** C arguments `act, alpha, beta` of a node's fused activation. */
export function actArgs(node: Node): string {
  const a = fusedActivation(node);
  if (!a) return 'EDGEC_ACT_NONE, 0.0f, 0.0f';
  return `${C_ACTIVATION_IDS[a.op]}, ${cFloat(a.alpha)}, ${cFloat(a.beta)}`;
}

/** Allocate one scratch region of `floats` floats and bind it to the C name `s` (nothing when zero). */
export function bindScratch(ctx: CLowerCtx, floats: number): string {
  if (floats <= 0) return 'NULL';
  ctx.line(`float *s = (float *)${ctx.scratch(floats * 4)};`);
  return 's';
}

/** Emit `body(i)` for each batch entry: one statement, a strided loop, or a loop over offset tables. */
function forBatches(ctx: CLowerCtx, offsets: number[][], body: (o: string[]) => string): void {
  const nb = offsets[0].length;
  if (nb === 1) {
    ctx.line(body(offsets.map((o) => String(o[0]))));
    return;
  }
  const arithmetic = offsets.every((o) => o.every((v, i) => v === i * (o[1] - o[0])));
  if (arithmetic) {
    ctx.line(`for (int bi = 0; bi < ${nb}; bi++)`);
    ctx.line(`  ${body(offsets.map((o) => `(ptrdiff_t)bi * ${o[1] - o[0]}`))}`);
    return;
  }
  offsets.forEach((o, t) => ctx.line(`static const ptrdiff_t off${t}[${nb}] = {${o.join(', ')}};`));
  ctx.line(`for (int bi = 0; bi < ${nb}; bi++)`);
  ctx.line(`  ${body(offsets.map((_, t) => `off${t}[bi]`))}`);
}

function requireIO(ctx: CLowerCtx): { a: CTensor; b: CTensor; y: CTensor } {
  const a = ctx.input(0);
  const b = ctx.input(1);
  if (!a || !b) nodeError(ctx.node, 'inputs A and B are required');
  return { a, b, y: ctx.output(0) };
}

/** Plain triple loop for non-float32 element types (double or wrapping 64-bit integer accumulation). */
function naiveProduct(ctx: CLowerCtx, a: CTensor, m: number, k: number, n: number, aIdx: string, bIdx: string,
  batches: number[][], b: CTensor, y: CTensor, epilogue: (s: string) => string): void {
  if (fusedActivation(ctx.node)) nodeError(ctx.node, `a fused activation needs float32; this node is ${a.info.dtype}`);
  const dt = a.info.dtype;
  const isFloat = DTYPES[dt].isFloat;
  const acc = isFloat ? 'double' : 'uint64_t';
  const cast = isFloat ? '(double)' : '(uint64_t)(int64_t)';
  const t = DTYPES[dt].cType;
  forBatches(ctx, batches, ([ao, bo, yo]) =>
    `for (int i = 0; i < ${m}; i++) for (int j = 0; j < ${n}; j++) { ${acc} s = 0; ` +
    `for (int p = 0; p < ${k}; p++) s += ${cast}${a.ptr}[${ao} + ${aIdx}] * ${cast}${b.ptr}[${bo} + ${bIdx}]; ` +
    `${y.ptr}[${yo} + i * ${n} + j] = (${t})${epilogue(isFloat ? 's' : '(int64_t)s')}; }`);
}

function lowerMatMul(ctx: CLowerCtx): void {
  const { a, b, y } = requireIO(ctx);
  const g = matmulGeometry(ctx.node, a.info.shape, b.info.shape);
  const { m, k, n } = g;
  const yOffsets = g.aOffsets.map((_, i) => i * m * n);
  if (a.info.dtype !== 'float32') {
    naiveProduct(ctx, a, m, k, n, `i * ${k} + p`, `p * ${n} + j`, [g.aOffsets, g.bOffsets, yOffsets], b, y, (s) => s);
    return;
  }
  ctx.useKernel('gemm.h');
  const blk = gemmBlocking(ctx.target);
  const tail = (sc: string) => `${actArgs(ctx.node)}, ${sc}, ${blk.mc}, ${blk.kc}, ${blk.nc});`;
  const sameB = g.bOffsets.every((o) => o === g.bOffsets[0]);
  const contiguousA = g.aOffsets.every((o, i) => o === i * m * k);
  if (b.value && !a.value) {
    // Weights on the right: pack each distinct B at compile time; fold batches into M when B is shared.
    const distinct = [...new Set(g.bOffsets)];
    const panels = packedBFloats(k, n);
    const packed = new Float32Array(panels * distinct.length);
    distinct.forEach((off, t) => packed.set(packB(k, n, (p, j) => b.value!.data[off + p * n + j]), t * panels));
    const bp = ctx.constArray('matmul_b', { dtype: 'float32', shape: [packed.length], data: packed });
    if (sameB && contiguousA) {
      const mm = m * g.aOffsets.length;
      const sc = bindScratch(ctx, sgemmScratchFloats(mm, n, k, false, true, blk));
      ctx.line(`edgec_sgemm(${mm}, ${n}, ${k}, NULL, ${a.ptr}, ${k}, 1, 1.0f, ${bp}, NULL, 0, 0, 0, ${y.ptr}, ${n}, 0, NULL, NULL, ${tail(sc)}`);
      return;
    }
    const sc = bindScratch(ctx, sgemmScratchFloats(m, n, k, false, true, blk));
    const bIdx = g.bOffsets.map((o) => distinct.indexOf(o) * panels);
    forBatches(ctx, [g.aOffsets, bIdx, yOffsets], ([ao, bo, yo]) =>
      `edgec_sgemm(${m}, ${n}, ${k}, NULL, ${a.ptr} + ${ao}, ${k}, 1, 1.0f, ${bp} + ${bo}, NULL, 0, 0, 0, ${y.ptr} + ${yo}, ${n}, 0, NULL, NULL, ${tail(sc)}`);
    return;
  }
  if (a.value) {
    // Constant on the left: pack each distinct A at compile time.
    const distinct = [...new Set(g.aOffsets)];
    const panels = packedAFloats(m, k);
    const packed = new Float32Array(panels * distinct.length);
    distinct.forEach((off, t) => packed.set(packA(m, k, (i, p) => a.value!.data[off + i * k + p]), t * panels));
    const ap = ctx.constArray('matmul_a', { dtype: 'float32', shape: [packed.length], data: packed });
    const sc = bindScratch(ctx, sgemmScratchFloats(m, n, k, true, false, blk));
    const aIdx = g.aOffsets.map((o) => distinct.indexOf(o) * panels);
    forBatches(ctx, [aIdx, g.bOffsets, yOffsets], ([ao, bo, yo]) =>
      `edgec_sgemm(${m}, ${n}, ${k}, ${ap} + ${ao}, NULL, 0, 0, 1.0f, NULL, ${b.ptr} + ${bo}, ${n}, 1, ${bDirect(m)}, ${y.ptr} + ${yo}, ${n}, 0, NULL, NULL, ${tail(sc)}`);
    return;
  }
  const sc = bindScratch(ctx, sgemmScratchFloats(m, n, k, false, false, blk));
  forBatches(ctx, [g.aOffsets, g.bOffsets, yOffsets], ([ao, bo, yo]) =>
    `edgec_sgemm(${m}, ${n}, ${k}, NULL, ${a.ptr} + ${ao}, ${k}, 1, 1.0f, NULL, ${b.ptr} + ${bo}, ${n}, 1, ${bDirect(m)}, ${y.ptr} + ${yo}, ${n}, 0, NULL, NULL, ${tail(sc)}`);
}

/** Floats of one packed B matrix. */
function packedBFloats(k: number, n: number): number {
  return roundUp(n, GEMM_NR) * k;
}

/** How Gemm's C term enters the SGEMM: as a row or column bias pointer, or pre-written into Y (accumulate). */
function gemmBias(ctx: CLowerCtx, c: CTensor | undefined, m: number, n: number, beta: number, y: CTensor): { rb: string; cb: string; acc: number } {
  if (!c || beta === 0) return { rb: 'NULL', cb: 'NULL', acc: 0 };
  const [rs, cs] = broadcastStrides(c.info.shape, [m, n]);
  const v = c.value;
  const vec = (len: number, stride: number, stem: string): string => {
    const d = new Float32Array(len);
    for (let i = 0; i < len; i++) d[i] = beta * (v as Value).data[i * stride];
    return ctx.constArray(stem, { dtype: 'float32', shape: [len], data: d });
  };
  if (rs === 0 && (v || (beta === 1 && cs === 1))) return { rb: 'NULL', cb: v ? vec(n, cs, 'gemm_cb') : c.ptr, acc: 0 };
  if (cs === 0 && (v || (beta === 1 && rs === 1))) return { rb: v ? vec(m, rs, 'gemm_rb') : c.ptr, cb: 'NULL', acc: 0 };
  const scale = beta === 1 ? '' : `${cFloat(beta)} * `;
  ctx.line(`for (int i = 0; i < ${m}; i++) for (int j = 0; j < ${n}; j++) ${y.ptr}[i * ${n} + j] = ${scale}${c.ptr}[i * ${rs} + j * ${cs}];`);
  return { rb: 'NULL', cb: 'NULL', acc: 1 };
}

function lowerGemm(ctx: CLowerCtx): void {
  const { a, b, y } = requireIO(ctx);
  const c = ctx.input(2);
  const g = gemmGeometry(ctx.node, a.info, b.info, c?.info);
  const { m, k, n } = g;
  const [rsa, csa] = g.transA ? [1, m] : [k, 1];
  const [rsb, csb] = g.transB ? [1, k] : [n, 1];
  if (a.info.dtype !== 'float32') {
    const [crs, ccs] = c ? broadcastStrides(c.info.shape, [m, n]) : [0, 0];
    const cTerm = c && g.beta !== 0 ? ` + ${g.beta} * (double)${c.ptr}[i * ${crs} + j * ${ccs}]` : '';
    naiveProduct(ctx, a, m, k, n, `i * ${rsa} + p * ${csa}`, `p * ${rsb} + j * ${csb}`, [[0], [0], [0]], b, y,
      (s) => `(${g.alpha} * (double)${s}${cTerm})`);
    return;
  }
  ctx.useKernel('gemm.h');
  const blk = gemmBlocking(ctx.target);
  const av = a.value;
  const bv = b.value;
  const ap = av ? ctx.constArray('gemm_a', { dtype: 'float32', shape: [packedAFloats(m, k)], data: packA(m, k, (i, p) => av.data[i * rsa + p * csa], g.alpha) }) : 'NULL';
  const bp = bv ? ctx.constArray('gemm_b', { dtype: 'float32', shape: [packedBFloats(k, n)], data: packB(k, n, (p, j) => bv.data[p * rsb + j * csb]) }) : 'NULL';
  const { rb, cb, acc } = gemmBias(ctx, c, m, n, g.beta, y);
  const sc = bindScratch(ctx, sgemmScratchFloats(m, n, k, !!av, !!bv, blk));
  const aArgs = av ? `${ap}, NULL, 0, 0, 1.0f` : `NULL, ${a.ptr}, ${rsa}, ${csa}, ${cFloat(g.alpha)}`;
  const bArgs = bv ? `${bp}, NULL, 0, 0, 0` : `NULL, ${b.ptr}, ${rsb}, ${csb}, ${csb === 1 ? bDirect(m) : 0}`;
  ctx.line(`edgec_sgemm(${m}, ${n}, ${k}, ${aArgs}, ${bArgs}, ${y.ptr}, ${n}, ${acc}, ${rb}, ${cb}, ${actArgs(ctx.node)}, ${sc}, ${blk.mc}, ${blk.kc}, ${blk.nc});`);
}

/** Gemm and MatMul → C lowering. */
export const linalgLowerings: Record<string, CLowering> = {
  Gemm: lowerGemm,
  MatMul: lowerMatMul,
};
