/** Code generators by the name a target's `backend` field gives: each turns a compiled graph into artifact files. */
import type { Graph, Value } from '../ir/types.js';
import type { Target } from '../targets/targets.js';
import { emitC, type CArtifact, type CTargetFacts } from './c/emit.js';
import { emitHls, type HlsReport } from './hls/emit.js';
import type { ReuseSpec } from './hls/estimate.js';
import { emitCuda } from './cuda/emit.js';
import { resourceUsage } from './cuda/nvcc.js';
import { hasTool } from '../util/exec.js';
import { EdgecError } from '../util/errors.js';
import { runReference } from '../interp/reference.js';
import { valueToBytes } from '../runners/native.js';

/** What a backend needs beyond the graph. */
export interface BackendOptions {
  prefix: string;
  target: Target;
  /** FPGA: reuse factor overrides (--reuse). */
  reuse?: ReuseSpec;
  /** Sample inputs (graph-input order) a backend may ship with its expected outputs (the HLS testbench data). */
  sample?: Value[];
  /** C: entropy-code the weights (--pack lossless). */
  pack?: 'lossless';
}

/** An emitted artifact: files plus the sizes and extras report.json shows. */
export interface BackendArtifact {
  files: Map<string, string | Uint8Array>;
  weightsBytes: number;
  arenaBytes: number;
  arenaLowerBound: number;
  kernels: string[];
  /** FPGA designs: the resource and latency estimate. */
  hls?: HlsReport;
  /** C with --pack lossless: packed against raw bytes. */
  packed?: CArtifact['packed'];
  /** Facts gathered after the files are written (toolchain resource usage), stored in report.json under the backend's name. */
  inspect?(dir: string): Promise<Record<string, unknown>>;
}

/** A code generator. */
export interface Backend {
  emit(g: Graph, opts: BackendOptions): BackendArtifact;
}

/** What the C emitter needs to know of a target. */
export function cTargetFacts(target: Target): CTargetFacts {
  return { vectorFloats: target.vectorFloats, l1Bytes: target.memory.l1Bytes, l2Bytes: target.memory.l2Bytes, kernelProfile: target.kernelProfile, simd: target.simd, layerFunctions: target.layerFunctions };
}

const cBackend: Backend = {
  emit(g, { prefix, target, pack }) {
    const art = emitC(g, { prefix, pack, target: cTargetFacts(target) });
    return { files: art.files, weightsBytes: art.weightsBytes, arenaBytes: art.arenaBytes, arenaLowerBound: art.arenaLowerBound, kernels: art.kernels, packed: art.packed };
  },
};

const hlsBackend: Backend = {
  emit(g, { prefix, target, reuse, sample }) {
    const art = emitHls(g, { prefix, target, reuse });
    const files: Map<string, string | Uint8Array> = new Map(art.files);
    if (sample) {
      // Testbench data: the sample and the integer reference's outputs, which C simulation and co-simulation must equal.
      const ref = runReference(g, Object.fromEntries(g.inputs.map((n, i) => [n, sample[i]])));
      sample.forEach((v, i) => files.set(`tb_data/in${i}.bin`, valueToBytes(v)));
      g.outputs.forEach((n, i) => files.set(`tb_data/out${i}.bin`, valueToBytes(ref[n])));
    }
    return { files, weightsBytes: art.weightsBytes, arenaBytes: art.bufferBytes, arenaLowerBound: art.bufferBytes, kernels: art.kernels, hls: art.report };
  },
};


const cudaBackend: Backend = {
  emit(g, { prefix, target }) {
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

/** Backend name → code generator; a target naming another backend is refused by build. */
export const BACKENDS: Record<string, Backend> = { c: cBackend, hls: hlsBackend, cuda: cudaBackend };

/** The backend of a target, or an error naming the target file's mistake. */
export function backendFor(target: Target): Backend {
  const b = BACKENDS[target.backend];
  if (!b) throw new EdgecError(`target '${target.name}' uses backend '${target.backend}', which this edgec does not have (known: ${Object.keys(BACKENDS).join(', ')})`);
  return b;
}
