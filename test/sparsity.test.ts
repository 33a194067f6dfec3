/** N:M sparsity: compressed storage round trips, the three pruning methods, and the sparse C kernels (float within rounding, int8 bit-exact with the integer reference). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import type { Value } from '../src/ir/types.js';
import { cloneGraph } from '../src/ir/graph.js';
import { isNm, packNm, unpackNm } from '../src/sparse/nm.js';
import { pruneByScore, sparseGpt } from '../src/sparse/sparsegpt.js';
import { sparsifyGraph } from '../src/sparse/prune.js';
import { runPipeline } from '../src/passes/pass.js';
import { CORE_PASSES } from '../src/passes/pipeline.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues } from '../src/verify/metrics.js';
import { build } from '../src/build.js';
import { writeNpy } from '../src/util/npy.js';
import type { ModelIn } from './helpers/onnx-builder.js';
import { importModel, randn } from './helpers/graph.js';
import { runC } from './helpers/c-run.js';

test('N:M storage: values plus packed in-group indices round-trip (2:4 with 2-bit, 3:8 with 3-bit indices straddling bytes)', (t) => {
  for (const [n, m, rows, k] of [[2, 4, 5, 24], [3, 8, 4, 40], [1, 4, 3, 12]]) {
    const w = Float64Array.from(randn(rows * k, n + m));
    const pruned = pruneByScore(w, k, rows, n, m); // as [K][rows]; transpose into [rows][K]
    const rowsK = Float64Array.from({ length: rows * k }, (_, i) => pruned[(i % k) * rows + Math.floor(i / k)]);
    t.true(isNm(rowsK, rows, k, n, m), `${n}:${m}`);
    t.false(isNm(Float64Array.from(w), rows, k, n, m));
    const p = packNm(rowsK, rows, k, n, m);
    t.is(p.values.length, (rows * k * n) / m);
    t.is(p.bits, Math.ceil(Math.log2(m)));
    t.deepEqual(Array.from(unpackNm(p, rows, k, n, m)), Array.from(rowsK));
  }
  // 2:4 metadata: two 2-bit indices per group, 4 bits, so a 16-weight row has 8 values and 2 index bytes.
  const p = packNm([0, 5, 0, 6, 7, 0, 0, 8, 0, 0, 9, 1, 2, 0, 3, 0], 1, 16, 2, 4);
  t.deepEqual(p.values, [5, 6, 7, 8, 9, 1, 2, 3]);
  // Kept indices 1,3 | 0,3 | 2,3 | 0,2, two bits each, least significant first.
  t.deepEqual(Array.from(p.indices), [1 | (3 << 2) | (0 << 4) | (3 << 6), 2 | (3 << 2) | (0 << 4) | (2 << 6)]);
});

/** A layer's calibration inputs with strongly unequal, correlated features (where input-aware pruning matters). */
function correlatedInputs(rows: number, k: number): { x: Float64Array; h: Float64Array } {
  const x = new Float64Array(rows * k);
  const base = randn(rows * 4, 77);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < k; i++) x[r * k + i] = (1 + 3 * (i % 5)) * (base[r * 4 + (i % 4)] + 0.3 * randn(1, r * k + i + 5)[0]);
  const h = new Float64Array(k * k);
  for (let r = 0; r < rows; r++) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) h[i * k + j] += 2 * x[r * k + i] * x[r * k + j];
  return { x, h };
}

test('magnitude, Wanda and SparseGPT all give 2:4 masks; the layer output error orders SparseGPT < Wanda < magnitude', (t) => {
  const [k, n, rows] = [32, 12, 200];
  const w = Float64Array.from(randn(k * n, 3));
  const { x, h } = correlatedInputs(rows, k);
  const err = (p: Float64Array) => {
    let e = 0;
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let i = 0; i < k; i++) d += x[r * k + i] * (w[i * n + j] - p[i * n + j]);
        e += d * d;
      }
    return e;
  };
  const hdiag = Float64Array.from({ length: k }, (_, i) => h[i * k + i]);
  const results = { magnitude: pruneByScore(w, k, n, 2, 4), wanda: pruneByScore(w, k, n, 2, 4, hdiag), sparsegpt: sparseGpt(w, k, n, h, 2, 4) };
  for (const [name, p] of Object.entries(results)) {
    const byCol = Float64Array.from({ length: k * n }, (_, i) => p[(i % k) * n + Math.floor(i / k)]);
    t.true(isNm(byCol, n, k, 2, 4), name);
  }
  const e = Object.fromEntries(Object.entries(results).map(([name, p]) => [name, err(p)]));
  t.log(`squared output error: ${JSON.stringify(e)}`);
  t.true(e.sparsegpt < e.wanda && e.wanda < e.magnitude);
});

/** A pointwise Conv (with bias and a fused Relu) feeding a Gemm: both prunable. */
const MODEL: ModelIn = {
  inputs: [{ name: 'x', dims: [1, 32, 5, 7] }],
  initializers: {
    w: { dims: [48, 32, 1, 1], data: randn(1536, 11) },
    b: { dims: [48], data: randn(48, 12) },
    shape: { dims: [2], data: [1, 48 * 35], dtype: 'int64' },
    gw: { dims: [48 * 35, 10], data: randn(48 * 35 * 10, 13).map((v) => v * 0.1) },
    gb: { dims: [10], data: randn(10, 14) },
  },
  nodes: [
    { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'] },
    { op: 'Relu', inputs: ['c'], outputs: ['r'] },
    { op: 'Reshape', inputs: ['r', 'shape'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'gw', 'gb'], outputs: ['g'] },
    // A Relu after the Gemm (fused into it): not a classifier head, so int8 keeps it on the sparse requantizing kernel.
    { op: 'Relu', inputs: ['g'], outputs: ['y'] },
  ],
  outputs: ['y'],
};

test('float sparse kernels (pointwise Conv, Gemm) compute what the pruned graph computes and skip nothing they need', async (t) => {
  const { graph } = importModel(MODEL);
  const g = runPipeline(graph, CORE_PASSES);
  const dense = cloneGraph(g);
  const report = sparsifyGraph(g, undefined, { n: 2, m: 4, method: 'magnitude' });
  t.deepEqual(report.layers.map((l) => l.sparsity), ['2:4', '2:4']);
  t.is(report.zero_weights, report.pruned_layer_weights / 2);
  const x: Value = { dtype: 'float32', shape: [1, 32, 5, 7], data: randn(1120, 21) };
  const want = runReference(g, { x }).y;
  const got = (await runC(g, { x }, { sanitize: true })).y;
  t.true(compareValues('y', got, want).rel_l2_err < 1e-6);
  // Pruning changed the numbers (the kernels are not running the dense weights).
  t.true(compareValues('y', runReference(dense, { x }).y, want).rel_l2_err > 1e-3);
});

test('int8 + 2:4 (SparseGPT default with --calib): the C artifact is bit-exact with the integer reference; sparse weights take fewer bytes', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-sparse-'));
  const { file } = importModel(MODEL);
  const calib = path.join(dir, 'calib.npy');
  writeNpy(calib, { dtype: 'float32', shape: [8, 32, 5, 7], data: randn(8 * 1120, 31) });
  const common = { model: file, target: 'c', quantize: 'int8' as const, calib, verify: true };
  const dense = await build({ ...common, outDir: path.join(dir, 'dense') });
  const sparse = await build({ ...common, outDir: path.join(dir, 'sparse'), sparsity: '2:4' });
  t.is(sparse.sparsity?.method, 'sparsegpt');
  t.true(sparse.verification?.integer?.bit_exact, JSON.stringify(sparse.verification?.integer));
  t.true(sparse.ok);
  // Both layers (the pointwise Conv and the Gemm, through its transposed A) run the int8 2:4 kernel.
  const code = fs.readFileSync(path.join(dir, 'sparse', 'model.c'), 'utf8');
  t.is(code.match(/edgec_spmm24_s8\(/g)?.length, 2);
  t.true(code.includes('EDGEC_SP_TRANSPOSE(int8_t'));
  t.log(`weights bytes: dense ${dense.sizes.weights_bytes}, 2:4 ${sparse.sizes.weights_bytes}; layer SQNR ${sparse.sparsity!.layers.map((l) => l.sqnr?.toFixed(1)).join(', ')} dB`);
  t.true(sparse.sizes.weights_bytes < 0.75 * dense.sizes.weights_bytes);
  // --sparsity-min-sqnr keeps a layer dense when pruning it costs too much.
  const strict = await build({ ...common, outDir: path.join(dir, 'strict'), sparsity: '2:4', sparsityMinSqnr: 200 });
  t.deepEqual(strict.sparsity!.layers.map((l) => l.sparsity), ['dense', 'dense']);
  t.true(strict.verification?.integer?.bit_exact);
  fs.rmSync(dir, { recursive: true, force: true });
});
