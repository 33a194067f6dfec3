/** The vector vocabulary table: for each SIMD ISA, the runtime-c/simd header implementing the shared vector names,
 * its lane counts, the micro-kernel tile shapes the kernels and the compile-time packing use, and its compiler flags.
 * Kernels are written once against the vocabulary; an ISA is one row here plus one header. */

/** The ISAs with a vocabulary header (a target names one in its `simd` field). */
export type SimdIsa = 'scalar' | 'neon' | 'neon-dotprod' | 'wasm';

/** One ISA's row of the vocabulary table. */
export interface VectorVocab {
  /** Header in runtime-c/simd/ defining the vocabulary names for this ISA. */
  header: string;
  /** Macros the emitter defines before including the header (e.g. EDGEC_SIMD_DOTPROD). */
  defines: Record<string, number>;
  /** Lanes per vector: float32, int32, int8. */
  lanes: { f32: number; i32: number; i8: number };
  /** Float SGEMM micro-kernel tile (rows x columns); packed weight panels follow it. */
  sgemm: { mr: number; nr: number };
  /** int8 dot GEMM tile (rows x columns; k in quads of 4): A panels [M/mr][K/4][mr][4], B panels [N/nr][K/4][nr][4]. */
  qdot: { mr: number; nr: number };
  /** Compiler flags the header needs beyond the target's own. */
  cflags: string[];
  /** Multiply-accumulates one instruction can do at best: a float FMA vector, an int8 dot vector (the bench's ideal). */
  peakMacsPerInsn: { f32: number; i8: number };
}

/** ISA → vocabulary row. A new ISA (e.g. WASM SIMD128) adds its header and one entry here. */
export const VECTOR_VOCABS: Record<SimdIsa, VectorVocab> = {
  scalar: {
    header: 'edgec_simd_scalar.h',
    defines: {},
    lanes: { f32: 4, i32: 4, i8: 16 },
    sgemm: { mr: 6, nr: 16 },
    qdot: { mr: 4, nr: 16 },
    cflags: [],
    peakMacsPerInsn: { f32: 1, i8: 1 },
  },
  neon: {
    header: 'edgec_simd_neon.h',
    defines: { EDGEC_SIMD_DOTPROD: 0 },
    lanes: { f32: 4, i32: 4, i8: 16 },
    sgemm: { mr: 6, nr: 16 },
    // Without SDOT an accumulator takes two registers (pair sums), so the tile has half the rows.
    qdot: { mr: 2, nr: 16 },
    cflags: [],
    peakMacsPerInsn: { f32: 4, i8: 16 },
  },
  'neon-dotprod': {
    header: 'edgec_simd_neon.h',
    defines: { EDGEC_SIMD_DOTPROD: 1 },
    lanes: { f32: 4, i32: 4, i8: 16 },
    sgemm: { mr: 6, nr: 16 },
    qdot: { mr: 4, nr: 16 },
    cflags: [],
    peakMacsPerInsn: { f32: 4, i8: 16 },
  },
  wasm: {
    header: 'edgec_simd_wasm.h',
    // Float depthwise on GNU 8-float vectors (two v128 each): measured ~30% faster in V8 than the 4-lane vocabulary form.
    defines: { EDGEC_DW_VEXT: 1 },
    lanes: { f32: 4, i32: 4, i8: 16 },
    sgemm: { mr: 6, nr: 16 },
    // i32x4.dot_i16x8 on widened halves: an accumulator takes two vectors (pair sums), as NEON without SDOT.
    qdot: { mr: 2, nr: 16 },
    cflags: [],
    // f32x4 mul + add (no FMA); i32x4.dot_i16x8 does 8 multiply-adds.
    peakMacsPerInsn: { f32: 4, i8: 8 },
  },
};

/** Whether a string names a vocabulary ISA. */
export function isSimdIsa(s: string): s is SimdIsa {
  return Object.prototype.hasOwnProperty.call(VECTOR_VOCABS, s);
}

/** The C lines that select a vocabulary in generated code: its defines and the include of its header. */
export function vocabPreamble(isa: SimdIsa): string[] {
  const v = VECTOR_VOCABS[isa];
  return [
    ...Object.entries(v.defines).map(([k, x]) => `#define ${k} ${x}`),
    `#define EDGEC_QDOT_MR ${v.qdot.mr}`,
    `#define EDGEC_QDOT_NR ${v.qdot.nr}`,
    `#include "simd/${v.header}"`,
  ];
}
