/** int8 depthwise Conv on the vector vocabulary's 4-byte dot products (runtime-c/kernels/vqdwconv.h): kernel rows in
 * quads of 4 over a plane of row quads, raw int8 taps, the activation zero point folded into the bias. */
import { convGeometry, to2d, type ConvGeometry } from '../../../ops/conv.js';
import type { CLowerCtx } from '../lowering.js';

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** Most taps (groups of 4 kernel rows x kernel columns) the kernel takes: EDGEC_VQDW_MAXTAPS in vqdwconv.h. */
const MAX_TAPS = 64;

/** Groups of 4 kernel rows one output row spans (EDGEC_VQDW_J). */
const rowGroups = (kh: number, sh: number) => Math.floor((kh + (sh & 1) + 3) / 4);

/** Whether this int8 Conv node runs on the vocabulary depthwise kernel: the target has a vector vocabulary, the conv
 * is 2-D depthwise with vertical dilation 1 and horizontal stride 1 or 2, and the weights are symmetric (zero point 0). */
export function isVqdw(ctx: CLowerCtx): boolean {
  const x = ctx.input(0);
  const w = ctx.input(1);
  if (!ctx.target.simd || !x || !w?.value || !w.quant) return false;
  if (w.quant.zeroPoint.some((z) => z !== 0)) return false;
  const g = convGeometry(ctx.node, x.info, w.info);
  if (g.inSpatial.length !== 2 || g.inC / g.group !== 1) return false;
  const [KH, KW] = g.kernel;
  const [SH, SW] = g.strides;
  return g.dilations[0] === 1 && (SW === 1 || SW === 2) && rowGroups(KH, SH) * KW <= MAX_TAPS;
}

/** Bytes of the kernel's scratch (EDGEC_VQDW_SCRATCH): padded channel copy, then the quad plane. */
function scratchBytes(w: number, pl: number, oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, dw: number): number {
  const J = rowGroups(kh, sh);
  const pw = roundUp(roundUp(ow, 16) + Math.floor(((kw - 1) * dw) / sw), 16);
  const nq = Math.floor(((oh - 1) * sh) / 2) + 2 * (J - 1) + 1;
  const padw = Math.max(sw * pw, pl + w) + 32;
  return roundUp((2 * nq + 2) * padw, 16) + 4 * nq * sw * pw;
}

/** Weight quads per output channel [phase s][J][KW][4] (byte i of quad (s, j, kw) is w[4j + i - s][kw], zero outside
 * the kernel; phase 1 only for odd vertical strides; 48 zero bytes after the last) and per channel [phase][J] the group sums times zx. */
export function vqdwWeights(w: ArrayLike<number>, m: number, kh: number, kw: number, sh: number, zx: number): { quads: Int8Array; sums: Int32Array } {
  const J = rowGroups(kh, sh);
  const nph = 1 + (sh & 1);
  const quads = new Int8Array(m * nph * J * kw * 4 + 48); // 48 bytes of slack: the unrolled rows read whole vectors
  const sums = new Int32Array(m * nph * J);
  let at = 0;
  for (let co = 0; co < m; co++)
    for (let s = 0; s < nph; s++)
      for (let j = 0; j < J; j++) {
        let sum = 0;
        for (let c = 0; c < kw; c++)
          for (let i = 0; i < 4; i++) {
            const r = 4 * j + i - s;
            const v = r >= 0 && r < kh ? w[(co * kh + r) * kw + c] : 0;
            quads[at++] = v;
            sum += v;
          }
        sums[(co * nph + s) * J + j] = zx * sum;
      }
  return { quads, sums };
}

/** Emit the vocabulary depthwise kernel call for a node isVqdw accepted, its epilogue `e` (bias folded with the
 * activation zero point) already emitted. */
export function lowerVqdw(ctx: CLowerCtx, g: ConvGeometry, xPtr: string, yPtr: string, zx: number): void {
  ctx.useKernel('vqdwconv.h');
  const [H, W] = to2d(g.inSpatial, 1);
  const [OH, OW] = to2d(g.outSpatial, 1);
  const [KH, KW] = to2d(g.kernel, 1);
  const [SH, SW] = to2d(g.strides, 1);
  const [, DW] = to2d(g.dilations, 1);
  const [PT, PL] = to2d(g.padsBegin, 0);
  const { quads, sums } = vqdwWeights(ctx.input(1)!.value!.data, g.outC, KH, KW, SH, zx);
  const wq = ctx.constArray('qdw_quads', { dtype: 'int8', shape: [quads.length], data: quads });
  const gc = ctx.constArray('qdw_gsum', { dtype: 'int32', shape: [sums.length], data: sums });
  const s = ctx.scratch(scratchBytes(W, PL, OH, OW, KH, KW, SH, SW, DW));
  // Taps may be summed two at a time in int16 unless a weight is -128 (two -128 * -128 products overflow it).
  const pair = ctx.input(1)!.value!.data.every((v) => Number(v) !== -128) ? 1 : 0;
  const args = [g.batch, g.inC, H, W, g.outC, OH, OW, KH, KW, SH, SW, DW, PT, PL, zx, pair];
  ctx.line(`edgec_qconv2d_vdw(${xPtr}, ${wq}, ${gc}, &e, ${yPtr}, ${args.join(', ')}, ${s});`);
}
