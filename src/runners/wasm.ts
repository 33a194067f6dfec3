/** The WebAssembly runner: compile the artifact in-process to <prefix>.wasm and run it in this Node through its own loader. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TensorInfo, Value } from '../ir/types.js';
import { EdgecError } from '../util/errors.js';
import { compileWasm, loadClang } from '../backends/wasm/clang.js';
import { jsArrayOf } from '../backends/wasm/bundle.js';
import { bytesToValue, valueToBytes } from './native.js';
import type { Runner } from './runner.js';

/** What the generated loader exports (see backends/wasm/bundle.ts). */
interface LoadedModel {
  run(...xs: ArrayBufferView[]): ArrayBufferView | readonly ArrayBufferView[];
}

/** Newest modification time of the C sources under `dir`. */
function newestSource(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && !e.name.startsWith('.')) t = Math.max(t, newestSource(p));
    else if (/\.[ch]$/.test(e.name)) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

/** A value as the typed array the loader takes for its dtype. */
function toTyped(v: Value): ArrayBufferView {
  const bytes = valueToBytes(v);
  const Ctor = (globalThis as unknown as Record<string, new (b: ArrayBuffer) => ArrayBufferView>)[jsArrayOf(v.dtype)];
  return new Ctor(new Uint8Array(bytes).buffer);
}

/** Import the artifact's loader (a fresh module per build of the .wasm) and instantiate the model. */
async function loadModel(loader: string): Promise<LoadedModel> {
  const wasm = loader.replace(/\.js$/, '.wasm');
  const stamp = fs.statSync(wasm).mtimeMs;
  const mod = (await import(`${pathToFileURL(loader).href}?build=${stamp}`)) as { load(): Promise<LoadedModel> };
  return mod.load();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export const wasmRunner: Runner = {
  name: 'wasm',
  async unavailable() {
    return (await loadClang()) ? undefined : "the in-process compiler @yowasp/clang (run 'npm ci' in the edgec folder)";
  },
  async build(dir, prefix, target, opts = {}) {
    if (opts.sanitize) throw new EdgecError(`--sanitize is not available for target '${target.name}' (WebAssembly has no sanitizer runtime); verify without it`);
    const loader = path.resolve(dir, `${prefix}.js`);
    if (!fs.existsSync(loader)) throw new EdgecError(`${dir}: no ${prefix}.js loader; rebuild the artifact with 'edgec build --target ${target.name}'`);
    const wasm = path.resolve(dir, `${prefix}.wasm`);
    if (!fs.existsSync(wasm) || fs.statSync(wasm).mtimeMs < newestSource(dir)) fs.writeFileSync(wasm, await compileWasm(dir, prefix, target));
    return loader;
  },
  async run(program, inputs, outputs, opts = {}) {
    const m = await loadModel(program);
    const xs = inputs.map(toTyped);
    const res = m.run(...xs);
    const outs = (outputs.length === 1 ? [res] : res) as ArrayBufferView[];
    const values = outputs.map((info: TensorInfo, i) => bytesToValue(Buffer.from(outs[i].buffer, outs[i].byteOffset, outs[i].byteLength), info));
    if (!opts.repeat) return { outputs: values };
    const t: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < opts.repeat; r++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      m.run(...xs);
      t.push((performance.now() - t0) * 1000);
      const c = process.cpuUsage(c0);
      cpu.push(c.user + c.system);
    }
    return { outputs: values, medianUs: median(t), minUs: Math.min(...t), medianCpuUs: median(cpu) };
  },
};
