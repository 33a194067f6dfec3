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

const serial = limit(1);

for (const m of REAL_MODELS) {
  test(`${m.name}: compiled C matches onnxruntime`, async (t) => {
    const { graph, reference } = compileGraph(m.file, getTarget('c'), { inputShapes: { [m.input]: m.shape }, verifyIr: true });
    const [x] = randomInputs(reference, 7);
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
