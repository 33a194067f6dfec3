/** Elementwise ops, Cast and Where: reference vs onnxruntime, compiled C (plain and sanitized) vs reference. */
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import '../src/ops/index.js';
import type { DType, Graph, Value } from '../src/ir/types.js';
import { allocData, numel } from '../src/ir/dtype.js';
import { loadOnnx } from '../src/frontend/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { inferShapes } from '../src/passes/infer-shapes.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues, seededRandom } from '../src/verify/metrics.js';
import { emitC, RUNTIME_DIR } from '../src/backends/c/emit.js';
import { UNARY_OPS, erf } from '../src/ops/elementwise.js';
import { makeModel, type ModelIn, type NodeIn, type TensorIn } from './helpers/onnx-builder.js';
import { runOrt } from './helpers/ort.js';
import { runC } from './helpers/c-run.js';

const TOL = 1e-5;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-ew-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

type InDType = NonNullable<TensorIn['dtype']>;
/** A graph input: name, shape, dtype and the range random values are drawn from. */
interface In {
  name: string;
  dims: number[];
  dtype?: InDType;
  lo?: number;
  hi?: number;
  /** Exact values instead of random ones. */
  values?: number[];
}

function randomValue(inp: In, seed: number): Value {
  const dtype: DType = inp.dtype ?? 'float32';
  const n = numel(inp.dims);
  const data = allocData(dtype, n);
  const rnd = seededRandom(seed);
  const lo = inp.lo ?? (dtype === 'bool' ? 0 : -4);
  const hi = inp.hi ?? (dtype === 'bool' ? 1 : 4);
  for (let i = 0; i < n; i++) {
    if (inp.values) data[i] = inp.values[i % inp.values.length];
    else if (dtype === 'float32') data[i] = lo + rnd() * (hi - lo);
    else data[i] = Math.floor(lo + rnd() * (hi - lo + 1));
  }
  return { dtype, shape: [...inp.dims], data };
}

/** Build the model, check reference vs onnxruntime, then C and sanitized C vs reference. */
async function check(t: ExecutionContext, ins: In[], nodes: NodeIn[], opts: { opset?: number; init?: ModelIn['initializers']; outputs?: string[]; shape?: number[]; noOrt?: boolean } = {}): Promise<Graph> {
  const m: ModelIn = {
    inputs: ins.map((i) => ({ name: i.name, dims: i.dims, dtype: i.dtype })),
    initializers: opts.init,
    nodes,
    outputs: opts.outputs ?? ['y'],
    opset: opts.opset ?? 17,
  };
  const bytes = makeModel(m);
  const file = path.join(tmp, `${t.title.replace(/[^A-Za-z0-9]+/g, '_').slice(0, 80)}.onnx`);
  fs.writeFileSync(file, bytes);
  const g = runPipeline(loadOnnx(file), [inferShapes]);
  const feeds: Record<string, Value> = {};
  ins.forEach((inp, k) => (feeds[inp.name] = randomValue(inp, 101 + 7 * k)));
  const ref = runReference(g, feeds);
  const ort = opts.noOrt ? ref : await runOrt(bytes, feeds);
  const c = await runC(g, feeds);
  const cs = await runC(g, feeds, { sanitize: true });
  for (const o of g.outputs) {
    if (opts.shape) t.deepEqual(ref[o].shape, opts.shape, `${o}: shape`);
    t.deepEqual(ref[o].shape, ort[o].shape, `${o}: reference shape vs onnxruntime`);
    t.is(ref[o].dtype, ort[o].dtype, `${o}: reference dtype vs onnxruntime`);
    const pairs: [string, Value, Value][] = [['reference vs onnxruntime', ref[o], ort[o]], ['C vs reference', c[o], ref[o]], ['sanitized C vs reference', cs[o], ref[o]]];
    for (const [what, a, r] of pairs) {
      if (r.dtype === 'float32' || r.dtype === 'float64') {
        const e = compareValues(o, a, r).rel_l2_err;
        t.true(e <= TOL, `${o}: ${what}: rel-L2 ${e}`);
      } else {
        t.deepEqual(Array.from(a.data as ArrayLike<number>), Array.from(r.data as ArrayLike<number>), `${o}: ${what}: exact ${r.dtype}`);
      }
    }
  }
  return g;
}

const X = (dims: number[], extra: Partial<In> = {}): In => ({ name: 'x', dims, ...extra });
const node = (op: string, inputs: string[], attrs: NodeIn['attrs'] = {}): NodeIn => ({ op, inputs, outputs: ['y'], attrs });

test('elementwise.h, reduce.h, softmax.h compile clean with -Wall -Wextra -Werror -pedantic, with and without vector extensions', (t) => {
  const src = path.join(tmp, 'ew_only.c');
  fs.writeFileSync(src, '#include "edgec_runtime.h"\n#include "kernels/elementwise.h"\n#include "kernels/reduce.h"\n#include "kernels/softmax.h"\nint main(void) { return 0; }\n');
  for (const extra of [[], ['-DEDGEC_NO_VECTOR_EXT']])
    execFileSync('gcc', ['-std=c99', '-O3', '-march=native', '-Wall', '-Wextra', '-Werror', '-pedantic', '-Wvla', ...extra, '-I', RUNTIME_DIR, src, '-o', path.join(tmp, 'ew_only'), '-lm']);
  t.pass();
});

test('erf reference matches known values', (t) => {
  const known: [number, number][] = [[0, 0], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3, 0.9999779095030014], [-1.5, -0.9661051464753108]];
  for (const [x, v] of known) t.true(Math.abs(erf(x) - v) < 1e-15, `erf(${x})`);
});

// Every unary op on float32, with inputs inside each op's domain.
const POSITIVE = new Set(['Log', 'Sqrt']);
const UNARY_OPSET: Record<string, number> = { HardSwish: 14, Relu: 14, Gelu: 20 };
for (const op of UNARY_OPS) {
  if (op === 'Clip') continue;
  const lo = POSITIVE.has(op) ? 0.05 : op === 'Softplus' ? -30 : -4;
  const hi = op === 'Softplus' ? 30 : 4;
  test(`unary ${op} float32`, (t) => check(t, [X([2, 3, 5, 7], { lo, hi })], [node(op, ['x'])], { opset: UNARY_OPSET[op] ?? 13 }));
}
test('unary Round ties go to even', (t) => check(t, [X([16], { values: [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49, -0.51, 7.2, -7.8, 1e7 + 0.5, 0, 4.5, 5.5, -3.5] })], [node('Round', ['x'])]));
test('unary Exp near underflow and overflow', (t) => check(t, [X([3, 50], { lo: -95, hi: 88.5 })], [node('Exp', ['x'])]));
test('unary Sigmoid over a wide range', (t) => check(t, [X([4, 64], { lo: -100, hi: 100 })], [node('Sigmoid', ['x'])]));
test('LeakyRelu alpha', (t) => check(t, [X([3, 33])], [node('LeakyRelu', ['x'], { alpha: 0.3 })]));
test('Elu alpha', (t) => check(t, [X([3, 33])], [node('Elu', ['x'], { alpha: 0.7 })]));
test('Selu alpha gamma', (t) => check(t, [X([3, 33])], [node('Selu', ['x'], { alpha: 1.5, gamma: 0.9 })]));
test('HardSigmoid alpha beta', (t) => check(t, [X([3, 33])], [node('HardSigmoid', ['x'], { alpha: 0.3, beta: 0.4 })]));
test('Shrink bias lambd', (t) => check(t, [X([3, 33])], [node('Shrink', ['x'], { bias: 0.5, lambd: 1.25 })]));
test('Clip opset 6 attributes', (t) => check(t, [X([2, 40])], [node('Clip', ['x'], { min: -1.5, max: 2.25 })], { opset: 6 }));
test('Clip opset 13 constant inputs', (t) =>
  check(t, [X([2, 40])], [node('Clip', ['x', 'lo', 'hi'])], { init: { lo: { dims: [], data: [0] }, hi: { dims: [], data: [6] } } }));
test('Clip opset 13 max only', (t) => check(t, [X([2, 40])], [node('Clip', ['x', '', 'hi'])], { init: { hi: { dims: [], data: [1] } } }));
test('Clip opset 13 without bounds', (t) => check(t, [X([2, 40])], [node('Clip', ['x'])]));

// Unary ops on integers.
for (const dtype of ['int32', 'int64', 'int8'] as const) {
  for (const op of ['Abs', 'Neg', 'Sign', 'Relu']) {
    if (op === 'Relu' && dtype === 'int64') continue; // onnxruntime has no int64 Relu kernel
    test(`unary ${op} ${dtype}`, (t) => check(t, [X([3, 17], { dtype, lo: -100, hi: 100 })], [node(op, ['x'])], { opset: 14 }));
  }
}
test('Clip int32 with constant bounds', (t) =>
  check(t, [X([3, 17], { dtype: 'int32', lo: -50, hi: 50 })], [node('Clip', ['x', 'lo', 'hi'])], {
    init: { lo: { dims: [], data: [-7], dtype: 'int32' }, hi: { dims: [], data: [20], dtype: 'int32' } },
  }));

// Broadcasting binary arithmetic, float32.
const SHAPES: [string, number[], number[], number[]][] = [
  ['same shape', [2, 3, 4, 5], [2, 3, 4, 5], [2, 3, 4, 5]],
  ['scalar right', [2, 3, 4, 5], [], [2, 3, 4, 5]],
  ['scalar left', [1], [2, 3, 9], [2, 3, 9]],
  ['per-channel [1,C,1,1]', [1, 8, 6, 10], [1, 8, 1, 1], [1, 8, 6, 10]],
  ['per-channel [C,1,1] lower rank', [2, 8, 6, 10], [8, 1, 1], [2, 8, 6, 10]],
  ['last-dim row [K]', [2, 7, 24], [24], [2, 7, 24]],
  ['column [N,1]', [5, 1], [5, 13], [5, 13]],
  ['outer product', [6, 1], [1, 9], [6, 9]],
  ['general 3-d both sides', [2, 1, 4], [3, 1], [2, 3, 4]],
  ['general middle broadcast', [3, 1, 5, 2], [3, 4, 1, 2], [3, 4, 5, 2]],
];
for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
  for (const [what, a, b, out] of SHAPES) {
    test(`${op} ${what}`, (t) =>
      check(t, [{ name: 'a', dims: a }, { name: 'b', dims: b, lo: op === 'Div' ? 0.5 : -4, hi: 4 }], [node(op, ['a', 'b'])], { shape: out }));
  }
}
test('Add of two scalars', (t) => check(t, [{ name: 'a', dims: [] }, { name: 'b', dims: [] }], [node('Add', ['a', 'b'])], { shape: [] }));
test('Mul by a constant scalar', (t) => check(t, [X([3, 11])], [node('Mul', ['x', 'k'])], { init: { k: { dims: [], data: [0.125] } } }));
test('Mul by constant per-channel weight (SE block x * hardsigmoid)', (t) =>
  check(t, [X([1, 16, 12, 12])], [
    { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['p'] },
    { op: 'HardSigmoid', inputs: ['p'], outputs: ['s'], attrs: { alpha: 0.2, beta: 0.5 } },
    { op: 'Mul', inputs: ['x', 's'], outputs: ['y'] },
  ]));
test('Sub then Div by row constants (LayerNorm-style)', (t) =>
  check(t, [X([2, 5, 32])], [
    { op: 'Sub', inputs: ['x', 'mu'], outputs: ['d'] },
    { op: 'Div', inputs: ['d', 'sd'], outputs: ['y'] },
  ], { init: { mu: { dims: [32], data: Array.from({ length: 32 }, (_, i) => i / 10 - 1) }, sd: { dims: [32], data: Array.from({ length: 32 }, (_, i) => 0.5 + i / 16) } } }));
test('Pow float base, float exponent tensor', (t) => check(t, [X([3, 20], { lo: 0.1, hi: 3 }), { name: 'e', dims: [20], lo: -2, hi: 2 }], [node('Pow', ['x', 'e'])]));
for (const e of [2, 3, 0.5, -1, 1.7]) {
  test(`Pow constant exponent ${e}`, (t) => check(t, [X([4, 25], { lo: 0.1, hi: 3 })], [node('Pow', ['x', 'e'])], { init: { e: { dims: [], data: [e] } } }));
}
test('Pow float base, int64 exponent', (t) => check(t, [X([4, 25], { lo: -3, hi: 3 }), { name: 'e', dims: [25], dtype: 'int64', lo: 0, hi: 4 }], [node('Pow', ['x', 'e'])]));
test('PRelu per-channel slope', (t) =>
  check(t, [X([1, 6, 5, 7])], [node('PRelu', ['x', 's'])], { init: { s: { dims: [6, 1, 1], data: [0.1, 0.2, -0.3, 0.4, 0.25, 1.5] } } }));
test('PRelu scalar slope', (t) => check(t, [X([2, 3, 8])], [node('PRelu', ['x', 's'])], { init: { s: { dims: [1], data: [0.25] } } }));
test('Mod fmod=1 float', (t) => check(t, [X([3, 17], { lo: -10, hi: 10 }), { name: 'b', dims: [17], lo: 0.5, hi: 3 }], [node('Mod', ['x', 'b'], { fmod: 1 })]));

// Variadic ops.
for (const op of ['Sum', 'Max', 'Min', 'Mean']) {
  test(`${op} of three broadcast inputs`, (t) =>
    check(t, [{ name: 'a', dims: [2, 3, 4] }, { name: 'b', dims: [3, 1] }, { name: 'c', dims: [4] }], [node(op, ['a', 'b', 'c'])], { shape: [2, 3, 4] }));
  test(`${op} of one input`, (t) => check(t, [{ name: 'a', dims: [5, 6] }], [node(op, ['a'])]));
}
test('Max of two int32 inputs', (t) =>
  check(t, [{ name: 'a', dims: [4, 6], dtype: 'int32', lo: -50, hi: 50 }, { name: 'b', dims: [6], dtype: 'int32', lo: -50, hi: 50 }], [node('Max', ['a', 'b'])]));

// Comparisons and logic (bool outputs as uint8_t).
for (const op of ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual']) {
  test(`${op} float32 broadcast`, (t) =>
    check(t, [{ name: 'a', dims: [3, 8], lo: -2, hi: 2, values: [-1, 0, 1, 0.5, 2, -2, 1.5, 0] }, { name: 'b', dims: [8], values: [0, 0, 1, 1, -1, 2, 1.5, 0.25] }], [node(op, ['a', 'b'])], { opset: 16 }));
  test(`${op} int64`, (t) =>
    check(t, [{ name: 'a', dims: [4, 5], dtype: 'int64', lo: -3, hi: 3 }, { name: 'b', dims: [4, 5], dtype: 'int64', lo: -3, hi: 3 }], [node(op, ['a', 'b'])], { opset: 16 }));
}
for (const op of ['And', 'Or']) {
  test(`${op} bool broadcast`, (t) =>
    check(t, [{ name: 'a', dims: [4, 6], dtype: 'bool' }, { name: 'b', dims: [6], dtype: 'bool' }], [node(op, ['a', 'b'])]));
}
test('Greater feeding Where (mask select)', (t) =>
  check(t, [{ name: 'a', dims: [2, 3, 10] }, { name: 'b', dims: [10] }], [
    { op: 'Greater', inputs: ['a', 'b'], outputs: ['m'] },
    { op: 'Where', inputs: ['m', 'a', 'b'], outputs: ['y'] },
  ]));

// Integer arithmetic.
for (const dtype of ['int32', 'int64'] as const) {
  for (const op of ['Add', 'Sub', 'Mul']) {
    test(`${op} ${dtype} broadcast`, (t) =>
      check(t, [{ name: 'a', dims: [3, 7], dtype, lo: -1000, hi: 1000 }, { name: 'b', dims: [7], dtype, lo: -1000, hi: 1000 }], [node(op, ['a', 'b'])]));
  }
  test(`Div ${dtype} truncates toward zero`, (t) =>
    check(t, [{ name: 'a', dims: [3, 8], dtype, lo: -100, hi: 100 }, { name: 'b', dims: [8], dtype, values: [3, -3, 7, -7, 1, 2, -1, 5] }], [node('Div', ['a', 'b'])]));
  test(`Mod ${dtype} fmod=0 takes the divisor's sign`, (t) =>
    check(t, [{ name: 'a', dims: [3, 8], dtype, lo: -100, hi: 100 }, { name: 'b', dims: [8], dtype, values: [3, -3, 7, -7, 1, 2, -1, 5] }], [node('Mod', ['a', 'b'])]));
  test(`Mod ${dtype} fmod=1 takes the dividend's sign`, (t) =>
    check(t, [{ name: 'a', dims: [3, 8], dtype, lo: -100, hi: 100 }, { name: 'b', dims: [8], dtype, values: [3, -3, 7, -7, 1, 2, -1, 5] }], [node('Mod', ['a', 'b'], { fmod: 1 })]));
  test(`Pow ${dtype}`, (t) =>
    check(t, [{ name: 'a', dims: [3, 8], dtype, lo: -6, hi: 6 }, { name: 'b', dims: [8], dtype, lo: 0, hi: 4 }], [node('Pow', ['a', 'b'])]));
}
for (const [op, fmod] of [['Div', 0], ['Mod', 0], ['Mod', 1]] as const) {
  test(`${op}${op === 'Mod' ? ` fmod=${fmod}` : ''} int32 by zero and MIN by -1 in C matches the reference (no trap)`, (t) =>
    check(t, [{ name: 'a', dims: [2, 4], dtype: 'int32', values: [7, -7, -2147483648, 5, 0, -1, -2147483648, 9] }, { name: 'b', dims: [4], dtype: 'int32', values: [0, 3, -1, 0] }],
      [node(op, ['a', 'b'], op === 'Mod' ? { fmod } : {})], { noOrt: true }));
}
test('Add int8 wraps like onnxruntime', (t) =>
  check(t, [{ name: 'a', dims: [40], dtype: 'int8', lo: -128, hi: 127 }, { name: 'b', dims: [40], dtype: 'int8', lo: -128, hi: 127 }], [node('Add', ['a', 'b'])], { opset: 14 }));
test('Mul uint8', (t) =>
  check(t, [{ name: 'a', dims: [40], dtype: 'uint8', lo: 0, hi: 255 }, { name: 'b', dims: [40], dtype: 'uint8', lo: 0, hi: 255 }], [node('Mul', ['a', 'b'])], { opset: 14 }));

// Cast.
const CASTS: [InDType, InDType, number, number][] = [
  ['float32', 'int32', -1000, 1000], ['float32', 'int64', -1e6, 1e6], ['float32', 'int8', -100, 100], ['float32', 'uint8', 0, 255],
  ['float32', 'bool', -2, 2], ['int32', 'float32', -1e6, 1e6], ['int64', 'float32', -1e7, 1e7], ['int64', 'int32', -1e6, 1e6],
  ['int32', 'int64', -1e6, 1e6], ['bool', 'float32', 0, 1], ['bool', 'int64', 0, 1], ['uint8', 'float32', 0, 255],
  ['int8', 'int32', -128, 127], ['int32', 'bool', -2, 2], ['float32', 'float32', -5, 5], ['int32', 'uint8', 0, 255],
];
const ONNX_CODES: Record<InDType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 };
for (const [from, to, lo, hi] of CASTS) {
  test(`Cast ${from} to ${to}`, (t) => check(t, [X([3, 41], { dtype: from, lo, hi })], [node('Cast', ['x'], { to: ONNX_CODES[to] })]));
}
test('Cast float32 to int32 truncates toward zero', (t) =>
  check(t, [X([10], { values: [-2.7, -2.5, -0.9, -0.1, 0, 0.1, 0.9, 2.5, 2.7, 123456.9] })], [node('Cast', ['x'], { to: 6 })]));

// Where.
const WHERE_SHAPES: [string, number[], number[], number[]][] = [
  ['same shape', [2, 3, 4], [2, 3, 4], [2, 3, 4]],
  ['condition row', [4], [2, 3, 4], [2, 3, 4]],
  ['scalar Y', [2, 3, 4], [2, 3, 4], []],
  ['all broadcast', [3, 1], [1, 4], [2, 1, 1]],
];
for (const [what, c, a, b] of WHERE_SHAPES) {
  test(`Where ${what}`, (t) =>
    check(t, [{ name: 'c', dims: c, dtype: 'bool' }, { name: 'a', dims: a }, { name: 'b', dims: b }], [node('Where', ['c', 'a', 'b'])]));
}
test('Where int64', (t) =>
  check(t, [{ name: 'c', dims: [5, 6], dtype: 'bool' }, { name: 'a', dims: [5, 6], dtype: 'int64', lo: -9, hi: 9 }, { name: 'b', dims: [6], dtype: 'int64', lo: -9, hi: 9 }], [node('Where', ['c', 'a', 'b'])]));

test('infer rejects mismatched input types with a fix', async (t) => {
  const bytes = makeModel({ inputs: [{ name: 'a', dims: [2] }, { name: 'b', dims: [2], dtype: 'int32' }], nodes: [node('Add', ['a', 'b'])], outputs: ['y'] });
  const file = path.join(tmp, 'bad_add.onnx');
  fs.writeFileSync(file, bytes);
  const err = t.throws(() => runPipeline(loadOnnx(file), [inferShapes]));
  t.regex(err?.message ?? '', /node 'Add_0' \(Add\): input types float32 and int32 differ; insert a Cast/);
});

test('gcc vectorizes the inner loops of broadcast and activation nodes', (t) => {
  const chain: [string, NodeIn['attrs']?, string?][] = [
    ['Mul', {}, 's'], ['HardSwish'], ['LeakyRelu', { alpha: 0.1 }], ['Sub', {}, 'r'], ['Sigmoid'], ['PRelu', {}, 's'],
    ['Clip', { min: -3, max: 6 }], ['Tanh'], ['Erf'], ['Exp'], ['HardSigmoid'], ['Relu'], ['Shrink'], ['Abs'], ['Neg'],
    ['Softsign'], ['Round'], ['Sign'], ['Reciprocal'], ['Add', {}, 'k'], ['Div', {}, 'k'], ['Max', {}, 'x'], ['Where', {}, 'r'],
  ];
  const nodes: NodeIn[] = chain.map(([op, attrs, other], i) => {
    const prev = i ? `t${i - 1}` : 'x';
    const inputs = op === 'Where' ? ['m', prev, other!] : other ? [prev, other] : [prev];
    return { op, inputs, outputs: [i === chain.length - 1 ? 'y' : `t${i}`], attrs };
  });
  nodes.splice(nodes.length - 1, 0, { op: 'Greater', inputs: [`t${chain.length - 2}`, 'r'], outputs: ['m'] });
  const bytes = makeModel({
    inputs: [{ name: 'x', dims: [1, 16, 24, 24] }, { name: 's', dims: [1, 16, 1, 1] }, { name: 'r', dims: [24] }],
    initializers: { k: { dims: [], data: [1.5] } },
    nodes,
    outputs: ['y'],
    opset: 14,
  });
  const file = path.join(tmp, 'vec.onnx');
  fs.writeFileSync(file, bytes);
  const g = runPipeline(loadOnnx(file), [inferShapes]);
  const art = emitC(g, { prefix: 'vec', target: { vectorFloats: 8, l1Bytes: 32768, l2Bytes: 1 << 20 } });
  const dir = path.join(tmp, 'vec');
  fs.mkdirSync(path.join(dir, 'kernels'), { recursive: true });
  for (const [name, text] of art.files) fs.writeFileSync(path.join(dir, name), text);
  const res = spawnSync('gcc', ['-std=c99', '-O3', '-march=native', '-Wall', '-Wextra', '-Werror', '-fopt-info-vec-optimized', '-c', 'vec.c', '-o', 'vec.o'], { cwd: dir, encoding: 'utf8' });
  t.is(res.status, 0, res.stderr);
  const vectorized = new Set([...res.stderr.matchAll(/vec\.c:(\d+):\d+: optimized: loop vectorized/g)].map((m) => Number(m[1])));
  const src = art.files.get('vec.c')!.split('\n');
  // The innermost loop of each node: the last `for` line of its block.
  for (const op of [...chain.map((c) => c[0]), 'Greater']) {
    const start = src.findIndex((l) => l.includes(`: ${op} ->`));
    t.true(start >= 0, `${op} node in vec.c`);
    let inner = -1;
    for (let i = start + 1; i < src.length && !/: \w+ ->/.test(src[i]); i++) if (/^\s*for \(/.test(src[i])) inner = i + 1;
    t.true(vectorized.has(inner), `${op}: loop at vec.c:${inner} is vectorized`);
  }
});
