/** Targets are data: one JSON file per board in targets/, read and checked here. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgecError } from '../util/errors.js';
import { isSimdIsa, VECTOR_VOCABS, type SimdIsa } from '../backends/c/vector-vocab.js';

/** A target board or platform as described by targets/<name>.json. */
export interface Target {
  name: string;
  description: string;
  /** Code generator: a key of BACKENDS (src/backends/backends.ts): 'c' or 'cuda'. */
  backend: string;
  /** How --verify and `edgec run` execute the artifact (a key of RUNNERS in src/runners/runner.ts). */
  runner: string;
  /** Targets shipping a compiled binary with glue name their bundler (src/backends/bundles.ts): 'wasm'. */
  bundle?: string;
  isa: string;
  /** ISA extensions the board has (e.g. neon, dotprod, fp16). */
  features: string[];
  /** Vector vocabulary the kernels use (a row of VECTOR_VOCABS); absent: the portable kernels with host vector code. */
  simd?: SimdIsa;
  /** Runner 'qemu': the user-mode emulator, the CPU model it emulates (so an instruction the board lacks traps) and the
   * target libraries' root (qemu's -L). */
  qemu?: { binary: string; cpu: string; sysroot: string };
  memory: { l1Bytes: number; l2Bytes: number; l3Bytes?: number; flashBytes?: number; ramBytes?: number };
  vectorFloats: number;
  /** What the kernels optimise for: 'speed' (default; blocked kernels with arena scratch) or 'size' (microcontrollers). */
  kernelProfile?: 'speed' | 'size';
  /** Each layer in its own non-inlined C function instead of one run function holding every layer: for engines that
   * compile per function (WebAssembly in V8 allocates registers per function, and one huge function spills). */
  layerFunctions?: boolean;
  /** `size`: the binutils size tool whose section sizes the report gives (code, rodata, arena). */
  toolchain: { cc: string; cflags: string[]; ldflags: string[]; size?: string };
  /** Bare-metal boards: the emulated machine verification runs on and its memory map (origins as hex strings). */
  board?: { qemuMachine: string; flash: MemoryRegion; ram: MemoryRegion };
  /** FPGA targets: the device's resources and the design clock. */
  fpga?: FpgaResources;
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

/** Resources of an FPGA device (datasheet counts) and the clock the design is estimated at. */
export interface FpgaResources {
  part: string;
  dsp: number;
  bram18: number;
  uram: number;
  lut: number;
  ff: number;
  clockMHz: number;
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
  if (t.backend === 'hls' && !t.fpga) throw new EdgecError(`${file}: an 'hls' target needs 'fpga' (part, dsp, bram18, uram, lut, ff, clockMHz)`);
  if (t.simd !== undefined && !isSimdIsa(t.simd))
    throw new EdgecError(`${file}: 'simd' is '${t.simd}', not one of ${Object.keys(VECTOR_VOCABS).join(', ')}`);
  if (t.runner === 'qemu' && !(t.qemu?.binary && t.qemu.cpu && t.qemu.sysroot))
    throw new EdgecError(`${file}: runner 'qemu' needs "qemu": {"binary", "cpu", "sysroot"} (the emulator, its -cpu and -L)`);
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
