/** Exact op checks shared by the op tests: seeded inputs of any dtype; reference vs onnxruntime vs C vs sanitized C. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import type { ExecutionContext } from 'ava';
import type { DType, Value } from '../../src/ir/types.js';
import { allocData, numel } from '../../src/ir/dtype.js';
import { seededRandom } from '../../src/verify/metrics.js';
import { loadOnnx } from '../../src/frontend/onnx/load.js';
import { runPipeline } from '../../src/passes/pass.js';
import { inferShapes } from '../../src/passes/infer-shapes.js';
import { runReference } from '../../src/interp/reference.js';
import { makeModel, type ModelIn } from './onnx-builder.js';
import { runOrt } from './ort.js';
import { runC } from './c-run.js';
import { limit } from './limit.js';

const gate = limit(Math.max(1, os.cpus().length));

/** Seeded input of any dtype: floats in [-2, 2), ints in [-50, 50), bools 0/1. */
export function randomValue(dtype: DType, shape: number[], seed: number): Value {
  const rnd = seededRandom(seed);
  const data = allocData(dtype, numel(shape));
  for (let i = 0; i < data.length; i++) {
    const r = rnd();
    data[i] = dtype === 'float32' || dtype === 'float64' ? r * 4 - 2 : dtype === 'bool' ? (r < 0.5 ? 0 : 1) : Math.floor(r * 100) - 50;
  }
  return { dtype, shape, data };
}

/** Reference vs onnxruntime, then C and sanitized C vs the reference: all exact. */
export async function checkExact(t: ExecutionContext, tmp: string, m: ModelIn, expectShape?: number[], given: Record<string, Value> = {}): Promise<void> {
  const bytes = makeModel(m);
  const file = path.join(tmp, `${t.title.replace(/[^A-Za-z0-9]+/g, '_')}.onnx`);
  fs.writeFileSync(file, bytes);
  const g = runPipeline(loadOnnx(file), [inferShapes]);
  const feeds: Record<string, Value> = {};
  g.inputs.forEach((n, i) => {
    const ti = g.tensors.get(n)!;
    feeds[n] = given[n] ?? randomValue(ti.dtype, ti.shape, 7 + i);
  });
  const ref = runReference(g, feeds);
  const ort = await runOrt(bytes, feeds);
  const c = await gate(() => runC(g, feeds));
  const cs = await gate(() => runC(g, feeds, { sanitize: true }));
  for (const o of g.outputs) {
    if (expectShape && o === g.outputs[0]) t.deepEqual(ref[o].shape, expectShape, `${o}: shape`);
    t.deepEqual(g.tensors.get(o)!.shape, ref[o].shape, `${o}: inferred vs computed shape`);
    for (const [what, v] of [['onnxruntime', ort[o]], ['C', c[o]], ['sanitized C', cs[o]]] as const) {
      t.is(v.dtype, ref[o].dtype, `${o}: ${what} dtype`);
      t.deepEqual([...v.shape], ref[o].shape, `${o}: ${what} shape`);
      t.deepEqual(Array.from(v.data), Array.from(ref[o].data), `${o}: ${what} vs reference`);
    }
  }
}
