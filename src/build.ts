/** `edgec build`: import → passes → emit → (verify) into an output folder written atomically. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import './ops/index.js';
import type { Graph, TensorInfo, Value } from './ir/types.js';
import { cloneGraph } from './ir/graph.js';
import { loadModel } from './frontend/index.js';
import { runPipeline, type Pass } from './passes/pass.js';
import { passesFor } from './passes/pipeline.js';
import { inferShapes } from './passes/infer-shapes.js';
import { foldConstants } from './passes/fold-constants.js';
import { backendFor } from './backends/backends.js';
import type { HlsReport } from './backends/hls/emit.js';
import type { ReuseSpec } from './backends/hls/estimate.js';
import type { CArtifact } from './backends/c/emit.js';
import { getTarget, type Target } from './targets/targets.js';
import { runnerFor } from './runners/runner.js';
import { EdgecError } from './util/errors.js';
import { silentProgress, type Progress } from './util/progress.js';
import { graphMacs, layerTable } from './inspect.js';
import { randomInputs, verifyArtifact, type VerifyResult } from './verify/verify.js';
import { sectionSizes, type SectionSizes } from './verify/section-sizes.js';
import { verifyGraph } from './ir/verify.js';
import type { CalibMethod } from './quant/calibrate.js';
import { loadCalibration } from './quant/calib-data.js';
import { quantizeGraphInt8, type QuantReport } from './quant/quantize.js';
import { quantizeWeightsW4, type W4Report } from './quant/w4.js';
import { eliminateDeadCode } from './passes/eliminate-dead-code.js';
import { fusionCensus } from './passes/fusion-census.js';
import { foldInt8Tables } from './passes/fold-int8-tables.js';

/** Passes over the integer graph the int8 quantizer made. */
const INT8_PASSES: readonly Pass[] = [foldInt8Tables, eliminateDeadCode];
import { parseNm, sparsifyGraph, type NmSpec, type SparsityOptions, type SparsityReport } from './sparse/prune.js';
import type { PruneMethod } from './sparse/sparsegpt.js';
import { bundlerFor } from './backends/bundles.js';

/** Everything `edgec build` takes. */
export interface BuildOptions {
  model: string;
  outDir: string;
  target: string;
  inputShapes?: Record<string, number[]>;
  /** Inputs frozen to constants (--freeze-input). */
  constInputs?: Record<string, Value>;
  /** C symbol prefix; default 'model'. */
  name?: string;
  verify?: boolean;
  /** .npy inputs for verification, in graph-input order; seeded random when absent. */
  verifyInputs?: Value[];
  /** Post-training quantization: 'int8' (TFLite scheme) or 'w4' (int4 weight-only MatMul/Gemm); both need calibration inputs. */
  quantize?: 'int8' | 'w4';
  /** w4: group size (32, 64, 128) and method. */
  w4Group?: number;
  w4Method?: 'gptq' | 'rtn';
  /** Calibration inputs: a .npy (batch) or a folder of samples (see quant/calib-data.ts). */
  calib?: string;
  calibMethod?: CalibMethod;
  /** Node names or op types kept in float. */
  keepFloat?: string[];
  /** Node names that run on int16 activations with int8 weights (16x8) under --quantize int8. */
  int16?: string[];
  /** Mixed precision: keep sensitive layers float until every output reaches this SQNR (dB). */
  minSqnr?: number;
  /** Mixed precision: weight-byte budget the kept-float layers must fit. */
  maxWeightBytes?: number;
  /** int8: GPTQ rounding of Conv weights and empirical bias correction (both against the calibration set). */
  gptq?: boolean;
  biasCorrection?: boolean;
  /** N:M pruning of Conv (1x1) and Gemm weights, e.g. '2:4'; method (default sparsegpt with --calib, else magnitude); layers under this SQNR (dB) stay dense; a JSON file {layer: 'N:M' | 'dense'}. */
  sparsity?: string;
  /** 'lossless': entropy-coded weights, decoded into RAM at the first run (outputs bit-identical). */
  pack?: 'lossless';
  sparsityMethod?: PruneMethod;
  sparsityMinSqnr?: number;
  sparsityConfig?: string;
  seed?: number;
  /** Max rel-L2 error of every output for verification to pass. */
  tolerance?: number;
  /** Build the verification program with sanitizers. */
  sanitize?: boolean;
  /** Run the IR verifier between passes. */
  verifyIr?: boolean;
  /** FPGA targets: reuse factor overrides (global and/or per layer). */
  reuse?: ReuseSpec;
  progress?: Progress;
}

/** What a build produced (also written as report.json). */
export interface BuildReport {
  model: string;
  target: string;
  prefix: string;
  inputs: (TensorInfo & { name: string })[];
  outputs: (TensorInfo & { name: string })[];
  /** Node counts, per pass, and instances of each fusion pattern before (as imported) and after the passes. */
  nodes: { imported: number; compiled: number; by_pass: { pass: string; nodes: number }[]; fusion_patterns: Record<string, { before: number; after: number }> };
  macs: number;
  /** Constant elements the compiled graph holds (weights and biases after folding). */
  params: number;
  sizes: { weights_bytes: number; arena_bytes: number; arena_lower_bound_bytes: number; code_bytes?: number; sections?: SectionSizes; sections_unavailable?: string; packed?: CArtifact['packed'] };
  kernels: string[];
  /** Backend facts (CUDA: per-kernel registers and shared memory from ptxas, workspace, absorbed layers). */
  cuda?: Record<string, unknown>;
  quantization?: QuantReport;
  w4?: W4Report;
  /** FPGA targets: per-layer resources and latency against the device. */
  hls?: HlsReport;
  sparsity?: SparsityReport;
  verification?: VerifyResult;
  /** Bundled targets: the compiled binary (e.g. model.wasm) and its size. */
  bundle?: { file: string; bytes: number; files: string[] };
  ok: boolean;
}

export { cTargetFacts } from './backends/backends.js';

/** Load a model and run the target's passes; returns the graph, the reference graph and the pass log. */
export function compileGraph(model: string, target: Target, opts: Pick<BuildOptions, 'inputShapes' | 'constInputs' | 'verifyIr' | 'progress' | 'quantize' | 'calib' | 'calibMethod' | 'keepFloat' | 'int16' | 'minSqnr' | 'maxWeightBytes' | 'gptq' | 'biasCorrection' | 'w4Group' | 'w4Method' | 'sparsity' | 'sparsityMethod' | 'sparsityMinSqnr' | 'sparsityConfig'>) {
  const progress = opts.progress ?? silentProgress;
  progress.start('import', 1);
  const imported = loadModel(model, { inputShapes: opts.inputShapes, constInputs: opts.constInputs });
  progress.update(1, path.basename(model));
  progress.stop();
  const importedNodes = imported.nodes.length;
  // The reference runs on the graph as imported (shapes known, constants folded) so pass bugs show up in verification.
  const reference = runPipeline(cloneGraph(imported), [inferShapes, foldConstants]);
  const passes: Pass[] = passesFor(target);
  const log: { pass: string; nodes: number }[] = [];
  progress.start('passes', passes.length);
  const g = runPipeline(imported, passes, {
    verifyBetween: opts.verifyIr,
    onPass: (name, nodes) => {
      log.push({ pass: name, nodes });
      progress.update(log.length, name);
    },
  });
  progress.stop();
  let quantization: QuantReport | undefined;
  let calibration: Record<string, Value>[] | undefined;
  let w4: W4Report | undefined;
  let sparsity: SparsityReport | undefined;
  if (opts.sparsity) {
    calibration = opts.calib ? loadCalibration(opts.calib, g) : undefined;
    sparsity = sparsifyGraph(g, calibration, sparsityOptions(opts, !!calibration, progress));
    log.push({ pass: 'sparsify', nodes: g.nodes.length });
  }
  if (opts.quantize) {
    if (!opts.calib) throw new EdgecError(`--quantize ${opts.quantize} needs calibration inputs: --calib <file.npy | folder>`);
    calibration ??= loadCalibration(opts.calib, g);
    if (opts.quantize === 'w4') {
      w4 = quantizeWeightsW4(g, calibration, { group: opts.w4Group ?? 64, method: opts.w4Method ?? 'gptq', progress });
      runPipeline(g, [eliminateDeadCode]);
      log.push({ pass: 'quantize-w4', nodes: g.nodes.length });
      return { graph: g, reference, importedNodes, log, quantization, calibration, w4, sparsity };
    }
    quantization = quantizeGraphInt8(g, { calib: calibration, method: opts.calibMethod ?? 'mse', keepFloat: new Set(opts.keepFloat ?? []), int16: new Set(opts.int16 ?? []), minSqnr: opts.minSqnr, maxWeightBytes: opts.maxWeightBytes, gptq: opts.gptq, biasCorrection: opts.biasCorrection, computedTables: target.backend === 'c', progress });
    if (opts.verifyIr) verifyGraph(g, 'after quantization');
    log.push({ pass: 'quantize-int8', nodes: g.nodes.length });
    runPipeline(g, INT8_PASSES, { verifyBetween: opts.verifyIr, onPass: (pass, nodes) => log.push({ pass, nodes }) });
  }
  return { graph: g, reference, importedNodes, log, quantization, calibration, w4, sparsity };
}

/** Pruning options from the build options (the default method is SparseGPT when calibration inputs are given). */
function sparsityOptions(opts: Pick<BuildOptions, 'sparsity' | 'sparsityMethod' | 'sparsityMinSqnr' | 'sparsityConfig'>, calibrated: boolean, progress: Progress): SparsityOptions {
  const nm = parseNm(opts.sparsity!, '--sparsity');
  if (nm === 'dense') throw new EdgecError(`--sparsity dense prunes nothing; leave --sparsity out`);
  let layers: Record<string, NmSpec> | undefined;
  if (opts.sparsityConfig) {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(opts.sparsityConfig, 'utf8'));
    } catch (e) {
      throw new EdgecError(`--sparsity-config ${opts.sparsityConfig}: cannot read it as JSON (${(e as Error).message}); give {"layer name": "2:4" | "dense", ...}`);
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new EdgecError(`--sparsity-config ${opts.sparsityConfig}: expected an object {"layer name": "2:4" | "dense", ...}`);
    layers = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, parseNm(String(v), `--sparsity-config ${opts.sparsityConfig}, layer '${k}'`)]));
  }
  return { ...nm, method: opts.sparsityMethod ?? (calibrated ? 'sparsegpt' : 'magnitude'), minSqnr: opts.sparsityMinSqnr, layers, progress };
}

/** Instances of each fusion pattern in the imported graph and in the compiled one. */
function fusionPatterns(before: Graph, after: Graph): Record<string, { before: number; after: number }> {
  const [b, a] = [fusionCensus(before), fusionCensus(after)];
  return Object.fromEntries(Object.keys(b).map((k) => [k, { before: b[k], after: a[k] }]));
}

function writeFiles(dir: string, files: Map<string, string | Uint8Array>): void {
  for (const [name, text] of files) {
    const f = path.join(dir, name);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
  }
}

/** Check the output folder can be created, before doing any work. */
function prepareOutDir(outDir: string): string {
  const parent = path.dirname(path.resolve(outDir));
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.accessSync(parent, fs.constants.W_OK);
  } catch {
    throw new EdgecError(`cannot write to output directory '${outDir}': its parent is not writable; choose another -o`);
  }
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw new EdgecError(`-o ${outDir}: exists and is not a directory`);
  return fs.mkdtempSync(path.join(parent, `.${path.basename(outDir)}.tmp-`));
}

/** Run a whole build; the output folder appears complete or not at all. */
export async function build(opts: BuildOptions): Promise<BuildReport> {
  const target = getTarget(opts.target);
  const backend = backendFor(target);
  const prefix = opts.name ?? 'model';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) throw new EdgecError(`--name '${prefix}' is not a C identifier`);
  const tmp = prepareOutDir(opts.outDir);
  try {
    const { graph, reference, importedNodes, log, quantization, calibration, w4, sparsity } = compileGraph(opts.model, target, opts);
    const sample = opts.verifyInputs ?? (calibration ? graph.inputs.map((n) => calibration[0][n]) : randomInputs(graph, opts.seed ?? 1));
    const art = backend.emit(graph, { prefix, target, reuse: opts.reuse, sample, pack: opts.pack });
    writeFiles(tmp, art.files);
    const backendFacts = art.inspect ? { [target.backend]: await art.inspect(tmp) } : {};
    const io = (names: string[]) => names.map((n) => ({ name: n, dtype: graph.tensors.get(n)!.dtype, shape: graph.tensors.get(n)!.shape }));
    const bundle = await writeBundle(tmp, graph, prefix, target, path.basename(opts.model), opts.progress, opts.verify && opts.sanitize);
    const report: BuildReport = {
      model: opts.model,
      target: target.name,
      prefix,
      inputs: io(graph.inputs),
      outputs: io(graph.outputs),
      nodes: { imported: importedNodes, compiled: graph.nodes.length, by_pass: log, fusion_patterns: fusionPatterns(reference, graph) },
      macs: graphMacs(graph),
      params: [...graph.tensors.values()].reduce((n, t) => n + (t.data ? t.data.length : 0), 0),
      sizes: { weights_bytes: art.weightsBytes, arena_bytes: art.arenaBytes, arena_lower_bound_bytes: art.arenaLowerBound, packed: art.packed },
      kernels: art.kernels,
      ...backendFacts,
      bundle: bundle?.info,
      quantization,
      w4,
      hls: art.hls,
      sparsity,
      ok: true,
    };
    const sections = await sectionSizes(tmp, prefix, target, art.arenaBytes);
    if (typeof sections === 'string') report.sizes.sections_unavailable = sections;
    else if (sections) report.sizes.sections = sections;
    fs.writeFileSync(path.join(tmp, 'edgec.json'), JSON.stringify({ prefix, target: target.name, inputs: report.inputs, outputs: report.outputs }, null, 2));
    if (opts.verify) {
      report.verification = await verifyArtifact(tmp, prefix, target, reference, graph, {
        quantized: !!opts.quantize || !!sparsity,
        inputs: opts.verifyInputs ?? (calibration ? graph.inputs.map((n) => calibration[0][n]) : undefined), seed: opts.seed ?? 1, tolerance: opts.tolerance ?? target.verifyTolerance ?? 1e-4, sanitize: opts.sanitize, progress: opts.progress,
        program: bundle?.program,
      });
      report.sizes.code_bytes = report.verification.code_bytes;
      report.ok = report.verification.passed;
    }
    report.sizes.code_bytes ??= bundle?.codeBytes;
    fs.writeFileSync(path.join(tmp, 'report.json'), JSON.stringify({ ...report, layers: layerTable(graph) }, null, 2));
    fs.rmSync(opts.outDir, { recursive: true, force: true });
    fs.renameSync(tmp, opts.outDir);
    return report;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Bundled targets: write the bundle's files and compile its binary into `dir` (part of the artifact, verified or not;
 * `sanitize` asks for a sanitized build, which runners that cannot make one refuse before compiling). */
async function writeBundle(dir: string, g: Graph, prefix: string, target: Target, model: string, progress = silentProgress, sanitize = false) {
  const bundler = bundlerFor(target);
  if (!bundler) return undefined;
  const io = (names: string[]) => names.map((n) => ({ name: n, dtype: g.tensors.get(n)!.dtype, shape: g.tensors.get(n)!.shape }));
  const files = bundler.files({ prefix, inputs: io(g.inputs), outputs: io(g.outputs) }, model);
  writeFiles(dir, files);
  progress.start('compile', 1);
  const program = await runnerFor(target).build(dir, prefix, target, { sanitize });
  progress.update(1, bundler.binary(prefix));
  progress.stop();
  const bin = fs.readFileSync(path.join(dir, bundler.binary(prefix)));
  return { program, codeBytes: bundler.codeBytes(bin), info: { file: bundler.binary(prefix), bytes: bin.byteLength, files: [bundler.binary(prefix), ...files.keys()] } };
}

/** Compile a graph's artifact into `dir` and return the runnable program (tests and bench). */
export async function buildProgram(g: Graph, dir: string, target: Target, prefix = 'model', sanitize = false, pack?: 'lossless'): Promise<string> {
  const art = backendFor(target).emit(g, { prefix, target, pack });
  writeFiles(dir, art.files);
  const bundle = await writeBundle(dir, g, prefix, target, path.basename(g.source), silentProgress, sanitize);
  return bundle ? bundle.program : runnerFor(target).build(dir, prefix, target, { sanitize });
}
