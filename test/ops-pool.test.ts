/** Pooling ops: reference vs onnxruntime, and the compiled C (plain and sanitized) vs the reference. */
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
import { makeModel, type ModelIn, type NodeIn } from './helpers/onnx-builder.js';
import { runOrt } from './helpers/ort.js';
import { runC } from './helpers/c-run.js';

const TOL = 1e-5;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-pool-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

function randomValue(shape: number[], seed: number): Value {
  const rnd = seededRandom(seed);
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = rnd() * 4 - 2;
  return { dtype: 'float32', shape, data };
}

/** A one-node model over input x of the given shape. */
function single(op: string, shape: number[], attrs: NodeIn['attrs'] = {}, opset = 19): ModelIn {
  return { inputs: [{ name: 'x', dims: shape }], nodes: [{ op, inputs: ['x'], outputs: ['y'], attrs }], outputs: ['y'], opset };
}

/** Reference vs onnxruntime, then C and sanitized C vs the reference, all at rel-L2 <= TOL. */
async function check(t: ExecutionContext, m: ModelIn, expectShape?: number[]): Promise<void> {
  const bytes = makeModel(m);
  const file = path.join(tmp, `${t.title.replace(/[^A-Za-z0-9]+/g, '_')}.onnx`);
  fs.writeFileSync(file, bytes);
  const g = runPipeline(loadOnnx(file), [inferShapes]);
  const feeds: Record<string, Value> = {};
  g.inputs.forEach((n, i) => (feeds[n] = randomValue(g.tensors.get(n)!.shape, 17 + i)));
  const ref = runReference(g, feeds);
  const ort = await runOrt(bytes, feeds);
  const [c, cs] = [await runC(g, feeds), await runC(g, feeds, { sanitize: true })];
  for (const o of g.outputs) {
    if (expectShape) t.deepEqual(ref[o].shape, expectShape);
    t.deepEqual(ref[o].shape, ort[o].shape, `${o}: reference shape vs onnxruntime`);
    const pairs: [string, Value, Value][] = [
      ['reference vs onnxruntime', ref[o], ort[o]],
      ['C vs reference', c[o], ref[o]],
      ['sanitized C vs reference', cs[o], ref[o]],
    ];
    for (const [what, a, r] of pairs) {
      const e = compareValues(o, a, r).rel_l2_err;
      t.true(e <= TOL, `${o}: ${what}: rel-L2 ${e}`);
    }
  }
}

test('pool.h compiles clean alone with -Wall -Wextra -Werror -pedantic', (t) => {
  const src = path.join(tmp, 'pool_only.c');
  fs.writeFileSync(src, '#include "edgec_runtime.h"\n#include "kernels/pool.h"\nint main(void) { return 0; }\n');
  execFileSync('gcc', ['-std=c99', '-O3', '-march=native', '-Wall', '-Wextra', '-Werror', '-pedantic', '-Wvla', '-I', RUNTIME_DIR, src, '-o', path.join(tmp, 'pool_only'), '-lm']);
  t.pass();
});

// MaxPool
test('MaxPool 2-D 3x3 stride 1 pad 1', (t) => check(t, single('MaxPool', [1, 3, 10, 12], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), [1, 3, 10, 12]));
test('MaxPool 2-D 2x2 stride 2', (t) => check(t, single('MaxPool', [2, 4, 8, 8], { kernel_shape: [2, 2], strides: [2, 2] }), [2, 4, 4, 4]));
test('MaxPool 2-D 3x3 stride 2 pad 1 (ResNet stem)', (t) => check(t, single('MaxPool', [1, 4, 17, 20], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }), [1, 4, 9, 10]));
test('MaxPool ceil_mode', (t) => check(t, single('MaxPool', [1, 2, 9, 10], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }), [1, 2, 4, 5]));
test('MaxPool ceil_mode drops a window starting in the end padding', (t) =>
  check(t, single('MaxPool', [1, 2, 5, 7], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }), [1, 2, 3, 4]));
test('MaxPool dilations', (t) => check(t, single('MaxPool', [1, 2, 11, 9], { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 1, 2, 1] }), [1, 2, 11, 7]));
test('MaxPool dilations, stride 2, ceil_mode', (t) =>
  check(t, single('MaxPool', [1, 3, 12, 13], { kernel_shape: [2, 3], dilations: [3, 2], strides: [2, 2], pads: [1, 0, 0, 1], ceil_mode: 1 })));
test('MaxPool asymmetric pads', (t) => check(t, single('MaxPool', [1, 3, 7, 9], { kernel_shape: [3, 2], pads: [0, 1, 2, 1] }), [1, 3, 7, 10]));
test('MaxPool SAME_UPPER stride 2', (t) => check(t, single('MaxPool', [1, 2, 7, 8], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }), [1, 2, 4, 4]));
test('MaxPool SAME_LOWER', (t) => check(t, single('MaxPool', [1, 2, 6, 5], { kernel_shape: [2, 4], auto_pad: 'SAME_LOWER' }), [1, 2, 6, 5]));
test('MaxPool VALID', (t) => check(t, single('MaxPool', [1, 2, 9, 8], { kernel_shape: [3, 3], strides: [2, 3], auto_pad: 'VALID' }), [1, 2, 4, 2]));
test('MaxPool 1-D', (t) => check(t, single('MaxPool', [2, 3, 20], { kernel_shape: [3], strides: [2], pads: [1, 1] }), [2, 3, 10]));
test('MaxPool 1-D dilations, ceil_mode', (t) => check(t, single('MaxPool', [1, 3, 19], { kernel_shape: [3], strides: [3], dilations: [2], ceil_mode: 1 })));
test('MaxPool 3-D', (t) =>
  check(t, single('MaxPool', [1, 2, 5, 6, 7], { kernel_shape: [2, 3, 3], strides: [1, 2, 2], pads: [0, 1, 1, 1, 1, 0] }), [1, 2, 5, 3, 3]));
test('MaxPool window wider than the input row (no interior)', (t) =>
  check(t, single('MaxPool', [1, 2, 4, 3], { kernel_shape: [3, 3], pads: [2, 2, 2, 2] }), [1, 2, 6, 5]));
test('MaxPool with the Indices output dropped', (t) =>
  check(t, { inputs: [{ name: 'x', dims: [1, 2, 6, 6] }], nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y', 'idx'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } }], outputs: ['y'], opset: 19 }));

// AveragePool
test('AveragePool 3x3 pad 1, count_include_pad 0', (t) => check(t, single('AveragePool', [1, 3, 10, 12], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })));
test('AveragePool 3x3 pad 1, count_include_pad 1', (t) => check(t, single('AveragePool', [1, 3, 10, 12], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 })));
test('AveragePool 2x2 stride 2', (t) => check(t, single('AveragePool', [2, 4, 8, 10], { kernel_shape: [2, 2], strides: [2, 2] }), [2, 4, 4, 5]));
test('AveragePool ceil_mode', (t) => check(t, single('AveragePool', [1, 2, 9, 10], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }), [1, 2, 4, 5]));
test('AveragePool ceil_mode, pads, count_include_pad 1', (t) =>
  check(t, single('AveragePool', [1, 2, 8, 9], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 }), [1, 2, 5, 5]));
test('AveragePool asymmetric pads, count_include_pad 1', (t) =>
  check(t, single('AveragePool', [1, 3, 7, 9], { kernel_shape: [3, 2], pads: [0, 1, 2, 1], count_include_pad: 1 }), [1, 3, 7, 10]));
test('AveragePool asymmetric pads, count_include_pad 0', (t) =>
  check(t, single('AveragePool', [1, 3, 7, 9], { kernel_shape: [3, 2], pads: [0, 1, 2, 1] }), [1, 3, 7, 10]));
test('AveragePool dilations, count_include_pad 0', (t) =>
  check(t, single('AveragePool', [1, 2, 11, 10], { kernel_shape: [3, 3], dilations: [2, 2], pads: [1, 2, 1, 2] })));
test('AveragePool dilations, count_include_pad 1', (t) =>
  check(t, single('AveragePool', [1, 2, 11, 10], { kernel_shape: [3, 2], dilations: [2, 3], pads: [2, 1, 2, 1], count_include_pad: 1 })));
test('AveragePool SAME_UPPER', (t) => check(t, single('AveragePool', [1, 2, 7, 8], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }), [1, 2, 4, 4]));
test('AveragePool SAME_UPPER, count_include_pad 1', (t) =>
  check(t, single('AveragePool', [1, 2, 6, 9], { kernel_shape: [4, 3], auto_pad: 'SAME_UPPER', count_include_pad: 1 }), [1, 2, 6, 9]));
test('AveragePool 1-D count_include_pad 1', (t) => check(t, single('AveragePool', [2, 3, 20], { kernel_shape: [4], strides: [2], pads: [1, 2], count_include_pad: 1 })));
test('AveragePool 1-D ceil_mode', (t) => check(t, single('AveragePool', [1, 4, 17], { kernel_shape: [3], strides: [2], ceil_mode: 1 }), [1, 4, 8]));
test('AveragePool 3-D count_include_pad 1', (t) =>
  check(t, single('AveragePool', [1, 2, 5, 6, 7], { kernel_shape: [2, 3, 3], strides: [2, 2, 1], pads: [1, 1, 0, 0, 1, 1], count_include_pad: 1 })));
test('AveragePool 3-D ceil_mode', (t) =>
  check(t, single('AveragePool', [1, 2, 6, 7, 5], { kernel_shape: [3, 2, 2], strides: [2, 2, 2], ceil_mode: 1 }), [1, 2, 3, 4, 3]));
test('AveragePool opset 11 (no dilations)', (t) => check(t, single('AveragePool', [1, 3, 9, 9], { kernel_shape: [2, 2], strides: [1, 1], pads: [0, 0, 1, 1] }, 11)));

// Global pooling
test('GlobalAveragePool 1xCxHxW (SE block)', (t) => check(t, single('GlobalAveragePool', [1, 24, 6, 25]), [1, 24, 1, 1]));
test('GlobalAveragePool tiny planes', (t) => check(t, single('GlobalAveragePool', [2, 5, 1, 3]), [2, 5, 1, 1]));
test('GlobalAveragePool 1-D', (t) => check(t, single('GlobalAveragePool', [2, 5, 37]), [2, 5, 1]));
test('GlobalMaxPool 2-D', (t) => check(t, single('GlobalMaxPool', [1, 8, 7, 9]), [1, 8, 1, 1]));
test('GlobalMaxPool 3-D', (t) => check(t, single('GlobalMaxPool', [1, 3, 4, 5, 6]), [1, 3, 1, 1, 1]));

// Errors
function loadBytes(name: string, m: ModelIn) {
  const file = path.join(tmp, `${name}.onnx`);
  fs.writeFileSync(file, makeModel(m));
  return loadOnnx(file);
}

test('MaxPool without kernel_shape is a one-line error', (t) => {
  const g = loadBytes('nokernel', single('MaxPool', [1, 2, 4, 4], { strides: [1, 1] }));
  const e = t.throws(() => runPipeline(g, [inferShapes]));
  t.regex(e!.message, /MaxPool_0.*MaxPool.*kernel_shape/);
  t.false(e!.message.includes('\n'));
});

test('AveragePool with mismatched pads is an error', (t) => {
  const g = loadBytes('badpads', single('AveragePool', [1, 2, 4, 4], { kernel_shape: [2, 2], pads: [1, 1] }));
  t.throws(() => runPipeline(g, [inferShapes]), { message: /'pads' has 2 values/ });
});

test('MaxPool with a window larger than the padded input is an error', (t) => {
  const g = loadBytes('toolarge', single('MaxPool', [1, 2, 3, 3], { kernel_shape: [5, 2] }));
  t.throws(() => runPipeline(g, [inferShapes]), { message: /window extent 5/ });
});
