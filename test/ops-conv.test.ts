/** Conv and ConvTranspose: reference vs onnxruntime, and the compiled C (plain and sanitized) vs the reference. */
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import '../src/ops/index.js';
import type { Value } from '../src/ir/types.js';
import { numel } from '../src/ir/dtype.js';
import { loadOnnx } from '../src/frontend/onnx/load.js';
import { runPipeline, type Pass } from '../src/passes/pass.js';
import { inferShapes } from '../src/passes/infer-shapes.js';
import { fuseActivation } from '../src/passes/fuse-activation.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues, seededRandom } from '../src/verify/metrics.js';
import { RUNTIME_DIR } from '../src/backends/c/emit.js';
import { makeModel, type ModelIn, type NodeIn, type TensorIn } from './helpers/onnx-builder.js';
import { runOrt } from './helpers/ort.js';
import { runC } from './helpers/c-run.js';
import { limit } from './helpers/limit.js';

const TOL = 1e-5;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-conv-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));
const compilers = limit(2);

function uniform(shape: number[], seed: number): Float32Array {
  const rnd = seededRandom(seed);
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = rnd() * 2 - 1;
  return data;
}

interface ConvCase {
  op?: 'Conv' | 'ConvTranspose';
  x: number[];
  w: number[];
  /** Bias (default true). */
  bias?: boolean;
  attrs?: NodeIn['attrs'];
  /** Weights as a graph input instead of an initializer (run-time packing paths). */
  runtimeW?: boolean;
  /** Also run the C under -fsanitize=address,undefined (default true). */
  sanitize?: boolean;
  /** An activation node after the conv (input 0 is the conv output), fused into it by the fuse-activation pass. */
  act?: Activation;
}

/** A trailing activation: its node and any constant inputs it reads. */
interface Activation {
  node: NodeIn;
  inits?: Record<string, TensorIn>;
}

/** A Conv/ConvTranspose model (with an optional trailing activation). */
function convModel(c: ConvCase): ModelIn {
  const op = c.op ?? 'Conv';
  const outC = op === 'Conv' ? c.w[0] : c.w[1] * ((c.attrs?.group as number | undefined) ?? 1);
  const inits: Record<string, TensorIn> = {};
  const inputs: ModelIn['inputs'] = [{ name: 'x', dims: c.x }];
  if (c.runtimeW) inputs.push({ name: 'W', dims: c.w });
  else inits.W = { dims: c.w, data: uniform(c.w, 11) };
  if (c.bias !== false) inits.B = { dims: [outC], data: uniform([outC], 12) };
  const nodes: NodeIn[] = [{ op, inputs: ['x', 'W', ...(c.bias !== false ? ['B'] : [])], outputs: [c.act ? 't' : 'y'], attrs: c.attrs ?? {} }];
  if (c.act) {
    nodes.push({ ...c.act.node, inputs: ['t', ...c.act.node.inputs.slice(1)], outputs: ['y'] });
    Object.assign(inits, c.act.inits ?? {});
  }
  return { inputs, initializers: inits, nodes, outputs: ['y'], opset: 17 };
}

/** Reference vs onnxruntime, then C and (unless turned off) sanitized C vs the reference, all at rel-L2 <= TOL. */
async function check(t: ExecutionContext, c: ConvCase, expectShape?: number[]): Promise<void> {
  const m = convModel(c);
  const bytes = makeModel(m);
  const file = path.join(tmp, `${t.title.replace(/[^A-Za-z0-9]+/g, '_')}.onnx`);
  fs.writeFileSync(file, bytes);
  const passes: Pass[] = c.act ? [inferShapes, fuseActivation] : [inferShapes];
  const g = runPipeline(loadOnnx(file), passes);
  if (c.act) t.is(g.nodes.length, 1, 'the activation is fused into the conv');
  const feeds: Record<string, Value> = {};
  g.inputs.forEach((n, i) => (feeds[n] = { dtype: 'float32', shape: g.tensors.get(n)!.shape, data: uniform(g.tensors.get(n)!.shape, 17 + i) }));
  const ref = runReference(g, feeds);
  const ort = await runOrt(bytes, feeds);
  const sanitize = c.sanitize !== false;
  const [cc, cs] = await Promise.all([compilers(() => runC(g, feeds)), sanitize ? compilers(() => runC(g, feeds, { sanitize: true })) : undefined]);
  if (expectShape) t.deepEqual(ref.y.shape, expectShape);
  t.deepEqual(ref.y.shape, ort.y.shape, 'reference shape vs onnxruntime');
  const pairs: [string, Value, Value][] = [
    ['reference vs onnxruntime', ref.y, ort.y],
    ['C vs reference', cc.y, ref.y],
  ];
  if (cs) pairs.push(['sanitized C vs reference', cs.y, ref.y]);
  for (const [what, a, r] of pairs) {
    const e = compareValues('y', a, r).rel_l2_err;
    t.true(e <= TOL, `${what}: rel-L2 ${e}`);
  }
}

test('gemm.h, conv.h and winograd.h compile clean alone with -Wall -Wextra -Werror -pedantic -Wvla', (t) => {
  const src = path.join(tmp, 'conv_only.c');
  fs.writeFileSync(src, '#include "edgec_runtime.h"\n#include "kernels/winograd.h"\n#include "kernels/conv.h"\n#include "kernels/gemm.h"\nint main(void) { return 0; }\n');
  execFileSync('gcc', ['-std=c99', '-O3', '-march=native', '-Wall', '-Wextra', '-Werror', '-pedantic', '-Wvla', '-I', RUNTIME_DIR, src, '-o', path.join(tmp, 'conv_only'), '-lm']);
  t.pass();
});

// Conv: GEMM paths (1x1 straight on the input, im2col otherwise)
test('Conv 3x3 pad 1', (t) => check(t, { x: [1, 3, 10, 12], w: [8, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] } }, [1, 8, 10, 12]));
test('Conv 1x1, odd M and HW, batch 2', (t) => check(t, { x: [2, 20, 7, 9], w: [13, 20, 1, 1] }, [2, 13, 7, 9]));
test('Conv 1x1, K and N past one cache block', (t) => check(t, { x: [1, 300, 20, 21], w: [14, 300, 1, 1] }));
test('Conv 1x1, M past one cache block', (t) => check(t, { x: [1, 8, 4, 5], w: [520, 8, 1, 1] }));
test('Conv 1x1 stride 2 (im2col)', (t) => check(t, { x: [1, 6, 9, 10], w: [7, 6, 1, 1], attrs: { strides: [2, 2] } }, [1, 7, 5, 5]));
test('Conv 1x1 with end padding only', (t) => check(t, { x: [1, 5, 6, 6], w: [4, 5, 1, 1], attrs: { pads: [0, 0, 1, 2] } }, [1, 4, 7, 8]));
test('Conv 3x3 stride 2 pad 1 (stem)', (t) => check(t, { x: [1, 3, 33, 31], w: [16, 3, 3, 3], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } }, [1, 16, 17, 16]));
test('Conv 3x5 over several im2col row blocks, K past one block', (t) =>
  check(t, { x: [1, 64, 10, 64], w: [16, 64, 3, 5], attrs: { pads: [1, 2, 1, 2] } }));

// Conv: Winograd F(2x2, 3x3)
test('Conv Winograd 3x3 pad 1 (PP-OCR det neck)', (t) => check(t, { x: [1, 24, 20, 20], w: [24, 24, 3, 3], attrs: { pads: [1, 1, 1, 1] } }));
test('Conv Winograd odd output, asymmetric pads, ragged M', (t) =>
  check(t, { x: [2, 9, 13, 11], w: [13, 9, 3, 3], attrs: { pads: [0, 1, 2, 0] } }, [2, 13, 13, 10]));
test('Conv Winograd no padding, no bias', (t) => check(t, { x: [1, 8, 12, 15], w: [8, 8, 3, 3], bias: false }, [1, 8, 10, 13]));
test('Conv Winograd pad 2, several tile-row blocks', (t) => check(t, { x: [1, 64, 30, 100], w: [40, 64, 3, 3], attrs: { pads: [2, 2, 2, 2] } }));
test('Conv Winograd channels past one K block', (t) => check(t, { x: [1, 300, 8, 8], w: [10, 300, 3, 3], attrs: { pads: [1, 1, 1, 1] } }));
test('Conv Winograd SAME_UPPER', (t) => check(t, { x: [1, 8, 9, 10], w: [12, 8, 3, 3], attrs: { auto_pad: 'SAME_UPPER' } }, [1, 12, 9, 10]));
test('Conv groups', (t) => check(t, { x: [1, 8, 9, 9], w: [6, 4, 3, 3], attrs: { group: 2, pads: [1, 1, 1, 1] } }));
test('Conv grouped 1x1', (t) => check(t, { x: [2, 12, 5, 7], w: [9, 4, 1, 1], attrs: { group: 3 } }));
test('Conv dilations, asymmetric pads', (t) =>
  check(t, { x: [1, 4, 12, 12], w: [5, 4, 3, 3], attrs: { dilations: [2, 3], pads: [2, 3, 1, 2] } }, [1, 5, 11, 11]));
test('Conv 1x3 pads [0,1,0,1] (PP-OCR rec)', (t) => check(t, { x: [1, 6, 3, 20], w: [8, 6, 1, 3], attrs: { pads: [0, 1, 0, 1] } }, [1, 8, 3, 20]));
test('Conv strides (2,3), no bias', (t) => check(t, { x: [1, 3, 11, 14], w: [4, 3, 3, 2], bias: false, attrs: { strides: [2, 3] } }, [1, 4, 5, 5]));
test('Conv SAME_UPPER stride 2, even kernel', (t) =>
  check(t, { x: [1, 3, 9, 8], w: [5, 3, 4, 4], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] } }, [1, 5, 5, 4]));
test('Conv SAME_LOWER, even kernel', (t) => check(t, { x: [1, 3, 7, 6], w: [4, 3, 2, 4], attrs: { auto_pad: 'SAME_LOWER' } }, [1, 4, 7, 6]));
test('Conv VALID stride 3', (t) => check(t, { x: [1, 2, 11, 13], w: [3, 2, 3, 3], attrs: { auto_pad: 'VALID', strides: [3, 3] } }, [1, 3, 3, 4]));
test('Conv kernel larger than the input with padding', (t) => check(t, { x: [1, 2, 2, 3], w: [3, 2, 5, 5], attrs: { pads: [2, 2, 2, 2] } }, [1, 3, 2, 3]));

// Conv: depthwise
test('Conv depthwise 3x3 pad 1, wide rows', (t) => check(t, { x: [1, 8, 11, 37], w: [8, 1, 3, 3], attrs: { group: 8, pads: [1, 1, 1, 1] } }));
test('Conv depthwise 3x3 stride 2', (t) => check(t, { x: [2, 6, 17, 35], w: [6, 1, 3, 3], attrs: { group: 6, pads: [1, 1, 1, 1], strides: [2, 2] } }));
test('Conv depthwise 5x5 stride (2,1) (PP-OCR rec)', (t) =>
  check(t, { x: [1, 4, 9, 40], w: [4, 1, 5, 5], attrs: { group: 4, pads: [2, 2, 2, 2], strides: [2, 1] } }, [1, 4, 5, 40]));
test('Conv depthwise 5x5 stride 2', (t) => check(t, { x: [1, 3, 20, 70], w: [3, 1, 5, 5], attrs: { group: 3, pads: [2, 2, 2, 2], strides: [2, 2] } }));
test('Conv depthwise 3x3 stride (1,2)', (t) => check(t, { x: [1, 5, 6, 23], w: [5, 1, 3, 3], attrs: { group: 5, pads: [1, 1, 1, 1], strides: [1, 2] } }));
test('Conv depthwise with channel multiplier', (t) => check(t, { x: [1, 3, 7, 10], w: [6, 1, 3, 3], attrs: { group: 3, pads: [1, 1, 1, 1] } }));
test('Conv depthwise dilation 2, asymmetric pads', (t) =>
  check(t, { x: [1, 4, 13, 15], w: [4, 1, 3, 3], attrs: { group: 4, dilations: [2, 2], pads: [2, 1, 0, 3] } }));
test('Conv depthwise stride 3, 2x4 kernel, no pads', (t) => check(t, { x: [1, 2, 10, 41], w: [2, 1, 2, 4], bias: false, attrs: { group: 2, strides: [3, 3] } }));
test('Conv depthwise SAME_UPPER stride 2', (t) => check(t, { x: [1, 4, 9, 12], w: [4, 1, 3, 3], attrs: { group: 4, auto_pad: 'SAME_UPPER', strides: [2, 2] } }));

// Conv: 1-D and 3-D
test('Conv 1-D stride 2 dilation 2 asymmetric pads', (t) =>
  check(t, { x: [2, 4, 30], w: [6, 4, 5], attrs: { strides: [2], dilations: [2], pads: [2, 1] } }, [2, 6, 13]));
test('Conv 1-D depthwise', (t) => check(t, { x: [1, 6, 25], w: [6, 1, 3], attrs: { group: 6, pads: [1, 1] } }, [1, 6, 25]));
test('Conv 1-D 1x1', (t) => check(t, { x: [1, 10, 19], w: [7, 10, 1] }, [1, 7, 19]));
test('Conv 3-D groups, strides, pads', (t) =>
  check(t, { x: [1, 4, 5, 6, 7], w: [6, 2, 3, 3, 2], attrs: { group: 2, strides: [1, 2, 2], pads: [1, 1, 0, 1, 0, 1] } }, [1, 6, 5, 3, 4]));
test('Conv 3-D dilations', (t) => check(t, { x: [1, 2, 6, 5, 4], w: [3, 2, 2, 3, 2], attrs: { dilations: [2, 1, 2], pads: [1, 0, 1, 1, 1, 0] } }));
test('Conv 3-D SAME_LOWER stride 2', (t) => check(t, { x: [1, 2, 5, 6, 4], w: [3, 2, 2, 3, 2], attrs: { strides: [2, 2, 1], auto_pad: 'SAME_LOWER' } }));

// Conv: run-time weights and fused activations
test('Conv run-time weights (GEMM)', (t) => check(t, { x: [1, 6, 8, 9], w: [10, 3, 3, 3], runtimeW: true, attrs: { group: 2, pads: [1, 1, 1, 1] } }));
test('Conv run-time weights (depthwise)', (t) => check(t, { x: [1, 5, 8, 9], w: [5, 1, 3, 3], runtimeW: true, attrs: { group: 5, pads: [1, 1, 1, 1] } }));
const ACTS: [string, Activation][] = [
  ['Relu', { node: { op: 'Relu', inputs: ['t'], outputs: [] } }],
  ['Clip', { node: { op: 'Clip', inputs: ['t', 'lo', 'hi'], outputs: [] }, inits: { lo: { dims: [], data: [0] }, hi: { dims: [], data: [0.5] } } }],
  ['HardSwish', { node: { op: 'HardSwish', inputs: ['t'], outputs: [] } }],
  ['HardSigmoid', { node: { op: 'HardSigmoid', inputs: ['t'], outputs: [], attrs: { alpha: { float: 0.3 }, beta: { float: 0.4 } } } }],
  ['LeakyRelu', { node: { op: 'LeakyRelu', inputs: ['t'], outputs: [], attrs: { alpha: { float: 0.1 } } } }],
  ['Sigmoid', { node: { op: 'Sigmoid', inputs: ['t'], outputs: [] } }],
];
for (const [name, a] of ACTS) {
  // Fused activations touch only tile epilogues, which the sanitized cases above already cover.
  const sanitize = false;
  test(`Conv 1x1 + fused ${name}`, (t) => check(t, { x: [1, 16, 6, 10], w: [12, 16, 1, 1], act: a, sanitize }));
  test(`Conv 3x3 + fused ${name}`, (t) => check(t, { x: [1, 4, 7, 9], w: [7, 4, 3, 3], act: a, sanitize, attrs: { pads: [1, 1, 1, 1] } }));
  test(`Conv Winograd + fused ${name}`, (t) => check(t, { x: [1, 8, 7, 9], w: [10, 8, 3, 3], act: a, sanitize, attrs: { pads: [1, 1, 1, 1] } }));
  test(`Conv depthwise + fused ${name}`, (t) => check(t, { x: [1, 4, 6, 45], w: [4, 1, 3, 3], act: a, sanitize, attrs: { group: 4, pads: [1, 1, 1, 1] } }));
  test(`ConvTranspose + fused ${name}`, (t) => check(t, { op: 'ConvTranspose', x: [1, 4, 5, 6], w: [4, 3, 2, 2], act: a, sanitize, attrs: { strides: [2, 2] } }));
}

// ConvTranspose
test('ConvTranspose 2x2 stride 2 (PP-OCR det)', (t) => check(t, { op: 'ConvTranspose', x: [1, 8, 6, 7], w: [8, 4, 2, 2], attrs: { strides: [2, 2] } }, [1, 4, 12, 14]));
test('ConvTranspose 3x3 stride 2 pad 1 output_padding 1', (t) =>
  check(t, { op: 'ConvTranspose', x: [1, 3, 5, 6], w: [3, 5, 3, 3], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } }, [1, 5, 10, 12]));
test('ConvTranspose groups, dilations', (t) =>
  check(t, { op: 'ConvTranspose', x: [2, 4, 5, 5], w: [4, 3, 3, 3], attrs: { group: 2, dilations: [2, 2], strides: [1, 2] } }, [2, 6, 9, 13]));
test('ConvTranspose asymmetric pads, no bias', (t) =>
  check(t, { op: 'ConvTranspose', x: [1, 3, 4, 5], w: [3, 2, 3, 4], bias: false, attrs: { strides: [3, 2], pads: [0, 2, 1, 1] } }, [1, 2, 11, 9]));
test('ConvTranspose output_shape', (t) =>
  check(t, { op: 'ConvTranspose', x: [1, 2, 4, 4], w: [2, 3, 3, 3], attrs: { strides: [2, 2], output_shape: [9, 10] } }, [1, 3, 9, 10]));
test('ConvTranspose SAME_UPPER odd total padding', (t) =>
  check(t, { op: 'ConvTranspose', x: [1, 2, 3, 4], w: [2, 2, 4, 3], attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' } }, [1, 2, 6, 8]));
test('ConvTranspose SAME_LOWER odd total padding', (t) =>
  check(t, { op: 'ConvTranspose', x: [1, 2, 3, 4], w: [2, 2, 4, 3], attrs: { strides: [2, 2], auto_pad: 'SAME_LOWER' } }, [1, 2, 6, 8]));
test('ConvTranspose over several col2im row blocks', (t) =>
  check(t, { op: 'ConvTranspose', x: [1, 6, 5, 200], w: [6, 64, 2, 2], attrs: { strides: [2, 2] } }, [1, 64, 10, 400]));
test('ConvTranspose run-time weights, groups', (t) =>
  check(t, { op: 'ConvTranspose', x: [1, 4, 4, 5], w: [4, 3, 3, 3], runtimeW: true, attrs: { group: 2, strides: [2, 2], pads: [1, 0, 1, 0] } }));
test('ConvTranspose 1-D', (t) =>
  check(t, { op: 'ConvTranspose', x: [2, 3, 9], w: [3, 4, 3], attrs: { strides: [3], pads: [1, 0], output_padding: [2] } }, [2, 4, 28]));
test('ConvTranspose 3-D', (t) =>
  check(t, { op: 'ConvTranspose', x: [1, 4, 3, 4, 3], w: [4, 2, 2, 3, 2], attrs: { group: 2, strides: [2, 1, 2], pads: [0, 1, 1, 0, 0, 1] } }));

// Errors
test('Conv with mismatched channels says what is wrong', (t) => {
  const file = path.join(tmp, 'bad.onnx');
  fs.writeFileSync(file, makeModel(convModel({ x: [1, 4, 5, 5], w: [3, 3, 3, 3] })));
  const err = t.throws(() => runPipeline(loadOnnx(file), [inferShapes]));
  t.regex(err!.message, /Conv.*weight dim 1 is 3 but input channels \/ group = 4/);
});
