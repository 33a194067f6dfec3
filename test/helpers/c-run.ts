/** Compile a graph to C with the host compiler and run it: the C side of op and model tests. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../../src/ops/index.js';
import type { Graph, Value } from '../../src/ir/types.js';
import { buildProgram } from '../../src/build.js';
import { getTarget, type Target } from '../../src/targets/targets.js';
import { runnerFor } from '../../src/runners/runner.js';

/** Options for runC. */
export interface RunCOptions {
  /** Build with -fsanitize=address,undefined. */
  sanitize?: boolean;
  /** Keep the build folder (its path is returned in `dir`). */
  keep?: boolean;
  /** Extra compiler flags for the model code (e.g. -DEDGEC_NO_SIMD to check the portable kernels). */
  cflags?: string[];
  /** Target (name or object) to build and run for; default the native 'c' target. */
  target?: string | Target;
}

/** Emit, compile (the target's compiler, -Wall -Wextra -Werror) and run a shape-inferred graph on feeds with the
 * target's runner; returns outputs by name. */
export async function runC(g: Graph, feeds: Record<string, Value>, opts: RunCOptions = {}): Promise<Record<string, Value>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-test-'));
  try {
    const base = typeof opts.target === 'object' ? opts.target : getTarget(opts.target ?? 'c');
    const target = opts.cflags ? { ...base, toolchain: { ...base.toolchain, cflags: [...base.toolchain.cflags, ...opts.cflags] } } : base;
    const program = await buildProgram(g, dir, target, 'model', opts.sanitize);
    const outs = g.outputs.map((n) => g.tensors.get(n)!);
    const res = await runnerFor(target).run(program, g.inputs.map((n) => feeds[n]), outs);
    return Object.fromEntries(g.outputs.map((n, i) => [n, res.outputs[i]]));
  } finally {
    if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}
