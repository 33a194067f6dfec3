/** C lowerings of integer (int8) Conv and ConvTranspose onto runtime-c/kernels/qconv.h, qdwconv.h and qwinograd.h
 * (GEMM, depthwise, Winograd, col2im and direct 3-D kernels); weights repacked at compile time as int16 minus zero point. */
import { convGeometry, convTransposeGeometry, to2d, to3d, type ConvGeometry } from '../../../ops/conv.js';
import { qconvParams, type QConvParams } from '../../../ops/conv-int.js';
import { nodeError } from '../../../ops/util.js';
import { isConv16, lowerConv16 } from './qconv16.js';
import { foldZeroPoint, lowerQConvDot, qdotTile } from './qdot.js';
import { VECTOR_VOCABS } from '../vector-vocab.js';
import { isVqdw, lowerVqdw } from './vqdwconv.js';
import type { CLowerCtx, CLowering, CTensor } from '../lowering.js';
import { constBias, emitQEpi, narrowWeights, weightZero, MAX_DX, maxCentered, packQA, qblockBytes, qgemmMC, qop, qpackAElems, qpackBElems, QGEMM_MR, QGEMM_NR, zeroPointAt } from './qlinalg.js';

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

interface QConvIO {
  x: CTensor;
  w: CTensor;
  y: CTensor;
  g: ConvGeometry;
  p: QConvParams;
  bias?: ArrayLike<number>;
  /** Bound on |accumulator| before the bias. */
  accBound: number;
  /** Weight data minus its zero point, by flat index, for the channel index `c` along the quantized axis. */
  wc: (i: number, c: number) => number;
}

/** Inputs, output and parameters of an integer Conv/ConvTranspose, with the epilogue emitted (its bias holding
 * -zx * sum(w) too when `foldZx`, for kernels that multiply raw activations). */
function qconvIO(ctx: CLowerCtx, transpose: boolean, foldZx = false): QConvIO {
  const x = ctx.input(0);
  const w = ctx.input(1);
  if (!x || !w) nodeError(ctx.node, 'inputs X and W are required');
  const b = ctx.input(2);
  const y = ctx.output(0);
  const p = qconvParams(ctx.node, transpose, [qop(x), qop(w), qop(b)], qop(y));
  if (!w.value) nodeError(ctx.node, `weight W must be a constant for the integer ${ctx.node.op}`);
  const g = (transpose ? convTransposeGeometry : convGeometry)(ctx.node, x.info, w.info);
  const wd = w.value.data;
  ctx.useKernel('qconv.h');
  // Channel of flat weight index i along the quantized axis (Conv: dim 0; ConvTranspose: dim 1).
  const inner = w.info.shape.slice(transpose ? 2 : 1).reduce((a, v) => a * v, 1);
  const chan = (i: number) => Math.floor(i / inner) % w.info.shape[transpose ? 1 : 0];
  const zx = p.x.zeroPoint[0];
  const taps = (g.inC / g.group) * g.kernel.reduce((a, v) => a * v, 1);
  const xBound = Math.max(127 - zx, zx + 128);
  const bias = constBias(ctx, b, 'bias B');
  const accBound = taps * xBound * maxCentered(wd, (i) => zeroPointAt(p.w, chan(i)));
  emitQEpi(ctx, p.r, g.outC, false, foldZx ? foldZeroPoint(wd, g.outC, bias, zx) : bias, accBound);
  return { x, w, y, g, p, bias, accBound, wc: (i, c) => wd[i] - zeroPointAt(p.w, c) };
}

/** The geometry argument list shared by the direct 3-D kernels. */
function direct3dArgs(g: ConvGeometry): number[] {
  return [
    g.batch, g.inC, ...to3d(g.inSpatial, 1), g.outC, ...to3d(g.outSpatial, 1), g.group, ...to3d(g.kernel, 1),
    ...to3d(g.strides, 1), ...to3d(g.dilations, 1), ...to3d(g.padsBegin, 0),
  ];
}

/** The raw int8 taps of a depthwise weight as a constant array (expanded by edgec_qdw*_expand at run time). */
function dwTaps(ctx: CLowerCtx): string {
  const w = ctx.input(1)!;
  return ctx.constArray('qdw_taps', { dtype: 'int8', shape: [w.value!.data.length], data: Int8Array.from(w.value!.data) });
}

/** Bytes of the depthwise kernel's scratch (EDGEC_QDW_SCRATCH in qdwconv.h: the int16-pair plane and two int32 rows). */
function dwScratchBytes(oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number): number {
  const rows = (oh - 1) * sh + Math.floor((kh - 1) / 2) * 2 * dh + 1;
  const phase = roundUp(ow, 32) + Math.floor(((kw - 1) * dw) / sw) + 8;
  return 4 * rows * sw * phase + 8 * roundUp(ow, 32);
}

/**
 * Integer Winograd F(2x2,3x3) is exact and takes half the instructions of im2col on 3x3 stride-1 layers (2x faster on
 * 96->24 channels at 80x80), but its transformed weights are 16 int16 per 9 int8 taps (3.6x the int8 bytes): only the
 * speed profile uses it (the size profile of flash-bound targets keeps the int8 taps).
 */
const int8Winograd = (ctx: CLowerCtx) => (ctx.target.kernelProfile ?? 'speed') === 'speed';

/** Whether an int8 Conv is a Winograd F(2x2, 3x3) shape: one group, 3x3, stride 1, no dilation, 8+ channels each way. */
function winogradShape(g: ConvGeometry): boolean {
  const is = (v: number[], n: number) => v.length === 2 && v[0] === n && v[1] === n;
  return g.group === 1 && is(g.kernel, 3) && is(g.strides, 1) && is(g.dilations, 1) && g.outC >= 8 && g.inC >= 8 && g.outSpatial[0] * g.outSpatial[1] >= 64;
}

/** The Winograd filters of an int8 Conv when its vocabulary prefers Winograd to the dot GEMM (and no intermediate
 * can leave int32), else undefined. */
function vocabWinograd(ctx: CLowerCtx): Int16Array | undefined {
  const isa = ctx.target.simd;
  const x = ctx.input(0);
  const w = ctx.input(1);
  if (!isa || !VECTOR_VOCABS[isa].qwinograd || !int8Winograd(ctx) || !x || !w?.value || !w.quant) return undefined;
  const g = convGeometry(ctx.node, x.info, w.info);
  if (!winogradShape(g)) return undefined;
  const p = qconvParams(ctx.node, false, [qop(x), qop(w), qop(ctx.input(2))], qop(ctx.output(0)));
  const wd = w.value.data;
  return winogradWeights(g.outC, g.inC, (m, c, k) => wd[(m * g.inC + c) * 9 + k] - zeroPointAt(p.w, m));
}

function lowerQConv(ctx: CLowerCtx): void {
  const wino = vocabWinograd(ctx);
  if (wino) {
    const { x, y, g, p } = qconvIO(ctx, false);
    const [H, W] = to2d(g.inSpatial, 1);
    const [OH, OW] = to2d(g.outSpatial, 1);
    const [PT, PL] = to2d(g.padsBegin, 0);
    lowerWinograd(ctx, wino, x.ptr, y.ptr, [g.batch, g.inC, H, W, g.outC, OH, OW], PT, PL, p.x.zeroPoint[0]);
    return;
  }
  const tile = qdotTile(ctx);
  const vdw = !tile && isVqdw(ctx);
  const { x, y, g, p, wc } = qconvIO(ctx, false, tile !== undefined || vdw);
  const zx = p.x.zeroPoint[0];
  if (tile) {
    lowerQConvDot(ctx, g, tile, x.ptr, y.ptr, zx);
    return;
  }
  if (vdw) {
    lowerVqdw(ctx, g, x.ptr, y.ptr, zx);
    return;
  }
  const cg = g.inC / g.group;
  const mg = g.outC / g.group;
  const kvol = g.kernel.reduce((s, v) => s * v, 1);
  const kg = cg * kvol;
  if (g.inSpatial.length === 3) {
    const wsym = ctx.constArray('qconv_w', { dtype: 'int16', shape: [g.outC * kg], data: Int16Array.from({ length: g.outC * kg }, (_, i) => wc(i, Math.floor(i / kg))) });
    ctx.line(`edgec_qconv3d_direct(${x.ptr}, ${wsym}, &e, ${y.ptr}, ${direct3dArgs(g).join(', ')}, ${zx});`);
    return;
  }
  const [H, W] = to2d(g.inSpatial, 1);
  const [OH, OW] = to2d(g.outSpatial, 1);
  const [KH, KW] = to2d(g.kernel, 1);
  const [SH, SW] = to2d(g.strides, 1);
  const [DH, DW] = to2d(g.dilations, 1);
  const [PT, PL] = to2d(g.padsBegin, 0);
  const geo = [g.batch, g.inC, H, W, g.outC, OH, OW];
  const win = [KH, KW, SH, SW, DH, DW, PT, PL];
  if (cg === 1) {
    ctx.useKernel('qdwconv.h');
    if ((SH === 1 || SH === 2) && DH === 1) {
      // Row-pair planes expanded at run time from the int8 taps (the artifact stores 1 byte per tap).
      const J = Math.floor((KH + 2) / 2);
      const per = 4 * J * KW;
      const wsym = dwTaps(ctx);
      const wexp = `(int16_t *)${ctx.scratch(g.outC * per * 2)}`;
      ctx.line(`edgec_qdw1_expand(${wsym}, ${g.outC}, ${KH}, ${KW}, ${weightZero(ctx, p.w)}, ${wexp});`);
      const rows = SH === 1 ? Math.floor((OH - 1) / 2) + J : OH - 1 + J;
      const s = ctx.scratch(4 * rows * SW * (roundUp(OW, 32) + Math.floor(((KW - 1) * DW) / SW) + 8) + 8 * roundUp(OW, 32));
      ctx.line(`edgec_qconv2d_dw1(${x.ptr}, ${wexp}, &e, ${y.ptr}, ${geo.join(', ')}, ${KH}, ${KW}, ${SH}, ${SW}, ${DW}, ${PT}, ${PL}, ${zx}, ${s});`);
      return;
    }
    // Depthwise: per output channel [ceil(KH/2)][KW] pairs of vertically adjacent taps, expanded at run time.
    const kh2 = Math.ceil(KH / 2);
    const wexp = `(int16_t *)${ctx.scratch(g.outC * kh2 * KW * 2 * 2)}`;
    ctx.line(`edgec_qdw_expand(${dwTaps(ctx)}, ${g.outC}, ${KH}, ${KW}, ${weightZero(ctx, p.w)}, ${wexp});`);
    const s = ctx.scratch(dwScratchBytes(OH, OW, KH, KW, SH, SW, DH, DW));
    ctx.line(`edgec_qconv2d_dw(${x.ptr}, ${wexp}, &e, ${y.ptr}, ${geo.join(', ')}, ${win.join(', ')}, ${zx}, ${s});`);
    return;
  }
  if (int8Winograd(ctx) && winogradShape(g)) {
    const u = winogradWeights(g.outC, g.inC, (m, c, k) => wc((m * g.inC + c) * 9 + k, m));
    if (u) {
      lowerWinograd(ctx, u, x.ptr, y.ptr, geo, PT, PL, zx);
      return;
    }
  }
  const per = qpackAElems(mg, kg);
  const packed = new Int16Array(per * g.group);
  for (let gi = 0; gi < g.group; gi++) packQA(mg, kg, (i, q) => wc((gi * mg + i) * kg + q, gi * mg + i), packed, gi * per);
  const wsym = ctx.constArray('qconv_w', { dtype: 'int8', shape: [packed.length], data: narrowWeights(ctx, packed, weightZero(ctx, p.w)) });
  const pointwise = KH === 1 && KW === 1 && SH === 1 && SW === 1 && PT === 0 && PL === 0 && OH === H && OW === W;
  // Block: the packed int16 columns (2 bytes per value) within the budget; pixels (pointwise) or output rows.
  const budget = qblockBytes(ctx);
  let blk: number;
  let bytes: number;
  if (pointwise) {
    blk = Math.min(roundUp(H * W, QGEMM_NR), Math.max(QGEMM_NR, Math.floor(budget / (2 * kg) / QGEMM_NR) * QGEMM_NR));
    bytes = qpackBElems(kg, blk) * 2;
  } else {
    blk = Math.max(1, Math.min(OH, Math.floor(budget / (2 * kg * OW))));
    bytes = kg * roundUp(blk * OW, 64) + qpackBElems(kg, blk * OW) * 2;
  }
  const s = ctx.scratch(bytes);
  const mc = qgemmMC(ctx, kg, mg);
  const aw = ctx.scratch(roundUp(mc, QGEMM_MR) * 2 * Math.ceil(kg / 2) * 2);
  ctx.line(`edgec_qconv2d(${x.ptr}, ${wsym}, &e, ${y.ptr}, ${geo.join(', ')}, ${g.group}, ${win.join(', ')}, ${zx}, ${s}, ${blk}, ${mc}, (int16_t *)${aw}, ${weightZero(ctx, p.w)});`);
}

/**
 * Winograd F(2x2, 3x3) filters U = G' g G'^T with G' = 2G (integers, 4x the float transform) as 16 packed A operands
 * (U[e][m][c]), or undefined when an intermediate of the integer algorithm could leave int32 for some input.
 */
function winogradWeights(m: number, c: number, w: (m: number, c: number, k: number) => number): Int16Array | undefined {
  const G = [[2, 0, 0], [1, 1, 1], [1, -1, 1], [0, 0, 2]];
  const u = new Int32Array(m * c * 16);
  for (let mi = 0; mi < m; mi++) {
    let bound = 0;
    for (let ci = 0; ci < c; ci++)
      for (let a = 0; a < 4; a++)
        for (let b = 0; b < 4; b++) {
          let acc = 0;
          for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) acc += G[a][i] * w(mi, ci, i * 3 + j) * G[b][j];
          u[(mi * c + ci) * 16 + a * 4 + b] = acc;
          bound += Math.abs(acc);
        }
    // Every GEMM partial sum and output-transform intermediate is a +-1 combination of products U_e V_e, |V| <= 4 * 255.
    if (bound * 4 * MAX_DX >= 2 ** 31) return undefined;
  }
  const per = qpackAElems(m, c);
  const out = new Int16Array(per * 16);
  for (let e = 0; e < 16; e++) packQA(m, c, (i, p) => u[(i * c + p) * 16 + e], out, e * per);
  return out;
}

/** Emit the int8 Winograd conv (qwinograd.h) with its tile-row and output-channel blocking. */
function lowerWinograd(ctx: CLowerCtx, u: Int16Array, xp: string, yp: string, geo: number[], pt: number, pl: number, zx: number): void {
  const [, C, , , M, OH, OW] = geo;
  ctx.useKernel('qwinograd.h');
  const up = ctx.constArray('qwino_u', { dtype: 'int16', shape: [u.length], data: u });
  const twp = roundUp(Math.ceil(OW / 2), 8);
  const th = Math.ceil(OH / 2);
  const budget = qblockBytes(ctx);
  const rows = Math.max(1, Math.min(th, Math.floor(budget / (16 * roundUp(C, 2) * twp * 2))));
  const mb = Math.max(QGEMM_MR, Math.min(roundUp(M, QGEMM_MR), Math.floor(budget / (16 * rows * twp * 4) / QGEMM_MR) * QGEMM_MR));
  const plane = roundUp((2 * rows + 2) * 2 * 2 * (twp + 9), 32);
  const bytes = 2 * plane + 2 * 16 * qpackBElems(C, rows * twp) + 4 * 16 * mb * rows * twp + 8 * roundUp(2 * twp, 32);
  const s = ctx.scratch(bytes);
  ctx.line(`edgec_qconv2d_wino(${xp}, ${up}, &e, ${yp}, ${geo.join(', ')}, ${pt}, ${pl}, ${zx}, ${s}, ${rows}, ${mb});`);
}

function lowerQConvTranspose(ctx: CLowerCtx): void {
  const { x, y, g, p, wc, bias, accBound } = qconvIO(ctx, true);
  const zx = p.x.zeroPoint[0];
  const cg = g.inC / g.group;
  const og = g.outC / g.group;
  const kvol = g.kernel.reduce((s, v) => s * v, 1);
  const ovol = g.outSpatial.reduce((s, v) => s * v, 1);
  // W is [C][O/G][k...]: the zero point runs along axis 1 (o within the group).
  const wAt = (i: number) => wc(i, Math.floor(i / kvol) % og);
  if (g.inSpatial.length === 3) {
    const n = g.inC * og * kvol;
    const wsym = ctx.constArray('qconvt_w', { dtype: 'int16', shape: [n], data: Int16Array.from({ length: n }, (_, i) => wAt(i)) });
    const s = ctx.scratch((g.outC * ovol + 32) * 4);
    ctx.line(`edgec_qconvtranspose3d_direct(${x.ptr}, ${wsym}, &e, ${y.ptr}, ${direct3dArgs(g).join(', ')}, ${zx}, (int32_t *)${s});`);
    return;
  }
  const [H, W] = to2d(g.inSpatial, 1);
  const [OH, OW] = to2d(g.outSpatial, 1);
  const [KH, KW] = to2d(g.kernel, 1);
  const [SH, SW] = to2d(g.strides, 1);
  const [DH, DW] = to2d(g.dilations, 1);
  const [PT, PL] = to2d(g.padsBegin, 0);
  const mg = og * KH * KW;
  // A_g[(o, kh, kw)][c] = W[g*cg + c][o][kh][kw]: W^T per group.
  const per = qpackAElems(mg, cg);
  const packed = new Int16Array(per * g.group);
  for (let gi = 0; gi < g.group; gi++) packQA(mg, cg, (i, c) => wAt((gi * cg + c) * mg + i), packed, gi * per);
  const wsym = ctx.constArray('qconvt_w', { dtype: 'int8', shape: [packed.length], data: narrowWeights(ctx, packed, weightZero(ctx, p.w)) });
  const mc = qgemmMC(ctx, cg, mg);
  const aw = `(int16_t *)${ctx.scratch(roundUp(mc, QGEMM_MR) * 2 * Math.ceil(cg / 2) * 2)}`;
  const args = [g.batch, g.inC, H, W, g.outC, OH, OW, g.group, KH, KW, SH, SW, DH, DW, PT, PL];
  if (KH <= SH && KW <= SW && (KH === 1 || DH === 1) && (KW === 1 || DW === 1)) {
    // Taps never overlap: every output is one GEMM value (or the bias alone), so the GEMM requantizes per row
    // (o, kh, kw) straight to int8 and the kernel scatters bytes.
    emitQEpi(ctx, p.r, g.group * mg, false, bias, accBound, { name: 'er', chan: (r) => Math.floor(r / mg) * og + Math.floor((r % mg) / (KH * KW)) });
    const rows = Math.max(1, Math.min(H, Math.floor(qblockBytes(ctx) / ((mg + 2 * cg) * W))));
    const s = ctx.scratch(roundUp(mg * rows * W, 64) + qpackBElems(cg, rows * W) * 2);
    ctx.line(`edgec_qconvtranspose2d_direct(${x.ptr}, ${wsym}, &e, &er, ${y.ptr}, ${args.join(', ')}, ${zx}, ${s}, ${rows}, ${mc}, ${aw}, ${weightZero(ctx, p.w)});`);
    return;
  }
  const rows = Math.max(1, Math.min(H, Math.floor(qblockBytes(ctx) / ((4 * mg + 2 * cg) * W))));
  const bytes = roundUp(g.outC * OH * OW + 32, 16) * 4 + roundUp(mg * rows * W, 16) * 4 + qpackBElems(cg, rows * W) * 2;
  const s = ctx.scratch(bytes);
  ctx.line(`edgec_qconvtranspose2d(${x.ptr}, ${wsym}, &e, ${y.ptr}, ${args.join(', ')}, ${zx}, ${s}, ${rows}, ${mc}, ${aw}, ${weightZero(ctx, p.w)});`);
}

/** Integer Conv and ConvTranspose → C lowering (merged into C_INT_LOWERINGS). */
export const qconvLowerings: Record<string, CLowering> = {
  Conv: (ctx) => (isConv16(ctx) ? lowerConv16(ctx, false) : lowerQConv(ctx)),
  ConvTranspose: (ctx) => (isConv16(ctx) ? lowerConv16(ctx, true) : lowerQConvTranspose(ctx)),
};
