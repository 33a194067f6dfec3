/** MatMulW4: x[..., K] times int4 group-quantized weights [K, N] (+ bias), fused activation; see quant/w4-format.ts. */
import type { Node, TensorInfo, Value } from '../ir/types.js';
import { attrInt } from '../ir/attrs.js';
import type { OpDef } from './registry.js';
import { nodeError, requireInput } from './util.js';
import { applyFusedActivation } from './activation.js';
import { dequantizeW4, w4Groups, type W4Weights } from '../quant/w4-format.js';

/** K, N and group of a MatMulW4 node from its attributes. */
export interface W4Geometry {
  k: number;
  n: number;
  group: number;
}

/** The node's K, N and group, checked. */
export function w4Geometry(node: Node): W4Geometry {
  const k = attrInt(node, 'K');
  const n = attrInt(node, 'N');
  const group = attrInt(node, 'group');
  if (k === undefined || n === undefined || group === undefined) nodeError(node, 'attributes K, N and group are required');
  if (k <= 0 || k % 2 !== 0) nodeError(node, `K = ${k} must be a positive even number (two int4 codes per byte)`);
  if (n <= 0 || group <= 0 || group % 2 !== 0) nodeError(node, `N = ${n} and group = ${group} must be positive, group even`);
  return { k, n, group };
}

function expectShape(node: Node, what: string, t: TensorInfo | undefined, dtypes: string[], shape: number[]): void {
  if (!t) return;
  if (!dtypes.includes(t.dtype)) nodeError(node, `${what} must be ${dtypes.join(' or ')}, not ${t.dtype}`);
  if (t.shape.join('x') !== shape.join('x')) nodeError(node, `${what} has shape [${t.shape}], expected [${shape}]`);
}

function checkInputs(node: Node, inputs: (TensorInfo | undefined)[]): W4Geometry {
  const g = w4Geometry(node);
  const x = requireInput(node, inputs, 0);
  if (x.dtype !== 'float32') nodeError(node, `input x must be float32, not ${x.dtype}`);
  if (!x.shape.length || x.shape[x.shape.length - 1] !== g.k) nodeError(node, `input x [${x.shape}] must end in K = ${g.k}`);
  const groups = w4Groups(g.k, g.group);
  expectShape(node, 'packed weights (input 1)', requireInput(node, inputs, 1), ['uint8'], [g.k / 2, g.n]);
  expectShape(node, 'scales (input 2)', requireInput(node, inputs, 2), ['uint16', 'float32'], [groups, g.n]);
  expectShape(node, 'zero points (input 3)', inputs[3], ['uint8'], [groups, Math.ceil(g.n / 2)]);
  expectShape(node, 'bias (input 4)', inputs[4], ['float32'], [g.n]);
  return g;
}

/** The W4Weights a node's constant inputs describe. */
export function w4WeightsOf(node: Node, [, q, s, z]: (Value | undefined)[]): W4Weights {
  const g = w4Geometry(node);
  if (!q || !s) nodeError(node, 'packed weights and scales are required');
  return { ...g, qweight: q.data as Uint8Array, scales: s.data as Uint16Array | Float32Array, zeros: z?.data as Uint8Array | undefined };
}

function reference(node: Node, ins: (Value | undefined)[]): Value[] {
  const [xv, , , , bv] = ins;
  const x = xv as Value;
  const { k, n } = w4Geometry(node);
  const w = dequantizeW4(w4WeightsOf(node, ins));
  const m = x.data.length / k;
  const out: Value = { dtype: 'float32', shape: [...x.shape.slice(0, -1), n], data: new Float32Array(m * n) };
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    if (bv) for (let j = 0; j < n; j++) row[j] = bv.data[j];
    else row.fill(0);
    for (let p = 0; p < k; p++) {
      const a = x.data[i * k + p];
      if (a === 0) continue;
      for (let j = 0; j < n; j++) row[j] += a * w[p * n + j];
    }
    out.data.set(row, i * n);
  }
  applyFusedActivation(node, out);
  return [out];
}

/** Registry entry of MatMulW4. */
export const matmulW4Ops: OpDef[] = [
  {
    op: 'MatMulW4',
    summary: 'x[..., K] times int4 group-quantized weights (float16/float32 group scales, 4-bit zero points) + bias; fused activation',
    infer({ node, inputs }) {
      const g = checkInputs(node, inputs);
      const x = inputs[0] as TensorInfo;
      return [{ dtype: 'float32', shape: [...x.shape.slice(0, -1), g.n] }];
    },
    reference,
    macs(node, inputs) {
      const x = inputs[0];
      if (!x) return 0;
      const { k, n } = w4Geometry(node);
      return (x.shape.reduce((a, b) => a * b, 1) / k) * k * n;
    },
  },
];
