/** All C lowerings by IR op, assembled from the per-family tables in this folder. */
import type { CLowering } from '../lowering.js';
import { elementwiseLowerings } from './elementwise.js';
import { reduceLowerings } from './reduce.js';
import { softmaxLowerings } from './softmax.js';
import { miscLowerings } from './misc.js';
import { poolLowerings } from './pool.js';
import { normLowerings } from './norm.js';
import { shapeLowerings } from './shape.js';
import { layoutLowerings } from './layout.js';
import { resizeLowerings } from './resize.js';
import { convLowerings } from './conv.js';
import { linalgLowerings } from './linalg.js';
import { matmulW4Lowerings } from './matmul-w4.js';
import { quantIntLowerings } from './quant.js';
import { qElementwiseLowerings } from './qelementwise.js';
import { qPoolLowerings } from './qpool.js';
import { qLayoutLowerings } from './qlayout.js';
import { qSoftmaxLowerings } from './qsoftmax.js';
import { qconvLowerings } from './qconv.js';
import { qlinalgLowerings } from './qlinalg.js';
import { qconvSmallLowerings } from './qconv-small.js';

/** IR op → C lowering; an op missing here cannot be compiled to C. */
export const C_LOWERINGS: Record<string, CLowering> = {
  ...elementwiseLowerings,
  ...reduceLowerings,
  ...softmaxLowerings,
  ...miscLowerings,
  ...poolLowerings,
  ...normLowerings,
  ...shapeLowerings,
  ...layoutLowerings,
  ...resizeLowerings,
  ...convLowerings,
  ...linalgLowerings,
  ...matmulW4Lowerings,
};

/** IR op → C lowering of its integer form (nodes with quantized tensors); assembled from the same family files. */
export const C_INT_LOWERINGS: Record<string, CLowering> = {
  ...quantIntLowerings,
  ...qElementwiseLowerings,
  ...qPoolLowerings,
  ...qLayoutLowerings,
  ...qSoftmaxLowerings,
  ...qconvLowerings,
  ...qlinalgLowerings,
};

/** What a target's kernels optimise for: 'speed' (blocked, vectorised, arena scratch) or 'size' (microcontrollers). */
export type KernelProfile = 'speed' | 'size';

/** Integer lowerings per kernel profile: the size profile overrides the ops whose speed kernels need scratch. */
export const C_INT_LOWERINGS_BY_PROFILE: Record<KernelProfile, Record<string, CLowering>> = {
  speed: C_INT_LOWERINGS,
  size: { ...C_INT_LOWERINGS, ...qconvSmallLowerings },
};
