/** Folding a per-output-channel affine map y*s + t into a producer's constant weights and bias. */
import type { Graph, Node } from '../ir/types.js';
import { attrInt } from '../ir/attrs.js';
import { constValue, freshName } from '../ir/graph.js';
import { numel } from '../ir/dtype.js';

/** Number of output channels of a foldable producer, or undefined if it cannot absorb an affine map. */
export function outputChannels(g: Graph, n: Node): number | undefined {
  const w = constValue(g, n.inputs[1]);
  if (!w || w.dtype !== 'float32' || n.attrs.act) return undefined;
  if (n.inputs[2] && !constValue(g, n.inputs[2])) return undefined;
  if (n.op === 'Conv') return w.shape[0];
  if (n.op === 'ConvTranspose') return w.shape[1] * attrInt(n, 'group', 1);
  if (n.op === 'Gemm') {
    if (attrInt(n, 'transA', 0) !== 0 && w.shape.length !== 2) return undefined;
    return attrInt(n, 'transB', 0) ? w.shape[0] : w.shape[1];
  }
  return undefined;
}

/** Per-channel values of a constant that broadcasts along the producer's channel axis (scalar, [C], [C,1,1], [1,C,1,1]...). */
export function channelVector(g: Graph, name: string, channels: number, rank: number, channelAxis: number): Float64Array | undefined {
  const v = constValue(g, name);
  if (!v || v.dtype !== 'float32') return undefined;
  const n = numel(v.shape);
  if (n === 1 && v.shape.length <= rank) return new Float64Array(channels).fill(v.data[0]);
  if (n !== channels || v.shape.length > rank) return undefined;
  // The single non-1 dim must sit on the channel axis once right-aligned to the output rank.
  const offset = rank - v.shape.length;
  const axis = v.shape.findIndex((d) => d !== 1);
  if (channels > 1 && axis + offset !== channelAxis) return undefined;
  return Float64Array.from(v.data);
}

/** Rewrite producer `n` so that its output becomes out*scale + shift per output channel (new constants; originals untouched). */
export function foldChannelAffine(g: Graph, n: Node, scale: Float64Array, shift: Float64Array): void {
  const w = constValue(g, n.inputs[1])!;
  const C = scale.length;
  const wd = Float32Array.from(w.data as Float32Array);
  const group = attrInt(n, 'group', 1);
  if (n.op === 'Conv') {
    const per = wd.length / C;
    for (let c = 0; c < C; c++) for (let i = 0; i < per; i++) wd[c * per + i] *= scale[c];
  } else if (n.op === 'ConvTranspose') {
    const [cin, coutPerGroup] = w.shape;
    const k = numel(w.shape.slice(2));
    const cinPerGroup = cin / group;
    for (let ci = 0; ci < cin; ci++) {
      const gi = Math.floor(ci / cinPerGroup);
      for (let j = 0; j < coutPerGroup; j++) for (let i = 0; i < k; i++) wd[(ci * coutPerGroup + j) * k + i] *= scale[gi * coutPerGroup + j];
    }
  } else {
    const transB = attrInt(n, 'transB', 0) !== 0;
    const [r, cols] = w.shape;
    for (let i = 0; i < r; i++) for (let j = 0; j < cols; j++) wd[i * cols + j] *= scale[transB ? i : j];
  }
  const bias = new Float32Array(C);
  const b = n.inputs[2] ? constValue(g, n.inputs[2]) : undefined;
  const beta = n.op === 'Gemm' ? (n.attrs.beta?.value as number | undefined) ?? 1 : 1;
  if (b && n.op === 'Gemm' && numel(b.shape) !== 1 && numel(b.shape) !== C) throw new Error('internal: Gemm bias is not per-channel');
  for (let c = 0; c < C; c++) {
    const b0 = b ? beta * b.data[numel(b.shape) === 1 ? 0 : c] : 0;
    bias[c] = b0 * scale[c] + shift[c];
  }
  const wName = freshName(g, `${n.inputs[1]}_folded`);
  g.tensors.set(wName, { name: wName, dtype: 'float32', shape: [...w.shape], data: wd });
  const bName = freshName(g, `${n.name}_bias_folded`);
  g.tensors.set(bName, { name: bName, dtype: 'float32', shape: [C], data: bias });
  n.inputs = [n.inputs[0], wName, bName];
  if (n.op === 'Gemm') n.attrs.beta = { type: 'float', value: 1 };
}
