/** ONNX backend conformance: every case goes import → passes → C → gcc → run, compared with ONNX's expected outputs. */
import test from 'ava';
import '../src/ops/index.js';
import type { Value } from '../src/ir/types.js';
import { allocData, numel } from '../src/ir/dtype.js';
import { loadOnnx } from '../src/frontend/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { CORE_PASSES } from '../src/passes/pipeline.js';
import { EdgecError } from '../src/util/errors.js';
import { runC } from './helpers/c-run.js';
import { listOnnxCases, modelInputNames, readPb } from './helpers/onnx-cases.js';
import { limit } from './helpers/limit.js';

/** Cases whose ops edgec does not support (sequences, strings, training-only ops); anything else must pass. */
const KNOWN_UNSUPPORTED = new Set([
  'test_sequence_model1', 'test_sequence_model2', 'test_sequence_model3', 'test_sequence_model4', 'test_sequence_model5',
  'test_sequence_model6', 'test_sequence_model7', 'test_sequence_model8', 'test_gradient_of_add', 'test_gradient_of_add_and_mul',
  'test_strnorm_model_monday_casesensintive_lower', 'test_strnorm_model_monday_casesensintive_nochangecase',
  'test_strnorm_model_monday_casesensintive_upper', 'test_strnorm_model_monday_empty_output',
  'test_strnorm_model_monday_insensintive_upper_twodim', 'test_strnorm_model_nostopwords_nochangecase',
]);

const cases = listOnnxCases();
const results = { passed: 0, unsupported: 0, failed: 0 };
const oneAtATime = limit(2);

/** allclose as ONNX's backend tests use it (rtol 1e-3, atol 1e-5), NaN equal to NaN. */
function mismatch(got: Value, want: Value): string | undefined {
  if (got.shape.join('x') !== want.shape.join('x')) return `shape ${got.shape} != ${want.shape}`;
  for (let i = 0; i < want.data.length; i++) {
    const a = Number(got.data[i]);
    const b = Number(want.data[i]);
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue;
    if (!(Math.abs(a - b) <= 1e-5 + 1e-3 * Math.abs(b))) return `element ${i}: got ${a}, expected ${b}`;
  }
  return undefined;
}

if (!cases.length) test('onnx conformance data present', (t) => t.fail('../shared/conformance/onnx is missing'));

for (const c of cases) {
  test(`onnx ${c.suite}/${c.name}`, async (t) => {
    let g;
    let frozen: string[] = [];
    try {
      try {
        g = loadOnnx(c.model);
        runPipeline(g, CORE_PASSES, { verifyBetween: true });
      } catch (e) {
        // Dynamic-shape models (shape given as an input): freeze the integer inputs to the data set's values, as --freeze-input does.
        if (!(e instanceof EdgecError && /must be a constant/.test(e.message)) || !c.sets[0]?.inputs.length) throw e;
        const values = c.sets[0].inputs.map(readPb);
        const constInputs = Object.fromEntries(modelInputNames(c.model).map((n, i) => [n, values[i]]).filter(([, v]) => (v as Value).dtype === 'int64'));
        frozen = Object.keys(constInputs);
        g = loadOnnx(c.model, { constInputs });
        runPipeline(g, CORE_PASSES, { verifyBetween: true });
        t.log(`frozen inputs: ${frozen.join(', ')}`);
      }
    } catch (e) {
      if (e instanceof EdgecError && KNOWN_UNSUPPORTED.has(c.name)) {
        results.unsupported++;
        t.log(`unsupported: ${e.message.replace(/^.*unsupported ops/, 'ops')}`);
        t.pass();
        return;
      }
      results.failed++;
      throw e;
    }
    t.false(KNOWN_UNSUPPORTED.has(c.name), 'case listed as unsupported now imports: remove it from KNOWN_UNSUPPORTED');
    for (const set of c.sets) {
      const all = set.inputs.map(readPb);
      const inputs = set.inputs.length
        ? modelInputNames(c.model).map((n, i) => [n, all[i]] as const).filter(([n]) => !frozen.includes(n)).map(([, v]) => v)
        : g.inputs.map((n) => { const ti = g!.tensors.get(n)!; return { dtype: ti.dtype, shape: ti.shape, data: allocData(ti.dtype, numel(ti.shape)) }; });
      const feeds = Object.fromEntries(g.inputs.map((n, i) => [n, inputs[i]]));
      const got = await oneAtATime(() => runC(g!, feeds));
      const expected = set.outputs.map(readPb);
      g.outputs.forEach((o, i) => {
        const err = mismatch(got[o], expected[i]);
        if (err) results.failed++;
        t.is(err, undefined, `output ${o}`);
      });
    }
    results.passed++;
  });
}

test.after.always('conformance counts', (t) => {
  const line = `onnx conformance: ${results.passed} passed, ${results.failed} failed, ${results.unsupported} unsupported of ${cases.length}`;
  console.log(line);
  t.pass();
});
