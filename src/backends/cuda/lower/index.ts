/** All CUDA lowerings by IR op, assembled from the per-family tables in this folder. */
import type { CudaLowering } from '../lowering.js';
import { nodeError } from '../../../ops/util.js';
import { convCudaLowerings } from './conv.js';
import { linalgCudaLowerings } from './linalg.js';
import { elementwiseCudaLowerings } from './elementwise.js';
import { layoutCudaLowerings } from './layout.js';
import { poolNormCudaLowerings } from './pool-norm.js';
import { qCudaLowerings } from './qconv.js';
import { reduceCudaLowerings } from './reduce.js';
import { qOpsCudaLowerings } from './qops.js';

/** IR op → CUDA lowering of its float form; an op missing here cannot be compiled for a CUDA target. */
export const CUDA_LOWERINGS: Record<string, CudaLowering> = {
  ...convCudaLowerings,
  ...linalgCudaLowerings,
  ...elementwiseCudaLowerings,
  ...layoutCudaLowerings,
  ...poolNormCudaLowerings,
  ...reduceCudaLowerings,
};

/** A data-movement lowering for integer tensors whose output keeps the input's scale and zero point. */
function sameQuant(l: CudaLowering): CudaLowering {
  return {
    lower(ctx) {
      const [x, y] = [ctx.input(0), ctx.output(0)];
      const same = x?.quant && y.quant && x.quant.scale.length === y.quant.scale.length && x.quant.scale.every((s, i) => s === y.quant!.scale[i] && x.quant!.zeroPoint[i] === y.quant!.zeroPoint[i]);
      if (!same) nodeError(ctx.node, 'integer data movement with different input and output quantization has no CUDA kernel; requantize first');
      l.lower(ctx);
    },
  };
}

/** IR op → CUDA lowering of its integer form (nodes with quantized tensors). */
export const CUDA_INT_LOWERINGS: Record<string, CudaLowering> = {
  ...qCudaLowerings,
  ...qOpsCudaLowerings,
  // Pure data movement keeps its input's parameters (the 'same' quantization policy): the float lowerings move bytes.
  ...Object.fromEntries(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Transpose', 'Slice', 'Gather', 'Expand', 'Tile', 'DepthToSpace', 'SpaceToDepth'].map((op) => [op, sameQuant(layoutCudaLowerings[op])])),
};
