/** The pass pipeline, built from the target's features. */
import type { Target } from '../targets/targets.js';
import type { Pass } from './pass.js';
import { inferShapes } from './infer-shapes.js';
import { foldConstants } from './fold-constants.js';
import { eliminateDeadCode } from './eliminate-dead-code.js';
import { removeIdentity } from './remove-identity.js';
import { foldTransposes } from './fold-transposes.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { foldAffine } from './fold-affine.js';
import { fuseActivation } from './fuse-activation.js';
import { lowerQdq } from './lower-qdq.js';
import { fuseQdq } from './fuse-qdq.js';
import { fuseLayerNorm } from './fuse-layernorm.js';

/** Passes that every target runs, in order. */
export const CORE_PASSES: readonly Pass[] = [
  inferShapes,
  foldConstants,
  lowerQdq,
  foldConstants,
  eliminateDeadCode,
  removeIdentity,
  foldTransposes,
  foldBatchNorm,
  foldAffine,
  // Again: folding a Mul/Add into a producer can make a BatchNormalization adjacent to it (ConvTranspose, Add, BN).
  foldBatchNorm,
  fuseLayerNorm,
  fuseActivation,
  fuseQdq,
  foldConstants,
  eliminateDeadCode,
];

/** The pipeline for a target (target features will add quantization, sparsity, layout passes). */
export function passesFor(_target: Target): Pass[] {
  return [...CORE_PASSES];
}
