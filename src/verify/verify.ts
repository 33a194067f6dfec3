/** Verification: run the built artifact with the target's runner and compare with the float reference. */
import type { Graph, Value } from '../ir/types.js';
import { allocData, numel } from '../ir/dtype.js';
import { runReference } from '../interp/reference.js';
import { runnerFor } from '../runners/runner.js';
import type { Target } from '../targets/targets.js';
import { EdgecError } from '../util/errors.js';
import { run } from '../util/exec.js';
import { silentProgress, type Progress } from '../util/progress.js';
import * as path from 'node:path';
import { compareValues, seededRandom, type OutputMetrics } from './metrics.js';
import { sqnrDb } from '../quant/params.js';

/** Verification outcome, as stored in report.json. */
export interface VerifyResult {
  passed: boolean;
  tolerance: number;
  inputs: string;
  outputs: OutputMetrics[];
  code_bytes?: number;
  /** Integer artifacts: the C outputs against the integer reference, which must agree bit for bit. */
  integer?: { bit_exact: boolean; outputs: { name: string; mismatches: number; max_abs_diff: number; float_tail_rel_l2?: number }[] };
  /** Quantized artifacts: output SQNR (dB) against the original float model on the same inputs. */
  against_float?: { name: string; sqnr_db: number }[];
}

/** Seeded inputs for a graph: uniform [-1, 1) for floats, small non-negative ints for integer inputs (indices). */
export function randomInputs(g: Graph, seed: number): Value[] {
  const rnd = seededRandom(seed);
  return g.inputs.map((name) => {
    const t = g.tensors.get(name)!;
    const data = allocData(t.dtype, numel(t.shape));
    const float = t.dtype === 'float32' || t.dtype === 'float64';
    for (let i = 0; i < data.length; i++) data[i] = float ? rnd() * 2 - 1 : Math.floor(rnd() * 2);
    return { dtype: t.dtype, shape: [...t.shape], data };
  });
}

/** Check user-supplied inputs against the graph inputs (count, dtype, shape). */
export function checkInputs(g: Graph, inputs: Value[], what: string): void {
  if (inputs.length !== g.inputs.length) throw new EdgecError(`${what}: ${inputs.length} input(s) given, the model has ${g.inputs.length} (${g.inputs.join(', ')})`);
  inputs.forEach((v, i) => {
    const t = g.tensors.get(g.inputs[i])!;
    if (v.dtype !== t.dtype || v.shape.join('x') !== t.shape.join('x'))
      throw new EdgecError(`${what}: input ${i} ('${g.inputs[i]}') is ${v.dtype}[${v.shape.join('x')}], the model wants ${t.dtype}[${t.shape.join('x')}]`);
  });
}

/** Object-file text size (code without weights) via `size`, when available. */
async function codeBytes(dir: string): Promise<number | undefined> {
  const r = await run('size', [path.join(dir, '.build', 'model.o')]);
  const m = /^\s*(\d+)/m.exec(r.stdout.split('\n')[1] ?? '');
  return r.code === 0 && m ? Number(m[1]) : undefined;
}

/** Build the artifact's program in `dir`, run it on inputs and compare every output with the reference graph's. */
export async function verifyArtifact(
  dir: string, prefix: string, target: Target, reference: Graph, compiled: Graph,
  opts: { inputs?: Value[]; seed: number; tolerance: number; sanitize?: boolean; progress?: Progress; quantized?: boolean; program?: string },
): Promise<VerifyResult> {
  const progress = opts.progress ?? silentProgress;
  const runner = runnerFor(target);
  const why = await runner.unavailable(target);
  if (why) throw new EdgecError(`--verify for target '${target.name}' needs ${why}`);
  const inputs = opts.inputs ?? randomInputs(reference, opts.seed);
  checkInputs(reference, inputs, '--verify-input');
  let program = opts.program;
  if (!program || opts.sanitize) {
    progress.start('compile', 1);
    program = await runner.build(dir, prefix, target, { sanitize: opts.sanitize });
    progress.update(1);
    progress.stop();
  }
  progress.start('verify', 2);
  const feeds = Object.fromEntries(reference.inputs.map((n, i) => [n, inputs[i]]));
  const expected = runReference(reference, feeds);
  progress.update(1, 'reference');
  const infos = compiled.outputs.map((n) => compiled.tensors.get(n)!);
  const got = await runner.run(program, inputs, infos);
  progress.update(2, 'artifact');
  progress.stop();
  const integer = [...compiled.tensors.values()].some((t) => t.quant) ? integerAgreement(compiled, feeds, got.outputs) : undefined;
  // A quantized float artifact (int4 weights) must match its own graph's reference; its distance from the float model is reported.
  const own = opts.quantized && !integer ? runReference(compiled, feeds) : undefined;
  const outputs = reference.outputs.map((n, i) => compareValues(n, got.outputs[i], own ? own[compiled.outputs[i]] : expected[n]));
  const against_float = opts.quantized ? reference.outputs.map((n, i) => ({ name: n, sqnr_db: Math.round(sqnrDb(expected[n].data, got.outputs[i].data) * 100) / 100 })) : undefined;
  return {
    // Integer artifacts must equal their integer reference; their distance from float is reported (SQNR), not gated here.
    passed: integer ? integer.bit_exact : outputs.every((o) => o.rel_l2_err <= opts.tolerance),
    integer,
    against_float,
    tolerance: opts.tolerance,
    inputs: opts.inputs ? 'user' : `seeded random (seed ${opts.seed})`,
    outputs,
    code_bytes: await codeBytes(dir),
  };
}

/** Compare artifact outputs with the compiled graph's integer reference: element for element where the output is
 * integer arithmetic (an integer tensor or its Dequantize); within rel-L2 1e-5 where a float tail computes it (a
 * classifier head's softmax: libm and JavaScript differ in the last bits of exp). */
const FLOAT_TAIL_TOLERANCE = 1e-5;

function integerAgreement(compiled: Graph, feeds: Record<string, Value>, got: Value[]): NonNullable<VerifyResult['integer']> {
  const ref = runReference(compiled, feeds);
  const producer = new Map(compiled.nodes.flatMap((n) => n.outputs.map((o) => [o, n.op] as const)));
  const outputs = compiled.outputs.map((n, i) => {
    const a = got[i].data;
    const r = ref[n].data;
    const exact = compiled.tensors.get(n)!.dtype !== 'float32' || producer.get(n) === 'Dequantize' || !producer.has(n);
    let mismatches = 0;
    let maxAbs = 0;
    for (let k = 0; k < r.length; k++) {
      if (a[k] === r[k] || (Number.isNaN(a[k]) && Number.isNaN(r[k]))) continue;
      mismatches++;
      maxAbs = Math.max(maxAbs, Math.abs(a[k] - r[k]));
    }
    if (exact) return { name: n, mismatches, max_abs_diff: maxAbs };
    return { name: n, mismatches, max_abs_diff: maxAbs, float_tail_rel_l2: compareValues(n, got[i], ref[n]).rel_l2_err };
  });
  return { bit_exact: outputs.every((o) => (o.float_tail_rel_l2 === undefined ? o.mismatches === 0 : o.float_tail_rel_l2 <= FLOAT_TAIL_TOLERANCE)), outputs };
}
