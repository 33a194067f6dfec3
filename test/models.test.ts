/** Real trained models: compiled C output against onnxruntime (the oracle), rel-L2 ≤ 1e-5, plus the reference interpreter. */
import test from 'ava';
import '../src/ops/index.js';
import { getTarget } from '../src/targets/targets.js';
import { compileGraph } from '../src/build.js';
import { runReference } from '../src/interp/reference.js';
import { randomInputs } from '../src/verify/verify.js';
import { compareValues } from '../src/verify/metrics.js';
import { runC } from './helpers/c-run.js';
import { runOrt } from './helpers/ort.js';
import { REAL_MODELS } from './helpers/models.js';
import { limit } from './helpers/limit.js';
import { detInput, haveOcrLines, recInput } from './helpers/ocr-inputs.js';
import type { Value } from '../src/ir/types.js';

/** Real inputs where the model reads images (rendered text), seeded random otherwise. */
function inputFor(name: string, fallback: Value): Value {
  if (!haveOcrLines()) return fallback;
  if (name === 'ppocr-det') return detInput(0);
  if (name === 'ppocr-rec') return recInput(3);
  if (name === 'ppocr-cls') return recInput(5, 192);
  return fallback;
}

const serial = limit(1);

for (const m of REAL_MODELS) {
  test(`${m.name}: compiled C matches onnxruntime`, async (t) => {
    const { graph, reference } = compileGraph(m.file, getTarget('c'), { inputShapes: { [m.input]: m.shape }, verifyIr: true });
    const x = inputFor(m.name, randomInputs(reference, 7)[0]);
    const feeds = { [m.input]: x };
    const ort = await runOrt(m.file, feeds);
    const c = await serial(() => runC(graph, feeds));
    const ref = runReference(reference, feeds);
    for (const o of graph.outputs) {
      const mc = compareValues(o, c[o], ort[o]);
      const mr = compareValues(o, ref[o], ort[o]);
      t.log(`${o}: C vs ORT rel_l2 ${mc.rel_l2_err.toExponential(2)}, reference vs ORT ${mr.rel_l2_err.toExponential(2)}`);
      t.true(mc.rel_l2_err <= 1e-5, `C output ${o} rel_l2 ${mc.rel_l2_err}`);
      t.true(mr.rel_l2_err <= 1e-5, `reference output ${o} rel_l2 ${mr.rel_l2_err}`);
    }
    t.true(graph.nodes.length < reference.nodes.length, 'passes shrink the graph');
  });
}

test('ppocr-cls runs clean under AddressSanitizer and UBSan', async (t) => {
  const m = REAL_MODELS.find((r) => r.name === 'ppocr-cls')!;
  const { graph, reference } = compileGraph(m.file, getTarget('c'), { inputShapes: { [m.input]: m.shape } });
  const x = inputFor(m.name, randomInputs(reference, 7)[0]);
  const c = await serial(() => runC(graph, { [m.input]: x }, { sanitize: true }));
  const ref = runReference(reference, { [m.input]: x });
  const o = graph.outputs[0];
  t.true(compareValues(o, c[o], ref[o]).rel_l2_err <= 1e-5);
});
