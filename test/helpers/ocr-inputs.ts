/** Real PP-OCR inputs from ../shared/data/ocr_lines (80 rendered lines, uint8 RGB 80x48x320x3). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Value } from '../../src/ir/types.js';

const DIR = path.resolve(process.cwd(), '../shared/data/ocr_lines');
const H = 48;
const W = 320;

/** Whether the shared OCR data is present. */
export function haveOcrLines(): boolean {
  return fs.existsSync(path.join(DIR, 'ocr_lines.u8'));
}

let cache: Buffer | undefined;
function pixels(): Buffer {
  cache ??= fs.readFileSync(path.join(DIR, 'ocr_lines.u8'));
  return cache;
}

/** The text of every line. */
export function lineTexts(): string[] {
  return fs.readFileSync(path.join(DIR, 'ocr_lines.txt'), 'utf8').split('\n').filter((l, i, a) => i < a.length - 1 || l);
}

/** Line `i` as interleaved RGB bytes, 48 rows of 320 pixels. */
export function linePixels(i: number): Uint8Array {
  return new Uint8Array(pixels().subarray(i * H * W * 3, (i + 1) * H * W * 3));
}

/** RGB value of line `i` at (y, x, c). */
function px(i: number, y: number, x: number, c: number): number {
  return pixels()[((i * H + y) * W + x) * 3 + c];
}

/** Line `i` as rec/cls input: BGR, (x/255-0.5)/0.5, NCHW 1x3x48xwidth (the first `width` columns). */
export function recInput(i: number, width = W): Value {
  const data = new Float32Array(3 * H * width);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < width; x++) data[(c * H + y) * width + x] = (px(i, y, x, 2 - c) / 255 - 0.5) / 0.5;
  return { dtype: 'float32', shape: [1, 3, H, width], data };
}

/** A 320x320 page of six stacked lines from `first`, on white, as det input: BGR, ImageNet mean/std, NCHW. */
export function detInput(first: number): Value {
  const S = 320;
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const data = new Float32Array(3 * S * S);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) {
        const line = Math.floor((y - 16) / H);
        const inside = y >= 16 && line < 6;
        const v = inside ? px(first + line, (y - 16) % H, x, 2 - c) : 255;
        data[(c * S + y) * S + x] = (v / 255 - mean[c]) / std[c];
      }
  return { dtype: 'float32', shape: [1, 3, S, S], data };
}
