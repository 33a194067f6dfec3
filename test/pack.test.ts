/** Lossless weight packing: canonical Huffman round trips, bit-identical outputs from a packed artifact, packed vs raw bytes on real models, and the decoder's code size. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import type { Value } from '../src/ir/types.js';
import { canonicalCode, codeLengths, huffDecode, huffEncode, packConst } from '../src/backends/c/pack.js';
import { emitC, RUNTIME_DIR } from '../src/backends/c/emit.js';
import { build, buildProgram, compileGraph } from '../src/build.js';
import { writeNpy } from '../src/util/npy.js';
import { getTarget } from '../src/targets/targets.js';
import { runnerFor } from '../src/runners/runner.js';
import { runPipeline } from '../src/passes/pass.js';
import { CORE_PASSES } from '../src/passes/pipeline.js';
import { run } from '../src/util/exec.js';
import { importModel, randn } from './helpers/graph.js';
import { REAL_MODELS } from './helpers/models.js';

test('canonical Huffman codes round-trip skewed, single-symbol and deep (Fibonacci) distributions; lengths stay <= 15', (t) => {
  const skewed = Uint8Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? 200 : i % 3 === 0 ? 17 : (i * 31) & 0xff));
  const single = new Uint8Array(300).fill(9);
  // Fibonacci counts force a depth of ~25 without length limiting.
  const fib = [1, 1];
  while (fib.length < 26) fib.push(fib[fib.length - 1] + fib[fib.length - 2]);
  const deep = Uint8Array.from(fib.flatMap((c, s) => new Array<number>(c).fill(s)));
  for (const [name, data] of Object.entries({ skewed, single, deep })) {
    const freq = new Array<number>(256).fill(0);
    for (const s of data) freq[s]++;
    const len = codeLengths(freq);
    t.true(Math.max(...len) <= 15, name);
    const code = canonicalCode(len);
    t.deepEqual(Array.from(huffDecode(huffEncode(data, code), code, data.length)), Array.from(data), name);
  }
  // A float tensor with few exponents packs below its raw size.
  const w: Value = { dtype: 'float32', shape: [4096], data: randn(4096, 3).map((v) => v * 0.05) };
  const p = packConst(w)!;
  t.true(p.bytes < 4096 * 4 * 0.9, `${p.bytes} bytes`);
});

test('a packed artifact decodes its weights at the first run and gives bit-identical outputs', async (t) => {
  const { graph } = importModel({
    inputs: [{ name: 'x', dims: [1, 8, 6, 6] }],
    initializers: { w: { dims: [16, 8, 3, 3], data: randn(1152, 5).map((v) => v * 0.1) }, w2: { dims: [16 * 36, 40], data: randn(16 * 36 * 40, 6).map((v) => v * 0.02) }, shape: { dims: [2], data: [1, 576], dtype: 'int64' } },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Reshape', inputs: ['c', 'shape'], outputs: ['f'] },
      { op: 'MatMul', inputs: ['f', 'w2'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
  const g = runPipeline(graph, CORE_PASSES);
  const target = getTarget('c');
  const x: Value = { dtype: 'float32', shape: [1, 8, 6, 6], data: randn(288, 7) };
  const outs = [g.tensors.get('y')!];
  const runs: Float32Array[] = [];
  for (const pack of [undefined, 'lossless'] as const) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-pack-'));
    const program = await buildProgram(g, dir, target, 'model', false, pack);
    // Two runs: the second must not decode again over the weights in use.
    const r = runnerFor(target);
    await r.run(program, [x], outs);
    runs.push((await r.run(program, [x], outs)).outputs[0].data as Float32Array);
    if (pack) t.true(fs.readFileSync(path.join(dir, 'model_weights.c'), 'utf8').includes('edgec_unpack_f32('));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  t.deepEqual(Buffer.from(runs[1].buffer), Buffer.from(runs[0].buffer));
  const art = emitC(g, { prefix: 'model', pack: 'lossless', target: { vectorFloats: 8, l1Bytes: 32768, l2Bytes: 262144 } });
  t.true(art.packed!.packed_bytes < art.packed!.raw_bytes);
});

test('an int8 artifact with packed int8 weights stays bit-exact with the integer reference', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-pack8-'));
  const { file } = importModel({
    inputs: [{ name: 'x', dims: [1, 16, 6, 6] }],
    initializers: { w: { dims: [32, 16, 3, 3], data: randn(4608, 8).map((v) => v * 0.2) }, w2: { dims: [32 * 36, 10], data: randn(32 * 36 * 10, 9).map((v) => v * 0.05) }, shape: { dims: [2], data: [1, 32 * 36], dtype: 'int64' } },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Reshape', inputs: ['r', 'shape'], outputs: ['f'] },
      { op: 'MatMul', inputs: ['f', 'w2'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
  const calib = path.join(dir, 'calib.npy');
  writeNpy(calib, { dtype: 'float32', shape: [4, 16, 6, 6], data: randn(4 * 576, 10) });
  const r = await build({ model: file, outDir: path.join(dir, 'out'), target: 'c', quantize: 'int8', calib, pack: 'lossless', verify: true });
  t.true(r.verification?.integer?.bit_exact, JSON.stringify(r.verification?.integer));
  t.true(fs.readFileSync(path.join(dir, 'out', 'model_weights.c'), 'utf8').includes('edgec_huff_decode(&h, (uint8_t *)'));
  t.log(`int8 model: packed ${r.sizes.packed!.packed_bytes} B of ${r.sizes.packed!.raw_bytes} B raw`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('packed against raw weight bytes on PP-OCR (float32) and TFLM person_detect (int8); the decoder is small', async (t) => {
  const facts = { vectorFloats: 8, l1Bytes: 32768, l2Bytes: 262144 };
  const models = REAL_MODELS.filter((m) => m.name.startsWith('ppocr')).map((m) => ({ name: m.name, file: m.file, shapes: { [m.input]: m.shape } as Record<string, number[]> | undefined }));
  const person = path.resolve('../shared/conformance/tflm/person_detection/person_detect.tflite');
  if (fs.existsSync(person)) models.push({ name: 'person_detect (int8)', file: person, shapes: undefined });
  else t.log('person_detect skipped: ../shared/conformance/tflm/person_detection missing');
  for (const m of models) {
    const { graph } = compileGraph(m.file, getTarget('c'), { inputShapes: m.shapes });
    const p = emitC(graph, { prefix: 'model', pack: 'lossless', target: facts }).packed!;
    t.log(`${m.name}: packed ${p.packed_bytes} B of ${p.raw_bytes} B raw (${((100 * p.packed_bytes) / p.raw_bytes).toFixed(1)}%), ${p.arrays} arrays`);
    t.true(p.packed_bytes < p.raw_bytes, m.name);
  }
  // Decoder code size: unpack.h's two functions compiled on their own at -Os.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-unpack-'));
  const src = path.join(dir, 'u.c');
  fs.writeFileSync(src, '#include "edgec_runtime.h"\n#include "kernels/unpack.h"\nvoid (*keep[2])(void) = {(void (*)(void))edgec_huff_decode, (void (*)(void))edgec_unpack_f32};\n');
  await run('gcc', ['-std=c99', '-Os', '-c', '-I', RUNTIME_DIR, src, '-o', path.join(dir, 'u.o')]);
  const size = await run('size', ['-A', path.join(dir, 'u.o')]);
  const text = Number(/\.text\s+(\d+)/.exec(size.stdout)?.[1]);
  t.log(`decoder code size (gcc -Os, x86-64 .text): ${text} bytes`);
  t.true(text > 0 && text < 1024);
  fs.rmSync(dir, { recursive: true, force: true });
});
