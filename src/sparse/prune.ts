/** The N:M pruning step of a build: finds the prunable layers, gathers calibration statistics, prunes (magnitude, Wanda or SparseGPT), keeps the layers that lose too much dense, and reports every layer. */
import type { Graph, Node, Value } from '../ir/types.js';
import { attrInt } from '../ir/attrs.js';
import { constValue, freshName } from '../ir/graph.js';
import { runReference } from '../interp/reference.js';
import { convGeometry } from '../ops/conv.js';
import { EdgecError } from '../util/errors.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { syrkLower } from '../quant/linalg64.js';
import { layerSqnr, type InputStats } from '../quant/w4.js';
import { pruneByScore, sparseGpt, type PruneMethod } from './sparsegpt.js';

/** An N:M pattern, or dense. */
export type NmSpec = { n: number; m: number } | 'dense';

/** Options of sparsifyGraph. */
export interface SparsityOptions {
  /** Default pattern for every prunable layer. */
  n: number;
  m: number;
  method: PruneMethod;
  /** Per-layer patterns by node name (a config file), overriding the default. */
  layers?: Record<string, NmSpec>;
  /** Layers whose output SQNR on the calibration data would fall below this (dB) stay dense. */
  minSqnr?: number;
  /** Layers with fewer weights stay dense (default 1024). */
  minWeights?: number;
  /** Statistics from sparsityCalibration (then the feeds are not run again). */
  calibration?: Map<string, InputStats>;
  progress?: Progress;
}

/** One layer of the report. */
export interface SparsityLayerRow {
  name: string;
  op: string;
  /** Reduction length and outputs of the weight matrix. */
  k: number;
  outputs: number;
  /** 'N:M' when pruned, 'dense' otherwise. */
  sparsity: string;
  /** Layer output SQNR (dB) of the pruned weights on the calibration inputs (absent without calibration). */
  sqnr?: number;
  /** Why the layer stayed dense. */
  reason?: string;
}

/** What the pruning step did. */
export interface SparsityReport {
  pattern: string;
  method: PruneMethod;
  layers: SparsityLayerRow[];
  /** Weights in pruned layers, and how many of them are zero after pruning. */
  pruned_layer_weights: number;
  zero_weights: number;
}

/** Parse 'N:M' (N < M) or 'dense'. */
export function parseNm(s: string, where: string): NmSpec {
  if (s === 'dense') return 'dense';
  const m = /^(\d+):(\d+)$/.exec(s.trim());
  if (!m || +m[1] < 1 || +m[1] >= +m[2] || +m[2] > 16) throw new EdgecError(`${where}: '${s}' is not N:M with 1 <= N < M <= 16 (for example 2:4) or 'dense'`);
  return { n: +m[1], m: +m[2] };
}

/** A prunable layer: its weight matrix as W [K][N] (reduction rows, output columns) and how to write it back. */
interface Layer {
  node: Node;
  /** Input tensor, and whether its rows are NCHW planes ([C][P] per image) rather than [M][K] rows. */
  x: string;
  planar: boolean;
  k: number;
  n: number;
  w: Float64Array;
  /** Write pruned W [K][N] back as the node's weights, recording the pattern. */
  store(w: Float64Array, nm: { n: number; m: number }): void;
}

/** Write a new constant for a node's input 1 and record the N:M pattern on the tensor and the node. */
function replaceWeight(g: Graph, node: Node, data: Float32Array, nm: { n: number; m: number }, axis: number): void {
  const old = g.tensors.get(node.inputs[1])!;
  const name = freshName(g, `${node.inputs[1]}_sparse`);
  g.tensors.set(name, { name, dtype: 'float32', shape: [...old.shape], data, sparsity: { n: nm.n, m: nm.m, axis } });
  node.inputs = [node.inputs[0], name, ...node.inputs.slice(2)];
  node.attrs.sparse = { type: 'ints', value: [nm.n, nm.m] };
}

/** How each op's weights are read as W [K][N]; ops missing here are not pruned. A string says why not. */
const EXTRACTORS: Record<string, (g: Graph, node: Node) => Layer | string> = {
  Conv(g, node) {
    const w = constValue(g, node.inputs[1]);
    const x = g.tensors.get(node.inputs[0]);
    if (!w || w.dtype !== 'float32' || !x || x.dtype !== 'float32') return 'weights are not constant float32';
    const geo = convGeometry(node, x, w);
    const pointwise = geo.kernel.every((k) => k === 1) && geo.strides.every((s) => s === 1) && [...geo.padsBegin, ...geo.padsEnd].every((p) => p === 0);
    if (geo.group !== 1 || !pointwise) return 'only 1x1 stride-1 single-group convolutions have a sparse kernel';
    const [n, k] = [geo.outC, geo.inC];
    const wt = new Float64Array(k * n);
    for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) wt[i * n + o] = w.data[o * k + i];
    return {
      node, x: node.inputs[0], planar: true, k, n, w: wt,
      store: (p, nm) => replaceWeight(g, node, Float32Array.from({ length: k * n }, (_, j) => p[(j % k) * n + Math.floor(j / k)]), nm, 1),
    };
  },
  Gemm(g, node) {
    const b = constValue(g, node.inputs[1]);
    const a = g.tensors.get(node.inputs[0]);
    if (attrInt(node, 'transA', 0) || !b || b.dtype !== 'float32' || !a || a.data || a.dtype !== 'float32') return 'needs run-time float A (no transA) and constant float B';
    const transB = attrInt(node, 'transB', 0) !== 0;
    const [k, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
    const wt = Float64Array.from({ length: k * n }, (_, j) => b.data[transB ? (j % n) * k + Math.floor(j / n) : j]);
    return {
      node, x: node.inputs[0], planar: false, k, n, w: wt,
      store: (p, nm) => replaceWeight(g, node, Float32Array.from({ length: k * n }, (_, j) => (transB ? p[(j % k) * n + Math.floor(j / k)] : p[j])), nm, transB ? 1 : 0),
    };
  },
};

/** H = 2 sum x x^T (K x K) of each listed input over the calibration feeds, with column sums and row counts. */
function calibrate(g: Graph, layers: Layer[], feeds: Record<string, Value>[], progress: Progress): Map<string, InputStats> {
  const stats = new Map<string, InputStats & { planar: boolean }>();
  for (const l of layers) if (!stats.has(l.x)) stats.set(l.x, { k: l.k, h: new Float64Array(l.k * l.k), sum: new Float64Array(l.k), rows: 0, planar: l.planar });
  const add = (name: string, v: Value) => {
    const s = stats.get(name);
    if (!s) return;
    const k = s.k;
    const rows = v.data.length / k;
    // syrkLower wants the rows transposed ([K][rows]): NCHW planes already are, per image.
    const per = s.planar ? rows / v.shape[0] : rows;
    for (let b = 0; b < rows / per; b++) {
      const xt = new Float64Array(k * per);
      for (let r = 0; r < per; r++)
        for (let i = 0; i < k; i++) {
          const x = s.planar ? v.data[(b * k + i) * per + r] : v.data[(b * per + r) * k + i];
          xt[i * per + r] = x;
          s.sum[i] += x;
        }
      syrkLower(s.h, k, 0, xt, k, per, 2, per);
    }
    s.rows += rows;
  };
  progress.start('sparsity calibration', feeds.length);
  feeds.forEach((feed, i) => {
    for (const name of g.inputs) if (feed[name]) add(name, feed[name]);
    runReference(g, feed, add);
    progress.update(i + 1);
  });
  progress.stop();
  for (const s of stats.values()) for (let i = 0; i < s.k; i++) for (let j = 0; j < i; j++) s.h[j * s.k + i] = s.h[i * s.k + j];
  return stats;
}

/** Calibration statistics of every prunable layer's input, to share between several sparsifyGraph runs on clones of `g`. */
export function sparsityCalibration(g: Graph, feeds: Record<string, Value>[], progress: Progress = silentProgress): Map<string, InputStats> {
  const layers = g.nodes.map((n) => EXTRACTORS[n.op]?.(g, n)).filter((l): l is Layer => !!l && typeof l !== 'string');
  return calibrate(g, layers, feeds, progress);
}

/** Prune the graph's Conv (pointwise) and Gemm weights to N:M in place; `feeds` are needed for Wanda and SparseGPT. */
export function sparsifyGraph(g: Graph, feeds: Record<string, Value>[] | undefined, opts: SparsityOptions): SparsityReport {
  const progress = opts.progress ?? silentProgress;
  if (opts.method !== 'magnitude' && !feeds?.length && !opts.calibration) throw new EdgecError(`--sparsity-method ${opts.method} needs calibration inputs: --calib <file.npy | folder>`);
  for (const name of Object.keys(opts.layers ?? {}))
    if (!g.nodes.some((n) => n.name === name)) throw new EdgecError(`sparsity config names layer '${name}', which the compiled graph does not have (see edgec inspect --optimized)`);
  const rows: SparsityLayerRow[] = [];
  const layers: (Layer & { nm: { n: number; m: number } })[] = [];
  for (const node of g.nodes) {
    const extract = EXTRACTORS[node.op];
    if (!extract) continue;
    const spec = opts.layers?.[node.name] ?? { n: opts.n, m: opts.m };
    const l = extract(g, node);
    const dense = (reason: string, k = 0, n = 0) => rows.push({ name: node.name, op: node.op, k, outputs: n, sparsity: 'dense', reason });
    if (typeof l === 'string') dense(l);
    else if (spec === 'dense') dense('dense by configuration', l.k, l.n);
    else if (l.k % spec.m !== 0) dense(`K = ${l.k} is not a multiple of ${spec.m}`, l.k, l.n);
    else if (l.k * l.n < (opts.minWeights ?? 1024)) dense(`only ${l.k * l.n} weights`, l.k, l.n);
    else layers.push({ ...l, nm: spec });
  }
  const stats = opts.calibration ?? (feeds?.length ? calibrate(g, layers, feeds, progress) : undefined);
  let prunedWeights = 0;
  let zeros = 0;
  progress.start('prune', layers.length);
  layers.forEach((l, i) => {
    const s = stats?.get(l.x);
    const hdiag = s && Float64Array.from({ length: l.k }, (_, r) => s.h[r * l.k + r]);
    const p = opts.method === 'sparsegpt' ? sparseGpt(l.w, l.k, l.n, s!.h, l.nm.n, l.nm.m) : pruneByScore(l.w, l.k, l.n, l.nm.n, l.nm.m, opts.method === 'wanda' ? hdiag : undefined);
    const sqnr = s ? layerSqnr(s, l.w, p, l.n) : undefined;
    const row: SparsityLayerRow = { name: l.node.name, op: l.node.op, k: l.k, outputs: l.n, sparsity: `${l.nm.n}:${l.nm.m}`, sqnr };
    if (opts.minSqnr !== undefined && sqnr !== undefined && sqnr < opts.minSqnr) {
      rows.push({ ...row, sparsity: 'dense', reason: `SQNR ${sqnr.toFixed(1)} dB < ${opts.minSqnr} dB` });
    } else {
      l.store(p, l.nm);
      prunedWeights += p.length;
      zeros += p.reduce((z, v) => z + (v === 0 ? 1 : 0), 0);
      rows.push(row);
    }
    progress.update(i + 1);
  });
  progress.stop();
  return { pattern: `${opts.n}:${opts.m}`, method: opts.method, layers: rows, pruned_layer_weights: prunedWeights, zero_weights: zeros };
}

/** The per-layer table printed by `edgec build --sparsity`. */
export function formatSparsityTable(r: SparsityReport): string {
  const lines = [`sparsity ${r.pattern} (${r.method}): ${r.zero_weights} of ${r.pruned_layer_weights} weights in pruned layers are zero`];
  lines.push(`${'layer'.padEnd(32)} ${'op'.padEnd(5)} ${'K x N'.padStart(11)} ${'sparsity'.padStart(8)} ${'SQNR dB'.padStart(8)}  note`);
  for (const l of r.layers)
    lines.push(`${l.name.slice(0, 32).padEnd(32)} ${l.op.padEnd(5)} ${`${l.k}x${l.outputs}`.padStart(11)} ${l.sparsity.padStart(8)} ${(l.sqnr === undefined ? '-' : l.sqnr.toFixed(1)).padStart(8)}  ${l.reason ?? ''}`);
  return lines.join('\n');
}
