/** Normalization ops: BatchNormalization (inference), InstanceNormalization, LayerNormalization, LRN. */
import type { DType, Node, TensorInfo, Value } from '../ir/types.js';
import { attrFloat, attrInt } from '../ir/attrs.js';
import { allocData, numel } from '../ir/dtype.js';
import type { OpDef } from './registry.js';
import { broadcastStrides, nodeError, normAxis, requireInput } from './util.js';

const FLOATS: DType[] = ['float32', 'float64'];

function floatInput(node: Node, inputs: readonly (TensorInfo | undefined)[], minRank: number): TensorInfo {
  const x = requireInput(node, inputs, 0);
  if (!FLOATS.includes(x.dtype)) nodeError(node, `input type ${x.dtype} is not supported; use float32 or float64`);
  if (x.shape.length < minRank) nodeError(node, `input rank ${x.shape.length} is too small; the op needs rank >= ${minRank} (N x C x ...)`);
  return x;
}

/** Check that inputs first..last are per-channel vectors of C elements. */
function checkChannelParams(node: Node, inputs: readonly (TensorInfo | undefined)[], first: number, last: number, c: number): void {
  for (let i = first; i <= last; i++) {
    const p = requireInput(node, inputs, i);
    if (numel(p.shape) !== c || p.shape.length !== 1)
      nodeError(node, `input ${i} has shape [${p.shape.join(', ')}] but must be [${c}] (one value per channel)`);
  }
}

/** Sizes of a tensor seen as N x C x S (S = product of the trailing dims, 1 for rank 2). */
export function channelView(shape: readonly number[]): { n: number; c: number; s: number } {
  return { n: shape[0], c: shape[1], s: numel(shape.slice(2)) };
}

/** Leading size M, normalized size D and axis of a LayerNormalization node over `shape`. */
export function layerNormView(node: Node, shape: readonly number[]): { m: number; d: number; axis: number } {
  const axis = normAxis(node, attrInt(node, 'axis', -1), shape.length);
  return { m: numel(shape.slice(0, axis)), d: numel(shape.slice(axis)), axis };
}

const batchNorm: OpDef = {
  op: 'BatchNormalization',
  summary: 'inference batch norm: per-channel (x - mean) / sqrt(var + eps) * scale + B',
  infer({ node, inputs }) {
    const x = floatInput(node, inputs, 2);
    if (attrInt(node, 'training_mode', 0) !== 0)
      nodeError(node, 'training_mode=1 is not supported; export the model in inference (eval) mode');
    if (attrInt(node, 'spatial', 1) === 0) nodeError(node, 'spatial=0 is not supported; re-export the model at opset 9 or later');
    checkChannelParams(node, inputs, 1, 4, x.shape[1]);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
  reference(node, [xv, scale, bias, mean, variance]) {
    const x = xv as Value;
    const eps = attrFloat(node, 'epsilon', 1e-5);
    const { n, c, s } = channelView(x.shape);
    const out = allocData(x.dtype, x.data.length);
    for (let ch = 0; ch < c; ch++) {
      const a = scale!.data[ch] / Math.sqrt(variance!.data[ch] + eps);
      const b = bias!.data[ch] - mean!.data[ch] * a;
      for (let b0 = 0; b0 < n; b0++) {
        const base = (b0 * c + ch) * s;
        for (let i = base; i < base + s; i++) out[i] = x.data[i] * a + b;
      }
    }
    return [{ dtype: x.dtype, shape: [...x.shape], data: out }];
  },
  macs: (_node, inputs) => (inputs[0] ? numel(inputs[0].shape) : 0),
};

/** Mean and 1/sqrt(var + eps) of `len` elements of `x` starting at `base` (two-pass). */
function moments(x: ArrayLike<number>, base: number, len: number, eps: number): { mean: number; inv: number } {
  let sum = 0;
  for (let i = base; i < base + len; i++) sum += x[i];
  const mean = sum / len;
  let sq = 0;
  for (let i = base; i < base + len; i++) sq += (x[i] - mean) * (x[i] - mean);
  return { mean, inv: 1 / Math.sqrt(sq / len + eps) };
}

const instanceNorm: OpDef = {
  op: 'InstanceNormalization',
  summary: 'per-sample, per-channel normalization over the spatial dims, then scale and B',
  infer({ node, inputs }) {
    const x = floatInput(node, inputs, 3);
    checkChannelParams(node, inputs, 1, 2, x.shape[1]);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
  reference(node, [xv, scale, bias]) {
    const x = xv as Value;
    const eps = attrFloat(node, 'epsilon', 1e-5);
    const { n, c, s } = channelView(x.shape);
    const out = allocData(x.dtype, x.data.length);
    for (let p = 0; p < n * c; p++) {
      const ch = p % c;
      const { mean, inv } = moments(x.data, p * s, s, eps);
      const a = scale!.data[ch] * inv;
      for (let i = p * s; i < (p + 1) * s; i++) out[i] = (x.data[i] - mean) * a + bias!.data[ch];
    }
    return [{ dtype: x.dtype, shape: [...x.shape], data: out }];
  },
  macs: (_node, inputs) => (inputs[0] ? 3 * numel(inputs[0].shape) : 0),
};

/** Check that a LayerNormalization Scale/B shape broadcasts to the normalized shape. */
function checkNormBroadcast(node: Node, p: TensorInfo, normShape: readonly number[], i: number): void {
  const ok = p.shape.length <= normShape.length &&
    p.shape.every((d, k) => d === 1 || d === normShape[normShape.length - p.shape.length + k]);
  if (!ok) nodeError(node, `input ${i} has shape [${p.shape.join(', ')}], which does not broadcast to the normalized shape [${normShape.join(', ')}]`);
}

const layerNorm: OpDef = {
  op: 'LayerNormalization',
  summary: 'normalization over the trailing dims from axis, then Scale and optional B',
  infer({ node, inputs }) {
    const x = floatInput(node, inputs, 1);
    const { axis } = layerNormView(node, x.shape);
    const normShape = x.shape.slice(axis);
    checkNormBroadcast(node, requireInput(node, inputs, 1), normShape, 1);
    if (inputs[2]) checkNormBroadcast(node, inputs[2], normShape, 2);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
  reference(node, [xv, scale, bias]) {
    const x = xv as Value;
    const eps = attrFloat(node, 'epsilon', 1e-5);
    const { m, d, axis } = layerNormView(node, x.shape);
    const normShape = x.shape.slice(axis);
    const sStr = broadcastStrides(scale!.shape, normShape);
    const bStr = bias ? broadcastStrides(bias.shape, normShape) : undefined;
    // Offsets into Scale and B for each normalized position.
    const sOff = new Int32Array(d);
    const bOff = new Int32Array(d);
    for (let j = 0; j < d; j++) {
      let rem = j;
      for (let k = normShape.length - 1; k >= 0; k--) {
        const idx = rem % normShape[k];
        rem = Math.floor(rem / normShape[k]);
        sOff[j] += idx * sStr[k];
        if (bStr) bOff[j] += idx * bStr[k];
      }
    }
    const out = allocData(x.dtype, x.data.length);
    for (let r = 0; r < m; r++) {
      const { mean, inv } = moments(x.data, r * d, d, eps);
      for (let j = 0; j < d; j++) {
        const i = r * d + j;
        out[i] = (x.data[i] - mean) * inv * scale!.data[sOff[j]] + (bias ? bias.data[bOff[j]] : 0);
      }
    }
    return [{ dtype: x.dtype, shape: [...x.shape], data: out }];
  },
  macs: (_node, inputs) => (inputs[0] ? 3 * numel(inputs[0].shape) : 0),
};

/** LRN attributes with ONNX defaults; size is required. */
export function lrnParams(node: Node): { size: number; alpha: number; beta: number; bias: number } {
  const size = attrInt(node, 'size');
  if (size === undefined || size < 1) nodeError(node, "attribute 'size' is missing or < 1; give the number of channels to sum over");
  return { size, alpha: attrFloat(node, 'alpha', 1e-4), beta: attrFloat(node, 'beta', 0.75), bias: attrFloat(node, 'bias', 1) };
}

const lrn: OpDef = {
  op: 'LRN',
  summary: 'local response normalization across channels',
  infer({ node, inputs }) {
    const x = floatInput(node, inputs, 3);
    lrnParams(node);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
  reference(node, [xv]) {
    const x = xv as Value;
    const { size, alpha, beta, bias } = lrnParams(node);
    const { n, c, s } = channelView(x.shape);
    const lo = Math.floor((size - 1) / 2);
    const hi = Math.ceil((size - 1) / 2);
    const out = allocData(x.dtype, x.data.length);
    for (let b = 0; b < n; b++)
      for (let ch = 0; ch < c; ch++)
        for (let i = 0; i < s; i++) {
          let sq = 0;
          for (let k = Math.max(0, ch - lo); k <= Math.min(c - 1, ch + hi); k++) {
            const v = x.data[(b * c + k) * s + i];
            sq += v * v;
          }
          const o = (b * c + ch) * s + i;
          out[o] = x.data[o] / Math.pow(bias + (alpha / size) * sq, beta);
        }
    return [{ dtype: x.dtype, shape: [...x.shape], data: out }];
  },
  macs: (node, inputs) => (inputs[0] ? numel(inputs[0].shape) * (attrInt(node, 'size', 1) + 2) : 0),
};

/** Normalization op definitions. */
export const normOps: OpDef[] = [batchNorm, instanceNorm, layerNorm, lrn];
