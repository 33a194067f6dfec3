/** Parsing of CLI argument values shared by commands. */
import type { Value } from '../ir/types.js';
import { EdgecError } from '../util/errors.js';
import { readNpy } from '../util/npy.js';

/** Parse `--input-shape name=1x3x224x224` values (repeatable, or comma-separated) into a map. */
export function parseInputShapes(specs: readonly string[] | undefined): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const spec of (specs ?? []).flatMap((s) => s.split(','))) {
    const m = /^([^=]+)=(\d+(?:x\d+)*)$/.exec(spec.trim());
    if (!m) throw new EdgecError(`--input-shape '${spec}': expected NAME=DxDx... (for example x=1x3x224x224)`);
    const dims = m[2].split('x').map(Number);
    if (dims.some((d) => d <= 0)) throw new EdgecError(`--input-shape '${spec}': dims must be positive`);
    out[m[1]] = dims;
  }
  return out;
}

/** Parse `--freeze-input name=value.npy` values into constant inputs. */
export function parseFrozenInputs(specs: readonly string[] | undefined): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const spec of specs ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(spec);
    if (!m) throw new EdgecError(`--freeze-input '${spec}': expected NAME=file.npy`);
    out[m[1]] = readNpy(m[2]);
  }
  return out;
}
