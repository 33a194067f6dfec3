/** `node --import tsx bench/w4-gemm.ts`: the MatMulW4 kernel against the float SGEMM on the same layer, M = 1..80 rows. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import '../src/ops/index.js';
import type { Graph, Tensor, Value } from '../src/ir/types.js';
import { buildProgram } from '../src/build.js';
import { cloneGraph } from '../src/ir/graph.js';
import { inferShapes } from '../src/passes/infer-shapes.js';
import { getTarget } from '../src/targets/targets.js';
import { runnerFor } from '../src/runners/runner.js';
import { seededRandom } from '../src/verify/metrics.js';
import { quantizeWeightsW4 } from '../src/quant/w4.js';

const argv = await yargs(hideBin(process.argv))
  .option('rows', { type: 'string', default: '1,2,4,5,6,8,16,40,80', describe: 'M values' })
  .option('layers', { type: 'string', default: '120x360,240x120,120x6625,2400x32', describe: 'KxN shapes' })
  .option('group', { type: 'number', default: 64 })
  .option('repeat', { type: 'number', default: 300, describe: 'timed runs per measurement' })
  .option('rounds', { type: 'number', default: 3, describe: 'alternating rounds; the table shows the median' })
  .strict()
  .parseAsync();

const uniform = (n: number, seed: number) => {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

/** One MatMul of an [M, K] input by constant [K, N] weights. */
function layer(m: number, k: number, n: number): Graph {
  const tensors = new Map<string, Tensor>([
    ['x', { name: 'x', dtype: 'float32', shape: [m, k] }],
    ['w', { name: 'w', dtype: 'float32', shape: [k, n], data: uniform(k * n, 3) }],
  ]);
  const g: Graph = { name: 'bench', tensors, nodes: [{ name: 'mm', op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'], attrs: {} }], inputs: ['x'], outputs: ['y'], source: 'bench' };
  inferShapes.run(g, {});
  return g;
}

const target = getTarget('c');
const runner = runnerFor(target);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const lines = ['| K x N | M | float SGEMM us | W4 us | W4 / float |', '|---|---:|---:|---:|---:|'];
for (const shape of argv.layers.split(',')) {
  const [k, n] = shape.split('x').map(Number);
  for (const m of argv.rows.split(',').map(Number)) {
    const f = layer(m, k, n);
    const q = cloneGraph(f);
    quantizeWeightsW4(q, [], { group: argv.group, method: 'rtn', minWeights: 0 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-w4-bench-'));
    try {
      const [pf, pq] = await Promise.all([buildProgram(f, path.join(dir, 'f'), target), buildProgram(q, path.join(dir, 'q'), target)]);
      const x: Value = { dtype: 'float32', shape: [m, k], data: uniform(m * k, 7) };
      const tf: number[] = [], tq: number[] = [];
      for (let r = 0; r < argv.rounds; r++) {
        tf.push((await runner.run(pf, [x], [f.tensors.get('y')!], { repeat: argv.repeat })).medianUs!);
        tq.push((await runner.run(pq, [x], [q.tensors.get('y')!], { repeat: argv.repeat })).medianUs!);
      }
      const [a, b] = [median(tf), median(tq)];
      lines.push(`| ${k} x ${n} | ${m} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(2)} |`);
      process.stderr.write(`${lines[lines.length - 1]}\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
