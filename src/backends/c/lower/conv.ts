/** C lowerings of Conv and ConvTranspose onto runtime-c/kernels/conv.h (GEMM, depthwise, col2im and direct 3-D kernels). */
import { convGeometry, convTransposeGeometry, to2d, to3d, type ConvGeometry } from '../../../ops/conv.js';
import { nodeError } from '../../../ops/util.js';
import type { CLowerCtx, CLowering, CTensor } from '../lowering.js';
import { actArgs, bDirect, bindScratch, gemmBlocking, GEMM_NR, packA, packedAFloats } from './linalg.js';

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** Bytes a GEMM-based conv may spend on one im2col / col2im block (half of L2, at least 256 KiB). */
function blockBudget(ctx: CLowerCtx): number {
  return Math.max(256 * 1024, ctx.target.l2Bytes / 2);
}

interface ConvIO {
  x: CTensor;
  w: CTensor;
  bias: string;
  y: CTensor;
}

/** Inputs and output of a float32 Conv/ConvTranspose node. */
function convIO(ctx: CLowerCtx): ConvIO {
  const x = ctx.input(0);
  const w = ctx.input(1);
  if (!x || !w) nodeError(ctx.node, 'inputs X and W are required');
  if (x.info.dtype !== 'float32')
    nodeError(ctx.node, `input type ${x.info.dtype} has no C convolution kernel; convolve in float32 (dequantize or cast before this node)`);
  ctx.useKernel('conv.h');
  const b = ctx.input(2);
  return { x, w, bias: b ? b.ptr : 'NULL', y: ctx.output(0) };
}

/** The argument list shared by the direct 3-D kernels. */
function direct3dArgs(g: ConvGeometry): number[] {
  return [
    g.batch, g.inC, ...to3d(g.inSpatial, 1), g.outC, ...to3d(g.outSpatial, 1), g.group, ...to3d(g.kernel, 1),
    ...to3d(g.strides, 1), ...to3d(g.dilations, 1), ...to3d(g.padsBegin, 0),
  ];
}

/** Floats of the depthwise kernel's padded plane (EDGEC_DW_PLANE_ROWS rows of SW * EDGEC_DW_PLANE_PHASE in conv.h). */
function dwPlaneFloats(oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number): number {
  const rows = (oh - 1) * sh + (kh - 1) * dh + 1;
  const phase = ow + Math.floor(((kw - 1) * dw) / sw) + 16;
  return rows * sw * phase;
}

/** Packed per-group weights of a Conv ([M][C/G * k] rows), for the GEMM path. */
function packConvWeights(w: CTensor, m: number, group: number, kg: number): Float32Array {
  const mg = m / group;
  const per = packedAFloats(mg, kg);
  const out = new Float32Array(per * group);
  const d = w.value!.data;
  for (let g = 0; g < group; g++) out.set(packA(mg, kg, (i, p) => d[(g * mg + i) * kg + p]), g * per);
  return out;
}

/** Winograd F(2x2, 3x3) filter transform G g G^T of every filter, packed as 16 SGEMM A operands (U[e][m][c]). */
function winogradWeights(w: Float32Array | ArrayLike<number>, m: number, c: number): Float32Array {
  const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
  const u = new Float64Array(m * c * 16);
  for (let f = 0; f < m * c; f++) {
    const g = (i: number, j: number) => w[f * 9 + i * 3 + j];
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++) {
        let acc = 0;
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) acc += G[a][i] * g(i, j) * G[b][j];
        u[f * 16 + a * 4 + b] = acc;
      }
  }
  const per = packedAFloats(m, c);
  const out = new Float32Array(per * 16);
  for (let e = 0; e < 16; e++) out.set(packA(m, c, (i, p) => u[(i * c + p) * 16 + e]), e * per);
  return out;
}

/** Tile rows per Winograd block and the scratch floats they need (plane + V + M, as conv2d_wino lays them out). */
function winogradBlock(ctx: CLowerCtx, c: number, m: number, oh: number, ow: number): { rows: number; floats: number } {
  const th = Math.ceil(oh / 2);
  const tw = Math.ceil(ow / 2);
  const pw = tw + 9;
  const floats = (r: number) => roundUp((2 * r + 2) * 2 * pw, 16) + 16 * (c + m) * roundUp(r * tw, GEMM_NR);
  let rows = 1;
  while (rows < th && floats(rows + 1) * 4 <= ctx.target.l2Bytes * 0.75) rows++;
  return { rows, floats: floats(rows) };
}

function lowerConv(ctx: CLowerCtx): void {
  const { x, w, bias, y } = convIO(ctx);
  const g = convGeometry(ctx.node, x.info, w.info);
  const act = actArgs(ctx.node);
  if (g.inSpatial.length === 3) {
    ctx.line(`edgec_conv3d_direct(${x.ptr}, ${w.ptr}, ${bias}, ${y.ptr}, ${direct3dArgs(g).join(', ')}, ${act});`);
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
  const cg = g.inC / g.group;
  if (cg === 1) {
    const sc = bindScratch(ctx, dwPlaneFloats(OH, OW, KH, KW, SH, SW, DH, DW));
    ctx.line(`edgec_conv2d_dw(${x.ptr}, ${w.ptr}, ${bias}, ${y.ptr}, ${geo.join(', ')}, ${win.join(', ')}, ${act}, ${sc});`);
    return;
  }
  const blk = gemmBlocking(ctx.target);
  const mg = g.outC / g.group;
  const kg = cg * KH * KW;
  if (w.value && g.group === 1 && KH === 3 && KW === 3 && SH === 1 && SW === 1 && DH === 1 && DW === 1 && g.outC >= 8 && g.inC >= 8 && OH * OW >= 64) {
    // 3x3 stride 1: Winograd F(2x2, 3x3) does 2.25x fewer multiplies than the direct product.
    ctx.useKernel('winograd.h');
    const up = ctx.constArray('conv_wino', { dtype: 'float32', shape: [packedAFloats(g.outC, g.inC) * 16], data: winogradWeights(w.value.data, g.outC, g.inC) });
    const wb = winogradBlock(ctx, g.inC, g.outC, OH, OW);
    const ws = bindScratch(ctx, wb.floats);
    ctx.line(`edgec_conv2d_wino(${x.ptr}, ${up}, ${bias}, ${y.ptr}, ${geo.join(', ')}, ${PT}, ${PL}, ${act}, ${ws}, ${wb.rows}, ${blk.mc}, ${blk.kc});`);
    return;
  }
  const pointwise = KH === 1 && KW === 1 && SH === 1 && SW === 1 && PT === 0 && PL === 0 && OH === H && OW === W;
  const rows = Math.max(1, Math.min(OH, Math.floor(blockBudget(ctx) / (kg * OW * 4))));
  const work = pointwise ? Math.min(blk.kc, kg) * roundUp(Math.min(blk.nc, H * W), GEMM_NR) : kg * roundUp(rows * OW, GEMM_NR);
  const perGroup = packedAFloats(mg, kg);
  let ap: string;
  let sc: string;
  if (w.value) {
    const packed = packConvWeights(w, g.outC, g.group, kg);
    ap = ctx.constArray('conv_w', { dtype: 'float32', shape: [packed.length], data: packed });
    sc = bindScratch(ctx, work);
  } else {
    // Run-time weights: pack them into the front of the scratch first.
    const wf = roundUp(perGroup * g.group, 16);
    sc = bindScratch(ctx, wf + work);
    ctx.line(`edgec_conv_pack_weights(${w.ptr}, ${g.outC}, ${g.group}, ${kg}, s);`);
    ap = 's';
    sc = `s + ${wf}`;
  }
  ctx.line(`edgec_conv2d(${x.ptr}, ${ap}, ${bias}, ${y.ptr}, ${geo.join(', ')}, ${g.group}, ${win.join(', ')}, ${act}, ${sc}, ${rows}, ${blk.mc}, ${blk.kc}, ${blk.nc}, ${bDirect(mg)});`);
}

function lowerConvTranspose(ctx: CLowerCtx): void {
  const { x, w, bias, y } = convIO(ctx);
  const g = convTransposeGeometry(ctx.node, x.info, w.info);
  const act = actArgs(ctx.node);
  if (g.inSpatial.length === 3) {
    ctx.line(`edgec_convtranspose3d_direct(${x.ptr}, ${w.ptr}, ${bias}, ${y.ptr}, ${direct3dArgs(g).join(', ')}, ${act});`);
    return;
  }
  const [H, W] = to2d(g.inSpatial, 1);
  const [OH, OW] = to2d(g.outSpatial, 1);
  const [KH, KW] = to2d(g.kernel, 1);
  const [SH, SW] = to2d(g.strides, 1);
  const [DH, DW] = to2d(g.dilations, 1);
  const [PT, PL] = to2d(g.padsBegin, 0);
  const blk = gemmBlocking(ctx.target);
  const cg = g.inC / g.group;
  const og = g.outC / g.group;
  const mg = og * KH * KW;
  const rows = Math.max(1, Math.min(H, Math.floor(blockBudget(ctx) / (mg * W * 4))));
  const work = roundUp(mg * rows * W, 16) + Math.min(blk.kc, cg) * roundUp(Math.min(blk.nc, rows * W), GEMM_NR);
  const perGroup = packedAFloats(mg, cg);
  let ap: string;
  let sc: string;
  if (w.value) {
    // A_g[(o, kh, kw)][c] = W[g*cg + c][o][kh][kw]: W^T per group.
    const d = w.value.data;
    const packed = new Float32Array(perGroup * g.group);
    for (let gi = 0; gi < g.group; gi++) packed.set(packA(mg, cg, (i, p) => d[(gi * cg + p) * mg + i]), gi * perGroup);
    ap = ctx.constArray('convt_w', { dtype: 'float32', shape: [packed.length], data: packed });
    sc = bindScratch(ctx, work);
  } else {
    const wf = roundUp(perGroup * g.group, 16);
    sc = bindScratch(ctx, wf + work);
    ctx.line(`for (int gi = 0; gi < ${g.group}; gi++) edgec_sgemm_pack_a(${mg}, ${cg}, ${w.ptr} + (ptrdiff_t)gi * ${cg * mg}, 1, ${mg}, 1.0f, s + (ptrdiff_t)gi * ${perGroup});`);
    ap = 's';
    sc = `s + ${wf}`;
  }
  const args = [g.batch, g.inC, H, W, g.outC, OH, OW, g.group, KH, KW, SH, SW, DH, DW, PT, PL];
  ctx.line(`edgec_convtranspose2d(${x.ptr}, ${ap}, ${bias}, ${y.ptr}, ${args.join(', ')}, ${act}, ${sc}, ${rows}, ${blk.mc}, ${blk.kc}, ${blk.nc}, ${bDirect(mg)});`);
}

/** Conv and ConvTranspose → C lowering. */
export const convLowerings: Record<string, CLowering> = {
  Conv: lowerConv,
  ConvTranspose: lowerConvTranspose,
};
