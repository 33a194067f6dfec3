/** The aarch64 NEON targets: vocabulary kernels (float and int8) under qemu with each board's CPU model against the
 * float and integer references, the portable vocabulary natively, and the real models built with --verify. */
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Graph, Value } from '../src/ir/types.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues, seededRandom } from '../src/verify/metrics.js';
import { build } from '../src/build.js';
import { getTarget, type Target } from '../src/targets/targets.js';
import { runnerFor } from '../src/runners/runner.js';
import { qemuCommand } from '../src/runners/qemu.js';
import { runProgram } from '../src/runners/native.js';
import { writeNpy } from '../src/util/npy.js';
import { assertBitExact, qgraph, qp, randInts } from './helpers/qgraph.js';
import { runC } from './helpers/c-run.js';
import { limit } from './helpers/limit.js';
import { assertSpread, int, ints, layersGraph, str, flt, type QLayer } from './helpers/qlayers.js';
import { REAL_MODELS } from './helpers/models.js';
import { vqElementwiseGraph, vqLinalgGraph, vqPoolGraph, vqSoftmaxGraph } from './helpers/vq-cases.js';
import { detInput, haveOcrLines, recInput } from './helpers/ocr-inputs.js';

const jobs = limit(2);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-neon-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The cross tools the qemu tests need that this machine lacks (checked synchronously: tests are declared at once). */
function missingTools(): string | undefined {
  const t = getTarget('rpi4');
  const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (!onPath(t.toolchain.cc)) return `${t.toolchain.cc} (Debian gcc-aarch64-linux-gnu)`;
  if (!onPath(t.qemu!.binary) || !fs.existsSync(t.qemu!.sysroot)) return `${t.qemu!.binary} and ${t.qemu!.sysroot} (Debian qemu-user, libc6-dev-arm64-cross)`;
  return undefined;
}
const missing = missingTools();
/** A test that needs the cross tools: skipped with the reason printed when they are missing. */
const qemuTest = (title: string, fn: (t: ExecutionContext) => Promise<void>) =>
  missing ? test.skip(`${title} (skipped: needs ${missing})`, () => {}) : test(title, fn);
if (missing) console.log(`target-neon: qemu tests skipped, needs ${missing}`);

/** The native target with the portable (scalar) vocabulary: the same kernels in plain C. */
const portable: Target = { ...getTarget('c'), name: 'c-vocab-scalar', simd: 'scalar' };

// ---- float32 kernels ----

function uniform(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => rnd() * 2 - 1);
}

interface FloatConv {
  x: number[];
  w: number[];
  attrs?: Graph['nodes'][number]['attrs'];
}

/** Independent float Conv nodes (bias, optional fused activation) in one graph, with seeded feeds. */
function floatConvs(cases: FloatConv[]): { g: Graph; feeds: Record<string, Value> } {
  const inputs: Record<string, { dtype: 'float32'; shape: number[] }> = {};
  const consts: Record<string, { dtype: 'float32'; shape: number[]; data: Float32Array }> = {};
  const feeds: Record<string, Value> = {};
  const nodes = cases.map((c, i) => {
    inputs[`x${i}`] = { dtype: 'float32', shape: c.x };
    feeds[`x${i}`] = { dtype: 'float32', shape: c.x, data: uniform(c.x.reduce((a, b) => a * b, 1), 10 + i) };
    consts[`w${i}`] = { dtype: 'float32', shape: c.w, data: uniform(c.w.reduce((a, b) => a * b, 1), 100 + i) };
    consts[`b${i}`] = { dtype: 'float32', shape: [c.w[0]], data: uniform(c.w[0], 200 + i) };
    return { op: 'Conv', inputs: [`x${i}`, `w${i}`, `b${i}`], outputs: [`y${i}`], attrs: c.attrs ?? {} };
  });
  return { g: qgraph({ inputs, consts, nodes, outputs: cases.map((_, i) => `y${i}`) }), feeds };
}

async function checkFloat(t: ExecutionContext, cases: FloatConv[], target: string | Target): Promise<void> {
  const { g, feeds } = floatConvs(cases);
  const ref = runReference(g, feeds);
  const got = await jobs(() => runC(g, feeds, { target }));
  for (const o of g.outputs) {
    const m = compareValues(o, got[o], ref[o]);
    t.true(m.rel_l2_err < 1e-5, `${o}: rel_l2 ${m.rel_l2_err}`);
  }
}

const pad1 = { pads: ints(1, 1, 1, 1) };
const FLOAT_CASES: FloatConv[] = [
  // SGEMM micro-kernel: ragged rows (M = 13), columns (N = 7*9) and K; full tiles with HardSwish in registers.
  { x: [1, 5, 7, 9], w: [13, 5, 3, 3], attrs: pad1 },
  { x: [1, 16, 8, 16], w: [24, 16, 1, 1], attrs: { act: str('HardSwish') } },
  { x: [1, 24, 6, 10], w: [18, 24, 1, 1], attrs: { act: str('Clip'), act_alpha: flt(-0.5), act_beta: flt(0.75) } },
  { x: [1, 3, 17, 16], w: [8, 3, 3, 3], attrs: { ...pad1, strides: ints(2, 2), act: str('Relu') } },
  // Depthwise chunks: 32-column bodies, 1-4 column tails, two-row pairs (5x5), stride 2.
  { x: [1, 6, 11, 45], w: [6, 1, 3, 3], attrs: { ...pad1, group: int(6), act: str('Relu') } },
  { x: [1, 4, 13, 37], w: [4, 1, 5, 5], attrs: { pads: ints(2, 2, 2, 2), group: int(4) } },
  { x: [1, 5, 12, 21], w: [5, 1, 3, 3], attrs: { ...pad1, group: int(5), strides: ints(2, 2), act: str('HardSwish') } },
];

qemuTest('float Conv (SGEMM and depthwise vocabulary kernels) under qemu cortex-a72 matches the reference', (t) => checkFloat(t, FLOAT_CASES, 'rpi4'));

test('float Conv on the portable vocabulary (native) matches the reference', (t) => checkFloat(t, FLOAT_CASES, portable));
test('float Conv on the native c target (kernels shared with the vocabulary, GNU vectors) matches the reference', (t) => checkFloat(t, FLOAT_CASES, 'c'));

// ---- int8 dot kernels ----

const INT8_CASES: QLayer[] = [
  // Pointwise: M = 13 (not a multiple of either tile height), N = 63 (ragged last panel), K = 7 (ragged last quad).
  { op: 'Conv', x: [1, 7, 7, 9], w: [13, 7, 1, 1], axis: 0, zx: -20, zy: 3, k: 7 },
  { op: 'Conv', x: [1, 64, 8, 12], w: [40, 64, 1, 1], axis: 0, zx: 4, k: 64, act: 'Relu' },
  // im2col: odd sizes, stride 2, groups, dilation, asymmetric pads, no bias, extreme zero points.
  { op: 'Conv', x: [1, 5, 13, 11], w: [7, 5, 3, 3], attrs: { pads: ints(1, 1, 1, 1), strides: ints(2, 2) }, axis: 0, zx: 9, k: 45 },
  { op: 'Conv', x: [1, 6, 11, 9], w: [9, 2, 3, 3], attrs: { pads: ints(1, 1, 1, 1), group: int(3) }, axis: 0, zx: -128, zy: 127, k: 18 },
  { op: 'Conv', x: [1, 6, 15, 14], w: [8, 6, 3, 3], attrs: { pads: ints(0, 1, 2, 1), dilations: ints(2, 2) }, axis: 0, zx: 127, k: 54, bias: null },
  { op: 'Conv', x: [2, 9, 13, 17], w: [11, 9, 3, 3], attrs: { pads: ints(0, 1, 2, 1) }, axis: 0, zx: 17, zy: -9, k: 81, act: 'Relu' },
  // Depthwise on the dot-product kernel (vqdwconv.h): stride 1 (row pairs) and 2, ragged 16-output chunks.
  { op: 'Conv', x: [1, 6, 11, 45], w: [6, 1, 3, 3], attrs: { pads: ints(1, 1, 1, 1), group: int(6) }, axis: 0, zx: -7, k: 9 },
  { op: 'Conv', x: [1, 5, 14, 37], w: [5, 1, 5, 5], attrs: { pads: ints(2, 2, 2, 2), strides: ints(2, 2), group: int(5) }, axis: 0, zx: 3, k: 25 },
];

async function checkInt8(t: ExecutionContext, target: string | Target): Promise<void> {
  const { g, feeds } = layersGraph(INT8_CASES, 7);
  const ref = await jobs(() => assertBitExact(t, g, feeds, { target }));
  assertSpread(t, ref);
}

qemuTest('int8 Conv on SDOT and depthwise (qemu cortex-a76, rpi5) is bit-exact with the integer reference', (t) => checkInt8(t, 'rpi5'));
qemuTest('int8 Conv on vmull_s8 + vpadalq_s16 (qemu cortex-a72, rpi4) is bit-exact with the integer reference', (t) => checkInt8(t, 'rpi4'));
test('int8 Conv on the portable vocabulary (native) is bit-exact with the integer reference', (t) => checkInt8(t, portable));

/** A LookupTable over 231 int8 values (14 whole vectors and a 7-value tail) with a seeded table. */
async function checkLut(t: ExecutionContext, target: string | Target): Promise<void> {
  const g = qgraph({
    inputs: { x: { dtype: 'int8', shape: [1, 3, 7, 11], quant: qp(0.05, 3) } },
    consts: { lut: { dtype: 'int8', shape: [256], data: randInts('int8', 256, -128, 127, 9) } },
    quant: { y: qp(0.04, -2) },
    nodes: [{ op: 'LookupTable', inputs: ['x', 'lut'], outputs: ['y'] }],
    outputs: ['y'],
  });
  const feeds = { x: { dtype: 'int8' as const, shape: [1, 3, 7, 11], data: randInts('int8', 231, -128, 127, 4) } };
  await jobs(() => assertBitExact(t, g, feeds, { target }));
}

qemuTest('int8 LookupTable in registers (TBL/TBX, qemu cortex-a72) equals the reference', (t) => checkLut(t, 'rpi4'));
test('int8 LookupTable on the portable vocabulary (native) equals the reference', (t) => checkLut(t, portable));

// ---- int8 elementwise, pooling and Gemm/MatMul on the vocabulary ----

/** Each graph with the distinct output values every output must reach (softmax codes crowd at -128). */
const VQ_GRAPHS = { elementwise: [vqElementwiseGraph, 8], pooling: [vqPoolGraph, 8], 'Gemm/MatMul': [vqLinalgGraph, 8], Softmax: [vqSoftmaxGraph, 4] } as const;
for (const [what, [make, spread]] of Object.entries(VQ_GRAPHS)) {
  const check = async (t: ExecutionContext, target: string | Target) => {
    const { g, feeds } = make();
    const ref = await jobs(() => assertBitExact(t, g, feeds, { target }));
    assertSpread(t, ref, spread);
  };
  qemuTest(`int8 ${what} on the vocabulary (qemu cortex-a76, rpi5) is bit-exact with the integer reference`, (t) => check(t, 'rpi5'));
  qemuTest(`int8 ${what} on the vocabulary (qemu cortex-a72, rpi4) is bit-exact with the integer reference`, (t) => check(t, 'rpi4'));
  test(`int8 ${what} on the portable vocabulary (native) is bit-exact with the integer reference`, (t) => check(t, portable));
}

// ---- real models ----

const model = (name: string) => REAL_MODELS.find((m) => m.name === name)!;

/** Calibration folder of `n` rendered text lines at width `w` (cls). */
function clsCalib(n: number, w: number): string {
  const dir = path.join(tmp, `calib-cls-${w}`);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir);
    for (let i = 0; i < n; i++) writeNpy(path.join(dir, `${i}.npy`), recInput(i, w));
  }
  return dir;
}

/** Calibration folder of seeded random features for the wake-word head. */
function wakeCalib(shape: number[], n: number): string {
  const dir = path.join(tmp, 'calib-wake');
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir);
    for (let i = 0; i < n; i++) writeNpy(path.join(dir, `${i}.npy`), { dtype: 'float32', shape, data: uniform(shape.reduce((a, b) => a * b, 1), 500 + i).map((v) => v * 4) });
  }
  return dir;
}

qemuTest('PP-OCR cls under qemu: float (rpi4) within 1e-4, int8 bit-exact (rpi5); the dotprod code traps on cortex-a72', async (t) => {
  const m = model('ppocr-cls');
  if (!fs.existsSync(m.file) || !haveOcrLines()) return t.log('skipped: PP-OCR cls or ../shared/data/ocr_lines missing');
  const shape = [1, 3, 48, 192];
  const x = recInput(3, 192);
  const [f, q] = await Promise.all([
    jobs(() => build({ model: m.file, outDir: path.join(tmp, 'cls-f'), target: 'rpi4', inputShapes: { x: shape }, verify: true, verifyInputs: [x] })),
    jobs(() => build({ model: m.file, outDir: path.join(tmp, 'cls-q'), target: 'rpi5', inputShapes: { x: shape }, quantize: 'int8', calib: clsCalib(8, 192), verify: true, verifyInputs: [x] })),
  ]);
  t.true(f.verification!.passed, JSON.stringify(f.verification!.outputs));
  t.true(q.verification!.integer!.bit_exact, JSON.stringify(q.verification!.integer));
  t.true(q.kernels.includes('qdot.h'), `int8 convs on the dot kernel (${q.kernels.join(', ')})`);
  t.log(`cls float rpi4: rel_l2 ${f.verification!.outputs[0].rel_l2_err.toExponential(2)}; int8 rpi5: bit-exact, SQNR vs float ${q.verification!.against_float![0].sqnr_db} dB`);
  // The rpi5 artifact uses SDOT: on the Pi 4's CPU model it must die with an illegal instruction, not run.
  const a72 = { ...getTarget('rpi5'), qemu: { ...getTarget('rpi5').qemu!, cpu: 'cortex-a72' } };
  const exe = path.join(tmp, 'cls-q', '.build', 'model');
  await t.throwsAsync(runProgram(qemuCommand(a72, exe), [x], [{ dtype: 'int8', shape: [1, 2] }]), { message: /failed/ });
});

qemuTest('openWakeWord hello_deepa under qemu: float (rpi5) within 1e-4, int8 bit-exact (rpi4)', async (t) => {
  const m = model('hello-deepa');
  if (!fs.existsSync(m.file)) return t.log('skipped: openwakeword-js model missing');
  const [f, q] = await Promise.all([
    jobs(() => build({ model: m.file, outDir: path.join(tmp, 'wake-f'), target: 'rpi5', inputShapes: { [m.input]: m.shape }, verify: true })),
    jobs(() => build({ model: m.file, outDir: path.join(tmp, 'wake-q'), target: 'rpi4', inputShapes: { [m.input]: m.shape }, quantize: 'int8', calib: wakeCalib(m.shape, 16), verify: true })),
  ]);
  t.true(f.verification!.passed, JSON.stringify(f.verification!.outputs));
  t.true(q.verification!.integer!.bit_exact, JSON.stringify(q.verification!.integer));
  t.log(`hello_deepa: float rel_l2 ${f.verification!.outputs[0].rel_l2_err.toExponential(2)}; int8 bit-exact, SQNR ${q.verification!.against_float![0].sqnr_db} dB`);
});

/** A calibration folder `name` of the given samples (written once). */
function calibDir(name: string, samples: () => Value[]): string {
  const dir = path.join(tmp, `calib-${name}`);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir);
    samples().forEach((v, i) => writeNpy(path.join(dir, `${i}.npy`), v));
  }
  return dir;
}

/** A det input of size x size: the top-left of a 320x320 page of text lines (from its first line down). */
function detCrop(first: number, size: number): Value {
  const page = detInput(first);
  const data = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < size; y++) data.set(page.data.subarray((c * 320 + 16 + y) * 320, (c * 320 + 16 + y) * 320 + size) as Float32Array, (c * size + y) * size);
  return { dtype: 'float32', shape: [1, 3, size, size], data };
}

/** Build a model in float on one target and in int8 on another with --verify: float within the default tolerance,
 * int8 bit-exact with the integer reference. */
async function floatAndInt8(t: ExecutionContext, name: string, shape: number[], input: Value, calib: string, floatTarget: string, int8Target: string): Promise<void> {
  const m = model(name);
  const common = { model: m.file, inputShapes: { [m.input]: shape }, verify: true, verifyInputs: [input] };
  const [f, q] = await Promise.all([
    jobs(() => build({ ...common, outDir: path.join(tmp, `${name}-f`), target: floatTarget })),
    jobs(() => build({ ...common, outDir: path.join(tmp, `${name}-q`), target: int8Target, quantize: 'int8', calib })),
  ]);
  t.true(f.verification!.passed, JSON.stringify(f.verification!.outputs));
  t.true(q.verification!.integer!.bit_exact, JSON.stringify(q.verification!.integer));
  t.true(q.kernels.includes('qdot.h'), `int8 convs on the dot kernel (${q.kernels.join(', ')})`);
  t.log(`${name} ${shape.join('x')}: float ${floatTarget} rel_l2 ${f.verification!.outputs[0].rel_l2_err.toExponential(2)}; int8 ${int8Target} bit-exact, SQNR vs float ${q.verification!.against_float![0].sqnr_db} dB`);
}

qemuTest('PP-OCRv4 det (a 96x96 crop) under qemu: float (rpi5) within 1e-4, int8 bit-exact (rpi4)', async (t) => {
  if (!fs.existsSync(model('ppocr-det').file) || !haveOcrLines()) return t.log('skipped: PP-OCR det or ../shared/data/ocr_lines missing');
  const calib = calibDir('det', () => [6, 30].map((i) => detCrop(i, 96)));
  await floatAndInt8(t, 'ppocr-det', [1, 3, 96, 96], detCrop(0, 96), calib, 'rpi5', 'rpi4');
});

qemuTest('PP-OCRv4 rec (one line) under qemu: float (rpi4) within 1e-4, int8 bit-exact (rpi5)', async (t) => {
  if (!fs.existsSync(model('ppocr-rec').file) || !haveOcrLines()) return t.log('skipped: PP-OCR rec or ../shared/data/ocr_lines missing');
  const calib = calibDir('rec', () => [20, 40, 60].map((i) => recInput(i)));
  await floatAndInt8(t, 'ppocr-rec', [1, 3, 48, 320], recInput(7), calib, 'rpi4', 'rpi5');
});
