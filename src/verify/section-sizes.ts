/** Flash and RAM of an artifact as the target's binutils `size` sees them: code (model code and kernels, with their
 * small constant tables), weights (the constant arrays) and the arena. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Target } from '../targets/targets.js';
import { EdgecError } from '../util/errors.js';
import { hasTool, run } from '../util/exec.js';

/** Section sums of the model object and the weights object, in bytes. */
export interface SectionSizes {
  /** The size tool that measured them. */
  tool: string;
  /** Machine code of the model and its kernels (.text). */
  text_bytes: number;
  /** Everything in flash but the weights: .text plus the model object's own constant tables. */
  code_bytes: number;
  /** The weights object (.rodata). */
  weights_bytes: number;
  /** The caller-owned arena (RAM). */
  arena_bytes: number;
}

/** Sum `size -A` sections by kind (text, or read-only/initialised data). */
async function sectionSums(tool: string, obj: string): Promise<{ text: number; data: number }> {
  const r = await run(tool, ['-A', obj]);
  if (r.code !== 0) throw new EdgecError(`${tool} failed on ${obj}: ${r.stderr.trim()}`);
  const sums = { text: 0, data: 0 };
  for (const line of r.stdout.split('\n')) {
    const m = /^(\.\S+)\s+(\d+)/.exec(line.trim());
    if (!m) continue;
    if (m[1].startsWith('.text')) sums.text += Number(m[2]);
    else if (m[1].startsWith('.rodata') || m[1].startsWith('.data')) sums.data += Number(m[2]);
  }
  return sums;
}

/** Compile the artifact's code and weights with the target's compiler and measure them; undefined when the target
 * names no size tool, a reason string when its tools are missing. */
export async function sectionSizes(dir: string, prefix: string, target: Target, arenaBytes: number): Promise<SectionSizes | string | undefined> {
  const tool = target.toolchain.size;
  if (!tool) return undefined;
  for (const t of [target.toolchain.cc, tool]) if (!(await hasTool(t))) return `'${t}' not found on PATH`;
  const out = path.join(dir, '.build');
  fs.mkdirSync(out, { recursive: true });
  const objs = { code: path.join(out, 'size-model.o'), weights: path.join(out, 'size-weights.o') };
  for (const [src, obj] of [[`${prefix}.c`, objs.code], [`${prefix}_weights.c`, objs.weights]]) {
    const r = await run(target.toolchain.cc, [...target.toolchain.cflags, '-I.', '-c', src, '-o', obj], { cwd: dir });
    if (r.code !== 0) throw new EdgecError(`compiling ${src} for ${target.name} failed:\n${r.stderr.split('\n').slice(0, 20).join('\n')}`);
  }
  const code = await sectionSums(tool, objs.code);
  const weights = await sectionSums(tool, objs.weights);
  return { tool, text_bytes: code.text, code_bytes: code.text + code.data, weights_bytes: weights.data + weights.text, arena_bytes: arenaBytes };
}
