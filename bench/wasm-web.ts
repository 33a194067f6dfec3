/** `npm run bench -- --wasm`: edgec's wasm bundles (float and int8) against onnxruntime-web (wasm backend, SIMD, one
 * thread) in the same Node process: median per-run CPU time per model, ratios, output agreement, and bundle bytes. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as ortWeb from 'onnxruntime-web';
import { buildProgram, compileGraph } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import { graphMacs } from '../src/inspect.js';
import type { Value } from '../src/ir/types.js';
import { compareValues } from '../src/verify/metrics.js';
import { sqnrDb } from '../src/quant/params.js';
import { writeNpy } from '../src/util/npy.js';

/** One model of the wasm benchmark: its input and, for int8, calibration samples. */
export interface WasmBenchCase {
  name: string;
  file: string;
  shapes: Record<string, number[]>;
  input: Value;
  calib?: () => Value[];
}

/** Timing options: runs per measurement and alternating rounds (the table shows medians). */
export interface WasmBenchOptions {
  repeat: number;
  rounds: number;
  int8: boolean;
  dir: string;
}

interface Loaded {
  run(x: Float32Array): Float32Array;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Build a graph's wasm bundle into `dir` and load it through its own loader; returns the model and the .wasm size. */
async function bundle(graph: Parameters<typeof buildProgram>[0], dir: string): Promise<{ m: Loaded; bytes: number }> {
  fs.rmSync(dir, { recursive: true, force: true });
  const loader = await buildProgram(graph, dir, getTarget('wasm'));
  const mod = (await import(`${pathToFileURL(loader).href}?t=${Date.now()}`)) as { load(): Promise<Loaded> };
  return { m: await mod.load(), bytes: fs.statSync(loader.replace(/\.js$/, '.wasm')).size };
}

/** Process CPU time in ms (user + system): other work on the machine distorts it far less than wall clock, and with
 * one thread each side's runs are on this process's clock alone. */
function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** CPU milliseconds of `repeat` synchronous runs, appended to `t`. */
function timeSync(f: () => void, repeat: number, t: number[]): void {
  for (let i = 0; i < repeat; i++) {
    const t0 = cpuMs();
    f();
    t.push(cpuMs() - t0);
  }
}

/** CPU milliseconds of `repeat` awaited runs, appended to `t`. */
async function timeAsync(f: () => Promise<unknown>, repeat: number, t: number[]): Promise<void> {
  for (let i = 0; i < repeat; i++) {
    const t0 = cpuMs();
    await f();
    t.push(cpuMs() - t0);
  }
}

/** The onnxruntime-web wasm binary Node loads for the wasm backend (for the bundle-size column). */
function ortWasmBytes(): number {
  const dist = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
  return fs.statSync(path.join(dist, 'ort-wasm-simd-threaded.wasm')).size;
}

/** Run the benchmark; returns the markdown table. */
export async function wasmBench(cases: WasmBenchCase[], opts: WasmBenchOptions): Promise<string> {
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.logLevel = 'error';
  const rows: string[] = [];
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  for (const c of cases) {
    process.stderr.write(`bench wasm ${c.name}: compiling float\n`);
    const wasm = getTarget('wasm');
    const { graph } = compileGraph(c.file, wasm, { inputShapes: c.shapes });
    const f32 = await bundle(graph, path.join(opts.dir, c.name));
    let i8: { m: Loaded; bytes: number } | undefined;
    if (opts.int8 && c.calib) {
      process.stderr.write(`bench wasm ${c.name}: calibrating and compiling int8\n`);
      const cdir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-bench-calib-'));
      c.calib().forEach((v, i) => writeNpy(path.join(cdir, `${i}.npy`), v));
      const q = compileGraph(c.file, wasm, { inputShapes: c.shapes, quantize: 'int8', calib: cdir });
      i8 = await bundle(q.graph, path.join(opts.dir, `${c.name}-int8`));
      fs.rmSync(cdir, { recursive: true, force: true });
    }
    const session = await ortWeb.InferenceSession.create(c.file, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const x = c.input.data as Float32Array;
    const feeds = { [session.inputNames[0]]: new ortWeb.Tensor('float32', x, c.input.shape) };
    const ortOut = (await session.run(feeds))[session.outputNames[0]];
    const shape = [...ortOut.dims];
    const mine = f32.m.run(x).slice();
    const relL2 = compareValues('out', { dtype: 'float32', shape, data: mine }, { dtype: 'float32', shape, data: ortOut.data as Float32Array }).rel_l2_err;
    const sqnr = i8 ? sqnrDb(mine, i8.m.run(x)) : undefined;
    const e: number[] = [];
    const o: number[] = [];
    const q: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      timeSync(() => f32.m.run(x), opts.repeat, e);
      await timeAsync(() => session.run(feeds), opts.repeat, o);
      if (i8) timeSync(() => i8!.m.run(x), opts.repeat, q);
    }
    await session.release();
    const [em, om, qm] = [median(e), median(o), i8 ? median(q) : undefined];
    const mins = `${Math.min(...e).toFixed(2)} / ${i8 ? Math.min(...q).toFixed(2) : '-'} / ${Math.min(...o).toFixed(2)}`;
    process.stderr.write(`bench wasm ${c.name}: edgec ${em.toFixed(2)} ms, int8 ${qm?.toFixed(2) ?? '-'} ms, onnxruntime-web ${om.toFixed(2)} ms\n`);
    const onnxBytes = fs.statSync(c.file).size;
    rows.push(
      `| ${c.name} | ${(graphMacs(graph) / 1e6).toFixed(1)} | ${em.toFixed(2)} | ${qm?.toFixed(2) ?? '-'} | ${om.toFixed(2)} | ${(em / om).toFixed(2)}x | ${qm ? `${(qm / om).toFixed(2)}x` : '-'} | ${relL2.toExponential(1)} | ${sqnr?.toFixed(1) ?? '-'} | ${kb(f32.bytes)} | ${i8 ? kb(i8.bytes) : '-'} | ${kb(onnxBytes)} | ${mins} |`,
    );
  }
  return [
    '| model | MMACs | edgec wasm (ms) | edgec wasm int8 (ms) | onnxruntime-web (ms) | float / ORT | int8 / ORT | rel_l2 vs ORT | int8 SQNR vs float (dB) | model.wasm | int8 model.wasm | .onnx | min ms: float / int8 / ORT |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Node ${process.version}, one thread, same process; onnxruntime-web ${ortWeb.env.versions?.web ?? ''} wasm backend (SIMD), graph optimizations on. ` +
      `Per-run process CPU time: medians (and minima) over ${opts.rounds} alternating rounds x ${opts.repeat} runs. edgec's model.wasm holds the weights and the code; ` +
      `onnxruntime-web loads its ${kb(ortWasmBytes())} ort-wasm-simd-threaded.wasm (plus its JS) and the .onnx file.`,
  ].join('\n');
}
