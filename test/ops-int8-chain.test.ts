/** A small int8 network through every integer kernel: C == reference, plain and under -fsanitize=address,undefined. */
import test, { type ExecutionContext } from 'ava';
import type { Graph, Value } from '../src/ir/types.js';
import { runReference } from '../src/interp/reference.js';
import { runC } from './helpers/c-run.js';
import { qgraph, qp } from './helpers/qgraph.js';
import { f, i, is, q8, randomFeeds, s } from './helpers/qcheck.js';

const Q = (scale: number, zp: number) => qp(scale, zp);

/** x [1,4,8,8] -> Add/Mul/LeakyRelu/PRelu/Clip -> pools -> Concat -> Pad -> Transpose -> GAP -> Reshape -> Sub/Relu -> Softmax. */
function network(): Graph {
  return qgraph({
    inputs: { x: q8([1, 4, 8, 8], 0.05, -5), b: q8([1, 4, 1, 1], 0.02, 3) },
    consts: {
      slope: q8([4, 1, 1], 0.01, 0, Int8Array.of(-100, 10, 50, 127)),
      shape: { dtype: 'int64', shape: [2], data: Float64Array.of(1, 12) },
      bias: q8([12], 0.03, -7, Int8Array.from({ length: 12 }, (_, k) => 20 * k - 110)),
    },
    quant: {
      a: Q(0.06, -2), m: Q(0.2, -100), l: Q(0.2, -90), p: Q(0.05, -60), c: Q(6 / 255, -128),
      mp: Q(6 / 255, -128), ap: Q(6 / 255, -128), ap2: Q(0.02, -60), cat: Q(0.025, -100), pad: Q(0.025, -100),
      tr: Q(0.025, -100), gap: Q(0.01, -128), r: Q(0.01, -128), sub: Q(0.04, 0), relu: Q(0.02, -128), y: Q(1 / 256, -128),
    },
    nodes: [
      { op: 'Add', inputs: ['x', 'b'], outputs: ['a'] },
      { op: 'Mul', inputs: ['a', 'x'], outputs: ['m'], attrs: { act: s('Relu') } },
      { op: 'LeakyRelu', inputs: ['m'], outputs: ['l'], attrs: { alpha: f(0.1) } },
      { op: 'PRelu', inputs: ['l', 'slope'], outputs: ['p'] },
      { op: 'Clip', inputs: ['p'], outputs: ['c'], attrs: { min: f(0), max: f(6) } },
      { op: 'MaxPool', inputs: ['c'], outputs: ['mp'], attrs: { kernel_shape: is([3, 3]), strides: is([2, 2]), pads: is([1, 1, 1, 1]) } },
      { op: 'AveragePool', inputs: ['c'], outputs: ['ap'], attrs: { kernel_shape: is([2, 2]), strides: is([2, 2]) } },
      { op: 'AveragePool', inputs: ['c'], outputs: ['ap2'], attrs: { kernel_shape: is([3, 3]), strides: is([2, 2]), pads: is([1, 1, 1, 1]), count_include_pad: i(1) } },
      { op: 'Concat', inputs: ['mp', 'ap', 'ap2'], outputs: ['cat'], attrs: { axis: i(1) } },
      { op: 'Pad', inputs: ['cat'], outputs: ['pad'], attrs: { pads: is([0, 0, 1, 1, 0, 0, 1, 1]) } },
      { op: 'Transpose', inputs: ['pad'], outputs: ['tr'], attrs: { perm: is([0, 1, 3, 2]) } },
      { op: 'GlobalAveragePool', inputs: ['tr'], outputs: ['gap'] },
      { op: 'Reshape', inputs: ['gap', 'shape'], outputs: ['r'] },
      { op: 'Sub', inputs: ['bias', 'r'], outputs: ['sub'] },
      { op: 'Relu', inputs: ['sub'], outputs: ['relu'] },
      { op: 'Softmax', inputs: ['relu'], outputs: ['y'], attrs: { axis: i(-1) } },
    ],
    outputs: ['y', 'cat'],
  });
}

/** Compare every output of the C run with the reference, element for element. */
function same(t: ExecutionContext, ref: Record<string, Value>, c: Record<string, Value>): void {
  for (const o of Object.keys(ref)) t.deepEqual(Array.from(c[o].data), Array.from(ref[o].data), o);
}

for (const sanitize of [false, true]) {
  test(`an int8 network through every integer kernel${sanitize ? ' under ASan/UBSan' : ''}`, async (t) => {
    const g = network();
    for (const seed of [1, 2]) {
      const feeds = randomFeeds(g, seed);
      same(t, runReference(g, feeds), await runC(g, feeds, { sanitize }));
    }
  });
}
