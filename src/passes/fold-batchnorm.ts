/** BatchNormalization folded into the preceding Conv, ConvTranspose or Gemm. */
import { attrFloat } from '../ir/attrs.js';
import { constValue } from '../ir/graph.js';
import { bypassNode, rewritePass } from './patterns.js';
import { foldChannelAffine, outputChannels } from './affine.js';
import type { RewriteRule } from './patterns.js';

/** BatchNormalization after a Conv/ConvTranspose/Gemm with constant weights becomes their scale and bias. */
export const batchNormIntoProducer: RewriteRule = {
  name: 'batchnorm-into-producer',
  pattern: { op: 'BatchNormalization', inputs: [{ op: ['Conv', 'ConvTranspose', 'Gemm'], as: 'producer' }, 'const', 'const', 'const', 'const'] },
  rewrite(m, g) {
    const bn = m.root;
    const p = m.nodes.producer;
    const C = outputChannels(g, p);
    const [s, b, mean, v] = bn.inputs.slice(1).map((t) => constValue(g, t)!);
    if (C === undefined || [s, b, mean, v].some((x) => x.data.length !== C)) return false;
    const eps = attrFloat(bn, 'epsilon', 1e-5);
    const scale = new Float64Array(C);
    const shift = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      scale[c] = s.data[c] / Math.sqrt(v.data[c] + eps);
      shift[c] = b.data[c] - mean.data[c] * scale[c];
    }
    foldChannelAffine(g, p, scale, shift);
    return bypassNode(g, bn, p.outputs[0]);
  },
};

export const foldBatchNorm = rewritePass('fold-batchnorm', 'fold inference BatchNormalization into the preceding Conv/ConvTranspose/Gemm', [batchNormIntoProducer]);
