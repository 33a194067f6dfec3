/** Runners execute a built artifact on inputs: natively, on a CUDA GPU, and later under qemu, WebAssembly or C simulation. */
import type { TensorInfo, Value } from '../ir/types.js';
import type { Target } from '../targets/targets.js';
import { nativeRunner } from './native.js';
import { hlsCsimRunner } from './hls-csim.js';
import { qemuRunner } from './qemu.js';
import { cudaRunner } from './cuda.js';
import { cortexMRunner } from './cortex-m.js';
import { wasmRunner } from './wasm.js';

/** Options for building the runnable program. */
export interface RunnerBuildOptions {
  /** Build with -fsanitize=address,undefined (tests). */
  sanitize?: boolean;
}

/** Outputs of a run and, when it was timed, medians of wall-clock and (where the runner measures it) process CPU time. */
export interface RunResult {
  outputs: Value[];
  medianUs?: number;
  minUs?: number;
  medianCpuUs?: number;
}

/** One way to execute artifacts of some targets. */
export interface Runner {
  name: string;
  /** Undefined when usable here, else the reason (a missing tool). */
  unavailable(target: Target): Promise<string | undefined>;
  /** Build the program for an artifact folder; returns the program path. */
  build(dir: string, prefix: string, target: Target, opts?: RunnerBuildOptions): Promise<string>;
  /** Run once on inputs (in graph-input order); `repeat` > 0 also times that many runs. */
  run(program: string, inputs: Value[], outputs: TensorInfo[], opts?: { repeat?: number }): Promise<RunResult>;
}

const RUNNERS: Record<string, Runner> = { native: nativeRunner, qemu: qemuRunner, 'qemu-cortex-m': cortexMRunner, 'hls-csim': hlsCsimRunner, cuda: cudaRunner, wasm: wasmRunner };

/** The runner a target names. */
export function runnerFor(target: Target): Runner {
  const r = RUNNERS[target.runner];
  if (!r) throw new Error(`internal: target '${target.name}' names unknown runner '${target.runner}'`);
  return r;
}
