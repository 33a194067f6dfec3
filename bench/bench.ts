/** `npm run bench`: generated C (gcc -O3 -march=native, 1 thread) against onnxruntime-node (1 intra-op thread), side by side. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import * as ort from 'onnxruntime-node';
import '../src/ops/index.js';
import { buildProgram, compileGraph } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import { runnerFor } from '../src/runners/runner.js';
import { randomInputs } from '../src/verify/verify.js';
import { compareValues, seededRandom } from '../src/verify/metrics.js';
import { parseInputShapes } from '../src/cli/args.js';
import { graphMacs } from '../src/inspect.js';
import type { Value } from '../src/ir/types.js';
import { writeNpy } from '../src/util/npy.js';
import { sqnrDb } from '../src/quant/params.js';
import { REAL_MODELS } from '../test/helpers/models.js';
import { detInput, haveOcrLines, recInput } from '../test/helpers/ocr-inputs.js';

interface BenchCase { name: string; file: string; shapes: Record<string, number[]> }
interface Row { name: string; macs: number; edgecMs: number; ortMs: number; relL2: number; int8Ms?: number; int8Sqnr?: number }

const argv = await yargs(hideBin(process.argv))
  .usage('$0 [model.onnx] [--input-shape NAME=DIMS]')
  .option('input-shape', { type: 'string', array: true })
  .option('repeat', { type: 'number', default: 30, describe: 'timed runs per measurement' })
  .option('clock', { choices: ['cpu', 'wall'] as const, default: 'cpu' as const, describe: 'process CPU time (robust when other work shares the cores) or wall clock' })
  .option('rounds', { type: 'number', default: 3, describe: 'alternating rounds; the table shows the median' })
  .option('out', { type: 'string', default: 'bench/results/bench.md' })
  .option('int8', { type: 'boolean', default: true, describe: 'also build and time int8 artifacts (PP-OCR models, calibrated on rendered text)' })
  .option('neon', { type: 'boolean', default: false, describe: 'instead: count aarch64 instructions per inference under qemu, NEON vs portable C (bench/neon-insns.ts)' })
  .option('neon-target', { type: 'string', default: 'rpi5', describe: 'with --neon: the aarch64 target' })
  .option('neon-models', { type: 'string', default: 'ppocr-cls,hello-deepa', describe: 'with --neon: comma-separated models of test/helpers/models.ts' })
  .option('neon-precisions', { type: 'string', default: 'float,int8', describe: 'with --neon: comma-separated precisions (float, int8; int8 also needs --int8)' })
  .option('neon-portable', { type: 'boolean', default: true, describe: 'with --neon: also count the portable C artifact (--no-neon-portable: NEON only, faster)' })
  .option('neon-out', { type: 'string', default: 'bench/results/neon.md' })
  .option('wasm', { type: 'boolean', default: false, describe: 'instead: edgec wasm bundles vs onnxruntime-web (wasm, SIMD, 1 thread) in this Node (bench/wasm-web.ts)' })
  .option('wasm-models', { type: 'string', default: 'ppocr-det,ppocr-rec,ppocr-cls', describe: 'with --wasm: comma-separated PP-OCR models' })
  .option('wasm-out', { type: 'string', default: 'bench/results/wasm.md' })
  .strict()
  .parseAsync();

const cases: BenchCase[] = argv._.length
  ? argv._.map((f) => ({ name: path.basename(String(f), '.onnx'), file: String(f), shapes: parseInputShapes(argv['input-shape']) }))
  : REAL_MODELS.filter((m) => m.name.startsWith('ppocr')).map((m) => ({ name: m.name, file: m.file, shapes: { [m.input]: m.shape } }));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeOrt(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, repeat: number): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await session.run(feeds);
    const c = process.cpuUsage(c0);
    ts.push(argv.clock === 'cpu' ? (c.user + c.system) / 1000 : performance.now() - t0);
  }
  return median(ts);
}

const target = getTarget('c');
/** The median of a timed artifact run, in ms, on the chosen clock. */
const runMs = async (program: string, inputs: Value[], outs: { dtype: Value['dtype']; shape: number[] }[]) => {
  const r = await runnerFor(target).run(program, inputs, outs, { repeat: argv.repeat });
  return (argv.clock === 'cpu' ? r.medianCpuUs! : r.medianUs!) / 1000;
};

/** Calibration inputs per PP-OCR model (rendered text, disjoint from the timed input). */
const CALIB: Record<string, () => Value[]> = {
  'ppocr-det': () => [12, 24, 36, 48].map(detInput),
  'ppocr-rec': () => Array.from({ length: 8 }, (_, i) => recInput(16 + i)),
  'ppocr-cls': () => Array.from({ length: 8 }, (_, i) => recInput(16 + i, 192)),
  // openWakeWord's head reads embedding features; seeded uniform features in [-4, 4) stand in for them.
  'hello-deepa': () => Array.from({ length: 8 }, (_, i) => {
    const rnd = seededRandom(100 + i);
    return { dtype: 'float32', shape: [1, 25, 96], data: Float32Array.from({ length: 25 * 96 }, () => rnd() * 8 - 4) };
  }),
};

/** Build the int8 artifact of a case; returns its program and its output SQNR against the float artifact. */
async function int8Program(c: BenchCase, floatOut: Value, inputs: Value[]): Promise<{ program: string; sqnr: number } | undefined> {
  const calib = CALIB[c.name];
  if (!calib) return undefined;
  process.stderr.write(`bench ${c.name}: calibrating and building int8\n`);
  const cdir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-bench-calib-'));
  calib().forEach((v, i) => writeNpy(path.join(cdir, `${i}.npy`), v));
  const { graph } = compileGraph(c.file, target, { inputShapes: c.shapes, quantize: 'int8', calib: cdir });
  const dir = path.join('bench/results', `${c.name}-int8`);
  fs.rmSync(dir, { recursive: true, force: true });
  const program = await buildProgram(graph, dir, target);
  const outs = graph.outputs.map((n) => graph.tensors.get(n)!);
  const got = await runnerFor(target).run(program, inputs, outs);
  return { program, sqnr: sqnrDb(floatOut.data, got.outputs[0].data) };
}
if (argv.neon) {
  const { neonBench } = await import('./neon-insns.js');
  const ocr = haveOcrLines();
  const INPUTS: Record<string, () => Value> = { 'ppocr-det': () => detInput(0), 'ppocr-rec': () => recInput(3), 'ppocr-cls': () => recInput(5, 192) };
  const neonCases = argv['neon-models'].split(',').map((name) => {
    const m = REAL_MODELS.find((r) => r.name === name);
    if (!m) throw new Error(`--neon-models: unknown model '${name}' (known: ${REAL_MODELS.map((r) => r.name).join(', ')})`);
    return { name, file: m.file, shapes: { [m.input]: m.shape }, input: ocr && INPUTS[name] ? [INPUTS[name]()] : undefined, calib: ocr ? CALIB[name] : undefined };
  });
  const precisions = argv['neon-precisions'].split(',').filter((p) => p !== 'int8' || argv.int8);
  const table = await neonBench(neonCases, argv['neon-target'], precisions, argv['neon-portable'], 'bench/results/neon');
  fs.mkdirSync(path.dirname(argv['neon-out']), { recursive: true });
  fs.writeFileSync(argv['neon-out'], `${table}\n`);
  process.stdout.write(`${table}\n\nwrote ${argv['neon-out']}\n`);
  process.exit(0);
}

if (argv.wasm) {
  const { wasmBench } = await import('./wasm-web.js');
  if (!haveOcrLines()) throw new Error('--wasm reads rendered text lines from ../shared/data/ocr_lines');
  const INPUTS: Record<string, () => Value> = { 'ppocr-det': () => detInput(0), 'ppocr-rec': () => recInput(3), 'ppocr-cls': () => recInput(5, 192) };
  const wasmCases = argv['wasm-models'].split(',').map((name) => {
    const m = REAL_MODELS.find((r) => r.name === name);
    if (!m || !INPUTS[name]) throw new Error(`--wasm-models: unknown model '${name}' (known: ${Object.keys(INPUTS).join(', ')})`);
    return { name, file: m.file, shapes: { [m.input]: m.shape }, input: INPUTS[name](), calib: CALIB[name] };
  });
  const table = await wasmBench(wasmCases, { repeat: argv.repeat, rounds: argv.rounds, int8: argv.int8, dir: 'bench/results/wasm' });
  fs.mkdirSync(path.dirname(argv['wasm-out']), { recursive: true });
  fs.writeFileSync(argv['wasm-out'], `${table}\n`);
  process.stdout.write(`${table}\n\nwrote ${argv['wasm-out']}\n`);
  process.exit(0);
}

const rows: Row[] = [];
for (const c of cases) {
  process.stderr.write(`bench ${c.name}: compiling\n`);
  const { graph, reference } = compileGraph(c.file, target, { inputShapes: c.shapes });
  const dir = path.join('bench/results', c.name);
  fs.rmSync(dir, { recursive: true, force: true });
  const program = await buildProgram(graph, dir, target);
  // PP-OCR models read rendered text (realistic activations); other models get seeded random inputs.
  const ocr = haveOcrLines() && !argv._.length;
  const inputs = ocr && c.name === 'ppocr-det' ? [detInput(0)] : ocr && c.name === 'ppocr-rec' ? [recInput(3)] : ocr && c.name === 'ppocr-cls' ? [recInput(5, 192)] : randomInputs(reference, 1);
  const toOrt = (v: Value) => new ort.Tensor(v.dtype as 'float32', v.data as Float32Array, v.shape);
  const feeds = Object.fromEntries(reference.inputs.map((n, i) => [n, toOrt(inputs[i])]));
  const session = await ort.InferenceSession.create(c.file, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const outs = graph.outputs.map((n) => graph.tensors.get(n)!);
  const runner = runnerFor(target);
  const ortRes = await session.run(feeds);
  const first = await runner.run(program, inputs, outs);
  const o0 = graph.outputs[0];
  const relL2 = compareValues(o0, first.outputs[0], { dtype: 'float32', shape: outs[0].shape, data: ortRes[o0].data as Float32Array }).rel_l2_err;
  await timeOrt(session, feeds, 3);
  const q = ocr && argv.int8 ? await int8Program(c, first.outputs[0], inputs) : undefined;
  const e: number[] = [];
  const o: number[] = [];
  const i8: number[] = [];
  for (let r = 0; r < argv.rounds; r++) {
    e.push(await runMs(program, inputs, outs));
    o.push(await timeOrt(session, feeds, argv.repeat));
    if (q) i8.push(await runMs(q.program, inputs, outs));
  }
  rows.push({ name: c.name, macs: graphMacs(graph), edgecMs: median(e), ortMs: median(o), relL2, int8Ms: q ? median(i8) : undefined, int8Sqnr: q?.sqnr });
  await session.release();
  process.stderr.write(`bench ${c.name}: edgec ${median(e).toFixed(2)} ms, onnxruntime ${median(o).toFixed(2)} ms\n`);
}

const withInt8 = rows.some((r) => r.int8Ms !== undefined);
const i8 = (r: Row) => (withInt8 ? (r.int8Ms !== undefined ? ` ${r.int8Ms.toFixed(3)} | ${(r.int8Ms / r.edgecMs).toFixed(2)}x | ${r.int8Sqnr!.toFixed(1)} |` : ' - | - | - |') : '');
const table = [
  `| model | MMACs | edgec C (ms) | onnxruntime (ms) | edgec / ORT | output rel_l2 vs ORT |${withInt8 ? ' edgec int8 C (ms) | int8 / float C | int8 SQNR vs float (dB) |' : ''}`,
  `|---|---:|---:|---:|---:|---:|${withInt8 ? '---:|---:|---:|' : ''}`,
  ...rows.map((r) => `| ${r.name} | ${(r.macs / 1e6).toFixed(1)} | ${r.edgecMs.toFixed(3)} | ${r.ortMs.toFixed(3)} | ${(r.edgecMs / r.ortMs).toFixed(2)}x | ${r.relL2.toExponential(1)} |${i8(r)}`),
  '',
  `gcc ${target.toolchain.cflags.join(' ')}, one thread; onnxruntime-node ${ort.env.versions?.common ?? ''} with 1 intra-op thread. Median of ${argv.rounds} rounds × ${argv.repeat} runs each, ${argv.clock === 'cpu' ? 'process CPU time' : 'wall clock'}.`,
].join('\n');
fs.mkdirSync(path.dirname(argv.out), { recursive: true });
fs.writeFileSync(argv.out, `${table}\n`);
process.stdout.write(`${table}\n\nwrote ${argv.out}\n`);
