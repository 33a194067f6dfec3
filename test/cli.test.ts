/** The edgec command line end to end: build --verify, run, inspect, targets, and errors for people. */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { edgec } from './helpers/cli.js';
import { makeModel } from './helpers/onnx-builder.js';
import { randn } from './helpers/graph.js';
import { writeNpy, readNpy } from '../src/util/npy.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-cli-'));

/** A small conv net with a symbolic batch dim. */
function smallModel(dir: string): string {
  const f = path.join(dir, 'small.onnx');
  fs.writeFileSync(f, makeModel({
    inputs: [{ name: 'x', dims: ['N', 3, 8, 8] }],
    initializers: { w: { dims: [4, 3, 3, 3], data: randn(108, 2) }, b: { dims: [4], data: [0.1, 0.2, -0.1, 0] } },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'GlobalAveragePool', inputs: ['r'], outputs: ['y'] },
    ],
    outputs: ['y'],
  }));
  return f;
}

test('build --verify writes the artifact and a passing report; run executes it on .npy inputs', async (t) => {
  const dir = tmp();
  const model = smallModel(dir);
  const out = path.join(dir, 'out');
  const r = await edgec(['build', model, '--input-shape', 'x=1x3x8x8', '-o', out, '--verify']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /PASS/);
  for (const f of ['model.c', 'model.h', 'model_weights.c', 'edgec_runtime.h', 'report.json', 'edgec.json']) t.true(fs.existsSync(path.join(out, f)), f);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  t.true(report.verification.passed);
  t.is(report.params, 108 + 4);
  // Weights are stored packed into the SGEMM's panel layout: at least the raw bytes, padded at most to whole panels.
  t.true(report.sizes.arena_bytes > 0 && report.sizes.weights_bytes >= 112 * 4 && report.sizes.weights_bytes <= 2 * 112 * 4, String(report.sizes.weights_bytes));
  t.true(report.macs > 0);
  t.regex(fs.readFileSync(path.join(out, 'model.h'), 'utf8'), /#define MODEL_ARENA_SIZE \d+/);

  const a = path.join(dir, 'a.npy');
  const b = path.join(dir, 'b.npy');
  writeNpy(a, { dtype: 'float32', shape: [1, 3, 8, 8], data: randn(192, 4) });
  writeNpy(b, { dtype: 'float32', shape: [1, 3, 8, 8], data: randn(192, 5) });
  const preds = path.join(dir, 'preds');
  const run = await edgec(['run', out, '--input', a, '--input', b, '--output-dir', preds]);
  t.is(run.code, 0, run.stderr);
  const files = fs.readdirSync(preds).sort();
  t.deepEqual(files, ['0000-a-y.npy', '0001-b-y.npy']);
  t.deepEqual(readNpy(path.join(preds, files[0])).shape, [1, 4, 1, 1]);
});

test('verification failure exits non-zero and says so', async (t) => {
  const dir = tmp();
  const r = await edgec(['build', smallModel(dir), '--input-shape', 'x=1x3x8x8', '-o', path.join(dir, 'out'), '--verify', '--tolerance', '-1']);
  t.is(r.code, 1);
  t.regex(r.stderr, /verification failed/);
});

const errorCases: [string, (dir: string) => string[], RegExp][] = [
  ['a truncated model', (d) => { const f = path.join(d, 't.onnx'); fs.writeFileSync(f, fs.readFileSync(smallModel(d)).subarray(0, 100)); return ['build', f, '-o', path.join(d, 'out')]; }, /not a valid ONNX model/],
  ['a file that is not ONNX', (d) => { const f = path.join(d, 'x.onnx'); fs.writeFileSync(f, 'hello, this is text\n'); return ['build', f, '-o', path.join(d, 'out')]; }, /not a valid ONNX model/],
  ['a missing --input-shape', (d) => ['build', smallModel(d), '-o', path.join(d, 'out')], /input 'x' has symbolic dims .* --input-shape x=Nx3x8x8/],
  ['a wrong-rank --input-shape', (d) => ['build', smallModel(d), '--input-shape', 'x=1x3x8', '-o', path.join(d, 'out')], /declares rank 4/],
  ['an --input-shape naming no input', (d) => ['build', smallModel(d), '--input-shape', 'y=1x3x8x8', '-o', path.join(d, 'out')], /model's inputs are: x/],
  ['unsupported ops (all listed)', (d) => {
    const f = path.join(d, 'u.onnx');
    fs.writeFileSync(f, makeModel({ inputs: [{ name: 'x', dims: [4] }], nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['a'] }, { op: 'Det', inputs: ['a'], outputs: ['b'], name: 'det1' },
      { op: 'NonZero', inputs: ['b'], outputs: ['y'], name: 'nz' }], outputs: ['y'] }));
    return ['build', f, '-o', path.join(d, 'out')];
  }, /unsupported ops at opset 17: Det \(node 'det1'\), NonZero \(node 'nz'\)/],
  ['an unwritable output directory', (d) => { const f = path.join(d, 'file'); fs.writeFileSync(f, ''); return ['build', smallModel(d), '--input-shape', 'x=1x3x8x8', '-o', path.join(f, 'out')]; }, /cannot write to output directory/],
  ['an unknown target', (d) => ['build', smallModel(d), '--target', 'nope', '-o', path.join(d, 'out')], /unknown target 'nope'; known targets: c/],
];

for (const [what, args, message] of errorCases) {
  test(`one clear line and nothing written for ${what}`, async (t) => {
    const dir = tmp();
    const r = await edgec(args(dir));
    t.is(r.code, 1);
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.notRegex(r.stderr, /    at /, 'no stack trace');
    t.false(fs.existsSync(path.join(dir, 'out')));
    t.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  });
}

test('inspect shows shapes, params and MACs per layer; targets lists target files', async (t) => {
  const dir = tmp();
  const r = await edgec(['inspect', smallModel(dir), '--input-shape', 'x=1x3x8x8']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /inputs: +x: float32\[1x3x8x8\]/);
  t.regex(r.stdout, /Conv .* 1x4x8x8 .* 112 .* 6,912/);
  const unbound = await edgec(['inspect', smallModel(dir)]);
  t.regex(unbound.stdout, /x\[Nx3x8x8\]/);
  const tg = await edgec(['targets']);
  t.regex(tg.stdout, /^c +c /m);
});
