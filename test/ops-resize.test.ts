/** Resize: reference vs onnxruntime and C (plain and sanitized) vs reference; exact for nearest, rel-L2 <= 1e-5 for linear/cubic. */
import { randomValue } from './helpers/exact-check.js';
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import '../src/ops/index.js';
import type { Value } from '../src/ir/types.js';
import { loadOnnx } from '../src/frontend/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { inferShapes } from '../src/passes/infer-shapes.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues } from '../src/verify/metrics.js';
import { makeModel, type ModelIn, type NodeIn, type TensorIn } from './helpers/onnx-builder.js';
import { runOrt } from './helpers/ort.js';
import { runC } from './helpers/c-run.js';
import { RUNTIME_DIR } from '../src/backends/c/emit.js';
import { limit } from './helpers/limit.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-resize-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));
const gate = limit(Math.max(1, os.cpus().length));


const i64 = (data: number[], dims = [data.length]): TensorIn => ({ dims, data, dtype: 'int64' });

/** Reference vs onnxruntime, then C and sanitized C vs the reference: exact, or rel-L2 <= tol when tol > 0. */
async function check(t: ExecutionContext, m: ModelIn, expectShape?: number[], tol = 0): Promise<void> {
  const bytes = makeModel(m);
  const file = path.join(tmp, `${t.title.replace(/[^A-Za-z0-9]+/g, '_')}.onnx`);
  fs.writeFileSync(file, bytes);
  const g = runPipeline(loadOnnx(file), [inferShapes]);
  const feeds: Record<string, Value> = {};
  g.inputs.forEach((n, i) => {
    const ti = g.tensors.get(n)!;
    feeds[n] = randomValue(ti.dtype, ti.shape, 7 + i);
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
      if (!tol) t.deepEqual(Array.from(v.data), Array.from(ref[o].data), `${o}: ${what} vs reference`);
      else {
        const e = compareValues(o, v, ref[o]).rel_l2_err;
        t.true(e <= tol, `${o}: ${what} vs reference: rel-L2 ${e}`);
      }
    }
  }
}

const TOL = 1e-5;
const f32 = (data: number[]): TensorIn => ({ dims: [data.length], data });

/** A Resize model at `opset` with constant scales or sizes (opset 10: scales input 1; 11: roi required; 13+: roi optional). */
function resize(dims: number[], target: { scales?: number[]; sizes?: number[] }, attrs: NodeIn['attrs'], opset = 19, dtype?: TensorIn['dtype']): ModelIn {
  const init: Record<string, TensorIn> = {};
  let inputs: string[];
  if (opset < 11) {
    init.scales = f32(target.scales!);
    inputs = ['x', 'scales'];
  } else {
    init.roi = f32([]);
    if (target.scales) init.scales = f32(target.scales);
    else if (opset < 13) init.scales = f32([]);
    if (target.sizes) init.sizes = i64(target.sizes);
    inputs = ['x', opset < 13 ? 'roi' : '', init.scales ? 'scales' : '', ...(target.sizes ? ['sizes'] : [])];
  }
  return { inputs: [{ name: 'x', dims, dtype }], initializers: init, nodes: [{ op: 'Resize', inputs, outputs: ['y'], attrs }], outputs: ['y'], opset };
}

const nearestFloor = { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' };

test('resize.h compiles clean alone with -Wall -Wextra -Werror -pedantic -Wvla', (t) => {
  const src = path.join(tmp, 'resize_only.c');
  fs.writeFileSync(src, '#include "edgec_runtime.h"\n#include "kernels/resize.h"\nint main(void) { return 0; }\n');
  execFileSync('gcc', ['-std=c99', '-O3', '-march=native', '-Wall', '-Wextra', '-Werror', '-pedantic', '-Wvla', '-I', RUNTIME_DIR, src, '-o', path.join(tmp, 'resize_only'), '-lm']);
  t.pass();
});

// Nearest: integer upsampling fast path (PP-OCR det FPN)
test('nearest x2 asymmetric floor, opset 11 (PP-OCR det)', (t) => check(t, resize([1, 4, 5, 6], { scales: [1, 1, 2, 2] }, nearestFloor, 11), [1, 4, 10, 12]));
test('nearest x4 asymmetric floor', (t) => check(t, resize([1, 3, 4, 5], { scales: [1, 1, 4, 4] }, nearestFloor, 11), [1, 3, 16, 20]));
test('nearest x8 asymmetric floor', (t) => check(t, resize([1, 2, 3, 2], { scales: [1, 1, 8, 8] }, nearestFloor, 13), [1, 2, 24, 16]));
test('nearest x2 via sizes, half_pixel round_prefer_floor (defaults)', (t) => check(t, resize([2, 3, 4, 4], { sizes: [2, 3, 8, 8] }, { mode: 'nearest' }, 13), [2, 3, 8, 8]));
test('nearest x3 by x2 int8', (t) => check(t, resize([1, 2, 3, 4], { scales: [1, 1, 3, 2] }, nearestFloor, 13, 'int8'), [1, 2, 9, 8]));
test('nearest x2 width only, uint8', (t) => check(t, resize([1, 3, 5], { scales: [1, 1, 2] }, nearestFloor, 13, 'uint8'), [1, 3, 10]));
test('Resize opset 10 nearest x2', (t) => check(t, resize([1, 2, 3, 4], { scales: [1, 1, 2, 2] }, { mode: 'nearest' }, 10), [1, 2, 6, 8]));
test('Upsample opset 9 nearest x2', (t) =>
  check(t, {
    inputs: [{ name: 'x', dims: [1, 2, 3, 3] }],
    initializers: { s: f32([1, 1, 2, 2]) },
    nodes: [{ op: 'Upsample', inputs: ['x', 's'], outputs: ['y'], attrs: { mode: 'nearest' } }],
    outputs: ['y'],
    opset: 9,
  }, [1, 2, 6, 6]));

// Nearest: general maps
for (const nm of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'])
  test(`nearest ${nm} half_pixel x1.5 / x0.6`, (t) =>
    check(t, resize([1, 2, 6, 10], { scales: [1, 1, 1.5, 0.6] }, { mode: 'nearest', nearest_mode: nm }), [1, 2, 9, 6]));
test('nearest align_corners downscale by sizes', (t) =>
  check(t, resize([1, 1, 7, 9], { sizes: [1, 1, 4, 5] }, { mode: 'nearest', coordinate_transformation_mode: 'align_corners' }), [1, 1, 4, 5]));
test('nearest pytorch_half_pixel to a single row', (t) =>
  check(t, resize([1, 2, 5, 6], { sizes: [1, 2, 1, 9] }, { mode: 'nearest', coordinate_transformation_mode: 'pytorch_half_pixel' }), [1, 2, 1, 9]));
test('nearest tf_half_pixel_for_nn x2.5', (t) =>
  check(t, resize([1, 1, 4, 4], { scales: [1, 1, 2.5, 2.5] }, { mode: 'nearest', coordinate_transformation_mode: 'tf_half_pixel_for_nn' }, 11), [1, 1, 10, 10]));
test('nearest resizing the channel axis too, int32', (t) => check(t, resize([1, 3, 4], { scales: [2, 1, 0.5] }, nearestFloor, 13, 'int32'), [2, 3, 2]));
test('nearest half_pixel_symmetric (opset 19)', (t) =>
  check(t, resize([1, 1, 5, 7], { scales: [1, 1, 1.7, 0.8] }, { mode: 'nearest', coordinate_transformation_mode: 'half_pixel_symmetric' }), [1, 1, 8, 5]));

// Linear
const coords = ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel'];
for (const c of coords) {
  test(`linear ${c} upsample x2`, (t) => check(t, resize([1, 3, 5, 6], { scales: [1, 1, 2, 2] }, { mode: 'linear', coordinate_transformation_mode: c }), [1, 3, 10, 12], TOL));
  test(`linear ${c} downsample by sizes`, (t) => check(t, resize([2, 2, 9, 11], { sizes: [2, 2, 4, 5] }, { mode: 'linear', coordinate_transformation_mode: c }), [2, 2, 4, 5], TOL));
}
test('linear opset 11 half_pixel x1.5 (roi input)', (t) => check(t, resize([1, 2, 4, 6], { scales: [1, 1, 1.5, 1.5] }, { mode: 'linear' }, 11), [1, 2, 6, 9], TOL));
test('linear 2-D input', (t) => check(t, resize([5, 7], { sizes: [8, 3] }, { mode: 'linear', coordinate_transformation_mode: 'align_corners' }), [8, 3], TOL));
test('linear pytorch_half_pixel to a single row', (t) =>
  check(t, resize([1, 1, 5, 6], { sizes: [1, 1, 1, 4] }, { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }), [1, 1, 1, 4], TOL));
test('Upsample opset 9 linear x2', (t) =>
  check(t, {
    inputs: [{ name: 'x', dims: [1, 2, 3, 3] }],
    initializers: { s: f32([1, 1, 2, 2]) },
    nodes: [{ op: 'Upsample', inputs: ['x', 's'], outputs: ['y'], attrs: { mode: 'linear' } }],
    outputs: ['y'],
    opset: 9,
  }, [1, 2, 6, 6], TOL));

// Cubic
for (const c of ['half_pixel', 'align_corners', 'asymmetric'])
  test(`cubic ${c} x2`, (t) => check(t, resize([1, 2, 5, 6], { scales: [1, 1, 2, 2] }, { mode: 'cubic', coordinate_transformation_mode: c }), [1, 2, 10, 12], TOL));
test('cubic a=-0.5 exclude_outside downsample', (t) =>
  check(t, resize([1, 2, 9, 10], { sizes: [1, 2, 5, 4] }, { mode: 'cubic', cubic_coeff_a: -0.5, exclude_outside: 1 }), [1, 2, 5, 4], TOL));
test('cubic exclude_outside upsample x1.7', (t) =>
  check(t, resize([1, 1, 6, 5], { scales: [1, 1, 1.7, 1.7] }, { mode: 'cubic', exclude_outside: 1 }), [1, 1, 10, 8], TOL));
test('cubic opset 11 pytorch_half_pixel', (t) =>
  check(t, resize([1, 3, 4, 4], { scales: [1, 1, 3, 3] }, { mode: 'cubic', coordinate_transformation_mode: 'pytorch_half_pixel' }, 11), [1, 3, 12, 12], TOL));
