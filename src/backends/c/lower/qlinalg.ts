/** C lowerings of integer (int8) Gemm and MatMul onto runtime-c/kernels/qgemm.h, plus the compile-time int16 panel
 * packing and requantization tables the integer Conv lowerings share. */
import type { QuantParams } from '../../../ir/types.js';
import { gemmGeometry, matmulGeometry } from '../../../ops/linalg.js';
import { qgemmParams, qmatmulParams } from '../../../ops/linalg-int.js';
import type { QRequant } from '../../../quant/qlinear.js';
import { broadcastStrides, nodeError } from '../../../ops/util.js';
import type { CLowerCtx, CLowering, CTensor } from '../lowering.js';
import { lowerQGemmDot, lowerQMatMulDot } from './qdot-linalg.js';

/** Rows of the int8 GEMM micro-kernel tile (EDGEC_QGEMM_MR in qgemm.h). */
export const QGEMM_MR = 6;
/** Columns of the int8 GEMM micro-kernel tile (EDGEC_QGEMM_NR in qgemm.h). */
export const QGEMM_NR = 16;

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** Int16 elements of packed A for m x k (EDGEC_QPACK_A: whole 64-byte lines). */
export function qpackAElems(m: number, k: number): number {
  return roundUp(roundUp(m, QGEMM_MR) * Math.ceil(k / 2) * 2, 32);
}

/** Int16 elements of packed B for k x n (EDGEC_QPACK_B: whole 64-byte lines). */
export function qpackBElems(k: number, n: number): number {
  return roundUp(roundUp(n, QGEMM_NR) * Math.ceil(k / 2) * 2, 32);
}

/** Pack an m x k integer matrix (element (i, p) = get(i, p), already minus its zero point) into int16 A panels. */
export function packQA(m: number, k: number, get: (i: number, p: number) => number, out = new Int16Array(qpackAElems(m, k)), at = 0): Int16Array {
  const k2 = Math.ceil(k / 2);
  for (let i = 0; i < m; i++) {
    const base = at + Math.floor(i / QGEMM_MR) * k2 * QGEMM_MR * 2 + (i % QGEMM_MR) * 2;
    for (let p = 0; p < k; p++) out[base + (p >> 1) * QGEMM_MR * 2 + (p & 1)] = get(i, p);
  }
  return out;
}

/** Pack a k x n integer matrix (element (p, j) = get(p, j), already minus its zero point) into int16 B panels. */
export function packQB(k: number, n: number, get: (p: number, j: number) => number, out = new Int16Array(qpackBElems(k, n)), at = 0): Int16Array {
  const k2 = Math.ceil(k / 2);
  for (let j = 0; j < n; j++) {
    const base = at + Math.floor(j / QGEMM_NR) * k2 * QGEMM_NR * 2 + (j % QGEMM_NR) * 2;
    for (let p = 0; p < k; p++) out[base + (p >> 1) * QGEMM_NR * 2 + (p & 1)] = get(p, j);
  }
  return out;
}

/** Zero point of flat element index `c` along a quantized axis (per tensor or per channel). */
export function zeroPointAt(q: QuantParams, c: number): number {
  return q.zeroPoint.length === 1 ? q.zeroPoint[0] : q.zeroPoint[c];
}

/**
 * Emit the `edgec_qepi e` epilogue (or `opts.name`) of `channels` rows or columns, row i being output channel
 * opts.chan(i) (default i; channel c uses multiplier c mod count), with an optional constant int32 bias per channel;
 * arrays get one tile of slack past the end for whole-vector reads. `accBound` bounds
 * |accumulator| before the bias: when every rounding shift is >= 1 and no shifted value can reach 2^30, the kernels may
 * round with one add (the `round` table) instead of the remainder compare.
 */
export function emitQEpi(ctx: CLowerCtx, r: QRequant, channels: number, perCol: boolean, bias: ArrayLike<number> | undefined, accBound: number,
  opts: { name?: string; chan?: (i: number) => number } = {}): void {
  const len = channels + QGEMM_NR;
  const ch = opts.chan ?? ((i: number) => i);
  const m = (c: number) => r.mults[c % r.mults.length];
  const rsh = (c: number) => Math.max(0, -m(c).shift);
  const lshOf = (c: number) => Math.max(0, m(c).shift);
  // Flash holds bias (int32), multiplier (int32) and signed shift (int8) per row, or one multiplier/shift when they
  // agree; the padded tables the vector code reads (bias, mult, lsh, rsh, mask, round) are expanded into scratch.
  const uniform = Array.from({ length: channels }, (_, i) => m(ch(i))).every((q, _, all) => q.multiplier === all[0].multiplier && q.shift === all[0].shift);
  const nq = uniform ? 1 : channels;
  const mult = ctx.constArray('qmult', { dtype: 'int32', shape: [nq], data: Int32Array.from({ length: nq }, (_, i) => m(ch(i)).multiplier) });
  const shift = ctx.constArray('qshift', { dtype: 'int8', shape: [nq], data: Int8Array.from({ length: nq }, (_, i) => m(ch(i)).shift) });
  const b = bias ? ctx.constArray('qbias', narrowBias(Int32Array.from({ length: channels }, (_, i) => bias[ch(i)]))) : undefined;
  const hasLsh = r.mults.some((q) => q.shift > 0);
  const fast = Array.from({ length: channels }, (_, i) => ch(i)).every((c) => rsh(c) >= 1 && (accBound + Math.abs(bias ? bias[c] : 0)) * 2 ** lshOf(c) + 1 < 2 ** 30);
  const v = opts.name ?? 'e';
  ctx.line(`int32_t *${v}_t = (int32_t *)${ctx.scratch(24 * len)};`);
  const q = nq === 1 ? '0' : 'i';
  // Real channels first (the tables the kernels read only: lsh with left shifts, round or mask), then zeroed slack, so
  // both loops vectorize; the mask is formed in 32 bits where every right shift is below 32.
  const wide = Array.from({ length: channels }, (_, i) => rsh(ch(i))).some((s) => s >= 32);
  const maskOf = wide ? '(int32_t)(((int64_t)1 << rs) - 1)' : '(int32_t)(((uint32_t)1 << rs) - 1u)';
  const tables = [
    `${v}_t[i] = ${b ? `${b}[i]` : '0'};`, `${v}_t[${len} + i] = ${mult}[${q}];`,
    hasLsh ? `${v}_t[${2 * len} + i] = s > 0 ? s : 0;` : '', `${v}_t[${3 * len} + i] = rs;`,
    fast ? `${v}_t[${5 * len} + i] = rs ? (int32_t)1 << (rs - 1) : 0;` : `${v}_t[${4 * len} + i] = ${maskOf};`,
  ].filter((l) => l);
  ctx.line(`for (int i = 0; i < ${channels}; i++) {`);
  ctx.line(`  const int s = ${shift}[${q}], rs = s < 0 ? -s : 0;`);
  ctx.line(`  ${tables.join(' ')}`);
  ctx.line('}');
  ctx.line(`for (int i = ${channels}; i < ${len}; i++) {`);
  ctx.line(`  ${[0, 1, 2, 3, 4, 5].map((k) => `${v}_t[${k * len} + i] = 0;`).join(' ')}`);
  ctx.line('}');
  const at = (k: number) => `${v}_t + ${k * len}`;
  const fields = [b ? at(0) : 'NULL', at(1), hasLsh ? at(2) : 'NULL', at(3), at(4), fast ? at(5) : 'NULL'];
  ctx.line(`const edgec_qepi ${v} = {${fields.join(', ')}, ${perCol ? 1 : 0}, ${r.zy}, ${r.lo}, ${r.hi}};`);
}

/** A constant int32 bias array as the artifact stores it: int16 when every value fits (widened where it is read). */
export function narrowBias(data: Int32Array): { dtype: 'int16' | 'int32'; shape: number[]; data: Int16Array | Int32Array } {
  const fits = data.every((v) => v >= -32768 && v <= 32767);
  return { dtype: fits ? 'int16' : 'int32', shape: [data.length], data: fits ? Int16Array.from(data) : data };
}

/** Largest |x - z_x| of an int8 activation. */
export const MAX_DX = 255;

/** Largest |value - zero point| of constant int8 data along a channel view (for accumulator bounds). */
export function maxCentered(data: ArrayLike<number>, zp: (i: number) => number): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i] - zp(i)));
  return m;
}

/** Rows per block of A in the int8 GEMM (MC of edgec_qgemm): MC x K2 pairs within a quarter of L2 (a multiple of MR). */
export function qgemmMC(ctx: CLowerCtx, k: number, m: number): number {
  const mc = Math.floor(ctx.target.l2Bytes / 4 / (Math.ceil(k / 2) * 4) / QGEMM_MR) * QGEMM_MR;
  return Math.max(QGEMM_MR, Math.min(mc, roundUp(m, QGEMM_MR)));
}

/** Bytes of packed B a blocked int8 product may hold at once (a quarter of L2, at least 128 KiB). */
export function qblockBytes(ctx: CLowerCtx): number {
  return Math.max(128 * 1024, ctx.target.l2Bytes / 4);
}

/** A constant int32 bias of an integer node (the kernels read it with vector slack), or an error. */
export function constBias(ctx: CLowerCtx, t: CTensor | undefined, what: string): ArrayLike<number> | undefined {
  if (!t) return undefined;
  if (!t.value) nodeError(ctx.node, `${what} must be a constant for the integer ${ctx.node.op}`);
  return t.value.data;
}

/** The one weight zero point the int8-stored kernels subtract while widening (per-channel zero points must agree). */
export function weightZero(ctx: CLowerCtx, q: QuantParams | undefined): number {
  const z = q?.zeroPoint ?? Int32Array.of(0);
  if (z.some((v) => v !== z[0])) nodeError(ctx.node, 'per-channel weight zero points differ; quantize the weights symmetrically (zero point 0) or per tensor');
  return z[0];
}

/** Packed panels of (w - zw) back to the raw int8 weights the artifact stores (padding becomes zw). */
export function narrowWeights(ctx: CLowerCtx, packed: Int16Array, zw: number): Int8Array {
  const out = new Int8Array(packed.length);
  for (let i = 0; i < packed.length; i++) {
    const v = packed[i] + zw;
    if (v < -128 || v > 127) nodeError(ctx.node, 'weights are not int8; requantize them to int8');
    out[i] = v;
  }
  return out;
}

/** Largest |value - zero point| of an operand: from its data when constant, else any int8 value. */
function operandBound(t: CTensor, z: number, zAt: (i: number) => number): number {
  return t.value ? maxCentered(t.value.data, zAt) : Math.max(127 - z, z + 128);
}

/** Run-time B must have one zero point (per-channel scales are fine): the packing subtracts a single value. */
function checkRuntimeB(ctx: CLowerCtx, b: CTensor, q: QuantParams): void {
  if (!b.value && q.zeroPoint.some((z) => z !== q.zeroPoint[0])) nodeError(ctx.node, 'input B is not constant, so it needs a single zero point');
}

/** The tensor with its quantization, as the shared checks take it. */
export function qop(t: CTensor | undefined) {
  return t && { ...t.info, quant: t.quant };
}

/** Emit the products of one integer Gemm/MatMul node: for each batch entry, pack the run-time operands and call edgec_qgemm. */
function emitProducts(ctx: CLowerCtx, m: number, k: number, n: number, offs: { a: number[]; b: number[]; y: number[] },
  a: CTensor, b: CTensor, packA: (off: number) => Int16Array, packB: (off: number) => Int16Array,
  runA: (o: string, dst: string) => string, runB: (o: string, dst: string) => string, y: CTensor, acc32 = false): void {
  const aElems = qpackAElems(m, k);
  const bElems = qpackBElems(k, n);
  const k2 = Math.ceil(k / 2);
  const operand = (t: CTensor, list: number[], elems: number, pack: (off: number) => Int16Array, stem: string) => {
    if (!t.value) return { list, sym: undefined, zw: 0 };
    const zw = weightZero(ctx, t.quant);
    const distinct = [...new Set(list)];
    const packed = new Int16Array(elems * distinct.length);
    distinct.forEach((off, i) => packed.set(pack(off), i * elems));
    // Stored as int8 (the weights' own bytes); the GEMM widens a block at a time.
    return { list: list.map((o) => distinct.indexOf(o) * elems), sym: ctx.constArray(stem, { dtype: 'int8', shape: [packed.length], data: narrowWeights(ctx, packed, zw) }), zw };
  };
  const A = operand(a, offs.a, aElems, packA, 'qmat_a');
  const B = operand(b, offs.b, bElems, packB, 'qmat_b');
  const mc = qgemmMC(ctx, k, m);
  // Scratch: run-time packed operands, then the widening buffer of the constant one.
  const wide = A.sym ? roundUp(mc, QGEMM_MR) * 2 * k2 : B.sym ? 2 * 256 * k2 : 0;
  const scratchElems = (A.sym ? 0 : aElems) + (B.sym ? 0 : bElems) + wide;
  if (scratchElems) ctx.line(`int16_t *s = (int16_t *)${ctx.scratch(scratchElems * 2)};`);
  const sa = 's';
  const sb = A.sym ? 's' : `s + ${aElems}`;
  const sw = `s + ${(A.sym ? 0 : aElems) + (B.sym ? 0 : bElems)}`;
  const body = (ao: string, bo: string, yo: string) => {
    const stmts: string[] = [];
    if (!A.sym) stmts.push(runA(ao, sa));
    if (!B.sym) stmts.push(runB(bo, sb));
    const ap = A.sym ? `${A.sym} + ${ao}` : sa;
    const bp = B.sym ? `${B.sym} + ${bo}` : sb;
    const fn = A.sym ? 'edgec_qgemm_w8' : B.sym ? 'edgec_qgemm_b8' : 'edgec_qgemm';
    stmts.push(`${fn}(${m}, ${n}, ${k2}, ${ap}, ${2 * QGEMM_MR * k2}, ${bp}, ${2 * QGEMM_NR * k2}, ${acc32 ? `NULL, ${y.ptr} + ${yo}` : `${y.ptr} + ${yo}, NULL`}, ${n}, ${acc32 ? 'NULL' : '&e'}, 0, 0, ${mc}${wide ? `, ${sw}, ${A.sym ? A.zw : B.zw}` : ''});`);
    return stmts.join(' ');
  };
  const nb = offs.y.length;
  if (nb === 1) {
    ctx.line(body(String(A.list[0]), String(B.list[0]), '0'));
    return;
  }
  const lists = [A.list, B.list, offs.y];
  lists.forEach((l, t) => ctx.line(`static const ptrdiff_t off${t}[${nb}] = {${l.join(', ')}};`));
  ctx.line(`for (int bi = 0; bi < ${nb}; bi++) { ${body('off0[bi]', 'off1[bi]', 'off2[bi]')} }`);
}

function lowerQMatMul(ctx: CLowerCtx): void {
  if (lowerQMatMulDot(ctx)) return;
  const a = ctx.input(0);
  const b = ctx.input(1);
  if (!a || !b) nodeError(ctx.node, 'inputs A and B are required');
  const y = ctx.output(0);
  const p = qmatmulParams(ctx.node, [qop(a), qop(b)], qop(y));
  checkRuntimeB(ctx, b, p.b);
  const g = matmulGeometry(ctx.node, a.info.shape, b.info.shape);
  let { m } = g;
  const { k, n } = g;
  ctx.useKernel('qgemm.h');
  const za = p.a.zeroPoint[0];
  const zb = (j: number) => zeroPointAt(p.b, j);
  // A classifier head keeps its int32 accumulators (no epilogue); otherwise requantize to int8.
  if (p.r) emitQEpi(ctx, p.r, n, true, undefined, k * operandBound(a, za, () => za) * operandBound(b, zb(0), (i) => zb(i % n)));
  let offs = { a: g.aOffsets, b: g.bOffsets, y: g.aOffsets.map((_, i) => i * m * n) };
  // Weights on the right shared by every batch entry, contiguous activations: one product with the batches as rows.
  if (!a.value && offs.b.every((o) => o === offs.b[0]) && offs.a.every((o, i) => o === i * m * k)) {
    m *= offs.a.length;
    offs = { a: [0], b: [offs.b[0]], y: [0] };
  }
  const mm = m;
  emitProducts(ctx, mm, k, n, offs, a, b,
    (off) => packQA(mm, k, (i, q) => a.value!.data[off + i * k + q] - za),
    (off) => packQB(k, n, (q, j) => b.value!.data[off + q * n + j] - zb(j)),
    (o, d) => `edgec_qpack_a(${mm}, ${k}, ${a.ptr} + ${o}, ${k}, 1, ${za}, ${d});`,
    (o, d) => `edgec_qpack_b(${k}, ${n}, ${b.ptr} + ${o}, ${n}, 1, ${zb(0)}, ${d});`, y, !p.r);
}

function lowerQGemm(ctx: CLowerCtx): void {
  if (lowerQGemmDot(ctx)) return;
  const a = ctx.input(0);
  const b = ctx.input(1);
  if (!a || !b) nodeError(ctx.node, 'inputs A and B are required');
  const c = ctx.input(2);
  const y = ctx.output(0);
  const p = qgemmParams(ctx.node, [qop(a), qop(b), qop(c)], qop(y));
  checkRuntimeB(ctx, b, p.b);
  const g = gemmGeometry(ctx.node, a.info, b.info, c?.info);
  const { m, k, n } = g;
  const [rsa, csa] = g.transA ? [1, m] : [k, 1];
  const [rsb, csb] = g.transB ? [1, k] : [n, 1];
  let bias: number[] | undefined;
  if (c) {
    const cv = constBias(ctx, c, 'input C')!;
    const [rs, cs] = broadcastStrides(c.info.shape, [m, n]);
    if (rs !== 0 && m > 1) nodeError(ctx.node, `input C [${c.info.shape}] must broadcast along rows (shape [N], [1, N] or a scalar) for the integer Gemm`);
    bias = Array.from({ length: n }, (_, j) => cv[j * cs]);
  }
  ctx.useKernel('qgemm.h');
  const za = p.a.zeroPoint[0];
  const zb = (j: number) => zeroPointAt(p.b, j);
  const bcol = (i: number) => (g.transB ? Math.floor(i / k) : i % n);
  if (p.r) emitQEpi(ctx, p.r, n, true, bias, k * operandBound(a, za, () => za) * operandBound(b, zb(0), (i) => zb(bcol(i))));
  emitProducts(ctx, m, k, n, { a: [0], b: [0], y: [0] }, a, b,
    () => packQA(m, k, (i, q) => a.value!.data[i * rsa + q * csa] - za),
    () => packQB(k, n, (q, j) => b.value!.data[q * rsb + j * csb] - zb(j)),
    (o, d) => `edgec_qpack_a(${m}, ${k}, ${a.ptr} + ${o}, ${rsa}, ${csa}, ${za}, ${d});`,
    (o, d) => `edgec_qpack_b(${k}, ${n}, ${b.ptr} + ${o}, ${rsb}, ${csb}, ${zb(0)}, ${d});`, y, !p.r);
  if (!p.r && bias) {
    // A classifier head's int32 accumulators: the bias is added after the product (wrapping as the reference does).
    const bsym = ctx.constArray('qbias', narrowBias(Int32Array.from(bias)));
    ctx.line(`for (int i = 0; i < ${m * n}; i++) ${y.ptr}[i] = (int32_t)((uint32_t)${y.ptr}[i] + (uint32_t)${bsym}[i % ${n}]);`);
  }
}

/** Integer Gemm and MatMul → C lowering (merged into C_INT_LOWERINGS). */
export const qlinalgLowerings: Record<string, CLowering> = {
  Gemm: lowerQGemm,
  MatMul: lowerQMatMul,
};
