/** The `--quantize int8` driver: split activations, calibrate, rewrite to integers, measure SQNR, mixed precision. */
import type { Graph, QuantParams, Value } from '../ir/types.js';
import { cloneGraph, producers } from '../ir/graph.js';
import { byteSize } from '../ir/dtype.js';
import { runReference } from '../interp/reference.js';
import { runPipeline } from '../passes/pass.js';
import { splitActivations } from '../passes/split-activations.js';
import { foldConstants } from '../passes/fold-constants.js';
import { eliminateDeadCode } from '../passes/eliminate-dead-code.js';
import { narrowIntBias } from '../passes/narrow-int-bias.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { EdgecError } from '../util/errors.js';
import { chooseRanges, collectHistograms, type CalibMethod, type Range } from './calibrate.js';
import { int16Group, quantizeInt8, type QuantDecision } from './quantize-int8.js';
import { dequantizeData, sqnrDb } from './params.js';
import { gptqConvWeights } from './gptq-int8.js';
import { correctBiases, correctedTensors, floatChannelMeans, type ChannelMeans } from './bias-correction.js';

/** Options of an int8 quantization. */
export interface QuantizeOptions {
  calib: Record<string, Value>[];
  method: CalibMethod;
  keepFloat?: ReadonlySet<string>;
  /** Nodes that run on int16 activations with int8 weights (16x8). */
  int16?: ReadonlySet<string>;
  /** Keep the most sensitive layers float until every output's SQNR (dB) reaches this. */
  minSqnr?: number;
  /** Never let kept-float layers push the constant bytes above this budget. */
  maxWeightBytes?: number;
  /** Round Conv weights by GPTQ against the calibration Hessian instead of to nearest (same int8 scales). */
  gptq?: boolean;
  /** Move each convolution's per-channel output mean onto the float model's by adjusting its int32 bias. */
  biasCorrection?: boolean;
  /** The backend rebuilds HardSwish/HardSigmoid tables at run time (C family), so the graph stores none. */
  computedTables?: boolean;
  progress?: Progress;
}

/** One quantized activation tensor in the report. */
export interface QuantTensorReport {
  tensor: string;
  scale: number;
  zero_point: number;
  /** SQNR (dB) of the dequantized int8 tensor against the float tensor on the first calibration sample. */
  sqnr_db: number;
}

/** One mixed-precision step: a layer given int16 activations (with the readers of its output) or moved back to float, and what it gave. */
export interface PrecisionChoice {
  node: string;
  op: string;
  precision: 'int16' | 'float';
  /** The nodes the step moved to int16: the layer and the readers of its output. */
  int16_nodes?: string[];
  /** SQNR the layer's output lost against its inputs (dB): why it was chosen. */
  drop_db: number;
  output_sqnr_db: number;
  weight_bytes: number;
  kept: boolean;
}

/** What quantization did, for report.json. */
export interface QuantReport {
  scheme: 'int8';
  method: CalibMethod;
  /** How int8 Conv weights were rounded, and whether Conv biases were corrected on the calibration inputs. */
  weight_rounding: 'nearest' | 'gptq';
  bias_correction: boolean;
  samples: number;
  nodes: QuantDecision[];
  /** Float islands: nodes that stayed float, with the reason. */
  float_islands: QuantDecision[];
  /** Nodes on int16 activations (16x8), by request or chosen by the mixed-precision loop. */
  int16_nodes: string[];
  tensors: QuantTensorReport[];
  /** Output SQNR (dB) of the whole integer graph against the float graph, per output, on the calibration sample. */
  outputs: { name: string; sqnr_db: number }[];
  weight_bytes: number;
  mixed_precision?: { min_sqnr_db?: number; max_weight_bytes?: number; steps: PrecisionChoice[]; reached: boolean };
}

interface Attempt {
  graph: Graph;
  decisions: QuantDecision[];
  tensors: QuantTensorReport[];
  outputs: { name: string; sqnr_db: number }[];
  weightBytes: number;
}

const round2 = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);
const worst = (a: Attempt) => Math.min(...a.outputs.map((o) => o.sqnr_db));

/** Constant bytes of a graph (what the artifact stores as weights, before panel padding). */
function weightBytes(g: Graph): number {
  let n = 0;
  for (const t of g.tensors.values()) if (t.data) n += byteSize(t.dtype, t.shape);
  return n;
}

/** What every attempt shares: calibrated ranges, GPTQ weight codes, the bias-correction targets. */
interface Calibrated {
  ranges: Map<string, Range>;
  /** Full (min/max) ranges for int16 activations, which have the codes to spare. */
  ranges16: Map<string, Range>;
  weightCodes?: Map<string, { data: Int8Array; quant: QuantParams }>;
  biasCorrection?: { feeds: Record<string, Value>[]; means?: ChannelMeans };
  computedTables?: boolean;
}

/** Quantize a copy of the float graph and measure it against the float values of one sample. */
function attempt(float: Graph, cal: Calibrated, keep: ReadonlySet<string>, int16: ReadonlySet<string>, sample: Record<string, Value>, floatVals: Map<string, Value>): Attempt {
  const g = cloneGraph(float);
  const { decisions, intOf } = quantizeInt8(g, { ranges: cal.ranges, ranges16: cal.ranges16, keepFloat: keep, int16, weightCodes: cal.weightCodes, computedTables: cal.computedTables });
  runPipeline(g, [foldConstants, eliminateDeadCode]);
  const floatOf = new Map([...intOf].map(([f, q]) => [q, f]));
  const bc = cal.biasCorrection;
  if (bc) {
    bc.means ??= floatChannelMeans(float, bc.feeds, correctedTensors(g, floatOf));
    correctBiases(g, bc.feeds, floatOf, bc.means);
    runPipeline(g, [eliminateDeadCode]); // the biases it replaced
  }
  runPipeline(g, [narrowIntBias]);
  const tensors: QuantTensorReport[] = [];
  const out = runReference(g, sample, (name, v) => {
    const f = floatOf.get(name);
    const t = g.tensors.get(name);
    if (!f || !t?.quant || !floatVals.has(f)) return;
    tensors.push({ tensor: f, scale: t.quant.scale[0], zero_point: t.quant.zeroPoint[0], sqnr_db: round2(sqnrDb(floatVals.get(f)!.data, dequantizeData(v.data, v.shape, t.quant))) });
  });
  const outputs = g.outputs.map((o) => ({ name: o, sqnr_db: round2(sqnrDb(floatVals.get(o)!.data, out[o].data)) }));
  return { graph: g, decisions, tensors, outputs, weightBytes: weightBytes(g) };
}

/** Integer nodes ranked by how much SQNR their output loses against their inputs (most sensitive first). */
function sensitivity(float: Graph, a: Attempt, exclude: ReadonlySet<string>): { node: string; op: string; drop: number }[] {
  const sq = new Map(a.tensors.map((t) => [t.tensor, t.sqnr_db]));
  const prod = producers(float);
  const ints = new Set(a.decisions.filter((d) => d.mode !== 'float').map((d) => d.node));
  const ranked: { node: string; op: string; drop: number }[] = [];
  for (const [t, s] of sq) {
    const n = prod.get(t);
    if (!n || !ints.has(n.name) || exclude.has(n.name)) continue;
    const ins = n.inputs.map((i) => sq.get(i)).filter((v): v is number => v !== undefined);
    const drop = (ins.length ? Math.min(...ins) : 60) - s;
    ranked.push({ node: n.name, op: n.op, drop });
  }
  return ranked.sort((x, y) => y.drop - x.drop);
}

/** Quantize `g` in place to int8; returns the report. The graph's interface stays float (Quantize/Dequantize at the edges). */
export function quantizeGraphInt8(g: Graph, opts: QuantizeOptions): QuantReport {
  const progress = opts.progress ?? silentProgress;
  runPipeline(g, [splitActivations]);
  const float = cloneGraph(g);
  const hists = collectHistograms(g, opts.calib, progress);
  const cal: Calibrated = { ranges: chooseRanges(hists, opts.method), ranges16: chooseRanges(hists, 'minmax'), computedTables: opts.computedTables };
  if (opts.gptq) cal.weightCodes = gptqConvWeights(float, opts.calib);
  if (opts.biasCorrection) cal.biasCorrection = { feeds: opts.calib };
  const sample = opts.calib[0];
  const floatVals = new Map<string, Value>(float.inputs.map((n) => [n, sample[n]]));
  runReference(float, sample, (name, v) => floatVals.set(name, v));
  const keep = new Set(opts.keepFloat ?? []);
  const int16 = new Set(opts.int16 ?? []);
  let cur = attempt(float, cal, keep, int16, sample, floatVals);
  const steps: PrecisionChoice[] = [];
  if (opts.maxWeightBytes !== undefined && cur.weightBytes > opts.maxWeightBytes)
    throw new EdgecError(`--max-weights ${opts.maxWeightBytes}: the model's weights take ${cur.weightBytes} bytes even at int8; raise the budget or prune the model`);
  // Without a target SQNR a weight budget alone buys back accuracy until it is spent.
  const target = opts.minSqnr ?? (opts.maxWeightBytes !== undefined ? Infinity : undefined);
  if (target !== undefined) {
    const tried = new Set<string>();
    progress.start('mixed precision', 24);
    // Each step takes the layer that loses the most: int16 activations for its output first (it and its readers run
    // 16x8), float when that does not help or the layers have no 16x8 form.
    const step = (cand: { node: string; op: string; drop: number }, precision: PrecisionChoice['precision'], add: string[]): boolean => {
      const set = precision === 'int16' ? int16 : keep;
      add.forEach((n) => set.add(n));
      const next = attempt(float, cal, keep, int16, sample, floatVals);
      const fits = opts.maxWeightBytes === undefined || next.weightBytes <= opts.maxWeightBytes;
      const ok = fits && worst(next) > worst(cur);
      steps.push({ node: cand.node, op: cand.op, precision, int16_nodes: precision === 'int16' ? add : undefined, drop_db: round2(cand.drop), output_sqnr_db: worst(next), weight_bytes: next.weightBytes, kept: ok });
      if (ok) cur = next;
      else add.forEach((n) => set.delete(n));
      progress.update(steps.length, `${cand.node} ${precision}: ${worst(next).toFixed(1)} dB`);
      return ok;
    };
    for (let it = 0; it < 24 && worst(cur) < target; it++) {
      const cand = sensitivity(float, cur, tried)[0];
      if (!cand) break;
      tried.add(cand.node);
      const wide = int16Group(float, cand.node)?.filter((n) => !int16.has(n) && !keep.has(n));
      if (wide?.length && step(cand, 'int16', wide)) continue;
      step(cand, 'float', [cand.node]);
    }
    progress.stop();
  }
  g.nodes = cur.graph.nodes;
  g.tensors = cur.graph.tensors;
  g.outputs = cur.graph.outputs;
  return {
    scheme: 'int8',
    method: opts.method,
    weight_rounding: opts.gptq ? 'gptq' : 'nearest',
    bias_correction: !!opts.biasCorrection,
    samples: opts.calib.length,
    nodes: cur.decisions,
    float_islands: cur.decisions.filter((d) => d.mode === 'float'),
    int16_nodes: cur.decisions.filter((d) => d.mode === 'int16').map((d) => d.node),
    tensors: cur.tensors,
    outputs: cur.outputs,
    weight_bytes: cur.weightBytes,
    mixed_precision: opts.minSqnr !== undefined || opts.maxWeightBytes !== undefined ? { min_sqnr_db: opts.minSqnr, max_weight_bytes: opts.maxWeightBytes, steps, reached: opts.minSqnr === undefined || worst(cur) >= opts.minSqnr } : undefined,
  };
}
