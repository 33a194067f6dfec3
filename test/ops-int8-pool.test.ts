/** Integer MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, ReduceMean/Max: C == reference, float semantics. */
import test from 'ava';
import type { Attr, QuantParams } from '../src/ir/types.js';
import { runReference } from '../src/interp/reference.js';
import { assertBitExact, qp } from './helpers/qgraph.js';
import { assertNearFloat, i, is, q8, qnode, randomFeeds } from './helpers/qcheck.js';

/** Window cases: 2-D with pads, strides, ceil_mode; dilations (max only); 1-D; 3-D. */
const WINDOWS: { shape: number[]; attrs: Record<string, Attr>; maxOnly?: boolean }[] = [
  { shape: [1, 3, 9, 11], attrs: { kernel_shape: is([3, 3]), strides: is([2, 2]), pads: is([1, 1, 1, 1]) } },
  { shape: [2, 2, 8, 7], attrs: { kernel_shape: is([2, 3]), strides: is([2, 2]), ceil_mode: i(1) } },
  { shape: [1, 3, 4, 37], attrs: { kernel_shape: is([2, 2]), strides: is([2, 2]) } },
  { shape: [1, 4, 10, 10], attrs: { kernel_shape: is([3, 3]), dilations: is([2, 2]), pads: is([2, 1, 2, 1]) }, maxOnly: true },
  { shape: [2, 3, 17], attrs: { kernel_shape: is([5]), strides: is([3]), pads: is([2, 2]) } },
  { shape: [1, 2, 5, 6, 7], attrs: { kernel_shape: is([2, 3, 3]), strides: is([1, 2, 2]), pads: is([0, 1, 1, 1, 1, 1]) } },
];

test('MaxPool keeps the input parameters: C == reference, exactly the float max', async (t) => {
  for (const [k, w] of WINDOWS.entries()) {
    const g = qnode('MaxPool', { x: q8(w.shape, 0.07, -9) }, qp(0.07, -9), w.attrs);
    const feeds = randomFeeds(g, k + 1);
    const out = await assertBitExact(t, g, feeds);
    t.is(assertNearFloat(t, g, feeds, out, 0), 0);
  }
});

test('AveragePool with equal parameters is TFLite int8 AveragePool (rounded mean of the codes)', async (t) => {
  for (const [k, w] of WINDOWS.filter((x) => !x.maxOnly).entries()) {
    for (const cip of [0, 1]) {
      const g = qnode('AveragePool', { x: q8(w.shape, 0.05, 11) }, qp(0.05, 11), { ...w.attrs, count_include_pad: i(cip) });
      const feeds = randomFeeds(g, 10 * k + cip);
      const out = await assertBitExact(t, g, feeds);
      assertNearFloat(t, g, feeds, out, 0.5);
    }
  }
});

test('AveragePool by hand: TFLite rounds half away from zero', (t) => {
  const g = qnode('AveragePool', { x: q8([1, 1, 1, 4], 1, 0) }, qp(1, 0), { kernel_shape: is([1, 2]), strides: is([1, 2]) });
  const out = runReference(g, { x: { dtype: 'int8', shape: [1, 1, 1, 4], data: Int8Array.of(1, 2, -1, -2) } });
  t.deepEqual(Array.from(out.y.data), [2, -2]);
});

test('AveragePool into different output parameters requantizes the window sum', async (t) => {
  for (const [k, w] of WINDOWS.filter((x) => !x.maxOnly).entries()) {
    for (const [cip, yq] of [[0, qp(0.02, -40)], [1, qp(0.11, 3)]] as [number, QuantParams][]) {
      const g = qnode('AveragePool', { x: q8(w.shape, 0.05, 11) }, yq, { ...w.attrs, count_include_pad: i(cip) });
      const feeds = randomFeeds(g, 20 * k + cip);
      const out = await assertBitExact(t, g, feeds);
      assertNearFloat(t, g, feeds, out, 1);
    }
  }
});

test('GlobalAveragePool is TFLite int8 Mean (same or different output parameters)', async (t) => {
  for (const [shape, yq] of [[[2, 8, 7, 7], qp(0.05, 11)], [[1, 16, 5, 3], qp(0.01, -100)], [[3, 4, 33], qp(0.2, 0)]] as [number[], QuantParams][]) {
    const g = qnode('GlobalAveragePool', { x: q8(shape, 0.05, 11) }, yq);
    const feeds = randomFeeds(g, shape[1]);
    const out = await assertBitExact(t, g, feeds);
    assertNearFloat(t, g, feeds, out, 1);
  }
});

test('GlobalMaxPool and ReduceMax keep the input parameters', async (t) => {
  const g = qnode('GlobalMaxPool', { x: q8([2, 5, 6, 6], 0.1, 3) }, qp(0.1, 3));
  const feeds = randomFeeds(g, 4);
  t.is(assertNearFloat(t, g, feeds, await assertBitExact(t, g, feeds), 0), 0);
  const h = qnode('ReduceMax', { x: q8([2, 5, 6], 0.1, 3) }, qp(0.1, 3), { axes: is([1]), keepdims: i(0) });
  const hf = randomFeeds(h, 5);
  t.is(assertNearFloat(t, h, hf, await assertBitExact(t, h, hf), 0), 0);
});

test('ReduceMean over spatial axes, one axis, and the channel axis', async (t) => {
  const cases: [number[], number[], number, QuantParams][] = [
    [[2, 8, 5, 5], [2, 3], 1, qp(0.03, -2)],
    [[2, 8, 5, 5], [2, 3], 0, qp(0.06, 5)],
    [[3, 7, 9], [1], 1, qp(0.05, 0)],
    [[4, 6, 5], [-1], 0, qp(0.04, 1)],
  ];
  for (const [k, [shape, axes, keepdims, yq]] of cases.entries()) {
    const g = qnode('ReduceMean', { x: q8(shape, 0.05, -7) }, yq, { axes: is(axes), keepdims: i(keepdims) });
    const feeds = randomFeeds(g, k + 40);
    const out = await assertBitExact(t, g, feeds);
    assertNearFloat(t, g, feeds, out, 1);
  }
});

test('MaxPool refuses an output with other parameters, naming node and op', (t) => {
  const g = qnode('MaxPool', { x: q8([1, 1, 4, 4], 0.1, 0) }, qp(0.2, 0), { kernel_shape: is([2, 2]) });
  t.regex(t.throws(() => runReference(g, randomFeeds(g)))!.message, /node 'n0_MaxPool' \(MaxPool\): output 0 has scale .* keeps its input's quantization/);
});
