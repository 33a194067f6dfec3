/** The native runner (compile with the target's host compiler, run the program on raw files) and the helpers other runners share. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TensorInfo, Value } from '../ir/types.js';
import { allocData, byteSize } from '../ir/dtype.js';
import { EdgecError } from '../util/errors.js';
import { hasTool, run } from '../util/exec.js';
import { RUNTIME_DIR } from '../backends/c/emit.js';
import type { Target } from '../targets/targets.js';
import type { RunResult } from './runner.js';
import type { Runner, RunnerBuildOptions } from './runner.js';

/** Raw little-endian bytes of a value as the C program sees it (int64 widened from float64 storage). */
export function valueToBytes(v: Value): Buffer {
  if (v.dtype === 'int64') return Buffer.from(BigInt64Array.from(v.data as Float64Array, (x) => BigInt(Math.trunc(x))).buffer);
  return Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength);
}

/** Decode raw bytes written by the C program into a value. */
export function bytesToValue(buf: Buffer, info: TensorInfo): Value {
  const bytes = byteSize(info.dtype, info.shape);
  if (buf.byteLength !== bytes) throw new EdgecError(`output has ${buf.byteLength} bytes, expected ${bytes}`);
  const copy = new Uint8Array(buf).buffer;
  if (info.dtype === 'int64') return { ...info, data: Float64Array.from(new BigInt64Array(copy), Number) };
  const data = allocData(info.dtype, 0).constructor as new (b: ArrayBuffer) => Value['data'];
  return { ...info, data: new data(copy) };
}

/** Compile and link an artifact folder's program with the target's compiler (model code with the target flags plus
 * `extraCflags`); returns the program path. */
export async function compileArtifact(dir: string, prefix: string, target: Target, opts: RunnerBuildOptions = {}, extraCflags: string[] = []): Promise<string> {
  const exe = path.resolve(dir, '.build', opts.sanitize ? `${prefix}_asan` : prefix);
  fs.mkdirSync(path.dirname(exe), { recursive: true });
  const cc = target.toolchain.cc;
  const cflags = [...target.toolchain.cflags, ...extraCflags];
  const san = opts.sanitize ? ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-g'] : [];
  const strict = ['-Wall', '-Wextra', '-Werror'];
  const defs = [`-DEDGEC_MODEL_HEADER="${prefix}.h"`, `-DEDGEC_MODEL_INFO=${prefix}_info`, `-DEDGEC_MODEL_ARENA=${prefix.toUpperCase()}_ARENA_SIZE`];
  const obj = (name: string) => path.join(path.dirname(exe), `${name}${opts.sanitize ? '_asan' : ''}.o`);
  // Weights compile without optimisation (pure data); model code with the target flags; in parallel.
  const jobs = [
    run(cc, ['-std=c99', '-O0', ...strict, '-c', `${prefix}_weights.c`, '-o', obj('weights')], { cwd: dir }),
    run(cc, [...cflags, ...strict, ...san, '-I.', '-c', `${prefix}.c`, '-o', obj('model')], { cwd: dir }),
    run(cc, [...cflags.filter((f) => f !== '-std=c99'), '-std=gnu99', ...san, '-I.', ...defs, '-c', path.join(RUNTIME_DIR, 'edgec_main.c'), '-o', obj('main')], { cwd: dir }),
  ];
  for (const r of await Promise.all(jobs)) {
    if (r.code !== 0) throw new EdgecError(`C compilation failed in ${dir}:\n${r.stderr.split('\n').slice(0, 30).join('\n')}`);
  }
  const link = await run(cc, [...san, obj('model'), obj('weights'), obj('main'), '-o', exe, ...target.toolchain.ldflags], { cwd: dir });
  if (link.code !== 0) throw new EdgecError(`linking failed in ${dir}:\n${link.stderr.split('\n').slice(0, 30).join('\n')}`);
  return exe;
}

/** Run a built program (argv: the command and its leading arguments) once on raw input files; `repeat` also times runs. */
export async function runProgram(argv: string[], inputs: Value[], outputs: TensorInfo[], opts: { repeat?: number } = {}): Promise<RunResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-run-'));
  const name = path.basename(argv[argv.length - 1]);
  try {
    const ins = inputs.map((v, i) => {
      const f = path.join(tmp, `in${i}.bin`);
      fs.writeFileSync(f, valueToBytes(v));
      return f;
    });
    const outs = outputs.map((_, i) => path.join(tmp, `out${i}.bin`));
    const args = [...argv.slice(1), ...(opts.repeat ? ['--repeat', String(opts.repeat)] : []), ...ins, ...outs];
    const r = await run(argv[0], args);
    if (r.code !== 0) throw new EdgecError(`running ${name} failed (exit ${r.code}):\n${r.stderr.split('\n').slice(0, 30).join('\n')}`);
    const values = outputs.map((info, i) => bytesToValue(fs.readFileSync(outs[i]), info));
    const med = /median_us ([\d.]+)/.exec(r.stdout);
    const min = /min_us ([\d.]+)/.exec(r.stdout);
    const cpu = /median_cpu_us ([\d.]+)/.exec(r.stdout);
    return { outputs: values, medianUs: med ? Number(med[1]) : undefined, minUs: min ? Number(min[1]) : undefined, medianCpuUs: cpu ? Number(cpu[1]) : undefined };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The native runner: the target's host compiler, the program run directly. */
export const nativeRunner: Runner = {
  name: 'native',
  async unavailable(target) {
    return (await hasTool(target.toolchain.cc)) ? undefined : `C compiler '${target.toolchain.cc}' not found on PATH`;
  },
  build: (dir, prefix, target, opts = {}) => compileArtifact(dir, prefix, target, opts),
  run: (program, inputs, outputs, opts = {}) => runProgram([program], inputs, outputs, opts),
};
