/** Calibration statistics and range methods on distributions with known answers; calibration input errors. */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Histogram } from '../src/quant/histogram.js';
import { RANGE_METHODS, collectHistograms } from '../src/quant/calibrate.js';
import { loadCalibration } from '../src/quant/calib-data.js';
import { seededRandom } from '../src/verify/metrics.js';
import { writeNpy } from '../src/util/npy.js';
import { qgraph } from './helpers/qgraph.js';

function gaussian(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd()));
}

test('histogram grows by merging bins and keeps every count; quantiles follow the data', (t) => {
  const h = new Histogram();
  const rnd = seededRandom(3);
  h.add(Float32Array.from({ length: 10000 }, () => rnd() * 0.1));
  h.add(Float32Array.from({ length: 10000 }, () => rnd() * 10 - 5));
  t.is(h.total(), 20000);
  t.true(h.limit >= 5);
  t.true(Math.abs(h.quantile(0.125) - -2.5) < 0.2, String(h.quantile(0.125)));
  t.true(Math.abs(h.quantile(0.25)) < 0.1, String(h.quantile(0.25)));
  t.is(h.min < -4.9 && h.max > 4.9, true);
});

test('minmax keeps the extremes; percentile drops a single outlier', (t) => {
  const h = new Histogram();
  const x = gaussian(200000, 1);
  x[0] = 1000;
  h.add(x);
  t.is(RANGE_METHODS.minmax(h).max, 1000);
  const p = RANGE_METHODS.percentile(h);
  t.true(p.max > 3 && p.max < 6, String(p.max));
  t.true(p.min < -3 && p.min > -6, String(p.min));
});

test('entropy clips a heavy-tailed distribution well inside its max, but not inside the bulk', (t) => {
  const h = new Histogram();
  const x = gaussian(200000, 2);
  for (let i = 0; i < 50; i++) x[i] = 40 + i; // sparse far outliers
  h.add(x);
  const r = RANGE_METHODS.entropy(h);
  t.true(r.max < 20 && r.max > 2.5, String(r.max));
});

test('mse clips a Laplacian tail but keeps a uniform distribution whole', (t) => {
  const rnd = seededRandom(4);
  const lap = new Histogram();
  lap.add(Float32Array.from({ length: 200000 }, () => -Math.log(rnd() + 1e-12) * (rnd() < 0.5 ? -1 : 1)));
  const r = RANGE_METHODS.mse(lap);
  // 8-bit MSE-optimal clipping of a unit Laplacian is about 9.9 (Banner et al. 2018): inside the sample max of ~11.
  t.true(r.max < 0.95 * lap.max && r.max > 7, `${r.max} of ${lap.max}`);
  const uni = new Histogram();
  uni.add(Float32Array.from({ length: 200000 }, () => rnd() * 2 - 1));
  const u = RANGE_METHODS.mse(uni);
  t.true(u.max > 0.95 && u.min < -0.95, `${u.min} ${u.max}`);
});

test('calibration records every float tensor of a graph', (t) => {
  const g = qgraph({
    inputs: { x: { dtype: 'float32', shape: [1, 4] } },
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, { op: 'Neg', inputs: ['r'], outputs: ['y'] }],
    outputs: ['y'],
  });
  const feeds = [{ x: { dtype: 'float32' as const, shape: [1, 4], data: Float32Array.of(-1, 2, 3, -4) } }];
  const h = collectHistograms(g, feeds);
  t.deepEqual([...h.keys()].sort(), ['r', 'x', 'y']);
  t.is(h.get('y')!.min, -3);
  t.throws(() => collectHistograms(g, []), { message: /calibration set is empty/ });
});

test('calibration inputs: batches split, wrong dtype or shape and empty folders are named', (t) => {
  const g = qgraph({ inputs: { x: { dtype: 'float32', shape: [1, 2, 3] } }, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], outputs: ['y'] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-calib-'));
  const batch = path.join(dir, 'batch.npy');
  writeNpy(batch, { dtype: 'float32', shape: [5, 2, 3], data: new Float32Array(30) });
  t.is(loadCalibration(batch, g).length, 5);
  const bad = path.join(dir, 'bad.npy');
  writeNpy(bad, { dtype: 'uint8', shape: [1, 2, 3], data: new Uint8Array(6) });
  t.throws(() => loadCalibration(bad, g), { message: /bad\.npy is uint8\[1x2x3\]; input 'x' wants float32/ });
  const shape = path.join(dir, 'shape.npy');
  writeNpy(shape, { dtype: 'float32', shape: [1, 3, 2], data: new Float32Array(6) });
  t.throws(() => loadCalibration(shape, g), { message: /shape\.npy is float32\[1x3x2\]; input 'x' wants float32\[1x2x3\]/ });
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-calib-empty-'));
  t.throws(() => loadCalibration(empty, g), { message: /calibration set is empty/ });
});
