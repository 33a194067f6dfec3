/** ONNX backend conformance cases from ../shared/conformance/onnx: model plus input/expected-output TensorProtos. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Value } from '../../src/ir/types.js';
import { onnx, tensorFromProto } from '../../src/frontend/onnx/proto.js';

/** Root of the shared conformance data. */
export const CONFORMANCE_DIR = path.resolve(process.cwd(), '../shared/conformance/onnx');

/** One conformance case with its data sets. */
export interface OnnxCase {
  name: string;
  suite: string;
  model: string;
  /** Each data set: .pb paths of inputs in graph-input order (empty for light models: zeros) and expected outputs. */
  sets: { inputs: string[]; outputs: string[] }[];
}

/** Read a TensorProto .pb file as a value. */
export function readPb(file: string): Value {
  return tensorFromProto(onnx.TensorProto.decode(fs.readFileSync(file)), path.dirname(file), file);
}

function sortedPbs(dir: string, prefix: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => Number(/(\d+)\.pb$/.exec(a)![1]) - Number(/(\d+)\.pb$/.exec(b)![1]))
    .map((f) => path.join(dir, f));
}

/** Every case in the four suites; light models run on zero inputs (their output does not depend on the input). */
export function listOnnxCases(): OnnxCase[] {
  const cases: OnnxCase[] = [];
  if (!fs.existsSync(CONFORMANCE_DIR)) return cases;
  for (const suite of ['light', 'pytorch-converted', 'pytorch-operator', 'simple']) {
    const dir = path.join(CONFORMANCE_DIR, suite);
    for (const e of fs.readdirSync(dir).sort()) {
      if (suite === 'light') {
        if (!e.endsWith('.onnx')) continue;
        const out = path.join(dir, e.replace(/\.onnx$/, '_output_0.pb'));
        cases.push({ name: e.replace(/\.onnx$/, ''), suite, model: path.join(dir, e), sets: [{ inputs: [], outputs: [out] }] });
        continue;
      }
      const model = path.join(dir, e, 'model.onnx');
      if (!fs.existsSync(model)) continue;
      const sets = fs.readdirSync(path.join(dir, e)).filter((d) => d.startsWith('test_data_set_')).sort().map((d) => {
        const sd = path.join(dir, e, d);
        return { inputs: sortedPbs(sd, 'input_'), outputs: sortedPbs(sd, 'output_') };
      });
      cases.push({ name: e, suite, model, sets });
    }
  }
  return cases;
}

/** Names of a model's graph inputs that are not initializers, in order. */
export function modelInputNames(file: string): string[] {
  const m = onnx.ModelProto.decode(fs.readFileSync(file));
  const inits = new Set((m.graph?.initializer ?? []).map((t) => t.name));
  return (m.graph?.input ?? []).map((i) => i.name ?? '').filter((n) => !inits.has(n));
}
