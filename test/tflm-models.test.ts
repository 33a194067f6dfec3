/** TFLite Micro's example models through `edgec build`: person detection (int8 MobileNet) on its two test images, hello_world (float and int8) on the sine. */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Value } from '../src/ir/types.js';
import { build } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import { runnerFor } from '../src/runners/runner.js';
import { loadModel } from '../src/frontend/index.js';
import { PERSON_DIR as PERSON, personInput } from './helpers/person.js';
import { TFLM_DIR } from './helpers/tflm-cases.js';

const HELLO = path.join(TFLM_DIR, 'hello_world');

/** Build a model with `edgec build --verify` on `verifyInput`; returns the report and a runner of the compiled program. */
async function built(model: string, verifyInput: Value) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-tflm-')), 'out');
  const report = await build({ model, outDir: out, target: 'c', verify: true, verifyInputs: [verifyInput] });
  const target = getTarget('c');
  const program = await runnerFor(target).build(out, 'model', target);
  const infos = report.outputs.map((o) => ({ dtype: o.dtype, shape: o.shape }));
  return { report, run: async (x: Value) => (await runnerFor(target).run(program, [x], infos)).outputs[0] };
}

test('person_detection: the person image scores person, the other not-a-person; C is bit-exact with the integer reference', async (t) => {
  if (!fs.existsSync(path.join(PERSON, 'person_detect.tflite'))) { t.log('skipped: person_detection data missing'); return t.pass(); }
  const person = personInput('person.bmp');
  const nobody = personInput('no_person.bmp');
  const { report, run } = await built(path.join(PERSON, 'person_detect.tflite'), person);
  t.true(report.ok, JSON.stringify(report.verification?.integer));
  t.true(report.verification!.integer!.bit_exact);
  t.deepEqual(report.inputs[0], { name: 'input', dtype: 'int8', shape: [1, 96, 96, 1] });
  // Output [1, 2]: index 0 not a person, index 1 person (TFLM's kNotAPersonIndex, kPersonIndex).
  const [p0, p1] = (await run(person)).data;
  const [n0, n1] = (await run(nobody)).data;
  t.log(`person.bmp: person ${p1}, no person ${p0}; no_person.bmp: person ${n1}, no person ${n0}`);
  t.true(p1 > p0);
  t.true(n0 > n1);
});

test('hello_world: float and int8 models follow sin(x) on [0, 2pi]', async (t) => {
  for (const variant of ['float', 'int8'] as const) {
    const model = path.join(HELLO, `hello_world_${variant}.tflite`);
    if (!fs.existsSync(model)) { t.log(`skipped: ${model} missing`); continue; }
    const g = loadModel(model);
    const [xq, yq] = [g.tensors.get(g.inputs[0])!.quant, g.tensors.get(g.outputs[0])!.quant];
    const input = (x: number): Value => (xq
      ? { dtype: 'int8', shape: [1, 1], data: Int8Array.of(Math.max(-128, Math.min(127, Math.round(x / xq.scale[0]) + xq.zeroPoint[0]))) }
      : { dtype: 'float32', shape: [1, 1], data: Float32Array.of(x) });
    const { report, run } = await built(model, input(1));
    t.true(report.ok);
    let worst = 0;
    for (let i = 0; i <= 24; i++) {
      const x = (i / 24) * 2 * Math.PI;
      const y = (await run(input(x))).data[0];
      worst = Math.max(worst, Math.abs((yq ? (y - yq.zeroPoint[0]) * yq.scale[0] : y) - Math.sin(x)));
    }
    t.log(`${variant}: max |y - sin x| = ${worst.toFixed(3)} over 25 points`);
    t.true(worst < 0.15, `${variant}: ${worst}`);
  }
});
