/** `node --import tsx bench/cuda.ts [--target cuda-sm90]` on a GPU machine: edgec's CUDA artifacts against PyTorch
 * eager (cuDNN, fp16) and torch.compile on torchvision MobileNetV2 / V3-small (exported with seeded weights by
 * bench/cuda/torch_baseline.py), plus PP-OCR det/rec against onnxruntime-gpu when installed. Batch 1, median latency
 * of CUDA-event-timed graph replays; writes bench/results/cuda.md. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import '../src/ops/index.js';
import { compileGraph } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import { backendFor } from '../src/backends/backends.js';
import { cudaRunner } from '../src/runners/cuda.js';
import { randomInputs } from '../src/verify/verify.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues } from '../src/verify/metrics.js';
import { graphMacs, layerTable } from '../src/inspect.js';
import { byteSize } from '../src/ir/dtype.js';
import { valueToBytes } from '../src/runners/native.js';
import { run } from '../src/util/exec.js';
import { REAL_MODELS } from '../test/helpers/models.js';

const argv = await yargs(hideBin(process.argv))
  .option('target', { type: 'string', default: 'cuda-sm90', describe: 'CUDA target (jetson-orin on a Jetson)' })
  .option('repeat', { type: 'number', default: 200 })
  .option('python', { type: 'string', default: 'python3' })
  .option('out', { type: 'string', default: 'bench/results/cuda.md' })
  .strict()
  .parseAsync();

const why = await cudaRunner.unavailable(getTarget(argv.target));
if (why) {
  process.stderr.write(`bench/cuda.ts needs ${why}\n`);
  process.exit(1);
}
const target = getTarget(argv.target);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-bench-cuda-'));
const ppocr = REAL_MODELS.filter((m) => m.name === 'ppocr-det' || m.name === 'ppocr-rec');
const py = await run(argv.python, [
  'bench/cuda/torch_baseline.py', work, '--repeat', String(argv.repeat),
  ...ppocr.flatMap((m) => ['--onnx', `${m.name}=${m.file}:${m.input}=${m.shape.join('x')}`]),
], { timeoutMs: 1_800_000 });
if (py.code !== 0) {
  process.stderr.write(`torch baseline failed (needs torch, torchvision, onnx):\n${py.stderr.split('\n').slice(-20).join('\n')}\n`);
  process.exit(1);
}
const base = JSON.parse(py.stdout.trim().split('\n').pop()!) as {
  device: string; torch: string;
  models: Record<string, { onnx: string; input: string; shape: number[]; eager_fp16_ms: number; compile_fp16_ms: number | null }>;
  onnxruntime: Record<string, number>;
};

interface Row { name: string; macs: number; edgecMs: number; relL2: number; eager?: number | null; compiled?: number | null; ort?: number }
const rows: Row[] = [];
/** The largest convolutions of each model, timed one by one (runner --profile): achieved fraction of the peaks. */
interface LayerRow { model: string; layer: string; op: string; macs: number; us: number; bytes: number }
const layers: LayerRow[] = [];

/** Per-layer times of an artifact's runner (eager run with events). */
async function profile(program: string, x: Uint8Array[], outBytes: number[]): Promise<Map<string, number>> {
  const files = x.map((b, i) => {
    const f = path.join(work, `in${i}.bin`);
    fs.writeFileSync(f, b);
    return f;
  });
  const outs = outBytes.map((_, i) => path.join(work, `out${i}.bin`));
  const r = await run(program, ['--profile', ...files, ...outs]);
  if (r.code !== 0) throw new Error(`profiling ${program} failed: ${r.stderr}`);
  return new Map([...r.stdout.matchAll(/^layer \d+ ([\d.]+) (.*)$/gm)].map((m) => [m[2], Number(m[1])]));
}
const cases = [
  ...Object.entries(base.models).map(([name, m]) => ({ name, file: m.onnx, input: m.input, shape: m.shape })),
  ...ppocr.map((m) => ({ name: m.name, file: m.file, input: m.input, shape: m.shape })),
];
for (const c of cases) {
  const { graph, reference } = compileGraph(c.file, target, { inputShapes: { [c.input]: c.shape } });
  const dir = path.join(work, c.name);
  for (const [f, text] of backendFor(target).emit(graph, { prefix: 'model', target }).files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  const program = await cudaRunner.build(dir, 'model', target);
  const x = randomInputs(reference, 1);
  const res = await cudaRunner.run(program, x, graph.outputs.map((n) => graph.tensors.get(n)!), { repeat: argv.repeat });
  const ref = runReference(reference, { [c.input]: x[0] });
  const times = await profile(program, x.map(valueToBytes), graph.outputs.map((n) => byteSize(graph.tensors.get(n)!.dtype, graph.tensors.get(n)!.shape)));
  const nodeBytes = (name: string) => {
    const n = graph.nodes.find((v) => v.name === name)!;
    return [...n.inputs, ...n.outputs].reduce((acc, t) => acc + (t ? byteSize(graph.tensors.get(t)!.dtype, graph.tensors.get(t)!.shape) : 0), 0);
  };
  for (const l of layerTable(graph).filter((r) => r.op.startsWith('Conv')).sort((a, b) => b.macs - a.macs).slice(0, 3))
    if (times.has(l.name)) layers.push({ model: c.name, layer: l.name, op: l.op, macs: l.macs, us: times.get(l.name)!, bytes: nodeBytes(l.name) });
  const o = graph.outputs[0];
  const b = base.models[c.name];
  rows.push({
    name: c.name, macs: graphMacs(graph), edgecMs: res.medianUs! / 1000, relL2: compareValues(o, res.outputs[0], ref[o]).rel_l2_err,
    eager: b?.eager_fp16_ms, compiled: b?.compile_fp16_ms, ort: base.onnxruntime[c.name],
  });
  process.stdout.write(`${c.name}: edgec ${(res.medianUs! / 1000).toFixed(3)} ms\n`);
}

const f3 = (v: number | null | undefined) => (v == null ? '-' : v.toFixed(3));
const ratio = (a: number, b: number | null | undefined) => (b == null ? '-' : `${(a / b).toFixed(2)}x`);
const peak = target.cuda!.peakFp16Tflops * 1e12;
const lines = [
  `# edgec CUDA benchmark (${argv.target})`,
  '',
  `${base.device}; torch ${base.torch}; batch 1; median of ${argv.repeat} CUDA-event-timed runs (edgec: CUDA graph replay).`,
  '',
  '| model | MMACs | edgec (ms) | PyTorch eager fp16 (ms) | torch.compile fp16 (ms) | onnxruntime-gpu (ms) | edgec / eager | edgec / compile | achieved TFLOPS (% of fp16 peak) | rel-L2 vs reference |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => {
    const tflops = (2 * r.macs) / (r.edgecMs / 1000);
    return `| ${r.name} | ${(r.macs / 1e6).toFixed(1)} | ${f3(r.edgecMs)} | ${f3(r.eager)} | ${f3(r.compiled)} | ${f3(r.ort)} | ${ratio(r.edgecMs, r.eager)} | ${ratio(r.edgecMs, r.compiled)} | ${(tflops / 1e12).toFixed(2)} (${((100 * tflops) / peak).toFixed(2)}%) | ${r.relL2.toExponential(1)} |`;
  }),
  '',
  'Largest convolutions, each timed alone (eager run with events): achieved fraction of the fp16 tensor-core peak and of the memory bandwidth (bytes = input + weights + output).',
  '',
  '| model | layer | op | MMACs | us | TFLOPS (% peak) | GB/s (% peak) |',
  '|---|---|---|---:|---:|---:|---:|',
  ...layers.map((l) => {
    const tf = (2 * l.macs) / (l.us * 1e-6);
    const bw = l.bytes / (l.us * 1e-6);
    return `| ${l.model} | ${l.layer} | ${l.op} | ${(l.macs / 1e6).toFixed(1)} | ${l.us.toFixed(1)} | ${(tf / 1e12).toFixed(2)} (${((100 * tf) / peak).toFixed(1)}%) | ${(bw / 1e9).toFixed(0)} (${((100 * bw) / (target.cuda!.bandwidthGBs * 1e9)).toFixed(1)}%) |`;
  }),
  '',
];
fs.mkdirSync(path.dirname(argv.out), { recursive: true });
fs.writeFileSync(argv.out, lines.join('\n'));
process.stdout.write(lines.join('\n'));
fs.rmSync(work, { recursive: true, force: true });
