/** The 2:4 kernels on every C-family target: float (sparse24.h through the vector vocabulary on NEON under qemu, on
 * WASM SIMD128 in Node, on the portable vocabulary and on the host's GNU vectors) against the reference interpreter,
 * int8 bit-exact with the integer reference, and the choice between the sparse kernel and the expanded dense GEMM. */
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runPipeline } from '../src/passes/pass.js';
import { CORE_PASSES } from '../src/passes/pipeline.js';
import { sparsifyGraph } from '../src/sparse/prune.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues } from '../src/verify/metrics.js';
import { build, compileGraph, cTargetFacts } from '../src/build.js';
import { getTarget, type Target } from '../src/targets/targets.js';
import { wasmRunner } from '../src/runners/wasm.js';
import { emitC } from '../src/backends/c/emit.js';
import { SPARSE_WINS, SPARSE_WINS_INT8 } from '../src/backends/c/lower/sparse.js';
import { writeNpy } from '../src/util/npy.js';
import type { Value } from '../src/ir/types.js';
import type { ModelIn } from './helpers/onnx-builder.js';
import { importModel, randn } from './helpers/graph.js';
import { runC } from './helpers/c-run.js';
import { limit } from './helpers/limit.js';

const jobs = limit(2);
const noWasm = await wasmRunner.unavailable(getTarget('wasm'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-sparse-simd-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** What a target needs that this machine lacks (checked synchronously: tests are declared at once). */
function missingFor(name: string): string | undefined {
  if (name === 'wasm') return undefined;
  const t = getTarget(name);
  if (t.runner !== 'qemu') return undefined;
  const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (!onPath(t.toolchain.cc)) return `${t.toolchain.cc} (Debian gcc-aarch64-linux-gnu)`;
  if (!onPath(t.qemu!.binary) || !fs.existsSync(t.qemu!.sysroot)) return `${t.qemu!.binary} and ${t.qemu!.sysroot} (Debian qemu-user, libc6-dev-arm64-cross)`;
  return undefined;
}

/** The portable vocabulary on the host compiler. */
const portable: Target = { ...getTarget('c'), name: 'c-vocab-scalar', simd: 'scalar' };
const TARGETS: { name: string; target: string | Target; missing?: string }[] = [
  { name: 'c (GNU vectors)', target: 'c' },
  { name: 'portable vocabulary', target: portable },
  { name: 'rpi4 NEON (qemu cortex-a72)', target: 'rpi4', missing: missingFor('rpi4') },
  { name: 'rpi5 NEON dotprod (qemu cortex-a76)', target: 'rpi5', missing: missingFor('rpi5') },
  { name: 'wasm SIMD128 (Node)', target: 'wasm', missing: noWasm },
];

/**
 * Pointwise Convs that reach every branch of edgec_spmm24_f32 and the expanded dense path, then a Gemm:
 * c1: K = 20 (an odd last group: K % 8 = 4), O = 7, P = 10 * 15 = 150 pixels (8-vector tiles, then a 4-vector or
 * 1-vector row-pair tile and a scalar tail on 4 and 8 lanes), HardSwish in the kernel (second output);
 * c1b: K = 20, O = 104, no bias; c2: K = 104, O = 12, Sigmoid; c3: a 66-pixel input, which runs the dense GEMM on
 * expanded weights (SPARSE_WINS); g: Gemm with M = 18 rows (row-pair tiles and a tail), K = 100 (K % 8 = 4), N = 12,
 * on transposed A.
 */
const MODEL: ModelIn = {
  inputs: [{ name: 'x', dims: [1, 20, 10, 15] }, { name: 'z', dims: [1, 104, 6, 11] }],
  initializers: {
    w1: { dims: [7, 20, 1, 1], data: randn(140, 41) },
    b1: { dims: [7], data: randn(7, 42) },
    w1b: { dims: [104, 20, 1, 1], data: randn(2080, 43) },
    w2: { dims: [12, 104, 1, 1], data: randn(1248, 44).map((v) => v * 0.2) },
    b2: { dims: [12], data: randn(12, 45) },
    w3: { dims: [16, 104, 1, 1], data: randn(1664, 50) },
    shape: { dims: [2], data: [18, 100], dtype: 'int64' },
    gw: { dims: [100, 12], data: randn(100 * 12, 46).map((v) => v * 0.1) },
    gb: { dims: [12], data: randn(12, 47) },
  },
  nodes: [
    { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'] },
    { op: 'HardSwish', inputs: ['c1'], outputs: ['h1'] },
    { op: 'Conv', inputs: ['x', 'w1b'], outputs: ['c1b'] },
    { op: 'Conv', inputs: ['c1b', 'w2', 'b2'], outputs: ['c2'] },
    { op: 'Sigmoid', inputs: ['c2'], outputs: ['s2'] },
    { op: 'Reshape', inputs: ['s2', 'shape'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'gw', 'gb'], outputs: ['g'] },
    { op: 'Relu', inputs: ['g'], outputs: ['y'] },
    { op: 'Conv', inputs: ['z', 'w3'], outputs: ['y3'] },
  ],
  outputs: ['y', 'h1', 'y3'],
};

/** The model pruned to 2:4 (magnitude) after the core passes. */
function pruned() {
  const g = runPipeline(importModel(MODEL).graph, CORE_PASSES);
  const rep = sparsifyGraph(g, undefined, { n: 2, m: 4, method: 'magnitude', minWeights: 64 });
  return { g, rep };
}

test('2:4 layer choice: the sparse kernel where it wins, the expanded dense GEMM elsewhere; both keep the compressed weights', (t) => {
  const { g, rep } = pruned();
  t.deepEqual(rep.layers.map((l) => l.sparsity), ['2:4', '2:4', '2:4', '2:4', '2:4']);
  for (const [name, simd] of [['c', undefined], ['neon', 'neon-dotprod'], ['wasm', 'wasm']] as const) {
    const art = emitC(g, { prefix: 'model', target: { vectorFloats: 4, l1Bytes: 32768, l2Bytes: 1 << 20, simd } });
    const code = art.files.get('model.c')!;
    // c1, c1b, c2 and the Gemm on the sparse kernel; c3 expanded.
    t.is(code.match(/edgec_spmm24_f32\(/g)?.length, 4, name);
    t.is(code.match(/edgec_sp24_expand_a\(/g)?.length, 1, name);
    t.true(art.kernels.includes('sparse24.h'), name);
  }
  t.true(SPARSE_WINS.none({ o: 6625, k: 120, p: 40 }) && SPARSE_WINS.none({ o: 480, k: 480, p: 480 }) && !SPARSE_WINS.none({ o: 384, k: 384, p: 100 }));
});

const x: Value = { dtype: 'float32', shape: [1, 20, 10, 15], data: randn(20 * 150, 48) };
const z: Value = { dtype: 'float32', shape: [1, 104, 6, 11], data: randn(104 * 66, 51) };

for (const tg of TARGETS)
  (tg.missing ? test.skip : test)(`float 2:4 kernels on ${tg.name} compute what the pruned graph computes${tg.missing ? ` (skipped: needs ${tg.missing})` : ''}`, async (t) => {
    const { g } = pruned();
    const want = runReference(g, { x, z });
    const got = await jobs(() => runC(g, { x, z }, { target: tg.target }));
    for (const o of ['y', 'h1', 'y3']) {
      const m = compareValues(o, got[o], want[o]);
      t.true(m.rel_l2_err < 1e-5, `${o}: rel_l2 ${m.rel_l2_err}`);
    }
  });

/** Calibration samples for the int8 builds: a folder of sample folders, each with x.npy and z.npy. */
function calibFolder(name: string): string {
  const calib = path.join(tmp, `calib-${name}`);
  for (let i = 0; i < 4; i++) {
    fs.mkdirSync(path.join(calib, `s${i}`), { recursive: true });
    writeNpy(path.join(calib, `s${i}`, 'x.npy'), { dtype: 'float32', shape: [1, 20, 10, 15], data: randn(20 * 150, 60 + i) });
    writeNpy(path.join(calib, `s${i}`, 'z.npy'), { dtype: 'float32', shape: [1, 104, 6, 11], data: randn(104 * 66, 70 + i) });
  }
  return calib;
}

/** The kernels the int8 2:4 layers of MODEL run on a target: the pruned convs (c1 has fewer weights than the build's
 * pruning minimum) on the int8 2:4 kernel where SPARSE_WINS_INT8 says it wins, else on the dense int8 kernel (qgemm
 * pairs or vocabulary dot panels) over weights expanded from the 2:4 storage at run time; the Gemm (18 rows) always on
 * the int8 2:4 kernel. */
function int8Kernels(t: ExecutionContext, code: string, simd: Target['simd']): void {
  const wins = SPARSE_WINS_INT8[simd ?? 'none'];
  const convs = [{ o: 104, k: 20, p: 150 }, { o: 12, k: 104, p: 150 }, { o: 16, k: 104, p: 66 }].filter((s) => wins(s)).length;
  t.is(code.match(/edgec_spmm24_s8\(/g)?.length ?? 0, 1 + convs);
  t.is(code.match(/edgec_sp24_expand_s8\(/g)?.length ?? 0, 3 - convs);
  t.is(code.match(/edgec_spmm_s8\(/g)?.length ?? 0, 0);
}

/** int8 + 2:4 through build (SparseGPT with calibration), verified bit-exact against the integer reference. */
async function int8Check(t: ExecutionContext, target: string): Promise<void> {
  const dir = path.join(tmp, `q-${target}`);
  const { file } = importModel(MODEL);
  const r = await jobs(() => build({ model: file, target, quantize: 'int8', calib: calibFolder(target), verify: true, outDir: dir, sparsity: '2:4' }));
  t.true(r.verification?.integer?.bit_exact, JSON.stringify(r.verification?.integer));
  t.deepEqual(r.sparsity!.layers.map((l) => l.sparsity).sort(), ['2:4', '2:4', '2:4', '2:4', 'dense']);
  int8Kernels(t, fs.readFileSync(path.join(dir, 'model.c'), 'utf8'), getTarget(target).simd);
}
for (const tg of TARGETS.filter((x) => typeof x.target === 'string'))
  (tg.missing ? test.skip : test)(`int8 2:4 on ${tg.name} is bit-exact with the integer reference${tg.missing ? ` (skipped: needs ${tg.missing})` : ''}`, (t) => int8Check(t, tg.target as string));

test('int8 2:4 on the portable vocabulary is bit-exact with the integer reference', async (t) => {
  const { file } = importModel(MODEL);
  const { graph } = compileGraph(file, portable, { quantize: 'int8', calib: calibFolder('portable'), sparsity: '2:4' });
  const code = emitC(graph, { prefix: 'model', target: cTargetFacts(portable) }).files.get('model.c')!;
  int8Kernels(t, code, 'scalar');
  const want = runReference(graph, { x, z });
  const got = await jobs(() => runC(graph, { x, z }, { target: portable }));
  for (const o of graph.outputs) t.deepEqual(Array.from(got[o].data), Array.from(want[o].data), o);
});

test('int8 2:4 layers whose kept weights reach -128 keep the dense kernel (the 2:4 kernel sums int8 pairs in int16)', (t) => {
  const { file } = importModel(MODEL);
  const { graph } = compileGraph(file, getTarget('c'), { quantize: 'int8', calib: calibFolder('min'), sparsity: '2:4' });
  const w = graph.nodes.filter((n) => n.op === 'Conv' && n.attrs.sparse).map((n) => graph.tensors.get(n.inputs[1])!.data as Int8Array);
  // The portable vocabulary: the 2:4 kernel wins on every layer there (SPARSE_WINS_INT8).
  const code = (g: typeof graph) => emitC(g, { prefix: 'model', target: cTargetFacts(portable) }).files.get('model.c')!;
  t.is(code(graph).match(/edgec_sp24_expand_s8\(/g)?.length ?? 0, 0);
  // One kept weight of every pruned conv set to -128: each falls back to the expanded dense kernel.
  for (const d of w) d[d.findIndex((v) => v !== 0)] = -128;
  t.is(code(graph).match(/edgec_sp24_expand_s8\(/g)?.length, 3);
});
