/** Quantize, Dequantize and LookupTable (int8, and int16 with interpolation): C against the integer reference, bit for bit. */
import test from 'ava';
import { assertBitExact, qgraph, qp, qpc, randInts } from './helpers/qgraph.js';
import { randn } from './helpers/graph.js';
import type { Node } from '../src/ir/types.js';
import { int16ChainTable } from '../src/quant/table.js';

test('Quantize (int8, uint8, int16) then Dequantize, per tensor', async (t) => {
  for (const [to, q] of [['int8', qp(0.02, 5)], ['uint8', qp(0.01, 128)], ['int16', qp(0.0001, 0)]] as const) {
    const x = Float32Array.from(randn(300, 3), (v, i) => v * 3 + (i === 7 ? 0.01 : 0));
    x[0] = 0.025; x[1] = -0.03; x[2] = 1e9; x[3] = -1e9; // ties and saturation
    const g = qgraph({
      inputs: { x: { dtype: 'float32', shape: [3, 100] } },
      quant: { q: q },
      nodes: [{ op: 'Quantize', inputs: ['x'], outputs: ['q'], attrs: { to: { type: 'string', value: to } } }, { op: 'Dequantize', inputs: ['q'], outputs: ['y'] }],
      outputs: ['q', 'y'],
    });
    await assertBitExact(t, g, { x: { dtype: 'float32', shape: [3, 100], data: x } });
  }
});

test('Dequantize per channel (axis 1) of int8 and int32', async (t) => {
  for (const dtype of ['int8', 'int32'] as const) {
    const g = qgraph({
      inputs: { q: { dtype, shape: [2, 3, 4], quant: qpc([0.5, 0.25, 0.125], 1, [1, -2, 3]) } },
      nodes: [{ op: 'Dequantize', inputs: ['q'], outputs: ['y'] }],
      outputs: ['y'],
    });
    const ref = await assertBitExact(t, g, { q: { dtype, shape: [2, 3, 4], data: randInts(dtype, 24, -100, 100) } });
    t.is(ref.y.data[4], (ref.y.data[4] / 0.25) * 0.25);
  }
});

test('LookupTable maps every int8 code through its table', async (t) => {
  const table = Int8Array.from({ length: 256 }, (_, i) => 127 - i);
  const g = qgraph({
    inputs: { x: { dtype: 'int8', shape: [256], quant: qp(0.1) } },
    consts: { lut: { dtype: 'int8', shape: [256], data: table, quant: qp(0.1) } },
    quant: { y: qp(0.1) },
    nodes: [{ op: 'LookupTable', inputs: ['x', 'lut'], outputs: ['y'] }],
    outputs: ['y'],
  });
  const ref = await assertBitExact(t, g, { x: { dtype: 'int8', shape: [256], data: Int8Array.from({ length: 256 }, (_, i) => i - 128) } });
  t.is(ref.y.data[0], 127);
  t.is(ref.y.data[255], -128);
});

test('int16 LookupTable: a HardSwish + scalar Mul/Add table interpolates every int16 code, within 3 codes of float', async (t) => {
  const [sx, sy] = [12 / 32767, 10 / 32767];
  const hs: Node = { name: 'hs', op: 'HardSwish', inputs: ['x'], outputs: ['h'], attrs: {} };
  const mul: Node = { name: 'mul', op: 'Mul', inputs: ['h', 'a'], outputs: ['m'], attrs: {} };
  const add: Node = { name: 'add', op: 'Add', inputs: ['m', 'b'], outputs: ['y'], attrs: {} };
  const scalar = (v: number) => ({ dtype: 'float32' as const, shape: [1], data: Float32Array.of(v) });
  const table = int16ChainTable([{ node: hs, inputs: ['x'] }, { node: mul, inputs: ['x', scalar(0.8)] }, { node: add, inputs: ['x', scalar(-0.3)] }], qp(sx), qp(sy));
  const g = qgraph({
    inputs: { x: { dtype: 'int16', shape: [65536], quant: qp(sx) } },
    consts: { lut: { dtype: 'int16', shape: [513], data: table, quant: qp(sy) } },
    quant: { y: qp(sy) },
    nodes: [{ op: 'LookupTable', inputs: ['x', 'lut'], outputs: ['y'] }],
    outputs: ['y'],
  });
  const ref = await assertBitExact(t, g, { x: { dtype: 'int16', shape: [65536], data: Int16Array.from({ length: 65536 }, (_, i) => i - 32768) } });
  let worst = 0;
  for (let i = 0; i < 65536; i++) {
    const x = (i - 32768) * sx;
    const f = (x * Math.min(Math.max(x + 3, 0), 6) / 6) * 0.8 - 0.3;
    worst = Math.max(worst, Math.abs(ref.y.data[i] - f / sy));
  }
  t.true(worst <= 3, `worst error ${worst.toFixed(2)} codes`);
});
