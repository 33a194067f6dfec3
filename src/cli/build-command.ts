/** `edgec build`: compile a model for a target, optionally verifying it. */
import type { CommandModule } from 'yargs';
import { build, type BuildOptions, type BuildReport } from '../build.js';
import { readNpy } from '../util/npy.js';
import { terminalProgress } from '../util/progress.js';
import { parseFrozenInputs, parseInputShapes } from './args.js';
import type { CalibMethod } from '../quant/calibrate.js';
import { formatQuantReport } from './quant-table.js';
import { formatW4Table } from '../quant/w4.js';
import { checkReuseValue, type ReuseSpec } from '../backends/hls/estimate.js';
import { formatHlsReport } from '../backends/hls/report-table.js';
import { formatSparsityTable } from '../sparse/prune.js';

/** The verification table printed after `build --verify`. */
export function formatReport(r: BuildReport): string {
  const lines: string[] = [];
  const kb = (n: number | undefined) => (n === undefined ? '-' : `${(n / 1024).toFixed(1)} KiB`);
  lines.push(`built ${r.model} for ${r.target}: ${r.nodes.imported} nodes imported, ${r.nodes.compiled} compiled, ${(r.macs / 1e6).toFixed(1)} M MACs`);
  lines.push(`weights ${kb(r.sizes.weights_bytes)}   arena ${kb(r.sizes.arena_bytes)} (live lower bound ${kb(r.sizes.arena_lower_bound_bytes)})   code ${kb(r.sizes.code_bytes)}`);
  if (r.bundle) lines.push(`${r.bundle.file} ${kb(r.bundle.bytes)} with ${r.bundle.files.filter((f) => f !== r.bundle!.file).join(', ')}`);
  const sec = r.sizes.sections;
  if (sec) lines.push(`${sec.tool}: code ${kb(sec.code_bytes)} (machine code ${kb(sec.text_bytes)})   weights ${kb(sec.weights_bytes)}   arena ${kb(sec.arena_bytes)}`);
  else if (r.sizes.sections_unavailable) lines.push(`section sizes unavailable: ${r.sizes.sections_unavailable}`);
  if (r.sizes.packed) lines.push(`packed weights ${kb(r.sizes.packed.packed_bytes)} of ${kb(r.sizes.packed.raw_bytes)} raw (${r.sizes.packed.arrays} arrays decoded into ${kb(r.sizes.packed.ram_bytes)} of RAM at the first run)`);
  if (r.quantization) lines.push('', formatQuantReport(r.quantization, 10));
  if (r.w4) lines.push('', formatW4Table(r.w4));
  if (r.hls) lines.push('', formatHlsReport(r.hls));
  if (r.sparsity) lines.push('', formatSparsityTable(r.sparsity));
  if (r.verification?.against_float) lines.push('', `against the float model: ${r.verification.against_float.map((o) => `${o.name} SQNR ${o.sqnr_db} dB`).join(', ')}`);
  const v = r.verification;
  if (v?.integer) lines.push('', `integer reference vs artifact: ${v.integer.bit_exact ? 'bit-exact' : 'MISMATCH'} (${v.integer.outputs.map((o) => (o.float_tail_rel_l2 === undefined ? `${o.name}: ${o.mismatches} differing` : `${o.name}: float tail rel-L2 ${o.float_tail_rel_l2.toExponential(1)}`)).join(', ')})`);
  if (v) {
    lines.push('');
    const integer = v.integer;
    lines.push(integer
      ? `verification (${v.inputs}): the integer artifact must equal its integer reference; its distance from the float model is reported`
      : r.w4 || r.sparsity ? `verification against the ${r.w4 ? 'int4-weight' : 'pruned'} graph's reference (${v.inputs}), tolerance rel_l2 <= ${v.tolerance}`
      : `verification against the float reference (${v.inputs}), tolerance rel_l2 <= ${v.tolerance}`);
    lines.push(`${'output'.padEnd(24)} ${'shape'.padEnd(16)} ${'max_abs_err'.padStart(12)} ${'rel_l2_err'.padStart(12)} ${'cosine'.padStart(10)}  result`);
    for (const o of v.outputs) {
      const io = integer?.outputs.find((x) => x.name === o.name);
      const ok = io ? (io.float_tail_rel_l2 === undefined ? io.mismatches === 0 : io.float_tail_rel_l2 <= 1e-5) : o.rel_l2_err <= v.tolerance;
      lines.push(`${o.name.slice(0, 24).padEnd(24)} ${o.shape.join('x').padEnd(16)} ${o.max_abs_err.toExponential(2).padStart(12)} ${o.rel_l2_err.toExponential(2).padStart(12)} ${o.cosine.toFixed(6).padStart(10)}  ${ok ? 'PASS' : 'FAIL'}`);
    }
  }
  return lines.join('\n');
}

/** --reuse values: a bare number sets every layer, NAME=N one layer (layer id or node name); comma lists allowed. */
export function parseReuse(values: string[] | undefined): ReuseSpec | undefined {
  if (!values?.length) return undefined;
  const spec: ReuseSpec = { layers: {} };
  for (const item of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    const eq = item.lastIndexOf('=');
    if (eq < 0) spec.global = checkReuseValue(Number(item), item);
    else spec.layers![item.slice(0, eq)] = checkReuseValue(Number(item.slice(eq + 1)), item);
  }
  return spec;
}

/** The build command; `setCode` receives the exit code (1 when verification fails). */
export function buildCommand(setCode: (code: number) => void): CommandModule {
  return {
    command: 'build <model>',
    describe: 'compile an ONNX or TFLite model into a C artifact (model.c, model.h, weights, runtime, report.json)',
    builder: (y) =>
      y
        .positional('model', { type: 'string', describe: 'the .onnx or .tflite file', demandOption: true })
        .option('target', { alias: 't', type: 'string', default: 'c', describe: "target name (see 'edgec targets')" })
        .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'output folder (written atomically)' })
        .option('input-shape', { type: 'string', array: true, describe: 'bind input dims: NAME=1x3x224x224 (repeatable)' })
        .option('freeze-input', { type: 'string', array: true, describe: 'make an input a constant: NAME=value.npy (shape-valued inputs of dynamic-shape models)' })
        .option('name', { type: 'string', default: 'model', describe: 'C symbol prefix (model_run, MODEL_ARENA_SIZE)' })
        .option('verify', { type: 'boolean', default: false, describe: 'compile with the target toolchain, run, and compare with the float reference' })
        .option('verify-input', { type: 'string', array: true, describe: '.npy input(s) for --verify, in graph-input order (default: seeded random)' })
        .option('seed', { type: 'number', default: 1, describe: 'seed of the random verification inputs' })
        .option('tolerance', { type: 'number', describe: "max rel_l2_err per output for --verify to pass (default: the target's verifyTolerance, else 1e-4)" })
        .option('quantize', { type: 'string', choices: ['int8', 'w4'], describe: 'post-training quantization: int8 (TFLite scheme) or w4 (group-wise int4 MatMul/Gemm weights)' })
        .option('w4-group', { type: 'number', default: 64, choices: [32, 64, 128], describe: 'w4: weights per scale group' })
        .option('w4-method', { type: 'string', default: 'gptq', choices: ['gptq', 'rtn'], describe: 'w4: GPTQ error compensation or round-to-nearest' })
        .option('calib', { type: 'string', describe: 'calibration inputs for --quantize: a .npy (one sample or a batch) or a folder of .npy samples' })
        .option('calib-method', { type: 'string', choices: ['minmax', 'percentile', 'entropy', 'mse'], default: 'mse', describe: 'how activation ranges are chosen from the calibration statistics' })
        .option('int8-rounding', { type: 'string', choices: ['nearest', 'gptq'], default: 'nearest', describe: 'int8 Conv weights: round to nearest, or GPTQ rounding against the calibration inputs (same per-channel scales)' })
        .option('bias-correction', { type: 'boolean', default: false, describe: 'int8: adjust each Conv bias so its per-channel output mean on the calibration inputs matches float' })
        .option('keep-float', { type: 'string', describe: 'comma-separated node names or op types that stay float under --quantize' })
        .option('int16', { type: 'string', describe: 'comma-separated node names that run on int16 activations with int8 weights (16x8) under --quantize int8' })
        .option('min-sqnr', { type: 'number', describe: 'mixed precision: keep the most sensitive layers float until every output reaches this SQNR (dB) against float' })
        .option('max-weights', { type: 'number', describe: 'mixed precision: weight-byte budget (flash) the float layers must fit' })
        .option('reuse', { type: 'string', array: true, describe: 'FPGA targets: reuse factor for every layer (--reuse 4) or per layer (--reuse l03_conv=8,l07_conv=2); default: chosen to fit the DSPs' })
        .option('pack', { type: 'string', choices: ['lossless'], describe: 'entropy-code the weights (float exponent bytes, int8 values); decoded into RAM at the first run, outputs bit-identical' })
        .option('sparsity', { type: 'string', describe: 'N:M pruning of 1x1 Conv and Gemm weights (e.g. 2:4); the C kernels skip the pruned weights' })
        .option('sparsity-method', { type: 'string', choices: ['magnitude', 'wanda', 'sparsegpt'], describe: 'pruning scores: |w|, |w| x input norm, or SparseGPT error compensation (default with --calib)' })
        .option('sparsity-min-sqnr', { type: 'number', describe: 'layers whose output SQNR (dB) on the calibration inputs would fall below this stay dense' })
        .option('sparsity-config', { type: 'string', describe: 'JSON file {"layer name": "N:M" | "dense"} overriding --sparsity per layer' })
        .option('sanitize', { type: 'boolean', default: false, describe: 'build the verification program with -fsanitize=address,undefined' })
        .example('$0 build rec.onnx --input-shape x=1x3x48x320 --quantize int8 --calib calib/ -o out/rec8 --verify', 'int8 with calibration')
        .example('$0 build det.onnx --input-shape x=1x3x320x320 -o out/det --verify', 'compile and verify PP-OCR det'),
    handler: async (argv) => {
      const report = await build({
        model: argv.model as string,
        outDir: argv.output as string,
        target: argv.target as string,
        inputShapes: parseInputShapes(argv['input-shape'] as string[] | undefined),
        name: argv.name as string,
        constInputs: parseFrozenInputs(argv['freeze-input'] as string[] | undefined),
        verify: argv.verify as boolean,
        verifyInputs: (argv['verify-input'] as string[] | undefined)?.map(readNpy),
        seed: argv.seed as number,
        tolerance: argv.tolerance as number | undefined,
        sanitize: argv.sanitize as boolean,
        quantize: argv.quantize as 'int8' | 'w4' | undefined,
        w4Group: argv['w4-group'] as number,
        w4Method: argv['w4-method'] as 'gptq' | 'rtn',
        calib: argv.calib as string | undefined,
        calibMethod: argv['calib-method'] as CalibMethod,
        minSqnr: argv['min-sqnr'] as number | undefined,
        gptq: argv['int8-rounding'] === 'gptq',
        biasCorrection: argv['bias-correction'] as boolean,
        maxWeightBytes: argv['max-weights'] as number | undefined,
        reuse: parseReuse(argv.reuse as string[] | undefined),
        sparsity: argv.sparsity as string | undefined,
        pack: argv.pack as 'lossless' | undefined,
        sparsityMethod: argv['sparsity-method'] as BuildOptions['sparsityMethod'],
        sparsityMinSqnr: argv['sparsity-min-sqnr'] as number | undefined,
        sparsityConfig: argv['sparsity-config'] as string | undefined,
        keepFloat: (argv['keep-float'] as string | undefined)?.split(',').map((x) => x.trim()).filter(Boolean),
        int16: (argv.int16 as string | undefined)?.split(',').map((x) => x.trim()).filter(Boolean),
        progress: terminalProgress(),
      });
      process.stdout.write(`${formatReport(report)}\nwrote ${argv.output}\n`);
      if (!report.ok) {
        const why = report.verification?.integer ? 'the artifact differs from its integer reference' : `an output's rel_l2_err exceeds ${report.verification?.tolerance}`;
        process.stderr.write(`edgec: error: verification failed: ${why} (see ${argv.output}/report.json)\n`);
        setCode(1);
      }
    },
  };
}
