/** Quantize, Dequantize and LookupTable: C against the integer reference, bit for bit. */
import test from 'ava';
import { assertBitExact, qgraph, qp, qpc, randInts } from './helpers/qgraph.js';
import { randn } from './helpers/graph.js';

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
