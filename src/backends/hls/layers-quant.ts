/** HLS layers of the quantization boundary and float islands: Quantize, Dequantize and LayerNormalization. */
import type { Node, QuantParams } from '../../ir/types.js';
import { numel } from '../../ir/dtype.js';
import { attrFloat, attrInt, attrString } from '../../ir/attrs.js';
import { nodeError } from '../../ops/util.js';
import { qRange } from '../../quant/params.js';
import { activation, constArray, constValue, doubleLit, floatLit, need, SEQUENTIAL, WRITES_IN_ORDER, type HlsCtx, type HlsLayerPlan } from './layers.js';

/** Quantize as C++ on one float expression: TFLite/ONNX rounding of x / scale, saturated, plus the zero point. */
export function quantizeExpr(node: Node, qp: QuantParams, x: string): string {
  if (qp.scale.length !== 1) nodeError(node, 'per-channel Quantize is not supported by the HLS backend');
  const [qmin, qmax] = qRange('int8');
  const z = qp.zeroPoint[0];
  const round = attrString(node, 'rounding', 'half_to_even') === 'half_to_even' ? 'rintf' : 'roundf';
  return `(int8_t)((int32_t)fminf(fmaxf(${round}(${x} / ${floatLit(qp.scale[0])}), (float)(${qmin - z})), (float)(${qmax - z})) + (${z}))`;
}

/** Dequantize as C++ on one int8 expression: (q - z) * scale in float. */
export function dequantizeExpr(node: Node, qp: QuantParams, x: string): string {
  if (qp.scale.length !== 1) nodeError(node, 'per-channel Dequantize is not supported by the HLS backend');
  return `(float)((int32_t)${x} - (${qp.zeroPoint[0]})) * ${floatLit(qp.scale[0])}`;
}

/** HLS layer of an in-design Quantize (float island back to int8). */
export function lowerQuantize(ctx: HlsCtx): HlsLayerPlan {
  const x = activation(ctx, 0);
  const y = ctx.output(0);
  if (y.info.dtype !== 'int8') nodeError(ctx.node, `Quantize to ${y.info.dtype}: the HLS backend takes int8`);
  const n = numel(y.info.shape);
  return {
    cost: { macs: 0, steps: n, multsDense: 0, multsNonzero: 0, requantPerStep: 0, fixedDsp: 8, weightBits: 0, depth: 30, reusable: false },
    render: () => [`for (int i = 0; i < ${n}; i++) {`, '#pragma HLS PIPELINE II = 1', `  y0[i] = ${quantizeExpr(ctx.node, y.quant!, `${x}[i]`)};`, '}'],
    order: SEQUENTIAL,
  };
}

/** HLS layer of an in-design Dequantize (int8 into a float island). */
export function lowerDequantize(ctx: HlsCtx): HlsLayerPlan {
  const x = need(ctx, 0);
  const n = numel(x.info.shape);
  return {
    cost: { macs: 0, steps: n, multsDense: 0, multsNonzero: 0, requantPerStep: 0, fixedDsp: 3, weightBits: 0, depth: 8, reusable: false },
    render: () => [`for (int i = 0; i < ${n}; i++) {`, '#pragma HLS PIPELINE II = 1', `  y0[i] = ${dequantizeExpr(ctx.node, x.quant!, `${x.param}[i]`)};`, '}'],
    order: SEQUENTIAL,
  };
}

/**
 * LayerNormalization of a float island between Dequantize and Quantize: the reference's arithmetic in double (two-pass
 * moments, 1/sqrt(var + eps)), rounded to float once per output, so C simulation equals the reference.
 */
export function lowerLayerNorm(ctx: HlsCtx): HlsLayerPlan {
  const x = need(ctx, 0);
  const scale = constValue(ctx, 1, 'Scale');
  const bias = ctx.input(2) ? constValue(ctx, 2, 'B') : undefined;
  const shape = x.info.shape;
  const axisAttr = attrInt(ctx.node, 'axis', -1);
  const axis = axisAttr < 0 ? axisAttr + shape.length : axisAttr;
  const m = numel(shape.slice(0, axis));
  const d = numel(shape.slice(axis));
  if (numel(scale.shape) !== d || (bias && numel(bias.shape) !== d)) nodeError(ctx.node, 'the HLS layer norm takes Scale and B with one value per normalized element');
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  return {
    cost: { macs: 3 * m * d, steps: 3 * m * d, multsDense: 0, multsNonzero: 0, requantPerStep: 0, fixedDsp: 3 * 11, weightBits: 64 * d, depth: 80, reusable: false },
    render: () => [
      constArray('float', 'scale', scale.data), constArray('float', 'bias', bias ? bias.data : new Float32Array(d)),
      `rows: for (int r = 0; r < ${m}; r++) {`,
      '  double sum = 0, sq = 0;',
      `  for (int j = 0; j < ${d}; j++) sum += (double)${x.param}[r * ${d} + j];`,
      `  const double mean = sum / ${d};`,
      `  for (int j = 0; j < ${d}; j++) { const double c = (double)${x.param}[r * ${d} + j] - mean; sq += c * c; }`,
      `  const double inv = 1.0 / sqrt(sq / ${d} + ${doubleLit(eps)});`,
      `  for (int j = 0; j < ${d}; j++) {`,
      '#pragma HLS PIPELINE II = 1',
      `    y0[r * ${d} + j] = (float)(((double)${x.param}[r * ${d} + j] - mean) * inv * (double)scale[j] + (double)bias[j]);`,
      '  }',
      '}',
    ],
    order: WRITES_IN_ORDER,
  };
}

