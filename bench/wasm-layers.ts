/** Per-layer wasm profile of a built bundle folder: `node --import tsx bench/wasm-layers.ts DIR [--repeat N]`.
 * Copies the folder's model.c with a clock read (an `env.now` import bound to performance.now) before every layer,
 * compiles it with the target's flags (the weights object is cached in DIR/.prof), runs it and prints the median
 * milliseconds per layer and per op, largest first. A diagnostic: the shipped bundle stays import-free. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FREESTANDING_DIR, loadClang, sourceTree } from '../src/backends/wasm/clang.js';
import { getTarget } from '../src/targets/targets.js';
import { RUNTIME_DIR } from '../src/backends/c/emit.js';
import { vocabPreamble } from '../src/backends/c/vector-vocab.js';

type Tree = { [name: string]: Tree | string | Uint8Array };

const dir = process.argv[2];
const repeat = Number(process.argv[process.argv.indexOf('--repeat') + 1] || 10) || 10;
// --fresh: this checkout's kernels, vocabulary headers and vocabulary defines instead of the folder's copies.
const fresh = process.argv.includes('--fresh');
// --write FILE: write the uninstrumented module (with --fresh: this checkout's kernels) to FILE and stop.
const writeTo = process.argv.includes('--write') ? process.argv[process.argv.indexOf('--write') + 1] : undefined;
const top = Number(process.argv[process.argv.indexOf('--top') + 1] || 25) || 25;
if (!dir || !fs.existsSync(path.join(dir, 'model.c'))) throw new Error('usage: wasm-layers.ts BUNDLE_DIR (a folder with model.c)');

// Instrument: a mark before each layer comment inside model_run and before its return.
const src = fs.readFileSync(path.join(dir, 'model.c'), 'utf8').split('\n');
const names: string[] = [];
const kernels: string[] = [];
const macs: number[] = [];
/** Multiply-accumulates of a convolution call from its literal arguments (0 for other kernels). */
function convMacs(fn: string, args: string): number {
  const a = args.split(',').map((x) => Number(x.trim()));
  // (x, w, bias, y, N, C, H, W, M, OH, OW, ...): conv2d then G, KH, KW; dw then KH, KW; wino 3x3.
  const [n, c, , , m, oh, ow] = a.slice(4, 11);
  if (fn === 'edgec_conv2d') return (n * m * oh * ow * c * a[12] * a[13]) / a[11];
  if (fn === 'edgec_conv2d_dw') return n * m * oh * ow * a[11] * a[12];
  if (fn === 'edgec_conv2d_wino') return n * m * oh * ow * c * 9;
  return 0;
}
const out: string[] = [];
let inRun = false;
// Each layer's kernel call: in its layer function (a title comment at column 0 opens one) or inline in model_run.
const layerFns = src.some((l) => /^\/\* .*?: \w+ -> /.test(l));
let layers = 0;
for (const line of src) {
  const call = (layerFns || inRun) && layers > kernels.length ? /\b(edgec_\w+)\((.*)\);/.exec(line) : null;
  if (call) {
    kernels.push(call[1]);
    macs.push(convMacs(call[1], call[2]));
  }
  if (/^int model_run\(/.test(line)) inRun = true;
  if (inRun && line === '  return 0;') inRun = false;
  if (layerFns ? /^\/\* .*?: \w+ -> /.test(line) : inRun && /^ {2}\/\* (.*?): (\w+) -> /.test(line)) {
    while (kernels.length < layers) {
      kernels.push('(inline)');
      macs.push(0);
    }
    layers++;
  }
}
inRun = false;
for (const line of src) {
  if (/^int model_run\(/.test(line)) inRun = true;
  const m = inRun ? /^ {2}\/\* (.*?): (\w+) -> /.exec(line) : null;
  if (m) {
    if (!writeTo) out.push(`  EDGEC_PROF(${names.length});`);
    names.push(`${m[2]} ${m[1]} ${/-> (\[.*?\])/.exec(line)?.[1] ?? ''}`);
  }
  if (inRun && line === '  return 0;') {
    if (!writeTo) out.push(`  EDGEC_PROF(${names.length});`);
    inRun = false;
  }
  out.push(line);
}
const header = [
  '__attribute__((import_module("env"), import_name("now"))) double edgec_now(void);',
  `double edgec_prof_t[${names.length + 1}];`,
  '#define EDGEC_PROF(k) (edgec_prof_t[k] = edgec_now())',
  '__attribute__((export_name("edgec_prof"))) double *edgec_prof(void) { return edgec_prof_t; }',
];
const inc = out.findIndex((l) => l.startsWith('#include "edgec_runtime.h"'));
out.splice(inc + 1, 0, ...header);
if (fresh) {
  const from = out.findIndex((l) => l.startsWith('#define EDGEC_') && !l.startsWith('#define EDGEC_PROF'));
  const to = out.findIndex((l) => l.startsWith('#include "simd/'));
  if (from >= 0 && to > from) out.splice(from, to - from + 1, ...vocabPreamble('wasm'));
}

/** Milliseconds of CPU time this process has used (robust to other load on the machine, unlike wall time). */
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const clang = await loadClang();
if (!clang) throw new Error('@yowasp/clang is not installed');
const target = getTarget('wasm');
// EDGEC_PROF_CFLAGS: extra compiler flags to try (space-separated).
const extra = process.env.EDGEC_PROF_CFLAGS?.split(' ').filter(Boolean) ?? [];
const tc = { ...target.toolchain, cflags: [...target.toolchain.cflags, ...extra] };
const files: Tree = { src: { ...sourceTree(dir, (n) => n === 'model_weights.c'), 'model.c': out.join('\n') }, libc: sourceTree(FREESTANDING_DIR) };
if (fresh) Object.assign(files.src as Tree, { kernels: sourceTree(path.join(RUNTIME_DIR, 'kernels')), simd: sourceTree(path.join(RUNTIME_DIR, 'simd')), 'edgec_runtime.h': fs.readFileSync(path.join(RUNTIME_DIR, 'edgec_runtime.h'), 'utf8') });
const cache = path.join(dir, '.prof');
fs.mkdirSync(cache, { recursive: true });
const wobj = path.join(cache, 'model_weights.o');
const wsrc = path.join(dir, 'model_weights.c');
const log = (b: Uint8Array | null) => { if (b) process.stderr.write(b); };
const cc = async (args: string[]) => (await clang(args, files, { stdout: log, stderr: log, fetchProgress: () => {} }) as Tree);
const base = ['clang', ...tc.cflags, '-Wno-unknown-attributes', '-isystem', '/libc/include', '-I/src', '-c'];
if (!fs.existsSync(wobj) || fs.statSync(wobj).mtimeMs < fs.statSync(wsrc).mtimeMs) {
  const f2: Tree = { src: { ...(files.src as Tree), 'model_weights.c': fs.readFileSync(wsrc, 'utf8') }, libc: files.libc };
  const o = await clang([...base.map((f) => (/^-O\d$/.test(f) ? '-O0' : f)), 'src/model_weights.c', '-o', 'model_weights.o'], f2, { stdout: log, stderr: log, fetchProgress: () => {} }) as Tree;
  fs.writeFileSync(wobj, o['model_weights.o'] as Uint8Array);
}
files['model_weights.o'] = new Uint8Array(fs.readFileSync(wobj));
for (const tu of ['src/model.c', 'src/model_wasm.c', 'libc/libc.c']) {
  const o = await cc([...base, tu, '-o', `${path.basename(tu, '.c')}.o`]);
  files[`${path.basename(tu, '.c')}.o`] = o[`${path.basename(tu, '.c')}.o`];
}
const linked = await cc(['clang', ...tc.cflags, ...tc.ldflags.filter((f) => !f.includes('strip')), 'model.o', 'model_wasm.o', 'libc.o', 'model_weights.o', '-o', 'prof.wasm']);
if (writeTo) {
  fs.writeFileSync(writeTo, linked['prof.wasm'] as Uint8Array);
  process.exit(0);
}
const instance = await WebAssembly.instantiate(new WebAssembly.Module(new Uint8Array(linked['prof.wasm'] as Uint8Array)), { env: { now: cpuMs } });
const ex = instance.exports as { memory: WebAssembly.Memory; edgec_run(): number; edgec_input(i: number): number; edgec_prof(): number };
const nIn = fs.readFileSync(path.join(dir, 'model.js'), 'utf8').match(/const INPUTS = deepFreeze\((.*?)\);/)![1];
const shape = (JSON.parse(nIn) as { shape: number[] }[])[0].shape;
const x = new Float32Array(ex.memory.buffer, ex.edgec_input(0), shape.reduce((a, b) => a * b, 1));
let seed = 1;
for (let i = 0; i < x.length; i++) x[i] = ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const per: number[][] = names.map(() => []);
const totals: number[] = [];
for (let r = 0; r < repeat + 2; r++) {
  ex.edgec_run();
  const t = new Float64Array(ex.memory.buffer, ex.edgec_prof(), names.length + 1);
  if (r < 2) continue;
  for (let i = 0; i < names.length; i++) per[i].push(t[i + 1] - t[i]);
  totals.push(t[names.length] - t[0]);
}
// Means, not medians: the process CPU clock advances in scheduler ticks, so one layer's samples are lumpy (0 or a
// tick) and only their mean converges.
const median = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
while (kernels.length < names.length) {
  kernels.push('(inline)');
  macs.push(0);
}
const rate = (i: number, ms: number) => (macs[i] ? ` ${((2 * macs[i]) / ms / 1e6).toFixed(1)} GFLOP/s` : '');
const layer = names.map((n, i) => ({ n: `${n} ${kernels[i]}${rate(i, median(per[i]))}`, k: `${n.split(' ')[0]} ${kernels[i]}`, ms: median(per[i]) }));
const total = median(totals);
const byOp = new Map<string, number>();
for (const l of layer) byOp.set(l.k, (byOp.get(l.k) ?? 0) + l.ms);
process.stdout.write(`${dir}: total ${total.toFixed(2)} ms (CPU time, mean of ${repeat})\n\nper op:\n`);
for (const [op, ms] of [...byOp].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${op.padEnd(44)} ${ms.toFixed(2).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%\n`);
process.stdout.write(`\ntop ${top} layers:\n`);
for (const l of [...layer].sort((a, b) => b.ms - a.ms).slice(0, top)) process.stdout.write(`  ${l.ms.toFixed(3).padStart(8)} ms  ${l.n}\n`);
