/** The fixed-point requantization arithmetic: TypeScript against a BigInt model of TFLite's C++ and against qmath.h. */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfEven, type QuantizedMultiplier } from '../src/quant/fixed-point.js';
import { chooseQuantParams, dequantizeData, quantizeData } from '../src/quant/params.js';
import { seededRandom } from '../src/verify/metrics.js';

/** TFLite's MultiplyByQuantizedMultiplier written with BigInt (int64 semantics, C truncating division). */
function mbqmBig(x: number, m: QuantizedMultiplier): number {
  const left = m.shift > 0 ? m.shift : 0;
  const right = m.shift > 0 ? 0 : -m.shift;
  const xs = BigInt.asIntN(32, BigInt(x) << BigInt(left));
  const a = xs;
  const b = BigInt(m.multiplier);
  let high: bigint;
  if (a === -2147483648n && b === -2147483648n) high = 2147483647n;
  else {
    const ab = a * b;
    const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
    high = (ab + nudge) / (1n << 31n); // BigInt division truncates like C
  }
  if (right === 0) return Number(high);
  const mask = (1n << BigInt(right)) - 1n;
  const rem = BigInt.asIntN(32, high & mask);
  const threshold = (mask >> 1n) + (high < 0n ? 1n : 0n);
  return Number((high >> BigInt(right)) + (rem > threshold ? 1n : 0n));
}

function cases(n: number): { x: number; m: QuantizedMultiplier }[] {
  const rnd = seededRandom(7);
  const out: { x: number; m: QuantizedMultiplier }[] = [];
  const edge = [0, 1, -1, 2147483647, -2147483648, 1 << 30, -(1 << 30), 12345, -12345];
  for (let i = 0; i < n; i++) {
    const x = i < edge.length ? edge[i] : Math.round((rnd() * 2 - 1) * 2 ** Math.floor(rnd() * 32));
    const real = i % 7 === 0 ? 1 / 2 ** 40 : 2 ** (rnd() * 40 - 30) * (1 + rnd());
    out.push({ x: Math.max(-2147483648, Math.min(2147483647, x)), m: quantizeMultiplier(real) });
  }
  return out;
}

test('quantizeMultiplier represents the real value within 2^-31 relative', (t) => {
  for (const real of [1, 0.5, 0.75, 1e-3, 3.5e-5, 1.9999999, 123.4]) {
    const q = quantizeMultiplier(real);
    t.true(q.multiplier >= 2 ** 30 && q.multiplier < 2 ** 31, `${real}`);
    t.true(Math.abs(q.multiplier * 2 ** (q.shift - 31) - real) <= real * 2 ** -30, `${real}`);
  }
  t.deepEqual(quantizeMultiplier(0), { multiplier: 0, shift: 0 });
});

test('multiplyByQuantizedMultiplier matches a BigInt model of TFLite on 20000 cases', (t) => {
  let bad = 0;
  for (const { x, m } of cases(20000)) if (multiplyByQuantizedMultiplier(x, m) !== mbqmBig(x, m)) bad++;
  t.is(bad, 0);
});

test('qmath.h edgec_mbqm matches the TypeScript on the same cases', (t) => {
  const cs = cases(2000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-qmath-'));
  const src = path.join(dir, 'q.c');
  const rows = cs.map(({ x, m }) => `{${x === -2147483648 ? '(-2147483647-1)' : x}, ${m.multiplier}, ${m.shift}}`).join(',\n');
  fs.writeFileSync(src, `#include <stdio.h>\n#include "${path.resolve('runtime-c/kernels/qmath.h')}"\n` +
    `static const long long c[][3] = {${rows}};\nint main(void){ for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) printf("%d\\n", edgec_mbqm((int32_t)c[i][0], (int32_t)c[i][1], (int)c[i][2])); return 0; }\n`);
  execFileSync('gcc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-o', path.join(dir, 'q'), src]);
  const got = execFileSync(path.join(dir, 'q'), { encoding: 'utf8' }).trim().split('\n').map(Number);
  fs.rmSync(dir, { recursive: true, force: true });
  t.deepEqual(got, cs.map(({ x, m }) => multiplyByQuantizedMultiplier(x, m)));
});

test('quantize/dequantize round trip within half a step; ties round to even', (t) => {
  const q = chooseQuantParams(-1, 3);
  t.is(q.zeroPoint[0], -64);
  const x = Float32Array.from([-1, 0, 0.5, 3, 10, -10]);
  const qx = quantizeData(x, [6], q, 'int8');
  t.deepEqual([...qx], [-128, -64, Math.round(0.5 / q.scale[0]) - 64, 127, 127, -128]);
  const back = dequantizeData(qx, [6], q);
  for (let i = 0; i < 4; i++) t.true(Math.abs(back[i] - x[i]) <= q.scale[0] / 2 + 1e-7);
  t.is(roundHalfEven(2.5), 2);
  t.is(roundHalfEven(-2.5), -2);
  t.is(roundHalfEven(3.5), 4);
});
