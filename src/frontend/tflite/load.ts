/** TFLite model loader: the main subgraph as an IR graph (NCHW inside, the model's own layout and types at its inputs and outputs). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Graph } from '../../ir/types.js';
import { EdgecError } from '../../util/errors.js';
import { findOp } from '../../ops/registry.js';
import { GraphBuilder } from './builder.js';
import { OpCtx } from './context.js';
import { decodeTflite, readTfliteGraph } from './model.js';
import { TFLITE_IMPORT_RULES } from './rules.js';

/** Options for loading: TFLite shapes are static, so --input-shape may only restate them. */
export interface TfliteLoadOptions {
  inputShapes?: Record<string, number[]>;
}

/** Load a .tflite file into an IR graph; unsupported and custom operators are reported together in one error. */
export function loadTflite(file: string, opts: TfliteLoadOptions = {}): Graph {
  if (!fs.existsSync(file)) throw new EdgecError(`${file}: no such file`);
  const bytes = new Uint8Array(fs.readFileSync(file));
  const tg = readTfliteGraph(decodeTflite(bytes, file), bytes, file);
  const b = new GraphBuilder(tg);
  const inputs = tg.inputs.map((t) => b.input(t));
  for (const [name, shape] of Object.entries(opts.inputShapes ?? {})) {
    const t = tg.inputs.map((i) => tg.tensors[i]).find((x) => x.name === name);
    if (!t) throw new EdgecError(`--input-shape names '${name}', but the model's inputs are: ${tg.inputs.map((i) => tg.tensors[i].name).join(', ')}`);
    if (t.shape.join('x') !== shape.join('x'))
      throw new EdgecError(`--input-shape ${name}=${shape.join('x')}: TFLite models have static shapes and this input is ${t.shape.join('x')}; re-convert the model for another shape`);
  }
  const unsupported = new Map<string, number[]>();
  for (const op of tg.ops) {
    const key = op.code === 'CUSTOM' ? `custom op '${op.custom}'` : op.code;
    const rule = TFLITE_IMPORT_RULES[op.code];
    if (!rule) {
      unsupported.set(key, [...(unsupported.get(key) ?? []), op.index]);
      continue;
    }
    if (unsupported.size) continue; // later operators may read outputs that were never written
    rule(new OpCtx(op, b, file));
  }
  if (unsupported.size) {
    const list = [...unsupported].map(([k, ix]) => `${k} (operator ${ix[0]}${ix.length > 1 ? ` and ${ix.length - 1} more` : ''})`);
    throw new EdgecError(`${file}: subgraph ${tg.subgraph} '${tg.name}' uses unsupported operators: ${list.join(', ')}; see the README's supported-op table`);
  }
  const unknown = [...new Set(b.nodes.filter((n) => !findOp(n.op)).map((n) => n.op))];
  if (unknown.length) throw new Error(`internal: TFLite import emitted ops the registry lacks: ${unknown.join(', ')}`);
  const outputs = tg.outputs.map((t) => b.view(t, 'nhwc'));
  return { name: path.basename(file, '.tflite'), tensors: b.tensors, nodes: b.nodes, inputs, outputs, source: file };
}
