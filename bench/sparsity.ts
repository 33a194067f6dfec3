/**
 * 2:4 sparsity on PP-OCRv4 rec and det: output SQNR of magnitude, Wanda and SparseGPT pruning against the dense
 * model (on rendered text not used for calibration), weight bytes and speed dense against sparse (float, and int8
 * for rec with --int8). Writes bench/results/sparsity.md. `npm run bench:sparse [-- --int8]`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import '../src/ops/index.js';
import type { Graph, Value } from '../src/ir/types.js';
import { cloneGraph } from '../src/ir/graph.js';
import { buildProgram, compileGraph } from '../src/build.js';
import { emitC } from '../src/backends/c/emit.js';
import { getTarget } from '../src/targets/targets.js';
import { runnerFor } from '../src/runners/runner.js';
import { sqnrDb } from '../src/quant/params.js';
import { quantizeGraphInt8 } from '../src/quant/quantize.js';
import { sparsifyGraph, sparsityCalibration } from '../src/sparse/prune.js';
import type { PruneMethod } from '../src/sparse/sparsegpt.js';
import { REAL_MODELS } from '../test/helpers/models.js';
import { detInput, haveOcrLines, recInput } from '../test/helpers/ocr-inputs.js';

const argv = yargs(hideBin(process.argv))
  .option('repeat', { type: 'number', default: 10, describe: 'timed runs per measurement' })
  .option('int8', { type: 'boolean', default: false, describe: 'also time int8 dense vs int8 2:4 (rec)' })
  .option('out', { type: 'string', default: 'bench/results/sparsity.md' })
  .parseSync();

if (!haveOcrLines()) throw new Error('bench:sparse needs ../shared/data/ocr_lines');
const target = getTarget('c');
const runner = runnerFor(target);
const facts = { vectorFloats: target.vectorFloats, l1Bytes: target.memory.l1Bytes, l2Bytes: target.memory.l2Bytes };

/** Calibration and evaluation inputs per model (disjoint lines). */
const DATA: Record<string, { calib: () => Value[]; evals: () => Value[] }> = {
  'ppocr-rec': { calib: () => [0, 1, 2, 3].map((i) => recInput(i)), evals: () => [40, 45, 50, 55, 60, 65].map((i) => recInput(i)) },
  'ppocr-det': { calib: () => [0, 6].map(detInput), evals: () => [30, 60].map(detInput) },
};

/** Compile a graph, run it on every input; returns outputs (first output per input), the program and weight bytes. */
async function runAll(g: Graph, inputs: Value[], tag: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `edgec-sparse-${tag}-`));
  const program = await buildProgram(g, dir, target);
  const outs = g.outputs.map((n) => g.tensors.get(n)!);
  const outputs: Value[] = [];
  for (const x of inputs) outputs.push((await runner.run(program, [x], outs)).outputs[0]);
  return { program, outputs, outs, weights: emitC(g, { prefix: 'model', target: facts }).weightsBytes };
}

const sqnr = (want: Value[], got: Value[]) => {
  const cat = (vs: Value[]) => Float32Array.from(vs.flatMap((v) => Array.from(v.data as Float32Array)));
  return sqnrDb(cat(want), cat(got));
};
const time = async (program: string, x: Value, outs: { dtype: string; shape: number[] }[]) =>
  (await runner.run(program, [x], outs as never, { repeat: argv.repeat })).medianUs! / 1000;

const lines: string[] = [];
for (const name of ['ppocr-rec', 'ppocr-det']) {
  const m = REAL_MODELS.find((r) => r.name === name)!;
  process.stderr.write(`${name}: compiling and calibrating\n`);
  const { graph } = compileGraph(m.file, target, { inputShapes: { [m.input]: m.shape } });
  const calib = DATA[name].calib().map((v) => ({ [m.input]: v }));
  const evals = DATA[name].evals();
  const stats = sparsityCalibration(graph, calib);
  const dense = await runAll(graph, evals, 'dense');
  const row: string[] = [];
  let sparseRun: Awaited<ReturnType<typeof runAll>> | undefined;
  let pruned = 0;
  for (const method of ['magnitude', 'wanda', 'sparsegpt'] as PruneMethod[]) {
    const g = cloneGraph(graph);
    const rep = sparsifyGraph(g, undefined, { n: 2, m: 4, method, calibration: stats });
    const r = await runAll(g, evals, method);
    pruned = rep.layers.filter((l) => l.sparsity === '2:4').length;
    row.push(sqnr(dense.outputs, r.outputs).toFixed(2));
    process.stderr.write(`${name} ${method}: output SQNR ${row[row.length - 1]} dB\n`);
    if (method === 'sparsegpt') sparseRun = r;
  }
  const td = await time(dense.program, evals[0], dense.outs);
  const ts = await time(sparseRun!.program, evals[0], sparseRun!.outs);
  lines.push(`| ${name} | ${pruned} | ${row.join(' | ')} | ${dense.weights} | ${sparseRun!.weights} | ${td.toFixed(2)} | ${ts.toFixed(2)} | ${(ts / td).toFixed(2)}x |`);
  if (argv.int8 && name === 'ppocr-rec') {
    process.stderr.write(`${name}: int8 dense and int8 2:4\n`);
    const q = async (sparse: boolean) => {
      const g = cloneGraph(graph);
      if (sparse) sparsifyGraph(g, undefined, { n: 2, m: 4, method: 'sparsegpt', calibration: stats });
      quantizeGraphInt8(g, { calib: calib.slice(0, 2), method: 'minmax', keepFloat: new Set() });
      return runAll(g, evals, sparse ? 'int8-sparse' : 'int8');
    };
    const [qd, qs] = [await q(false), await q(true)];
    const [tqd, tqs] = [await time(qd.program, evals[0], qd.outs), await time(qs.program, evals[0], qs.outs)];
    lines.push(`| ${name} int8 | ${pruned} | - | - | ${sqnr(dense.outputs, qs.outputs).toFixed(2)} (int8 dense ${sqnr(dense.outputs, qd.outputs).toFixed(2)}) | ${qd.weights} | ${qs.weights} | ${tqd.toFixed(2)} | ${tqs.toFixed(2)} | ${(tqs / tqd).toFixed(2)}x |`);
  }
}

const table = [
  '| model | 2:4 layers | SQNR magnitude (dB) | SQNR Wanda (dB) | SQNR SparseGPT (dB) | weights dense (B) | weights 2:4 (B) | dense (ms) | 2:4 (ms) | 2:4 / dense |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...lines,
  '',
  `Output SQNR against the dense float model on rendered text lines not used for calibration; gcc ${target.toolchain.cflags.join(' ')}, one thread, median of ${argv.repeat} runs.`,
].join('\n');
fs.mkdirSync(path.dirname(argv.out), { recursive: true });
fs.writeFileSync(argv.out, `${table}\n`);
process.stdout.write(`${table}\n\nwrote ${argv.out}\n`);
