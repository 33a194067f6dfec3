/** TFLite import: NHWC models computed in the NCHW IR (against direct NHWC arithmetic), layout views, and errors for people. */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../src/ops/index.js';
import type { Value } from '../src/ir/types.js';
import { compileGraph } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import { loadTflite } from '../src/frontend/tflite/load.js';
import { loadModel } from '../src/frontend/index.js';
import { runReference } from '../src/interp/reference.js';
import { runC } from './helpers/c-run.js';
import { randn } from './helpers/graph.js';
import {
  ActivationFunctionType, BuiltinOperator, Padding, add, conv2d, depthwise, leakyRelu, stridedSlice, sub, writeTflite, type TModel,
} from './helpers/tflite-builder.js';

const compile = (file: string) => compileGraph(file, getTarget('c'), { verifyIr: true }).graph;

/** NHWC conv with OHWI filters (TFLite's definition); `multiplier` > 0 makes it depthwise with 1HW(C*m) filters. */
function convNhwc(x: Float32Array, [h, w, c]: number[], f: Float32Array, [o, kh, kw]: number[], bias: Float32Array, stride: number, pad: [number, number], outHw: [number, number], multiplier = 0): Float32Array {
  const [oh, ow] = outHw;
  const y = new Float32Array(oh * ow * o);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++)
      for (let oc = 0; oc < o; oc++) {
        let acc = bias[oc];
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const iy = oy * stride - pad[0] + ky;
            const ix = ox * stride - pad[1] + kx;
            if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
            if (multiplier) acc += x[(iy * w + ix) * c + Math.floor(oc / multiplier)] * f[(ky * kw + kx) * o + oc];
            else for (let ic = 0; ic < c; ic++) acc += x[(iy * w + ix) * c + ic] * f[((oc * kh + ky) * kw + kx) * c + ic];
          }
        y[(oy * ow + ox) * o + oc] = acc;
      }
  return y;
}

function closeTo(t: import('ava').ExecutionContext, got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  t.is(got.length, want.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  t.true(worst < 1e-4, `${what}: max difference ${worst}`);
}

/** x[1,5,6,3] -> CONV_2D 4x3x3 SAME stride 2 RELU6 -> DEPTHWISE x2 3x3 VALID -> ADD [8] -> y[1,1,1,8]. */
function convChain(): { model: TModel; x: Float32Array; w1: Float32Array; w2: Float32Array; b1: Float32Array; b2: Float32Array; c: Float32Array } {
  const x = randn(90, 1).map((v) => v * 3);
  const w1 = randn(4 * 9 * 3, 2);
  const w2 = randn(9 * 8, 3);
  const b1 = randn(4, 4);
  const b2 = randn(8, 5);
  const c = randn(8, 6);
  const model: TModel = {
    tensors: [
      { name: 'x', shape: [1, 5, 6, 3] }, { name: 'w1', shape: [4, 3, 3, 3], data: w1 }, { name: 'b1', shape: [4], data: b1 },
      { name: 'a', shape: [1, 3, 3, 4] }, { name: 'w2', shape: [1, 3, 3, 8], data: w2 }, { name: 'b2', shape: [8], data: b2 },
      { name: 'd', shape: [1, 1, 1, 8] }, { name: 'c', shape: [8], data: c }, { name: 'y', shape: [1, 1, 1, 8] },
    ],
    ops: [
      { op: BuiltinOperator.CONV_2D, inputs: [0, 1, 2], outputs: [3], options: conv2d(Padding.SAME, [2, 2], ActivationFunctionType.RELU6) },
      { op: BuiltinOperator.DEPTHWISE_CONV_2D, inputs: [3, 4, 5], outputs: [6], options: depthwise(Padding.VALID, [1, 1], 2) },
      { op: BuiltinOperator.ADD, inputs: [6, 7], outputs: [8], options: add() },
    ],
    inputs: [0],
    outputs: [8],
  };
  return { model, x, w1, w2, b1, b2, c };
}

test('float CONV_2D, DEPTHWISE_CONV_2D and a broadcast ADD compute what NHWC arithmetic gives, with Transposes only at the edges', async (t) => {
  const m = convChain();
  const g = compile(writeTflite(m.model));
  // SAME, stride 2 on 5x6 with a 3x3 window: 3x3 out, pads top 1 / bottom 1, left 0 / right 1 (the odd pixel at the end).
  const a = convNhwc(m.x, [5, 6, 3], m.w1, [4, 3, 3], m.b1, 2, [1, 0], [3, 3]).map((v) => Math.min(6, Math.max(0, v)));
  const d = convNhwc(a, [3, 3, 4], m.w2, [8, 3, 3], m.b2, 1, [0, 0], [1, 1], 2);
  const want = d.map((v, i) => v + m.c[i]);
  const feeds = { [g.inputs[0]]: { dtype: 'float32', shape: [1, 5, 6, 3], data: m.x } as Value };
  closeTo(t, runReference(g, feeds)[g.outputs[0]].data, want, 'reference');
  closeTo(t, (await runC(g, feeds))[g.outputs[0]].data, want, 'C');
  t.deepEqual(g.nodes.map((n) => n.op).filter((op) => op === 'Transpose' || op === 'Reshape'), ['Transpose', 'Reshape'], g.nodes.map((n) => n.op).join(' '));
  t.deepEqual(g.tensors.get(g.inputs[0])!.shape, [1, 5, 6, 3]);
  t.deepEqual(g.tensors.get(g.outputs[0])!.shape, [1, 1, 1, 8]);
});

test('int16 LEAKY_RELU after a 16x8 CONV_2D stays NCHW; per-channel int8 filter scales follow the permuted axis', (t) => {
  const model: TModel = {
    tensors: [
      { name: 'x', shape: [1, 4, 4, 2], type: 'int16', quant: { scale: [0.001] } },
      { name: 'w', shape: [3, 1, 1, 2], type: 'int8', data: [1, 2, 3, 4, 5, 6], quant: { scale: [0.1, 0.2, 0.3], axis: 0 } },
      { name: 'b', shape: [3], type: 'int64', data: [10, -20, 30], quant: { scale: [0.0001, 0.0002, 0.0003], axis: 0 } },
      { name: 'c', shape: [1, 4, 4, 3], type: 'int16', quant: { scale: [0.002] } },
      { name: 'y', shape: [1, 4, 4, 3], type: 'int16', quant: { scale: [0.002] } },
    ],
    ops: [
      { op: BuiltinOperator.CONV_2D, inputs: [0, 1, 2], outputs: [3], options: conv2d(Padding.VALID, [1, 1]) },
      { op: BuiltinOperator.LEAKY_RELU, inputs: [3], outputs: [4], options: leakyRelu(0.2) },
    ],
    inputs: [0],
    outputs: [4],
  };
  const g = compile(writeTflite(model));
  const conv = g.nodes.find((n) => n.op === 'Conv')!;
  const w = g.tensors.get(conv.inputs[1])!;
  t.deepEqual(w.shape, [3, 2, 1, 1]);
  t.is(w.quant?.axis, 0);
  t.is(g.tensors.get(conv.inputs[2])!.dtype, 'int64');
  t.is(g.nodes.find((n) => n.op === 'LeakyRelu')!.inputs[0], conv.outputs[0], 'LeakyRelu reads the NCHW conv output');
  t.is(g.nodes.filter((n) => n.op === 'Transpose').length, 2);
});

test('STRIDED_SLICE with a shrink mask is a Slice in the input layout and a Reshape in TFLite order', async (t) => {
  const x = randn(60, 7);
  const model: TModel = {
    tensors: [
      { name: 'x', shape: [1, 4, 5, 3] }, { name: 'w', shape: [3, 1, 1, 3], data: [1, 0, 0, 0, 1, 0, 0, 0, 1] },
      { name: 'h', shape: [1, 4, 5, 3] },
      { name: 'begin', shape: [4], type: 'int32', data: [0, 1, 4, 0] }, { name: 'end', shape: [4], type: 'int32', data: [1, 3, -6, 3] },
      { name: 'strides', shape: [4], type: 'int32', data: [1, 1, -2, 1] }, { name: 'y', shape: [2, 3, 3] },
    ],
    ops: [
      { op: BuiltinOperator.CONV_2D, inputs: [0, 1, -1], outputs: [2], options: conv2d(Padding.VALID, [1, 1]) },
      { op: BuiltinOperator.STRIDED_SLICE, inputs: [2, 3, 4, 5], outputs: [6], options: stridedSlice({ shrink: 1 }) },
    ],
    inputs: [0],
    outputs: [6],
  };
  const g = compile(writeTflite(model));
  // Rows 1..2, columns 4, 2, 0 (stride -2 down to the start), all channels.
  const want: number[] = [];
  for (const r of [1, 2]) for (const c of [4, 2, 0]) for (let ch = 0; ch < 3; ch++) want.push(x[(r * 5 + c) * 3 + ch]);
  const feeds = { x: { dtype: 'float32', shape: [1, 4, 5, 3], data: x } as Value };
  closeTo(t, (await runC(g, feeds)).y.data, want, 'C');
  t.true(g.nodes.some((n) => n.op === 'Slice'));
});

test('a rank-1 operand broadcast onto an NCHW activation is reshaped, not transposed', async (t) => {
  const model: TModel = {
    tensors: [
      { name: 'x', shape: [1, 2, 3, 4] }, { name: 'w', shape: [4, 1, 1, 4], data: randn(16, 8) }, { name: 'h', shape: [1, 2, 3, 4] },
      { name: 'v', shape: [4] }, { name: 'y', shape: [1, 2, 3, 4] },
    ],
    ops: [
      { op: BuiltinOperator.CONV_2D, inputs: [0, 1, -1], outputs: [2], options: conv2d(Padding.VALID, [1, 1]) },
      { op: BuiltinOperator.SUB, inputs: [2, 3], outputs: [4], options: sub() },
    ],
    inputs: [0, 3],
    outputs: [4],
  };
  const g = compile(writeTflite(model));
  const subNode = g.nodes.find((n) => n.op === 'Sub')!;
  t.deepEqual(g.tensors.get(subNode.inputs[1])!.shape, [1, 4, 1, 1]);
  t.is(g.nodes.filter((n) => n.op === 'Transpose').length, 2, g.nodes.map((n) => n.op).join(' '));
  const x = randn(24, 9);
  const v = Float32Array.of(1, 2, 3, 4);
  const ref = runReference(g, { x: { dtype: 'float32', shape: [1, 2, 3, 4], data: x }, v: { dtype: 'float32', shape: [4], data: v } }).y.data;
  const c = (await runC(g, { x: { dtype: 'float32', shape: [1, 2, 3, 4], data: x }, v: { dtype: 'float32', shape: [4], data: v } })).y.data;
  closeTo(t, c, ref, 'C');
  const w = model.tensors[1].data!;
  const h0 = Array.from({ length: 4 }, (_, o) => Array.from({ length: 4 }, (_, i) => x[i] * w[o * 4 + i]).reduce((p, q) => p + q, 0));
  closeTo(t, Array.from(c).slice(0, 4), h0.map((h, o) => h - v[o]), 'first pixel');
});

test('custom and unsupported operators: one error naming each op and the subgraph; nothing is imported half-way', (t) => {
  const model: TModel = {
    tensors: [{ name: 'x', shape: [1, 4] }, { name: 'a', shape: [1, 4] }, { name: 'b', shape: [1, 4] }, { name: 'y', shape: [1, 4] }],
    ops: [
      { op: { custom: 'TFLite_Detection_PostProcess' }, inputs: [0], outputs: [1] },
      { op: BuiltinOperator.GELU, inputs: [1], outputs: [2] },
      { op: { custom: 'TFLite_Detection_PostProcess' }, inputs: [2], outputs: [3] },
    ],
    inputs: [0],
    outputs: [3],
  };
  const file = writeTflite(model);
  const e = t.throws(() => loadTflite(file))!;
  t.regex(e.message, /subgraph 0 'main'/);
  t.regex(e.message, /custom op 'TFLite_Detection_PostProcess' \(operator 0 and 1 more\)/);
  t.regex(e.message, /GELU \(operator 1\)/);
  t.false(e.message.includes('\n'));
});

test('files that are not TFLite, and --input-shape against static shapes, fail with one line', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-tfl-'));
  const bad = path.join(dir, 'bad.tflite');
  fs.writeFileSync(bad, Buffer.from('not a flatbuffer at all'));
  t.regex(t.throws(() => loadModel(bad))!.message, /not a TFLite model \(no 'TFL3' identifier\)/);
  const file = writeTflite(convChain().model);
  t.regex(t.throws(() => loadModel(file, { inputShapes: { x: [1, 10, 6, 3] } }))!.message, /static shapes and this input is 1x5x6x3/);
  t.notThrows(() => loadModel(file, { inputShapes: { x: [1, 5, 6, 3] } }));
  // A .tflite under another name is still recognised by its identifier.
  const renamed = path.join(dir, 'model.bin');
  fs.copyFileSync(file, renamed);
  t.is(loadModel(renamed).nodes.filter((n) => n.op === 'Conv').length, 2);
});

test('QUANTIZE from float rounds half away from zero as TFLite does; DEQUANTIZE maps back', async (t) => {
  const model: TModel = {
    tensors: [
      { name: 'x', shape: [1, 6] },
      { name: 'q', shape: [1, 6], type: 'int8', quant: { scale: [0.5], zeroPoint: [3] } },
      { name: 'y', shape: [1, 6] },
    ],
    ops: [
      { op: BuiltinOperator.QUANTIZE, inputs: [0], outputs: [1] },
      { op: BuiltinOperator.DEQUANTIZE, inputs: [1], outputs: [2] },
    ],
    inputs: [0],
    outputs: [1, 2],
  };
  const g = compile(writeTflite(model));
  t.deepEqual(g.nodes.map((n) => n.op), ['Quantize', 'Dequantize']);
  const feeds = { x: { dtype: 'float32', shape: [1, 6], data: Float32Array.of(0.25, -0.25, 0.75, -0.75, 100, -100) } as Value };
  const c = await runC(g, feeds);
  // x / 0.5 = 0.5, -0.5, 1.5, -1.5 round away from zero to 1, -1, 2, -2; then + 3 and saturation.
  t.deepEqual([...c.q.data], [4, 2, 5, 1, 127, -128]);
  t.deepEqual([...runReference(g, feeds).q.data], [4, 2, 5, 1, 127, -128]);
  t.deepEqual([...c.y.data], [0.5, -0.5, 1, -1, 62, -65.5]);
});
