/** Arena planning: hand-computed offsets, valid placements on random lifetimes, in-place reuse and views, and the lower bound on real models. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import test from 'ava';
import type { Value } from '../src/ir/types.js';
import { alignedBytes, checkPlacement, liveLowerBound, MEMORY_PLANNERS, placeInOrder, planArena, type BufferRequest } from '../src/backends/c/arena.js';
import { assignBuffers } from '../src/backends/c/buffers.js';
import { C_IN_PLACE_OPS } from '../src/backends/c/lower/index.js';
import { emitC } from '../src/backends/c/emit.js';
import { runPipeline } from '../src/passes/pass.js';
import { inferShapes } from '../src/passes/infer-shapes.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues } from '../src/verify/metrics.js';
import { compileGraph } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import { importModel, randn } from './helpers/graph.js';
import { runC } from './helpers/c-run.js';
import { REAL_MODELS } from './helpers/models.js';

const req = (id: string, bytes: number, first: number, last: number): BufferRequest => ({ id, bytes, first, last });

test('greedy by size places buffers at hand-computed offsets and reaches the live lower bound', (t) => {
  // Aligned sizes: A 1024, B 512, C 2048, D 128. Steps: 0 {A, D}, 1 {A, B, D}, 2 {B, C, D}, 3 {C, D}.
  const reqs = [req('A', 1000, 0, 1), req('B', 500, 1, 2), req('C', 2000, 2, 3), req('D', 100, 0, 3)];
  // Largest first: C at 0; A does not meet C, so 0; B meets A [0,1024) and C [0,2048): 2048; D meets all: 2560.
  const plan = planArena(reqs);
  t.is(plan.planner, 'greedy-size');
  t.deepEqual(Object.fromEntries(plan.offsets), { C: 0, A: 0, B: 2048, D: 2560 });
  t.is(plan.liveLowerBound, 512 + 2048 + 128);
  t.is(plan.bytes, 2688);
});

test('best fit takes the smallest gap that holds the buffer; first fit the lowest', (t) => {
  // Steps 0-2: X [0,256), Z [768,1408), T [1536,1600); step 0 only: G [256,768), S [1408,1536). At step 1 the free
  // gaps are [256,768) (512 bytes) and [1408,1536) (128 bytes).
  const order = [req('X', 256, 0, 2), req('G', 512, 0, 0), req('Z', 640, 0, 2), req('S', 128, 0, 0), req('T', 64, 0, 2), req('W', 64, 1, 1)];
  const fixed = { X: 0, G: 256, Z: 768, S: 1408, T: 1536 };
  t.deepEqual(Object.fromEntries(placeInOrder(order, 'first')), { ...fixed, W: 256 });
  t.deepEqual(Object.fromEntries(placeInOrder(order, 'best')), { ...fixed, W: 1408 });
  t.is(alignedBytes(1), 64);
  t.is(alignedBytes(65), 128);
});

test('every strategy gives a valid placement of random lifetimes; planArena never goes below the bound', (t) => {
  let s = 7;
  const rnd = (n: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n);
  for (let trial = 0; trial < 30; trial++) {
    const reqs = Array.from({ length: 5 + rnd(30) }, (_, i) => {
      const first = rnd(40);
      return req(`b${i}`, 1 + rnd(5000), first, first + rnd(8));
    });
    for (const p of MEMORY_PLANNERS) t.notThrows(() => checkPlacement(reqs, p.place(reqs)), p.name);
    const plan = planArena(reqs);
    t.true(plan.bytes >= liveLowerBound(reqs));
  }
});

test('elementwise ops reuse a dying input in place and views alias; the C output matches the reference', async (t) => {
  const { graph: g } = importModel({
    inputs: [{ name: 'x', dims: [2, 3, 4] }],
    nodes: [
      { op: 'Exp', inputs: ['x'], outputs: ['a'] }, // 0: a is new (x is graph input)
      { op: 'Neg', inputs: ['a'], outputs: ['b'] }, // 1: b over a (a dies here)
      { op: 'Reshape', inputs: ['b', 'shape'], outputs: ['c'] }, // 2: view of b
      { op: 'Tanh', inputs: ['c'], outputs: ['d'] }, // 3: d over c's buffer (root a)
      { op: 'Sigmoid', inputs: ['d'], outputs: ['e'] }, // 4: d is read again at 5, so e is new
      { op: 'Add', inputs: ['d', 'e'], outputs: ['f'] }, // 5: f over d (first input that dies)
      { op: 'Reshape', inputs: ['f', 'shape2'], outputs: ['y'] },
    ],
    initializers: { shape: { dims: [2], data: [6, 4], dtype: 'int64' }, shape2: { dims: [3], data: [2, 3, 4], dtype: 'int64' } },
    outputs: ['y'],
  });
  runPipeline(g, [inferShapes]);
  const isArena = (n: string) => !g.inputs.includes(n) && !g.outputs.includes(n) && !g.tensors.get(n)?.data;
  const b = assignBuffers(g, isArena, (n) => C_IN_PLACE_OPS.has(n.op));
  t.deepEqual(['a', 'b', 'c', 'd', 'e', 'f'].map(b.rootOf), ['a', 'a', 'a', 'a', 'e', 'a']);
  t.deepEqual([...b.inPlace.values()], ['a', 'c', 'd']);
  t.deepEqual(b.requests, [req('a', 96, 0, 6), req('e', 96, 4, 5)]);
  const art = emitC(g, { prefix: 'model', target: { vectorFloats: 8, l1Bytes: 32768, l2Bytes: 262144 } });
  t.is(art.arenaBytes, 256); // two 96-byte buffers, each rounded up to 128
  t.is(art.arenaLowerBound, 256);
  const x: Value = { dtype: 'float32', shape: [2, 3, 4], data: randn(24, 5) };
  const want = runReference(g, { x }).y;
  const got = (await runC(g, { x }, { sanitize: true })).y;
  t.true(compareValues('y', got, want).rel_l2_err < 1e-6);
});

test('the arena reaches the live lower bound on TFLM person_detect and the PP-OCR models', (t) => {
  const person = path.resolve('../shared/conformance/tflm/person_detection/person_detect.tflite');
  const models = REAL_MODELS.filter((m) => m.name.startsWith('ppocr')).map((m) => ({ name: m.name, file: m.file, shapes: { [m.input]: m.shape } as Record<string, number[]> | undefined }));
  if (fs.existsSync(person)) models.push({ name: 'person_detect', file: person, shapes: undefined });
  else t.log('person_detect skipped: ../shared/conformance/tflm/person_detection missing');
  const target = getTarget('c');
  for (const m of models) {
    const { graph } = compileGraph(m.file, target, { inputShapes: m.shapes });
    const art = emitC(graph, { prefix: 'model', target: { vectorFloats: 8, l1Bytes: 32768, l2Bytes: 262144 } });
    t.log(`${m.name}: arena ${art.arenaBytes} B, live lower bound ${art.arenaLowerBound} B (${art.arenaPlanner}, ${art.inPlaceNodes} nodes in place)`);
    t.is(art.arenaBytes, art.arenaLowerBound, m.name);
  }
});
