/** All CUDA lowerings by IR op, assembled from the per-family tables in this folder. */
import type { CudaLowering } from '../lowering.js';
import { convCudaLowerings } from './conv.js';
import { linalgCudaLowerings } from './linalg.js';
import { elementwiseCudaLowerings } from './elementwise.js';
import { layoutCudaLowerings } from './layout.js';
import { poolNormCudaLowerings } from './pool-norm.js';

/** IR op → CUDA lowering of its float form; an op missing here cannot be compiled for a CUDA target. */
export const CUDA_LOWERINGS: Record<string, CudaLowering> = {
  ...convCudaLowerings,
  ...linalgCudaLowerings,
  ...elementwiseCudaLowerings,
  ...layoutCudaLowerings,
  ...poolNormCudaLowerings,
};

/** IR op → CUDA lowering of its integer form (nodes with quantized tensors). */
export const CUDA_INT_LOWERINGS: Record<string, CudaLowering> = {};
