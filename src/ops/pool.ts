/** Pooling ops: MaxPool and AveragePool (1-D/2-D/3-D windows), GlobalAveragePool and GlobalMaxPool. */
import type { DType, Node, TensorInfo, Value } from '../ir/types.js';
import { attrInt, attrInts } from '../ir/attrs.js';
import { readWindowAttrs, windowOutput } from './window.js';
import { allocData, numel, stridesOf } from '../ir/dtype.js';
import type { OpDef } from './registry.js';
import { nodeError, requireInput } from './util.js';
import type { QTensorInfo, QValue } from '../ir/quant.js';
import { isQuantized, requireQuant8, requireSameQuant, withIntForms, type IntForm } from './qform.js';
import { clampInt } from '../quant/fixed-point.js';
import { outputClamp } from '../quant/requant.js';
import { qRange } from '../quant/params.js';
import { meanElem, requantParams, roundedDiv, sameParams } from '../quant/kernels.js';

/** Resolved window geometry of a MaxPool/AveragePool node over the spatial dims of its input. */
export interface PoolGeometry {
  inSpatial: number[];
  outSpatial: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Padding before each spatial dim (the window of output 0 starts at -padsBegin). */
  padsBegin: number[];
  /** Padding after each spatial dim (bounds the taps AveragePool counts with count_include_pad). */
  padsEnd: number[];
  countIncludePad: boolean;
}

/** Window geometry of a MaxPool/AveragePool node (ONNX output-size rules, including ceil_mode and auto_pad). */
export function poolGeometry(node: Node, inShape: readonly number[]): PoolGeometry {
  const r = inShape.length - 2;
  if (r < 1 || r > 3) nodeError(node, `input rank ${inShape.length} is not supported; pooling needs N x C x D1 [x D2 [x D3]]`);
  const win = readWindowAttrs(node, r);
  const { kernel, strides, dilations } = win;
  const inSpatial = inShape.slice(2);
  const { outSpatial, padsBegin, padsEnd } = windowOutput(node, inSpatial, win, attrInt(node, 'ceil_mode', 0) !== 0);
  const countIncludePad = attrInt(node, 'count_include_pad', 0) !== 0;
  return { inSpatial, outSpatial, kernel, strides, dilations, padsBegin, padsEnd, countIncludePad };
}

/** The most negative value of a dtype: what MaxPool yields for a window with no input taps. */
function lowestOf(dtype: DType): number {
  switch (dtype) {
    case 'float32': return -3.4028234663852886e38;
    case 'float64': return -Number.MAX_VALUE;
    case 'int8': return -128;
    case 'int16': return -32768;
    case 'int32': return -2147483648;
    case 'int64': return -Number.MAX_SAFE_INTEGER;
    default: return 0;
  }
}

function checkInput(node: Node, inputs: readonly (TensorInfo | undefined)[], allowed: readonly DType[]): TensorInfo {
  const x = requireInput(node, inputs, 0);
  if (!allowed.includes(x.dtype) && !(isQuantized(x) && QUANT_TYPES.includes(x.dtype)))
    nodeError(node, `input type ${x.dtype} is not supported; use one of ${allowed.join(', ')}`);
  return x;
}

const QUANT_TYPES: DType[] = ['int8', 'uint8'];

const FLOATS: DType[] = ['float32', 'float64'];
const MAX_TYPES: DType[] = ['float32', 'float64', 'int8', 'uint8'];

/**
 * Visit every output position of a pooling node: `fn(o, offsets, padded)` gets the input offsets (within one plane)
 * of the taps inside the input and the number of taps inside the padded extent (what count_include_pad divides by).
 */
function forEachWindow(g: PoolGeometry, fn: (o: number, offsets: readonly number[], padded: number) => void): void {
  const r = g.kernel.length;
  const outSize = numel(g.outSpatial);
  const inStr = stridesOf(g.inSpatial);
  const outStr = stridesOf(g.outSpatial);
  const taps = numel(g.kernel);
  const kStr = stridesOf(g.kernel);
  const offsets: number[] = [];
  for (let o = 0; o < outSize; o++) {
    // Input offsets of the taps that land inside the input, and the taps inside the padded extent.
    offsets.length = 0;
    let padded = 0;
    let rem = o;
    const start = new Array<number>(r);
    for (let d = 0; d < r; d++) {
      const od = Math.floor(rem / outStr[d]);
      rem -= od * outStr[d];
      start[d] = od * g.strides[d] - g.padsBegin[d];
    }
    for (let t = 0; t < taps; t++) {
      let off = 0;
      let inside = true;
      let inPad = true;
      for (let d = 0; d < r; d++) {
        const k = Math.floor(t / kStr[d]) % g.kernel[d];
        const p = start[d] + k * g.dilations[d];
        if (p < 0 || p >= g.inSpatial[d]) inside = false;
        if (p >= g.inSpatial[d] + g.padsEnd[d]) inPad = false;
        off += p * inStr[d];
      }
      if (inside) offsets.push(off);
      if (inPad) padded++;
    }
    fn(o, offsets, padded);
  }
}

/** Float reference of windowed pooling over any number of spatial dims. */
function poolReference(node: Node, x: Value, kind: 'max' | 'avg'): Value {
  const g = poolGeometry(node, x.shape);
  const planes = x.shape[0] * x.shape[1];
  const inSize = numel(g.inSpatial);
  const outSize = numel(g.outSpatial);
  const out = allocData(x.dtype, planes * outSize);
  const lowest = lowestOf(x.dtype);
  forEachWindow(g, (o, offsets, padded) => {
    const div = g.countIncludePad ? padded : offsets.length;
    for (let c = 0; c < planes; c++) {
      const base = c * inSize;
      let acc = kind === 'max' ? lowest : 0;
      for (const off of offsets) {
        const v = x.data[base + off];
        acc = kind === 'max' ? (v > acc ? v : acc) : acc + v;
      }
      out[c * outSize + o] = kind === 'avg' && offsets.length ? acc / div : acc;
    }
  });
  return { dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...g.outSpatial], data: out };
}

/**
 * Integer reference of MaxPool and AveragePool. Max: the largest code of the window (TFLite int8 MaxPool).
 * Average with equal input/output parameters: TFLite's int8 AveragePool, the rounded mean of the raw codes, padding
 * taps counted as the zero point when count_include_pad is set (what an explicit Pad then VALID pooling computes).
 * Average with different parameters: TFLite's int8 Mean applied per window, the centred sum requantized by sx / sy
 * and then rounded-divided by the tap count. A window with no tap to divide by gives the output zero point.
 */
function intPoolReference(node: Node, x: QValue, y: QTensorInfo, kind: 'max' | 'avg'): Value {
  const g = poolGeometry(node, x.shape);
  const planes = x.shape[0] * x.shape[1];
  const inSize = numel(g.inSpatial);
  const outSize = numel(g.outSpatial);
  const out = allocData(y.dtype, planes * outSize);
  const [lo, hi] = outputClamp(node, y.quant!, y.dtype);
  const same = sameParams(x.quant, y.quant);
  const rq = requantParams(node, x.quant, y.quant);
  const lo8 = qRange(x.dtype)[0];
  forEachWindow(g, (o, offsets, padded) => {
    const count = g.countIncludePad ? padded : offsets.length;
    for (let c = 0; c < planes; c++) {
      const base = c * inSize;
      let acc = kind === 'max' ? lo8 : 0;
      for (const off of offsets) {
        const v = x.data[base + off];
        acc = kind === 'max' ? (v > acc ? v : acc) : acc + v;
      }
      let v = acc;
      if (kind === 'avg' && same) v = count ? roundedDiv(acc + (count - offsets.length) * rq.zx, count) : rq.zy;
      else if (kind === 'avg') v = count ? meanElem(rq, acc - offsets.length * rq.zx, count) : rq.zy;
      out[c * outSize + o] = clampInt(v, lo, hi);
    }
  });
  return { dtype: y.dtype, shape: [x.shape[0], x.shape[1], ...g.outSpatial], data: out };
}

/** Integer reference of GlobalAveragePool: TFLite's int8 Mean over the spatial dims (reference_integer_ops::Mean). */
export function intMean(node: Node, x: QValue, y: QTensorInfo, outer: number, n: number, inner: number): Value {
  requireQuant8(node, x, 'input 0');
  requireQuant8(node, y, 'output 0');
  const p = requantParams(node, x.quant, y.quant);
  const out = allocData(y.dtype, outer * inner);
  const [lo, hi] = qRange(y.dtype);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += x.data[(o * n + k) * inner + j] - p.zx;
      out[o * inner + j] = clampInt(meanElem(p, acc, n), lo, hi);
    }
  return { dtype: y.dtype, shape: [...y.shape], data: out };
}

function windowPool(op: 'MaxPool' | 'AveragePool', summary: string): OpDef {
  const kind = op === 'MaxPool' ? 'max' : 'avg';
  return {
    op,
    summary,
    infer({ node, inputs }) {
      const x = checkInput(node, inputs, kind === 'max' ? MAX_TYPES : FLOATS);
      const g = poolGeometry(node, x.shape);
      return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...g.outSpatial] }];
    },
    reference: (node, [x]) => [poolReference(node, x as Value, kind)],
    macs: (node, _inputs, outputs) => numel(outputs[0].shape) * numel(attrInts(node, 'kernel_shape', [1])),
  };
}

function globalPool(op: 'GlobalAveragePool' | 'GlobalMaxPool', summary: string): OpDef {
  const isMax = op === 'GlobalMaxPool';
  return {
    op,
    summary,
    infer({ node, inputs }) {
      const x = checkInput(node, inputs, isMax ? MAX_TYPES : FLOATS);
      if (x.shape.length < 3) nodeError(node, `input rank ${x.shape.length} is too small; global pooling needs N x C x D1 ...`);
      return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] }];
    },
    reference(_node, [xv]) {
      const x = xv as Value;
      const planes = x.shape[0] * x.shape[1];
      const size = numel(x.shape.slice(2));
      const out = allocData(x.dtype, planes);
      for (let c = 0; c < planes; c++) {
        let acc = isMax ? lowestOf(x.dtype) : 0;
        for (let i = c * size; i < (c + 1) * size; i++) {
          const v = x.data[i];
          acc = isMax ? (v > acc ? v : acc) : acc + v;
        }
        out[c] = isMax ? acc : acc / size;
      }
      return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)], data: out }];
    },
    macs: (_node, inputs) => (inputs[0] ? numel(inputs[0].shape) : 0),
  };
}

/** Integer forms of the pooling ops: max pooling keeps its input's parameters, averages requantize. */
const POOL_INT_FORMS: Record<string, IntForm> = {
  MaxPool: {
    quant: 'same',
    intReference(node, [x], outs) {
      requireSameQuant(node, x, outs);
      return [intPoolReference(node, x!, outs[0], 'max')];
    },
  },
  AveragePool: {
    quant: 'same',
    intReference(node, [x], [y]) {
      requireQuant8(node, x, 'input 0');
      requireQuant8(node, y, 'output 0');
      return [intPoolReference(node, x!, y, 'avg')];
    },
  },
  GlobalMaxPool: {
    quant: 'same',
    intReference(node, [x], outs) {
      requireSameQuant(node, x, outs);
      return globalPoolDef.GlobalMaxPool.reference(node, [x]);
    },
  },
  GlobalAveragePool: {
    quant: 'requant',
    intReference(node, [x], [y]) {
      const s = x!.shape;
      return [intMean(node, x!, { ...y, shape: [s[0], s[1], ...s.slice(2).map(() => 1)] }, s[0] * s[1], numel(s.slice(2)), 1)];
    },
  },
};

const globalPoolDef = {
  GlobalAveragePool: globalPool('GlobalAveragePool', 'mean over all spatial dims'),
  GlobalMaxPool: globalPool('GlobalMaxPool', 'max over all spatial dims'),
};

/** Pooling op definitions. */
export const poolOps: OpDef[] = withIntForms(
  [
    windowPool('MaxPool', 'windowed max over 1-3 spatial dims (pads, strides, dilations, ceil_mode, auto_pad)'),
    windowPool('AveragePool', 'windowed mean over 1-3 spatial dims (count_include_pad, ceil_mode, auto_pad)'),
    globalPoolDef.GlobalAveragePool,
    globalPoolDef.GlobalMaxPool,
  ],
  POOL_INT_FORMS,
);
