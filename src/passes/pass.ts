/** Pass values and pipelines: a pass is {name, summary, run(graph, ctx)}; pipelines are arrays. */
import type { Graph } from '../ir/types.js';
import { verifyGraph } from '../ir/verify.js';

/** What every pass may read: build options that shape the pipeline. */
export interface PassContext {
  /** Called after each pass with its name and node count, for progress and the report. */
  onPass?: (name: string, nodes: number) => void;
  /** Run the IR verifier after every pass (tests turn this on). */
  verifyBetween?: boolean;
}

/** One graph transformation. */
export interface Pass {
  name: string;
  summary: string;
  run(g: Graph, ctx: PassContext): void;
}

/** Run passes in order, verifying the IR between them when asked. */
export function runPipeline(g: Graph, passes: readonly Pass[], ctx: PassContext = {}): Graph {
  for (const p of passes) {
    p.run(g, ctx);
    if (ctx.verifyBetween) verifyGraph(g, `after pass '${p.name}'`);
    ctx.onPass?.(p.name, g.nodes.length);
  }
  return g;
}
