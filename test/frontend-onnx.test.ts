/** The ONNX frontend: external data, Constant nodes, opset upgrades to canonical IR, errors for people. */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../src/ops/index.js';
import { onnx } from '../src/frontend/onnx/proto.js';
import { loadOnnx } from '../src/frontend/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { CORE_PASSES } from '../src/passes/pipeline.js';
import { runReference } from '../src/interp/reference.js';
import { makeModel } from './helpers/onnx-builder.js';
import { importModel } from './helpers/graph.js';
import { runOrt } from './helpers/ort.js';

const x: { dtype: 'float32'; shape: number[]; data: Float32Array } = { dtype: 'float32', shape: [2, 3], data: Float32Array.from([-2, -0.5, 0, 0.5, 1, 7]) };

test('initializers stored as external data are read from the file next to the model', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-ext-'));
  const bytes = makeModel({
    inputs: [{ name: 'x', dims: [2, 3] }],
    initializers: { w: { dims: [3], data: [0, 0, 0] } },
    nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
    outputs: ['y'],
  });
  const m = onnx.ModelProto.decode(bytes);
  const w = m.graph!.initializer![0];
  w.floatData = [];
  w.dataLocation = 1;
  w.externalData = [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: '8' }, { key: 'length', value: '12' }];
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat([Buffer.alloc(8), Buffer.from(Float32Array.from([1, 2, 3]).buffer)]));
  const file = path.join(dir, 'model.onnx');
  fs.writeFileSync(file, onnx.ModelProto.encode(m).finish());
  const g = loadOnnx(file);
  t.deepEqual(Array.from(g.tensors.get('w')!.data!), [1, 2, 3]);
  runPipeline(g, CORE_PASSES, { verifyBetween: true });
  const ours = runReference(g, { x }).y;
  const ort = (await runOrt(file, { x })).y;
  t.deepEqual(Array.from(ours.data), Array.from(ort.data));
  fs.rmSync(path.join(dir, 'weights.bin'));
  t.throws(() => loadOnnx(file), { message: /external data file 'weights.bin' not found/ });
});

test('Constant nodes (value, value_float, value_ints) become constant tensors', (t) => {
  const { graph: g } = importModel({
    inputs: [{ name: 'x', dims: [2, 3] }],
    nodes: [
      { op: 'Constant', inputs: [], outputs: ['c'], attrs: { value: { tensor: { dims: [3], data: [1, 2, 3] } } } },
      { op: 'Constant', inputs: [], outputs: ['s'], attrs: { value_float: { float: 2 } } },
      { op: 'Constant', inputs: [], outputs: ['shape'], attrs: { value_ints: [3, 2] } },
      { op: 'Mul', inputs: ['x', 'c'], outputs: ['a'] },
      { op: 'Mul', inputs: ['a', 's'], outputs: ['b'] },
      { op: 'Reshape', inputs: ['b', 'shape'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
  t.deepEqual(g.nodes.map((n) => n.op), ['Mul', 'Mul', 'Reshape']);
  t.deepEqual(g.tensors.get('shape')!.dtype, 'int64');
  runPipeline(g, CORE_PASSES, { verifyBetween: true });
  const y = runReference(g, { x }).y;
  t.deepEqual(y.shape, [3, 2]);
  t.deepEqual(Array.from(y.data), [-4, -2, 0, 1, 4, 42]);
});

const opsetCases: { name: string; opset: number; node: Parameters<typeof makeModel>[0]['nodes'][number]; inits?: Parameters<typeof makeModel>[0]['initializers'] }[] = [
  { name: 'Clip-6 attributes', opset: 6, node: { op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: { min: { float: -1 }, max: { float: 0.75 } } } },
  { name: 'Clip-13 inputs', opset: 13, node: { op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'] }, inits: { lo: { dims: [], data: [-1] }, hi: { dims: [], data: [0.75] } } },
  { name: 'Slice-1 attributes', opset: 1, node: { op: 'Slice', inputs: ['x'], outputs: ['y'], attrs: { starts: [0, 1], ends: [1, 3], axes: [0, 1] } } },
  { name: 'Slice-13 inputs with steps', opset: 13, node: { op: 'Slice', inputs: ['x', 'st', 'en', 'ax', 'sp'], outputs: ['y'] }, inits: { st: { dims: [1], data: [-1], dtype: 'int64' }, en: { dims: [1], data: [-10], dtype: 'int64' }, ax: { dims: [1], data: [1], dtype: 'int64' }, sp: { dims: [1], data: [-2], dtype: 'int64' } } },
  { name: 'Softmax-11 (2-D coercion)', opset: 11, node: { op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 0 } } },
  { name: 'ReduceSum-13 axes input', opset: 13, node: { op: 'ReduceSum', inputs: ['x', 'ax'], outputs: ['y'], attrs: { keepdims: 0 } }, inits: { ax: { dims: [1], data: [1], dtype: 'int64' } } },
  { name: 'Unsqueeze-11 attribute', opset: 11, node: { op: 'Unsqueeze', inputs: ['x'], outputs: ['y'], attrs: { axes: [0] } } },
  { name: 'Pad-2 attributes', opset: 2, node: { op: 'Pad', inputs: ['x'], outputs: ['y'], attrs: { pads: [0, 1, 1, 0], value: { float: 9 } } } },
];

for (const c of opsetCases) {
  test(`opset upgrade: ${c.name} matches onnxruntime`, async (t) => {
    const { graph: g, file } = importModel({ inputs: [{ name: 'x', dims: [2, 3] }], initializers: c.inits, nodes: [c.node], outputs: ['y'], opset: c.opset });
    runPipeline(g, CORE_PASSES, { verifyBetween: true });
    const ours = runReference(g, { x }).y;
    const ort = (await runOrt(file, { x })).y;
    t.deepEqual(ours.shape, ort.shape);
    Array.from(ort.data).forEach((v, i) => t.true(Math.abs(v - ours.data[i]) < 1e-6, `element ${i}`));
  });
}
