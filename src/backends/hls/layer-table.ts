/** The HLS layer tables: IR op → lowering, for integer nodes and for float islands (a missing op cannot be built). */
import { lowerConcat, lowerConv, lowerElementwise, lowerGemm, lowerGlobalAvgPool, lowerLookup, lowerMatMul, lowerPool, lowerSoftmax, type HlsLowering } from './layers.js';
import { lowerDequantize, lowerLayerNorm, lowerQuantize } from './layers-quant.js';

/** Integer op → HLS layer. */
export const HLS_INT_LAYERS: Record<string, HlsLowering> = {
  Conv: lowerConv,
  Gemm: lowerGemm,
  MatMul: lowerMatMul,
  Add: lowerElementwise,
  Sub: lowerElementwise,
  Mul: lowerElementwise,
  Relu: lowerElementwise,
  Clip: lowerElementwise,
  LeakyRelu: lowerElementwise,
  LookupTable: lowerLookup,
  GlobalAveragePool: lowerGlobalAvgPool,
  MaxPool: lowerPool(true),
  AveragePool: lowerPool(false),
  Softmax: lowerSoftmax,
  Concat: lowerConcat,
  Quantize: lowerQuantize,
  Dequantize: lowerDequantize,
};

/** Float op → HLS layer (float islands the quantizer left between Dequantize and Quantize). */
export const HLS_FLOAT_LAYERS: Record<string, HlsLowering> = { LayerNormalization: lowerLayerNorm };
