/** Models quantized by other tools (ONNX QDQ and QOperator) import as integer graphs and agree with onnxruntime. */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../src/ops/index.js';
import type { Value } from '../src/ir/types.js';
import { compileGraph } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import { makeModel, type ModelIn } from './helpers/onnx-builder.js';
import { randn } from './helpers/graph.js';
import { runOrt } from './helpers/ort.js';
import { runC } from './helpers/c-run.js';
import { runReference } from '../src/interp/reference.js';

function write(m: ModelIn): string {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-qdq-')), 'model.onnx');
  fs.writeFileSync(f, makeModel(m));
  return f;
}

/** Compile through the target pipeline; check C == integer reference exactly and C within `steps` output steps of ORT. */
async function agreeWithOrt(t: import('ava').ExecutionContext, file: string, feeds: Record<string, Value>, step: number, steps = 1) {
  const { graph } = compileGraph(file, getTarget('c'), { verifyIr: true });
  const integerOps = graph.nodes.filter((n) => [...n.inputs, ...n.outputs].some((x) => x && graph.tensors.get(x)?.quant) && n.op !== 'Quantize' && n.op !== 'Dequantize');
  t.true(integerOps.length > 0, `no integer op in ${graph.nodes.map((n) => n.op).join(',')}`);
  const ref = runReference(graph, feeds);
  const c = await runC(graph, feeds);
  const ort = await runOrt(fs.readFileSync(file), feeds);
  for (const o of graph.outputs) {
    t.deepEqual([...c[o].data], [...ref[o].data], `${o}: C differs from the integer reference`);
    let worst = 0;
    for (let i = 0; i < ort[o].data.length; i++) worst = Math.max(worst, Math.abs(Number(ort[o].data[i]) - Number(c[o].data[i])));
    t.true(worst <= steps * step + 1e-6, `${o}: ${worst} from onnxruntime (step ${step})`);
  }
  return graph;
}

const conv = { dims: [8, 4, 3, 3], data: randn(288, 5) };

test('QDQ Conv + Relu with per-channel weights becomes an integer Conv matching onnxruntime', async (t) => {
  // Weights within 7 bits: onnxruntime's AVX2 u8s8 kernels saturate int16 pair sums with full-range int8 weights.
  const ws = Array.from({ length: 8 }, (_, c) => 0.016 + c * 0.001);
  const file = write({
    opset: 13,
    inputs: [{ name: 'x', dims: [1, 4, 9, 9] }],
    initializers: {
      w: conv, xs: { dims: [], data: [0.02] }, xz: { dims: [], data: [3], dtype: 'int8' },
      ws: { dims: [8], data: ws }, wz: { dims: [8], data: new Array(8).fill(0), dtype: 'int8' },
      ys: { dims: [], data: [0.03] }, yz: { dims: [], data: [-128], dtype: 'int8' },
    },
    nodes: [
      { op: 'QuantizeLinear', inputs: ['x', 'xs', 'xz'], outputs: ['xq'] },
      { op: 'DequantizeLinear', inputs: ['xq', 'xs', 'xz'], outputs: ['xd'] },
      { op: 'QuantizeLinear', inputs: ['w', 'ws', 'wz'], outputs: ['wq'], attrs: { axis: 0 } },
      { op: 'DequantizeLinear', inputs: ['wq', 'ws', 'wz'], outputs: ['wd'], attrs: { axis: 0 } },
      { op: 'Conv', inputs: ['xd', 'wd'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'QuantizeLinear', inputs: ['r', 'ys', 'yz'], outputs: ['yq'] },
      { op: 'DequantizeLinear', inputs: ['yq', 'ys', 'yz'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
  const g = await agreeWithOrt(t, file, { x: { dtype: 'float32', shape: [1, 4, 9, 9], data: Float32Array.from(randn(324, 6), (v) => v * 2) } }, 0.03);
  t.true(g.nodes.some((n) => n.op === 'Conv' && g.tensors.get(n.inputs[1])!.dtype === 'int8'));
});

test('QOperator QLinearConv (uint8 activations) and com.microsoft QLinearAdd match onnxruntime', async (t) => {
  const wq = Int8Array.from(randn(288, 7), (v) => Math.round(v * 100));
  const file = write({
    inputs: [{ name: 'x', dims: [1, 4, 7, 7] }],
    initializers: {
      xs: { dims: [], data: [0.02] }, xz: { dims: [], data: [128], dtype: 'uint8' },
      w: { dims: [8, 4, 3, 3], data: wq, dtype: 'int8' }, ws: { dims: [], data: [0.005] }, wz: { dims: [], data: [0], dtype: 'int8' },
      b: { dims: [8], data: [100, -200, 0, 50, 7, -7, 1000, -1000], dtype: 'int32' },
      ys: { dims: [], data: [0.05] }, yz: { dims: [], data: [120], dtype: 'uint8' },
      zs: { dims: [], data: [0.06] }, zz: { dims: [], data: [100], dtype: 'uint8' },
    },
    nodes: [
      { op: 'QuantizeLinear', inputs: ['x', 'xs', 'xz'], outputs: ['xq'] },
      { op: 'QLinearConv', inputs: ['xq', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], outputs: ['cq'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'QLinearAdd', domain: 'com.microsoft', inputs: ['cq', 'ys', 'yz', 'cq', 'ys', 'yz', 'zs', 'zz'], outputs: ['aq'] },
      { op: 'DequantizeLinear', inputs: ['aq', 'zs', 'zz'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
  await agreeWithOrt(t, file, { x: { dtype: 'float32', shape: [1, 4, 7, 7], data: randn(196, 8) } }, 0.06);
});

test('a QDQ model whose Quantize and Dequantize scales disagree is refused, naming the tensor', (t) => {
  const file = write({
    opset: 13,
    inputs: [{ name: 'x', dims: [1, 4] }],
    initializers: { s1: { dims: [], data: [0.1] }, s2: { dims: [], data: [0.2] }, z: { dims: [], data: [0], dtype: 'int8' } },
    nodes: [
      { op: 'QuantizeLinear', inputs: ['x', 's1', 'z'], outputs: ['xq'], name: 'q' },
      { op: 'DequantizeLinear', inputs: ['xq', 's2', 'z'], outputs: ['y'], name: 'dq' },
    ],
    outputs: ['y'],
  });
  t.throws(() => compileGraph(file, getTarget('c'), {}), { message: /tensor 'xq' is quantized with scale 0\.1.* by node 'q' but node 'dq' \(DequantizeLinear\) uses scale 0\.2/ });
});
