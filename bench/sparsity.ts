/**
 * 2:4 sparsity on PP-OCRv4 rec and det: output SQNR of magnitude, Wanda and SparseGPT pruning against the dense
 * model (on rendered text not used for calibration), weight bytes and speed dense against sparse per target (host C,
 * WASM SIMD128 in Node; float, and int8 for rec with --int8), which layers run the sparse kernel and which the dense
 * GEMM on expanded weights, and with --neon the aarch64 instructions per inference under qemu (dense against sparse,
 * per pruned layer; float, and int8 with --int8). Writes bench/results/sparsity.md. `npm run bench:sparse [-- --int8 --neon]`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import '../src/ops/index.js';
import type { Graph, Value } from '../src/ir/types.js';
import { cloneGraph } from '../src/ir/graph.js';
import { buildProgram, compileGraph, cTargetFacts } from '../src/build.js';
import { emitC } from '../src/backends/c/emit.js';
import { sparsePattern, SPARSE_WINS, SPARSE_WINS_INT8 } from '../src/backends/c/lower/sparse.js';
import { convGeometry } from '../src/ops/conv.js';
import { getTarget, type Target } from '../src/targets/targets.js';
import { runnerFor } from '../src/runners/runner.js';
import { sqnrDb } from '../src/quant/params.js';
import { quantizeGraphInt8 } from '../src/quant/quantize.js';
import { sparsifyGraph, sparsityCalibration } from '../src/sparse/prune.js';
import type { PruneMethod } from '../src/sparse/sparsegpt.js';
import { REAL_MODELS } from '../test/helpers/models.js';
import { detInput, haveOcrLines, recInput } from '../test/helpers/ocr-inputs.js';
import { buildMarked, buildPlugin, countOne } from './neon-insns.js';

const argv = yargs(hideBin(process.argv))
  .option('repeat', { type: 'number', default: 10, describe: 'timed runs per round (their median CPU time is taken)' })
  .option('rounds', { type: 'number', default: 3, describe: 'alternating dense/2:4 rounds; the table shows the median' })
  .option('targets', { type: 'string', default: 'c,wasm', describe: 'targets to time, comma-separated' })
  .option('int8', { type: 'boolean', default: false, describe: 'also time int8 dense vs int8 2:4 (rec, the timed targets; with --neon also count its instructions)' })
  .option('neon', { type: 'string', describe: 'count aarch64 instructions dense vs 2:4 (float rec) on this qemu target, e.g. rpi5' })
  .option('methods', { type: 'string', default: 'magnitude,wanda,sparsegpt', describe: 'pruning methods for the SQNR columns (sparsegpt is always run: it is the timed one)' })
  .option('models', { type: 'string', default: 'ppocr-rec,ppocr-det' })
  .option('out', { type: 'string', default: 'bench/results/sparsity.md' })
  .parseSync();

if (!haveOcrLines()) throw new Error('bench:sparse needs ../shared/data/ocr_lines');
const host = getTarget('c');
const timed = argv.targets.split(',').map((n) => getTarget(n.trim()));

/** Calibration and evaluation inputs per model (disjoint lines). */
const DATA: Record<string, { calib: () => Value[]; evals: () => Value[] }> = {
  'ppocr-rec': { calib: () => [0, 1, 2, 3].map((i) => recInput(i)), evals: () => [40, 45, 50, 55, 60, 65].map((i) => recInput(i)) },
  'ppocr-det': { calib: () => [0, 6].map(detInput), evals: () => [30, 60].map(detInput) },
};

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-sparse-bench-'));
let seq = 0;
/** Compile a graph for a target into a fresh folder; returns the program. */
const compile = (g: Graph, target: Target) => buildProgram(g, path.join(tmpRoot, `${seq++}`), target);
const outsOf = (g: Graph) => g.outputs.map((n) => g.tensors.get(n)!);
const weightsOf = (g: Graph, target: Target) => emitC(g, { prefix: 'model', target: cTargetFacts(target) }).weightsBytes;
/** First outputs of the graph on every input, host C. */
async function outputsOn(g: Graph, inputs: Value[]): Promise<Value[]> {
  const program = await compile(g, host);
  const out: Value[] = [];
  for (const x of inputs) out.push((await runnerFor(host).run(program, [x], outsOf(g))).outputs[0]);
  return out;
}
/** Dense and 2:4 per-run process CPU time in ms on one target: `rounds` alternating rounds of `repeat` runs each, the
 * median of the rounds' medians (CPU time, not wall clock, so other work on the machine distorts it less). */
async function timePair(dense: Graph, sparse: Graph, target: Target, x: Value): Promise<[number, number]> {
  const programs = [await compile(dense, target), await compile(sparse, target)];
  const graphs = [dense, sparse];
  const rounds: number[][] = [[], []];
  for (let r = 0; r < argv.rounds; r++)
    for (const i of [0, 1]) {
      const res = await runnerFor(target).run(programs[i], [x], outsOf(graphs[i]), { repeat: argv.repeat });
      rounds[i].push((res.medianCpuUs ?? res.medianUs!) / 1000);
    }
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
  return [median(rounds[0]), median(rounds[1])];
}
const sqnr = (want: Value[], got: Value[]) => {
  const cat = (vs: Value[]) => Float32Array.from(vs.flatMap((v) => Array.from(v.data as Float32Array)));
  return sqnrDb(cat(want), cat(got));
};

/** Pruned layers: sizes (O, K, P) and which kernel each ISA runs. */
function layerRows(g: Graph, model: string): string[] {
  const rows: string[] = [];
  for (const n of g.nodes) {
    if (!sparsePattern(n)) continue;
    const w = g.tensors.get(n.inputs[1])!;
    const x = g.tensors.get(n.inputs[0])!;
    let s: { o: number; k: number; p: number };
    if (n.op === 'Conv') {
      const geo = convGeometry(n, x, w);
      s = { o: geo.outC, k: geo.inC, p: geo.outSpatial.reduce((a, b) => a * b, 1) };
    } else {
      const transB = n.attrs.transB?.type === 'int' && n.attrs.transB.value !== 0;
      s = { o: transB ? w.shape[0] : w.shape[1], k: transB ? w.shape[1] : w.shape[0], p: x.shape[0] };
    }
    const kind = (isa: keyof typeof SPARSE_WINS) => (n.op === 'Gemm' || SPARSE_WINS[isa](s) ? 'sparse' : 'dense (expanded)');
    const kind8 = (isa: keyof typeof SPARSE_WINS_INT8) => (n.op === 'Gemm' || SPARSE_WINS_INT8[isa](s) ? 'sparse' : 'dense (expanded)');
    rows.push(`| ${model} | ${n.name} | ${n.op} | ${s.o} | ${s.k} | ${s.p} | ${kind('none')} | ${kind('neon-dotprod')} | ${kind('wasm')} | ${kind8('none')} | ${kind8('neon')} | ${kind8('neon-dotprod')} | ${kind8('wasm')} |`);
  }
  return rows;
}

/** aarch64 instructions of one inference under qemu on the --neon target, dense against 2:4: whole model and the pruned
 * layers (a table row). */
async function neonCounts(label: string, dense: Graph, sparse: Graph, x: Value): Promise<string> {
  const neon = getTarget(argv.neon!);
  process.stderr.write(`${label}: counting aarch64 instructions on ${neon.name} under qemu\n`);
  const plugin = await buildPlugin(tmpRoot);
  const tag = seq++;
  const [ed, es] = await Promise.all([buildMarked(dense, path.join(tmpRoot, `neon-dense-${tag}`), neon), buildMarked(sparse, path.join(tmpRoot, `neon-sparse-${tag}`), neon)]);
  const cd = (await countOne(neon, ed, plugin, dense, [x])).counts;
  const cs = (await countOne(neon, es, plugin, sparse, [x])).counts;
  const byName = (g: Graph, c: typeof cd) => new Map(g.nodes.map((n, i) => [n.name, c.layers.get(i) ?? 0]));
  const [ld, ls] = [byName(dense, cd), byName(sparse, cs)];
  let [sd, ss] = [0, 0];
  for (const n of sparse.nodes.filter((y) => sparsePattern(y))) {
    sd += ld.get(n.name) ?? 0;
    ss += ls.get(n.name) ?? 0;
  }
  return `| ${label} | ${neon.name} | ${(cd.insns / 1e6).toFixed(1)} M | ${(cs.insns / 1e6).toFixed(1)} M | ${(cs.insns / cd.insns).toFixed(2)}x | ${(sd / 1e6).toFixed(1)} M | ${(ss / 1e6).toFixed(1)} M | ${(ss / sd).toFixed(2)}x |`;
}

const speed: string[] = [];
const quality: string[] = [];
const layers: string[] = [];
const neonRows: string[] = [];
const methods = [...new Set([...argv.methods.split(',').map((x) => x.trim()), 'sparsegpt'])] as PruneMethod[];
for (const name of argv.models.split(',')) {
  const m = REAL_MODELS.find((r) => r.name === name)!;
  process.stderr.write(`${name}: compiling and calibrating\n`);
  const { graph } = compileGraph(m.file, host, { inputShapes: { [m.input]: m.shape } });
  const calib = DATA[name].calib().map((v) => ({ [m.input]: v }));
  const evals = DATA[name].evals();
  const stats = sparsityCalibration(graph, calib);
  const dense = await outputsOn(graph, evals);
  const row: string[] = [];
  let sparse: Graph | undefined;
  let pruned = 0;
  for (const method of (['magnitude', 'wanda', 'sparsegpt'] as PruneMethod[]).filter((x) => methods.includes(x))) {
    const g = cloneGraph(graph);
    const rep = sparsifyGraph(g, undefined, { n: 2, m: 4, method, calibration: stats });
    pruned = rep.layers.filter((l) => l.sparsity === '2:4').length;
    row[['magnitude', 'wanda', 'sparsegpt'].indexOf(method)] = sqnr(dense, await outputsOn(g, evals)).toFixed(2);
    process.stderr.write(`${name} ${method}: output SQNR ${row[['magnitude', 'wanda', 'sparsegpt'].indexOf(method)]} dB\n`);
    if (method === 'sparsegpt') sparse = g;
  }
  quality.push(`| ${name} | ${pruned} | ${[0, 1, 2].map((i) => row[i] ?? '-').join(' | ')} |`);
  layers.push(...layerRows(sparse!, name));
  for (const target of timed) {
    process.stderr.write(`${name}: timing dense and 2:4 on ${target.name}\n`);
    const [td, ts] = await timePair(graph, sparse!, target, evals[0]);
    speed.push(`| ${name} | float | ${target.name} | ${weightsOf(graph, target)} | ${weightsOf(sparse!, target)} | ${td.toFixed(2)} | ${ts.toFixed(2)} | ${(ts / td).toFixed(2)}x |`);
    process.stderr.write(`${speed[speed.length - 1]}\n`);
  }
  if (argv.int8 && name === 'ppocr-rec') {
    process.stderr.write(`${name}: int8 dense and int8 2:4\n`);
    const q = (withSparse: boolean) => {
      const g = cloneGraph(graph);
      if (withSparse) sparsifyGraph(g, undefined, { n: 2, m: 4, method: 'sparsegpt', calibration: stats });
      quantizeGraphInt8(g, { calib: calib.slice(0, 2), method: 'minmax', keepFloat: new Set() });
      return g;
    };
    const [qd, qs] = [q(false), q(true)];
    if (argv.neon) neonRows.push(await neonCounts(`${name} int8`, qd, qs, evals[0]));
    const label = `int8 (2:4 SQNR ${sqnr(dense, await outputsOn(qs, evals)).toFixed(2)} dB, dense int8 ${sqnr(dense, await outputsOn(qd, evals)).toFixed(2)} dB)`;
    for (const target of timed) {
      const [tqd, tqs] = await timePair(qd, qs, target, evals[0]);
      speed.push(`| ${name} | ${label} | ${target.name} | ${weightsOf(qd, target)} | ${weightsOf(qs, target)} | ${tqd.toFixed(2)} | ${tqs.toFixed(2)} | ${(tqs / tqd).toFixed(2)}x |`);
    }
  }
  if (argv.neon && name === 'ppocr-rec') neonRows.push(await neonCounts(`${name} float`, graph, sparse!, evals[0]));
}
fs.rmSync(tmpRoot, { recursive: true, force: true });

const table = [
  '| model | 2:4 layers | SQNR magnitude (dB) | SQNR Wanda (dB) | SQNR SparseGPT (dB) |',
  '|---|---:|---:|---:|---:|',
  ...quality,
  '',
  '| model | precision | target | weights dense (B) | weights 2:4 (B) | dense (ms) | 2:4 (ms) | 2:4 / dense |',
  '|---|---|---|---:|---:|---:|---:|---:|',
  ...speed,
  ...(neonRows.length
    ? ['', '| model | target | dense insns | 2:4 insns | 2:4 / dense | pruned layers dense | pruned layers 2:4 | 2:4 / dense |', '|---|---|---:|---:|---:|---:|---:|---:|', ...neonRows]
    : []),
  '',
  'Kernel per pruned layer (O outputs, K reduction, P pixels or Gemm rows) by vector ISA (SPARSE_WINS and SPARSE_WINS_INT8 in src/backends/c/lower/sparse.ts); "dense (expanded)" keeps the 2:4 storage and expands it into the dense GEMM panels per run:',
  '',
  '| model | layer | op | O | K | P | float host C (GNU vectors) | float NEON | float WASM | int8 host C | int8 NEON | int8 NEON dotprod | int8 WASM |',
  '|---|---|---|---:|---:|---:|---|---|---|---|---|---|---|',
  ...layers,
  '',
  `Output SQNR against the dense float model on rendered text lines not used for calibration. Times: per-run process CPU time, median of ${argv.rounds} alternating dense/2:4 rounds of ${argv.repeat} runs, one thread; host ${host.toolchain.cc} ${host.toolchain.cflags.join(' ')}, wasm in Node (V8). NEON: instructions of one inference counted by a qemu TCG plugin.`,
].join('\n');
fs.mkdirSync(path.dirname(argv.out), { recursive: true });
fs.writeFileSync(argv.out, `${table}\n`);
process.stdout.write(`${table}\n\nwrote ${argv.out}\n`);
