/** The wasm target: a freestanding model.wasm compiled in-process, its loader (API and errors), PP-OCR cls in float
 * (against onnxruntime) and int8 (bit-exact with the integer reference), int8 layers on the SIMD128 vocabulary, and the
 * browser example driven in headless Chromium. */
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Graph, Value } from '../src/ir/types.js';
import { build, type BuildReport } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import { wasmRunner } from '../src/runners/wasm.js';
import { compareValues } from '../src/verify/metrics.js';
import { writeNpy } from '../src/util/npy.js';
import { REAL_MODELS } from './helpers/models.js';
import { haveOcrLines, recInput } from './helpers/ocr-inputs.js';
import { runOrt } from './helpers/ort.js';
import { edgec } from './helpers/cli.js';
import { assertBitExact, qgraph, qp, randInts, type TensorSpec } from './helpers/qgraph.js';
import { assertSpread, flt, int, ints, layersGraph, str, type QLayer } from './helpers/qlayers.js';
import { vqElementwiseGraph, vqLinalgGraph, vqPoolGraph, vqSoftmaxGraph } from './helpers/vq-cases.js';
import { browserUnavailable, classifyInBrowser, writeLineBmp } from './helpers/browser.js';
import { checkFloatConvs, type FloatConv } from './helpers/float-convs.js';

const CLS = REAL_MODELS.find((m) => m.name === 'ppocr-cls')!;
const SHAPES = { [CLS.input]: CLS.shape };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-wasm-test-'));
const noClang = await wasmRunner.unavailable(getTarget('wasm'));
const noData = haveOcrLines() ? undefined : 'the OCR line images in ../shared/data/ocr_lines';
const skipWhy = noClang ?? noData;
/** A test, or a skipped one whose title says what is missing. */
const run = (title: string, fn: (t: ExecutionContext) => Promise<void>) => (skipWhy ? test.skip(`${title} [skipped: needs ${skipWhy}]`, fn) : test(title, fn));

test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The loader module of an artifact folder, as an application imports it. */
interface Loaded {
  inputs: readonly { name: string; shape: readonly number[]; dtype: string }[];
  outputs: readonly { name: string; shape: readonly number[]; dtype: string }[];
  run(...xs: unknown[]): Float32Array;
}
async function loadArtifact(dir: string, source?: unknown): Promise<Loaded> {
  const mod = (await import(pathToFileURL(path.join(dir, 'model.js')).href)) as { load(s?: unknown): Promise<Loaded> };
  return mod.load(source);
}

const line = () => recInput(5, 192);
/** The float cls artifact, built once and shared by the tests below. */
let floatBuild: Promise<{ dir: string; report: BuildReport }> | undefined;
function clsFloat() {
  floatBuild ??= (async () => {
    const dir = path.join(tmp, 'cls');
    const report = await build({ model: CLS.file, outDir: dir, target: 'wasm', inputShapes: SHAPES, verify: true, verifyInputs: [line()] });
    return { dir, report };
  })();
  return floatBuild;
}

run('cls float: verified, freestanding module with the weights inside and memory sized at build time', async (t) => {
  const { dir, report } = await clsFloat();
  t.true(report.ok);
  const err = report.verification!.outputs[0].rel_l2_err;
  t.log(`rel_l2 vs float reference ${err.toExponential(2)}; model.wasm ${report.bundle!.bytes} bytes (weights ${report.sizes.weights_bytes}, code ${report.sizes.code_bytes})`);
  t.true(err <= 1e-5);
  for (const f of ['model.wasm', 'model.js', 'model.d.ts', 'package.json', 'report.json']) t.true(fs.existsSync(path.join(dir, f)), f);
  const bytes = fs.readFileSync(path.join(dir, 'model.wasm'));
  t.is(report.bundle!.bytes, bytes.byteLength);
  t.is(JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')).bundle.bytes, bytes.byteLength);
  t.true(bytes.byteLength > report.sizes.weights_bytes, 'the weights are inside the module');
  const mod = new WebAssembly.Module(bytes);
  t.deepEqual(WebAssembly.Module.imports(mod), [], 'no imports (no WASI, no libc)');
  const mem = (new WebAssembly.Instance(mod).exports as { memory: WebAssembly.Memory }).memory;
  t.true(mem.buffer.byteLength >= report.sizes.arena_bytes + report.sizes.weights_bytes);
  t.throws(() => mem.grow(1), { instanceOf: RangeError }, 'memory is fixed at build time');
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  t.is(pkg.type, 'module');
  t.deepEqual(pkg.files.sort(), ['model.d.ts', 'model.js', 'model.wasm']);
  // The module against onnxruntime on a real line image.
  const m = await loadArtifact(dir);
  const x = line();
  const got: Value = { dtype: 'float32', shape: [1, 2], data: m.run(x.data).slice() };
  const ort = await runOrt(CLS.file, { [CLS.input]: x });
  const o = Object.keys(ort)[0];
  const vsOrt = compareValues(o, got, ort[o]).rel_l2_err;
  t.log(`rel_l2 vs onnxruntime ${vsOrt.toExponential(2)}`);
  t.true(vsOrt <= 1e-5);
});

run('loader: I/O description, one output buffer reused across runs, clear errors for wrong inputs', async (t) => {
  const { dir } = await clsFloat();
  const m = await loadArtifact(dir, fs.readFileSync(path.join(dir, 'model.wasm')));
  t.deepEqual(JSON.parse(JSON.stringify(m.inputs)), [{ name: 'x', shape: [1, 3, 48, 192], dtype: 'float32' }]);
  t.deepEqual(m.outputs.map((o) => [o.shape, o.dtype]), [[[1, 2], 'float32']]);
  t.true(Object.isFrozen(m.inputs[0].shape));
  const x = line().data as Float32Array;
  const y1 = m.run(x);
  const first = Array.from(y1);
  const y2 = m.run(new Float32Array(x.length));
  t.is(y2, y1, 'the same output view every run (no allocation per call)');
  t.notDeepEqual(Array.from(y2), first);
  t.deepEqual(Array.from(m.run(x)), first, 'runs are independent');
  t.throws(() => m.run(new Float64Array(x.length)), { instanceOf: TypeError, message: /input 0 \('x'\) must be a Float32Array \(float32\[1x3x48x192\]\), got a Float64Array/ });
  t.throws(() => m.run(new Float32Array(10)), { instanceOf: RangeError, message: /must have 27648 elements .* got 10/ });
  t.throws(() => m.run(Array.from(x)), { instanceOf: TypeError, message: /plain Array/ });
  t.throws(() => m.run(), { instanceOf: TypeError, message: /expected 1 input\(s\) \(x\), got 0/ });
  t.throws(() => m.run(x, x), { instanceOf: TypeError, message: /got 2/ });
  const types = fs.readFileSync(path.join(dir, 'model.d.ts'), 'utf8');
  t.regex(types, /run\(x0: Float32Array\): Float32Array;/);
});

run('edgec run executes a wasm artifact in Node', async (t) => {
  const { dir } = await clsFloat();
  const stamp = fs.statSync(path.join(dir, 'model.wasm')).mtimeMs;
  const inp = path.join(tmp, 'line.npy');
  writeNpy(inp, line());
  const r = await edgec(['run', dir, '--input', inp, '--output-dir', path.join(tmp, 'preds')]);
  t.is(r.code, 0, r.stderr);
  const out = fs.readdirSync(path.join(tmp, 'preds'));
  t.is(out.length, 1);
  t.is(fs.statSync(path.join(dir, 'model.wasm')).mtimeMs, stamp, 'an up-to-date module is not recompiled');
  const bad = await edgec(['build', CLS.file, '--input-shape', 'x=1x3x48x192', '--target', 'wasm', '-o', path.join(tmp, 'never'), '--verify', '--sanitize']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /--sanitize is not available for target 'wasm'/);
  t.false(fs.existsSync(path.join(tmp, 'never')), 'nothing half-written');
});

run('cls int8: the wasm module equals the integer reference bit for bit', async (t) => {
  const calib = path.join(tmp, 'calib');
  fs.mkdirSync(calib);
  for (let i = 0; i < 6; i++) writeNpy(path.join(calib, `${i}.npy`), recInput(16 + i, 192));
  const report = await build({ model: CLS.file, outDir: path.join(tmp, 'cls8'), target: 'wasm', inputShapes: SHAPES, verify: true, verifyInputs: [line()], quantize: 'int8', calib });
  const v = report.verification!;
  t.log(`int8: ${report.quantization!.float_islands.length} float islands; SQNR vs float ${v.against_float![0].sqnr_db} dB; model.wasm ${report.bundle!.bytes} bytes`);
  t.true(v.integer!.bit_exact);
  t.true(report.ok);
  t.true(v.against_float![0].sqnr_db > 25);
});

/** Convs of every kind the SIMD128 int8 kernels take (dot-product GEMM, im2col, groups, depthwise), Gemm/MatMul and ConvTranspose. */
const INT8_LAYERS: QLayer[] = [
  { op: 'Conv', x: [1, 8, 12, 12], w: [16, 8, 3, 3], attrs: { pads: ints(1, 1, 1, 1) }, axis: 0, zx: -3, zy: 5, k: 72 },
  { op: 'Conv', x: [1, 24, 10, 10], w: [40, 24, 1, 1], axis: 0, zx: 7, k: 24 },
  { op: 'Conv', x: [1, 7, 5, 9], w: [13, 7, 1, 1], axis: 0, zx: -20, zy: 3, k: 7 },
  { op: 'Conv', x: [1, 5, 13, 11], w: [7, 5, 3, 3], attrs: { pads: ints(1, 1, 1, 1), strides: ints(2, 2) }, axis: 0, zx: 9, k: 45 },
  { op: 'Conv', x: [1, 6, 11, 9], w: [9, 2, 3, 3], attrs: { pads: ints(1, 1, 1, 1), group: int(3) }, axis: 0, zx: 2, k: 18 },
  { op: 'Conv', x: [1, 12, 17, 19], w: [12, 1, 3, 3], attrs: { pads: ints(1, 1, 1, 1), group: int(12) }, axis: 0, zx: 2, k: 9 },
  { op: 'Conv', x: [1, 10, 16, 15], w: [10, 1, 5, 5], attrs: { pads: ints(2, 2, 2, 2), strides: ints(2, 2), group: int(10) }, axis: 0, zx: -7, k: 25 },
  { op: 'Gemm', x: [5, 40], w: [40, 24], axis: 1, zx: 3, k: 40 },
  { op: 'MatMul', x: [1, 9, 33], w: [33, 20], axis: 1, zx: -11, k: 33 },
  // 2x2 stride-2 ConvTranspose (rows interleaved 16 bytes at a time, then a tail of 5).
  { op: 'ConvTranspose', x: [1, 8, 3, 37], w: [8, 6, 2, 2], attrs: { strides: ints(2, 2) }, axis: 1, zx: 1, k: 8 },
  // Winograd F(2x2, 3x3) on the int16 GEMM tile (odd output size, 10 rows: a partial 6-row tile), with a Relu clamp
  // and a per-tensor weight zero point.
  { op: 'Conv', x: [1, 16, 11, 13], w: [10, 16, 3, 3], attrs: { pads: ints(1, 1, 1, 1) }, axis: 0, zx: -5, zy: 4, act: 'Relu', k: 144 },
  { op: 'Conv', x: [1, 9, 9, 8], w: [8, 9, 3, 3], attrs: { pads: ints(1, 1, 1, 1) }, wz: 3, zx: 6, k: 81 },
  // Overlapping taps: the int16 GEMM into int32 columns, then col2im.
  { op: 'ConvTranspose', x: [1, 8, 5, 7], w: [8, 6, 3, 3], attrs: { strides: ints(2, 2), pads: ints(1, 1, 1, 1) }, axis: 1, zx: -2, k: 18 },
];

run('int8 layers on the SIMD128 vocabulary equal the integer reference bit for bit', async (t) => {
  const { g, feeds } = layersGraph(INT8_LAYERS, 3);
  const ref = await assertBitExact(t, g, feeds, { target: 'wasm' });
  assertSpread(t, ref);
});

/** Concat requantizing a large int8 input through a 256-code table (two rows of 1300 bytes), copying an input with
 * the output's parameters and requantizing a small one element by element. */
function concatGraph(): { g: Graph; feeds: Record<string, Value> } {
  const i8 = (shape: number[], scale: number, zp: number): TensorSpec => ({ dtype: 'int8', shape, quant: qp(scale, zp) });
  const inputs = { a: i8([2, 4, 13, 25], 0.05, 3), c: i8([2, 2, 13, 25], 0.1, 7), d: i8([2, 1, 13, 25], 0.01, 0) };
  const g = qgraph({
    inputs,
    quant: { y: qp(0.1, 7) },
    nodes: [{ op: 'Concat', inputs: ['a', 'c', 'd'], outputs: ['y'], attrs: { axis: int(1) } }],
    outputs: ['y'],
  });
  const feeds = Object.fromEntries(['a', 'c', 'd'].map((n, i) => {
    const shape = inputs[n as 'a' | 'c' | 'd'].shape;
    return [n, { dtype: 'int8' as const, shape, data: randInts('int8', shape.reduce((x, y) => x * y, 1), -128, 127, 60 + i) }];
  }));
  return { g, feeds };
}

run('int8 elementwise, pooling, Softmax, Concat and Gemm/MatMul on the SIMD128 vocabulary equal the integer reference bit for bit', async (t) => {
  for (const [make, spread] of [[vqElementwiseGraph, 8], [vqPoolGraph, 8], [vqSoftmaxGraph, 4], [vqLinalgGraph, 8], [concatGraph, 8]] as const) {
    const { g, feeds } = make();
    const ref = await assertBitExact(t, g, feeds, { target: 'wasm' });
    assertSpread(t, ref, spread);
  }
});

const pad1 = { pads: ints(1, 1, 1, 1) };
/** Float layers of every kernel the SIMD128 vocabulary runs, at the edges of its register passes and chunks. */
const FLOAT_LAYERS: FloatConv[] = [
  // SGEMM: 2-row passes over 6-row tiles with M = 13 (a last tile of one row: its other passes skipped), ragged
  // columns (N = 7*9) and K; full tiles with each in-register activation; Sigmoid through the tile buffer.
  { x: [1, 5, 7, 9], w: [13, 5, 3, 3], attrs: pad1 },
  { x: [1, 16, 8, 16], w: [24, 16, 1, 1], attrs: { act: str('HardSwish') } },
  { x: [1, 24, 6, 10], w: [18, 24, 1, 1], attrs: { act: str('Clip'), act_alpha: flt(-0.5), act_beta: flt(0.75) } },
  { x: [1, 8, 4, 8], w: [14, 8, 1, 1], attrs: { act: str('LeakyRelu'), act_alpha: flt(0.1) } },
  { x: [1, 12, 4, 16], w: [12, 12, 1, 1], attrs: { act: str('Sigmoid') } },
  // K past one cache block (KC = 256): the second block accumulates into C.
  { x: [1, 600, 2, 9], w: [7, 600, 1, 1], attrs: { act: str('Relu') } },
  { x: [1, 3, 17, 16], w: [8, 3, 3, 3], attrs: { ...pad1, strides: ints(2, 2), act: str('Relu') } },
  // Winograd F(2x2, 3x3) (odd output size) and the GEMM + col2im ConvTranspose.
  { x: [1, 9, 11, 13], w: [10, 9, 3, 3], attrs: { ...pad1, act: str('HardSwish') } },
  { op: 'ConvTranspose', x: [1, 8, 5, 7], w: [8, 3, 2, 2], attrs: { strides: ints(2, 2), act: str('Relu') } },
  // Depthwise in 16-column chunks: tails of 13 and 5 columns, whole chunks, two-row pairs (5x5), stride 2.
  { x: [1, 6, 11, 45], w: [6, 1, 3, 3], attrs: { ...pad1, group: int(6), act: str('Relu') } },
  { x: [1, 4, 13, 37], w: [4, 1, 5, 5], attrs: { pads: ints(2, 2, 2, 2), group: int(4) } },
  { x: [1, 3, 9, 32], w: [3, 1, 5, 5], attrs: { pads: ints(2, 2, 2, 2), group: int(3), act: str('HardSwish') } },
  { x: [1, 5, 12, 21], w: [5, 1, 3, 3], attrs: { ...pad1, group: int(5), strides: ints(2, 2), act: str('HardSwish') } },
];

run('float layers on the SIMD128 vocabulary match the reference', (t) => checkFloatConvs(t, FLOAT_LAYERS, 'wasm'));

const noBrowser = skipWhy ?? browserUnavailable();
const browserTitle = 'browser example: headless Chromium shows the direction of an upright and an upside-down line';
(noBrowser ? test.skip : test)(noBrowser ? `${browserTitle} [skipped: needs ${noBrowser}]` : browserTitle, async (t) => {
  const { dir } = await clsFloat();
  const images = path.join(tmp, 'images');
  fs.mkdirSync(images);
  writeLineBmp(path.join(images, 'upright.bmp'), 7, false);
  writeLineBmp(path.join(images, 'flipped.bmp'), 7, true);
  const shown = await classifyInBrowser(dir, images, ['upright.bmp', 'flipped.bmp']);
  t.log(shown.map((s) => `${s.image}: ${s.text}`).join('; '));
  t.deepEqual(shown.map((s) => s.angle), ['0', '180']);
});
