/** Targets are data: one JSON file per board in targets/, read and checked here. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgecError } from '../util/errors.js';

/** A target board or platform as described by targets/<name>.json. */
export interface Target {
  name: string;
  description: string;
  /** Code generator: 'c' today. */
  backend: string;
  /** How --verify and `edgec run` execute the artifact: 'native' or 'wasm'. */
  runner: string;
  /** Targets shipping a compiled binary with glue name their bundler (src/backends/bundles.ts): 'wasm'. */
  bundle?: string;
  isa: string;
  features: string[];
  memory: { l1Bytes: number; l2Bytes: number; flashBytes?: number; ramBytes?: number };
  vectorFloats: number;
  toolchain: { cc: string; cflags: string[]; ldflags: string[] };
}

/** The folder holding the target files. */
export const TARGETS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../targets');

function checkTarget(t: Partial<Target>, file: string): Target {
  const need: (keyof Target)[] = ['name', 'description', 'backend', 'runner', 'isa', 'features', 'memory', 'vectorFloats', 'toolchain'];
  for (const k of need) if (t[k] === undefined) throw new EdgecError(`${file}: target is missing '${k}'`);
  return t as Target;
}

/** All targets, sorted by name. */
export function listTargets(): Target[] {
  return fs
    .readdirSync(TARGETS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const file = path.join(TARGETS_DIR, f);
      let raw: Partial<Target>;
      try {
        raw = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (e) {
        throw new EdgecError(`${file}: not valid JSON (${(e as Error).message})`);
      }
      return checkTarget(raw, file);
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** One target by name, or an error listing the known ones. */
export function getTarget(name: string): Target {
  const all = listTargets();
  const t = all.find((x) => x.name === name);
  if (!t) throw new EdgecError(`unknown target '${name}'; known targets: ${all.map((x) => x.name).join(', ')} (see 'edgec targets')`);
  return t;
}
