/** TFLite/gemmlowp fixed-point arithmetic, exact in doubles (the integer reference and the C kernels share it). */

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const P31 = 2147483648;
const P15 = 32768;
const P16 = 65536;

/** A real multiplier as TFLite stores it: int32 `multiplier` in [2^30, 2^31) (or 0) and a power-of-two `shift`. */
export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

/** C's lround: half away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** rintf/nearbyint in the default mode: half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** TFLite QuantizeMultiplier: real = multiplier * 2^(shift - 31). */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (real === 0) return { multiplier: 0, shift: 0 };
  // frexp: real = q * 2^shift with q in [0.5, 1).
  let shift = Math.floor(Math.log2(Math.abs(real))) + 1;
  let q = real / 2 ** shift;
  if (Math.abs(q) >= 1) { q /= 2; shift++; }
  if (Math.abs(q) < 0.5) { q *= 2; shift--; }
  let fixed = roundHalfAway(q * P31);
  if (fixed === P31) { fixed /= 2; shift++; }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 30) return { multiplier: INT32_MAX, shift: 30 };
  return { multiplier: fixed, shift };
}

/** Truncating (toward zero) (a*b + nudge) / 2^31 for int32 a, b, exact without BigInt. */
function highMul(a: number, b: number): number {
  const ab = a * b;
  const nudge = ab >= 0 ? 1 << 30 : 1 - (1 << 30);
  // Split a = ah * 2^16 + al so every partial product stays below 2^53.
  const ah = Math.floor(a / P16);
  const al = a - ah * P16;
  const p1 = ah * b;
  const q1 = Math.floor(p1 / P15);
  const r1 = p1 - q1 * P15;
  const t = r1 * P16 + al * b + nudge;
  const ft = Math.floor(t / P31);
  let q = q1 + ft;
  const rem = t - ft * P31;
  if (q < 0 && rem !== 0) q += 1;
  return q;
}

/** gemmlowp SaturatingRoundingDoublingHighMul. */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  return highMul(a, b);
}

/** gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const p = 2 ** exponent;
  const floor = Math.floor(x / p); // x >> exponent
  const remainder = x - floor * p; // x & mask
  const threshold = p / 2 - 1 + (x < 0 ? 1 : 0); // (mask >> 1) + (x < 0)
  return floor + (remainder > threshold ? 1 : 0);
}

/** Wrap to int32 as C's (int32_t) conversion of an int64 does. */
export function wrapInt32(x: number): number {
  return x | 0;
}

/** TFLite MultiplyByQuantizedMultiplier(x, multiplier, shift) for int32 x. */
export function multiplyByQuantizedMultiplier(x: number, m: QuantizedMultiplier): number {
  const left = m.shift > 0 ? m.shift : 0;
  const right = m.shift > 0 ? 0 : -m.shift;
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(wrapInt32(x * 2 ** left), m.multiplier), right);
}

/**
 * TFLite MultiplyByQuantizedMultiplier(int64 x, multiplier, shift): the multiplier reduced to 16 bits and one rounding
 * shift (the 16x8 kernels' requantization); the int64 result is truncated to int32 as the C cast does.
 */
export function multiplyByQuantizedMultiplier64(x: number, m: QuantizedMultiplier): number {
  const reduced = m.multiplier < 0x7fff0000 ? Math.floor((m.multiplier + 32768) / 65536) : 0x7fff;
  const total = 15 - m.shift;
  const round = 2 ** (total - 1);
  const prod = x * reduced;
  if (Math.abs(prod) + round < 2 ** 53) return Math.floor((prod + round) / 2 ** total) | 0;
  return Number(BigInt.asIntN(32, (BigInt(x) * BigInt(reduced) + BigInt(round)) >> BigInt(total)));
}

/** TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp (shift <= 0). */
export function multiplyByQuantizedMultiplierSmallerThanOne(x: number, m: QuantizedMultiplier): number {
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, m.multiplier), -m.shift);
}

/** Clamp to [lo, hi]. */
export function clampInt(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
