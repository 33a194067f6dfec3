/** The qemu runner: cross-compile with the target's compiler, run under qemu user-mode emulation with the board's CPU
 * model (an instruction the board lacks traps, so a wrong kernel choice fails verification). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Target } from '../targets/targets.js';
import { EdgecError } from '../util/errors.js';
import { hasTool } from '../util/exec.js';
import { VECTOR_VOCABS } from '../backends/c/vector-vocab.js';
import { compileArtifact, runProgram } from './native.js';
import type { Runner } from './runner.js';

/** The emulator settings of a qemu target (checked when the target file is read). */
function qemuOf(target: Target): NonNullable<Target['qemu']> {
  if (!target.qemu) throw new EdgecError(`target '${target.name}': runner 'qemu' needs a "qemu" entry in its target file`);
  return target.qemu;
}

/** The command line that runs `exe` under the target's emulator (extra qemu options, e.g. a plugin, before the program). */
export function qemuCommand(target: Target, exe: string, extra: string[] = []): string[] {
  const q = qemuOf(target);
  return [q.binary, '-L', q.sysroot, '-cpu', q.cpu, ...extra, exe];
}

/** The executable a qemu build writes next to its launcher script. */
export function qemuExecutable(program: string): string {
  return program.replace(/\.qemu\.sh$/, '');
}

export const qemuRunner: Runner = {
  name: 'qemu',
  async unavailable(target) {
    const q = qemuOf(target);
    if (!(await hasTool(target.toolchain.cc))) return `the cross compiler '${target.toolchain.cc}' (Debian: gcc-aarch64-linux-gnu)`;
    if (!(await hasTool(q.binary))) return `the emulator '${q.binary}' (Debian: qemu-user)`;
    if (!fs.existsSync(q.sysroot)) return `the target C library in ${q.sysroot} (Debian: libc6-dev-arm64-cross)`;
    return undefined;
  },
  async build(dir, prefix, target, opts = {}) {
    if (opts.sanitize) throw new EdgecError(`--sanitize is not available for target '${target.name}' (sanitizers do not run under qemu user mode); verify without it`);
    const extra = target.simd ? VECTOR_VOCABS[target.simd].cflags : [];
    const exe = await compileArtifact(dir, prefix, target, opts, extra);
    // A launcher, so `edgec run` and other callers execute the program like a native one.
    const launcher = `${exe}.qemu.sh`;
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const cmd = qemuCommand(target, '"$(dirname "$0")"/' + quote(path.basename(exe)));
    fs.writeFileSync(launcher, `#!/bin/sh\nexec ${cmd.slice(0, -1).map(quote).join(' ')} ${cmd[cmd.length - 1]} "$@"\n`, { mode: 0o755 });
    return launcher;
  },
  run: (program, inputs, outputs, opts = {}) => runProgram([program], inputs, outputs, opts),
};
