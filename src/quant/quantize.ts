/** The `--quantize int8` driver: split activations, calibrate, rewrite to integers, measure every tensor's SQNR. */
import type { Graph, Value } from '../ir/types.js';
import { cloneGraph } from '../ir/graph.js';
import { runReference } from '../interp/reference.js';
import { runPipeline } from '../passes/pass.js';
import { splitActivations } from '../passes/split-activations.js';
import { foldConstants } from '../passes/fold-constants.js';
import { eliminateDeadCode } from '../passes/eliminate-dead-code.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { chooseRanges, collectHistograms, type CalibMethod } from './calibrate.js';
import { quantizeInt8, type QuantDecision } from './quantize-int8.js';
import { dequantizeData, sqnrDb } from './params.js';

/** Options of an int8 quantization. */
export interface QuantizeOptions {
  calib: Record<string, Value>[];
  method: CalibMethod;
  keepFloat?: ReadonlySet<string>;
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

/** What quantization did, for report.json. */
export interface QuantReport {
  scheme: 'int8';
  method: CalibMethod;
  samples: number;
  nodes: QuantDecision[];
  /** Float islands: nodes that stayed float, with the reason. */
  float_islands: QuantDecision[];
  tensors: QuantTensorReport[];
  /** Output SQNR (dB) of the whole integer graph against the float graph, per output, on the calibration sample. */
  outputs: { name: string; sqnr_db: number }[];
}

/** Quantize `g` in place to int8; returns the report. The graph's interface stays float (Quantize/Dequantize at the edges). */
export function quantizeGraphInt8(g: Graph, opts: QuantizeOptions): QuantReport {
  const progress = opts.progress ?? silentProgress;
  runPipeline(g, [splitActivations]);
  const float = cloneGraph(g);
  const hists = collectHistograms(g, opts.calib, progress);
  const ranges = chooseRanges(hists, opts.method);
  const { decisions, intOf } = quantizeInt8(g, { ranges, keepFloat: opts.keepFloat });
  runPipeline(g, [foldConstants, eliminateDeadCode]);

  // Per-tensor SQNR on the first sample: float values by name, then the integer run's twins as they appear.
  const floatOf = new Map([...intOf].map(([f, q]) => [q, f]));
  const floatVals = new Map<string, Value>();
  const sample = opts.calib[0];
  for (const n of float.inputs) if (intOf.has(n)) floatVals.set(n, sample[n]);
  const fOut = runReference(float, sample, (name, v) => {
    if (intOf.has(name)) floatVals.set(name, v);
  });
  const tensors: QuantTensorReport[] = [];
  const iOut = runReference(g, sample, (name, v) => {
    const f = floatOf.get(name);
    const t = g.tensors.get(name);
    if (!f || !t?.quant || !floatVals.has(f)) return;
    const deq = dequantizeData(v.data, v.shape, t.quant);
    tensors.push({ tensor: f, scale: t.quant.scale[0], zero_point: t.quant.zeroPoint[0], sqnr_db: round2(sqnrDb(floatVals.get(f)!.data, deq)) });
    floatVals.delete(f);
  });
  const outputs = g.outputs.map((o) => ({ name: o, sqnr_db: round2(sqnrDb(fOut[o].data, iOut[o].data)) }));
  return {
    scheme: 'int8',
    method: opts.method,
    samples: opts.calib.length,
    nodes: decisions,
    float_islands: decisions.filter((d) => d.mode === 'float'),
    tensors,
    outputs,
  };
}

function round2(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 100) / 100 : x;
}
