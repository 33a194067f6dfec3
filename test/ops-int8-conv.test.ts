/** Integer (int8) Conv and ConvTranspose: compiled C against the integer reference bit for bit (AVX2 and portable
 * kernels), the integer reference against the float reference, and the errors for operands it cannot take. */
import test, { type ExecutionContext } from 'ava';
import type { Value } from '../src/ir/types.js';
import { runReference } from '../src/interp/reference.js';
import { dequantizeData } from '../src/quant/params.js';
import { assertBitExact, qgraph, qp, qpc } from './helpers/qgraph.js';
import { runC } from './helpers/c-run.js';
import { runPipeline } from '../src/passes/pass.js';
import { narrowIntBias } from '../src/passes/narrow-int-bias.js';
import { limit } from './helpers/limit.js';
import { assertSpread, int, int8, ints, layersGraph, str, type QLayer } from './helpers/qlayers.js';

const compilers = limit(2);

/** Every layer in one graph: C == integer reference, and every output spreads over the int8 range. */
async function check(t: ExecutionContext, layers: QLayer[], opts: { simd?: boolean; spread?: boolean } = {}): Promise<void> {
  const { g, feeds } = layersGraph(layers, layers.length);
  const ref = await compilers(() => assertBitExact(t, g, feeds, opts.simd === false ? { cflags: ['-DEDGEC_NO_SIMD'] } : {}));
  if (opts.spread !== false) assertSpread(t, ref);
}

const pads = (...p: number[]) => ({ pads: ints(...p) });

test('Conv 3x3 stride 1 (Winograd): odd sizes, odd channels, batch 2, asymmetric and no padding, zero points', async (t) => {
  await check(t, [
    { op: 'Conv', x: [1, 8, 12, 12], w: [16, 8, 3, 3], attrs: pads(1, 1, 1, 1), axis: 0, zx: -3, zy: 5, k: 72 },
    { op: 'Conv', x: [2, 9, 13, 17], w: [11, 9, 3, 3], attrs: pads(0, 1, 2, 1), axis: 0, zx: 17, zy: -9, k: 81 },
    { op: 'Conv', x: [1, 16, 9, 23], w: [8, 16, 3, 3], axis: 0, zx: -128, zy: 127, k: 144 },
    { op: 'Conv', x: [1, 12, 20, 33], w: [30, 12, 3, 3], attrs: pads(1, 1, 1, 1), axis: 0, bias: null, zx: 5, k: 108 },
  ]);
});

test('Conv 3x3 with weights too large for exact Winograd falls back to the direct kernel', async (t) => {
  // All-127 filters over 96 channels: 4 * 1020 * sum|U| would leave int32, so the lowering takes im2col.
  const { g, feeds } = layersGraph([{ op: 'Conv', x: [1, 96, 9, 10], w: [8, 96, 3, 3], attrs: pads(1, 1, 1, 1), axis: 0, zx: 2, k: 864 }]);
  const w = g.tensors.get('w0')!;
  w.data = new Int8Array(w.data!.length).fill(127);
  feeds.x0 = int8([1, 96, 9, 10], 5, -128, 40);
  await compilers(() => assertBitExact(t, g, feeds));
});

test('Conv 1x1: pointwise GEMM with ragged rows, columns and odd K; strided 1x1 through im2col', async (t) => {
  await check(t, [
    { op: 'Conv', x: [1, 24, 10, 10], w: [40, 24, 1, 1], axis: 0, zx: 7, k: 24 },
    { op: 'Conv', x: [1, 7, 5, 9], w: [13, 7, 1, 1], axis: 0, zx: -20, zy: 3, k: 7 },
    { op: 'Conv', x: [2, 16, 9, 9], w: [20, 16, 1, 1], attrs: { strides: ints(2, 2) }, axis: 0, zx: 1, k: 16 },
    { op: 'Conv', x: [1, 33, 3, 3], w: [6, 33, 1, 1], axis: 0, zx: 0, k: 33 },
    { op: 'Conv', x: [1, 64, 30, 30], w: [70, 64, 1, 1], axis: 0, zx: 4, k: 64 },
  ]);
});

test('Conv through im2col: strides 2, dilations, asymmetric pads, groups, 5x5, 1x3, SAME_UPPER', async (t) => {
  await check(t, [
    { op: 'Conv', x: [1, 5, 13, 11], w: [7, 5, 3, 3], attrs: { ...pads(1, 1, 1, 1), strides: ints(2, 2) }, axis: 0, zx: 9, k: 45 },
    { op: 'Conv', x: [1, 6, 15, 14], w: [8, 6, 3, 3], attrs: { ...pads(0, 1, 2, 1), dilations: ints(2, 2) }, axis: 0, zx: -5, k: 54 },
    { op: 'Conv', x: [1, 6, 11, 9], w: [9, 2, 3, 3], attrs: { ...pads(1, 1, 1, 1), group: int(3) }, axis: 0, zx: 2, k: 18 },
    { op: 'Conv', x: [1, 4, 12, 12], w: [6, 4, 5, 5], attrs: pads(2, 2, 2, 2), axis: 0, zx: 0, k: 100 },
    { op: 'Conv', x: [1, 8, 6, 20], w: [8, 8, 1, 3], attrs: pads(0, 1, 0, 1), axis: 0, zx: -1, k: 24 },
    { op: 'Conv', x: [1, 3, 17, 16], w: [5, 3, 3, 3], attrs: { auto_pad: str('SAME_UPPER'), strides: ints(2, 2) }, axis: 0, zx: 6, k: 27 },
  ]);
});

test('depthwise Conv: 3x3 strides 1 and 2, dilated 5x5, channel multiplier, even and wide kernels, long rows', async (t) => {
  const dw = (x: number[], m: number, kh: number, kw: number, attrs: QLayer['attrs'], zx: number): QLayer =>
    ({ op: 'Conv', x, w: [m, 1, kh, kw], attrs: { ...attrs, group: int(x[1]) }, axis: 0, zx, k: kh * kw });
  await check(t, [
    dw([1, 12, 17, 19], 12, 3, 3, pads(1, 1, 1, 1), 2),
    dw([1, 10, 16, 15], 10, 3, 3, { ...pads(1, 1, 1, 1), strides: ints(2, 2) }, -7),
    dw([1, 6, 20, 21], 6, 5, 5, { ...pads(4, 4, 4, 4), dilations: ints(2, 2) }, 11),
    dw([1, 4, 9, 9], 8, 3, 3, pads(0, 1, 1, 0), 0),
    dw([2, 5, 8, 40], 5, 2, 2, {}, -100),
    dw([1, 3, 7, 70], 3, 3, 3, { ...pads(1, 1, 1, 1), strides: ints(1, 3) }, 3),
    dw([1, 2, 12, 20], 2, 9, 15, pads(4, 7, 4, 7), 1),
  ]);
});

test('Conv 1-D (GEMM and depthwise) and 3-D', async (t) => {
  await check(t, [
    { op: 'Conv', x: [1, 4, 30], w: [6, 4, 5], attrs: { pads: ints(2, 2), strides: ints(2) }, axis: 0, zx: 3, k: 20 },
    { op: 'Conv', x: [1, 6, 40], w: [6, 1, 3], attrs: { pads: ints(1, 1), group: int(6) }, axis: 0, zx: -4, k: 3 },
    { op: 'Conv', x: [1, 3, 5, 6, 7], w: [4, 3, 3, 3, 3], attrs: { pads: ints(1, 1, 1, 1, 1, 1) }, axis: 0, zx: 8, k: 81 },
  ]);
});

test('Conv per-tensor weights with a weight zero point, fused Relu and Clip, no bias', async (t) => {
  await check(t, [
    { op: 'Conv', x: [1, 8, 10, 10], w: [8, 8, 3, 3], attrs: pads(1, 1, 1, 1), wz: 5, zx: 1, k: 72 },
    { op: 'Conv', x: [1, 12, 8, 8], w: [10, 12, 1, 1], wz: -3, zx: -2, k: 12 },
    { op: 'Conv', x: [1, 8, 11, 9], w: [9, 8, 3, 3], attrs: { ...pads(1, 1, 1, 1), strides: ints(2, 2) }, axis: 0, act: 'Relu', zy: -20, k: 72 },
    { op: 'Conv', x: [1, 6, 13, 12], w: [6, 1, 3, 3], attrs: { ...pads(1, 1, 1, 1), group: int(6) }, axis: 0, act: 'Clip', zy: 10, k: 9 },
    { op: 'Conv', x: [1, 16, 12, 12], w: [16, 16, 3, 3], attrs: pads(1, 1, 1, 1), axis: 0, act: 'Relu', bias: null, zy: -128, k: 144 },
  ], { spread: false });
});

test('ConvTranspose: 2x2 stride 2, output_padding, groups, dilation, 1-D and 3-D, per-tensor weights, Relu', async (t) => {
  await check(t, [
    { op: 'ConvTranspose', x: [1, 8, 7, 9], w: [8, 6, 2, 2], attrs: { strides: ints(2, 2) }, axis: 1, zx: 1, k: 8 },
    { op: 'ConvTranspose', x: [1, 6, 5, 6], w: [6, 4, 3, 3], attrs: { strides: ints(2, 2), ...pads(1, 1, 1, 1), output_padding: ints(1, 1), group: int(2) }, axis: 1, zx: -6, k: 12 },
    { op: 'ConvTranspose', x: [2, 4, 6, 5], w: [4, 3, 3, 3], attrs: { dilations: ints(2, 2), ...pads(1, 0, 1, 2) }, wz: 2, zx: 9, k: 16 },
    { op: 'ConvTranspose', x: [1, 3, 10], w: [3, 2, 4], attrs: { strides: ints(3) }, axis: 1, zx: 0, k: 4 },
    { op: 'ConvTranspose', x: [1, 2, 3, 4, 4], w: [2, 3, 2, 2, 2], attrs: { strides: ints(2, 2, 2) }, axis: 1, zx: 4, k: 4 },
    { op: 'ConvTranspose', x: [1, 24, 10, 12], w: [24, 5, 2, 2], attrs: { strides: ints(2, 2) }, axis: 1, act: 'Relu', zy: -30, k: 24 },
  ]);
});

test('ConvTranspose with non-overlapping taps (direct int8 scatter): gaps, crops, 1x1 stride 2, groups, long rows', async (t) => {
  await check(t, [
    { op: 'ConvTranspose', x: [1, 5, 6, 7], w: [5, 4, 2, 2], attrs: { strides: ints(3, 3), ...pads(1, 0, 0, 1) }, axis: 1, zx: 2, k: 5 },
    { op: 'ConvTranspose', x: [1, 4, 5, 5], w: [4, 3, 1, 1], attrs: { strides: ints(2, 2), output_padding: ints(1, 1) }, axis: 1, zx: -3, k: 4 },
    { op: 'ConvTranspose', x: [2, 6, 4, 9], w: [6, 2, 2, 2], attrs: { strides: ints(2, 2), group: int(3) }, axis: 1, zx: 5, k: 2 },
    { op: 'ConvTranspose', x: [1, 16, 3, 40], w: [16, 8, 2, 2], attrs: { strides: ints(2, 2), ...pads(1, 1, 0, 0) }, axis: 1, zx: -1, k: 16 },
  ]);
});

test('the portable C kernels (-DEDGEC_NO_SIMD) compute the same integers', async (t) => {
  await check(t, [
    { op: 'Conv', x: [1, 9, 13, 17], w: [11, 9, 3, 3], attrs: pads(0, 1, 2, 1), axis: 0, zx: 17, zy: -9, k: 81 },
    { op: 'Conv', x: [1, 24, 10, 10], w: [40, 24, 1, 1], axis: 0, zx: 7, k: 24 },
    { op: 'Conv', x: [1, 5, 13, 11], w: [7, 5, 3, 3], attrs: { ...pads(1, 1, 1, 1), strides: ints(2, 2) }, axis: 0, act: 'Relu', zx: 9, k: 45 },
    { op: 'Conv', x: [1, 10, 16, 15], w: [20, 1, 3, 3], attrs: { ...pads(1, 1, 1, 1), strides: ints(2, 2), group: int(10) }, axis: 0, zx: -7, k: 9 },
    { op: 'ConvTranspose', x: [1, 6, 5, 6], w: [6, 4, 3, 3], attrs: { strides: ints(2, 2), ...pads(1, 1, 1, 1), group: int(2) }, axis: 1, zx: -6, k: 12 },
    { op: 'ConvTranspose', x: [1, 5, 6, 7], w: [5, 4, 2, 2], attrs: { strides: ints(3, 3), ...pads(1, 0, 0, 1) }, axis: 1, zx: 2, k: 5 },
    { op: 'ConvTranspose', x: [1, 16, 3, 40], w: [16, 8, 2, 2], attrs: { strides: ints(2, 2) }, axis: 1, zx: -1, k: 16 },
    { op: 'Conv', x: [1, 3, 5, 6, 7], w: [4, 3, 3, 3, 3], attrs: { pads: ints(1, 1, 1, 1, 1, 1) }, axis: 0, zx: 8, k: 81 },
    { op: 'Conv', x: [1, 6, 20, 21], w: [6, 1, 5, 5], attrs: { ...pads(2, 2, 2, 2), group: int(6) }, axis: 0, zx: 11, k: 25 },
  ], { simd: false });
});

/** Dequantized integer output against the float op on dequantized operands: at most `steps` output steps apart. */
function assertCloseToFloat(t: ExecutionContext, layer: QLayer, steps: number): void {
  const { g, feeds } = layersGraph([layer], 7);
  const ref = runReference(g, feeds).y0;
  const deq = (name: string, v: Value): Value => ({ dtype: 'float32', shape: v.shape, data: dequantizeData(v.data, v.shape, g.tensors.get(name)!.quant!) });
  const w = g.tensors.get('w0')!;
  const b = g.tensors.get('b0')!;
  const sx = g.tensors.get('x0')!.quant!.scale[0];
  const sw = w.quant!.scale;
  const bf = Float32Array.from(b.data!, (v, c) => v * sx * sw[c % sw.length]);
  const fg = qgraph({
    inputs: { x: { dtype: 'float32', shape: layer.x } },
    consts: { w: { dtype: 'float32', shape: w.shape, data: deq('w0', { dtype: 'int8', shape: w.shape, data: w.data! }).data }, b: { dtype: 'float32', shape: b.shape, data: bf } },
    nodes: [{ op: layer.op, inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: layer.attrs ?? {} }],
    outputs: ['y'],
  });
  const f = runReference(fg, { x: deq('x0', feeds.x0) }).y;
  const yq = g.tensors.get('y0')!.quant!;
  const got = dequantizeData(ref.data, ref.shape, yq);
  const s = yq.scale[0];
  const lo = (-128 - yq.zeroPoint[0]) * s;
  const hi = (127 - yq.zeroPoint[0]) * s;
  let worst = 0;
  let inRange = 0;
  for (let i = 0; i < got.length; i++) {
    const want = Math.min(hi, Math.max(lo, f.data[i]));
    if (want > lo && want < hi) inRange++;
    worst = Math.max(worst, Math.abs(got[i] - want) / s);
  }
  t.true(inRange > got.length / 2, `${layer.op}: most outputs should be inside the int8 range`);
  t.true(worst <= steps, `${layer.op} ${JSON.stringify(layer.w)}: integer output is ${worst.toFixed(2)} steps from the float op`);
}

test('the integer Conv/ConvTranspose references agree with the float ops on dequantized operands', (t) => {
  assertCloseToFloat(t, { op: 'Conv', x: [1, 8, 12, 12], w: [16, 8, 3, 3], attrs: pads(1, 1, 1, 1), axis: 0, zx: -3, zy: 5, k: 72 }, 1);
  assertCloseToFloat(t, { op: 'Conv', x: [1, 6, 13, 12], w: [12, 1, 3, 3], attrs: { ...pads(1, 1, 1, 1), strides: ints(2, 2), group: int(6) }, axis: 0, zx: 4, k: 9 }, 1);
  assertCloseToFloat(t, { op: 'Conv', x: [1, 8, 10, 10], w: [8, 8, 3, 3], attrs: pads(1, 1, 1, 1), zx: 1, k: 72 }, 1);
  assertCloseToFloat(t, { op: 'ConvTranspose', x: [1, 6, 5, 6], w: [6, 4, 3, 3], attrs: { strides: ints(2, 2), ...pads(1, 1, 1, 1), group: int(2) }, axis: 1, zx: -6, k: 12 }, 1);
});

test('integer Conv errors name the node and op', (t) => {
  const base = { inputs: { x: { dtype: 'int8' as const, shape: [1, 4, 6, 6], quant: qp(0.1, 2) } }, quant: { y: qp(0.2) }, outputs: ['y'] };
  const w = (quant = qpc([0.1, 0.1, 0.1, 0.1], 0)) => ({ dtype: 'int8' as const, shape: [4, 4, 3, 3], data: int8([4, 4, 3, 3], 1).data, quant });
  const wrongAxis = qgraph({ ...base, consts: { w: w(qpc([0.1, 0.1, 0.1, 0.1], 1)) }, nodes: [{ name: 'c1', op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }] });
  t.throws(() => runReference(wrongAxis, { x: int8([1, 4, 6, 6], 2) }), { message: /node 'c1' \(Conv\): weight W has 4 scales along axis 1/ });
  t.throws(() => qgraph({ ...base, consts: { w: w(), b: { dtype: 'float32', shape: [4], data: new Float32Array(4) } }, nodes: [{ name: 'c2', op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'] }] }),
    { message: /node 'c2' \(Conv\): bias type float32 must be int32/ });
});

test('an integer Conv with run-time weights is refused by the C backend', async (t) => {
  const g = qgraph({
    inputs: { x: { dtype: 'int8', shape: [1, 4, 6, 6], quant: qp(0.1, 2) }, w: { dtype: 'int8', shape: [4, 4, 3, 3], quant: qp(0.1) } },
    quant: { y: qp(0.2) },
    nodes: [{ name: 'c3', op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }],
    outputs: ['y'],
  });
  await t.throwsAsync(runC(g, { x: int8([1, 4, 6, 6], 1), w: int8([4, 4, 3, 3], 2) }), { message: /node 'c3' \(Conv\): weight W must be a constant/ });
});

test('int8 Conv/ConvTranspose kernels run clean under address and undefined-behaviour sanitizers', async (t) => {
  const { g, feeds } = layersGraph([
    { op: 'Conv', x: [1, 9, 13, 17], w: [11, 9, 3, 3], attrs: pads(0, 1, 2, 1), axis: 0, zx: 17, k: 81 },
    { op: 'Conv', x: [1, 7, 5, 9], w: [13, 7, 1, 1], axis: 0, zx: -20, k: 7 },
    { op: 'Conv', x: [1, 5, 13, 11], w: [7, 5, 3, 3], attrs: { ...pads(1, 1, 1, 1), strides: ints(2, 2) }, axis: 0, zx: 9, k: 45 },
    { op: 'Conv', x: [1, 6, 20, 21], w: [6, 1, 5, 5], attrs: { ...pads(2, 2, 2, 2), group: int(6) }, axis: 0, zx: 11, k: 25 },
    { op: 'Conv', x: [1, 10, 16, 15], w: [10, 1, 3, 3], attrs: { ...pads(1, 1, 1, 1), strides: ints(2, 2), group: int(10) }, axis: 0, zx: -7, k: 9 },
    { op: 'ConvTranspose', x: [1, 6, 5, 6], w: [6, 4, 3, 3], attrs: { strides: ints(2, 2), ...pads(1, 1, 1, 1), group: int(2) }, axis: 1, zx: -6, k: 12 },
  ], 3);
  await compilers(() => assertBitExact(t, g, feeds, { sanitize: true }));
});

test('extreme requantization: multipliers above 1 (left shifts), tiny multipliers, int32-range biases', async (t) => {
  const layers: QLayer[] = [
    { op: 'Conv', x: [1, 8, 12, 12], w: [16, 8, 3, 3], attrs: pads(1, 1, 1, 1), axis: 0, zx: -3, zy: 5, k: 72 },
    { op: 'Conv', x: [1, 24, 10, 10], w: [40, 24, 1, 1], axis: 0, zx: 7, k: 24 },
    { op: 'Conv', x: [1, 12, 17, 19], w: [12, 1, 3, 3], attrs: { ...pads(1, 1, 1, 1), group: int(12) }, axis: 0, zx: 2, zy: -7, k: 9 },
    { op: 'ConvTranspose', x: [1, 8, 7, 9], w: [8, 6, 2, 2], attrs: { strides: ints(2, 2) }, axis: 1, zx: 1, k: 8 },
    { op: 'Conv', x: [1, 4, 30], w: [6, 4, 5], attrs: { pads: ints(2, 2), strides: ints(2) }, axis: 0, zx: 3, k: 20 },
  ];
  for (const [scale, bias] of [[1e-5, 1000], [1e-3, 0], [50, 2_000_000_000]] as const) {
    const { g, feeds } = layersGraph(layers, 11);
    layers.forEach((_, i) => {
      const y = g.tensors.get(`y${i}`)!;
      y.quant = qp(y.quant!.scale[0] * scale, y.quant!.zeroPoint[0]);
      const b = g.tensors.get(`b${i}`)!;
      b.data = Int32Array.from(b.data!, (v, c) => (c % 2 ? bias : -bias) + v);
    });
    await compilers(() => assertBitExact(t, g, feeds));
    await compilers(() => assertBitExact(t, g, feeds, { cflags: ['-DEDGEC_NO_SIMD'] }));
  }
});

test('narrow-int-bias stores biases that fit as int16: the same integers from the reference and the C artifact', async (t) => {
  const layers: QLayer[] = [
    { op: 'Conv', x: [1, 8, 9, 9], w: [12, 8, 3, 3], attrs: pads(1, 1, 1, 1), axis: 0, zx: 3, k: 72 },
    { op: 'Conv', x: [1, 12, 9, 9], w: [12, 1, 3, 3], attrs: { ...pads(1, 1, 1, 1), group: int(12) }, axis: 0, zx: -5, k: 9 },
    { op: 'Gemm', x: [3, 40], w: [40, 10], axis: 1, zx: 2, k: 40 },
  ];
  const { g, feeds } = layersGraph(layers, layers.length);
  const wide = runReference(g, feeds);
  runPipeline(g, [narrowIntBias]);
  t.deepEqual(g.nodes.map((n) => g.tensors.get(n.inputs[2])!.dtype), ['int16', 'int16', 'int16']);
  const out = await compilers(() => assertBitExact(t, g, feeds));
  for (const k of Object.keys(wide)) t.deepEqual(Array.from(out[k].data), Array.from(wide[k].data), k);
});
