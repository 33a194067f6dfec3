/** A zero constant Pad of the spatial dims folded into the pads of the Conv that reads it. */
import { attrFloat, attrInts, attrString } from '../ir/attrs.js';
import { rewritePass } from './patterns.js';

export const foldPad = rewritePass('fold-pad', 'fold a zero constant Pad of spatial dims into the following Conv\'s pads', [
  {
    name: 'pad-into-conv',
    pattern: { op: 'Conv', inputs: [{ op: 'Pad', as: 'pad' }, 'const'] },
    rewrite(m, g) {
      const { pad } = m.nodes;
      const conv = m.root;
      const x = g.tensors.get(pad.inputs[0]);
      const pads = attrInts(pad, 'pads');
      if (!x || !pads || attrString(pad, 'mode', 'constant') !== 'constant' || attrFloat(pad, 'value', 0) !== 0) return false;
      if (attrInts(pad, 'axes') || attrString(conv, 'auto_pad', 'NOTSET') !== 'NOTSET' || x.dtype !== 'float32') return false;
      const rank = x.shape.length;
      const r = rank - 2;
      const [begin, end] = [pads.slice(0, rank), pads.slice(rank)];
      if (pads.length !== 2 * rank || pads.some((p) => p < 0) || begin[0] || begin[1] || end[0] || end[1]) return false;
      const cp = attrInts(conv, 'pads', new Array<number>(2 * r).fill(0));
      const merged = [...cp.slice(0, r).map((p, i) => p + begin[2 + i]), ...cp.slice(r).map((p, i) => p + end[2 + i])];
      conv.attrs.pads = { type: 'ints', value: merged };
      conv.inputs = [pad.inputs[0], ...conv.inputs.slice(1)];
      g.nodes = g.nodes.filter((n) => n !== pad);
      g.tensors.delete(pad.outputs[0]);
      return true;
    },
  },
]);
