/** .npy reading and writing (npyjs) mapped to IR values. */
import * as fs from 'node:fs';
import { parse, dump, type DType as NpyDType } from 'npyjs';
import type { DType, Value } from '../ir/types.js';
import { EdgecError } from './errors.js';

const FROM_NPY: Partial<Record<NpyDType, DType>> = {
  f4: 'float32', f8: 'float64', i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16', i4: 'int32', u4: 'uint32', i8: 'int64', b1: 'bool', f2: 'float32',
};

/** Read a .npy file as a Value (int64 to float64 storage, float16 widened). */
export function readNpy(file: string): Value {
  let arr;
  try {
    const buf = fs.readFileSync(file);
    arr = parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  } catch (e) {
    throw new EdgecError(`${file}: not a readable .npy file (${(e as Error).message})`);
  }
  const dtype = FROM_NPY[arr.dtype];
  if (!dtype) throw new EdgecError(`${file}: .npy dtype '${arr.dtype}' is not supported`);
  if (arr.fortranOrder) throw new EdgecError(`${file}: Fortran-ordered .npy is not supported; save with np.ascontiguousarray`);
  const src = arr.data as unknown as ArrayLike<number | bigint>;
  let data: Value['data'];
  if (dtype === 'int64') data = Float64Array.from(src as ArrayLike<bigint>, (x) => Number(x));
  else if (dtype === 'bool') data = Uint8Array.from(src as ArrayLike<number>, (x) => (x ? 1 : 0));
  else data = arr.data as Value['data'];
  return { dtype, shape: arr.shape, data };
}

/** Write a Value as a .npy file. */
export function writeNpy(file: string, v: Value): void {
  let arr: Parameters<typeof dump>[0];
  if (v.dtype === 'int64') arr = BigInt64Array.from(v.data as Float64Array, (x) => BigInt(Math.trunc(x)));
  else arr = v.data as Float32Array;
  const opts = v.dtype === 'bool' ? { dtype: 'b1' as NpyDType } : undefined;
  fs.writeFileSync(file, Buffer.from(dump(arr, v.shape, opts)));
}
