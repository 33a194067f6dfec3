/** C lowering of MatMulW4 onto runtime-c/kernels/gemm_w4.h, with the compile-time repack into 16-column panels. */
import { w4Geometry, w4WeightsOf } from '../../../ops/matmul-w4.js';
import { nodeError } from '../../../ops/util.js';
import { w4Code, w4Groups, type W4Weights } from '../../../quant/w4-format.js';
import type { CLowerCtx, CLowering } from '../lowering.js';
import { actArgs, bindScratch, GEMM_MR, GEMM_NR, gemmBlocking } from './linalg.js';

/** Rows up to which the kernel dequantizes into registers and needs no scratch (EDGEC_W4_SHORT_M in gemm_w4.h). */
export const W4_SHORT_M = 5;

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** Floats of scratch edgec_gemm_w4 needs (EDGEC_GEMM_W4_SCRATCH). */
export function gemmW4ScratchFloats(m: number, k: number, kc: number): number {
  return m <= W4_SHORT_M ? 0 : roundUp(roundUp(m, GEMM_MR) * k, 16) + kc * GEMM_NR;
}

/** Weights in the kernel's panel layout: per 16 columns, codes [K][w/2 bytes], scales [G][w], zero points [G][w/2 bytes]. */
export interface W4Panels {
  codes: Uint8Array;
  scales: Uint16Array | Float32Array;
  zeros?: Uint8Array;
}

/** Repack logical W4 weights (quant/w4-format.ts) into the panel layout gemm_w4.h reads. */
export function packW4Panels(w: W4Weights): W4Panels {
  const { k, n } = w;
  const g = w4Groups(k, w.group);
  const panels = Math.ceil(n / GEMM_NR);
  const last = n - (panels - 1) * GEMM_NR;
  const half = (x: number) => Math.ceil(x / 2);
  const codes = new Uint8Array((panels - 1) * k * 8 + k * half(last));
  const scales = new (w.scales instanceof Uint16Array ? Uint16Array : Float32Array)((panels - 1) * g * GEMM_NR + g * last);
  const zeros = w.zeros ? new Uint8Array((panels - 1) * g * 8 + g * half(last)) : undefined;
  const zh = Math.ceil(n / 2);
  for (let p = 0; p < panels; p++) {
    const j0 = p * GEMM_NR;
    const width = Math.min(GEMM_NR, n - j0);
    const h = half(width);
    for (let r = 0; r < k; r++)
      for (let j = 0; j < width; j++) codes[p * k * 8 + r * h + (j >> 1)] |= w4Code(w, r, j0 + j) << ((j & 1) * 4);
    for (let gi = 0; gi < g; gi++)
      for (let j = 0; j < width; j++) {
        scales[p * g * GEMM_NR + gi * width + j] = w.scales[gi * n + j0 + j];
        if (!zeros || !w.zeros) continue;
        const c = j0 + j;
        const z = (w.zeros[gi * zh + (c >> 1)] >> ((c & 1) * 4)) & 15;
        zeros[p * g * 8 + gi * h + (j >> 1)] |= z << ((j & 1) * 4);
      }
  }
  return { codes, scales, zeros };
}

function lowerMatMulW4(ctx: CLowerCtx): void {
  const { k, n, group } = w4Geometry(ctx.node);
  const x = ctx.input(0);
  const ins = [0, 1, 2, 3].map((i) => ctx.input(i));
  if (!x || !ins[1]?.value || !ins[2]?.value || (ins[3] && !ins[3].value))
    nodeError(ctx.node, 'packed weights, scales and zero points must be constants');
  const bias = ctx.input(4);
  const y = ctx.output(0);
  const m = x.info.shape.reduce((a, b) => a * b, 1) / k;
  const panels = packW4Panels(w4WeightsOf(ctx.node, ins.map((t) => t?.value)));
  ctx.useKernel('gemm_w4.h');
  const qw = ctx.constArray('w4_codes', { dtype: 'uint8', shape: [panels.codes.length], data: panels.codes });
  const isF16 = panels.scales instanceof Uint16Array;
  const sc = ctx.constArray('w4_scales', { dtype: isF16 ? 'uint16' : 'float32', shape: [panels.scales.length], data: panels.scales });
  const zp = panels.zeros ? ctx.constArray('w4_zeros', { dtype: 'uint8', shape: [panels.zeros.length], data: panels.zeros }) : 'NULL';
  const kc = gemmBlocking(ctx.target).kc;
  const scratch = bindScratch(ctx, gemmW4ScratchFloats(m, k, kc));
  const scales = isF16 ? `${sc}, NULL` : `NULL, ${sc}`;
  ctx.line(`edgec_gemm_w4(${m}, ${n}, ${k}, ${group}, ${x.ptr}, ${k}, ${qw}, ${scales}, ${zp}, ${bias ? bias.ptr : 'NULL'}, ` +
    `${y.ptr}, ${n}, ${actArgs(ctx.node)}, ${scratch}, ${kc});`);
}

/** MatMulW4 → C lowering. */
export const matmulW4Lowerings: Record<string, CLowering> = {
  MatMulW4: lowerMatMulW4,
};
