/** Random int8 layers (Conv, ConvTranspose, Gemm, MatMul) as IR graphs, for the integer op tests. */
import type { ExecutionContext } from 'ava';
import type { Attr, Graph, QuantParams, Value } from '../../src/ir/types.js';
import { numel } from '../../src/ir/dtype.js';
import { qgraph, qp, qpc, randInts, type TensorSpec } from './qgraph.js';

/** An ints attribute. */
export const ints = (...value: number[]): Attr => ({ type: 'ints', value });
/** An int attribute. */
export const int = (value: number): Attr => ({ type: 'int', value });
/** A float attribute. */
export const flt = (value: number): Attr => ({ type: 'float', value });
/** A string attribute. */
export const str = (value: string): Attr => ({ type: 'string', value });

/** A seeded int8 value in [lo, hi]. */
export function int8(shape: number[], seed: number, lo = -128, hi = 127): Value {
  return { dtype: 'int8', shape, data: randInts('int8', numel(shape), lo, hi, seed) };
}

/** Per-channel weight scales in [0.002, 0.02), deterministic. */
export function channelScales(n: number, seed: number): number[] {
  return Array.from(randInts('int32', n, 0, 999, seed), (v) => 0.002 + v * 0.000018);
}

/**
 * An output scale that spreads a product of K int8 terms over the int8 range: the accumulator's spread is about
 * 74 * 73 * sqrt(K) for uniform operands; map it to about +-60 output steps.
 */
export function outputScale(sx: number, sw: number, k: number): number {
  return (sx * sw * 74 * 73 * Math.sqrt(k)) / 60;
}

/** One int8 layer: an op with an int8 input (runtime), quantized int8 weights (constant or runtime) and int32 bias. */
export interface QLayer {
  op: 'Conv' | 'ConvTranspose' | 'Gemm' | 'MatMul';
  /** Runtime input shapes (X or A; MatMul act x act also B). */
  x: number[];
  /** Weight shape (constant); for an activation x activation MatMul, `bRuntime` makes it an input. */
  w: number[];
  attrs?: Record<string, Attr>;
  /** Weight quantization axis (per channel); undefined: per tensor. */
  axis?: number;
  /** Weight zero point (per tensor only; symmetric weights have 0). */
  wz?: number;
  bRuntime?: boolean;
  zx?: number;
  zb?: number;
  zy?: number;
  /** Bias shape (default: one per output channel for Conv/ConvTranspose/Gemm, none for MatMul); null for none. */
  bias?: number[] | null;
  act?: 'Relu' | 'Clip';
  /** Reduction length, for the output scale. */
  k: number;
}

/** A graph holding every layer (independent nodes: inputs x{i}[, b{i}], outputs y{i}) and seeded feeds for it. */
export function layersGraph(layers: QLayer[], seed = 1): { g: Graph; feeds: Record<string, Value> } {
  const inputs: Record<string, TensorSpec> = {};
  const consts: Record<string, TensorSpec> = {};
  const quant: Record<string, QuantParams> = {};
  const feeds: Record<string, Value> = {};
  const nodes: Parameters<typeof qgraph>[0]['nodes'] = [];
  layers.forEach((l, i) => {
    const s = seed * 1000 + i * 10;
    const sx = 0.02 + 0.001 * i;
    const xq = qp(sx, l.zx ?? 0);
    inputs[`x${i}`] = { dtype: 'int8', shape: l.x, quant: xq };
    feeds[`x${i}`] = int8(l.x, s + 1);
    const axis = l.axis;
    const channels = axis === undefined ? 1 : l.w[axis];
    const scales = axis === undefined ? [0.01] : channelScales(channels, s + 2);
    const wq = l.bRuntime ? qp(0.015, l.zb ?? 0) : axis === undefined ? qp(scales[0], l.wz ?? 0) : qpc(scales, axis);
    const w = int8(l.w, s + 3, -127, 127);
    if (l.bRuntime) {
      inputs[`w${i}`] = { dtype: 'int8', shape: l.w, quant: wq };
      feeds[`w${i}`] = w;
    } else {
      consts[`w${i}`] = { dtype: 'int8', shape: l.w, data: w.data, quant: wq };
    }
    const ins = [`x${i}`, `w${i}`];
    const biasShape = l.bias === undefined ? (l.op === 'MatMul' ? null : [outChannels(l)]) : l.bias;
    if (biasShape) {
      consts[`b${i}`] = { dtype: 'int32', shape: biasShape, data: randInts('int32', numel(biasShape), -20000, 20000, s + 4) };
      ins.push(`b${i}`);
    }
    const mean = scales.reduce((a, b) => a + b, 0) / scales.length;
    quant[`y${i}`] = qp(outputScale(sx, l.bRuntime ? 0.015 : mean, l.k), l.zy ?? 0);
    const attrs = { ...(l.attrs ?? {}) };
    if (l.act === 'Relu') attrs.act = str('Relu');
    if (l.act === 'Clip') Object.assign(attrs, { act: str('Clip'), act_alpha: flt(-0.5), act_beta: flt(0.75) });
    nodes.push({ op: l.op, inputs: ins, outputs: [`y${i}`], attrs });
  });
  const g = qgraph({ inputs, consts, quant, nodes, outputs: layers.map((_, i) => `y${i}`) });
  return { g, feeds };
}

/** Output channels of a layer (Conv: W dim 0; ConvTranspose: W dim 1 x group; Gemm/MatMul: the columns of B). */
function outChannels(l: QLayer): number {
  const group = l.attrs?.group?.type === 'int' ? l.attrs.group.value : 1;
  if (l.op === 'Conv') return l.w[0];
  if (l.op === 'ConvTranspose') return l.w[1] * group;
  const transB = l.attrs?.transB?.type === 'int' && l.attrs.transB.value === 1;
  return transB ? l.w[0] : l.w[l.w.length - 1];
}

/** Every reference output uses a good part of the int8 range (so a wrong kernel cannot pass on clamped values). */
export function assertSpread(t: ExecutionContext, ref: Record<string, Value>, minDistinct = 16): void {
  for (const [name, v] of Object.entries(ref)) {
    const distinct = new Set(v.data as Int8Array).size;
    t.true(distinct >= Math.min(minDistinct, v.data.length / 2), `${name}: only ${distinct} distinct output values`);
  }
}
