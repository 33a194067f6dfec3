/** Normalization ops: reference vs onnxruntime, and the compiled C (plain and sanitized) vs the reference. */
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import '../src/ops/index.js';
import type { Value } from '../src/ir/types.js';
import { numel } from '../src/ir/dtype.js';
import { loadOnnx } from '../src/frontend/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { inferShapes } from '../src/passes/infer-shapes.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues, seededRandom } from '../src/verify/metrics.js';
import { RUNTIME_DIR } from '../src/backends/c/emit.js';
import { makeModel, type ModelIn, type NodeIn, type TensorIn } from './helpers/onnx-builder.js';
import { runOrt } from './helpers/ort.js';
import { runC } from './helpers/c-run.js';

const TOL = 1e-5;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-norm-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Seeded values uniform in [lo, hi). */
function uniform(shape: number[], seed: number, lo = -2, hi = 2): Value {
  const rnd = seededRandom(seed);
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = lo + rnd() * (hi - lo);
  return { dtype: 'float32', shape, data };
}

/** An initializer of seeded values in [lo, hi). */
function init(dims: number[], seed: number, lo = -2, hi = 2): TensorIn {
  return { dims, data: uniform(dims, seed, lo, hi).data };
}

/** A one-node model over input x plus constant parameter inputs. */
function single(op: string, shape: number[], params: Record<string, TensorIn>, attrs: NodeIn['attrs'] = {}): ModelIn {
  return {
    inputs: [{ name: 'x', dims: shape }],
    initializers: params,
    nodes: [{ op, inputs: ['x', ...Object.keys(params)], outputs: ['y'], attrs }],
    outputs: ['y'],
  };
}

/** Reference vs onnxruntime (at ortTol), then C and sanitized C vs the reference at rel-L2 <= TOL; `ranges` sets input value ranges. */
async function check(t: ExecutionContext, m: ModelIn, ranges: Record<string, [number, number]> = {}, ortTol = TOL): Promise<void> {
  const bytes = makeModel(m);
  const file = path.join(tmp, `${t.title.replace(/[^A-Za-z0-9]+/g, '_')}.onnx`);
  fs.writeFileSync(file, bytes);
  const g = runPipeline(loadOnnx(file), [inferShapes]);
  const feeds: Record<string, Value> = {};
  g.inputs.forEach((n, i) => (feeds[n] = uniform(g.tensors.get(n)!.shape, 31 + i, ...(ranges[n] ?? [-2, 2]))));
  const ref = runReference(g, feeds);
  const ort = await runOrt(bytes, feeds);
  const [c, cs] = [await runC(g, feeds), await runC(g, feeds, { sanitize: true })];
  for (const o of g.outputs) {
    t.deepEqual(ref[o].shape, ort[o].shape, `${o}: reference shape vs onnxruntime`);
    const pairs: [string, Value, Value][] = [
      ['reference vs onnxruntime', ref[o], ort[o]],
      ['C vs reference', c[o], ref[o]],
      ['sanitized C vs reference', cs[o], ref[o]],
    ];
    for (const [what, a, r] of pairs) {
      const e = compareValues(o, a, r).rel_l2_err;
      t.true(e <= (what.endsWith('onnxruntime') ? ortTol : TOL), `${o}: ${what}: rel-L2 ${e}`);
    }
  }
}

const bnParams = (c: number) => ({ scale: init([c], 1), bias: init([c], 2), mean: init([c], 3), var: init([c], 4, 0.1, 3) });

test('norm.h compiles clean alone with -Wall -Wextra -Werror -pedantic', (t) => {
  const src = path.join(tmp, 'norm_only.c');
  fs.writeFileSync(src, '#include "edgec_runtime.h"\n#include "kernels/norm.h"\nint main(void) { return 0; }\n');
  execFileSync('gcc', ['-std=c99', '-O3', '-march=native', '-Wall', '-Wextra', '-Werror', '-pedantic', '-Wvla', '-I', RUNTIME_DIR, src, '-o', path.join(tmp, 'norm_only'), '-lm']);
  t.pass();
});

// BatchNormalization
test('BatchNormalization NCHW, constant parameters', (t) => check(t, single('BatchNormalization', [2, 8, 5, 7], bnParams(8), { epsilon: 1e-3 })));
test('BatchNormalization N x C', (t) => check(t, single('BatchNormalization', [4, 19], bnParams(19))));
test('BatchNormalization rank 3', (t) => check(t, single('BatchNormalization', [2, 6, 11], bnParams(6))));
test('BatchNormalization rank 5', (t) => check(t, single('BatchNormalization', [1, 3, 4, 5, 6], bnParams(3))));
test('BatchNormalization with run-time parameters', (t) =>
  check(
    t,
    {
      inputs: ['x', 'scale', 'bias', 'mean'].map((name) => ({ name, dims: name === 'x' ? [1, 5, 6, 9] : [5] })).concat([{ name: 'var', dims: [5] }]),
      nodes: [{ op: 'BatchNormalization', inputs: ['x', 'scale', 'bias', 'mean', 'var'], outputs: ['y'] }],
      outputs: ['y'],
    },
    { var: [0.1, 3] },
  ));
test('BatchNormalization opset 9', (t) => check(t, { ...single('BatchNormalization', [1, 4, 3, 3], bnParams(4)), opset: 9 }));

// InstanceNormalization
test('InstanceNormalization NCHW', (t) =>
  check(t, single('InstanceNormalization', [2, 4, 6, 7], { scale: init([4], 5), bias: init([4], 6) }, { epsilon: 1e-4 })));
test('InstanceNormalization rank 3, long planes', (t) =>
  check(t, single('InstanceNormalization', [1, 3, 150], { scale: init([3], 7), bias: init([3], 8) })));

// LayerNormalization
test('LayerNormalization last axis', (t) => check(t, single('LayerNormalization', [2, 5, 32], { scale: init([32], 9), bias: init([32], 10) })));
test('LayerNormalization axis 1 over three dims', (t) =>
  check(t, single('LayerNormalization', [2, 3, 4, 5], { scale: init([3, 4, 5], 11), bias: init([3, 4, 5], 12) }, { axis: 1, epsilon: 1e-3 })));
test('LayerNormalization without bias', (t) => check(t, single('LayerNormalization', [3, 7, 20], { scale: init([20], 13) })));
test('LayerNormalization axis -2 with broadcast constant scale and bias', (t) =>
  check(t, single('LayerNormalization', [2, 3, 4, 8], { scale: init([1, 8], 14), bias: init([4, 1], 15) }, { axis: -2 })));
test('LayerNormalization with run-time scale', (t) =>
  check(t, {
    inputs: [{ name: 'x', dims: [4, 48] }, { name: 'scale', dims: [48] }],
    initializers: { bias: init([48], 16) },
    nodes: [{ op: 'LayerNormalization', inputs: ['x', 'scale', 'bias'], outputs: ['y'] }],
    outputs: ['y'],
  }));
// onnxruntime's one-pass variance loses digits on such rows; the C two-pass kernel still matches the reference at 1e-5.
test('LayerNormalization of rows with a large mean', (t) =>
  check(t, single('LayerNormalization', [4, 64], { scale: init([64], 17) }), { x: [100, 101] }, 1e-4));

// LRN
test('LRN size 5 (AlexNet)', (t) => check(t, single('LRN', [1, 12, 5, 6], {}, { size: 5, alpha: { float: 1e-4 }, beta: { float: 0.75 }, bias: { float: 1 } })));
test('LRN size 3, other beta and bias', (t) => check(t, single('LRN', [2, 7, 4, 3], {}, { size: 3, alpha: { float: 0.01 }, beta: { float: 0.5 }, bias: { float: 2 } })));
test('LRN size wider than the channels', (t) => check(t, single('LRN', [1, 3, 4, 5], {}, { size: 7, alpha: { float: 0.1 }, beta: { float: 0.75 }, bias: { float: 1 } })));

// Errors
function load(name: string, m: ModelIn) {
  const file = path.join(tmp, `${name}.onnx`);
  fs.writeFileSync(file, makeModel(m));
  return loadOnnx(file);
}

test('BatchNormalization with wrong parameter length is a one-line error', (t) => {
  const g = load('bnbad', single('BatchNormalization', [1, 4, 3, 3], { ...bnParams(4), mean: init([3], 3) }));
  const e = t.throws(() => runPipeline(g, [inferShapes]));
  t.regex(e!.message, /BatchNormalization_0.*input 3 has shape \[3\] but must be \[4\]/);
  t.false(e!.message.includes('\n'));
});

test('BatchNormalization in training mode is an error', (t) => {
  const g = load('bntrain', { ...single('BatchNormalization', [1, 4, 3, 3], bnParams(4), { training_mode: 1 }), opset: 15 });
  t.throws(() => runPipeline(g, [inferShapes]), { message: /training_mode=1/ });
});

test('LRN without size is an error', (t) => {
  const g = load('lrnsize', single('LRN', [1, 4, 3, 3], {}, { alpha: { float: 0.1 } }));
  t.throws(() => runPipeline(g, [inferShapes]), { message: /'size' is missing/ });
});

test('LayerNormalization scale that does not broadcast is an error', (t) => {
  const g = load('lnbad', single('LayerNormalization', [2, 6], { scale: init([5], 1) }));
  t.throws(() => runPipeline(g, [inferShapes]), { message: /does not broadcast to the normalized shape \[6\]/ });
});
