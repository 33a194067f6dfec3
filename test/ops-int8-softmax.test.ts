/** int8 Softmax (TFLite reference: gemmlowp fixed-point exp): C == reference, TFLite Micro goldens, float semantics. */
import test from 'ava';
import type { Value } from '../src/ir/types.js';
import { runReference } from '../src/interp/reference.js';
import { getOp } from '../src/ops/registry.js';
import { expOnNegativeValues, oneOverOnePlusX } from '../src/quant/softmax.js';
import { roundHalfAway } from '../src/quant/fixed-point.js';
import { assertBitExact, qp } from './helpers/qgraph.js';
import { assertNearFloat, i, q8, qnode, randomFeeds } from './helpers/qcheck.js';

const OUT = qp(1 / 256, -128);

test('gemmlowp exp and reciprocal are accurate (transcription check)', (t) => {
  let worst = 0;
  for (let a = 0; a >= -16 * 2 ** 26; a -= 123457) worst = Math.max(worst, Math.abs(expOnNegativeValues(a) / 2 ** 31 - Math.exp(a / 2 ** 26)));
  t.true(worst < 3e-7, `exp error ${worst}`); // the 4th-order Taylor step around -1/8 bounds it near 2.3e-7
  worst = 0;
  for (let x = 0; x < 2 ** 31; x += 9876543) worst = Math.max(worst, Math.abs(oneOverOnePlusX(x) / 2 ** 31 - 1 / (1 + x / 2 ** 31)));
  t.true(worst < 2e-8, `reciprocal error ${worst}`);
});

/** TFLite Micro softmax_test int8 cases (input scale 0.1, zero point 0); TFLM allows one step against the golden. */
const GOLDENS: { shape: number[]; x: number[]; y: number[] }[] = [
  { shape: [1, 5], x: [1, 2, 3, 4, 5], y: [0.011656231, 0.031684921, 0.086128544, 0.234121657, 0.636408647] },
  {
    shape: [2, 5],
    x: [1, 2, 3, 4, 5, -1, -2, -3, -4, -5],
    y: [0.011656231, 0.031684921, 0.086128544, 0.234121657, 0.636408647, 0.636408647, 0.234121657, 0.086128544, 0.031684921, 0.011656231],
  },
  {
    shape: [3, 5],
    x: [3, 6, -5, 4, -9, -10, -10, -8, 2, 2, 8, -5, -8, 5, -6],
    y: [0.042009463, 0.843782625, 0.000014093, 0.114193561, 0.000000258, 0.000003072, 0.000003072, 0.000022699, 0.499985578, 0.499985578,
      0.952571219, 0.000002153, 0.000000107, 0.047425728, 0.000000792],
  },
];

test('Softmax matches TensorFlow Lite Micro softmax_test int8 goldens within its one-step tolerance', async (t) => {
  for (const c of GOLDENS) {
    const g = qnode('Softmax', { x: q8(c.shape, 0.1, 0) }, OUT, { axis: i(-1) });
    const feeds: Record<string, Value> = { x: { dtype: 'int8', shape: c.shape, data: Int8Array.from(c.x, (v) => Math.round(v / 0.1)) } };
    const ref = await assertBitExact(t, g, feeds);
    c.y.forEach((y, k) => t.true(Math.abs(ref.y.data[k] - Math.max(-128, Math.min(127, roundHalfAway(y * 256) - 128))) <= 1, `element ${k}`));
  }
});

test('Softmax over the last axis and an inner axis, several input scales: C == reference, within one step of float', async (t) => {
  const cases: [number[], number, number, number][] = [
    [[4, 10], -1, 0.05, 3],
    [[2, 1000], 1, 0.1, -20],
    [[2, 6, 3, 4], 1, 0.02, 0],
    [[3, 7], 0, 0.3, 100],
    [[1, 3, 5], 2, 0.0125, -128],
  ];
  for (const [k, [shape, axis, sx, zx]] of cases.entries()) {
    const g = qnode('Softmax', { x: q8(shape, sx, zx) }, OUT, { axis: i(axis) });
    const feeds = randomFeeds(g, k + 1);
    const out = await assertBitExact(t, g, feeds);
    assertNearFloat(t, g, feeds, out, 1);
  }
});

test('Softmax with a constant row gives 1/n in every entry', (t) => {
  const g = qnode('Softmax', { x: q8([1, 4], 0.1, 0) }, OUT, { axis: i(1) });
  const out = runReference(g, { x: { dtype: 'int8', shape: [1, 4], data: Int8Array.of(7, 7, 7, 7) } });
  t.deepEqual(Array.from(out.y.data), [-64, -64, -64, -64]);
});

test('Softmax fixes its output quantization at 1/256 and -128', (t) => {
  t.deepEqual(getOp('Softmax').intOutputQuant?.(qnode('Softmax', { x: q8([2], 0.1, 0) }, OUT).nodes[0]), OUT);
  const g = qnode('Softmax', { x: q8([1, 4], 0.1, 0) }, qp(1 / 128, 0), { axis: i(1) });
  t.regex(t.throws(() => runReference(g, randomFeeds(g)))!.message, /node 'n0_Softmax' \(Softmax\): int8 output must have scale 1\/256 and zero point -128/);
});
