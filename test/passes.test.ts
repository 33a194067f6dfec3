/** Each pass on small graphs: what it changes, that numbers stay the same, and the IR verifier between passes. */
import test from 'ava';
import type { Graph, Value } from '../src/ir/types.js';
import { cloneGraph } from '../src/ir/graph.js';
import { printGraph } from '../src/ir/printer.js';
import { verifyGraph } from '../src/ir/verify.js';
import { runPipeline } from '../src/passes/pass.js';
import { CORE_PASSES } from '../src/passes/pipeline.js';
import { inferShapes } from '../src/passes/infer-shapes.js';
import { foldConstants } from '../src/passes/fold-constants.js';
import { eliminateDeadCode } from '../src/passes/eliminate-dead-code.js';
import { removeIdentity } from '../src/passes/remove-identity.js';
import { foldBatchNorm } from '../src/passes/fold-batchnorm.js';
import { foldAffine } from '../src/passes/fold-affine.js';
import { fuseActivation } from '../src/passes/fuse-activation.js';
import { foldTransposes } from '../src/passes/fold-transposes.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues } from '../src/verify/metrics.js';
import { importModel, randn } from './helpers/graph.js';

const ops = (g: Graph) => g.nodes.map((n) => n.op);
const x4: Value = { dtype: 'float32', shape: [1, 4, 5, 5], data: randn(100, 3) };

function sameNumbers(t: import('ava').ExecutionContext, a: Graph, b: Graph, feeds: Record<string, Value>): void {
  const ra = runReference(a, feeds);
  const rb = runReference(b, feeds);
  for (const o of a.outputs) t.true(compareValues(o, rb[o], ra[o]).rel_l2_err < 1e-6, `output ${o} changed`);
}

test('infer-shapes resolves Reshape fed by Shape/Gather/Concat arithmetic, fold-constants removes it', (t) => {
  const { graph: g } = importModel({
    inputs: [{ name: 'x', dims: ['N', 4, 5, 5] }],
    initializers: { idx: { dims: [1], data: [0], dtype: 'int64' }, minus1: { dims: [1], data: [-1], dtype: 'int64' } },
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'idx'], outputs: ['n'], attrs: { axis: 0 } },
      { op: 'Concat', inputs: ['n', 'minus1'], outputs: ['shape'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
    ],
    outputs: ['y'],
  }, { x: [1, 4, 5, 5] });
  runPipeline(g, [inferShapes], { verifyBetween: true });
  t.deepEqual(g.tensors.get('y')!.shape, [1, 100]);
  runPipeline(g, [foldConstants, eliminateDeadCode], { verifyBetween: true });
  t.deepEqual(ops(g), ['Reshape']);
});

test('eliminate-dead-code drops nodes that reach no output', (t) => {
  const { graph: g } = importModel({
    inputs: [{ name: 'x', dims: [4] }],
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['y'] },
      { op: 'Exp', inputs: ['x'], outputs: ['unused'] },
    ],
    outputs: ['y'],
  });
  runPipeline(g, [inferShapes, eliminateDeadCode], { verifyBetween: true });
  t.deepEqual(ops(g), ['Relu']);
  t.false(g.tensors.has('unused'));
});

test('remove-identity bypasses Identity and Dropout and keeps graph output names', (t) => {
  const { graph: g } = importModel({
    inputs: [{ name: 'x', dims: [4] }],
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['a'] },
      { op: 'Dropout', inputs: ['a'], outputs: ['b'] },
      { op: 'Identity', inputs: ['b'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
  runPipeline(g, [inferShapes, removeIdentity], { verifyBetween: true });
  t.deepEqual(ops(g), ['Relu']);
  t.deepEqual(g.nodes[0].outputs, ['y']);
});

test('fold-batchnorm folds BatchNormalization into the Conv before it, numerics unchanged', (t) => {
  const { graph: g } = importModel({
    inputs: [{ name: 'x', dims: [1, 4, 5, 5] }],
    initializers: {
      w: { dims: [3, 4, 3, 3], data: randn(108, 5) }, b: { dims: [3], data: [0.1, -0.2, 0.3] },
      s: { dims: [3], data: [1.5, 0.5, -1] }, bb: { dims: [3], data: [0.2, 0, -0.1] },
      m: { dims: [3], data: [0.05, -0.1, 0.2] }, v: { dims: [3], data: [0.9, 1.2, 0.3] },
    },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'BatchNormalization', inputs: ['c', 's', 'bb', 'm', 'v'], outputs: ['y'], attrs: { epsilon: 1e-3 } },
    ],
    outputs: ['y'],
  });
  runPipeline(g, [inferShapes], { verifyBetween: true });
  const before = cloneGraph(g);
  runPipeline(g, [foldBatchNorm, eliminateDeadCode], { verifyBetween: true });
  t.deepEqual(ops(g), ['Conv']);
  sameNumbers(t, before, g, { x: x4 });
});

test('the core pipeline folds ConvTranspose, a per-channel Add and the BatchNormalization after it (PP-OCR det head)', (t) => {
  const { graph: g } = importModel({
    inputs: [{ name: 'x', dims: [1, 4, 5, 5] }],
    initializers: {
      w: { dims: [4, 3, 2, 2], data: randn(48, 7) }, a: { dims: [1, 3, 1, 1], data: [0.1, -0.2, 0.3] },
      s: { dims: [3], data: [1.5, 0.5, -1] }, bb: { dims: [3], data: [0.2, 0, -0.1] },
      m: { dims: [3], data: [0.05, -0.1, 0.2] }, v: { dims: [3], data: [0.9, 1.2, 0.3] },
    },
    nodes: [
      { op: 'ConvTranspose', inputs: ['x', 'w'], outputs: ['c'], attrs: { strides: [2, 2] } },
      { op: 'Add', inputs: ['c', 'a'], outputs: ['h'] },
      { op: 'BatchNormalization', inputs: ['h', 's', 'bb', 'm', 'v'], outputs: ['y'], attrs: { epsilon: 1e-3 } },
    ],
    outputs: ['y'],
  });
  runPipeline(g, [inferShapes], { verifyBetween: true });
  const before = cloneGraph(g);
  runPipeline(g, CORE_PASSES, { verifyBetween: true });
  t.deepEqual(ops(g), ['ConvTranspose']);
  sameNumbers(t, before, g, { x: x4 });
});

test('fold-affine folds per-channel Mul/Add after a Conv; fuse-activation recognises HardSwish and fuses it', (t) => {
  const { graph: g } = importModel({
    inputs: [{ name: 'x', dims: [1, 4, 5, 5] }],
    initializers: {
      w: { dims: [2, 4, 1, 1], data: randn(8, 9) }, k: { dims: [1, 2, 1, 1], data: [2, -0.5] }, a: { dims: [1], data: [0.25] },
      three: { dims: [], data: [3] }, zero: { dims: [], data: [0] }, six: { dims: [], data: [6] },
    },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] },
      { op: 'Mul', inputs: ['k', 'c'], outputs: ['m'] },
      { op: 'Add', inputs: ['m', 'a'], outputs: ['h'] },
      { op: 'Add', inputs: ['h', 'three'], outputs: ['h3'] },
      { op: 'Clip', inputs: ['h3', 'zero', 'six'], outputs: ['cl'] },
      { op: 'Mul', inputs: ['h', 'cl'], outputs: ['hm'] },
      { op: 'Div', inputs: ['hm', 'six'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
  runPipeline(g, [inferShapes], { verifyBetween: true });
  const before = cloneGraph(g);
  runPipeline(g, [foldAffine, fuseActivation, eliminateDeadCode], { verifyBetween: true });
  t.deepEqual(ops(g), ['Conv']);
  t.is(g.nodes[0].attrs.act?.value, 'HardSwish');
  sameNumbers(t, before, g, { x: x4 });
});

test('the printer writes one line per node with types', (t) => {
  const { graph: g } = importModel({
    inputs: [{ name: 'x', dims: [2, 3] }],
    nodes: [{ op: 'LeakyRelu', inputs: ['x'], outputs: ['y'], attrs: { alpha: 0.5 } }],
    outputs: ['y'],
  });
  runPipeline(g, CORE_PASSES, { verifyBetween: true });
  t.is(printGraph(g), [
    'graph test (%x:float32[2x3]) {',
    '  %y:float32[2x3] = LeakyRelu(%x) {alpha=0.5}  # LeakyRelu_0',
    '  return %y:float32[2x3]',
    '}',
  ].join('\n'));
});

test('the IR verifier reports reads before definition and duplicate definitions', (t) => {
  const { graph: g } = importModel({
    inputs: [{ name: 'x', dims: [4] }],
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['a'] },
      { op: 'Relu', inputs: ['a'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
  runPipeline(g, [inferShapes]);
  const broken = cloneGraph(g);
  broken.nodes.reverse();
  const e1 = t.throws(() => verifyGraph(broken, 'in test'));
  t.regex(e1!.message, /reads 'a' before it is defined/);
  const dup = cloneGraph(g);
  dup.nodes[1].outputs = ['a'];
  t.regex(t.throws(() => verifyGraph(dup, 'in test'))!.message, /defined twice/);
});

test('fold-transposes composes stacked Transposes, drops inverse pairs and turns unit-dim moves into Reshape views', (t) => {
  const { graph: g } = importModel({
    inputs: [{ name: 'x', dims: [1, 4, 5, 5] }],
    nodes: [
      { op: 'Transpose', inputs: ['x'], outputs: ['a'], attrs: { perm: [0, 2, 3, 1] } },
      { op: 'Transpose', inputs: ['a'], outputs: ['b'], attrs: { perm: [0, 3, 1, 2] } },
      { op: 'Relu', inputs: ['b'], outputs: ['c'] },
      { op: 'Transpose', inputs: ['c'], outputs: ['d'], attrs: { perm: [0, 2, 3, 1] } },
      { op: 'Transpose', inputs: ['d'], outputs: ['e'], attrs: { perm: [1, 0, 2, 3] } },
      { op: 'Transpose', inputs: ['e'], outputs: ['y'], attrs: { perm: [1, 0, 2, 3] } },
    ],
    outputs: ['y'],
  });
  runPipeline(g, [inferShapes]);
  const before = cloneGraph(g);
  runPipeline(g, [foldTransposes, eliminateDeadCode], { verifyBetween: true });
  t.deepEqual(ops(g), ['Relu', 'Transpose'], printGraph(g));
  t.deepEqual(g.nodes[0].inputs, ['x']);
  t.deepEqual(g.nodes[1].attrs.perm, { type: 'ints', value: [0, 2, 3, 1] });
  sameNumbers(t, before, g, { x: x4 });
  const { graph: h } = importModel({
    inputs: [{ name: 'x', dims: [1, 4, 1, 1] }],
    nodes: [{ op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: { perm: [0, 2, 3, 1] } }],
    outputs: ['y'],
  });
  runPipeline(h, [inferShapes, foldTransposes], { verifyBetween: true });
  t.deepEqual(ops(h), ['Reshape']);
  t.deepEqual(h.tensors.get('y')!.shape, [1, 1, 1, 4]);
});
