/** C lowering of Resize: integer nearest upsampling fast path, general nearest via remap, linear/cubic via separable taps. */
import { DTYPES, numel } from '../../../ir/dtype.js';
import { nodeError } from '../../../ops/util.js';
import { nearestMaps, planeTaps, resizeSpec } from '../../../ops/resize.js';
import type { CLowering } from '../lowering.js';
import { emitRemap, emitTouch, needInput } from './layout.js';

/** The integer factor s when map[j] = floor(j / s) over the whole axis (null map: factor 1), else 0. */
function intFactor(map: Int32Array | null, inDim: number, outDim: number): number {
  if (!map) return 1;
  if (outDim % inDim !== 0) return 0;
  const s = outDim / inDim;
  for (let j = 0; j < outDim; j++) if (map[j] !== Math.floor(j / s)) return 0;
  return s;
}

const resize: CLowering = (ctx) => {
  const x = needInput(ctx, 0);
  const y = ctx.output(0);
  const spec = resizeSpec(ctx.node, x.info);
  if (!numel(spec.outShape)) return emitTouch(ctx, x, y);
  const r = spec.inShape.length;
  if (spec.mode === 'nearest') {
    const maps = nearestMaps(spec);
    const outerSame = maps.slice(0, Math.max(0, r - 2)).every((m) => !m);
    if (r >= 2 && outerSame) {
      const [ih, iw, oh, ow] = [spec.inShape[r - 2], spec.inShape[r - 1], spec.outShape[r - 2], spec.outShape[r - 1]];
      const sh = intFactor(maps[r - 2], ih, oh);
      const sw = intFactor(maps[r - 1], iw, ow);
      if (sh && sw && sh * sw > 1) {
        ctx.useKernel('resize.h');
        const planes = numel(spec.inShape.slice(0, r - 2));
        ctx.line(`edgec_resize_nearest_int(${y.ptr}, ${x.ptr}, ${planes}, ${ih}, ${iw}, ${sh}, ${sw}, ${DTYPES[x.info.dtype].bytes});`);
        return;
      }
    }
    emitRemap(ctx, x, y, spec.inShape, { outShape: spec.outShape, maps });
    return;
  }
  if (x.info.dtype !== 'float32') nodeError(ctx.node, `${spec.mode} resize in C takes float32, got ${x.info.dtype}; Cast to float32 first`);
  const t = planeTaps(spec);
  const taps = (stem: string, v: Int32Array | Float64Array) =>
    ctx.constArray(`${stem}`, v instanceof Int32Array ? { dtype: 'int32', shape: [v.length], data: v } : { dtype: 'float32', shape: [v.length], data: Float32Array.from(v) });
  ctx.useKernel('resize.h');
  const tmp = ctx.scratch(t.iw * 4);
  ctx.line(
    `edgec_resize_taps_f32(${x.ptr}, ${y.ptr}, ${t.planes}, ${t.ih}, ${t.iw}, ${t.oh}, ${t.ow}, ` +
      `${t.y.k}, ${taps('ry_idx', t.y.idx)}, ${taps('ry_w', t.y.w)}, ${t.x.k}, ${taps('rx_idx', t.x.idx)}, ${taps('rx_w', t.x.w)}, (float *)${tmp});`,
  );
};

/** Resize op → C lowering. */
export const resizeLowerings: Record<string, CLowering> = { Resize: resize };
