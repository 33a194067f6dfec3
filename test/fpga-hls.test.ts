/**
 * The FPGA (Vitis HLS) target: int8 designs for PP-OCR cls, openWakeWord and TFLM person_detect C-simulated with g++
 * bit-exact against the integer reference; the resource / latency report; the does-not-fit error; zero weights
 * removing multipliers.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../src/ops/index.js';
import type { Graph, Value } from '../src/ir/types.js';
import { build, buildProgram, compileGraph } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import { runnerFor } from '../src/runners/runner.js';
import { runReference } from '../src/interp/reference.js';
import { emitHls } from '../src/backends/hls/emit.js';
import { fitReuse, globalReuseThatFits, layerDsp, layerLatency, type LayerCost } from '../src/backends/hls/estimate.js';
import { seededRandom } from '../src/verify/metrics.js';
import { writeNpy } from '../src/util/npy.js';
import { hasTool, run } from '../src/util/exec.js';
import { REAL_MODELS } from './helpers/models.js';
import { haveOcrLines, recInput } from './helpers/ocr-inputs.js';
import { PERSON_DIR, personInput } from './helpers/person.js';
import { edgec } from './helpers/cli.js';
import { qgraph, qp, qpc, randInts } from './helpers/qgraph.js';

const PERSON_MODEL = path.join(PERSON_DIR, 'person_detect.tflite');
const tmp = (stem: string) => fs.mkdtempSync(path.join(os.tmpdir(), `edgec-fpga-${stem}-`));

/** A folder of calibration samples. */
function calibDir(samples: Value[]): string {
  const dir = path.join(tmp('calib'), 'calib');
  fs.mkdirSync(dir);
  samples.forEach((v, i) => writeNpy(path.join(dir, `${String(i).padStart(3, '0')}.npy`), v));
  return dir;
}

/** Whether g++ is here; the test logs why it is skipped otherwise. */
async function needGxx(t: import('ava').ExecutionContext): Promise<boolean> {
  if (await hasTool('g++')) return true;
  t.log('skipped: g++ not found (C simulation needs it)');
  return false;
}

/** Every layer of the report carries the estimate fields, and the design fits the device. */
function checkReport(t: import('ava').ExecutionContext, r: NonNullable<Awaited<ReturnType<typeof build>>['hls']>): void {
  for (const l of r.layers) {
    t.true(Number.isInteger(l.dsp) && l.dsp >= 0 && l.latency_cycles > 0 && l.ii_cycles >= 1, JSON.stringify(l));
    if (['Conv', 'Gemm', 'MatMul'].includes(l.op)) t.true(l.reuse !== null && l.reuse >= 1, `${l.layer} has a reuse factor`);
  }
  t.true(r.totals.dsp <= r.device.dsp && r.totals.bram18 <= r.device.bram18 && r.totals.uram <= r.device.uram, JSON.stringify(r.totals));
  t.is(r.totals.latency_cycles, r.layers.reduce((s, l) => s + l.latency_cycles, 0));
  t.log(`${r.part} @ ${r.clock_mhz} MHz: ${r.layers.length} layers, DSP ${r.totals.dsp}/${r.device.dsp}, BRAM18 ${r.totals.bram18}/${r.device.bram18}, URAM ${r.totals.uram}/${r.device.uram}, ` +
    `LUT ~${r.totals.lut}/${r.device.lut}; latency ${r.totals.latency_cycles} cycles (${r.totals.latency_us} us), interval ${r.totals.interval_cycles} cycles`);
}

test('PP-OCR cls int8 on ZCU104: C simulation bit-exact with the integer reference on a held-out line; report fits', async (t) => {
  const m = REAL_MODELS.find((x) => x.name === 'ppocr-cls')!;
  if (!haveOcrLines() || !fs.existsSync(m.file)) { t.log('skipped: ../shared/data/ocr_lines or the PP-OCR models are missing'); return t.pass(); }
  if (!(await needGxx(t))) return t.pass();
  const out = path.join(tmp('cls'), 'out');
  const report = await build({
    model: m.file, outDir: out, target: 'fpga-zcu104', inputShapes: { [m.input]: m.shape }, quantize: 'int8',
    calib: calibDir(Array.from({ length: 8 }, (_, i) => recInput(i, 192))), verify: true, verifyInputs: [recInput(20, 192)],
  });
  t.true(report.verification!.integer!.bit_exact, JSON.stringify(report.verification!.integer));
  t.log(`cls int8 vs float: ${report.verification!.against_float!.map((o) => `SQNR ${o.sqnr_db} dB`).join(', ')}`);
  checkReport(t, report.hls!);
  const cpp = fs.readFileSync(path.join(out, 'model.cpp'), 'utf8');
  t.regex(cpp, /#pragma HLS DATAFLOW/);
  t.regex(cpp, /edgec_hls::conv2d<cfg>/);
  t.true(fs.existsSync(path.join(out, 'run_hls.tcl')) && fs.existsSync(path.join(out, 'tb.cpp')));
  t.regex(fs.readFileSync(path.join(out, 'run_hls.tcl'), 'utf8'), /set_part \{xczu7ev-ffvc1156-2-e\}[\s\S]*csim_design[\s\S]*csynth_design[\s\S]*cosim_design[\s\S]*export_design/);
  // The testbench's own check (what Vitis csim/cosim run): the design equals tb_data's integer-reference outputs.
  const tb = await run(path.join(out, '.build', 'tb'), [], { cwd: out });
  t.is(tb.code, 0, tb.stderr);
});

test('person_detect int8 on ZCU104: bit-exact C simulation; person scores person, no_person does not', async (t) => {
  if (!fs.existsSync(PERSON_MODEL)) { t.log('skipped: person_detection data missing'); return t.pass(); }
  if (!(await needGxx(t))) return t.pass();
  const out = path.join(tmp('pd'), 'out');
  const person = personInput('person.bmp');
  const report = await build({ model: PERSON_MODEL, outDir: out, target: 'fpga-zcu104', verify: true, verifyInputs: [person] });
  t.true(report.ok && report.verification!.integer!.bit_exact, JSON.stringify(report.verification!.integer));
  checkReport(t, report.hls!);
  const target = getTarget('fpga-zcu104');
  const program = await runnerFor(target).build(out, 'model', target);
  const info = report.outputs.map((o) => ({ dtype: o.dtype, shape: o.shape }));
  const [p0, p1] = (await runnerFor(target).run(program, [person], info)).outputs[0].data;
  const [n0, n1] = (await runnerFor(target).run(program, [personInput('no_person.bmp')], info)).outputs[0].data;
  t.log(`person.bmp: person ${p1}, no person ${p0}; no_person.bmp: person ${n1}, no person ${n0}`);
  t.true(p1 > p0 && n0 > n1);
});

/** openWakeWord-like features [1, 25, 96]: an AR(1) latent trajectory mixed into 96 dims plus noise (seeded). */
function wakeWordFeatures(seed: number): Value {
  const rnd = seededRandom(seed);
  const mixRnd = seededRandom(1234);
  const mix = Float32Array.from({ length: 96 * 32 }, () => mixRnd() * 2 - 1);
  const gauss = () => (rnd() + rnd() + rnd() + rnd() - 2) * Math.sqrt(3);
  const z = Float64Array.from({ length: 32 }, gauss);
  const data = new Float32Array(25 * 96);
  for (let f = 0; f < 25; f++) {
    for (let l = 0; l < 32; l++) z[l] = 0.9 * z[l] + Math.sqrt(0.19) * gauss();
    for (let d = 0; d < 96; d++) {
      let v = 0.3 * gauss();
      for (let l = 0; l < 32; l++) v += 0.3 * mix[d * 32 + l] * z[l];
      data[f * 96 + d] = v;
    }
  }
  return { dtype: 'float32', shape: [1, 25, 96], data };
}

test('openWakeWord hello_deepa int8 on PYNQ-Z2: bit-exact C simulation (float layer-norm islands on the fabric)', async (t) => {
  const m = REAL_MODELS.find((x) => x.name === 'hello-deepa')!;
  if (!fs.existsSync(m.file)) { t.log('skipped: openwakeword-js models missing'); return t.pass(); }
  if (!(await needGxx(t))) return t.pass();
  const out = path.join(tmp('ww'), 'out');
  const report = await build({
    model: m.file, outDir: out, target: 'fpga-pynq-z2', inputShapes: { [m.input]: m.shape }, quantize: 'int8',
    calib: calibDir(Array.from({ length: 16 }, (_, i) => wakeWordFeatures(100 + i))), verify: true, verifyInputs: [wakeWordFeatures(7)],
  });
  t.true(report.verification!.integer!.bit_exact, JSON.stringify(report.verification!.integer));
  checkReport(t, report.hls!);
  t.deepEqual(report.hls!.layers.filter((l) => l.op === 'LayerNormalization').length, 2);
});

test('a design that does not fit fails with one line naming the layers and the reuse that fits; nothing is written', async (t) => {
  if (!fs.existsSync(PERSON_MODEL)) { t.log('skipped: person_detection data missing'); return t.pass(); }
  const out = path.join(tmp('nofit'), 'out');
  const r = await edgec(['build', PERSON_MODEL, '--target', 'fpga-pynq-z2', '--reuse', '8', '-o', out]);
  t.is(r.code, 1);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('edgec: error:'));
  t.is(errors.length, 1, r.stderr);
  const line = errors[0];
  t.regex(line, /design does not fit fpga-pynq-z2 \(xc7z020clg400-1\): \d+ DSPs needed, 220 available; over budget: l26_conv \(\d+ DSP at reuse 8; reuse \d+ fits\)/);
  t.regex(line, /--reuse \d+ or no --reuse \(chosen to fit\) fits/);
  t.false(fs.existsSync(out));
  // The suggested global reuse builds.
  const global = /--reuse (\d+) or/.exec(line)![1];
  const ok = await edgec(['build', PERSON_MODEL, '--target', 'fpga-pynq-z2', '--reuse', global, '-o', out]);
  t.is(ok.code, 0, ok.stderr);
  const hls = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).hls;
  t.is(hls.reuse_source, 'user');
  t.true(hls.totals.dsp <= 220 && hls.layers.filter((l: { reuse: number | null }) => l.reuse !== null).every((l: { reuse: number }) => l.reuse <= Number(global)));
});

test('a float graph is refused for the FPGA target with a pointer to --quantize int8', async (t) => {
  const m = REAL_MODELS.find((x) => x.name === 'ppocr-cls')!;
  if (!fs.existsSync(m.file)) { t.log('skipped: PP-OCR models missing'); return t.pass(); }
  const r = await edgec(['build', m.file, '--input-shape', 'x=1x3x48x192', '--target', 'fpga-zcu104', '-o', path.join(tmp('float'), 'out')]);
  t.is(r.code, 1);
  t.regex(r.stderr, /target 'fpga-zcu104' builds int8 designs and this graph is float; pass --quantize int8 --calib/);
});

/** Zero two of every four weights of each Conv (a 2:4 pattern along the flattened taps). */
function zeroHalf(g: Graph): Graph {
  for (const n of g.nodes) {
    if (n.op !== 'Conv') continue;
    const w = g.tensors.get(n.inputs[1])!;
    const data = Int8Array.from(w.data!);
    for (let i = 0; i < data.length; i++) if (i % 4 >= 2) data[i] = 0;
    g.tensors.set(w.name, { ...w, data });
  }
  return g;
}

test('zero weights remove their multipliers: DSPs drop at the same reuse, C simulation stays bit-exact', async (t) => {
  if (!fs.existsSync(PERSON_MODEL)) { t.log('skipped: person_detection data missing'); return t.pass(); }
  const target = getTarget('fpga-alveo-u250');
  const dense = compileGraph(PERSON_MODEL, target, {}).graph;
  const sparse = zeroHalf(compileGraph(PERSON_MODEL, target, {}).graph);
  const reuse = { global: 32 };
  const a = emitHls(dense, { prefix: 'model', target, reuse }).report;
  const b = emitHls(sparse, { prefix: 'model', target, reuse }).report;
  t.log(`person_detect at reuse 32: dense ${a.totals.dsp} DSP, 2:4-sparse ${b.totals.dsp} DSP (saving ${b.dsp_saved_by_zero_weights} DSP)`);
  t.is(b.totals.dsp_dense, a.totals.dsp_dense);
  t.is(b.totals.dsp, b.totals.dsp_dense - b.dsp_saved_by_zero_weights);
  t.true(b.totals.dsp < a.totals.dsp);
  // The 256x256 pointwise layer: 65536 multiplies per pixel over 32 cycles, half of them zero; 4 DSPs per requantizer.
  const l26 = b.layers.find((l) => l.layer === 'l26_conv')!;
  t.true(l26.dsp_dense - l26.dsp >= 0.45 * (l26.dsp_dense - 4 * 8), JSON.stringify(l26));
  if (!(await needGxx(t))) return;
  const dir = tmp('sparse');
  const program = await buildProgram(sparse, dir, target);
  const x = personInput('person.bmp');
  const got = (await runnerFor(target).run(program, [x], [sparse.tensors.get(sparse.outputs[0])!]));
  const want = runReference(sparse, { [sparse.inputs[0]]: x })[sparse.outputs[0]];
  t.deepEqual(Array.from(got.outputs[0].data), Array.from(want.data));
});

test('reuse chooser: fits the DSP budget, keeps frozen layers, and the smallest fitting global reuse is tight', (t) => {
  const mac = (mults: number, steps: number, oc: number): LayerCost => ({ macs: mults * steps, steps, multsDense: mults, multsNonzero: mults, requantPerStep: oc, fixedDsp: 0, weightBits: mults * 8, depth: 10, reusable: true });
  const layers = [
    { id: 'a', node: 'a', cost: mac(4096, 100, 64) },
    { id: 'b', node: 'b', cost: mac(512, 1000, 32) },
    { id: 'c', node: 'c', cost: mac(64, 10, 8) },
  ];
  const dspAt = (r: Map<string, number>) => layers.reduce((s, l) => s + layerDsp(l.cost, r.get(l.id)!), 0);
  const auto = fitReuse(layers, 300, {});
  t.true(auto.fits && dspAt(auto.reuse) <= 300, JSON.stringify([...auto.reuse]));
  const frozen = fitReuse(layers, 300, { layers: { b: 2 } }, new Set(['b']));
  t.is(frozen.reuse.get('b'), 2);
  t.false(frozen.fits, 'layer b alone needs 256 + 64 DSPs at reuse 2');
  const g = globalReuseThatFits(layers, 300)!;
  const at = (r: number) => layers.reduce((s, l) => s + layerDsp(l.cost, Math.min(r, l.cost.multsDense)), 0);
  t.true(at(g) <= 300 && at(g / 2) > 300, `global ${g}`);
  // One DSP per nonzero multiply of the step, four per requantizer: 4096 / 16 + 4 * 64 / 16.
  t.is(layerDsp(layers[0].cost, 16), 256 + 16);
  t.is(layerLatency(layers[0].cost, 16), 100 * 16 + 10);
});

test('layers the models do not reach: padded max/average pooling with requantization, LeakyRelu, broadcast Sub, dilated conv, requantizing Concat', async (t) => {
  if (!(await needGxx(t))) return t.pass();
  const ints = (value: number[]) => ({ type: 'ints' as const, value });
  const g = qgraph({
    inputs: { x: { dtype: 'int8', shape: [1, 4, 9, 11], quant: qp(0.05, 3) } },
    consts: {
      w: { dtype: 'int8', shape: [6, 2, 3, 3], data: randInts('int8', 108, -127, 127, 5), quant: qpc([0.01, 0.02, 0.015, 0.03, 0.01, 0.02], 0) },
      b: { dtype: 'int32', shape: [6], data: randInts('int32', 6, -500, 500, 6), quant: qpc([0.0005, 0.001, 0.00075, 0.0015, 0.0005, 0.001], 0) },
      c: { dtype: 'int8', shape: [6, 1, 1], data: randInts('int8', 6, -100, 100, 7), quant: qp(0.04, -2) },
    },
    quant: { m: qp(0.05, 3), a: qp(0.03, -5), l: qp(0.02, 1), y: qp(0.1, 0), s: qp(0.08, 4), r: qp(0.05, -128), k: qp(0.08, 4) },
    nodes: [
      { op: 'MaxPool', inputs: ['x'], outputs: ['m'], attrs: { kernel_shape: ints([3, 2]), strides: ints([2, 1]), pads: ints([1, 0, 1, 1]) } },
      { op: 'AveragePool', inputs: ['m'], outputs: ['a'], attrs: { kernel_shape: ints([2, 3]), strides: ints([1, 2]), pads: ints([0, 1, 1, 1]), count_include_pad: { type: 'int', value: 0 } } },
      { op: 'LeakyRelu', inputs: ['a'], outputs: ['l'], attrs: { alpha: { type: 'float', value: 0.1 } } },
      { op: 'Conv', inputs: ['l', 'w', 'b'], outputs: ['y'], attrs: { kernel_shape: ints([3, 3]), dilations: ints([2, 1]), pads: ints([2, 1, 2, 1]), group: { type: 'int', value: 2 } } },
      { op: 'Sub', inputs: ['y', 'c'], outputs: ['s'] },
      { op: 'Relu', inputs: ['s'], outputs: ['r'] },
      { op: 'Concat', inputs: ['s', 'r'], outputs: ['k'], attrs: { axis: { type: 'int', value: 1 } } },
    ],
    outputs: ['k'],
  });
  const target = getTarget('fpga-zcu104');
  const program = await buildProgram(g, tmp('ops'), target);
  const x = { dtype: 'int8' as const, shape: [1, 4, 9, 11], data: randInts('int8', 396, -128, 127, 9) };
  const got = (await runnerFor(target).run(program, [x], [g.tensors.get('k')!])).outputs[0];
  const want = runReference(g, { x })['k'];
  t.deepEqual(Array.from(got.data), Array.from(want.data));
  t.true(new Set(want.data).size > 8, 'the output is not degenerate');
});
