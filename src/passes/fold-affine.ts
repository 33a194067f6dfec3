/** Per-channel constant Mul/Add after a Conv, ConvTranspose or Gemm folded into its weights and bias. */
import type { Graph, Node } from '../ir/types.js';
import { bypassNode, rewritePass, type RewriteRule } from './patterns.js';
import { channelVector, foldChannelAffine, outputChannels } from './affine.js';
import { batchNormIntoProducer } from './fold-batchnorm.js';

function foldRule(op: 'Mul' | 'Add'): RewriteRule {
  return {
    name: `${op.toLowerCase()}-into-producer`,
    pattern: { op, commutative: true, inputs: [{ op: ['Conv', 'ConvTranspose', 'Gemm'], as: 'producer' }, 'const'] },
    rewrite(m, g: Graph) {
      const p: Node = m.nodes.producer;
      const C = outputChannels(g, p);
      const out = g.tensors.get(p.outputs[0]);
      const k = m.root.inputs.find((i) => i !== p.outputs[0]);
      if (C === undefined || !out || !k || g.tensors.get(m.root.outputs[0])?.shape.join() !== out.shape.join()) return false;
      const vec = channelVector(g, k, C, out.shape.length, 1);
      if (!vec) return false;
      const ones = new Float64Array(C).fill(1);
      const zeros = new Float64Array(C);
      foldChannelAffine(g, p, op === 'Mul' ? vec : ones, op === 'Mul' ? zeros : vec);
      return bypassNode(g, m.root, p.outputs[0]);
    },
  };
}

export const foldAffine = rewritePass('fold-affine', 'fold BatchNormalization and per-channel constant Mul/Add after Conv/ConvTranspose/Gemm into weights and bias', [
  // Again here: a BatchNormalization may follow a bias Add that only this pass folds (ConvTranspose, Add, BN).
  batchNormIntoProducer,
  foldRule('Mul'),
  foldRule('Add'),
]);
