/** N:M structured sparsity: masks from per-weight scores, the check that a matrix is N:M, and the compressed storage (kept values plus packed in-group indices). */

/** A weight matrix as pruning sees it: `rows` outputs, each a run of `k` reduction weights (row-major [rows][k]). */
export interface WeightRows {
  rows: number;
  k: number;
  data: Float64Array;
}

/** Keep the `n` highest-scoring weights of every group of `m` consecutive reduction weights; returns the keep mask. */
export function nmMask(scores: Float64Array, rows: number, k: number, n: number, m: number): Uint8Array {
  const keep = new Uint8Array(rows * k);
  const order = Array.from({ length: m }, (_, i) => i);
  for (let r = 0; r < rows; r++)
    for (let g0 = 0; g0 < k; g0 += m) {
      const base = r * k + g0;
      // Highest score first; ties keep the lower index (deterministic).
      order.sort((a, b) => scores[base + b] - scores[base + a] || a - b);
      for (let j = 0; j < n; j++) keep[base + order[j]] = 1;
    }
  return keep;
}

/** Whether every group of m consecutive weights in each row has at most n non-zeros. */
export function isNm(data: ArrayLike<number>, rows: number, k: number, n: number, m: number): boolean {
  if (k % m !== 0) return false;
  for (let r = 0; r < rows; r++)
    for (let g0 = 0; g0 < k; g0 += m) {
      let nz = 0;
      for (let i = 0; i < m; i++) if (data[r * k + g0 + i] !== 0) nz++;
      if (nz > n) return false;
    }
  return true;
}

/** Bits of one in-group index (2 for 2:4). */
export const indexBits = (m: number): number => Math.max(1, Math.ceil(Math.log2(m)));

/** Compressed N:M storage: exactly n values per group (zeros where a group kept fewer) and their in-group indices, `bits` each, packed LSB first, each row starting on a byte. */
export interface NmPacked {
  /** [rows][k / m * n] kept values. */
  values: number[];
  /** [rows][rowBytes] packed indices. */
  indices: Uint8Array;
  rowBytes: number;
  bits: number;
}

/** Pack an N:M matrix ([rows][k], at most n non-zeros per group) into values and indices. */
export function packNm(data: ArrayLike<number>, rows: number, k: number, n: number, m: number): NmPacked {
  const bits = indexBits(m);
  const kept = (k / m) * n;
  const rowBytes = Math.ceil((kept * bits) / 8);
  const values: number[] = new Array(rows * kept).fill(0);
  const indices = new Uint8Array(rows * rowBytes);
  for (let r = 0; r < rows; r++) {
    let j = 0;
    for (let g0 = 0; g0 < k; g0 += m) {
      const nz: number[] = [];
      for (let i = 0; i < m; i++) if (data[r * k + g0 + i] !== 0) nz.push(i);
      // Pad short groups with zero-valued entries at unused indices so every group holds exactly n.
      for (let i = 0; nz.length < n; i++) if (!nz.includes(i)) nz.push(i);
      nz.sort((a, b) => a - b);
      for (const i of nz) {
        values[r * kept + j] = data[r * k + g0 + i];
        const bit = j * bits;
        indices[r * rowBytes + (bit >> 3)] |= i << (bit & 7);
        if ((bit & 7) + bits > 8) indices[r * rowBytes + (bit >> 3) + 1] |= i >> (8 - (bit & 7));
        j++;
      }
    }
  }
  return { values, indices, rowBytes, bits };
}

/** Undo packNm (tests, and the lowering's self-check). */
export function unpackNm(p: NmPacked, rows: number, k: number, n: number, m: number): Float64Array {
  const kept = (k / m) * n;
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < kept; j++) {
      const bit = j * p.bits;
      const word = p.indices[r * p.rowBytes + (bit >> 3)] | ((p.indices[r * p.rowBytes + (bit >> 3) + 1] ?? 0) << 8);
      const i = (word >> (bit & 7)) & ((1 << p.bits) - 1);
      out[r * k + Math.floor(j / n) * m + i] += p.values[r * kept + j];
    }
  return out;
}
