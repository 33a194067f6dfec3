/** Softmax and LogSoftmax, with both ONNX semantics: opset >= 13 (one axis) and opset < 13 (coerce2d: flatten at axis). */
import type { Node, Value } from '../ir/types.js';
import { attrInt } from '../ir/attrs.js';
import { numel } from '../ir/dtype.js';
import type { OpDef } from './registry.js';
import { makeValue, nodeError, normAxis, requireInput } from './util.js';

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
      if (x.dtype !== 'float32' && x.dtype !== 'float64') nodeError(node, `input type ${x.dtype} is not supported; ${op} takes float tensors`);
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

/** Registry entries of Softmax and LogSoftmax. */
export const softmaxOps: OpDef[] = [softmaxDef('Softmax'), softmaxDef('LogSoftmax')];
