/** Reductions and ArgMax/ArgMin: reference vs onnxruntime, compiled C (plain and sanitized) vs reference. */
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../src/ops/index.js';
import type { DType, Graph, Value } from '../src/ir/types.js';
import { allocData, numel } from '../src/ir/dtype.js';
import { loadOnnx } from '../src/frontend/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { inferShapes } from '../src/passes/infer-shapes.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues, seededRandom } from '../src/verify/metrics.js';
import { makeModel, type ModelIn, type NodeIn, type TensorIn } from './helpers/onnx-builder.js';
import { runOrt } from './helpers/ort.js';
import { runC } from './helpers/c-run.js';

const TOL = 1e-5;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-reduce-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

type InDType = NonNullable<TensorIn['dtype']>;

function randomValue(dims: number[], dtype: DType, lo: number, hi: number, seed: number): Value {
  const n = numel(dims);
  const data = allocData(dtype, n);
  const rnd = seededRandom(seed);
  for (let i = 0; i < n; i++) data[i] = dtype === 'float32' ? lo + rnd() * (hi - lo) : Math.floor(lo + rnd() * (hi - lo + 1));
  return { dtype, shape: [...dims], data };
}

/** Compare a computed value to its reference: rel-L2 for floats, exact for integers. */
function agree(t: ExecutionContext, what: string, a: Value, r: Value): void {
  t.deepEqual(a.shape, r.shape, `${what}: shape`);
  if (r.dtype === 'float32' || r.dtype === 'float64') {
    const e = compareValues(what, a, r).rel_l2_err;
    t.true(e <= TOL, `${what}: rel-L2 ${e}`);
  } else {
    t.deepEqual(Array.from(a.data as ArrayLike<number>), Array.from(r.data as ArrayLike<number>), `${what}: exact ${r.dtype}`);
  }
}

interface Case {
  dims: number[];
  dtype?: InDType;
  lo?: number;
  hi?: number;
  opset?: number;
  init?: ModelIn['initializers'];
  shape?: number[];
}

/** One node reading x (plus any initializers) and writing y; reference vs ORT, C and sanitized C vs reference. */
async function check(t: ExecutionContext, n: NodeIn, c: Case): Promise<Graph> {
  const dtype = c.dtype ?? 'float32';
  const bytes = makeModel({ inputs: [{ name: 'x', dims: c.dims, dtype }], initializers: c.init, nodes: [n], outputs: ['y'], opset: c.opset ?? 13 });
  const file = path.join(tmp, `${t.title.replace(/[^A-Za-z0-9]+/g, '_').slice(0, 80)}.onnx`);
  fs.writeFileSync(file, bytes);
  const g = runPipeline(loadOnnx(file), [inferShapes]);
  const feeds = { x: randomValue(c.dims, dtype, c.lo ?? -3, c.hi ?? 3, 29) };
  const ref = runReference(g, feeds);
  const ort = await runOrt(bytes, feeds);
  if (c.shape) t.deepEqual(ref.y.shape, c.shape, 'output shape');
  t.is(ref.y.dtype, ort.y.dtype, 'dtype vs onnxruntime');
  agree(t, 'reference vs onnxruntime', ref.y, ort.y);
  agree(t, 'C vs reference', (await runC(g, feeds)).y, ref.y);
  agree(t, 'sanitized C vs reference', (await runC(g, feeds, { sanitize: true })).y, ref.y);
  return g;
}

const axesInit = (axes: number[]): ModelIn['initializers'] => ({ axes: { dims: [axes.length], data: axes, dtype: 'int64' } });

/** A Reduce node in the spelling of its opset: axes attribute (old) or axes input (ReduceSum >= 13, others >= 18). */
function reduceCase(op: string, opset: number, dims: number[], axes: number[] | undefined, keepdims: number | undefined, extra: Partial<Case> = {}): [NodeIn, Case] {
  const asInput = opset >= (op === 'ReduceSum' ? 13 : 18);
  const attrs: NodeIn['attrs'] = {};
  if (keepdims !== undefined) attrs.keepdims = keepdims;
  if (axes && !asInput) attrs.axes = axes;
  const inputs = axes && asInput ? ['x', 'axes'] : ['x'];
  return [{ op, inputs, outputs: ['y'], attrs }, { dims, opset, init: axes && asInput ? axesInit(axes) : undefined, ...extra }];
}

const KINDS = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2', 'ReduceLogSumExp', 'ReduceSumSquare'];
const AXES: [string, number[] | undefined, number | undefined, number[]][] = [
  ['all axes', undefined, undefined, [1, 1, 1, 1]],
  ['all axes keepdims=0', undefined, 0, []],
  ['last axis', [-1], 1, [2, 3, 4, 1]],
  ['last axis keepdims=0', [3], 0, [2, 3, 4]],
  ['channel axis', [1], 1, [2, 1, 4, 5]],
  ['spatial axes [2,3]', [2, 3], 1, [2, 3, 1, 1]],
  ['first axis keepdims=0', [0], 0, [3, 4, 5]],
  ['non-contiguous axes [0,2]', [0, 2], 0, [3, 5]],
  ['non-contiguous axes [1,3] keepdims', [1, -1], 1, [2, 1, 4, 1]],
];
for (const op of KINDS) {
  const range = op === 'ReduceProd' ? { lo: 0.6, hi: 1.5 } : {};
  for (const [what, axes, keep, shape] of AXES) {
    test(`${op} ${what} (opset 13)`, (t) => {
      const [n, c] = reduceCase(op, 13, [2, 3, 4, 5], axes, keep, { ...range, shape });
      return check(t, n, c);
    });
  }
  test(`${op} axes as input (opset 18)`, (t) => {
    const [n, c] = reduceCase(op, 18, [2, 3, 4, 5], [1, 2], 0, { ...range, shape: [2, 5] });
    return check(t, n, c);
  });
  test(`${op} long contiguous rows`, (t) => {
    const [n, c] = reduceCase(op, 13, [3, 1003], [1], 1, { ...(op === 'ReduceProd' ? { lo: 0.99, hi: 1.01 } : range), shape: [3, 1] });
    return check(t, n, c);
  });
}
test('ReduceSum opset 11 axes attribute', (t) => {
  const [n, c] = reduceCase('ReduceSum', 11, [2, 3, 4], [1], 0, { shape: [2, 4] });
  return check(t, n, c);
});
test('ReduceMean over H,W of NCHW (global average)', (t) => {
  const [n, c] = reduceCase('ReduceMean', 13, [1, 16, 9, 11], [2, 3], 1, { shape: [1, 16, 1, 1] });
  return check(t, n, c);
});
test('ReduceMax noop_with_empty_axes=1 is identity (opset 18)', (t) =>
  check(t, { op: 'ReduceMax', inputs: ['x'], outputs: ['y'], attrs: { noop_with_empty_axes: 1 } }, { dims: [2, 3, 4], opset: 18, shape: [2, 3, 4] }));
test('ReduceSum with empty axes and noop=0 reduces all (opset 13)', (t) =>
  check(t, { op: 'ReduceSum', inputs: ['x'], outputs: ['y'], attrs: { keepdims: 0 } }, { dims: [2, 3, 4], opset: 13, shape: [] }));
test('ReduceLogSumExp is stable for large inputs', (t) => {
  const [n, c] = reduceCase('ReduceLogSumExp', 13, [4, 3, 37], [2], 0, { lo: 60, hi: 120, shape: [4, 3] });
  return check(t, n, c);
});
test('ReduceLogSumExp strided axis is stable for large inputs', (t) => {
  const [n, c] = reduceCase('ReduceLogSumExp', 13, [4, 37, 3], [1], 0, { lo: -120, hi: -60, shape: [4, 3] });
  return check(t, n, c);
});
test('ReduceL2 over a size-1 axis', (t) => {
  const [n, c] = reduceCase('ReduceL2', 13, [3, 1, 4], [1], 1, { shape: [3, 1, 4] });
  return check(t, n, c);
});

// Integer reductions (exact).
for (const dtype of ['int32', 'int64'] as const) {
  for (const op of ['ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceMean']) {
    const range = op === 'ReduceProd' ? { lo: -2, hi: 2 } : { lo: -1000, hi: 1000 };
    test(`${op} ${dtype} axis 1`, (t) => {
      const [n, c] = reduceCase(op, 13, [3, 5, 4], [1], 0, { dtype, ...range, shape: [3, 4] });
      return check(t, n, c);
    });
    test(`${op} ${dtype} all axes`, (t) => {
      const [n, c] = reduceCase(op, 13, [3, 6], undefined, 1, { dtype, ...range, shape: [1, 1] });
      return check(t, n, c);
    });
  }
}

// ArgMax / ArgMin.
for (const op of ['ArgMax', 'ArgMin']) {
  for (const [axis, keepdims, shape] of [[0, 1, [1, 4, 5]], [1, 0, [3, 5]], [-1, 1, [3, 4, 1]], [2, 0, [3, 4]]] as [number, number, number[]][]) {
    test(`${op} axis ${axis} keepdims=${keepdims}`, (t) =>
      check(t, { op, inputs: ['x'], outputs: ['y'], attrs: { axis, keepdims } }, { dims: [3, 4, 5], shape }));
  }
  for (const last of [0, 1]) {
    test(`${op} ties select_last_index=${last}`, (t) =>
      check(t, { op, inputs: ['x'], outputs: ['y'], attrs: { axis: 1, select_last_index: last } }, { dims: [4, 9, 3], lo: -2, hi: 2, dtype: 'int32' }));
    test(`${op} float ties select_last_index=${last}`, (t) =>
      check(t, { op, inputs: ['x'], outputs: ['y'], attrs: { axis: -1, keepdims: 0, select_last_index: last } }, { dims: [6, 40], lo: 0, hi: 0 }));
  }
  test(`${op} over a long last axis (CTC decode)`, (t) =>
    check(t, { op, inputs: ['x'], outputs: ['y'], attrs: { axis: 2, keepdims: 0 } }, { dims: [1, 25, 6625], shape: [1, 25] }));
  test(`${op} int64`, (t) => check(t, { op, inputs: ['x'], outputs: ['y'], attrs: { axis: 0 } }, { dims: [7, 3], dtype: 'int64', lo: -5, hi: 5 }));
}

test('reduce rejects repeated axes with a fix', async (t) => {
  const [n, c] = reduceCase('ReduceSum', 11, [2, 3], [1, -1], 1);
  const file = path.join(tmp, 'bad_axes.onnx');
  fs.writeFileSync(file, makeModel({ inputs: [{ name: 'x', dims: c.dims }], nodes: [n], outputs: ['y'], opset: 11 }));
  const err = t.throws(() => runPipeline(loadOnnx(file), [inferShapes]));
  t.regex(err?.message ?? '', /\(ReduceSum\): axes \[1, -1\] repeat an axis; list each axis once/);
});
