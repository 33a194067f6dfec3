/**
 * Empirical bias correction (Nagel et al., "Data-Free Quantization", section 4.2, with calibration data): the
 * per-channel mean of each integer convolution's output over the calibration set is moved onto the float model's, layer
 * by layer in graph order, by adjusting the int32 bias. Rounding of weights and activations shifts channel means
 * systematically; averaging layers (the GlobalAveragePool of squeeze-excitation blocks) see only that shift.
 */
import type { Graph, Node, Tensor, Value } from '../ir/types.js';
import { constValue } from '../ir/graph.js';
import { evalNode, runReference } from '../interp/reference.js';
import { dequantizeData } from './params.js';
import { roundHalfEven } from './fixed-point.js';

/** Integer ops whose int32 bias input (index 2) adds one value per output channel (axis 1 of the output). */
const BIASED = new Set(['Conv', 'ConvTranspose']);

/** Per-channel (axis 1) mean of float tensors over a set of samples. */
export class ChannelMeans {
  private readonly sums = new Map<string, { sum: Float64Array; count: number }>();

  /** Add one sample's value of a tensor. */
  add(name: string, v: Value): void {
    if (v.shape.length < 2) return;
    const c = v.shape[1];
    const inner = v.data.length / (v.shape[0] * c);
    let s = this.sums.get(name);
    if (!s) this.sums.set(name, (s = { sum: new Float64Array(c), count: 0 }));
    for (let i = 0; i < v.data.length; i++) s.sum[Math.floor(i / inner) % c] += v.data[i];
    s.count += v.data.length / c;
  }

  /** The mean per channel, or undefined for a tensor never seen. */
  get(name: string): Float64Array | undefined {
    const s = this.sums.get(name);
    return s && Float64Array.from(s.sum, (x) => x / s.count);
  }
}

/** Per-channel means of the listed float tensors of `g` over the samples. */
export function floatChannelMeans(g: Graph, feeds: Record<string, Value>[], tensors: ReadonlySet<string>): ChannelMeans {
  const means = new ChannelMeans();
  for (const f of feeds) runReference(g, f, (name, v) => tensors.has(name) && means.add(name, v));
  return means;
}

/** The float tensors whose integer twins are biased convolution outputs (what floatChannelMeans must observe). */
export function correctedTensors(g: Graph, floatOf: ReadonlyMap<string, string>): Set<string> {
  const out = new Set<string>();
  for (const n of g.nodes) if (isCorrectable(g, n) && floatOf.has(n.outputs[0])) out.add(floatOf.get(n.outputs[0])!);
  return out;
}

function isCorrectable(g: Graph, n: Node): boolean {
  const y = g.tensors.get(n.outputs[0]);
  return BIASED.has(n.op) && y?.dtype === 'int8' && !!y.quant && y.quant.scale.length === 1 && g.tensors.get(n.inputs[1] ?? '')?.dtype === 'int8';
}

/**
 * Correct the biases of `g` (an int8 graph, changed in place) so each convolution's per-channel output mean over
 * `feeds` matches `means` of its float twin (`floatOf`: int8 tensor → float tensor). Nodes run in lockstep over all
 * samples so every layer is corrected against inputs its predecessors' corrections already moved. Returns the number
 * of corrected layers.
 */
export function correctBiases(g: Graph, feeds: Record<string, Value>[], floatOf: ReadonlyMap<string, string>, means: ChannelMeans): number {
  const envs = feeds.map((f) => new Map<string, Value>(g.inputs.map((n) => [n, f[n]])));
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((t) => t && lastUse.set(t, i)));
  let corrected = 0;
  g.nodes.forEach((n, i) => {
    const run = () => envs.map((env) => evalNode(g, n, n.inputs.map((t) => (t ? (env.get(t) ?? constValue(g, t)) : undefined))));
    let outs = run();
    const target = isCorrectable(g, n) ? means.get(floatOf.get(n.outputs[0]) ?? '') : undefined;
    if (target && shiftBias(g, n, outs.map((o) => o[0]), target)) {
      outs = run();
      corrected++;
    }
    envs.forEach((env, s) => {
      n.outputs.forEach((o, k) => o && env.set(o, outs[s][k]));
      for (const t of n.inputs) if (t && lastUse.get(t) === i && !g.inputs.includes(t)) env.delete(t);
    });
  });
  return corrected;
}

/** Move node n's bias by the rounded mean error of its outputs; false when no channel moves. */
function shiftBias(g: Graph, n: Node, outs: Value[], target: Float64Array): boolean {
  const yq = g.tensors.get(n.outputs[0])!.quant!;
  const got = new ChannelMeans();
  for (const o of outs) got.add('y', { dtype: 'float32', shape: o.shape, data: dequantizeData(o.data, o.shape, yq) });
  const mean = got.get('y')!;
  const sx = g.tensors.get(n.inputs[0])!.quant!.scale[0];
  const sw = g.tensors.get(n.inputs[1])!.quant!.scale;
  const channels = mean.length;
  const bias = ensureBias(g, n, channels, sx, sw);
  const data = Int32Array.from(bias.data!);
  let moved = false;
  for (let c = 0; c < channels; c++) {
    const step = roundHalfEven((target[c] - mean[c]) / bias.quant!.scale[bias.quant!.scale.length === 1 ? 0 : c]);
    if (step !== 0) moved = true;
    data[c] += step;
  }
  if (moved) bias.data = data;
  return moved;
}

/** The node's int32 bias tensor (its own copy), created at zero for a convolution without one. */
function ensureBias(g: Graph, n: Node, channels: number, sx: number, sw: Float32Array): Tensor {
  const have = n.inputs[2] ? g.tensors.get(n.inputs[2]) : undefined;
  let name = `${n.name}_bias_corrected`;
  for (let k = 1; g.tensors.has(name); k++) name = `${n.name}_bias_corrected_${k}`;
  const scale = have?.quant?.scale ?? Float32Array.from({ length: channels }, (_, c) => Math.fround(sx * sw[sw.length === 1 ? 0 : c]));
  const t: Tensor = { name, dtype: 'int32', shape: [channels], data: have ? Int32Array.from(have.data!) : new Int32Array(channels), quant: { scale, zeroPoint: new Int32Array(channels), axis: 0 } };
  g.tensors.set(name, t);
  n.inputs[2] = name;
  return t;
}
