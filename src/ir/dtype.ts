/** Element-type facts: byte sizes, C type names, typed-array constructors. */
import type { DType, TensorData } from './types.js';

interface DTypeFacts {
  bytes: number;
  cType: string;
  array: new (n: number) => TensorData;
  isFloat: boolean;
}

/** Facts per dtype; int64 is stored as float64 in memory but 8-byte int64_t in C. */
export const DTYPES: Record<DType, DTypeFacts> = {
  float32: { bytes: 4, cType: 'float', array: Float32Array, isFloat: true },
  float64: { bytes: 8, cType: 'double', array: Float64Array, isFloat: true },
  int8: { bytes: 1, cType: 'int8_t', array: Int8Array, isFloat: false },
  uint8: { bytes: 1, cType: 'uint8_t', array: Uint8Array, isFloat: false },
  int16: { bytes: 2, cType: 'int16_t', array: Int16Array, isFloat: false },
  uint16: { bytes: 2, cType: 'uint16_t', array: Uint16Array, isFloat: false },
  int32: { bytes: 4, cType: 'int32_t', array: Int32Array, isFloat: false },
  uint32: { bytes: 4, cType: 'uint32_t', array: Uint32Array, isFloat: false },
  int64: { bytes: 8, cType: 'int64_t', array: Float64Array, isFloat: false },
  bool: { bytes: 1, cType: 'uint8_t', array: Uint8Array, isFloat: false },
};

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Allocate zeroed storage for `n` elements of `dtype`. */
export function allocData(dtype: DType, n: number): TensorData {
  return new DTYPES[dtype].array(n);
}

/** Byte size of a tensor in C memory. */
export function byteSize(dtype: DType, shape: readonly number[]): number {
  return DTYPES[dtype].bytes * numel(shape);
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Convert a number to a value representable in `dtype` (saturating ints the way C casts from float do not; used by Cast). */
export function castScalar(v: number, dtype: DType): number {
  switch (dtype) {
    case 'float32': return Math.fround(v);
    case 'float64': return v;
    case 'bool': return v !== 0 ? 1 : 0;
    case 'int64': return Number.isFinite(v) ? Math.trunc(v) + 0 : 0;
    default: {
      const arr = allocData(dtype, 1);
      arr[0] = Number.isFinite(v) ? Math.trunc(v) : 0;
      return arr[0];
    }
  }
}
