/** The weights blob of a CUDA artifact: every constant the kernels read, 256-byte aligned, uploaded once at create. */
import type { Value } from '../../ir/types.js';

const ALIGN = 256;

/** IEEE fp16 bits of a float, rounded to nearest even (overflow to infinity, subnormals kept). */
export function halfBits(f: number): number {
  const f32 = new Float32Array([f]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** Bytes of a typed value as the device sees them (int64 widened from float64 storage). */
export function valueBytes(v: Value): Uint8Array {
  if (v.dtype === 'int64') return new Uint8Array(BigInt64Array.from(v.data as Float64Array, (x) => BigInt(Math.trunc(x))).buffer);
  return new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength);
}

/** Collects byte arrays at aligned offsets. */
export class WeightsBlob {
  private parts: { offset: number; bytes: Uint8Array }[] = [];
  private size = 0;
  private byKey = new Map<string, number>();

  /** Place `bytes` (deduplicated by `key` when given); returns the offset. */
  add(bytes: Uint8Array, key?: string): number {
    if (key !== undefined && this.byKey.has(key)) return this.byKey.get(key)!;
    const offset = this.size;
    this.parts.push({ offset, bytes });
    this.size = Math.ceil((offset + Math.max(bytes.byteLength, 1)) / ALIGN) * ALIGN;
    if (key !== undefined) this.byKey.set(key, offset);
    return offset;
  }

  /** Total bytes (aligned). */
  get bytes(): number {
    return this.size;
  }

  /** C source defining `<symbol>` as the blob in 32-bit little-endian words. */
  cSource(symbol: string, header: string): string {
    const buf = new Uint8Array(Math.max(this.size, 4));
    for (const p of this.parts) buf.set(p.bytes, p.offset);
    const words = new Uint32Array(buf.buffer, 0, buf.byteLength / 4);
    const lines: string[] = [];
    for (let i = 0; i < words.length; i += 12) lines.push(Array.from(words.subarray(i, i + 12), (w) => `0x${w.toString(16)}u`).join(','));
    return `${header}\n#include <stddef.h>\n#include <stdint.h>\nconst uint32_t ${symbol}[${words.length}] = {\n${lines.join(',\n')}};\nconst size_t ${symbol}_bytes = ${this.size};\n`;
  }
}
