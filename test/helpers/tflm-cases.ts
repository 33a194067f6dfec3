/** TFLite Micro integration cases from ../shared/conformance/tflm: a model with its CSV inputs and golden output. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DType, Value } from '../../src/ir/types.js';
import { allocData } from '../../src/ir/dtype.js';

/** Root of the shared TFLite Micro data. */
export const TFLM_DIR = path.resolve(process.cwd(), '../shared/conformance/tflm');

/** One case: the model, its input CSVs in input order, and the golden output CSV. */
export interface TflmCase {
  name: string;
  model: string;
  inputs: string[];
  golden: string;
}

/** Values of a `<name>_<kind>_<dtype>.csv` file (comma or newline separated) as the dtype its name gives. */
export function readCsv(file: string, shape: number[]): Value {
  const m = /_(int8|int16|int32|uint8|float32)\.csv$/.exec(file);
  if (!m) throw new Error(`${file}: the name does not end in _<dtype>.csv`);
  const dtype = m[1] as DType;
  const nums = fs.readFileSync(file, 'utf8').split(/[\s,]+/).filter(Boolean).map(Number);
  const data = allocData(dtype, nums.length);
  nums.forEach((v, i) => (data[i] = v));
  return { dtype, shape, data };
}

/** Every model of the seanet suites that has input and golden CSVs, ordered by op and number. */
export function listSeanetCases(): TflmCase[] {
  const root = path.join(TFLM_DIR, 'seanet');
  if (!fs.existsSync(root)) return [];
  const cases: TflmCase[] = [];
  for (const op of fs.readdirSync(root).sort()) {
    const dir = path.join(root, op);
    const files = fs.readdirSync(dir);
    const models = files.filter((f) => f.endsWith('.tflite')).map((f) => f.slice(0, -'.tflite'.length));
    models.sort((a, b) => Number(/\d+$/.exec(a)?.[0] ?? 0) - Number(/\d+$/.exec(b)?.[0] ?? 0));
    for (const m of models) {
      const inputs = files.filter((f) => new RegExp(`^${m}_input(\\d+)_\\w+\\.csv$`).test(f))
        .sort((a, b) => Number(/_input(\d+)_/.exec(a)![1]) - Number(/_input(\d+)_/.exec(b)![1]));
      const golden = files.find((f) => new RegExp(`^${m}_golden_\\w+\\.csv$`).test(f));
      if (!inputs.length || !golden) continue;
      cases.push({ name: `${op}/${m}`, model: path.join(dir, `${m}.tflite`), inputs: inputs.map((f) => path.join(dir, f)), golden: path.join(dir, golden) });
    }
  }
  return cases;
}
