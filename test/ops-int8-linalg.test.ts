/** Integer (int8) Gemm and MatMul: compiled C against the integer reference bit for bit (AVX2 and portable kernels),
 * the integer reference against the float reference, and the errors for operands it cannot take. */
import test, { type ExecutionContext } from 'ava';
import type { Value } from '../src/ir/types.js';
import { runReference } from '../src/interp/reference.js';
import { dequantizeData } from '../src/quant/params.js';
import { assertBitExact, qgraph, qp, qpc, randInts } from './helpers/qgraph.js';
import { runC } from './helpers/c-run.js';
import { limit } from './helpers/limit.js';
import { assertSpread, flt, int, int8, layersGraph, type QLayer } from './helpers/qlayers.js';

const compilers = limit(2);

/** Every layer in one graph: C == integer reference, and every output spreads over the int8 range. */
async function check(t: ExecutionContext, layers: QLayer[], opts: { simd?: boolean; spread?: boolean } = {}): Promise<void> {
  const { g, feeds } = layersGraph(layers, layers.length + 20);
  const ref = await compilers(() => assertBitExact(t, g, feeds, opts.simd === false ? { cflags: ['-DEDGEC_NO_SIMD'] } : {}));
  if (opts.spread !== false) assertSpread(t, ref);
}

const transB = { transB: int(1) };

test('Gemm: per-column and per-tensor weights, ragged M/N/K, transA/transB, M = 1, bias shapes', async (t) => {
  await check(t, [
    { op: 'Gemm', x: [13, 40], w: [40, 37], axis: 1, zx: 3, zy: -4, k: 40 },
    { op: 'Gemm', x: [1, 120], w: [120, 100], axis: 1, zx: -11, k: 120 },
    { op: 'Gemm', x: [7, 33], w: [29, 33], attrs: transB, axis: 0, zx: 0, k: 33 },
    { op: 'Gemm', x: [41, 6], w: [41, 18], attrs: { transA: int(1) }, axis: 1, zx: 21, k: 41 },
    { op: 'Gemm', x: [20, 17], w: [17, 16], wz: -2, zx: 5, bias: [1, 16], k: 17 },
    { op: 'Gemm', x: [9, 64], w: [64, 48], axis: 1, bias: null, zx: 1, k: 64 },
  ]);
});

test('Gemm the size of the PP-OCR recognition head (40 x 120 x 6625)', async (t) => {
  await check(t, [{ op: 'Gemm', x: [40, 120], w: [120, 6625], axis: 1, zx: 3, k: 120 }]);
});

test('Gemm and MatMul with fused Relu and Clip', async (t) => {
  await check(t, [
    { op: 'Gemm', x: [13, 40], w: [40, 37], axis: 1, zx: 3, act: 'Relu', zy: -60, k: 40 },
    { op: 'MatMul', x: [3, 10, 24], w: [24, 30], axis: 1, zx: -3, act: 'Clip', zy: 8, k: 24 },
  ], { spread: false });
});

test('MatMul with constant weights: 2-D, batched activations, per-batch weights, 1-D operands', async (t) => {
  await check(t, [
    { op: 'MatMul', x: [19, 50], w: [50, 23], axis: 1, zx: 2, k: 50 },
    { op: 'MatMul', x: [2, 40, 120], w: [120, 70], axis: 1, zx: -9, k: 120 },
    { op: 'MatMul', x: [2, 7, 33], w: [2, 33, 19], axis: 2, zx: 4, k: 33 },
    { op: 'MatMul', x: [3, 5, 16], w: [16, 9], wz: 3, zx: 0, k: 16 },
    { op: 'MatMul', x: [64], w: [64, 21], axis: 1, zx: 6, k: 64 },
    { op: 'MatMul', x: [2, 6, 30], w: [30], zx: -1, k: 30 },
  ]);
});

test('MatMul of two activations with zero points on both sides: batched, broadcast, attention shapes', async (t) => {
  await check(t, [
    { op: 'MatMul', x: [2, 7, 33], w: [2, 33, 19], bRuntime: true, zx: 3, zb: -4, k: 33 },
    { op: 'MatMul', x: [3, 2, 5, 16], w: [16, 9], bRuntime: true, zx: -20, zb: 11, k: 16 },
    { op: 'MatMul', x: [2, 1, 4, 8], w: [1, 3, 8, 5], bRuntime: true, zx: 7, zb: 0, k: 8 },
    { op: 'MatMul', x: [4, 10, 12], w: [4, 12, 10], bRuntime: true, zx: 1, zb: -128, k: 12 },
    { op: 'MatMul', x: [40, 64], w: [64, 40], bRuntime: true, zx: 127, zb: 5, k: 64 },
  ]);
});

test('the portable C kernels (-DEDGEC_NO_SIMD) compute the same integers', async (t) => {
  await check(t, [
    { op: 'Gemm', x: [13, 40], w: [40, 37], axis: 1, zx: 3, zy: -4, k: 40 },
    { op: 'Gemm', x: [41, 6], w: [41, 18], attrs: { transA: int(1) }, axis: 1, zx: 21, k: 41 },
    { op: 'MatMul', x: [2, 7, 33], w: [2, 33, 19], axis: 2, zx: 4, k: 33 },
    { op: 'MatMul', x: [2, 1, 4, 8], w: [1, 3, 8, 5], bRuntime: true, zx: 7, zb: -3, k: 8 },
  ], { simd: false });
});

/** Dequantized integer output against the float op on dequantized operands: at most `steps` output steps apart. */
function assertCloseToFloat(t: ExecutionContext, layer: QLayer, steps: number): void {
  const { g, feeds } = layersGraph([layer], 9);
  const ref = runReference(g, feeds).y0;
  const deq = (name: string, v: Value): Value => ({ dtype: 'float32', shape: v.shape, data: dequantizeData(v.data, v.shape, g.tensors.get(name)!.quant!) });
  const w = g.tensors.get('w0')!;
  const wv: Value = layer.bRuntime ? feeds.w0 : { dtype: 'int8', shape: w.shape, data: w.data! };
  const consts: Parameters<typeof qgraph>[0]['consts'] = {};
  const inputs: Parameters<typeof qgraph>[0]['inputs'] = { x: { dtype: 'float32', shape: layer.x } };
  if (layer.bRuntime) inputs.w = { dtype: 'float32', shape: w.shape };
  else consts.w = { dtype: 'float32', shape: w.shape, data: deq('w0', wv).data };
  const b = g.tensors.get('b0');
  if (b) {
    const sx = g.tensors.get('x0')!.quant!.scale[0];
    const sw = w.quant!.scale;
    consts.b = { dtype: 'float32', shape: b.shape, data: Float32Array.from(b.data!, (v, c) => v * sx * sw[c % sw.length]) };
  }
  const fg = qgraph({ inputs, consts, nodes: [{ op: layer.op, inputs: ['x', 'w', ...(b ? ['b'] : [])], outputs: ['y'], attrs: layer.attrs ?? {} }], outputs: ['y'] });
  const f = runReference(fg, { x: deq('x0', feeds.x0), ...(layer.bRuntime ? { w: deq('w0', wv) } : {}) }).y;
  const yq = g.tensors.get('y0')!.quant!;
  const got = dequantizeData(ref.data, ref.shape, yq);
  const s = yq.scale[0];
  const lo = (-128 - yq.zeroPoint[0]) * s;
  const hi = (127 - yq.zeroPoint[0]) * s;
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - Math.min(hi, Math.max(lo, f.data[i]))) / s);
  t.true(worst <= steps, `${layer.op} ${JSON.stringify(layer.w)}: integer output is ${worst.toFixed(2)} steps from the float op`);
}

test('the integer Gemm/MatMul references agree with the float ops on dequantized operands', (t) => {
  assertCloseToFloat(t, { op: 'Gemm', x: [13, 40], w: [29, 40], attrs: transB, axis: 0, zx: 3, zy: -4, k: 40 }, 1);
  assertCloseToFloat(t, { op: 'MatMul', x: [2, 7, 33], w: [33, 19], axis: 1, zx: 4, k: 33 }, 1);
  assertCloseToFloat(t, { op: 'MatMul', x: [2, 7, 33], w: [2, 33, 19], bRuntime: true, zx: 3, zb: -4, k: 33 }, 1);
});

test('integer Gemm/MatMul errors name the node and op', (t) => {
  const a = { dtype: 'int8' as const, shape: [4, 8], quant: qp(0.1, 2) };
  const w = (quant = qpc(new Array(6).fill(0.1), 1)) => ({ dtype: 'int8' as const, shape: [8, 6], data: int8([8, 6], 1).data, quant });
  const feeds = { a: int8([4, 8], 2) };
  const gemm = (name: string, attrs = {}, quant = qpc(new Array(6).fill(0.1), 1)) =>
    qgraph({ inputs: { a }, consts: { w: w(quant) }, quant: { y: qp(0.2) }, nodes: [{ name, op: 'Gemm', inputs: ['a', 'w'], outputs: ['y'], attrs }], outputs: ['y'] });
  t.throws(() => runReference(gemm('g1', { alpha: flt(0.5) }), feeds), { message: /node 'g1' \(Gemm\): alpha must be 1/ });
  t.throws(() => runReference(gemm('g2', {}, qpc(new Array(8).fill(0.1), 0)), feeds), { message: /node 'g2' \(Gemm\): input B has 8 scales along axis 0/ });
  const floatOut = qgraph({ inputs: { a }, consts: { w: w() }, nodes: [{ name: 'm1', op: 'MatMul', inputs: ['a', 'w'], outputs: ['y'] }], outputs: ['y'] });
  t.throws(() => runReference(floatOut, feeds), { message: /node 'm1' \(MatMul\): output has no quantization parameters/ });
});

test('a run-time MatMul operand with per-channel zero points is refused by the C backend', async (t) => {
  const g = qgraph({
    inputs: { a: { dtype: 'int8', shape: [4, 8], quant: qp(0.1, 2) }, b: { dtype: 'int8', shape: [8, 3], quant: qpc([0.1, 0.1, 0.1], 1, [0, 1, 2]) } },
    quant: { y: qp(0.2) },
    nodes: [{ name: 'm2', op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }],
    outputs: ['y'],
  });
  await t.throwsAsync(runC(g, { a: int8([4, 8], 1), b: int8([8, 3], 2) }), { message: /node 'm2' \(MatMul\): input B is not constant/ });
});

test('int8 Gemm/MatMul kernels run clean under address and undefined-behaviour sanitizers', async (t) => {
  const { g, feeds } = layersGraph([
    { op: 'Gemm', x: [13, 40], w: [40, 37], axis: 1, zx: 3, k: 40 },
    { op: 'Gemm', x: [41, 6], w: [41, 18], attrs: { transA: int(1) }, axis: 1, zx: 21, k: 41 },
    { op: 'MatMul', x: [2, 1, 4, 8], w: [1, 3, 8, 5], bRuntime: true, zx: 7, zb: -3, k: 8 },
  ], 5);
  await compilers(() => assertBitExact(t, g, feeds, { sanitize: true }));
});

test('extreme requantization: multipliers above 1 (left shifts), tiny multipliers, int32-range biases', async (t) => {
  const layers: QLayer[] = [
    { op: 'Gemm', x: [13, 40], w: [40, 37], axis: 1, zx: 3, zy: -4, k: 40 },
    { op: 'MatMul', x: [2, 7, 33], w: [2, 33, 19], bRuntime: true, zx: 3, zb: -4, k: 33 },
  ];
  for (const [scale, bias] of [[1e-5, 1000], [50, 2_000_000_000]] as const) {
    const { g, feeds } = layersGraph(layers, 13);
    layers.forEach((_, i) => {
      const y = g.tensors.get(`y${i}`)!;
      y.quant = qp(y.quant!.scale[0] * scale, y.quant!.zeroPoint[0]);
      const b = g.tensors.get(`b${i}`);
      if (b) b.data = Int32Array.from(b.data!, (v, c) => (c % 2 ? bias : -bias) + v);
    });
    await compilers(() => assertBitExact(t, g, feeds));
    await compilers(() => assertBitExact(t, g, feeds, { cflags: ['-DEDGEC_NO_SIMD'] }));
  }
});

test('MatMul with int32 accumulator output (a classifier head): C equals the exact product, AVX2 and portable', async (t) => {
  for (const [m, k, n, perColumn] of [[40, 120, 301, true], [3, 17, 5, false]] as const) {
    const scales = Array.from({ length: perColumn ? n : 1 }, (_, j) => 0.01 + 0.001 * j);
    const sa = 0.05;
    const g = qgraph({
      inputs: { a: { dtype: 'int8', shape: [m, k], quant: qp(sa, 7) } },
      consts: { b: { dtype: 'int8', shape: [k, n], data: randInts('int8', k * n, -127, 127, 5), quant: perColumn ? qpc(scales, 1) : qp(scales[0]) } },
      nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }],
      outputs: ['y'],
    });
    g.tensors.set('y', { name: 'y', dtype: 'int32', shape: [m, n], quant: { scale: Float32Array.from(scales, (s) => Math.fround(Math.fround(sa) * Math.fround(s))), zeroPoint: new Int32Array(scales.length), axis: 1 } });
    const feeds = { a: { dtype: 'int8' as const, shape: [m, k], data: randInts('int8', m * k, -128, 127, 9) } };
    for (const cflags of [[], ['-DEDGEC_NO_SIMD']]) {
      const ref = await compilers(() => assertBitExact(t, g, feeds, { cflags }));
      // The reference is the exact integer product (a - 7) b.
      const a = feeds.a.data;
      const b = g.tensors.get('b')!.data!;
      let dot = 0;
      for (let q = 0; q < k; q++) dot += (a[(m - 1) * k + q] - 7) * b[q * n + n - 1];
      t.is(ref.y.data[(m - 1) * n + n - 1], dot);
    }
  }
});
