/** nvcc for CUDA artifacts: compile model.cu per architecture and read ptxas's resource usage (registers, shared
 * memory, spills per kernel), matched back to the launches that use each kernel. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasTool, run } from '../../util/exec.js';
import { EdgecError } from '../../util/errors.js';
import type { CudaLaunch } from './emit.js';

/** ptxas facts of one kernel instance on one architecture. */
export interface KernelUsage {
  registers: number;
  smem_bytes: number;
  stack_bytes: number;
  spill_bytes: number;
}

/** One kernel of the report: its instance name, the layers launching it, usage per architecture. */
export interface KernelReport {
  kernel: string;
  layers: string[];
  usage: Record<string, KernelUsage>;
}

/** nvcc flags shared by the resource-usage compile and the runner build: device code for every architecture. */
export function nvccFlags(architectures: string[]): string[] {
  return ['-O3', '-std=c++17', ...architectures.flatMap((a) => ['-gencode', `arch=compute_${a},code=sm_${a}`]), '-I.'];
}

/** Parse `ptxas -v` output into usage by architecture ('sm_87') and mangled entry name. */
export function parsePtxas(stderr: string): Map<string, Map<string, KernelUsage>> {
  const out = new Map<string, Map<string, KernelUsage>>();
  let current: string | undefined;
  let arch = 'sm';
  let stack = 0;
  let spill = 0;
  for (const line of stderr.split('\n')) {
    const entry = /Compiling entry function '([^']+)' for '(sm_\w+)'/.exec(line);
    if (entry) [current, arch] = [entry[1], entry[2]];
    const sf = /(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads/.exec(line);
    if (sf) {
      stack = Number(sf[1]);
      spill = Number(sf[2]) + Number(sf[3]);
    }
    const used = /Used (\d+) registers.*?(?:, (\d+) bytes smem)?/.exec(line);
    if (used && current) {
      const smem = /(\d+) bytes smem/.exec(line);
      if (!out.has(arch)) out.set(arch, new Map());
      out.get(arch)!.set(current, { registers: Number(used[1]), smem_bytes: smem ? Number(smem[1]) : 0, stack_bytes: stack, spill_bytes: spill });
      stack = 0;
      spill = 0;
    }
  }
  return out;
}

/** Demangled `ns::kernel<args>` of each mangled name (c++filt when present, else the mangled name). */
async function demangle(names: string[]): Promise<string[]> {
  if (!names.length || !(await hasTool('c++filt'))) return names;
  const r = await run('c++filt', names);
  const lines = r.stdout.split('\n');
  return names.map((n, i) => (lines[i] ?? n).replace(/^void /, '').replace(/\(.*\)$/, ''));
}

/** How nvcc's demangler spells the fixed-width types the emitter writes. */
const DEMANGLED: Record<string, string> = {
  int8_t: 'signed char', uint8_t: 'unsigned char', int16_t: 'short', uint16_t: 'unsigned short',
  int32_t: 'int', uint32_t: 'unsigned int', int64_t: 'long', uint64_t: 'unsigned long',
};
const norm = (s: string) => s.replace(/\b(u?int(?:8|16|32|64)_t)\b/g, (t) => DEMANGLED[t]).replace(/\s+/g, '');

/** Compile model.cu once for all architectures with ptxas verbose output; kernels with their usage and layers. */
export async function resourceUsage(dir: string, prefix: string, architectures: string[], launches: CudaLaunch[]): Promise<KernelReport[]> {
  const byKernel = new Map<string, KernelReport>();
  for (const l of launches) {
    const k = byKernel.get(norm(l.kernel)) ?? { kernel: l.kernel, layers: [], usage: {} };
    if (!k.layers.includes(l.layer)) k.layers.push(l.layer);
    byKernel.set(norm(l.kernel), k);
  }
  const build = path.join(dir, '.build');
  fs.mkdirSync(build, { recursive: true });
  const r = await run('nvcc', [...nvccFlags(architectures), '-Xptxas', '-v', '-c', `${prefix}.cu`, '-o', path.join(build, `${prefix}.o`)], { cwd: dir });
  if (r.code !== 0) throw new EdgecError(`nvcc failed on ${path.join(dir, `${prefix}.cu`)}:\n${r.stderr.split('\n').filter((l) => !l.startsWith('ptxas info')).slice(0, 30).join('\n')}`);
  for (const [arch, usage] of parsePtxas(r.stderr)) {
    const mangled = [...usage.keys()];
    const names = await demangle(mangled);
    mangled.forEach((m, i) => {
      const key = norm(names[i]);
      const k = byKernel.get(key) ?? { kernel: names[i], layers: [], usage: {} };
      k.usage[arch] = usage.get(m)!;
      byKernel.set(key, k);
    });
  }
  return [...byKernel.values()];
}
