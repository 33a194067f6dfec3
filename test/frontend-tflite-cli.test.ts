/** `edgec build` and `edgec inspect` on .tflite files: the same build/verify path as ONNX, one-line errors, nothing half-written. */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { edgec } from './helpers/cli.js';
import { writeTflite } from './helpers/tflite-builder.js';
import { TFLM_DIR } from './helpers/tflm-cases.js';

test('build --verify on a 16x8 TFLite conv writes the artifact with NHWC int16 I/O, bit-exact with the integer reference', async (t) => {
  const model = path.join(TFLM_DIR, 'seanet/conv/conv0.tflite');
  if (!fs.existsSync(model)) { t.log('skipped: seanet data missing'); return t.pass(); }
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-cli-tfl-')), 'out');
  const r = await edgec(['build', model, '-o', out, '--verify']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /integer reference vs artifact: bit-exact/);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  t.deepEqual(report.inputs.map((i: { dtype: string; shape: number[] }) => [i.dtype, i.shape]), [['int16', [1, 8, 166, 2]]]);
  t.deepEqual(report.outputs.map((i: { dtype: string; shape: number[] }) => [i.dtype, i.shape]), [['int16', [1, 2, 160, 8]]]);
  t.true(report.kernels.includes('qconv16.h'));
  const inspect = await edgec(['inspect', model]);
  t.is(inspect.code, 0, inspect.stderr);
  t.regex(inspect.stdout, /Conv/);
});

test('build of a model with a custom op fails with one line naming the op and the subgraph, and writes nothing', async (t) => {
  const model = writeTflite({
    tensors: [{ name: 'x', shape: [1, 4] }, { name: 'y', shape: [1, 4] }],
    ops: [{ op: { custom: 'MyFancyOp' }, inputs: [0], outputs: [1] }],
    inputs: [0],
    outputs: [1],
  });
  const dir = path.dirname(model);
  const out = path.join(dir, 'out');
  const r = await edgec(['build', model, '-o', out]);
  t.is(r.code, 1);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.regex(r.stderr, /custom op 'MyFancyOp' \(operator 0\)/);
  t.regex(r.stderr, /subgraph 0 'main'/);
  t.notRegex(r.stderr, / {4}at /);
  t.false(fs.existsSync(out));
  t.deepEqual(fs.readdirSync(dir), ['model.tflite'], 'no temporary folder is left behind');
});
