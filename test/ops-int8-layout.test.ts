/** Integer data movement (views, Transpose, Slice, Split, Gather, Expand, Tile, Resize, Pad) and Concat: C == reference. */
import test from 'ava';
import type { Attr, QuantParams, TensorData } from '../src/ir/types.js';
import { runReference } from '../src/interp/reference.js';
import { allOps } from '../src/ops/registry.js';
import { C_INT_LOWERINGS } from '../src/backends/c/lower/index.js';
import { COMPUTED_TABLE_OPS } from '../src/ops/elementwise.js';
import { assertBitExact, qgraph, qp, type TensorSpec } from './helpers/qgraph.js';
import { assertNearFloat, f, i, is, q8, qnode, randomFeeds, s } from './helpers/qcheck.js';

const X = (shape: number[]) => q8(shape, 0.1, -3);
const Q = qp(0.1, -3);
const i64 = (xs: number[]): TensorSpec => ({ dtype: 'int64', shape: [xs.length], data: Float64Array.from(xs) });

/** Same-parameter cases: op, inputs, attributes, outputs. */
const SAME: [string, Record<string, TensorSpec>, Record<string, Attr>, string[]?][] = [
  ['Transpose', { x: X([2, 3, 4, 5]) }, { perm: is([0, 2, 3, 1]) }],
  ['Transpose', { x: X([6, 7]) }, {}],
  ['Slice', { x: X([4, 10, 6]), starts: i64([1, -1]), ends: i64([3, -9]), axes: i64([0, 1]), steps: i64([1, -2]) }, {}],
  ['Split', { x: X([2, 9, 4]) }, { axis: i(1), split: is([2, 7]) }, ['y0', 'y1']],
  ['Gather', { x: X([5, 4, 3]), idx: i64([3, 0, -1, 2, 2]) }, { axis: i(1) }],
  ['Expand', { x: X([3, 1, 4]), shape: i64([2, 3, 5, 4]) }, {}],
  ['Tile', { x: X([2, 3]), repeats: i64([3, 2]) }, {}],
  ['Reshape', { x: X([2, 3, 4]), shape: i64([4, -1]) }, {}],
  ['Flatten', { x: X([2, 3, 4]) }, { axis: i(2) }],
  ['Squeeze', { x: X([2, 1, 4]) }, { axes: is([1]) }],
  ['Unsqueeze', { x: X([2, 4]) }, { axes: is([0, 3]) }],
  ['Identity', { x: X([5]) }, {}],
  ['DepthToSpace', { x: X([1, 8, 3, 2]) }, { blocksize: i(2), mode: s('CRD') }],
  ['SpaceToDepth', { x: X([1, 2, 4, 6]) }, { blocksize: i(2) }],
  ['Resize', { x: X([1, 2, 3, 4]) }, { mode: s('nearest'), scales: { type: 'floats', value: [1, 1, 2, 2] } }],
  ['Resize', { x: X([1, 2, 4, 6]) }, { mode: s('nearest'), scales: { type: 'floats', value: [1, 1, 0.5, 1.5] }, coordinate_transformation_mode: s('asymmetric') }],
  ['Pad', { x: X([1, 2, 3, 4]) }, { pads: is([0, 0, 1, 2, 0, 1, 2, 1]) }],
  ['Pad', { x: X([2, 5]) }, { pads: is([1, 2, 0, 3]), value: f(0.7) }],
  ['Pad', { x: X([2, 5]) }, { pads: is([1, 2, 1, 2]), mode: s('reflect') }],
  ['Pad', { x: X([2, 5]) }, { pads: is([1, 2, 1, 2]), mode: s('edge') }],
];

test('data-movement ops keep their input parameters: C == reference, exact in float', async (t) => {
  for (const [k, [op, ins, attrs, outs]] of SAME.entries()) {
    const g = qnode(op, ins, Q, attrs, outs);
    const feeds = randomFeeds(g, k);
    const out = await assertBitExact(t, g, feeds);
    t.is(assertNearFloat(t, g, feeds, out, 0), 0, op);
  }
});

test('Pad writes the quantized pad value (0 is the zero point)', (t) => {
  const g = qnode('Pad', { x: q8([1, 2], 0.1, -3) }, Q, { pads: is([0, 1, 0, 1]) });
  const out = runReference(g, { x: { dtype: 'int8', shape: [1, 2], data: Int8Array.of(5, 6) } });
  t.deepEqual(Array.from(out.y.data), [-3, 5, 6, -3]);
  const h = qnode('Pad', { x: q8([1, 2], 0.1, -3) }, Q, { pads: is([0, 1, 0, 0]), value: f(-100) });
  t.deepEqual(Array.from(runReference(h, { x: { dtype: 'int8', shape: [1, 2], data: Int8Array.of(5, 6) } }).y.data), [-128, 5, 6]);
});

test('views aliased inside a chain (Reshape -> Transpose -> Flatten)', async (t) => {
  const g = qgraph({
    inputs: { x: X([2, 3, 4]) },
    consts: { shape: i64([6, 4]) },
    quant: { r: Q, tr: Q, y: Q },
    nodes: [
      { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'] },
      { op: 'Transpose', inputs: ['r'], outputs: ['tr'], attrs: { perm: is([1, 0]) } },
      { op: 'Flatten', inputs: ['tr'], outputs: ['y'], attrs: { axis: i(0) } },
    ],
    outputs: ['y'],
  });
  await assertBitExact(t, g, randomFeeds(g, 9));
});

test('Concat: equal parameters copy, different parameters requantize to the output', async (t) => {
  const cases: [Record<string, TensorSpec>, number, QuantParams][] = [
    [{ a: X([2, 3, 4]), b: X([2, 5, 4]) }, 1, Q],
    [{ a: q8([2, 3, 4], 0.05, 10), b: X([2, 5, 4]), c: q8([2, 1, 4], 0.3, -100) }, 1, Q],
    [{ a: q8([3, 2], 0.02, 0), b: q8([3, 7], 0.2, 5) }, -1, qp(0.15, -20)],
    [{ a: q8([4, 6], 0.5, 0), b: X([1, 6]) }, 0, qp(0.01, 0)],
  ];
  for (const [k, [ins, axis, yq]] of cases.entries()) {
    const g = qnode('Concat', ins, yq, { axis: i(axis) });
    const feeds = randomFeeds(g, k + 3);
    const out = await assertBitExact(t, g, feeds);
    assertNearFloat(t, g, feeds, out, 0.5);
  }
});

test('Shape and ArgMax read quantized tensors without dequantizing', async (t) => {
  const g = qgraph({
    inputs: { x: X([3, 7]) },
    nodes: [
      { op: 'ArgMax', inputs: ['x'], outputs: ['y'], attrs: { axis: i(1), keepdims: i(0) } },
      { op: 'Shape', inputs: ['x'], outputs: ['shape'] },
    ],
    outputs: ['y', 'shape'],
  });
  const feeds = randomFeeds(g, 2);
  const ref = await assertBitExact(t, g, feeds);
  t.deepEqual(Array.from(ref.shape.data), [3, 7]);
  const x = feeds.x.data as TensorData;
  for (let r = 0; r < 3; r++) {
    const row = Array.from(x.subarray(r * 7, r * 7 + 7));
    t.is(ref.y.data[r], row.indexOf(Math.max(...row)));
  }
});

test('every op with a requant or same policy has an integer reference and an integer C lowering', (t) => {
  for (const d of allOps()) {
    if (d.quant === 'requant' || d.quant === 'same') {
      t.truthy(d.intReference, `${d.op}: no integer reference`);
      t.truthy(C_INT_LOWERINGS[d.op], `${d.op}: no integer C lowering`);
    }
    // A table op needs no integer kernel, except those whose table the C backends rebuild at run time.
    if (d.quant === 'lut' && !COMPUTED_TABLE_OPS.has(d.op)) t.falsy(d.intReference, `${d.op}: a table op needs no integer kernel`);
    if (COMPUTED_TABLE_OPS.has(d.op)) t.truthy(d.intReference && C_INT_LOWERINGS[d.op], `${d.op}: a computed table needs an integer reference and C lowering`);
  }
  const lut = allOps().filter((d) => d.quant === 'lut').map((d) => d.op);
  for (const op of ['Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Erf', 'Exp', 'Sqrt', 'Log', 'Elu']) t.true(lut.includes(op), op);
});
