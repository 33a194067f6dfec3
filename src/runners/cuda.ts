/** The CUDA runner: nvcc builds the artifact's runner program (model.cu + weights + edgec_cuda_main.cu) for the
 * target's architectures; running it needs a GPU that nvidia-smi can see. Same file protocol as the native runner. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EdgecError } from '../util/errors.js';
import { hasTool, run } from '../util/exec.js';
import { nvccFlags } from '../backends/cuda/nvcc.js';
import { nativeRunner } from './native.js';
import type { Runner } from './runner.js';

/** Why no GPU can run artifacts here (nvidia-smi missing or listing no GPU), or undefined when one can. */
export async function gpuUnavailable(): Promise<string | undefined> {
  if (!(await hasTool('nvidia-smi'))) return 'an NVIDIA GPU, but nvidia-smi is not on PATH (no driver on this machine)';
  const r = await run('nvidia-smi', ['-L']);
  if (r.code !== 0 || !/GPU \d+/.test(r.stdout)) return `an NVIDIA GPU, but nvidia-smi finds none (${(r.stderr || r.stdout).trim().split('\n')[0] || 'no devices'})`;
  return undefined;
}

export const cudaRunner: Runner = {
  name: 'cuda',
  async unavailable() {
    if (!(await hasTool('nvcc'))) return 'nvcc (the CUDA toolkit) on PATH';
    return gpuUnavailable();
  },
  async build(dir, prefix, target) {
    if (!target.cuda) throw new EdgecError(`target '${target.name}' has no 'cuda' section; the cuda runner needs its architectures`);
    const build = path.resolve(dir, '.build');
    fs.mkdirSync(build, { recursive: true });
    const exe = path.join(build, `${prefix}_runner`);
    const weights = await run('cc', ['-O0', '-c', `${prefix}_weights.c`, '-o', path.join(build, 'weights.o')], { cwd: dir });
    if (weights.code !== 0) throw new EdgecError(`compiling ${prefix}_weights.c failed in ${dir}:\n${weights.stderr.split('\n').slice(0, 20).join('\n')}`);
    const defs = [`-DEDGEC_MODEL_HEADER="${prefix}.h"`, `-DEDGEC_MODEL_INFO=${prefix}_info`];
    const r = await run('nvcc', [...nvccFlags(target.cuda.architectures), ...defs, `${prefix}.cu`, 'edgec_cuda_main.cu', path.join(build, 'weights.o'), '-o', exe], { cwd: dir });
    if (r.code !== 0) throw new EdgecError(`nvcc failed building the runner in ${dir}:\n${r.stderr.split('\n').slice(0, 30).join('\n')}`);
    return exe;
  },
  run: nativeRunner.run,
};
