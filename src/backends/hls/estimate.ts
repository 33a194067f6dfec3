/**
 * Resource and latency model of the HLS design, per layer and against the device: DSPs (one per nonzero-weight
 * multiplier in the unrolled step, four per 32x32 requantization), BRAM18/URAM for weight ROMs and dataflow buffers,
 * LUTs (rough), latency and initiation interval in cycles. Reuse factors are chosen to fit the DSP budget.
 */
import { EdgecError } from '../../util/errors.js';

/** What a layer costs, independent of its reuse factor. */
export interface LayerCost {
  /** Multiply-accumulates of the whole layer (dense count). */
  macs: number;
  /** Pipeline steps: output pixels / rows of a MAC layer, elements of a streaming layer (one per cycle). */
  steps: number;
  /** MAC layers: multiplications per step with all weights, and with the nonzero weights only. */
  multsDense: number;
  multsNonzero: number;
  /** MAC layers: requantizations per step (output channels). */
  requantPerStep: number;
  /** Streaming layers: DSPs of their fixed datapath. */
  fixedDsp: number;
  /** Constant storage (weights, biases, multipliers, tables) in bits. */
  weightBits: number;
  /** Pipeline depth in cycles. */
  depth: number;
  /** Whether the layer has a reuse factor (MAC layers). */
  reusable: boolean;
}

/** DSPs per 32x32 fixed-point requantization multiply (DSP48E1/E2 are 25x18 / 27x18). */
export const DSP_PER_REQUANT = 4;

/** Bits of one BRAM18 and of one URAM (4K x 72). */
const BRAM18_BITS = 18432;
const URAM_BITS = 4096 * 72;

/** A layer's estimate at its reuse factor, as report.json lists it. */
export interface LayerEstimate {
  layer: string;
  node: string;
  op: string;
  macs: number;
  reuse: number | null;
  dsp: number;
  /** DSPs had every weight been nonzero (the zero-weight saving is dsp_dense - dsp). */
  dsp_dense: number;
  bram18_weights: number;
  bram18_buffers: number;
  uram_buffers: number;
  lut: number;
  latency_cycles: number;
  /** The latency at the target clock. */
  latency_us: number;
  /** Cycles between successive steps (output pixels) of the pipelined loop. */
  ii_cycles: number;
  /** How its output buffer(s) are implemented: fifo, pipo, pipo-uram or shared. */
  channel: string;
}

/** DSPs of a layer at reuse factor r (nonzero weights, or every weight with `dense`). */
export function layerDsp(c: LayerCost, r: number, dense = false): number {
  if (!c.reusable) return c.fixedDsp;
  return Math.ceil((dense ? c.multsDense : c.multsNonzero) / r) + DSP_PER_REQUANT * Math.ceil(c.requantPerStep / r);
}

/** Latency in cycles of a layer at reuse factor r. */
export function layerLatency(c: LayerCost, r: number): number {
  return c.steps * (c.reusable ? r : 1) + c.depth;
}

/**
 * Weight ROM as a [depth r] x [width] memory (the weights one step reads side by side): BRAM18 in 512 x 36 when deep
 * enough and at least a quarter used, else distributed ROM / logic (LUTs, 64 bits each).
 */
function romCost(c: LayerCost, r: number): { bram: number; lut: number } {
  const depth = c.reusable ? r : Math.max(1, Math.ceil(c.weightBits / 64));
  const width = Math.ceil(c.weightBits / depth);
  const bram = Math.ceil(width / 36) * Math.ceil(depth / 512);
  if (depth >= 64 && c.weightBits > 4096 && bram * BRAM18_BITS <= 4 * c.weightBits) return { bram, lut: 0 };
  return { bram: 0, lut: Math.ceil(c.weightBits / 64) };
}

/** A dataflow buffer (ping-pong pair) of n elements of `bits`: LUTRAM when tiny, else BRAM18 (URAM when spilled). */
export function bufferCost(n: number, bits: number): { bram18: number; uram: number; lut: number } {
  const total = n * bits;
  if (total <= 4096) return { bram18: 0, uram: 0, lut: 2 * Math.ceil(total / 64) };
  const perBram = bits <= 9 ? 2048 : bits <= 18 ? 1024 : 512 * Math.ceil(bits / 36);
  return { bram18: 2 * Math.max(Math.ceil(n / perBram), Math.ceil(total / BRAM18_BITS)), uram: 0, lut: 0 };
}

/** URAMs of a ping-pong buffer of `bits` bits. */
export function uramOf(bits: number): number {
  return 2 * Math.ceil(bits / URAM_BITS);
}

/** Rough LUTs of a layer's datapath at reuse r (adders and muxes per multiplier, requantizers, control). */
function datapathLut(c: LayerCost, r: number): number {
  if (!c.reusable) return 200 + 150 * c.fixedDsp;
  return 300 + 40 * Math.ceil(c.multsNonzero / r) + 250 * Math.ceil(c.requantPerStep / r);
}

/** One layer's estimate at reuse r (its output buffers are added by the channel placement). */
export function estimateLayer(id: string, node: string, op: string, c: LayerCost, r: number, clockMHz: number): LayerEstimate {
  const rom = romCost(c, r);
  const latency = layerLatency(c, r);
  return {
    layer: id, node, op, macs: c.macs, reuse: c.reusable ? r : null,
    dsp: layerDsp(c, r), dsp_dense: layerDsp(c, r, true),
    bram18_weights: rom.bram, bram18_buffers: 0, uram_buffers: 0,
    lut: datapathLut(c, r) + rom.lut,
    latency_cycles: latency, latency_us: Math.round((latency / clockMHz) * 1000) / 1000, ii_cycles: c.reusable ? r : 1, channel: 'pipo',
  };
}

/** Reuse overrides from --reuse: one global value and/or per-layer values (by layer id or node name). */
export interface ReuseSpec {
  global?: number;
  layers?: Record<string, number>;
}

/** A layer as the reuse chooser sees it. */
export interface ReuseLayer {
  id: string;
  node: string;
  cost: LayerCost;
}

/** Largest useful reuse factor of a layer: one multiplier. */
function maxReuse(c: LayerCost): number {
  return Math.max(1, c.multsDense);
}

/** The next reuse factor tried: doubling, capped at the layer's maximum. */
function nextReuse(c: LayerCost, r: number): number {
  return Math.min(maxReuse(c), r * 2);
}

/** The user's reuse factor of a layer, if any. */
function userReuse(spec: ReuseSpec, l: ReuseLayer): number | undefined {
  return spec.layers?.[l.id] ?? spec.layers?.[l.node] ?? spec.global;
}

/**
 * Reuse factors fitting `dspBudget`: start from the user's values (or 1) and raise, one doubling at a time, the layer
 * that saves the most DSPs per cycle of latency added. Returns the factors and whether they fit.
 */
export function fitReuse(layers: ReuseLayer[], dspBudget: number, spec: ReuseSpec, frozen: ReadonlySet<string> = new Set()): { reuse: Map<string, number>; fits: boolean } {
  const reuse = new Map<string, number>();
  for (const l of layers) if (l.cost.reusable) reuse.set(l.id, Math.min(maxReuse(l.cost), Math.max(1, userReuse(spec, l) ?? 1)));
  const total = () => layers.reduce((s, l) => s + layerDsp(l.cost, reuse.get(l.id) ?? 1), 0);
  let dsp = total();
  while (dsp > dspBudget) {
    let best: ReuseLayer | undefined;
    let bestGain = 0;
    for (const l of layers) {
      if (!l.cost.reusable || frozen.has(l.id)) continue;
      const r = reuse.get(l.id)!;
      const n = nextReuse(l.cost, r);
      if (n === r) continue;
      const saved = layerDsp(l.cost, r) - layerDsp(l.cost, n);
      const gain = saved / (layerLatency(l.cost, n) - layerLatency(l.cost, r));
      if (saved > 0 && gain > bestGain) {
        best = l;
        bestGain = gain;
      }
    }
    if (!best) return { reuse, fits: false };
    reuse.set(best.id, nextReuse(best.cost, reuse.get(best.id)!));
    dsp = total();
  }
  return { reuse, fits: true };
}

/** The smallest power-of-two reuse factor that, given to every layer, fits `dspBudget` (undefined if none does). */
export function globalReuseThatFits(layers: ReuseLayer[], dspBudget: number): number | undefined {
  const most = Math.max(1, ...layers.map((l) => maxReuse(l.cost)));
  for (let r = 1; r < 2 * most; r *= 2) {
    const dsp = layers.reduce((s, l) => s + layerDsp(l.cost, Math.min(r, maxReuse(l.cost))), 0);
    if (dsp <= dspBudget) return r;
  }
  return undefined;
}

/** Check a --reuse value: a positive integer. */
export function checkReuseValue(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 1) throw new EdgecError(`--reuse ${what}: ${v} is not a positive integer reuse factor`);
  return v;
}

/** Totals of a design against the device. */
export interface DesignTotals {
  dsp: number;
  dsp_dense: number;
  bram18: number;
  uram: number;
  lut: number;
  latency_cycles: number;
  latency_us: number;
  /** Cycles between frames (the slowest layer of the dataflow pipeline). */
  interval_cycles: number;
  throughput_fps: number;
}

/** Sum the layer estimates at the target clock (`minInterval`: a frame interval forced by single-buffered channels). */
export function designTotals(layers: LayerEstimate[], clockMHz: number, minInterval = 0): DesignTotals {
  const sum = (f: (l: LayerEstimate) => number) => layers.reduce((s, l) => s + f(l), 0);
  const latency = sum((l) => l.latency_cycles);
  const interval = Math.max(1, minInterval, ...layers.map((l) => l.latency_cycles));
  return {
    dsp: sum((l) => l.dsp), dsp_dense: sum((l) => l.dsp_dense),
    bram18: sum((l) => l.bram18_weights + l.bram18_buffers), uram: sum((l) => l.uram_buffers), lut: sum((l) => l.lut),
    latency_cycles: latency, latency_us: Math.round((latency / clockMHz) * 100) / 100,
    interval_cycles: interval, throughput_fps: Math.round((clockMHz * 1e6) / interval * 10) / 10,
  };
}
