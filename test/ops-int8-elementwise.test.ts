/** Integer Add, Sub, Mul, PRelu, LeakyRelu, Relu, Clip and computed-table HardSwish/HardSigmoid: C == integer reference bit for bit, TFLite Micro goldens, float semantics. */
import test, { type ExecutionContext } from 'ava';
import type { Attr, QuantParams, Value } from '../src/ir/types.js';
import { roundHalfAway } from '../src/quant/fixed-point.js';
import { runReference } from '../src/interp/reference.js';
import { addParams } from '../src/quant/kernels.js';
import { int8Table } from '../src/quant/table.js';
import { assertBitExact, qp } from './helpers/qgraph.js';
import { assertNearFloat, f, q8, qnode, randomFeeds, s } from './helpers/qcheck.js';

/** Broadcasting pairs: same shape, per-channel, trailing row, scalar, outer product, leading broadcast. */
const SHAPES: [number[], number[]][] = [
  [[2, 3, 4, 5], [2, 3, 4, 5]],
  [[2, 3, 4, 5], [1, 3, 1, 1]],
  [[2, 3, 4, 5], [5]],
  [[2, 3, 4, 5], []],
  [[3, 1, 5], [1, 4, 1]],
  [[1, 6], [4, 1, 6]],
];

/** Scales and zero points: (inputs, output) including an output too fine for the sum (saturation). */
const PARAMS: [number, number, number, number, number, number][] = [
  [0.05, 3, 0.02, -7, 0.06, 2],
  [0.1, -128, 0.1, 127, 0.1, 0],
  [0.0123, 10, 0.5, -20, 0.004, -5],
];

for (const op of ['Add', 'Sub', 'Mul']) {
  test(`${op}: broadcasting shapes and scales, C == reference, within one step of float`, async (t) => {
    let k = 0;
    for (const [sa, sb] of SHAPES) {
      const [s1, z1, s2, z2, sy, zy] = PARAMS[k++ % PARAMS.length];
      const ys = op === 'Mul' ? s1 * s2 * 40 : sy;
      const g = qnode(op, { a: q8(sa, s1, z1), b: q8(sb, s2, z2) }, qp(ys, zy));
      const feeds = randomFeeds(g, k);
      const out = await assertBitExact(t, g, feeds);
      assertNearFloat(t, g, feeds, out, 1);
    }
  });

  test(`${op}: fused Relu and Clip clamp in the output's quantization`, async (t) => {
    const acts: Record<string, Attr>[] = [
      { act: s('Relu') },
      { act: s('Clip'), act_alpha: f(-0.5), act_beta: f(0.75) },
      { act: s('Clip'), act_alpha: f(0), act_beta: f(6) },
    ];
    for (const [n, attrs] of acts.entries()) {
      const g = qnode(op, { a: q8([4, 33], 0.03, -4), b: q8([33], 0.02, 9) }, qp(0.01, -20), attrs);
      const feeds = randomFeeds(g, 10 + n);
      const out = await assertBitExact(t, g, feeds);
      assertNearFloat(t, g, feeds, out, 1);
    }
  });
}

/** TFLite's test quantizer: round(x / scale) in float32, half away from zero, plus the zero point, saturated. */
function tflQuantize(xs: number[], scale: number, zp: number): Int8Array {
  return Int8Array.from(xs, (x) => Math.max(-128, Math.min(127, roundHalfAway(Math.fround(Math.fround(x) / Math.fround(scale))) + zp)));
}

/** Run one int8 node in the reference and C and compare with TFLite Micro's quantized goldens. */
async function golden(t: ExecutionContext, op: string, c: {
  a: number[]; sa: number[]; b: number[]; sb: number[]; y: number[]; scales: number[]; zps: number[]; attrs?: Record<string, Attr>;
}): Promise<void> {
  const q = (k: number): QuantParams => qp(c.scales[k], c.zps[k]);
  const g = qnode(op, { a: q8(c.sa, c.scales[0], c.zps[0]), b: q8(c.sb, c.scales[1], c.zps[1]) }, q(2), c.attrs);
  const feeds: Record<string, Value> = {
    a: { dtype: 'int8', shape: c.sa, data: tflQuantize(c.a, c.scales[0], c.zps[0]) },
    b: { dtype: 'int8', shape: c.sb, data: tflQuantize(c.b, c.scales[1], c.zps[1]) },
  };
  const ref = await assertBitExact(t, g, feeds);
  t.deepEqual(Array.from(ref.y.data), Array.from(tflQuantize(c.y, c.scales[2], c.zps[2])), `${op} golden`);
}

const relu1 = { act: s('Clip'), act_alpha: f(-1), act_beta: f(1) };
const bIn1 = [-0.3, 2.3, 0.9, 0.5, 0.8, -1.1, 1.2, 2.8, -1.6, 0.0, 0.7, -2.2];
const bIn2 = [0.2, 0.3, -0.4, 0.5, 1.0, 0.9];

test('Add matches TensorFlow Lite Micro add_test int8 goldens', async (t) => {
  const base = { a: [-2.01, -1.01, -0.01, 0.98], sa: [1, 2, 2, 1], b: [1.01, 1.99, 2.99, 4.02], sb: [1, 2, 2, 1], scales: [0.25, 0.5, 1], zps: [-10, 4, 13] };
  await golden(t, 'Add', { ...base, y: [-1, 1, 3, 5] });
  await golden(t, 'Add', { ...base, y: [-1, 1, 1, 1], attrs: relu1 });
  const six = { a: [-2.0, 0.2, 0.7, 0.8, 1.1, 2.0], sa: [2, 1, 3], sb: [2, 1, 3] };
  await golden(t, 'Add', { ...six, b: [0.1, 0.2, 0.3, 0.5, 1.1, 0.1], y: [-1.9, 0.4, 1.0, 1.3, 2.2, 2.1], scales: [0.1, 0.05, 0.1], zps: [-9, 5, 14] });
  await golden(t, 'Add', { ...six, b: [0.1], sb: [], y: [-1.9, 0.3, 0.8, 0.9, 1.2, 2.1], scales: [0.1, 0.05, 0.05], zps: [-8, 4, 12] });
  // Mixed broadcast: [2,3,1,2] + [1,3,1,2] and + [2,3,1,1].
  const mixed = { a: bIn1, sa: [2, 3, 1, 2], b: bIn2, scales: [0.1, 0.05, 0.1], zps: [-10, -5, 7] };
  await golden(t, 'Add', { ...mixed, sb: [1, 3, 1, 2], y: [-0.1, 2.6, 0.5, 1.0, 1.8, -0.2, 1.4, 3.1, -2.0, 0.5, 1.7, -1.3] });
  await golden(t, 'Add', { ...mixed, sb: [2, 3, 1, 1], y: [-0.1, 2.5, 1.2, 0.8, 0.4, -1.5, 1.7, 3.3, -0.6, 1.0, 1.6, -1.3] });
});

test('Sub matches TensorFlow Lite Micro sub_test int8 goldens', async (t) => {
  const base = { a: [-2.01, -1.01, -0.01, 0.98], sa: [1, 2, 2, 1], b: [-1.01, -1.99, -2.99, -4.02], sb: [1, 2, 2, 1], scales: [0.25, 0.5, 1], zps: [-10, 4, 13] };
  await golden(t, 'Sub', { ...base, y: [-1, 1, 3, 5] });
  await golden(t, 'Sub', { ...base, y: [-1, 1, 1, 1], attrs: relu1 });
  const six = { a: [-2.0, 0.2, 0.7, 0.8, 1.1, 2.0], sa: [2, 1, 3], sb: [2, 1, 3] };
  await golden(t, 'Sub', { ...six, b: [-0.1, -0.2, -0.3, -0.5, -1.1, -0.1], y: [-1.9, 0.4, 1.0, 1.3, 2.2, 2.1], scales: [0.1, 0.05, 0.1], zps: [-9, 5, 14] });
  await golden(t, 'Sub', { ...six, b: [-0.1], sb: [], y: [-1.9, 0.3, 0.8, 0.9, 1.2, 2.1], scales: [0.1, 0.05, 0.05], zps: [-8, 4, 12] });
});

test('Add by hand: the TFLite multipliers and one element worked through', (t) => {
  // s1 = 0.25, s2 = 0.5, sy = 1: twice_max = 1; input multipliers 0.25 and 0.5, output 1 / 2^20.
  const p = addParams({ name: 'n', op: 'Add', inputs: [], outputs: [], attrs: {} }, qp(0.25, -10), qp(0.5, 4), qp(1, 13), false);
  t.deepEqual([p.m1, p.m2, p.mo], [{ multiplier: 2 ** 30, shift: -1 }, { multiplier: 2 ** 30, shift: 0 }, { multiplier: 2 ** 30, shift: -19 }]);
  // x1 = -18 (-2.0), x2 = 6 (1.0): (-8 << 20) * 0.25 = -2^21, (2 << 20) * 0.5 = 2^20; sum -2^20 -> -1 -> 12 (-1.0).
  const g = qnode('Add', { a: q8([1], 0.25, -10), b: q8([1], 0.5, 4) }, qp(1, 13));
  const out = runReference(g, { a: { dtype: 'int8', shape: [1], data: Int8Array.of(-18) }, b: { dtype: 'int8', shape: [1], data: Int8Array.of(6) } });
  t.is(out.y.data[0], 12);
});

test('Mul saturates and honours the output zero point', async (t) => {
  const g = qnode('Mul', { a: q8([2, 64], 0.1, 0), b: q8([64], 0.1, -3) }, qp(0.02, 10));
  const feeds = randomFeeds(g, 5);
  const out = await assertBitExact(t, g, feeds);
  const y = Array.from(out.y.data);
  t.true(y.includes(127) && y.includes(-128), 'the range saturates at both ends');
  assertNearFloat(t, g, feeds, out, 1);
});

test('LeakyRelu: identity and alpha multipliers, every input code', async (t) => {
  for (const [alpha, sx, zx, sy, zy] of [[0.01, 0.05, -3, 0.04, -60], [0.2, 0.1, 20, 0.1, 20], [1.5, 0.02, 0, 0.03, 0], [-0.3, 0.05, 7, 0.05, 0]]) {
    const g = qnode('LeakyRelu', { x: q8([256], sx, zx) }, qp(sy, zy), { alpha: f(alpha) });
    const feeds = { x: { dtype: 'int8' as const, shape: [256], data: Int8Array.from({ length: 256 }, (_, i) => i - 128) } };
    const out = await assertBitExact(t, g, feeds);
    assertNearFloat(t, g, feeds, out, 1);
  }
});

test('Relu and Clip requantize and clamp, or keep the input scale', async (t) => {
  const all = { x: { dtype: 'int8' as const, shape: [256], data: Int8Array.from({ length: 256 }, (_, i) => i - 128) } };
  const cases: [string, Record<string, Attr>, QuantParams][] = [
    ['Relu', {}, qp(0.05, -128)],
    ['Relu', {}, qp(0.1, 5)],
    ['Clip', { min: f(0), max: f(6) }, qp(6 / 255, -128)],
    ['Clip', { min: f(-1), max: f(1) }, qp(0.1, 5)],
    ['Clip', { min: f(-2.5) }, qp(0.08, 0)],
  ];
  for (const [op, attrs, yq] of cases) {
    const g = qnode(op, { x: q8([256], 0.1, 5) }, yq, attrs);
    const out = await assertBitExact(t, g, all);
    assertNearFloat(t, g, all, out, 0.5 + 1e-3);
  }
});

test('PRelu with an int8 per-channel slope tensor', async (t) => {
  const slope = Int8Array.from([-100, -20, 0, 30, 127]);
  const g = qnode('PRelu', { x: q8([2, 5, 3, 3], 0.05, -8), w: q8([5, 1, 1], 0.005, 0, slope) }, qp(0.06, -30));
  const feeds = randomFeeds(g, 3);
  const out = await assertBitExact(t, g, feeds);
  assertNearFloat(t, g, feeds, out, 1);
});

test('integer elementwise errors name the node and op', (t) => {
  const g = qnode('Add', { a: q8([4], 0.1, 0), b: { dtype: 'int8', shape: [4] } }, qp(0.1, 0));
  const err = t.throws(() => runReference(g, randomFeeds(g)));
  t.regex(err!.message, /node 'n0_Add' \(Add\): input 1 has no quantization parameters/);
  const h = qnode('Add', { a: q8([4], 0.1, 0), b: q8([4], 0.1, 0) }, qp(0.1, 0), { act: s('Sigmoid') });
  t.regex(t.throws(() => runReference(h, randomFeeds(h)))!.message, /\(Add\): fused Sigmoid cannot run on integers/);
});

/** `n` int8 codes spread from -128 to 127 (every code when n = 256). */
const allCodes = (n: number): Record<string, Value> => ({ x: { dtype: 'int8', shape: [n], data: Int8Array.from({ length: n }, (_, c) => Math.round((c * 255) / (n - 1)) - 128) } });

for (const [op, attrs, label] of [['HardSwish', {}, ''], ['HardSigmoid', { alpha: f(0.2), beta: f(0.5) }, ' alpha 0.2'], ['HardSigmoid', { alpha: f(1 / 6), beta: f(0.5) }, ' alpha 1/6']] as const) {
  test(`${op}${label}: the table C rebuilds at run time equals the stored table of the same op, every code`, async (t) => {
    for (const [k, [sx, zx, sy, zy]] of [[0.05, 3, 0.02, -7], [0.1, -20, 1 / 255, -128], [0.0123, 40, 0.05, -110]].entries()) {
      // 256 and 300 codes go through the rebuilt table (or, for HardSwish on the host, float32 vector arithmetic the
      // lowering checked against it, with a scalar tail at 300); 200 (a squeeze-excitation gate) are evaluated one by one.
      const n = [256, 200, 300][k];
      const g = qnode(op, { x: q8([n], sx, zx) }, qp(sy, zy), attrs as Record<string, Attr>);
      const feeds = allCodes(n);
      const out = await assertBitExact(t, g, feeds);
      const node = { name: op, op, inputs: ['x'], outputs: ['y'], attrs: attrs as Record<string, Attr> };
      const table = int8Table(node, qp(sx, zx), qp(sy, zy));
      t.deepEqual(Array.from(out.y.data), Array.from(feeds.x.data, (c) => table[c + 128]), `${op} ${sx} ${zx} -> ${sy} ${zy}, ${n} codes`);
    }
  });
}

test('host kernels: Mul by one factor per row (squeeze-excitation gate) and same-shape Add, fused Relu, C == reference', async (t) => {
  const cases: [string, number[], number[], Record<string, Attr>][] = [
    ['Mul', [1, 24, 7, 9], [1, 24, 1, 1], {}],
    ['Mul', [1, 5, 1, 1], [1, 5, 3, 40], {}],
    ['Mul', [200, 96], [200, 1], { act: s('Relu') }],
    ['Add', [1, 16, 3, 37], [1, 16, 3, 37], {}],
    ['Add', [6144], [6144], { act: s('Relu') }],
  ];
  for (const [k, [op, sa, sb, attrs]] of cases.entries()) {
    const [s1, z1, s2, z2, sy, zy] = PARAMS[k % PARAMS.length];
    const g = qnode(op, { a: q8(sa, s1, z1), b: q8(sb, s2, z2) }, qp(op === 'Mul' ? s1 * s2 * 40 : sy, zy), attrs);
    const feeds = randomFeeds(g, k + 7);
    const out = await assertBitExact(t, g, feeds);
    assertNearFloat(t, g, feeds, out, 1);
  }
});
