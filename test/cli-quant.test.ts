/** `edgec build --quantize int8|w4` end to end: calibration, mixed precision, reports, inspect --quant, and errors. */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { makeModel } from './helpers/onnx-builder.js';
import { randn } from './helpers/graph.js';
import { writeNpy } from '../src/util/npy.js';

const BIN = path.resolve('bin/edgec.js');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-cliq-'));

function edgec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [BIN, ...args], { timeout: 300_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Conv → HardSwish → Conv → Relu → GlobalAveragePool → Gemm: int8 kernels, a table op and a requantized Gemm. */
function convNet(dir: string): string {
  const f = path.join(dir, 'net.onnx');
  fs.writeFileSync(f, makeModel({
    inputs: [{ name: 'x', dims: [1, 3, 16, 16] }],
    initializers: {
      w1: { dims: [8, 3, 3, 3], data: randn(216, 1) }, b1: { dims: [8], data: randn(8, 2) },
      w2: { dims: [8, 8, 3, 3], data: Float32Array.from(randn(576, 3), (v) => v * 0.3) }, b2: { dims: [8], data: randn(8, 4) },
      fw: { dims: [8, 10], data: randn(80, 5) }, fb: { dims: [10], data: randn(10, 6) },
    },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'HardSwish', inputs: ['c1'], outputs: ['h1'] },
      { op: 'Conv', inputs: ['h1', 'w2', 'b2'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'fw', 'fb'], outputs: ['y'] },
    ],
    outputs: ['y'],
  }));
  return f;
}

function calibFolder(dir: string, n: number, shape: number[], dtype: 'float32' | 'uint8' = 'float32'): string {
  const c = path.join(dir, `calib-${dtype}`);
  fs.mkdirSync(c);
  const size = shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) writeNpy(path.join(c, `${i}.npy`), dtype === 'float32' ? { dtype, shape, data: randn(size, 10 + i) } : { dtype, shape, data: new Uint8Array(size) });
  return c;
}

test('build --quantize int8 --verify: bit-exact artifact, int8 report, inspect --quant ranks tensors', async (t) => {
  const dir = tmp();
  const out = path.join(dir, 'out');
  const r = await edgec(['build', convNet(dir), '--quantize', 'int8', '--calib', calibFolder(dir, 8, [1, 3, 16, 16]), '--calib-method', 'percentile', '-o', out, '--verify']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /quantized int8 \(percentile calibration, 8 samples\)/);
  t.regex(r.stdout, /integer reference vs artifact: bit-exact/);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  t.true(report.verification.integer.bit_exact);
  t.true(report.quantization.tensors.length >= 5);
  t.true(report.quantization.nodes.some((n: { op: string; mode: string }) => n.op === 'HardSwish' && n.mode === 'table'));
  t.true(report.quantization.outputs[0].sqnr_db > 20, JSON.stringify(report.quantization.outputs));
  const ins = await edgec(['inspect', out, '--quant']);
  t.is(ins.code, 0, ins.stderr);
  t.regex(ins.stdout, /tensor \(lowest SQNR first\)/);
});

test('build --quantize int8 --min-sqnr keeps sensitive layers float and reports each step', async (t) => {
  const dir = tmp();
  const out = path.join(dir, 'out');
  const r = await edgec(['build', convNet(dir), '--quantize', 'int8', '--calib', calibFolder(dir, 4, [1, 3, 16, 16]), '--min-sqnr', '90', '-o', out, '--verify']);
  t.is(r.code, 0, r.stderr);
  const q = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).quantization;
  t.true(q.mixed_precision.steps.length > 0);
  t.true(q.mixed_precision.steps.some((s: { kept: boolean }) => s.kept));
  // The first step gives the most sensitive layer int16 activations (it and its readers), before any float island.
  t.deepEqual(q.mixed_precision.steps[0], { ...q.mixed_precision.steps[0], precision: 'int16', kept: true });
  t.true(q.int16_nodes.length >= 2, JSON.stringify(q.int16_nodes));
  t.regex(r.stdout, /mixed precision \(min SQNR 90 dB/);
  // Whether the target was reached is reported, and a miss is said on the console.
  t.is(q.mixed_precision.reached, q.outputs.every((o: { sqnr_db: number }) => o.sqnr_db >= 90));
  t.is(/warning: the output reaches .* below --min-sqnr 90 dB/.test(r.stdout), !q.mixed_precision.reached, r.stdout);
});

test('build --quantize int8 --min-sqnr that no mix reaches: reached false in the report and a warning naming the flags', async (t) => {
  const dir = tmp();
  const out = path.join(dir, 'out');
  const r = await edgec(['build', convNet(dir), '--quantize', 'int8', '--calib', calibFolder(dir, 4, [1, 3, 16, 16]), '--min-sqnr', '500', '-o', out]);
  t.is(r.code, 0, r.stderr);
  const q = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).quantization;
  t.false(q.mixed_precision.reached);
  t.regex(r.stdout, /warning: the output reaches [\d.]+ dB, below --min-sqnr 500 dB, after \d+ steps; name the layers with --int16 or --keep-float/);
});

test('build --quantize int8 --int16: 16x8 Conv and an int16 HardSwish table, bit-exact, closer to float than int8', async (t) => {
  const dir = tmp();
  const calib = calibFolder(dir, 4, [1, 3, 16, 16]);
  const run = async (name: string, extra: string[]) => {
    const out = path.join(dir, name);
    const r = await edgec(['build', convNet(dir), '--quantize', 'int8', '--calib', calib, '-o', out, '--verify', ...extra]);
    t.is(r.code, 0, r.stderr);
    return JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  };
  const int8 = await run('int8', []);
  const wide = await run('int16', ['--int16', 'Conv_0,Conv_0_HardSwish,Conv_2']);
  t.true(wide.verification.integer.bit_exact);
  t.deepEqual(wide.quantization.int16_nodes, ['Conv_0', 'Conv_0_HardSwish', 'Conv_2']);
  const sq = (r: { quantization: { outputs: { sqnr_db: number }[] } }) => r.quantization.outputs[0].sqnr_db;
  t.log(`output SQNR: int8 ${sq(int8).toFixed(2)} dB, first layers on int16 activations ${sq(wide).toFixed(2)} dB`);
  t.true(sq(wide) > sq(int8) + 3, `${sq(wide)} vs ${sq(int8)}`);
  // An int16 output read by int8 nodes is requantized for them (the HardSwish stays an int8 table, not a float island).
  const edge = await run('edge', ['--int16', 'Conv_0']);
  t.true(edge.verification.integer.bit_exact);
  t.deepEqual(edge.quantization.int16_nodes, ['Conv_0']);
  t.true(edge.quantization.nodes.some((n: { op: string; mode: string }) => n.op === 'HardSwish' && n.mode === 'table'));
  t.is(edge.quantization.float_islands.length, int8.quantization.float_islands.length);
  const bad = await edgec(['build', convNet(dir), '--quantize', 'int8', '--calib', calib, '-o', path.join(dir, 'bad'), '--int16', 'GlobalAveragePool_4']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /node 'GlobalAveragePool_4' \(GlobalAveragePool\) has no int16-activation form/);
});

test('build --quantize int8 --int8-rounding gptq --bias-correction: bit-exact, reported, no worse than nearest rounding', async (t) => {
  const dir = tmp();
  const calib = calibFolder(dir, 8, [1, 3, 16, 16]);
  const run = async (name: string, extra: string[]) => {
    const out = path.join(dir, name);
    const r = await edgec(['build', convNet(dir), '--quantize', 'int8', '--calib', calib, '-o', out, '--verify', ...extra]);
    t.is(r.code, 0, r.stderr);
    return JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  };
  const plain = await run('plain', []);
  const refined = await run('refined', ['--int8-rounding', 'gptq', '--bias-correction']);
  t.is(plain.quantization.weight_rounding, 'nearest');
  t.false(plain.quantization.bias_correction);
  t.is(refined.quantization.weight_rounding, 'gptq');
  t.true(refined.quantization.bias_correction);
  t.true(refined.verification.integer.bit_exact);
  const sq = (r: { quantization: { outputs: { sqnr_db: number }[] } }) => r.quantization.outputs[0].sqnr_db;
  t.log(`output SQNR on the calibration inputs: nearest ${sq(plain).toFixed(2)} dB, GPTQ + bias correction ${sq(refined).toFixed(2)} dB`);
  t.true(sq(refined) >= sq(plain) - 0.5, `${sq(refined)} vs ${sq(plain)}`);
});

test('build --quantize w4 replaces a large Gemm by int4 weights and verifies against its own reference', async (t) => {
  const dir = tmp();
  const f = path.join(dir, 'fc.onnx');
  fs.writeFileSync(f, makeModel({
    inputs: [{ name: 'x', dims: [4, 128] }],
    initializers: { w: { dims: [128, 64], data: randn(8192, 3) }, b: { dims: [64], data: randn(64, 4) } },
    nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['y'] }],
    outputs: ['y'],
  }));
  const out = path.join(dir, 'out');
  const r = await edgec(['build', f, '--quantize', 'w4', '--w4-group', '32', '--calib', calibFolder(dir, 16, [4, 128]), '-o', out, '--verify']);
  t.is(r.code, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  t.is(report.w4.layers.length, 1);
  t.true(report.w4.layers[0].bytes_after <= 0.16 * report.w4.layers[0].bytes_before);
  t.true(report.verification.passed);
  t.true(report.verification.against_float[0].sqnr_db > 15, JSON.stringify(report.verification.against_float));
});

test('quantization errors name the problem and leave no output folder', async (t) => {
  const dir = tmp();
  const model = convNet(dir);
  const out = path.join(dir, 'out');
  const noCalib = await edgec(['build', model, '--quantize', 'int8', '-o', out]);
  t.is(noCalib.code, 1);
  t.regex(noCalib.stderr, /--quantize int8 needs calibration inputs: --calib/);
  const bad = await edgec(['build', model, '--quantize', 'int8', '--calib', calibFolder(dir, 2, [1, 3, 16, 16], 'uint8'), '-o', out]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /calibration file .*0\.npy is uint8\[1x3x16x16\]; input 'x' wants float32/);
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  const none = await edgec(['build', model, '--quantize', 'int8', '--calib', empty, '-o', out]);
  t.regex(none.stderr, /calibration set is empty/);
  t.false(fs.existsSync(out));
  t.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.out')), []);
});
