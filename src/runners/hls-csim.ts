/** C simulation of an HLS artifact: the testbench and design built with the host C++ compiler (no vendor headers) and run on raw files. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EdgecError } from '../util/errors.js';
import { hasTool, run } from '../util/exec.js';
import type { Runner } from './runner.js';
import { nativeRunner } from './native.js';

export const hlsCsimRunner: Runner = {
  name: 'hls-csim',
  async unavailable(target) {
    return (await hasTool(target.toolchain.cc)) ? undefined : `C++ compiler '${target.toolchain.cc}' not found on PATH`;
  },
  async build(dir, prefix, target, opts = {}) {
    const exe = path.resolve(dir, '.build', opts.sanitize ? 'tb_asan' : 'tb');
    fs.mkdirSync(path.dirname(exe), { recursive: true });
    const san = opts.sanitize ? ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-g'] : [];
    const r = await run(target.toolchain.cc, [...target.toolchain.cflags, '-Wall', '-Wno-unknown-pragmas', '-Wno-unused-label', ...san, '-I.', 'tb.cpp', `${prefix}.cpp`, '-o', exe, ...target.toolchain.ldflags], { cwd: dir });
    if (r.code !== 0) throw new EdgecError(`C simulation build failed in ${dir}:\n${r.stderr.split('\n').slice(0, 30).join('\n')}`);
    return exe;
  },
  // The testbench takes the native program's arguments: [--repeat N] inputs... outputs... as raw little-endian files.
  run: (program, inputs, outputs, opts) => nativeRunner.run(program, inputs, outputs, opts),
};
