/** Int8 vs float C on single PP-OCR-like layers: both compiled by the project's build path (gcc -O3 -march=native),
 * timed with the native runner (median of repeated runs, best of alternating rounds); prints a markdown table.
 * Run: node --import tsx bench/int8-layers.ts [--repeat 50] [--rounds 3] */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import '../src/ops/index.js';
import type { Attr, Graph, Value } from '../src/ir/types.js';
import { numel } from '../src/ir/dtype.js';
import { buildProgram } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import { runnerFor } from '../src/runners/runner.js';
import { graphMacs } from '../src/inspect.js';
import { qgraph } from '../test/helpers/qgraph.js';
import { randn } from '../test/helpers/graph.js';
import { int, ints, layersGraph, type QLayer } from '../test/helpers/qlayers.js';

const argv = await yargs(hideBin(process.argv))
  .option('repeat', { type: 'number', default: 50, describe: 'timed runs per measurement' })
  .option('rounds', { type: 'number', default: 5, describe: 'alternating rounds; the table shows the best median' })
  .option('only', { type: 'string', describe: 'run layers whose name contains this' })
  .strict()
  .parseAsync();

/** A benchmark layer: its int8 description; the float twin has the same shapes and attributes. */
const LAYERS: { name: string; layer: QLayer }[] = [
  { name: 'conv 3x3 64->64 80x80', layer: { op: 'Conv', x: [1, 64, 80, 80], w: [64, 64, 3, 3], attrs: { pads: ints(1, 1, 1, 1) }, axis: 0, zx: 3, k: 576 } },
  { name: 'conv 3x3 s2 32->64 160x160', layer: { op: 'Conv', x: [1, 32, 160, 160], w: [64, 32, 3, 3], attrs: { pads: ints(1, 1, 1, 1), strides: ints(2, 2) }, axis: 0, zx: 3, k: 288 } },
  { name: 'conv 1x1 64->64 80x80', layer: { op: 'Conv', x: [1, 64, 80, 80], w: [64, 64, 1, 1], axis: 0, zx: 3, k: 64 } },
  { name: 'conv 1x1 240->96 20x20', layer: { op: 'Conv', x: [1, 240, 20, 20], w: [96, 240, 1, 1], axis: 0, zx: 3, k: 240 } },
  { name: 'conv 1x1 480->480 2x40', layer: { op: 'Conv', x: [1, 480, 2, 40], w: [480, 480, 1, 1], axis: 0, zx: 3, k: 480 } },
  { name: 'depthwise 3x3 64 80x80', layer: { op: 'Conv', x: [1, 64, 80, 80], w: [64, 1, 3, 3], attrs: { pads: ints(1, 1, 1, 1), group: int(64) }, axis: 0, zx: 3, k: 9 } },
  { name: 'depthwise 5x5 96 40x40', layer: { op: 'Conv', x: [1, 96, 40, 40], w: [96, 1, 5, 5], attrs: { pads: ints(2, 2, 2, 2), group: int(96) }, axis: 0, zx: 3, k: 25 } },
  { name: 'depthwise 3x3 s2 64 160x160', layer: { op: 'Conv', x: [1, 64, 160, 160], w: [64, 1, 3, 3], attrs: { pads: ints(1, 1, 1, 1), strides: ints(2, 2), group: int(64) }, axis: 0, zx: 3, k: 9 } },
  { name: 'convtranspose 2x2 s2 24->24 80x80', layer: { op: 'ConvTranspose', x: [1, 24, 80, 80], w: [24, 24, 2, 2], attrs: { strides: ints(2, 2) }, axis: 1, zx: 3, k: 24 } },
  { name: 'gemm 40x120 x 120x6625', layer: { op: 'Gemm', x: [40, 120], w: [120, 6625], axis: 1, zx: 3, k: 120 } },
];

/** The float32 twin of an int8 layer (same shapes, attributes, seeded weights). */
function floatGraph(l: QLayer): { g: Graph; feeds: Record<string, Value> } {
  const outC = l.op === 'Conv' ? l.w[0] : l.op === 'ConvTranspose' ? l.w[1] : l.w[l.w.length - 1];
  const f = (shape: number[], seed: number) => ({ dtype: 'float32' as const, shape, data: randn(numel(shape), seed) });
  const g = qgraph({
    inputs: { x: { dtype: 'float32', shape: l.x } },
    consts: { w: f(l.w, 2), b: f([outC], 3) },
    nodes: [{ op: l.op, inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: (l.attrs ?? {}) as Record<string, Attr> }],
    outputs: ['y'],
  });
  return { g, feeds: { x: f(l.x, 1) } };
}

const target = getTarget('c');
const runner = runnerFor(target);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-int8-bench-'));

/** Build a graph and return a timing function (median microseconds of `repeat` runs). */
async function prepare(name: string, g: Graph, feeds: Record<string, Value>): Promise<() => Promise<number>> {
  const dir = path.join(tmp, name.replace(/[^A-Za-z0-9]+/g, '_'));
  const program = await buildProgram(g, dir, target);
  const inputs = g.inputs.map((n) => feeds[n]);
  const outs = g.outputs.map((n) => g.tensors.get(n)!);
  return async () => (await runner.run(program, inputs, outs, { repeat: argv.repeat })).medianUs!;
}

const rows: string[] = [];
try {
  for (const { name, layer } of LAYERS) {
    if (argv.only && !name.includes(argv.only)) continue;
    const fl = floatGraph(layer);
    const q = layersGraph([layer]);
    const timeF = await prepare(`${name}-f32`, fl.g, fl.feeds);
    const timeQ = await prepare(`${name}-i8`, q.g, q.feeds);
    const tf: number[] = [];
    const tq: number[] = [];
    for (let r = 0; r < argv.rounds; r++) {
      tf.push(await timeF());
      tq.push(await timeQ());
    }
    const f = Math.min(...tf) / 1000;
    const i = Math.min(...tq) / 1000;
    const macs = graphMacs(fl.g) / 1e6;
    rows.push(`| ${name} | ${macs.toFixed(1)} | ${f.toFixed(3)} | ${i.toFixed(3)} | ${(f / i).toFixed(2)}x |`);
    process.stderr.write(`${name}: float ${f.toFixed(3)} ms, int8 ${i.toFixed(3)} ms\n`);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(['| layer | MMACs | float C (ms) | int8 C (ms) | int8 speedup |', '|---|---|---|---|---|', ...rows].join('\n'));
