/** int8 graphs exercising the vector-vocabulary kernels other than convolution (elementwise with broadcasts, pooling,
 * means, Gemm/MatMul on the dot kernel), shared by the NEON and WASM tests: the C must equal the integer reference. */
import type { Attr, Graph, Value } from '../../src/ir/types.js';

/** A node of a test graph. */
type NodeSpec = { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, Attr> };
import { qgraph, qp, qpc, randInts, type TensorSpec } from './qgraph.js';
import { flt, int, ints, str } from './qlayers.js';
import { channelScales } from './qlayers.js';

const i8 = (shape: number[], scale: number, zp: number): TensorSpec => ({ dtype: 'int8', shape, quant: qp(scale, zp) });
const const8 = (shape: number[], scale: number, zp: number, seed: number): TensorSpec => ({
  ...i8(shape, scale, zp),
  data: randInts('int8', shape.reduce((a, b) => a * b, 1), -128, 127, seed),
});

/** Elementwise int8 nodes: same shape (19 whole vectors and an 11-lane tail), per-channel, scalar and constant
 * operands on either side, fused activations, Relu/Clip requantization. */
export function vqElementwiseGraph(): { g: Graph; feeds: Record<string, Value> } {
  const inputs: Record<string, TensorSpec> = {
    a: i8([1, 5, 7, 9], 0.05, 3),
    b: i8([1, 5, 7, 9], 0.02, -7),
    c: i8([1, 5, 1, 1], 0.03, 11),
    d: i8([2, 40], 0.1, -128),
  };
  const consts = { k: const8([], 0.04, -5, 3), r: const8([40], 0.06, 2, 4) };
  const nodes: NodeSpec[] = [
    { op: 'Add', inputs: ['a', 'b'], outputs: ['y0'] },
    { op: 'Sub', inputs: ['a', 'c'], outputs: ['y1'], attrs: { act: str('Relu') } },
    { op: 'Add', inputs: ['k', 'a'], outputs: ['y2'], attrs: { act: str('Clip'), act_alpha: flt(-0.5), act_beta: flt(0.75) } },
    { op: 'Mul', inputs: ['b', 'c'], outputs: ['y3'] },
    { op: 'Mul', inputs: ['a', 'k'], outputs: ['y4'] },
    { op: 'Mul', inputs: ['d', 'r'], outputs: ['y5'] },
    { op: 'Sub', inputs: ['r', 'd'], outputs: ['y6'] },
    { op: 'Relu', inputs: ['b'], outputs: ['y7'] },
    { op: 'Clip', inputs: ['d'], outputs: ['y8'], attrs: { min: flt(-2), max: flt(6) } },
  ];
  const quant = {
    y0: qp(0.06, 2), y1: qp(0.04, -20), y2: qp(0.01, 0), y3: qp(0.0006 * 40, 5), y4: qp(0.002 * 20, -3),
    y5: qp(0.006 * 30, 1), y6: qp(0.12, -4), y7: qp(0.015, -128), y8: qp(0.035, -70),
  };
  const g = qgraph({ inputs, consts, quant, nodes, outputs: Object.keys(quant) });
  const feeds = Object.fromEntries(Object.entries(inputs).map(([n, t], i) => [n, { dtype: 'int8' as const, shape: t.shape, data: randInts('int8', t.shape.reduce((x, y) => x * y, 1), -128, 127, 40 + i) }]));
  return { g, feeds };
}

/** Pooling and means: global average (SE squeeze) and ReduceMean over the last axis and over a middle axis, max pooling
 * with stride 1 and 2, padding and ragged rows. */
export function vqPoolGraph(): { g: Graph; feeds: Record<string, Value> } {
  const inputs: Record<string, TensorSpec> = { x: i8([1, 6, 9, 37], 0.05, -3) };
  const nodes: NodeSpec[] = [
    { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['y0'] },
    { op: 'ReduceMean', inputs: ['x'], outputs: ['y1'], attrs: { axes: ints(3), keepdims: int(1) } },
    { op: 'ReduceMean', inputs: ['x'], outputs: ['y2'], attrs: { axes: ints(2), keepdims: int(1) } },
    { op: 'MaxPool', inputs: ['x'], outputs: ['y3'], attrs: { kernel_shape: ints(3, 3), strides: ints(2, 2), pads: ints(1, 1, 1, 1) } },
    { op: 'MaxPool', inputs: ['x'], outputs: ['y4'], attrs: { kernel_shape: ints(2, 3), strides: ints(1, 1) } },
    { op: 'MaxPool', inputs: ['x'], outputs: ['y5'], attrs: { kernel_shape: ints(2, 2), strides: ints(2, 2) } },
  ];
  const same = qp(0.05, -3);
  const quant = { y0: qp(0.02, 4), y1: qp(0.03, -2), y2: qp(0.01, 7), y3: same, y4: same, y5: same };
  const g = qgraph({ inputs, quant, nodes, outputs: Object.keys(quant) });
  return { g, feeds: { x: { dtype: 'int8', shape: [1, 6, 9, 37], data: randInts('int8', 6 * 9 * 37, -128, 127, 77) } } };
}

/** int8 Softmax over contiguous rows (whole vectors, a tail, a short row) and over a strided axis. */
export function vqSoftmaxGraph(): { g: Graph; feeds: Record<string, Value> } {
  const inputs: Record<string, TensorSpec> = { a: i8([3, 53], 0.1, -5), b: i8([2, 7], 0.2, 10), c: i8([2, 5, 6], 0.05, 0) };
  const nodes: NodeSpec[] = [
    { op: 'Softmax', inputs: ['a'], outputs: ['y0'], attrs: { axis: int(-1) } },
    { op: 'Softmax', inputs: ['b'], outputs: ['y1'], attrs: { axis: int(-1) } },
    { op: 'Softmax', inputs: ['c'], outputs: ['y2'], attrs: { axis: int(1) } },
  ];
  const out = qp(1 / 256, -128);
  const quant = { y0: out, y1: out, y2: out };
  const g = qgraph({ inputs, quant, nodes, outputs: Object.keys(quant) });
  const feeds = Object.fromEntries(Object.entries(inputs).map(([n, t], i) => [n, { dtype: 'int8' as const, shape: t.shape, data: randInts('int8', t.shape.reduce((x, y) => x * y, 1), -128, 127, 90 + i) }]));
  return { g, feeds };
}

/** Gemm and MatMul with constant per-channel weights on the dot kernel: one row (a GEMV), ragged rows, columns and
 * k-quads, batched MatMul, a transposed B. */
export function vqLinalgGraph(): { g: Graph; feeds: Record<string, Value> } {
  const inputs: Record<string, TensorSpec> = {
    a0: i8([1, 96], 0.05, 4),
    a1: i8([7, 45], 0.04, -9),
    a2: i8([2, 5, 33], 0.03, 17),
    a3: i8([3, 20], 0.02, -128),
  };
  const w = (shape: number[], axis: number, seed: number): TensorSpec => ({
    dtype: 'int8', shape, quant: qpc(channelScales(shape[axis], seed), axis), data: randInts('int8', shape.reduce((x, y) => x * y, 1), -127, 127, seed),
  });
  const b32 = (n: number, seed: number): TensorSpec => ({ dtype: 'int32', shape: [n], data: randInts('int32', n, -20000, 20000, seed) });
  const consts = { w0: w([96, 64], 1, 5), b0: b32(64, 6), w1: w([45, 19], 1, 7), w2: w([33, 24], 1, 8), w3: w([17, 20], 0, 9), b3: b32(17, 10) };
  const nodes: NodeSpec[] = [
    { op: 'Gemm', inputs: ['a0', 'w0', 'b0'], outputs: ['y0'], attrs: { act: str('Relu') } },
    { op: 'Gemm', inputs: ['a1', 'w1'], outputs: ['y1'] },
    { op: 'MatMul', inputs: ['a2', 'w2'], outputs: ['y2'] },
    { op: 'Gemm', inputs: ['a3', 'w3', 'b3'], outputs: ['y3'], attrs: { transB: int(1) } },
  ];
  const quant = { y0: qp(0.4, -10), y1: qp(0.3, 3), y2: qp(0.25, 0), y3: qp(0.2, 6) };
  const g = qgraph({ inputs, consts, quant, nodes, outputs: Object.keys(quant) });
  const feeds = Object.fromEntries(Object.entries(inputs).map(([n, t], i) => [n, { dtype: 'int8' as const, shape: t.shape, data: randInts('int8', t.shape.reduce((x, y) => x * y, 1), -128, 127, 60 + i) }]));
  return { g, feeds };
}
