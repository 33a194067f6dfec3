/** CUDA target on the real models: every artifact compiles with nvcc for sm_87 and sm_90 and its report lists each
 * kernel's registers and shared memory; on a GPU (skipped with the reason otherwise) the outputs match the reference. */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeNpy } from '../src/util/npy.js';
import { haveOcrLines, recInput } from './helpers/ocr-inputs.js';
import '../src/ops/index.js';
import { compileGraph } from '../src/build.js';
import { runReference } from '../src/interp/reference.js';
import { randomInputs } from '../src/verify/verify.js';
import { compareValues } from '../src/verify/metrics.js';
import { REAL_MODELS } from './helpers/models.js';
import { cudaTarget, emitCudaArtifact, gpuMissing, nvccMissing, runCuda } from './helpers/cuda.js';
import type { KernelReport } from '../src/backends/cuda/nvcc.js';

const ARCHS = ['87', '90'];

for (const m of REAL_MODELS) {
  test(`${m.name}: CUDA artifact compiles for sm_87 and sm_90 with per-kernel registers and shared memory`, async (t) => {
    const target = cudaTarget('jetson-orin', ARCHS);
    const { graph } = compileGraph(m.file, target, { inputShapes: { [m.input]: m.shape } });
    const why = await nvccMissing();
    if (why) {
      t.log(`skipped: ${why}`);
      t.pass();
      return;
    }
    const t0 = Date.now();
    const { dir, facts, files } = await emitCudaArtifact(graph, target);
    try {
      const kernels = facts.kernels as KernelReport[];
      t.log(`${m.name}: nvcc ${((Date.now() - t0) / 1000).toFixed(1)} s, ${facts.launches} launches, ${kernels.length} kernels, weights ${facts.weights_bytes} B, workspace ${facts.workspace_bytes} B, ${(facts.absorbed_into_epilogues as unknown[]).length} layers absorbed into epilogues`);
      t.is(facts.resource_usage, 'ptxas -v');
      t.true((facts.weights_bytes as number) > 0 && (facts.workspace_bytes as number) > 0);
      t.deepEqual(facts.architectures, ['sm_87', 'sm_90']);
      for (const k of kernels) {
        // Every kernel ptxas reports is one the emitter launched (names matched), and every launched kernel has usage.
        t.true(k.layers.length > 0, `kernel without layers: ${k.kernel}`);
        for (const arch of ['sm_87', 'sm_90']) {
          const u = k.usage[arch];
          t.truthy(u, `${k.kernel}: no ${arch} usage`);
          t.true(u.registers > 0 && u.registers <= 255, `${k.kernel}: ${u.registers} registers`);
          t.true(u.smem_bytes <= target.cuda!.smemPerBlockBytes);
          t.is(u.spill_bytes, 0, `${k.kernel} spills on ${arch}`);
        }
      }
      const mma = kernels.filter((k) => k.kernel.startsWith('edgec::conv_mma'));
      if (m.name !== 'hello-deepa') t.true(mma.length > 0, 'convolutions run on tensor cores');
      const worst = [...kernels].sort((a, b) => b.usage.sm_87.registers - a.usage.sm_87.registers)[0];
      t.log(`most registers: ${worst.usage.sm_87.registers} (sm_87) / ${worst.usage.sm_90.registers} (sm_90), smem ${worst.usage.sm_87.smem_bytes} B: ${worst.kernel.slice(0, 100)}`);
      t.regex(String(files.get('CMakeLists.txt')), /CMAKE_CUDA_ARCHITECTURES 87;90/);
      t.regex(String(files.get('model.cu')), /cudaStreamBeginCapture/);
      t.notRegex(String(files.get('model.cu')), /cudnn|cublas|NvInfer/i);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** The tolerance each precision is held to against the float reference (fp16 tensor cores vs exact fp32 kernels). */
const GPU_CASES = [
  { target: 'jetson-orin', tolerance: 1e-2 },
  { target: 'cuda', tolerance: 1e-4 },
];

for (const m of REAL_MODELS) {
  for (const c of GPU_CASES) {
    test(`${m.name}: runs on the GPU for target ${c.target} (rel-L2 <= ${c.tolerance} vs reference)`, async (t) => {
      const why = await gpuMissing();
      if (why) {
        t.log(`skipped: needs ${why}`);
        t.pass();
        return;
      }
      const target = cudaTarget(c.target);
      const { graph, reference } = compileGraph(m.file, target, { inputShapes: { [m.input]: m.shape } });
      const x = randomInputs(reference, 7)[0];
      const feeds = { [m.input]: x };
      const got = await runCuda(graph, feeds, target);
      const ref = runReference(reference, feeds);
      for (const o of graph.outputs) {
        const r = compareValues(o, got[o], ref[o]);
        t.log(`${o}: GPU vs reference rel_l2 ${r.rel_l2_err.toExponential(2)}`);
        t.true(r.rel_l2_err <= c.tolerance, `${o}: rel_l2 ${r.rel_l2_err}`);
      }
    });
  }
}

test('int8 ppocr-cls: whole model on CUDA (Softmax kept float) compiles; on a GPU its integer part equals the integer reference', async (t) => {
  const m = REAL_MODELS.find((r) => r.name === 'ppocr-cls')!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-cuda-calib-'));
  const samples = haveOcrLines() ? [0, 1, 2, 3].map((i) => recInput(16 + i, 192)) : [1, 2, 3, 4].map((s) => randomInputs(compileGraph(m.file, cudaTarget('jetson-orin'), { inputShapes: { [m.input]: m.shape } }).reference, s)[0]);
  samples.forEach((v, i) => writeNpy(path.join(dir, `${i}.npy`), v));
  const target = cudaTarget('jetson-orin', ['87']);
  const { graph } = compileGraph(m.file, target, { inputShapes: { [m.input]: m.shape }, quantize: 'int8', calib: dir, keepFloat: ['Softmax'] });
  fs.rmSync(dir, { recursive: true, force: true });
  const gpu = await gpuMissing();
  if (gpu) {
    const why = await nvccMissing();
    if (why) {
      t.log(`skipped: ${why}`);
      t.pass();
      return;
    }
    const art = await emitCudaArtifact(graph, target);
    fs.rmSync(art.dir, { recursive: true, force: true });
    const kernels = art.facts.kernels as KernelReport[];
    t.true(kernels.some((k) => k.kernel.startsWith('edgec::qconv_mma')), 'int8 convolutions on integer tensor cores');
    t.true(kernels.every((k) => k.usage.sm_87 && k.usage.sm_87.spill_bytes === 0));
    t.log(`int8 cls: ${art.facts.launches} launches, ${kernels.length} kernels; GPU run skipped: needs ${gpu}`);
    return;
  }
  const x = samples[0];
  const got = await runCuda(graph, { [m.input]: x }, target);
  const ref = runReference(graph, { [m.input]: x });
  for (const o of graph.outputs) {
    // Integer outputs must match exactly; the float Softmax after the last Dequantize reads bit-exact codes.
    if (got[o].dtype === 'int8') t.deepEqual(Array.from(got[o].data), Array.from(ref[o].data), `${o}: GPU vs integer reference`);
    else t.true(compareValues(o, got[o], ref[o]).rel_l2_err <= 1e-6, `${o}: float output after the integer part`);
  }
});
