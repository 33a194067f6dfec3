/** Targets are data: one JSON file per board in targets/, read and checked here. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgecError } from '../util/errors.js';

/** A target board or platform as described by targets/<name>.json. */
export interface Target {
  name: string;
  description: string;
  /** Code generator: a key of BACKENDS (src/backends/backends.ts): 'c' or 'cuda'. */
  backend: string;
  /** How --verify and `edgec run` execute the artifact: 'native' today. */
  runner: string;
  isa: string;
  features: string[];
  memory: { l1Bytes: number; l2Bytes: number; flashBytes?: number; ramBytes?: number };
  vectorFloats: number;
  /** What the kernels optimise for: 'speed' (default; blocked kernels with arena scratch) or 'size' (microcontrollers). */
  kernelProfile?: 'speed' | 'size';
  /** `size`: the binutils size tool whose section sizes the report gives (code, rodata, arena). */
  toolchain: { cc: string; cflags: string[]; ldflags: string[]; size?: string };
  /** Bare-metal boards: the emulated machine verification runs on and its memory map (origins as hex strings). */
  board?: { qemuMachine: string; flash: MemoryRegion; ram: MemoryRegion };
  /** GPU facts of CUDA targets: the architectures to build for and the sizes the kernel generator tunes for. */
  cuda?: CudaFacts;
  /** Default --verify tolerance (rel-L2) when the target's arithmetic is not exact fp32 (fp16 tensor cores). */
  verifyTolerance?: number;
}

/** A memory region of a board: start address (hex string) and length in bytes. */
export interface MemoryRegion {
  origin: string;
  length: number;
}

/** What a CUDA target file says about its GPU. */
export interface CudaFacts {
  /** CMAKE_CUDA_ARCHITECTURES / nvcc sm_XX numbers, e.g. ["87"]. */
  architectures: string[];
  sms: number;
  smemPerSmBytes: number;
  smemPerBlockBytes: number;
  bandwidthGBs: number;
  peakFp16Tflops: number;
  peakInt8Tops: number;
  /** 'fp16': convolutions and GEMMs on fp16 tensor cores (fp32 accumulate); 'fp32': exact CUDA-core kernels. */
  precision: 'fp16' | 'fp32';
}

/** The folder holding the target files. */
export const TARGETS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../targets');

function checkTarget(t: Partial<Target>, file: string): Target {
  const need: (keyof Target)[] = ['name', 'description', 'backend', 'runner', 'isa', 'features', 'memory', 'vectorFloats', 'toolchain'];
  for (const k of need) if (t[k] === undefined) throw new EdgecError(`${file}: target is missing '${k}'`);
  if (t.backend === 'cuda' && !t.cuda?.architectures?.length) throw new EdgecError(`${file}: CUDA target needs 'cuda.architectures' (e.g. ["87"])`);
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
