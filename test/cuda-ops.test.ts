/** CUDA backend units: fp16 packing, epilogue absorption, error messages and the CLI without a GPU; and per-op
 * kernels run on a GPU against the reference (skipped with the reason where nvidia-smi finds none). */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../src/ops/index.js';
import type { Value } from '../src/ir/types.js';
import { compileGraph } from '../src/build.js';
import { runReference } from '../src/interp/reference.js';
import { randomInputs } from '../src/verify/verify.js';
import { compareValues } from '../src/verify/metrics.js';
import { halfBits } from '../src/backends/cuda/weights.js';
import { packHalfA } from '../src/backends/cuda/lower/conv.js';
import { backendFor } from '../src/backends/backends.js';
import { makeModel, type ModelIn } from './helpers/onnx-builder.js';
import { randn } from './helpers/graph.js';
import { edgec } from './helpers/cli.js';
import { REAL_MODELS } from './helpers/models.js';
import { cudaTarget, emitCudaArtifact, gpuMissing, nvccMissing, runCuda } from './helpers/cuda.js';
import { int, ints, layersGraph, type QLayer } from './helpers/qlayers.js';
import { nvccFlags, type KernelReport } from '../src/backends/cuda/nvcc.js';
import { run } from '../src/util/exec.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-cuda-ops-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

function modelFile(name: string, m: ModelIn): string {
  const f = path.join(tmp, `${name.replace(/[^A-Za-z0-9]+/g, '_')}.onnx`);
  fs.writeFileSync(f, makeModel(m));
  return f;
}

test('fp16 weights round to nearest even, with subnormals, overflow and NaN', (t) => {
  const cases: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65520, 0x7c00], [1e9, 0x7c00], [2 ** -24, 0x0001], [2 ** -25, 0x0000],
    [3 * 2 ** -26, 0x0001], [1 / 3, 0x3555], [0.1, 0x2e66], [2 ** -14, 0x0400], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [-0, 0x8000],
  ];
  for (const [f, h] of cases) t.is(halfBits(f), h, `${f}`);
  t.is(halfBits(NaN) & 0x7e00, 0x7e00);
});

test('tensor-core weights are packed row-major fp16 and zero padded to the tile', (t) => {
  const { bytes, kpad } = packHalfA(3, 40, 16, (i, p) => i * 100 + p);
  const h = new Uint16Array(bytes.buffer);
  t.is(kpad, 64);
  t.is(h.length, 16 * 64);
  t.is(h[2 * 64 + 5], halfBits(205));
  t.is(h[2 * 64 + 40], 0);
  t.is(h[3 * 64], 0);
});

const residualBlock: ModelIn = {
  inputs: [{ name: 'x', dims: [1, 8, 12, 12] }],
  initializers: {
    w: { dims: [8, 8, 3, 3], data: randn(8 * 8 * 9, 3) }, b: { dims: [8], data: randn(8, 4) },
    s: { dims: [1], data: [0.5] }, o: { dims: [1], data: [0.25] },
  },
  nodes: [
    { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
    { op: 'HardSwish', inputs: ['c'], outputs: ['h'] },
    { op: 'Mul', inputs: ['s', 'h'], outputs: ['m'] },
    { op: 'Add', inputs: ['m', 'o'], outputs: ['a'] },
    { op: 'Add', inputs: ['a', 'x'], outputs: ['y'] },
  ],
  outputs: ['y'],
};

test('scalar Mul/Add and a residual Add are absorbed into the convolution epilogue: one launch', (t) => {
  const target = cudaTarget('jetson-orin');
  const { graph } = compileGraph(modelFile('residual', residualBlock), target, {});
  const out = backendFor(target).emit(graph, { prefix: 'model', target });
  const cu = String(out.files.get('model.cu'));
  const launches = cu.split('\n').filter((l) => l.includes('<<<'));
  t.is(launches.length, 1, launches.join('\n'));
  t.regex(launches[0], /edgec::conv_mma<edgec::ConvProblem<float, 1, 8, 12, 12, 8, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1>, 16, 128, 1, 4, 96, 4>/);
  t.regex(launches[0], /edgec::Epilogue\{\(\(const float \*\)\(W \+ \d+\)\), in0, 0\.0+f, 0\.0+f, 0\.500000000f, 0\.250000000f\}/);
});

test('an op without a CUDA kernel is one clear error naming it', (t) => {
  const m: ModelIn = { inputs: [{ name: 'x', dims: [1, 4, 5, 5] }], nodes: [{ op: 'LRN', inputs: ['x'], outputs: ['y'], attrs: { size: 3 } }], outputs: ['y'] };
  const target = cudaTarget('jetson-orin');
  const { graph } = compileGraph(modelFile('lrn', m), target, {});
  const e = t.throws(() => backendFor(target).emit(graph, { prefix: 'model', target }));
  t.regex(e!.message, /no CUDA kernel for op\(s\) LRN; build for target 'c'/);
});

test('edgec targets lists the CUDA targets; build --verify for jetson-orin needs a GPU (verifies on one)', async (t) => {
  const list = await edgec(['targets']);
  for (const name of ['jetson-orin', 'jetson-orin-nano', 'cuda-sm90', 'cuda']) t.regex(list.stdout, new RegExp(`^${name}\\s+cuda`, 'm'));
  const why = await nvccMissing();
  if (why) {
    t.log(`build part skipped: ${why}`);
    return;
  }
  const m = REAL_MODELS.find((r) => r.name === 'hello-deepa')!;
  const out = path.join(tmp, 'deepa');
  const r = await edgec(['build', m.file, '-t', 'jetson-orin', '-o', out, '--verify']);
  const gpu = await gpuMissing();
  if (gpu) {
    t.log(`no GPU here (${gpu}): --verify must fail cleanly`);
    t.is(r.code, 1);
    t.regex(r.stderr, /--verify for target 'jetson-orin' needs an NVIDIA GPU/);
    t.false(fs.existsSync(out), 'nothing half-written');
    const b = await edgec(['build', m.file, '-t', 'jetson-orin', '-o', out]);
    t.is(b.code, 0, b.stderr);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    t.is(report.target, 'jetson-orin');
    t.true(report.cuda.kernels.every((k: { usage: Record<string, { registers: number }> }) => k.usage.sm_87.registers > 0));
    for (const f of ['model.cu', 'model.h', 'model_weights.c', 'CMakeLists.txt', 'edgec_cuda_main.cu']) t.true(fs.existsSync(path.join(out, f)), f);
    const run = await edgec(['run', out, '--input', path.join(tmp, 'none.npy'), '--output-dir', path.join(tmp, 'preds')]);
    t.is(run.code, 1);
    return;
  }
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /rel_l2/);
});

/** Small graphs covering every CUDA kernel family; each runs on both precisions. */
const OP_CASES: Record<string, ModelIn> = {
  'conv 3x3 stride 2 (tensor cores) + bias + Relu': {
    inputs: [{ name: 'x', dims: [1, 5, 17, 19] }],
    initializers: { w: { dims: [40, 5, 3, 3], data: randn(1800, 1) }, b: { dims: [40], data: randn(40, 2) } },
    nodes: [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] } }, { op: 'Relu', inputs: ['c'], outputs: ['y'] }],
    outputs: ['y'],
  },
  'residual conv block (absorbed epilogue)': residualBlock,
  'depthwise 5x5 stride 2 and grouped conv': {
    inputs: [{ name: 'x', dims: [1, 8, 13, 11] }],
    initializers: { w: { dims: [8, 1, 5, 5], data: randn(200, 3) }, g: { dims: [4, 4, 3, 3], data: randn(144, 4) } },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['d'], attrs: { group: 8, pads: [2, 2, 2, 2], strides: [2, 2] } },
      { op: 'Conv', inputs: ['d', 'g'], outputs: ['y'], attrs: { group: 2, pads: [1, 1, 1, 1] } },
    ],
    outputs: ['y'],
  },
  'ConvTranspose 2x2 stride 2 + BatchNormalization + Sigmoid': {
    inputs: [{ name: 'x', dims: [1, 6, 7, 9] }],
    initializers: {
      w: { dims: [6, 4, 2, 2], data: randn(96, 5) }, sc: { dims: [4], data: [1, 0.5, 2, 1.5] }, bb: { dims: [4], data: [0, 0.1, -0.2, 0.3] },
      mu: { dims: [4], data: [0.1, 0, 0.2, -0.1] }, va: { dims: [4], data: [1, 2, 0.5, 1] },
    },
    nodes: [
      { op: 'ConvTranspose', inputs: ['x', 'w'], outputs: ['c'], attrs: { strides: [2, 2] } },
      { op: 'BatchNormalization', inputs: ['c', 'sc', 'bb', 'mu', 'va'], outputs: ['n'] },
      { op: 'Sigmoid', inputs: ['n'], outputs: ['y'] },
    ],
    outputs: ['y'],
  },
  'Gemm transB + bias, MatMul of activations, Softmax, LayerNormalization': {
    inputs: [{ name: 'x', dims: [40, 64] }],
    initializers: { w: { dims: [48, 64], data: randn(3072, 6) }, b: { dims: [48], data: randn(48, 7) }, s: { dims: [48], data: randn(48, 8) } },
    nodes: [
      { op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['g'], attrs: { transB: 1 } },
      { op: 'Transpose', inputs: ['g'], outputs: ['gt'], attrs: { perm: [1, 0] } },
      { op: 'MatMul', inputs: ['g', 'gt'], outputs: ['a'] },
      { op: 'Softmax', inputs: ['a'], outputs: ['p'], attrs: { axis: -1 } },
      { op: 'MatMul', inputs: ['p', 'g'], outputs: ['o'] },
      { op: 'LayerNormalization', inputs: ['o', 's'], outputs: ['y'], attrs: { axis: -1 } },
    ],
    outputs: ['y'],
  },
  'pooling, nearest Resize, Concat, Slice, broadcast Mul': {
    inputs: [{ name: 'x', dims: [1, 4, 10, 12] }],
    initializers: {
      sc: { dims: [4], data: [1, 1, 2, 2] }, st: { dims: [1], data: [1], dtype: 'int64' }, en: { dims: [1], data: [3], dtype: 'int64' },
      ax: { dims: [1], data: [1], dtype: 'int64' },
    },
    nodes: [
      { op: 'MaxPool', inputs: ['x'], outputs: ['m'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'AveragePool', inputs: ['x'], outputs: ['a'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 0 } },
      { op: 'Resize', inputs: ['m', '', 'sc'], outputs: ['r'], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } },
      { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['gp'] },
      { op: 'Mul', inputs: ['a', 'gp'], outputs: ['am'] },
      { op: 'Resize', inputs: ['am', '', 'sc'], outputs: ['ar'], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } },
      { op: 'Concat', inputs: ['r', 'ar'], outputs: ['c'], attrs: { axis: 1 } },
      { op: 'Slice', inputs: ['c', 'st', 'en', 'ax'], outputs: ['y'] },
    ],
    outputs: ['y'],
  },
  'generic reductions over several axes, variadic Sum and Mean': {
    inputs: [{ name: 'x', dims: [2, 3, 4, 5] }, { name: 'z', dims: [2, 3, 4, 5] }],
    nodes: [
      { op: 'ReduceMean', inputs: ['x'], outputs: ['m'], attrs: { axes: [1, 3], keepdims: 1 } },
      { op: 'Sum', inputs: ['x', 'm', 'z'], outputs: ['s'] },
      { op: 'Mean', inputs: ['s', 'x'], outputs: ['y'] },
      { op: 'ReduceLogSumExp', inputs: ['y'], outputs: ['l'], attrs: { axes: [0, 2], keepdims: 0 } },
    ],
    outputs: ['y', 'l'],
  },
};

for (const [name, m] of Object.entries(OP_CASES)) {
  for (const [targetName, tolerance] of [['jetson-orin', 5e-3], ['cuda', 1e-5]] as const) {
    test(`GPU ${targetName}: ${name}`, async (t) => {
      const why = await gpuMissing();
      if (why) {
        t.log(`skipped: needs ${why}`);
        t.pass();
        return;
      }
      const target = cudaTarget(targetName);
      const { graph, reference } = compileGraph(modelFile(`${name}-${targetName}`, m), target, {});
      const feeds: Record<string, Value> = Object.fromEntries(reference.inputs.map((n, i) => [n, randomInputs(reference, 11)[i]]));
      const got = await runCuda(graph, feeds, target);
      const ref = runReference(reference, feeds);
      for (const o of graph.outputs) {
        const r = compareValues(o, got[o], ref[o]);
        t.log(`${o}: rel_l2 ${r.rel_l2_err.toExponential(2)}`);
        t.true(r.rel_l2_err <= tolerance, `${o}: rel_l2 ${r.rel_l2_err}`);
      }
    });
  }
}

/** int8 layers on integer tensor cores (group 1) and the direct int8 kernel (depthwise, grouped, narrow). */
const INT8_LAYERS: QLayer[] = [
  { op: 'Conv', x: [1, 9, 13, 17], w: [11, 9, 3, 3], attrs: { pads: ints(0, 1, 2, 1) }, axis: 0, zx: 17, zy: -9, k: 81 },
  { op: 'Conv', x: [1, 24, 10, 10], w: [40, 24, 1, 1], axis: 0, zx: -128, zy: 3, k: 24, act: 'Relu' },
  { op: 'Conv', x: [1, 5, 23, 21], w: [70, 5, 3, 3], attrs: { pads: ints(1, 1, 1, 1), strides: ints(2, 2) }, axis: 0, zx: 9, k: 45 },
  { op: 'Conv', x: [1, 12, 17, 19], w: [12, 1, 5, 5], attrs: { pads: ints(2, 2, 2, 2), group: int(12) }, axis: 0, zx: 2, k: 25 },
  { op: 'Conv', x: [1, 6, 11, 9], w: [9, 2, 3, 3], attrs: { pads: ints(1, 1, 1, 1), group: int(3) }, axis: 0, zx: -5, k: 18 },
  { op: 'Gemm', x: [40, 96], w: [96, 37], axis: 1, zx: 3, zy: -4, k: 96 },
  { op: 'MatMul', x: [2, 40, 64], w: [64, 20], axis: 1, zx: -1, k: 64 },
];

test('int8 Conv/Gemm/MatMul compile for integer tensor cores and run bit-exact against the integer reference on a GPU', async (t) => {
  const { g, feeds } = layersGraph(INT8_LAYERS, 3);
  const target = cudaTarget('jetson-orin', ['87']);
  const art = backendFor(target).emit(g, { prefix: 'model', target });
  const cu = String(art.files.get('model.cu'));
  t.is((cu.match(/edgec::qconv_mma</g) ?? []).length, 5, 'group-1 layers on mma.sync s8');
  t.is((cu.match(/edgec::qconv_direct</g) ?? []).length, 2, 'depthwise and grouped on the direct kernel');
  const gpu = await gpuMissing();
  if (gpu) {
    const why = await nvccMissing();
    if (why) {
      t.log(`compile skipped: ${why}`);
      return;
    }
    const { dir, facts } = await emitCudaArtifact(g, target);
    fs.rmSync(dir, { recursive: true, force: true });
    const kernels = facts.kernels as KernelReport[];
    t.true(kernels.filter((k) => k.kernel.startsWith('edgec::qconv_mma')).every((k) => k.usage.sm_87.spill_bytes === 0 && k.layers.length > 0));
    t.log(`run skipped: needs ${gpu}`);
    return;
  }
  const got = await runCuda(g, feeds, target);
  const ref = runReference(g, feeds);
  for (const o of g.outputs) {
    const a = got[o].data;
    const r = ref[o].data;
    let bad = 0;
    for (let i = 0; i < r.length; i++) if (a[i] !== r[i]) bad++;
    t.is(bad, 0, `${o}: ${bad} of ${r.length} differ from the integer reference`);
  }
});

/** A host program over the C API: one context, runs on two input/output buffer pairs (graph re-capture and update). */
const SWAP_HARNESS = `#include "model.h"
#include <cstdio>
#include <cstring>
#include <vector>
#define OK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("error %s at %s\\n", cudaGetErrorString(e_), #x); return 3; } } while (0)
int main() {
  cudaStream_t s;
  OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  model_ctx *c;
  OK(model_create(&c, s));
  const size_t ni = MODEL_INPUT0_SIZE, no = MODEL_OUTPUT0_SIZE;
  std::vector<float> x1(ni), x2(ni), y[4];
  for (size_t i = 0; i < ni; i++) { x1[i] = (float)((i * 37) % 17) / 17.0f - 0.5f; x2[i] = (float)((i * 11) % 13) / 13.0f - 0.5f; }
  float *a, *b, *ya, *yb;
  OK(cudaMalloc(&a, ni * 4)); OK(cudaMalloc(&b, ni * 4)); OK(cudaMalloc(&ya, no * 4)); OK(cudaMalloc(&yb, no * 4));
  OK(cudaMemcpy(a, x1.data(), ni * 4, cudaMemcpyHostToDevice));
  OK(cudaMemcpy(b, x2.data(), ni * 4, cudaMemcpyHostToDevice));
  float *ins[4] = {a, b, a, b}, *outs[4] = {ya, yb, ya, yb};
  for (int r = 0; r < 4; r++) {
    OK(model_run(c, ins[r], outs[r]));
    OK(cudaStreamSynchronize(s));
    y[r].resize(no);
    OK(cudaMemcpy(y[r].data(), outs[r], no * 4, cudaMemcpyDeviceToHost));
  }
  bool same02 = memcmp(y[0].data(), y[2].data(), no * 4) == 0, same13 = memcmp(y[1].data(), y[3].data(), no * 4) == 0;
  bool differ = memcmp(y[0].data(), y[1].data(), no * 4) != 0;
  printf("replay_same %d %d inputs_differ %d\\n", same02, same13, differ);
  model_destroy(c);
  return same02 && same13 && differ ? 0 : 1;
}
`;

test('GPU: one context runs on two buffer pairs (graph re-captured and updated) with repeatable outputs', async (t) => {
  const why = await gpuMissing();
  if (why) {
    t.log(`skipped: needs ${why}`);
    t.pass();
    return;
  }
  const m = REAL_MODELS.find((r) => r.name === 'ppocr-cls')!;
  const target = cudaTarget('jetson-orin');
  const { graph } = compileGraph(m.file, target, { inputShapes: { [m.input]: m.shape } });
  const dir = fs.mkdtempSync(path.join(tmp, 'swap-'));
  for (const [f, text] of backendFor(target).emit(graph, { prefix: 'model', target }).files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  fs.writeFileSync(path.join(dir, 'swap.cu'), SWAP_HARNESS);
  const build = await run('nvcc', [...nvccFlags(target.cuda!.architectures), 'model.cu', 'model_weights.c', 'swap.cu', '-o', 'swap'], { cwd: dir });
  t.is(build.code, 0, build.stderr);
  const r = await run(path.join(dir, 'swap'), []);
  t.log(r.stdout.trim());
  t.is(r.code, 0, r.stdout + r.stderr);
});
