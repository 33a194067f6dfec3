/** Independent float Conv/ConvTranspose layers in one graph, run on a target and checked against the reference
 * interpreter: the float side of the vocabulary-kernel tests (NEON, WebAssembly). */
import type { ExecutionContext } from 'ava';
import type { Graph, Value } from '../../src/ir/types.js';
import type { Target } from '../../src/targets/targets.js';
import { runReference } from '../../src/interp/reference.js';
import { compareValues, seededRandom } from '../../src/verify/metrics.js';
import { qgraph } from './qgraph.js';
import { runC } from './c-run.js';

/** One float layer: input and weight shapes, attributes (the fused activation as act/act_alpha/act_beta). */
export interface FloatConv {
  op?: 'Conv' | 'ConvTranspose';
  x: number[];
  w: number[];
  attrs?: Graph['nodes'][number]['attrs'];
}

/** Seeded values uniform in [-1, 1). */
export function uniform(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => rnd() * 2 - 1);
}

/** The layers (each with a bias) as one graph, with seeded feeds. */
export function floatConvs(cases: FloatConv[]): { g: Graph; feeds: Record<string, Value> } {
  const inputs: Record<string, { dtype: 'float32'; shape: number[] }> = {};
  const consts: Record<string, { dtype: 'float32'; shape: number[]; data: Float32Array }> = {};
  const feeds: Record<string, Value> = {};
  const nodes = cases.map((c, i) => {
    const op = c.op ?? 'Conv';
    const outC = op === 'Conv' ? c.w[0] : c.w[1] * Number(c.attrs?.group?.value ?? 1);
    inputs[`x${i}`] = { dtype: 'float32', shape: c.x };
    feeds[`x${i}`] = { dtype: 'float32', shape: c.x, data: uniform(c.x.reduce((a, b) => a * b, 1), 10 + i) };
    consts[`w${i}`] = { dtype: 'float32', shape: c.w, data: uniform(c.w.reduce((a, b) => a * b, 1), 100 + i) };
    consts[`b${i}`] = { dtype: 'float32', shape: [outC], data: uniform(outC, 200 + i) };
    return { op, inputs: [`x${i}`, `w${i}`, `b${i}`], outputs: [`y${i}`], attrs: c.attrs ?? {} };
  });
  return { g: qgraph({ inputs, consts, nodes, outputs: cases.map((_, i) => `y${i}`) }), feeds };
}

/** Run the layers on `target` and require every output within rel-L2 1e-5 of the reference. */
export async function checkFloatConvs(t: ExecutionContext, cases: FloatConv[], target: string | Target): Promise<void> {
  const { g, feeds } = floatConvs(cases);
  const ref = runReference(g, feeds);
  const got = await runC(g, feeds, { target });
  for (const o of g.outputs) {
    const m = compareValues(o, got[o], ref[o]);
    t.true(m.rel_l2_err < 1e-5, `${o} (${JSON.stringify(cases[g.outputs.indexOf(o)])}): rel_l2 ${m.rel_l2_err}`);
  }
}
