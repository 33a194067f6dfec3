/** GPTQ rounding of int8 convolution weights: the im2col Hessian and the fixed-scale GPTQ against round-to-nearest. */
import test from 'ava';
import type { Node } from '../src/ir/types.js';
import { ConvHessian, gptqFixedScale } from '../src/quant/gptq-int8.js';

/** Deterministic pseudo-random numbers in [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1;
}

const conv = (attrs: Node['attrs'] = {}): Node => ({ name: 'c', op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs });

test('ConvHessian of a 1x1 convolution is 2 sum x x^T over every pixel', (t) => {
  const r = rng(1);
  const [c, hw] = [3, 5 * 5];
  const x = { dtype: 'float32' as const, shape: [1, c, 5, 5], data: Float32Array.from({ length: c * hw }, r) };
  const h = new ConvHessian(conv(), [4, c, 1, 1], 1);
  h.add(x);
  const [got] = h.finish();
  for (let a = 0; a < c; a++)
    for (let b = 0; b < c; b++) {
      let want = 0;
      for (let p = 0; p < hw; p++) want += 2 * x.data[a * hw + p] * x.data[b * hw + p];
      t.true(Math.abs(got[a * c + b] - want) < 1e-9 * Math.max(1, Math.abs(want)), `H[${a}][${b}] = ${got[a * c + b]}, want ${want}`);
    }
  t.is(h.rows, hw);
});

test('ConvHessian of a padded 3x3 depthwise convolution: one 9x9 matrix per channel, zeros where the patch leaves the image', (t) => {
  const x = { dtype: 'float32' as const, shape: [1, 2, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => (i < 9 ? 1 : 2)) };
  const h = new ConvHessian(conv({ group: { type: 'int', value: 2 }, pads: { type: 'ints', value: [1, 1, 1, 1] } }), [2, 1, 3, 3], 2);
  h.add(x);
  const hs = h.finish();
  t.is(hs.length, 2);
  // Kernel tap (1,1) (the centre) sees every pixel; the corner tap (0,0) only the 4 outputs whose up-left neighbour exists.
  t.is(hs[0][4 * 9 + 4], 2 * 9);
  t.is(hs[0][0], 2 * 4);
  t.is(hs[1][4 * 9 + 4], 2 * 9 * 4);
});

test('GPTQ with fixed int8 scales has less output error than round-to-nearest on correlated inputs', (t) => {
  const r = rng(7);
  const [k, n, rows] = [16, 8, 400];
  // Inputs share a large common component (what BN-folded layers after a HardSwish see); the weights cancel it.
  const x = new Float64Array(rows * k);
  for (let p = 0; p < rows; p++) {
    const common = 5 * r();
    for (let i = 0; i < k; i++) x[p * k + i] = common + 0.3 * r();
  }
  const w = Float64Array.from({ length: k * n }, r);
  const h = new Float64Array(k * k);
  for (let p = 0; p < rows; p++) for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) h[a * k + b] += 2 * x[p * k + a] * x[p * k + b];
  const scales = Array.from({ length: n }, (_, j) => {
    let m = 0;
    for (let i = 0; i < k; i++) m = Math.max(m, Math.abs(w[i * n + j]));
    return m / 127;
  });
  const err = (codes: ArrayLike<number>) => {
    let e = 0;
    for (let p = 0; p < rows; p++)
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let i = 0; i < k; i++) d += x[p * k + i] * (w[i * n + j] - codes[i * n + j] * scales[j]);
        e += d * d;
      }
    return e;
  };
  const rtn = Int8Array.from({ length: k * n }, (_, i) => Math.round(w[i] / scales[i % n]));
  const gptq = gptqFixedScale(w, k, n, h, scales);
  t.true(gptq.every((c) => c >= -128 && c <= 127));
  const [eg, er] = [err(gptq), err(rtn)];
  t.log(`output error: GPTQ ${eg.toExponential(3)}, round-to-nearest ${er.toExponential(3)}`);
  t.true(eg < er / 2, `GPTQ ${eg} vs RTN ${er}`);
});
