/** int8 convolution on the vector vocabulary's 4-byte dot products (runtime-c/kernels/qdot.h): weights packed at
 * compile time in k-quad panels of the target's tile shape, the activation zero point folded into the bias. */
import { convGeometry } from '../../../ops/conv.js';
import { VECTOR_VOCABS } from '../vector-vocab.js';
import type { CLowerCtx } from '../lowering.js';
import type { ConvGeometry } from '../../../ops/conv.js';
import { qblockBytes } from './qlinalg.js';
import { packQDotB } from './qdot-linalg.js';

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** The dot kernel's tile for this target, or undefined when the int8 Conv node stays on the portable kernels: the
 * target has no vector vocabulary, the conv is 3-D or depthwise, or the weights have a nonzero zero point. */
export function qdotTile(ctx: CLowerCtx): { mr: number; nr: number } | undefined {
  const isa = ctx.target.simd;
  const x = ctx.input(0);
  const w = ctx.input(1);
  if (!isa || !x || !w?.value || !w.quant) return undefined;
  if (w.quant.zeroPoint.some((z) => z !== 0)) return undefined;
  const g = convGeometry(ctx.node, x.info, w.info);
  if (g.inSpatial.length > 2 || g.inC / g.group === 1) return undefined;
  return VECTOR_VOCABS[isa].qdot;
}

/** Bias with the activation zero point folded in: b[c] - zx * sum_k w[c][k] (wrapping to int32 like the kernels). */
export function foldZeroPoint(w: ArrayLike<number>, outC: number, bias: ArrayLike<number> | undefined, zx: number): Int32Array {
  const kg = w.length / outC;
  return Int32Array.from({ length: outC }, (_, c) => {
    let s = 0;
    for (let i = c * kg; i < (c + 1) * kg; i++) s += w[i];
    return (bias ? bias[c] : 0) - zx * s;
  });
}

/** Pack M x K int8 weights (element (i, k) = get(i, k)) into A panels [ceil(M/mr)][ceil(K/4)][mr][4], zero padded, with
 * 16 bytes of slack (the micro-kernel loads whole 16-byte vectors). */
export function packQDotA(m: number, k: number, mr: number, get: (i: number, k: number) => number, out?: Int8Array, at = 0): Int8Array {
  const k4 = Math.ceil(k / 4);
  const o = out ?? new Int8Array(roundUp(m, mr) * k4 * 4 + 16);
  for (let i = 0; i < m; i++) {
    const base = at + Math.floor(i / mr) * k4 * mr * 4 + (i % mr) * 4;
    for (let p = 0; p < k; p++) o[base + (p >> 2) * mr * 4 + (p & 3)] = get(i, p);
  }
  return o;
}

/** Emit the dot-kernel call of an int8 2-D Conv whose epilogue `e` (bias folded with foldZeroPoint) is emitted. */
export function lowerQConvDot(ctx: CLowerCtx, g: ConvGeometry, tile: { mr: number; nr: number }, xPtr: string, yPtr: string, zx: number): void {
  ctx.useKernel('qdot.h');
  const w = ctx.input(1)!.value!.data;
  const two = (v: number[], fill: number): [number, number] => (v.length === 1 ? [fill, v[0]] : [v[0], v[1]]);
  const [H, W] = two(g.inSpatial, 1);
  const [OH, OW] = two(g.outSpatial, 1);
  const [KH, KW] = two(g.kernel, 1);
  const [SH, SW] = two(g.strides, 1);
  const [DH, DW] = two(g.dilations, 1);
  const [PT, PL] = two(g.padsBegin, 0);
  const cg = g.inC / g.group;
  const mg = g.outC / g.group;
  const kg = cg * KH * KW;
  const k4 = Math.ceil(kg / 4);
  if (g.batch === 1 && g.group === 1 && H === 1 && W === 1 && OH === 1 && OW === 1 && KH === 1 && KW === 1) {
    // One pixel (an SE block's squeeze/excite): a GEMV with the channels as columns, the weights as B panels.
    const bp = packQDotB(kg, g.outC, tile.nr, (k, j) => w[j * kg + k]);
    const bsym = ctx.constArray('qdot_b', { dtype: 'int8', shape: [bp.length], data: bp });
    ctx.line(`edgec_qdot_linear(1, ${g.outC}, ${kg}, ${xPtr}, ${kg}, 1, ${bsym}, ${yPtr}, NULL, &e, ${ctx.scratch(k4 * 4 + 16)});`);
    return;
  }
  const gstride = roundUp(mg, tile.mr) * k4 * 4;
  const packed = new Int8Array(gstride * g.group + 16);
  for (let gi = 0; gi < g.group; gi++) packQDotA(mg, kg, tile.mr, (i, p) => w[(gi * mg + i) * kg + p], packed, gi * gstride);
  const wsym = ctx.constArray('qdot_w', { dtype: 'int8', shape: [packed.length], data: packed });
  const pointwise = KH === 1 && KW === 1 && SH === 1 && SW === 1 && PT === 0 && PL === 0 && OH === H && OW === W;
  // Block: packed B (and the im2col rows) within the budget; pixels (pointwise) or output rows.
  const budget = qblockBytes(ctx);
  const bBytes = (cols: number) => roundUp(cols, tile.nr) * k4 * 4;
  let blk: number;
  let bytes: number;
  if (pointwise) {
    blk = Math.min(roundUp(H * W, tile.nr), Math.max(tile.nr, Math.floor(budget / (k4 * 4) / tile.nr) * tile.nr));
    bytes = bBytes(blk);
  } else {
    blk = Math.max(1, Math.min(OH, Math.floor(budget / (2 * kg * OW))));
    bytes = kg * roundUp(blk * OW, 64) + bBytes(blk * OW); // im2col rows are EDGEC_QCOL_LD (64-byte) long
  }
  const s = ctx.scratch(bytes);
  const args = [g.batch, g.inC, H, W, g.outC, OH, OW, g.group, KH, KW, SH, SW, DH, DW, PT, PL, zx];
  ctx.line(`edgec_qconv2d_dot(${xPtr}, ${wsym}, ${gstride}, &e, ${yPtr}, ${args.join(', ')}, ${s}, ${blk});`);
}
