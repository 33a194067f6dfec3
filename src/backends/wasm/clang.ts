/** In-process clang/lld (@yowasp/clang: the toolchain compiled to WebAssembly): compiles an artifact folder's C to model.wasm. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUNTIME_DIR } from '../c/emit.js';
import type { Target } from '../../targets/targets.js';
import { EdgecError } from '../../util/errors.js';

/** A virtual file tree as @yowasp/clang takes and returns it. */
type Tree = { [name: string]: Tree | string | Uint8Array };
type RunClang = (args: string[], files: Tree, opts: { stderr?: (b: Uint8Array | null) => void; stdout?: (b: Uint8Array | null) => void; fetchProgress?: () => void }) => Promise<Tree>;

/** Where the freestanding libc subset (string.h, math.h, libc.c) lives in runtime-c. */
export const FREESTANDING_DIR = path.join(RUNTIME_DIR, 'freestanding');

/** Folder names of the virtual tree: the artifact's sources and the freestanding runtime. */
const SRC = 'src';
const LIBC = 'edgec_freestanding';

let loaded: Promise<RunClang | undefined> | undefined;
/** The runClang entry point, or undefined when @yowasp/clang is not installed. */
export function loadClang(): Promise<RunClang | undefined> {
  // Fetching the toolchain's resources first, quietly (the package otherwise prints its progress on stdout).
  loaded ??= import('@yowasp/clang').then(
    async (m) => {
      const api = m as unknown as { runClang: RunClang; runLLVM: (args: null, files: Tree, opts: { fetchProgress: () => void }) => Promise<unknown> };
      await api.runLLVM(null, {}, { fetchProgress: () => {} });
      return api.runClang;
    },
    () => undefined,
  );
  return loaded;
}

/** C sources and headers under `dir` (recursively), as a virtual tree; `skip` leaves out files by name. */
export function sourceTree(dir: string, skip: (name: string) => boolean = () => false): Tree {
  const t: Tree = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t[e.name] = sourceTree(p, skip);
    else if (/\.[ch]$/.test(e.name) && !skip(e.name)) t[e.name] = fs.readFileSync(p, 'utf8');
  }
  return t;
}

/** Translation units of an artifact: the model, its weights, the WebAssembly entry points and the freestanding libc. */
function translationUnits(prefix: string): string[] {
  return [`${SRC}/${prefix}.c`, `${SRC}/${prefix}_weights.c`, `${SRC}/${prefix}_wasm.c`, `${LIBC}/libc.c`];
}

/** First lines of a compiler log, for error messages. */
function head(log: string, lines = 30): string {
  return log.split('\n').filter((l) => !/^yowasp-llvm: fetched/.test(l)).slice(0, lines).join('\n');
}

/**
 * Compile and link the artifact in `dir` into a freestanding module with the target's flags; returns the .wasm bytes.
 * Any unresolved symbol fails the link (the module must import nothing).
 */
export async function compileWasm(dir: string, prefix: string, target: Target): Promise<Uint8Array> {
  const clang = await loadClang();
  if (!clang) throw new EdgecError(`target '${target.name}' compiles with @yowasp/clang, which is not installed; run 'npm ci' in the edgec folder`);
  const files: Tree = { [SRC]: sourceTree(dir), [LIBC]: sourceTree(FREESTANDING_DIR) };
  const tc = target.toolchain;
  const objects: string[] = [];
  // One clang call per translation unit (the wasm-hosted driver runs one job per call), then one link.
  for (const tu of translationUnits(prefix)) {
    const obj = `${path.basename(tu, '.c')}.o`;
    const data = tu.endsWith('_weights.c');
    const flags = data ? tc.cflags.map((f) => (/^-O\d$/.test(f) ? '-O0' : f)) : tc.cflags;
    const t0 = performance.now();
    await invoke(clang, ['clang', ...flags, '-Wall', '-Werror', '-Wno-unknown-attributes', '-isystem', `/${LIBC}/include`, `-I/${SRC}`, '-c', tu, '-o', obj], files, `compiling ${path.basename(tu)} for ${target.name}`, dir);
    if (process.env.EDGEC_TIME) process.stderr.write(`${tu} ${(performance.now() - t0).toFixed(0)} ms\n`);
    objects.push(obj);
  }
  const out = await invoke(clang, ['clang', ...tc.cflags, ...tc.ldflags, ...objects, '-o', `${prefix}.wasm`], files, `linking ${prefix}.wasm`, dir);
  const wasm = out[`${prefix}.wasm`];
  if (!(wasm instanceof Uint8Array)) throw new EdgecError(`linking ${prefix}.wasm in ${dir} produced no module`);
  return wasm;
}

/** Run one clang/lld command on the tree; its outputs are merged back into `files` for the next step. */
async function invoke(clang: RunClang, args: string[], files: Tree, what: string, dir: string): Promise<Tree> {
  let log = '';
  const sink = (b: Uint8Array | null) => { if (b) log += new TextDecoder().decode(b); };
  try {
    const out = await clang(args, files, { stdout: sink, stderr: sink, fetchProgress: () => {} });
    for (const [k, v] of Object.entries(out)) if (v instanceof Uint8Array && k.endsWith('.o')) files[k] = v;
    return out;
  } catch (e) {
    const reason = head(log) || (e as Error).message;
    const undef = /undefined symbol: (\S+)/.exec(log);
    const hint = undef ? `\n(the module must be freestanding: '${undef[1]}' has no definition; runtime-c/freestanding/libc.c holds the libc subset)` : '';
    throw new EdgecError(`${what} failed in ${dir}:\n${reason}${hint}`);
  }
}
