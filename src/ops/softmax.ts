/** Softmax and LogSoftmax, with both ONNX semantics: opset >= 13 (one axis) and opset < 13 (coerce2d: flatten at axis). */
import type { Node, Value } from '../ir/types.js';
import { attrInt } from '../ir/attrs.js';
import { numel } from '../ir/dtype.js';
import type { OpDef } from './registry.js';
import { makeValue, nodeError, normAxis, requireInput } from './util.js';
import type { QTensorInfo, QValue } from '../ir/quant.js';
import { isQuantized, requireQuant8, withIntForms, type IntForm } from './qform.js';
import { softmaxOutputQuant, softmaxParams, softmaxRow } from '../quant/softmax.js';

/** A softmax as [outer, n, inner]: normalise over n elements spaced `inner` apart. */
export interface SoftmaxPlan {
  outer: number;
  n: number;
  inner: number;
}

/** Resolve axis/coerce2d against a shape; coerce2d=1 normalises over all dims from axis on. */
export function softmaxPlan(node: Node, shape: readonly number[]): SoftmaxPlan {
  const rank = shape.length;
  const coerce = attrInt(node, 'coerce2d', 0) !== 0;
  if (rank === 0) return { outer: 1, n: 1, inner: 1 };
  const axisAttr = attrInt(node, 'axis', coerce ? 1 : -1);
  // Opset < 13 allows axis == rank (each element is its own row).
  const axis = coerce && axisAttr === rank ? rank : normAxis(node, axisAttr, rank);
  const outer = numel(shape.slice(0, axis));
  if (coerce) return { outer, n: numel(shape.slice(axis)), inner: 1 };
  return { outer, n: shape[axis], inner: numel(shape.slice(axis + 1)) };
}

function softmaxDef(op: 'Softmax' | 'LogSoftmax'): OpDef {
  const log = op === 'LogSoftmax';
  return {
    op,
    summary: `${log ? 'log-' : ''}softmax along an axis (opset < 13: over the flattened trailing dims)`,
    infer({ node, inputs }) {
      const x = requireInput(node, inputs, 0);
      const int8 = !log && x.dtype === 'int8' && isQuantized(x);
      if (x.dtype !== 'float32' && x.dtype !== 'float64' && !int8) nodeError(node, `input type ${x.dtype} is not supported; ${op} takes float tensors`);
      softmaxPlan(node, x.shape);
      return [{ dtype: x.dtype, shape: [...x.shape] }];
    },
    reference(node, [x]) {
      const v = x as Value;
      const { outer, n, inner } = softmaxPlan(node, v.shape);
      const out = makeValue(v.dtype, [...v.shape]);
      const d = v.data;
      const e = new Float64Array(n);
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < inner; j++) {
          const base = o * n * inner + j;
          let m = -Infinity;
          for (let k = 0; k < n; k++) m = Math.max(m, d[base + k * inner]);
          let s = 0;
          for (let k = 0; k < n; k++) s += e[k] = Math.exp(d[base + k * inner] - m);
          const ls = Math.log(s);
          for (let k = 0; k < n; k++) out.data[base + k * inner] = log ? d[base + k * inner] - m - ls : e[k] / s;
        }
      return [out];
    },
  };
}

/** Check the int8 softmax's tensors: int8 per-tensor input, output fixed at scale 1/256 and zero point -128. */
export function checkIntSoftmax(node: Node, x: QTensorInfo | undefined, y: QTensorInfo): void {
  requireQuant8(node, x, 'input 0');
  const q = requireQuant8(node, y, 'output 0');
  if (x!.dtype !== 'int8' || y.dtype !== 'int8') nodeError(node, `integer Softmax takes int8 in and out, not ${x!.dtype} -> ${y.dtype}`);
  const want = softmaxOutputQuant();
  if (q.scale[0] !== want.scale[0] || q.zeroPoint[0] !== want.zeroPoint[0])
    nodeError(node, `int8 output must have scale 1/256 and zero point -128 (TFLite's fixed softmax output), not ${q.scale[0]} / ${q.zeroPoint[0]}`);
}

/**
 * Integer Softmax: TFLite's reference int8 softmax (gemmlowp fixed-point exp, as TFLite Micro runs it) along the
 * node's axis, with beta 1. The output quantization is fixed: scale 1/256, zero point -128.
 */
const softmaxInt: IntForm = {
  quant: 'requant',
  intOutputQuant: softmaxOutputQuant,
  intReference(node, [xv], [y]) {
    const x = xv as QValue;
    checkIntSoftmax(node, x, y);
    const p = softmaxParams(node, x.quant);
    const { outer, n, inner } = softmaxPlan(node, x.shape);
    const out = makeValue('int8', [...x.shape]);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        const base = o * n * inner + j;
        softmaxRow(p, n, (k) => x.data[base + k * inner], (k, v) => (out.data[base + k * inner] = v));
      }
    return [out];
  },
};

/** Registry entries of Softmax and LogSoftmax. */
export const softmaxOps: OpDef[] = withIntForms([softmaxDef('Softmax'), softmaxDef('LogSoftmax')], { Softmax: softmaxInt });
