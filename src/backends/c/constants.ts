/** Emission of constant tensors (weights) as C99 const arrays, exact to the bit. */
import type { Value } from '../../ir/types.js';
import { DTYPES } from '../../ir/dtype.js';

/** C source of one const array; floats are written as their IEEE bit patterns through a union so they round-trip exactly. */
export function constArraySource(symbol: string, v: Value): string {
  const n = Math.max(v.data.length, 1);
  const parts: string[] = new Array(v.data.length);
  if (v.dtype === 'float32') {
    const bits = new Uint32Array(Float32Array.from(v.data as Float32Array).buffer);
    for (let i = 0; i < bits.length; i++) parts[i] = `0x${bits[i].toString(16)}u`;
    return `EDGEC_ALIGNED(64) const union { uint32_t u[${n}]; float f[${n}]; } ${symbol}_u = {{${wrap(parts)}}};\n`;
  }
  if (v.dtype === 'int64') {
    for (let i = 0; i < v.data.length; i++) parts[i] = int64Literal(v.data[i]);
  } else if (v.dtype === 'float64') {
    for (let i = 0; i < v.data.length; i++) parts[i] = Number.isFinite(v.data[i]) ? v.data[i].toPrecision(17) : v.data[i] > 0 ? 'HUGE_VAL' : v.data[i] < 0 ? '-HUGE_VAL' : '(0.0/0.0)';
  } else {
    for (let i = 0; i < v.data.length; i++) parts[i] = String(v.data[i]);
  }
  return `EDGEC_ALIGNED(64) const ${DTYPES[v.dtype].cType} ${symbol}[${n}] = {${wrap(parts.length ? parts : ['0'])}};\n`;
}

/** The C expression naming a constant's data with its element type. */
export function constArrayRef(symbol: string, v: Value): string {
  return v.dtype === 'float32' ? `${symbol}_u.f` : symbol;
}

/** The extern declaration matching constArraySource. */
export function constArrayDecl(symbol: string, v: Value): string {
  const n = Math.max(v.data.length, 1);
  if (v.dtype === 'float32') return `extern const union { uint32_t u[${n}]; float f[${n}]; } ${symbol}_u;\n`;
  return `extern const ${DTYPES[v.dtype].cType} ${symbol}[${n}];\n`;
}

/** A C int64 literal, saturating at the int64 range. */
export function int64Literal(x: number): string {
  if (x >= 9223372036854775807) return 'INT64_MAX';
  if (x <= -9223372036854775808) return 'INT64_MIN';
  return `INT64_C(${Math.trunc(x)})`;
}

function wrap(parts: string[]): string {
  const lines: string[] = [];
  for (let i = 0; i < parts.length; i += 12) lines.push(parts.slice(i, i + 12).join(','));
  return lines.join(',\n');
}
