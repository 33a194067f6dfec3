/** Every fusion rule on a small graph: the ops left after the pipeline, numbers unchanged (reference; C where the rule adds a kernel path), and PP-OCR losing every pattern. */
import test, { type ExecutionContext } from 'ava';
import type { Graph, Value } from '../src/ir/types.js';
import { cloneGraph } from '../src/ir/graph.js';
import { runPipeline } from '../src/passes/pass.js';
import { CORE_PASSES } from '../src/passes/pipeline.js';
import { inferShapes } from '../src/passes/infer-shapes.js';
import { fusionCensus } from '../src/passes/fusion-census.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues } from '../src/verify/metrics.js';
import { compileGraph } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import type { ModelIn, NodeIn, TensorIn } from './helpers/onnx-builder.js';
import { importModel, randn } from './helpers/graph.js';
import { runC } from './helpers/c-run.js';
import { REAL_MODELS } from './helpers/models.js';

const C = 4;
const X: TensorIn = { dims: [1, C, 6, 6], data: [] };
const W = (o: number, i: number, k: number, seed: number): TensorIn => ({ dims: [o, i, k, k], data: randn(o * i * k * k, seed) });
const vec = (n: number, seed: number, shape = [1, n, 1, 1]): TensorIn => ({ dims: shape, data: randn(n, seed) });
const s = (v: number): TensorIn => ({ dims: [], data: [v] });

/** Import, run the core pipeline (IR verified between passes), and compare with the unoptimised graph's reference. */
function optimise(t: ExecutionContext, m: ModelIn): { before: Graph; after: Graph; feeds: Record<string, Value> } {
  const { graph } = importModel({ opset: 13, ...m });
  const before = runPipeline(cloneGraph(graph), [inferShapes]);
  const after = runPipeline(graph, CORE_PASSES, { verifyBetween: true });
  const feeds = Object.fromEntries(before.inputs.map((n, i) => {
    const ti = before.tensors.get(n)!;
    return [n, { dtype: 'float32', shape: ti.shape, data: randn(ti.shape.reduce((a, b) => a * b, 1), 40 + i).map((v) => 4 * v) } as Value];
  }));
  const [ra, rb] = [runReference(before, feeds), runReference(after, feeds)];
  for (const o of before.outputs) t.true(compareValues(o, rb[o], ra[o]).rel_l2_err < 1e-6, `output ${o} changed`);
  return { before, after, feeds };
}

/** The pipeline result's ops, and the C build agreeing with the reference. */
async function checkC(t: ExecutionContext, r: { before: Graph; after: Graph; feeds: Record<string, Value> }): Promise<void> {
  const want = runReference(r.before, r.feeds);
  const got = await runC(r.after, r.feeds);
  for (const o of r.before.outputs) t.true(compareValues(o, got[o], want[o]).rel_l2_err < 1e-5, `C output ${o}`);
}

const ops = (g: Graph) => g.nodes.map((n) => n.op);
const act = (g: Graph, i = 0) => (g.nodes[i].attrs.act?.value as string | undefined);
const convThen = (nodes: NodeIn[], extra: Record<string, TensorIn> = {}): ModelIn => ({
  inputs: [{ name: 'x', dims: X.dims }],
  initializers: { w: W(C, C, 3, 1), b: vec(C, 2), three: s(3), six: s(6), zero: s(0), ...extra },
  nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } }, { op: 'Add', inputs: ['c', 'b'], outputs: ['cb'] }, ...nodes],
  outputs: ['y'],
});

const ACTIVATION_CASES: [string, NodeIn, string][] = [
  ['Relu', { op: 'Relu', inputs: ['cb'], outputs: ['y'] }, 'Relu'],
  ['Relu6 (Clip 0..6)', { op: 'Clip', inputs: ['cb', 'zero', 'six'], outputs: ['y'] }, 'Clip'],
  ['Sigmoid', { op: 'Sigmoid', inputs: ['cb'], outputs: ['y'] }, 'Sigmoid'],
  ['HardSigmoid', { op: 'HardSigmoid', inputs: ['cb'], outputs: ['y'], attrs: { alpha: 0.25, beta: 0.4 } }, 'HardSigmoid'],
  ['HardSwish', { op: 'HardSwish', inputs: ['cb'], outputs: ['y'] }, 'HardSwish'],
  ['LeakyRelu', { op: 'LeakyRelu', inputs: ['cb'], outputs: ['y'], attrs: { alpha: 0.1 } }, 'LeakyRelu'],
];

for (const [name, node, want] of ACTIVATION_CASES) {
  test(`conv + bias + ${name} becomes one Conv with the activation in its epilogue`, (t) => {
    const { after } = optimise(t, convThen([node]));
    t.deepEqual(ops(after), ['Conv']);
    t.is(act(after), want);
  });
}

test('gemm + bias + relu becomes one Gemm', (t) => {
  const { after } = optimise(t, {
    inputs: [{ name: 'x', dims: [3, 8] }],
    initializers: { w: { dims: [8, 5], data: randn(40, 3) }, b: { dims: [5], data: randn(5, 4) } },
    nodes: [{ op: 'Gemm', inputs: ['x', 'w'], outputs: ['g'] }, { op: 'Add', inputs: ['g', 'b'], outputs: ['gb'] }, { op: 'Relu', inputs: ['gb'], outputs: ['y'] }],
    outputs: ['y'],
  });
  t.deepEqual(ops(after), ['Gemm']);
  t.is(act(after), 'Relu');
});

test('SiLU x*sigmoid(x) and Swish x*sigmoid(beta x) (beta 1 or not) fuse into the Conv; C matches', async (t) => {
  const silu = optimise(t, convThen([{ op: 'Sigmoid', inputs: ['cb'], outputs: ['sg'] }, { op: 'Mul', inputs: ['cb', 'sg'], outputs: ['y'] }]));
  t.deepEqual(ops(silu.after), ['Conv']);
  t.is(act(silu.after), 'SiLU');
  await checkC(t, silu);
  for (const beta of [1, 1.5]) {
    const r = optimise(t, convThen([
      { op: 'Mul', inputs: ['cb', 'beta'], outputs: ['cs'] }, { op: 'Sigmoid', inputs: ['cs'], outputs: ['sg'] }, { op: 'Mul', inputs: ['sg', 'cb'], outputs: ['y'] },
    ], { beta: s(beta) }));
    t.deepEqual(ops(r.after), ['Conv'], `beta ${beta}`);
    t.is(r.after.nodes[0].attrs.act_alpha?.value, beta);
    if (beta !== 1) await checkC(t, r);
  }
});

/** HardSwish spellings on a graph input: x*Clip(x+3,0,6)/6 with Div or Mul by 1/6 in each association, and x*HardSigmoid(x). */
const HARDSWISH_FORMS: Record<string, NodeIn[]> = {
  'Div(Mul(x, clip), 6)': [{ op: 'Mul', inputs: ['x', 'cl'], outputs: ['m'] }, { op: 'Div', inputs: ['m', 'six'], outputs: ['y'] }],
  'Mul(Mul(x, clip), 1/6)': [{ op: 'Mul', inputs: ['cl', 'x'], outputs: ['m'] }, { op: 'Mul', inputs: ['m', 'sixth'], outputs: ['y'] }],
  'Mul(x, Mul(clip, 1/6))': [{ op: 'Mul', inputs: ['sixth', 'cl'], outputs: ['m'] }, { op: 'Mul', inputs: ['x', 'm'], outputs: ['y'] }],
  'Mul(x, Div(clip, 6))': [{ op: 'Div', inputs: ['cl', 'six'], outputs: ['m'] }, { op: 'Mul', inputs: ['m', 'x'], outputs: ['y'] }],
};
for (const [form, tail] of Object.entries(HARDSWISH_FORMS)) {
  test(`HardSwish written as ${form} becomes HardSwish`, (t) => {
    const { after } = optimise(t, {
      inputs: [{ name: 'x', dims: [2, 12] }],
      initializers: { three: s(3), six: s(6), zero: s(0), sixth: s(1 / 6) },
      nodes: [{ op: 'Add', inputs: ['x', 'three'], outputs: ['a'] }, { op: 'Clip', inputs: ['a', 'zero', 'six'], outputs: ['cl'] }, ...tail],
      outputs: ['y'],
    });
    t.deepEqual(ops(after), ['HardSwish']);
  });
}
test('HardSwish written as x * HardSigmoid(x, 1/6, 1/2) becomes HardSwish', (t) => {
  const { after } = optimise(t, {
    inputs: [{ name: 'x', dims: [2, 12] }],
    nodes: [{ op: 'HardSigmoid', inputs: ['x'], outputs: ['h'], attrs: { alpha: 1 / 6, beta: 0.5 } }, { op: 'Mul', inputs: ['x', 'h'], outputs: ['y'] }],
    outputs: ['y'],
  });
  t.deepEqual(ops(after), ['HardSwish']);
});

test('LayerNorm written as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div with its affine becomes LayerNormalization', (t) => {
  const { after } = optimise(t, {
    inputs: [{ name: 'x', dims: [1, 5, 16] }],
    initializers: { two: s(2), eps: s(1e-5), gamma: { dims: [16], data: randn(16, 7) }, beta: { dims: [16], data: randn(16, 8) } },
    nodes: [
      { op: 'ReduceMean', inputs: ['x'], outputs: ['mu'], attrs: { axes: [-1] } },
      { op: 'Sub', inputs: ['x', 'mu'], outputs: ['d'] },
      { op: 'Pow', inputs: ['d', 'two'], outputs: ['d2'] },
      { op: 'ReduceMean', inputs: ['d2'], outputs: ['var'], attrs: { axes: [-1] } },
      { op: 'Add', inputs: ['var', 'eps'], outputs: ['ve'] },
      { op: 'Sqrt', inputs: ['ve'], outputs: ['sd'] },
      { op: 'Div', inputs: ['d', 'sd'], outputs: ['n'] },
      { op: 'Mul', inputs: ['n', 'gamma'], outputs: ['ng'] },
      { op: 'Add', inputs: ['ng', 'beta'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
  t.deepEqual(ops(after), ['LayerNormalization']);
});

/** GELU with Erf in the three associations exporters write. */
const GELU_FORMS: Record<string, NodeIn[]> = {
  '(x * (1 + erf(x / sqrt2))) * 0.5': [
    { op: 'Div', inputs: ['x', 'sqrt2'], outputs: ['u'] }, { op: 'Erf', inputs: ['u'], outputs: ['e'] }, { op: 'Add', inputs: ['e', 'one'], outputs: ['e1'] },
    { op: 'Mul', inputs: ['x', 'e1'], outputs: ['m'] }, { op: 'Mul', inputs: ['m', 'half'], outputs: ['y'] },
  ],
  '(x * 0.5) * (1 + erf(x * (1 / sqrt2)))': [
    { op: 'Mul', inputs: ['x', 'rsqrt2'], outputs: ['u'] }, { op: 'Erf', inputs: ['u'], outputs: ['e'] }, { op: 'Add', inputs: ['one', 'e'], outputs: ['e1'] },
    { op: 'Mul', inputs: ['half', 'x'], outputs: ['xh'] }, { op: 'Mul', inputs: ['xh', 'e1'], outputs: ['y'] },
  ],
  'x * ((1 + erf(x / sqrt2)) * 0.5)': [
    { op: 'Div', inputs: ['x', 'sqrt2'], outputs: ['u'] }, { op: 'Erf', inputs: ['u'], outputs: ['e'] }, { op: 'Add', inputs: ['e', 'one'], outputs: ['e1'] },
    { op: 'Mul', inputs: ['e1', 'half'], outputs: ['eh'] }, { op: 'Mul', inputs: ['x', 'eh'], outputs: ['y'] },
  ],
};
for (const [form, nodes] of Object.entries(GELU_FORMS)) {
  test(`GELU written as ${form} becomes Gelu; C matches`, async (t) => {
    const r = optimise(t, {
      inputs: [{ name: 'x', dims: [3, 20] }],
      initializers: { sqrt2: s(Math.SQRT2), rsqrt2: s(Math.SQRT1_2), one: s(1), half: s(0.5) },
      nodes,
      outputs: ['y'],
    });
    t.deepEqual(ops(r.after), ['Gelu']);
    await checkC(t, r);
  });
}

test('MatMul + Add becomes Gemm (2-D directly, batched through Reshape views); SiLU after it joins the epilogue; C matches', async (t) => {
  const mm = (dims: number[]): ModelIn => ({
    inputs: [{ name: 'x', dims }],
    initializers: { w: { dims: [12, 10], data: randn(120, 5) }, b: { dims: [10], data: randn(10, 6) } },
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['m'] }, { op: 'Add', inputs: ['b', 'm'], outputs: ['mb'] },
      { op: 'Sigmoid', inputs: ['mb'], outputs: ['sg'] }, { op: 'Mul', inputs: ['mb', 'sg'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
  const flat = optimise(t, mm([7, 12]));
  t.deepEqual(ops(flat.after), ['Gemm']);
  t.is(act(flat.after), 'SiLU');
  const batched = optimise(t, mm([1, 7, 12]));
  t.deepEqual(ops(batched.after), ['Reshape', 'Gemm', 'Reshape']);
  t.is(act(batched.after, 1), 'SiLU');
  await checkC(t, batched);
});

test('a zero constant Pad of the spatial dims folds into the Conv pads', (t) => {
  const { after } = optimise(t, {
    inputs: [{ name: 'x', dims: X.dims }],
    initializers: { w: W(C, C, 3, 1), pads: { dims: [8], data: [0, 0, 1, 2, 0, 0, 1, 0], dtype: 'int64' } },
    nodes: [{ op: 'Pad', inputs: ['x', 'pads'], outputs: ['p'] }, { op: 'Conv', inputs: ['p', 'w'], outputs: ['y'], attrs: { pads: [0, 1, 0, 1] } }],
    outputs: ['y'],
  });
  t.deepEqual(ops(after), ['Conv']);
  t.deepEqual(after.nodes[0].attrs.pads?.value, [1, 3, 1, 1]);
});

test('per-channel scale and shift Mul/Add after a Conv fold into its weights; so does BatchNorm after ConvTranspose + bias Add', (t) => {
  const affine = optimise(t, convThen([{ op: 'Mul', inputs: ['k', 'cb'], outputs: ['cm'] }, { op: 'Add', inputs: ['cm', 'sh'], outputs: ['y'] }], { k: vec(C, 9), sh: vec(C, 10) }));
  t.deepEqual(ops(affine.after), ['Conv']);
  const ct = optimise(t, {
    inputs: [{ name: 'x', dims: X.dims }],
    initializers: { w: W(C, C, 2, 11), b: vec(C, 12), s: vec(C, 13, [C]), bb: vec(C, 14, [C]), mean: vec(C, 15, [C]), var: { dims: [C], data: [1, 2, 0.5, 3] } },
    nodes: [
      { op: 'ConvTranspose', inputs: ['x', 'w'], outputs: ['c'], attrs: { strides: [2, 2] } }, { op: 'Add', inputs: ['c', 'b'], outputs: ['cb'] },
      { op: 'BatchNormalization', inputs: ['cb', 's', 'bb', 'mean', 'var'], outputs: ['bn'] }, { op: 'Relu', inputs: ['bn'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
  t.deepEqual(ops(ct.after), ['ConvTranspose']);
  t.is(act(ct.after), 'Relu');
});

test('Transpose pairs cancel, Reshape pairs collapse, Squeeze/Unsqueeze/Flatten become Reshape views, x*1 and x+0 vanish', (t) => {
  const { after } = optimise(t, {
    inputs: [{ name: 'x', dims: [2, 3, 4] }],
    initializers: { one: s(1), zero: s(0), shape: { dims: [2], data: [6, 4], dtype: 'int64' } },
    nodes: [
      { op: 'Transpose', inputs: ['x'], outputs: ['t1'], attrs: { perm: [2, 0, 1] } },
      { op: 'Transpose', inputs: ['t1'], outputs: ['t2'], attrs: { perm: [1, 2, 0] } },
      { op: 'Mul', inputs: ['t2', 'one'], outputs: ['m'] },
      { op: 'Unsqueeze', inputs: ['m'], outputs: ['u'], attrs: { axes: [0] } },
      { op: 'Squeeze', inputs: ['u'], outputs: ['q'], attrs: { axes: [0] } },
      { op: 'Reshape', inputs: ['q', 'shape'], outputs: ['r'] },
      { op: 'Flatten', inputs: ['r'], outputs: ['f'], attrs: { axis: 0 } },
      { op: 'Add', inputs: ['zero', 'f'], outputs: ['a'] },
      { op: 'Relu', inputs: ['a'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
  t.deepEqual(ops(after), ['Reshape', 'Relu']);
  t.deepEqual(after.tensors.get(after.nodes[0].outputs[0])!.shape, [1, 24]);
});

test('PP-OCR det, rec and cls lose every fusion pattern (node counts and pattern counts before → after)', (t) => {
  const target = getTarget('c');
  for (const m of REAL_MODELS.filter((r) => r.name.startsWith('ppocr'))) {
    const { graph, reference } = compileGraph(m.file, target, { inputShapes: { [m.input]: m.shape } });
    const [before, after] = [fusionCensus(reference), fusionCensus(graph)];
    const found = Object.keys(before).filter((k) => before[k] || after[k]).map((k) => `${k} ${before[k]}→${after[k]}`);
    t.log(`${m.name}: ${reference.nodes.length} → ${graph.nodes.length} nodes; ${found.join(', ')}`);
    for (const k of Object.keys(after)) t.is(after[k], 0, `${m.name}: ${k}`);
  }
});
