/** Calibration inputs from the command line: one .npy with a batch dimension, or a folder of .npy samples. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Graph, Value } from '../ir/types.js';
import { numel } from '../ir/dtype.js';
import { readNpy } from '../util/npy.js';
import { EdgecError } from '../util/errors.js';

const describe = (v: { dtype: string; shape: readonly number[] }) => `${v.dtype}[${v.shape.join('x')}]`;

/** Split one array into samples of the input's shape (its leading dim is the batch), or fail naming the file. */
function samplesOf(file: string, v: Value, input: string, want: { dtype: string; shape: number[] }): Value[] {
  if (v.dtype !== want.dtype) throw new EdgecError(`calibration file ${file} is ${describe(v)}; input '${input}' wants ${want.dtype} (convert it, e.g. astype(np.float32), after the model's preprocessing)`);
  const per = numel(want.shape);
  const same = v.shape.join('x') === want.shape.join('x');
  const batched = v.shape.length === want.shape.length && v.shape.slice(1).join('x') === want.shape.slice(1).join('x') && want.shape[0] === 1;
  if (!same && !batched) throw new EdgecError(`calibration file ${file} is ${describe(v)}; input '${input}' wants ${describe(want)} (or a batch Nx${want.shape.slice(1).join('x')})`);
  const n = v.data.length / per;
  return Array.from({ length: n }, (_, i) => ({ dtype: v.dtype, shape: [...want.shape], data: v.data.slice(i * per, (i + 1) * per) }));
}

/**
 * Load calibration feeds for a graph. A single-input model takes a .npy (one sample or a batch) or a folder of .npy
 * files; a multi-input model takes a folder of sample folders, each holding `<input name>.npy`.
 */
export function loadCalibration(arg: string, g: Graph): Record<string, Value>[] {
  if (!fs.existsSync(arg)) throw new EdgecError(`--calib ${arg}: no such file or folder`);
  const want = (n: string) => ({ dtype: g.tensors.get(n)!.dtype, shape: g.tensors.get(n)!.shape });
  const feeds: Record<string, Value>[] = [];
  if (g.inputs.length === 1) {
    const name = g.inputs[0];
    const files = fs.statSync(arg).isDirectory()
      ? fs.readdirSync(arg).filter((f) => f.endsWith('.npy')).sort().map((f) => path.join(arg, f))
      : [arg];
    for (const f of files) for (const s of samplesOf(f, readNpy(f), name, want(name))) feeds.push({ [name]: s });
  } else {
    if (!fs.statSync(arg).isDirectory()) throw new EdgecError(`--calib ${arg}: the model has ${g.inputs.length} inputs (${g.inputs.join(', ')}); give a folder of sample folders, each with one .npy per input`);
    for (const d of fs.readdirSync(arg).sort()) {
      const dir = path.join(arg, d);
      if (!fs.statSync(dir).isDirectory()) continue;
      const feed: Record<string, Value> = {};
      for (const name of g.inputs) {
        const f = path.join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.npy`);
        if (!fs.existsSync(f)) throw new EdgecError(`calibration sample ${dir} lacks ${path.basename(f)} for input '${name}'`);
        const [s] = samplesOf(f, readNpy(f), name, want(name));
        feed[name] = s;
      }
      feeds.push(feed);
    }
  }
  if (feeds.length === 0) throw new EdgecError(`--calib ${arg}: the calibration set is empty (no .npy samples found)`);
  return feeds;
}
