/**
 * The int4 weight format of MatMulW4, shared by the op's reference, the quantizers and the C lowering.
 *
 * Codes are unsigned 4-bit q in [0, 15]; a weight dequantizes as w = s * (q - z), computed in float32, with s the scale
 * and z the zero point of its group (asymmetric quantization, GPTQ's default). Groups are `group` consecutive input rows
 * (along K) of one output column; the last group of a column may be shorter when K is not a multiple of `group`.
 * Without zero points (symmetric) z is 8, so q - 8 is a signed int4 in [-8, 7].
 *
 * Logical layout (what the IR holds):
 *   qweight uint8  [K/2, N]          byte (p, n): low nibble = code of (2p, n), high nibble = code of (2p+1, n)
 *   scales  uint16 [G, N] (float16 bits) or float32 [G, N], G = ceil(K / group)
 *   zeros   uint8  [G, ceil(N/2)]    byte (g, m): low nibble = zero point of column 2m, high nibble = of column 2m+1
 * Because s has at most 11 significant bits and q - z at most 5, s * (q - z) is exact in float32: every consumer that
 * computes it (TS reference, C kernel via q*s + (-z*s)) gets the same weight bit for bit.
 */

/** How a group's scales are stored. */
export type W4ScaleType = 'float16' | 'float32';

/** Quantized weights of one K x N matrix in the logical layout above. */
export interface W4Weights {
  k: number;
  n: number;
  group: number;
  qweight: Uint8Array;
  /** float16 bits (Uint16Array) or float32 values. */
  scales: Uint16Array | Float32Array;
  /** Packed zero points, or undefined for symmetric quantization (z = 8). */
  zeros?: Uint8Array;
}

/** Zero point of symmetric int4 codes. */
export const W4_SYMMETRIC_ZERO = 8;

/** Number of groups along K. */
export function w4Groups(k: number, group: number): number {
  return Math.ceil(k / group);
}

/** Bytes the logical layout takes (codes, scales and zero points). */
export function w4Bytes(w: Pick<W4Weights, 'qweight' | 'scales' | 'zeros'>): number {
  return w.qweight.byteLength + w.scales.byteLength + (w.zeros?.byteLength ?? 0);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float16 bits of a number, rounded to nearest even (overflow to infinity, underflow through subnormals to zero). */
export function toFloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const man = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = man | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (man >>> 13);
  const rest = man & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** The number float16 bits stand for. */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 31) return man ? NaN : sign * Infinity;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

/** Round a scale to what the storage type keeps. */
export function roundScale(s: number, type: W4ScaleType): number {
  return type === 'float16' ? fromFloat16Bits(toFloat16Bits(s)) : Math.fround(s);
}

/** Pack codes ([K][N], one code per byte), group scales ([G][N], already representable) and zero points ([G][N]). */
export function packW4(k: number, n: number, group: number, codes: Uint8Array, scales: Float64Array | Float32Array,
  zeros: Uint8Array | undefined, scaleType: W4ScaleType): W4Weights {
  const qweight = new Uint8Array((k / 2) * n);
  for (let p = 0; p < k / 2; p++)
    for (let j = 0; j < n; j++) qweight[p * n + j] = (codes[2 * p * n + j] & 15) | ((codes[(2 * p + 1) * n + j] & 15) << 4);
  const s = scaleType === 'float16' ? Uint16Array.from(scales, toFloat16Bits) : Float32Array.from(scales);
  let z: Uint8Array | undefined;
  if (zeros) {
    const g = w4Groups(k, group);
    const h = Math.ceil(n / 2);
    z = new Uint8Array(g * h);
    for (let gi = 0; gi < g; gi++)
      for (let j = 0; j < n; j++) z[gi * h + (j >> 1)] |= (zeros[gi * n + j] & 15) << ((j & 1) * 4);
  }
  return { k, n, group, qweight, scales: s, zeros: z };
}

/** Code of weight (r, j). */
export function w4Code(w: W4Weights, r: number, j: number): number {
  const b = w.qweight[(r >> 1) * w.n + j];
  return r & 1 ? b >> 4 : b & 15;
}

/** Scale of group g, column j, as a number. */
export function w4Scale(w: W4Weights, g: number, j: number): number {
  const s = w.scales[g * w.n + j];
  return w.scales instanceof Uint16Array ? fromFloat16Bits(s) : s;
}

/** Zero point of group g, column j. */
export function w4Zero(w: W4Weights, g: number, j: number): number {
  if (!w.zeros) return W4_SYMMETRIC_ZERO;
  const b = w.zeros[g * Math.ceil(w.n / 2) + (j >> 1)];
  return j & 1 ? b >> 4 : b & 15;
}

/** The float32 weights [K][N] the codes stand for: fround(s * (q - z)), exact. */
export function dequantizeW4(w: W4Weights): Float32Array {
  const out = new Float32Array(w.k * w.n);
  const g = w4Groups(w.k, w.group);
  const s = new Float64Array(g * w.n);
  const z = new Int32Array(g * w.n);
  for (let gi = 0; gi < g; gi++)
    for (let j = 0; j < w.n; j++) {
      s[gi * w.n + j] = w4Scale(w, gi, j);
      z[gi * w.n + j] = w4Zero(w, gi, j);
    }
  for (let r = 0; r < w.k; r++) {
    const gb = Math.floor(r / w.group) * w.n;
    for (let j = 0; j < w.n; j++) out[r * w.n + j] = s[gb + j] * (w4Code(w, r, j) - z[gb + j]);
  }
  return out;
}
