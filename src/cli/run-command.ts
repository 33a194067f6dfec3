/** `edgec run`: execute a built artifact on .npy inputs with its target's runner; writes .npy outputs. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import type { TensorInfo, Value } from '../ir/types.js';
import { getTarget } from '../targets/targets.js';
import { runnerFor } from '../runners/runner.js';
import { EdgecError } from '../util/errors.js';
import { readNpy, writeNpy } from '../util/npy.js';

type IO = TensorInfo & { name: string };

/** What `edgec build` records in edgec.json for later runs. */
export interface ArtifactMeta {
  prefix: string;
  target: string;
  inputs: IO[];
  outputs: IO[];
}

/** Read an artifact folder's metadata, with a clear error if it is not one. */
export function readArtifact(dir: string): ArtifactMeta {
  const f = path.join(dir, 'edgec.json');
  if (!fs.existsSync(f)) throw new EdgecError(`${dir}: not an edgec artifact (no edgec.json); build one with 'edgec build -o ${dir}'`);
  return JSON.parse(fs.readFileSync(f, 'utf8')) as ArtifactMeta;
}

/** Run an artifact on samples (each a list of values in graph-input order); returns outputs per sample. */
export async function runArtifact(dir: string, samples: Value[][]): Promise<Value[][]> {
  const meta = readArtifact(dir);
  const target = getTarget(meta.target);
  const runner = runnerFor(target);
  const why = await runner.unavailable(target);
  if (why) throw new EdgecError(`running target '${target.name}' needs ${why}`);
  const program = await runner.build(dir, meta.prefix, target);
  const results: Value[][] = [];
  for (const s of samples) results.push((await runner.run(program, s, meta.outputs)).outputs);
  return results;
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export const runCommand: CommandModule = {
  command: 'run <artifact>',
  describe: 'run a built artifact on .npy inputs and write .npy outputs',
  builder: (y) =>
    y
      .positional('artifact', { type: 'string', demandOption: true, describe: 'folder written by edgec build' })
      .option('input', { alias: 'i', type: 'string', array: true, demandOption: true, describe: 'one sample per flag: a.npy, or a.npy,b.npy for a model with several inputs' })
      .option('output-dir', { type: 'string', demandOption: true, describe: 'where to write <index>-<input>-<output>.npy' })
      .example('$0 run out/det --input a.npy --input b.npy --output-dir preds/', 'two samples, outputs sorted in input order'),
  handler: async (argv) => {
    const dir = argv.artifact as string;
    const meta = readArtifact(dir);
    const specs = argv.input as string[];
    const samples = specs.map((spec) => {
      const files = spec.split(',');
      if (files.length !== meta.inputs.length)
        throw new EdgecError(`--input ${spec}: the model has ${meta.inputs.length} input(s) (${meta.inputs.map((i) => i.name).join(', ')}); give that many .npy files, comma-separated`);
      return files.map((f, k) => {
        const v = readNpy(f);
        const want = meta.inputs[k];
        if (v.dtype !== want.dtype || v.shape.join('x') !== want.shape.join('x'))
          throw new EdgecError(`${f}: is ${v.dtype}[${v.shape.join('x')}], input '${want.name}' wants ${want.dtype}[${want.shape.join('x')}]`);
        return v;
      });
    });
    const outDir = argv['output-dir'] as string;
    fs.mkdirSync(outDir, { recursive: true });
    const results = await runArtifact(dir, samples);
    const width = String(samples.length - 1).length;
    results.forEach((outs, i) => {
      const stem = safe(path.basename(specs[i].split(',')[0], '.npy'));
      outs.forEach((v, k) => {
        const f = path.join(outDir, `${String(i).padStart(Math.max(width, 4), '0')}-${stem}-${safe(meta.outputs[k].name)}.npy`);
        writeNpy(f, v);
        process.stdout.write(`${f}\n`);
      });
    });
  },
};
