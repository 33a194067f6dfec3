/** Softmax and LogSoftmax at opset < 13 (coerce to 2-D) and >= 13 (one axis): reference vs onnxruntime, C vs reference. */
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import '../src/ops/index.js';
import type { Graph, Node, Value } from '../src/ir/types.js';
import { numel } from '../src/ir/dtype.js';
import { loadOnnx } from '../src/frontend/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { inferShapes } from '../src/passes/infer-shapes.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues, seededRandom } from '../src/verify/metrics.js';
import { emitC } from '../src/backends/c/emit.js';
import { makeModel, type NodeIn } from './helpers/onnx-builder.js';
import { runOrt } from './helpers/ort.js';
import { runC } from './helpers/c-run.js';

const TOL = 1e-5;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-softmax-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

function randomValue(shape: number[], lo: number, hi: number, seed: number, f64 = false): Value {
  const rnd = seededRandom(seed);
  const data = f64 ? new Float64Array(numel(shape)) : new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = lo + rnd() * (hi - lo);
  return { dtype: f64 ? 'float64' : 'float32', shape, data };
}

function close(t: ExecutionContext, what: string, a: Value, r: Value): void {
  t.deepEqual(a.shape, r.shape, `${what}: shape`);
  const e = compareValues(what, a, r).rel_l2_err;
  t.true(e <= TOL, `${what}: rel-L2 ${e}`);
}

/** One Softmax-like node on x of `dims`: reference vs ORT, then C and sanitized C vs reference. */
async function check(t: ExecutionContext, op: string, dims: number[], opset: number, axis?: number, range: [number, number] = [-4, 4]): Promise<void> {
  const attrs: NonNullable<NodeIn['attrs']> = axis === undefined ? {} : { axis };
  const bytes = makeModel({ inputs: [{ name: 'x', dims }], nodes: [{ op, inputs: ['x'], outputs: ['y'], attrs }], outputs: ['y'], opset });
  const file = path.join(tmp, `${t.title.replace(/[^A-Za-z0-9]+/g, '_').slice(0, 80)}.onnx`);
  fs.writeFileSync(file, bytes);
  const g = runPipeline(loadOnnx(file), [inferShapes]);
  const feeds = { x: randomValue(dims, range[0], range[1], 7) };
  const ref = runReference(g, feeds);
  close(t, 'reference vs onnxruntime', ref.y, (await runOrt(bytes, feeds)).y);
  close(t, 'C vs reference', (await runC(g, feeds)).y, ref.y);
  close(t, 'sanitized C vs reference', (await runC(g, feeds, { sanitize: true })).y, ref.y);
}

for (const op of ['Softmax', 'LogSoftmax']) {
  // opset >= 13: one axis.
  test(`${op} opset 13 default axis (last)`, (t) => check(t, op, [2, 3, 50], 13));
  test(`${op} opset 13 axis 1 of 3 (strided)`, (t) => check(t, op, [2, 5, 7], 13, 1));
  test(`${op} opset 13 axis 0`, (t) => check(t, op, [6, 4, 3], 13, 0));
  test(`${op} opset 13 axis -2 of NCHW`, (t) => check(t, op, [1, 4, 9, 11], 13, -2));
  test(`${op} opset 13 rank 1`, (t) => check(t, op, [37], 13));
  test(`${op} opset 13 long rows (attention over a vocabulary)`, (t) => check(t, op, [1, 25, 6625], 13, -1));
  test(`${op} opset 13 row length multiple of 64`, (t) => check(t, op, [3, 128], 13, -1));
  test(`${op} opset 13 row length 1`, (t) => check(t, op, [4, 1], 13, -1));
  test(`${op} opset 13 large magnitudes are stable`, (t) => check(t, op, [4, 33], 13, -1, [-90, 90]));
  test(`${op} opset 13 strided large magnitudes are stable`, (t) => check(t, op, [4, 33, 5], 13, 1, [-90, 90]));
  // opset < 13: coerce to 2-D at axis (default 1).
  test(`${op} opset 11 default axis 1 flattens trailing dims`, (t) => check(t, op, [2, 3, 4], 11));
  test(`${op} opset 11 axis 2`, (t) => check(t, op, [2, 3, 4, 5], 11, 2));
  test(`${op} opset 11 axis -1`, (t) => check(t, op, [2, 3, 6], 11, -1));
  test(`${op} opset 11 axis 0 normalises the whole tensor`, (t) => check(t, op, [3, 4, 5], 11, 0));
  test(`${op} opset 1 NCHW over C*H*W`, (t) => check(t, op, [2, 3, 5, 5], 1));
}

test('opset 11 and opset 13 Softmax differ on rank 3 (coerce2d vs one axis)', async (t) => {
  const dims = [2, 3, 4];
  const feeds = { x: randomValue(dims, -2, 2, 3) };
  const outs: Value[] = [];
  for (const opset of [11, 13]) {
    const file = path.join(tmp, `semantics_${opset}.onnx`);
    fs.writeFileSync(file, makeModel({ inputs: [{ name: 'x', dims }], nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 1 } }], outputs: ['y'], opset }));
    outs.push(runReference(runPipeline(loadOnnx(file), [inferShapes]), feeds).y);
  }
  // opset 11: each batch row of 12 sums to 1; opset 13: each (n, :, w) column of 3 sums to 1.
  const sum = (v: Value, idx: number[]) => idx.reduce((s, i) => s + v.data[i], 0);
  t.true(Math.abs(sum(outs[0], Array.from({ length: 12 }, (_, i) => i)) - 1) < 1e-6);
  t.true(Math.abs(sum(outs[1], [0, 4, 8]) - 1) < 1e-6);
  t.true(Math.abs(sum(outs[0], [0, 4, 8]) - 1) > 1e-3);
});

/** A one-node float64 graph built directly (the ONNX test builder writes float32 only). */
function f64Graph(op: string, dims: number[], attrs: Node['attrs']): Graph {
  const g: Graph = {
    name: 'f64',
    tensors: new Map([['x', { name: 'x', dtype: 'float64', shape: dims }]]),
    nodes: [{ name: `${op}_0`, op, inputs: ['x'], outputs: ['y'], attrs }],
    inputs: ['x'],
    outputs: ['y'],
    source: 'f64.onnx',
  };
  return runPipeline(g, [inferShapes]);
}

const int = (value: number) => ({ type: 'int' as const, value });
for (const [op, attrs, dims] of [
  ['Softmax', { axis: int(-1), coerce2d: int(0) }, [3, 17]],
  ['LogSoftmax', { axis: int(1), coerce2d: int(0) }, [3, 17, 4]],
  ['Softmax', { axis: int(1), coerce2d: int(1) }, [3, 5, 4]],
  ['ReduceLogSumExp', { axes: { type: 'ints', value: [0, 2] } as const, keepdims: int(0) }, [3, 5, 4]],
  ['ReduceMean', { axes: { type: 'ints', value: [1] } as const }, [3, 5, 4]],
  ['Exp', {}, [4, 9]],
  ['HardSwish', {}, [4, 9]],
] as [string, Node['attrs'], number[]][]) {
  test(`${op} float64 [${dims.join('x')}] ${JSON.stringify(attrs)} in C matches the reference`, async (t) => {
    const g = f64Graph(op, dims, attrs);
    const feeds = { x: randomValue(dims, -3, 3, 11, true) };
    const ref = runReference(g, feeds);
    close(t, 'C vs reference', (await runC(g, feeds)).y, ref.y);
  });
}

test('last-axis Softmax kernel loops are vectorized by gcc', (t) => {
  const file = path.join(tmp, 'vec_softmax.onnx');
  fs.writeFileSync(file, makeModel({ inputs: [{ name: 'x', dims: [4, 1000] }], nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'] }], outputs: ['y'], opset: 13 }));
  const g = runPipeline(loadOnnx(file), [inferShapes]);
  const art = emitC(g, { prefix: 'vs', target: { vectorFloats: 8, l1Bytes: 32768, l2Bytes: 1 << 20 } });
  const dir = path.join(tmp, 'vs');
  fs.mkdirSync(path.join(dir, 'kernels'), { recursive: true });
  for (const [name, text] of art.files) fs.writeFileSync(path.join(dir, name), text);
  const res = spawnSync('gcc', ['-std=c99', '-O3', '-march=native', '-Wall', '-Wextra', '-Werror', '-fopt-info-vec-optimized', '-c', 'vs.c', '-o', 'vs.o'], { cwd: dir, encoding: 'utf8' });
  t.is(res.status, 0, res.stderr);
  const lines = (file: string) => new Set([...res.stderr.matchAll(new RegExp(`${file}:(\\d+):\\d+: optimized: loop vectorized`, 'g'))].map((m) => Number(m[1])));
  const src = fs.readFileSync(path.join(dir, 'kernels/softmax.h'), 'utf8').split('\n');
  const expLoop = src.findIndex((l) => l.includes('yr[i + k] = edgec_expf(xr[i + k] - m)')) + 1;
  const scaleLoop = src.findIndex((l) => l.includes('yr[i] *= s')) + 1;
  t.true(lines('softmax.h').has(expLoop), `exp loop softmax.h:${expLoop} vectorized`);
  t.true(lines('softmax.h').has(scaleLoop), `scale loop softmax.h:${scaleLoop} vectorized`);
});
