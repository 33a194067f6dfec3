/** After int8 quantization: int32 biases whose every value fits int16 are stored as int16 (exact; the integer
 * Conv/ConvTranspose/Gemm add either width into the int32 accumulator, so only the stored bytes change). */
import type { Graph } from '../ir/types.js';
import { consumers } from '../ir/graph.js';
import type { Pass } from './pass.js';

/** Integer ops whose input 2 is an int32 bias added to the accumulator. */
const BIAS_OPS: ReadonlySet<string> = new Set(['Conv', 'ConvTranspose', 'Gemm']);

export const narrowIntBias: Pass = {
  name: 'narrow-int-bias',
  summary: 'store constant int32 biases of integer Conv/ConvTranspose/Gemm as int16 when every value fits (lossless)',
  run(g: Graph) {
    const cons = consumers(g);
    for (const n of g.nodes) {
      const b = n.inputs[2];
      if (!BIAS_OPS.has(n.op) || !b || g.tensors.get(n.inputs[0])?.dtype !== 'int8') continue;
      const t = g.tensors.get(b)!;
      if (t.dtype !== 'int32' || !t.data || g.outputs.includes(b)) continue;
      // Every reader must be an int8-input bias slot, so no other op sees the narrower type.
      if (!(cons.get(b) ?? []).every((c) => BIAS_OPS.has(c.op) && c.inputs.indexOf(b) === 2 && g.tensors.get(c.inputs[0])?.dtype === 'int8')) continue;
      if (!Array.from(t.data as Int32Array).every((v) => v >= -32768 && v <= 32767)) continue;
      t.dtype = 'int16';
      t.data = Int16Array.from(t.data as Int32Array);
    }
  },
};
