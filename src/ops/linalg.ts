/** Gemm and MatMul: shape rules (numpy batching for MatMul, transposes and C broadcast for Gemm), float reference, MACs. */
import type { Node, TensorInfo, Value } from '../ir/types.js';
import { attrFloat, attrInt } from '../ir/attrs.js';
import { allocData, numel, stridesOf } from '../ir/dtype.js';
import type { OpDef } from './registry.js';
import { broadcastShapes, broadcastStrides, nodeError, requireInput } from './util.js';
import { applyFusedActivation } from './activation.js';
import { gemmIntReference, matmulIntReference } from './linalg-int.js';

/** Resolved shapes of a MatMul: batch broadcast plus one M x K by K x N product per batch entry. */
export interface MatMulGeometry {
  m: number;
  k: number;
  n: number;
  /** Broadcast batch shape of the output (without the promoted 1-D dims). */
  batch: number[];
  /** Per output batch entry: element offsets of the A and B matrices. */
  aOffsets: number[];
  bOffsets: number[];
  outShape: number[];
}

const NUMERIC = new Set(['float32', 'float64', 'int32', 'int64', 'uint32', 'int8', 'uint8', 'int16', 'uint16']);

/** Geometry of a MatMul from its operand shapes (numpy matmul: 1-D operands promoted, batch dims broadcast). */
export function matmulGeometry(node: Node, a: readonly number[], b: readonly number[]): MatMulGeometry {
  if (!a.length || !b.length) nodeError(node, 'operands must have rank >= 1 (scalars cannot be multiplied as matrices)');
  const a2 = a.length === 1 ? [1, a[0]] : [...a];
  const b2 = b.length === 1 ? [b[0], 1] : [...b];
  const [m, k] = a2.slice(-2);
  const [kb, n] = b2.slice(-2);
  if (k !== kb) nodeError(node, `inner dims differ: A is [${a}] and B is [${b}] (A's last dim must equal B's ${b.length === 1 ? 'only' : 'second-to-last'} dim)`);
  const aBatch = a2.slice(0, -2);
  const bBatch = b2.slice(0, -2);
  const batch = broadcastShapes(node, [aBatch, bBatch]);
  const nb = numel(batch);
  const as = broadcastStrides(aBatch, batch);
  const bs = broadcastStrides(bBatch, batch);
  const bst = stridesOf(batch);
  const aOffsets: number[] = [];
  const bOffsets: number[] = [];
  for (let i = 0; i < nb; i++) {
    let ao = 0;
    let bo = 0;
    for (let d = 0; d < batch.length; d++) {
      const c = Math.floor(i / bst[d]) % batch[d];
      ao += c * as[d];
      bo += c * bs[d];
    }
    aOffsets.push(ao * m * k);
    bOffsets.push(bo * k * n);
  }
  const outShape = [...batch, ...(a.length === 1 ? [] : [m]), ...(b.length === 1 ? [] : [n])];
  return { m, k, n, batch, aOffsets, bOffsets, outShape };
}

/** Resolved Gemm: Y[M,N] = alpha * A' B' + beta * C with A' = transA ? A^T : A and B' likewise. */
export interface GemmGeometry {
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
}

/** Geometry of a Gemm node from its operand types; checks C broadcasts to [M, N]. */
export function gemmGeometry(node: Node, a: TensorInfo, b: TensorInfo, c?: TensorInfo): GemmGeometry {
  if (a.shape.length !== 2 || b.shape.length !== 2) nodeError(node, `A [${a.shape}] and B [${b.shape}] must both be 2-D`);
  const transA = attrInt(node, 'transA', 0) !== 0;
  const transB = attrInt(node, 'transB', 0) !== 0;
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [kb, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (k !== kb) nodeError(node, `inner dims differ: op(A) is ${m}x${k} and op(B) is ${kb}x${n}; check transA/transB`);
  if (c) {
    const s = c.shape;
    const ok = s.length <= 2 && s.every((d, i) => d === 1 || d === [m, n][i + 2 - s.length]);
    if (!ok) nodeError(node, `C shape [${s}] does not broadcast to [${m}, ${n}]`);
    const want = a.dtype === 'int8' ? ['int32', 'int16'] : [a.dtype];
    if (!want.includes(c.dtype)) nodeError(node, `C type ${c.dtype} must be ${want.join(' or ')} for ${a.dtype} A`);
  }
  return { m, k, n, transA, transB, alpha: attrFloat(node, 'alpha', 1), beta: attrFloat(node, 'beta', 1) };
}

/** Store a double accumulator as the element type (integers truncate toward zero). */
function storeAs(out: Value, i: number, v: number): void {
  out.data[i] = out.dtype === 'float32' || out.dtype === 'float64' ? v : Math.trunc(v);
}

/** Float reference of MatMul (exact for float64 integers below 2^53). */
export function matmulReference(node: Node, [av, bv]: (Value | undefined)[]): Value[] {
  const a = av as Value;
  const b = bv as Value;
  const g = matmulGeometry(node, a.shape, b.shape);
  const out: Value = { dtype: a.dtype, shape: g.outShape, data: allocData(a.dtype, numel(g.outShape)) };
  const row = new Float64Array(g.n);
  const ad = a.data;
  const bd = b.data;
  g.aOffsets.forEach((ao, bi) => {
    const bo = g.bOffsets[bi];
    for (let i = 0; i < g.m; i++) {
      row.fill(0);
      for (let p = 0; p < g.k; p++) {
        const x = ad[ao + i * g.k + p];
        if (x === 0) continue;
        const bb = bo + p * g.n;
        for (let j = 0; j < g.n; j++) row[j] += x * bd[bb + j];
      }
      const ob = (bi * g.m + i) * g.n;
      for (let j = 0; j < g.n; j++) storeAs(out, ob + j, row[j]);
    }
  });
  applyFusedActivation(node, out);
  return [out];
}

/** Float reference of Gemm (exact for float64 integers below 2^53 with alpha = beta = 1). */
export function gemmReference(node: Node, [av, bv, cv]: (Value | undefined)[]): Value[] {
  const a = av as Value;
  const b = bv as Value;
  const g = gemmGeometry(node, a, b, cv);
  const { m, k, n } = g;
  const out: Value = { dtype: a.dtype, shape: [m, n], data: allocData(a.dtype, m * n) };
  const [ars, acs] = g.transA ? [1, m] : [k, 1];
  const [brs, bcs] = g.transB ? [1, k] : [n, 1];
  const cs = cv ? broadcastStrides(cv.shape, [m, n]) : [0, 0];
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const x = a.data[i * ars + p * acs];
      if (x === 0) continue;
      for (let j = 0; j < n; j++) row[j] += x * b.data[p * brs + j * bcs];
    }
    for (let j = 0; j < n; j++) {
      let v = g.alpha * row[j];
      if (cv && g.beta !== 0) v += g.beta * cv.data[i * cs[0] + j * cs[1]];
      storeAs(out, i * n + j, v);
    }
  }
  applyFusedActivation(node, out);
  return [out];
}

export const linalgOps: OpDef[] = [
  {
    op: 'MatMul',
    summary: 'numpy matrix product: 1-D operands, broadcast batch dims; fused activation',
    infer({ node, inputs }) {
      const a = requireInput(node, inputs, 0);
      const b = requireInput(node, inputs, 1);
      if (a.dtype !== b.dtype) nodeError(node, `operand types ${a.dtype} and ${b.dtype} differ`);
      if (!NUMERIC.has(a.dtype)) nodeError(node, `type ${a.dtype} is not supported; MatMul takes float or integer tensors`);
      return [{ dtype: a.dtype, shape: matmulGeometry(node, a.shape, b.shape).outShape }];
    },
    reference: matmulReference,
    quant: 'requant',
    intReference: (node, inputs, outputs) => matmulIntReference(matmulReference, node, inputs, outputs),
    macs(node, inputs) {
      const [a, b] = inputs;
      if (!a || !b) return 0;
      const g = matmulGeometry(node, a.shape, b.shape);
      return g.aOffsets.length * g.m * g.k * g.n;
    },
  },
  {
    op: 'Gemm',
    summary: 'Y = alpha * op(A) op(B) + beta * C with transA/transB and broadcast C; fused activation',
    infer({ node, inputs }) {
      const a = requireInput(node, inputs, 0);
      const b = requireInput(node, inputs, 1);
      if (a.dtype !== b.dtype) nodeError(node, `operand types ${a.dtype} and ${b.dtype} differ`);
      if (!NUMERIC.has(a.dtype)) nodeError(node, `type ${a.dtype} is not supported; Gemm takes float or integer tensors`);
      const g = gemmGeometry(node, a, b, inputs[2]);
      return [{ dtype: a.dtype, shape: [g.m, g.n] }];
    },
    reference: gemmReference,
    quant: 'requant',
    intReference: (node, inputs, outputs) => gemmIntReference(gemmReference, node, inputs, outputs),
    macs(node, inputs) {
      const [a, b, c] = inputs;
      if (!a || !b) return 0;
      const g = gemmGeometry(node, a, b, c);
      return g.m * g.k * g.n;
    },
  },
];
