/** Build IR graphs from small ONNX descriptions in tests. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../../src/ops/index.js';
import type { Graph } from '../../src/ir/types.js';
import { loadOnnx } from '../../src/frontend/onnx/load.js';
import { makeModel, type ModelIn } from './onnx-builder.js';

/** Encode a model description, write it to a temp file and import it (returns the graph and the file). */
export function importModel(m: ModelIn, inputShapes?: Record<string, number[]>): { graph: Graph; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-model-'));
  const file = path.join(dir, 'model.onnx');
  fs.writeFileSync(file, makeModel(m));
  return { graph: loadOnnx(file, { inputShapes }), file };
}

/** Deterministic pseudo-random floats in [-1, 1). */
export function randn(n: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}
