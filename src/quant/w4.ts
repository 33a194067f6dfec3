/**
 * `--quantize w4`: every MatMul/Gemm with a constant weight matrix becomes a MatMulW4 with int4 group-quantized weights
 * (GPTQ against the calibration Hessian, or round-to-nearest). Calibration runs the reference interpreter and keeps,
 * per quantizable input tensor, only H = 2 sum x^T x, the column sums and the row count (memory O(K^2), not O(data)).
 */
import type { Attr, Graph, Node, Value } from '../ir/types.js';
import { attrFloat, attrInt } from '../ir/attrs.js';
import { constValue, freshName } from '../ir/graph.js';
import { numel } from '../ir/dtype.js';
import { runReference } from '../interp/reference.js';
import { getOp } from '../ops/registry.js';
import { eliminateDeadCode } from '../passes/eliminate-dead-code.js';
import { EdgecError } from '../util/errors.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { dequantizeQuantized, rtnQuantize, type W4QuantOptions, type W4Quantized } from './rtn.js';
import { gptqQuantize } from './gptq.js';
import { packW4, w4Bytes, type W4ScaleType } from './w4-format.js';
import { syrkLower } from './linalg64.js';

/** Calibration statistics of one input tensor: H = 2 sum x^T x over its rows, the column sums, the row count. */
export interface InputStats {
  k: number;
  h: Float64Array;
  sum: Float64Array;
  rows: number;
}

/** Calibration statistics by input tensor name (reusable across quantizer runs on clones of one graph). */
export type W4Calibration = Map<string, InputStats>;

/** Options of quantizeWeightsW4. */
export interface QuantizeW4Options {
  /** Input rows per scale: 32, 64 or 128. */
  group: number;
  method: 'gptq' | 'rtn';
  /** Scale storage (default float16). */
  scaleType?: W4ScaleType;
  /** Signed int4 with zero point 8 instead of per-group 4-bit zero points (default false). */
  symmetric?: boolean;
  /** GPTQ: quantize rows by decreasing Hessian diagonal (default false). */
  actOrder?: boolean;
  /** GPTQ: diagonal dampening as a fraction of the mean diagonal (default 0.01). */
  damp?: number;
  /** GPTQ: rows per lazy-update block (default 128). */
  blockSize?: number;
  /** Layers with fewer weights (K * N) stay float (default 4096). */
  minWeights?: number;
  /** Precomputed statistics (calibrateW4); calibration feeds are then not run. */
  calibration?: W4Calibration;
  progress?: Progress;
}

/** One row of the per-layer table (JSON-ready for report.json). */
export interface W4LayerRow {
  name: string;
  op: string;
  k: number;
  n: number;
  group: number;
  method: 'gptq' | 'rtn';
  /** Float32 weight bytes (K * N * 4). */
  bytes_before: number;
  /** Packed codes + scales + zero points (the bias stays float and is not counted on either side). */
  bytes_after: number;
  /** SQNR in dB of the layer's pre-activation output (x W + b) on the calibration rows; null without calibration. */
  sqnr_db: number | null;
}

/** A MatMul/Gemm left in float, and why. */
export interface W4Skipped {
  name: string;
  op: string;
  reason: string;
}

/** What quantizeWeightsW4 did: the per-layer table of quantized layers and the MatMul/Gemm nodes kept float. */
export interface W4Report {
  layers: W4LayerRow[];
  skipped: W4Skipped[];
}

/** A layer that can become MatMulW4: its input tensor, weights [K][N] (alpha folded in) and bias (beta folded in). */
interface Candidate {
  node: Node;
  x: string;
  k: number;
  n: number;
  weight: Float64Array;
  bias?: Float32Array;
}

type Extractor = (g: Graph, node: Node) => Candidate | string;

function fromMatMul(g: Graph, node: Node): Candidate | string {
  const b = constValue(g, node.inputs[1]);
  if (!b) return 'weights are not constant';
  if (constValue(g, node.inputs[0])) return 'both operands are constant';
  if (b.shape.length !== 2) return `weights have rank ${b.shape.length}, not 2`;
  return { node, x: node.inputs[0], k: b.shape[0], n: b.shape[1], weight: Float64Array.from(b.data) };
}

function fromGemm(g: Graph, node: Node): Candidate | string {
  if (attrInt(node, 'transA', 0) !== 0) return 'transA is set';
  const b = constValue(g, node.inputs[1]);
  if (!b) return 'weights are not constant';
  if (constValue(g, node.inputs[0])) return 'both operands are constant';
  const transB = attrInt(node, 'transB', 0) !== 0;
  const [k, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  const alpha = attrFloat(node, 'alpha', 1);
  const weight = new Float64Array(k * n);
  for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) weight[p * n + j] = alpha * b.data[transB ? j * k + p : p * n + j];
  const beta = attrFloat(node, 'beta', 1);
  if (!node.inputs[2] || beta === 0) return { node, x: node.inputs[0], k, n, weight };
  const c = constValue(g, node.inputs[2]);
  if (!c) return 'bias is not constant';
  const rowConst = c.shape.length < 2 || c.shape[0] === 1;
  if (!rowConst || (numel(c.shape) !== 1 && numel(c.shape) !== n)) return `bias [${c.shape}] varies along rows`;
  const bias = Float32Array.from({ length: n }, (_, j) => beta * c.data[numel(c.shape) === 1 ? 0 : j]);
  return { node, x: node.inputs[0], k, n, weight, bias };
}

/** How each op's weights are read; ops missing here are not quantized. */
const EXTRACTORS: Record<string, Extractor> = { MatMul: fromMatMul, Gemm: fromGemm };

/** The layers that can be quantized and the MatMul/Gemm nodes that cannot (with the reason). */
function findCandidates(g: Graph, minWeights: number): { candidates: Candidate[]; skipped: W4Skipped[] } {
  const candidates: Candidate[] = [];
  const skipped: W4Skipped[] = [];
  for (const node of g.nodes) {
    const extract = EXTRACTORS[node.op];
    if (!extract) continue;
    const dtype = g.tensors.get(node.inputs[0])?.dtype;
    const c = dtype !== 'float32' ? `element type is ${dtype}, not float32` : extract(g, node);
    if (typeof c === 'string') skipped.push({ name: node.name, op: node.op, reason: c });
    else if (c.k % 2 !== 0) skipped.push({ name: node.name, op: node.op, reason: `K = ${c.k} is odd` });
    else if (c.k * c.n < minWeights) skipped.push({ name: node.name, op: node.op, reason: `only ${c.k * c.n} weights (K ${c.k} x N ${c.n} < ${minWeights})` });
    else candidates.push(c);
  }
  return { candidates, skipped };
}

/** Rows buffered per input before they are folded into H (a K x ROWS block: memory stays O(K^2 + K * ROWS)). */
const ROWS = 64;

/** Statistics being accumulated: rows wait transposed in `xt` until ROWS of them are folded into H's lower triangle. */
interface Accumulator extends InputStats {
  xt: Float64Array;
  pending: number;
}

function flush(s: Accumulator): void {
  if (s.pending) syrkLower(s.h, s.k, 0, s.xt, s.k, s.pending, 2, ROWS);
  s.pending = 0;
}

function accumulate(s: Accumulator, v: Value): void {
  const { k, xt, sum } = s;
  const rows = v.data.length / k;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) {
      const x = v.data[r * k + i];
      sum[i] += x;
      xt[i * ROWS + s.pending] = x;
    }
    if (++s.pending === ROWS) flush(s);
  }
  s.rows += rows;
}

/** Run the graph on every calibration feed and collect H = 2 sum x^T x of each quantizable layer's input. */
export function calibrateW4(g: Graph, feeds: Record<string, Value>[], progress: Progress = silentProgress, minWeights = 4096): W4Calibration {
  const acc = new Map<string, Accumulator>();
  for (const { x, k } of findCandidates(g, minWeights).candidates)
    if (!acc.has(x)) acc.set(x, { k, h: new Float64Array(k * k), sum: new Float64Array(k), rows: 0, xt: new Float64Array(k * ROWS), pending: 0 });
  const stats: W4Calibration = new Map();
  if (!acc.size) return stats;
  progress.start('calibrate', feeds.length);
  feeds.forEach((feed, i) => {
    for (const name of g.inputs) if (acc.has(name) && feed[name]) accumulate(acc.get(name)!, feed[name]);
    runReference(g, feed, (name, v) => {
      const s = acc.get(name);
      if (s) accumulate(s, v);
    });
    progress.update(i + 1);
  });
  progress.stop();
  for (const [name, s] of acc) {
    flush(s);
    const { k, h } = s;
    for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) h[j * k + i] = h[i * k + j];
    stats.set(name, { k, h, sum: s.sum, rows: s.rows });
  }
  return stats;
}

/** SQNR in dB of x W + b against x W' + b over the calibration rows, from the statistics alone. */
export function layerSqnr(s: InputStats, w: Float64Array, wq: Float64Array, n: number, bias?: Float32Array): number {
  const { k, h, sum, rows } = s;
  const d = new Float64Array(k * n);
  for (let i = 0; i < d.length; i++) d[i] = w[i] - wq[i];
  const quad = (m: Float64Array): Float64Array => {
    // Per column j: m_j^T (H / 2) m_j.
    const out = new Float64Array(n);
    const t = new Float64Array(n);
    for (let i = 0; i < k; i++) {
      t.fill(0);
      for (let l = 0; l < k; l++) {
        const c = h[i * k + l];
        if (c === 0) continue;
        for (let j = 0; j < n; j++) t[j] += c * m[l * n + j];
      }
      for (let j = 0; j < n; j++) out[j] += (m[i * n + j] * t[j]) / 2;
    }
    return out;
  };
  const noise = quad(d).reduce((a, b) => a + b, 0);
  let signal = quad(w).reduce((a, b) => a + b, 0);
  if (bias)
    for (let j = 0; j < n; j++) {
      let sw = 0;
      for (let i = 0; i < k; i++) sw += sum[i] * w[i * n + j];
      signal += 2 * bias[j] * sw + rows * bias[j] * bias[j];
    }
  return noise > 0 ? 10 * Math.log10(Math.max(signal, 1e-30) / noise) : Infinity;
}

/** Replace a candidate's node by MatMulW4 on the packed weights. */
function rewriteNode(g: Graph, c: Candidate, q: W4Quantized, opts: W4QuantOptions): number {
  const packed = packW4(c.k, c.n, opts.group, q.codes, q.scales, q.zeros, opts.scaleType);
  const node = c.node;
  const add = (stem: string, v: Value): string => {
    const name = freshName(g, `${node.name}_${stem}`);
    g.tensors.set(name, { name, ...v });
    return name;
  };
  const groups = packed.scales.length / c.n;
  const inputs = [
    c.x,
    add('w4_codes', { dtype: 'uint8', shape: [c.k / 2, c.n], data: packed.qweight }),
    add('w4_scales', { dtype: opts.scaleType === 'float16' ? 'uint16' : 'float32', shape: [groups, c.n], data: packed.scales }),
    packed.zeros ? add('w4_zeros', { dtype: 'uint8', shape: [groups, Math.ceil(c.n / 2)], data: packed.zeros }) : '',
    c.bias ? add('w4_bias', { dtype: 'float32', shape: [c.n], data: c.bias }) : '',
  ];
  while (inputs[inputs.length - 1] === '') inputs.pop();
  const int = (value: number): Attr => ({ type: 'int', value });
  const act = Object.fromEntries(Object.entries(node.attrs).filter(([name]) => name.startsWith('act')));
  node.op = 'MatMulW4';
  node.inputs = inputs;
  node.attrs = { K: int(c.k), N: int(c.n), group: int(opts.group), ...act };
  getOp('MatMulW4').infer({ node, inputs: inputs.map((t) => (t ? g.tensors.get(t) : undefined)), consts: [] });
  return w4Bytes(packed);
}

/**
 * Quantize every MatMul/Gemm with constant weights to int4 (GPTQ or RTN), in place; layers with odd K or fewer than
 * `minWeights` weights stay float and are reported. Calibration feeds (or opts.calibration) are required for GPTQ.
 */
export function quantizeWeightsW4(g: Graph, calibFeeds: Record<string, Value>[], opts: QuantizeW4Options): W4Report {
  if (![32, 64, 128].includes(opts.group)) throw new EdgecError(`--quantize w4: group ${opts.group} is not supported; use 32, 64 or 128`);
  const minWeights = opts.minWeights ?? 4096;
  const progress = opts.progress ?? silentProgress;
  const { candidates, skipped } = findCandidates(g, minWeights);
  const haveData = !!opts.calibration || calibFeeds.length > 0;
  if (opts.method === 'gptq' && !haveData && candidates.length) throw new EdgecError('--quantize w4 with GPTQ needs calibration inputs');
  const stats = opts.calibration ?? (haveData ? calibrateW4(g, calibFeeds, progress, minWeights) : new Map<string, InputStats>());
  const qopts: W4QuantOptions = { group: opts.group, scaleType: opts.scaleType ?? 'float16', symmetric: opts.symmetric ?? false };
  const layers: W4LayerRow[] = [];
  progress.start('quantize', candidates.length);
  candidates.forEach((c, i) => {
    const s = stats.get(c.x);
    if (haveData && (!s || s.k !== c.k || !s.rows)) throw new EdgecError(`node '${c.node.name}' (${c.node.op}): no calibration data reached input '${c.x}'`);
    const q = opts.method === 'gptq'
      ? gptqQuantize(c.weight, c.k, c.n, s!.h, { ...qopts, actOrder: opts.actOrder, damp: opts.damp, blockSize: opts.blockSize })
      : rtnQuantize(c.weight, c.k, c.n, qopts);
    const sqnr_db = s ? layerSqnr(s, c.weight, dequantizeQuantized(q, c.k, c.n, opts.group), c.n, c.bias) : null;
    const row = { name: c.node.name, op: c.node.op, k: c.k, n: c.n, group: opts.group, method: opts.method, bytes_before: c.k * c.n * 4 };
    layers.push({ ...row, bytes_after: rewriteNode(g, c, q, qopts), sqnr_db });
    progress.update(i + 1, c.node.name);
  });
  progress.stop();
  eliminateDeadCode.run(g, {});
  return { layers, skipped };
}

/** The per-layer table of a report as aligned text (name, K, N, group, method, bytes before/after, SQNR). */
export function formatW4Table(report: W4Report): string {
  const w = Math.min(40, Math.max(5, ...report.layers.map((l) => l.name.length), ...report.skipped.map((l) => l.name.length)));
  const lines = [`${'layer'.padEnd(w)}  ${'op'.padEnd(6)} ${'K'.padStart(5)} ${'N'.padStart(6)} group method ${'bytes'.padStart(9)} ${'w4 bytes'.padStart(9)} ratio  SQNR dB`];
  for (const l of report.layers)
    lines.push(`${l.name.slice(0, w).padEnd(w)}  ${l.op.padEnd(6)} ${String(l.k).padStart(5)} ${String(l.n).padStart(6)} ${String(l.group).padStart(5)} ${l.method.padEnd(6)} ` +
      `${String(l.bytes_before).padStart(9)} ${String(l.bytes_after).padStart(9)} ${(l.bytes_after / l.bytes_before).toFixed(3)} ${l.sqnr_db === null ? '-' : l.sqnr_db.toFixed(2).padStart(7)}`);
  for (const s of report.skipped) lines.push(`${s.name.slice(0, w).padEnd(w)}  ${s.op.padEnd(6)} kept float: ${s.reason}`);
  return lines.join('\n');
}
