/** fold-int8-tables: int8 elementwise chains of one varying input become one LookupTable with the same integers, and
 * the C table kernel (kernels/qlut.h) matches the integer reference bit for bit. */
import test from 'ava';
import type { Graph } from '../src/ir/types.js';
import { cloneGraph } from '../src/ir/graph.js';
import { runReference } from '../src/interp/reference.js';
import { runPipeline } from '../src/passes/pass.js';
import { foldInt8Tables } from '../src/passes/fold-int8-tables.js';
import { eliminateDeadCode } from '../src/passes/eliminate-dead-code.js';
import { assertBitExact, qgraph, qp } from './helpers/qgraph.js';
import { f, q8, randomFeeds, s } from './helpers/qcheck.js';

/** x → table → Mul(scalar, ·) → Add(·, scalar) → LeakyRelu → Clip, a second reader of the first table, and a binary Add. */
function chain(): Graph {
  const shape = [1, 3, 7, 101]; // 2121 values: whole 32-byte blocks and a tail
  return qgraph({
    inputs: { x: q8(shape, 0.05, -5) },
    consts: {
      lut: q8([256], 0.04, 3, Int8Array.from({ length: 256 }, (_, k) => ((k * 37) % 256) - 128)),
      ws: q8([1], 0.01, -128, Int8Array.of(90)),
      bs: q8([1, 1, 1, 1], 0.02, 127, Int8Array.of(-60)),
    },
    quant: { h: qp(0.04, 3), m: qp(0.03, -10), a: qp(0.05, 20), l: qp(0.05, -40), c: qp(6 / 255, -128), r: qp(0.04, -128), y: qp(0.06, 2) },
    nodes: [
      { op: 'LookupTable', inputs: ['x', 'lut'], outputs: ['h'] },
      { op: 'Mul', inputs: ['ws', 'h'], outputs: ['m'] },
      { op: 'Add', inputs: ['m', 'bs'], outputs: ['a'], attrs: { act: s('Relu') } },
      { op: 'LeakyRelu', inputs: ['a'], outputs: ['l'], attrs: { alpha: f(0.1) } },
      { op: 'Clip', inputs: ['l'], outputs: ['c'], attrs: { min: f(0), max: f(6) } },
      { op: 'Relu', inputs: ['h'], outputs: ['r'] },
      { op: 'Add', inputs: ['c', 'x'], outputs: ['y'] },
    ],
    outputs: ['y', 'r', 'c'],
  });
}

test('an int8 chain of one varying input folds into tables with the same integers', (t) => {
  const g = chain();
  const folded = runPipeline(cloneGraph(g), [foldInt8Tables, eliminateDeadCode], { verifyBetween: true });
  // The shared first table stays; Mul..Clip become one table; Relu becomes one; the binary Add stays.
  t.deepEqual(folded.nodes.map((n) => n.op), ['LookupTable', 'LookupTable', 'LookupTable', 'Add']);
  t.is(folded.nodes[1].attrs.from?.value, 'Mul+Add+LeakyRelu+Clip');
  for (const seed of [1, 2, 3]) {
    const feeds = randomFeeds(g, seed);
    const [a, b] = [runReference(g, feeds), runReference(folded, feeds)];
    for (const o of g.outputs) t.deepEqual(Array.from(b[o].data), Array.from(a[o].data), o);
  }
});

test('folded int8 tables run in C bit-exact with the integer reference', async (t) => {
  const folded = runPipeline(chain(), [foldInt8Tables, eliminateDeadCode]);
  await assertBitExact(t, folded, randomFeeds(folded, 4));
});
