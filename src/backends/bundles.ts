/** Bundlers: targets whose artifact is a compiled binary plus glue (targets/*.json "bundle") add files and a binary here. */
import type { Target } from '../targets/targets.js';
import { EdgecError } from '../util/errors.js';
import { wasmBundleFiles, type BundleSpec } from './wasm/bundle.js';
import { wasmCodeBytes } from './wasm/sections.js';

/** How a bundled target extends the C artifact. */
export interface Bundler {
  name: string;
  /** Text files added next to the C sources (entry points, loader, types, package manifest). */
  files(spec: BundleSpec, model: string): Map<string, string>;
  /** File name of the compiled binary the target's runner builds into the artifact folder. */
  binary(prefix: string): string;
  /** Bytes of executable code inside the binary (for report.json's code_bytes). */
  codeBytes(binary: Uint8Array): number | undefined;
}

const BUNDLERS: Record<string, Bundler> = {
  wasm: { name: 'wasm', files: wasmBundleFiles, binary: (p) => `${p}.wasm`, codeBytes: wasmCodeBytes },
};

/** The bundler a target names, or undefined for a plain C artifact. */
export function bundlerFor(target: Target): Bundler | undefined {
  if (target.bundle === undefined) return undefined;
  const b = BUNDLERS[target.bundle];
  if (!b) throw new EdgecError(`target '${target.name}' names unknown bundle '${target.bundle}'; known: ${Object.keys(BUNDLERS).join(', ')}`);
  return b;
}
