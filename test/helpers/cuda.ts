/** CUDA artifacts in tests: emit + nvcc resource usage (no GPU needed), and build + run on a GPU when one is present. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../../src/ops/index.js';
import type { Graph, Value } from '../../src/ir/types.js';
import { getTarget, type Target } from '../../src/targets/targets.js';
import { backendFor } from '../../src/backends/backends.js';
import { cudaRunner, gpuUnavailable } from '../../src/runners/cuda.js';
import { hasTool } from '../../src/util/exec.js';

/** A CUDA target with its architectures replaced (compile once for sm_87 and sm_90). */
export function cudaTarget(name: string, architectures?: string[]): Target {
  const t = getTarget(name);
  return architectures ? { ...t, cuda: { ...t.cuda!, architectures } } : t;
}

/** Why nvcc cannot compile here, or undefined. */
export async function nvccMissing(): Promise<string | undefined> {
  return (await hasTool('nvcc')) ? undefined : 'nvcc (CUDA toolkit) is not on PATH';
}

/** Why CUDA artifacts cannot run here (no nvcc or no GPU), or undefined. */
export async function gpuMissing(): Promise<string | undefined> {
  return (await nvccMissing()) ?? (await gpuUnavailable());
}

/** Emit a graph's CUDA artifact into a fresh folder and gather the backend facts (nvcc resource usage). */
export async function emitCudaArtifact(g: Graph, target: Target): Promise<{ dir: string; facts: Record<string, unknown>; files: Map<string, string | Uint8Array> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-cuda-'));
  const art = backendFor(target).emit(g, { prefix: 'model', target });
  for (const [name, text] of art.files) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return { dir, facts: art.inspect ? await art.inspect(dir) : {}, files: art.files };
}

/** Build the runner for a graph's CUDA artifact and run it on feeds (needs a GPU); outputs by name. */
export async function runCuda(g: Graph, feeds: Record<string, Value>, target: Target): Promise<Record<string, Value>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-cuda-run-'));
  try {
    const art = backendFor(target).emit(g, { prefix: 'model', target });
    for (const [name, text] of art.files) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    const program = await cudaRunner.build(dir, 'model', target);
    const res = await cudaRunner.run(program, g.inputs.map((n) => feeds[n]), g.outputs.map((n) => g.tensors.get(n)!), { repeat: 5 });
    return Object.fromEntries(g.outputs.map((n, i) => [n, res.outputs[i]]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
