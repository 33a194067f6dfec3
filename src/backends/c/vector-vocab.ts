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
  /** The micro-kernel's register pass over that tile (rows x vectors, EDGEC_SGEMM_RR/RV in vsgemm.h): as much of the
   * tile as the register file holds without spilling. splatA: A values as splat loads rather than lane-indexed FMAs. */
  sgemmPass: { rows: number; vectors: number; splatA: boolean };
  /** int8 dot GEMM tile (rows x columns; k in quads of 4): A panels [M/mr][K/4][mr][4], B panels [N/nr][K/4][nr][4]. */
  qdot: { mr: number; nr: number };
  /** Compiler flags the header needs beyond the target's own. */
  cflags: string[];
  /** 3x3 stride-1 int8 Convs on integer Winograd F(2x2, 3x3) (qwinograd.h over the int16 GEMM) rather than the dot
   * GEMM: where the dot GEMM is emulated, Winograd's 2.25x fewer multiplies win. */
  qwinograd?: boolean;
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
    sgemmPass: { rows: 6, vectors: 4, splatA: false },
    qdot: { mr: 4, nr: 16 },
    cflags: [],
    peakMacsPerInsn: { f32: 1, i8: 1 },
  },
  neon: {
    header: 'edgec_simd_neon.h',
    // The int8 2:4 kernel's main tile: 4 vectors of 16 pixels (16 int32 accumulators of the 32 registers).
    defines: { EDGEC_SIMD_DOTPROD: 0, EDGEC_SP24Q_NV: 4 },
    lanes: { f32: 4, i32: 4, i8: 16 },
    sgemm: { mr: 6, nr: 16 },
    sgemmPass: { rows: 6, vectors: 4, splatA: false },
    // Without SDOT an accumulator takes two registers (pair sums), so the tile has half the rows.
    qdot: { mr: 2, nr: 16 },
    cflags: [],
    peakMacsPerInsn: { f32: 4, i8: 16 },
  },
  'neon-dotprod': {
    header: 'edgec_simd_neon.h',
    defines: { EDGEC_SIMD_DOTPROD: 1, EDGEC_SP24Q_NV: 4 },
    lanes: { f32: 4, i32: 4, i8: 16 },
    sgemm: { mr: 6, nr: 16 },
    sgemmPass: { rows: 6, vectors: 4, splatA: false },
    qdot: { mr: 4, nr: 16 },
    cflags: [],
    peakMacsPerInsn: { f32: 4, i8: 16 },
  },
  wasm: {
    header: 'edgec_simd_wasm.h',
    // Float depthwise on GNU 8-float vectors (two v128 each): measured ~30% faster in V8 than the 4-lane vocabulary form.
    // EDGEC_QADD_NARROW: int8 Add/Sub scales its centred inputs with edgec_vi32_srdhm_shl_narrow (no 64-bit products).
    // EDGEC_QGEMM_VTILE: the int16 GEMM of qgemm.h (ConvTranspose, Winograd) on edgec_vi32_dot2 with a vector store.
    defines: { EDGEC_DW_VEXT: 1, EDGEC_DW_COLS: 16, EDGEC_QDOT_PAIRS: 1, EDGEC_QADD_NARROW: 1, EDGEC_QGEMM_VTILE: 1 },
    lanes: { f32: 4, i32: 4, i8: 16 },
    sgemm: { mr: 6, nr: 16 },
    // 16 v128 registers in V8 (15 allocatable on x64): 2 rows x 4 vectors (8 accumulators, 4 B vectors, a splat and a
    // product) run without spills; the whole 6 x 16 tile spills and measured ~1.4x slower, 3 x 8 ~1.1x slower.
    sgemmPass: { rows: 2, vectors: 4, splatA: true },
    // i32x4.dot_i16x8 on widened halves: an accumulator takes two vectors (pair sums), as NEON without SDOT.
    // EDGEC_QDOT_PAIRS: convolutions and Gemm/MatMul run on int16 pair panels widened once (qpair.h), 8 MACs per dot;
    // this 2-row tile then holds 8 plain accumulators.
    qdot: { mr: 2, nr: 16 },
    cflags: [],
    // Measured in V8 on PP-OCR det's 96->24 3x3 convs at 80x80: ~2.5x faster than the pair dot GEMM.
    qwinograd: true,
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
    `#define EDGEC_SGEMM_RR ${v.sgemmPass.rows}`,
    `#define EDGEC_SGEMM_RV ${v.sgemmPass.vectors}`,
    `#define EDGEC_SGEMM_SPLAT_A ${v.sgemmPass.splatA ? 1 : 0}`,
    `#define EDGEC_QDOT_MR ${v.qdot.mr}`,
    `#define EDGEC_QDOT_NR ${v.qdot.nr}`,
    `#include "simd/${v.header}"`,
  ];
}
