/** The Cortex-M runner: cross-compile the artifact with the semihosting driver for the target's board and run it in
 * qemu-system-arm, files in and out through semihosting. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { byteSize } from '../ir/dtype.js';
import type { Target } from '../targets/targets.js';
import { EdgecError } from '../util/errors.js';
import { hasTool, run } from '../util/exec.js';
import { RUNTIME_DIR } from '../backends/c/emit.js';
import { bytesToValue, valueToBytes } from './native.js';
import type { Runner } from './runner.js';

/** runtime-c's bare-metal start-up, semihosting and driver sources for Cortex-M. */
export const CORTEX_M_DIR = path.join(RUNTIME_DIR, 'platform', 'cortex-m');

/** The emulator for bare-metal Arm boards. */
const QEMU = 'qemu-system-arm';

/** The board of a bare-metal target, or an error saying the target file lacks one. */
function boardOf(target: Target): NonNullable<Target['board']> {
  if (!target.board) throw new EdgecError(`target '${target.name}' has no 'board' (qemuMachine, flash, ram) in its target file`);
  return target.board;
}

/** GNU ld script placing vectors, code and constants in the board's flash and data, bss and the stack in its RAM. */
export function linkerScript(target: Target): string {
  const b = boardOf(target);
  return `/* ${target.name} on ${b.qemuMachine}: generated from the target file. */
MEMORY
{
  FLASH (rx) : ORIGIN = ${b.flash.origin}, LENGTH = ${b.flash.length}
  RAM (rwx) : ORIGIN = ${b.ram.origin}, LENGTH = ${b.ram.length}
}
ENTRY(edgec_reset_handler)
SECTIONS
{
  .text : { KEEP(*(.vectors)) *(.text*) *(.rodata*) . = ALIGN(8); } > FLASH
  .ARM.exidx : { *(.ARM.exidx*) } > FLASH
  .data : { __data_start = .; *(.data*) . = ALIGN(8); __data_end = .; } > RAM AT > FLASH
  __data_load = LOADADDR(.data);
  .bss (NOLOAD) : { __bss_start = .; *(.bss*) *(COMMON) . = ALIGN(8); __bss_end = .; } > RAM
  __stack_top = ORIGIN(RAM) + LENGTH(RAM);
}
`;
}

/** Compile one C file for the target into an object (model code strictly: -Wall -Wextra -Werror). */
async function compile(target: Target, dir: string, src: string, obj: string, extra: string[]): Promise<void> {
  const r = await run(target.toolchain.cc, [...target.toolchain.cflags, ...extra, '-c', src, '-o', obj], { cwd: dir });
  if (r.code !== 0) throw new EdgecError(`C compilation for ${target.name} failed in ${dir}:\n${r.stderr.split('\n').slice(0, 30).join('\n')}`);
}

/** Bytes of the semihosting driver's I/O pool: every input and output rounded up to 16 bytes. */
function ioPoolBytes(dir: string): number {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'edgec.json'), 'utf8')) as { inputs: { dtype: string; shape: number[] }[]; outputs: { dtype: string; shape: number[] }[] };
  return [...meta.inputs, ...meta.outputs].reduce((s, t) => s + Math.ceil(byteSize(t.dtype as never, t.shape) / 16) * 16, 0);
}

export const cortexMRunner: Runner = {
  name: 'qemu-cortex-m',
  async unavailable(target) {
    if (!(await hasTool(target.toolchain.cc))) return `the cross compiler '${target.toolchain.cc}' (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi)`;
    if (!(await hasTool(QEMU))) return `'${QEMU}' (Debian: qemu-system-arm)`;
    return undefined;
  },
  async build(dir, prefix, target, opts = {}) {
    if (opts.sanitize) throw new EdgecError(`--sanitize needs a hosted target; '${target.name}' runs bare-metal`);
    const out = path.resolve(dir, '.build');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'link.ld'), linkerScript(target));
    const strict = ['-Wall', '-Wextra', '-Werror'];
    const defs = [`-DEDGEC_MODEL_HEADER="${prefix}.h"`, `-DEDGEC_MODEL_INFO=${prefix}_info`, `-DEDGEC_MODEL_ARENA=${prefix.toUpperCase()}_ARENA_SIZE`, `-DEDGEC_IO_BYTES=${ioPoolBytes(dir)}`];
    await Promise.all([
      compile(target, dir, `${prefix}.c`, path.join(out, 'model.o'), [...strict, '-I.']),
      compile(target, dir, `${prefix}_weights.c`, path.join(out, 'weights.o'), strict),
      compile(target, dir, path.join(CORTEX_M_DIR, 'edgec_main_semihost.c'), path.join(out, 'main.o'), ['-I.', `-I${CORTEX_M_DIR}`, ...defs]),
      compile(target, dir, path.join(CORTEX_M_DIR, 'startup.c'), path.join(out, 'startup.o'), [`-I${CORTEX_M_DIR}`]),
    ]);
    const elf = path.join(out, `${prefix}.elf`);
    const objs = ['startup.o', 'main.o', 'model.o', 'weights.o'].map((o) => path.join(out, o));
    const link = await run(target.toolchain.cc, [
      ...target.toolchain.cflags.filter((f) => f.startsWith('-m')), '-nostartfiles', '--specs=nano.specs', '--specs=nosys.specs',
      '-T', path.join(out, 'link.ld'), ...objs, '-o', elf, ...target.toolchain.ldflags,
    ], { cwd: dir });
    if (link.code !== 0) throw new EdgecError(`linking for ${target.name} failed in ${dir}:\n${link.stderr.split('\n').slice(0, 30).join('\n')}`);
    fs.writeFileSync(`${elf}.board.json`, JSON.stringify(boardOf(target)));
    return elf;
  },
  async run(program, inputs, outputs, opts = {}) {
    if (opts.repeat) throw new EdgecError('timing runs need real hardware: an emulated Cortex-M has no meaningful clock');
    // The board the program was linked for, written beside it by build().
    const board = JSON.parse(fs.readFileSync(`${program}.board.json`, 'utf8')) as NonNullable<Target['board']>;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-qemu-'));
    try {
      const ins = inputs.map((v, i) => {
        fs.writeFileSync(path.join(tmp, `in${i}.bin`), valueToBytes(v));
        return `in${i}.bin`;
      });
      const outs = outputs.map((_, i) => `out${i}.bin`);
      const args = ['prog', ...ins, ...outs].map((a) => `arg=${a}`).join(',');
      const r = await run(QEMU, ['-M', board.qemuMachine, '-nographic', '-monitor', 'none', '-serial', 'none',
        '-semihosting-config', `enable=on,target=native,${args}`, '-kernel', program], { cwd: tmp, timeoutMs: 300_000 });
      if (r.code !== 0) throw new EdgecError(`running ${path.basename(program)} on ${board.qemuMachine} failed (exit ${r.code}):\n${(r.stdout + r.stderr).split('\n').slice(0, 30).join('\n')}`);
      return { outputs: outputs.map((info, i) => bytesToValue(fs.readFileSync(path.join(tmp, outs[i])), info)) };
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
};
