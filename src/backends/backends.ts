/** Code generators by name: the table `--target` reaches through a target file's `backend` field. */
import type { Graph } from '../ir/types.js';
import type { Target } from '../targets/targets.js';
import { emitC, type CTargetFacts } from './c/emit.js';
import { emitCuda } from './cuda/emit.js';
import { resourceUsage } from './cuda/nvcc.js';
import { hasTool } from '../util/exec.js';
import { EdgecError } from '../util/errors.js';

/** What every backend's emitter hands the build: files and the sizes the report lists. */
export interface BackendOutput {
  files: Map<string, string>;
  weightsBytes: number;
  /** Working memory: the C arena, the CUDA device workspace. */
  arenaBytes: number;
  arenaLowerBound: number;
  kernels: string[];
  /** Facts gathered after the files are written (toolchain resource usage), stored in report.json under the backend's name. */
  inspect?(dir: string): Promise<Record<string, unknown>>;
}

/** A code generator. */
export interface Backend {
  emit(g: Graph, target: Target, prefix: string): BackendOutput;
}

/** What the C emitter needs to know of a target. */
export function cTargetFacts(target: Target): CTargetFacts {
  return { vectorFloats: target.vectorFloats, l1Bytes: target.memory.l1Bytes, l2Bytes: target.memory.l2Bytes, kernelProfile: target.kernelProfile };
}

const cBackend: Backend = {
  emit(g, target, prefix) {
    const art = emitC(g, { prefix, target: cTargetFacts(target) });
    return { files: art.files, weightsBytes: art.weightsBytes, arenaBytes: art.arenaBytes, arenaLowerBound: art.arenaLowerBound, kernels: art.kernels };
  },
};

const cudaBackend: Backend = {
  emit(g, target, prefix) {
    const cuda = target.cuda!;
    const art = emitCuda(g, { prefix, cuda });
    return {
      files: art.files, weightsBytes: art.weightsBytes, arenaBytes: art.workspaceBytes, arenaLowerBound: art.workspaceLowerBound, kernels: art.kernels,
      async inspect(dir) {
        const base = {
          architectures: cuda.architectures.map((a) => `sm_${a}`), precision: cuda.precision, weights_bytes: art.weightsBytes, workspace_bytes: art.workspaceBytes,
          launches: art.launches.length, cuda_graph: true, absorbed_into_epilogues: art.absorbed,
        };
        if (!(await hasTool('nvcc'))) return { ...base, resource_usage: 'not measured: nvcc not found on PATH', kernels: art.launches };
        return { ...base, resource_usage: 'ptxas -v', kernels: await resourceUsage(dir, prefix, cuda.architectures, art.launches) };
      },
    };
  },
};

/** Backend by the name a target file gives. */
export const BACKENDS: Record<string, Backend> = { c: cBackend, cuda: cudaBackend };

/** The backend of a target, or an error naming the target file's mistake. */
export function backendFor(target: Target): Backend {
  const b = BACKENDS[target.backend];
  if (!b) throw new EdgecError(`target '${target.name}' uses backend '${target.backend}', which this edgec does not have (known: ${Object.keys(BACKENDS).join(', ')})`);
  return b;
}
