/** TFLite Micro's seanet integration models (16x8 conv, transpose conv, add, sub, leaky relu, pad, quantize, strided slice): compiled C equals TFLM's goldens exactly. */
import test from 'ava';
import * as os from 'node:os';
import '../src/ops/index.js';
import { compileGraph } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import { runReference } from '../src/interp/reference.js';
import { runC } from './helpers/c-run.js';
import { limit } from './helpers/limit.js';
import { listSeanetCases, readCsv, type TflmCase } from './helpers/tflm-cases.js';

const cases = listSeanetCases();

/** Elements of `got` that differ from `want`, with the first one described. */
function mismatches(got: ArrayLike<number>, want: ArrayLike<number>): { count: number; first: string } {
  let count = 0;
  let first = '';
  if (got.length !== want.length) return { count: Math.max(got.length, want.length), first: `length ${got.length}, golden ${want.length}` };
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i]) continue;
    if (!count) first = `element ${i}: ${got[i]}, golden ${want[i]}`;
    count++;
  }
  return { count, first };
}

/** Compile one case for the C target and compare its C output and its integer reference with the golden. */
async function runCase(c: TflmCase): Promise<string | undefined> {
  const { graph } = compileGraph(c.model, getTarget('c'), { verifyIr: true });
  if (graph.inputs.length !== c.inputs.length) return `${c.name}: the model has ${graph.inputs.length} inputs, the case ${c.inputs.length} CSVs`;
  const feeds = Object.fromEntries(graph.inputs.map((n, i) => [n, readCsv(c.inputs[i], graph.tensors.get(n)!.shape)]));
  const out = graph.outputs[0];
  const golden = readCsv(c.golden, graph.tensors.get(out)!.shape);
  const inC = mismatches((await runC(graph, feeds))[out].data, golden.data);
  if (inC.count) return `${c.name}: C output differs from the golden in ${inC.count} of ${golden.data.length} elements (${inC.first})`;
  const inRef = mismatches(runReference(graph, feeds)[out].data, golden.data);
  if (inRef.count) return `${c.name}: the integer reference differs from the golden in ${inRef.count} elements (${inRef.first})`;
  return undefined;
}

test('seanet: every TFLite Micro integration model is bit-exact in C', async (t) => {
  if (!cases.length) {
    t.log('skipped: ../shared/conformance/tflm/seanet is missing');
    return t.pass();
  }
  const run = limit(Math.max(1, os.cpus().length));
  const failures = (await Promise.all(cases.map((c) => run(() => runCase(c).catch((e: Error) => `${c.name}: ${e.message.split('\n')[0]}`))))).filter((f): f is string => !!f);
  const byOp = new Map<string, number>();
  for (const c of cases) byOp.set(c.name.split('/')[0], (byOp.get(c.name.split('/')[0]) ?? 0) + 1);
  t.log(`${cases.length - failures.length} of ${cases.length} bit-exact (${[...byOp].map(([op, n]) => `${op} ${n}`).join(', ')})`);
  for (const f of failures) t.log(f);
  t.deepEqual(failures, []);
});
