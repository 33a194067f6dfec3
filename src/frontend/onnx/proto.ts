/** ONNX protobuf decoding (onnx-proto, a protobufjs build of onnx.proto) and TensorProto conversion. */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { onnx as OnnxNs } from 'onnx-proto';
import type { DType, Value } from '../../ir/types.js';
import { allocData, numel } from '../../ir/dtype.js';
import { EdgecError } from '../../util/errors.js';

const require = createRequire(import.meta.url);
/** The decoded onnx namespace (ModelProto, TensorProto, ...). */
export const onnx: typeof OnnxNs = require('onnx-proto').onnx;

type Long = { toNumber(): number } | number;

/** A protobuf int64 (Long or number) as a JS number. */
export function num(x: Long | null | undefined): number {
  if (x === null || x === undefined) return 0;
  return typeof x === 'number' ? x : x.toNumber();
}

/** ONNX TensorProto.DataType codes to IR dtypes; absent codes are unsupported. */
export const ONNX_DTYPES: Partial<Record<number, DType>> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64',
  12: 'uint32', 10: 'float32' /* float16, widened */,
};

const ONNX_DTYPE_NAMES: Record<number, string> = {
  8: 'string', 10: 'float16', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};

/** IR dtype of an ONNX element-type code, or an error naming where it appeared. */
export function dtypeOf(code: number, where: string): DType {
  const d = ONNX_DTYPES[code];
  if (!d) throw new EdgecError(`${where}: element type ${ONNX_DTYPE_NAMES[code] ?? code} is not supported`);
  return d;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Read raw little-endian bytes into IR storage for an ONNX element type. */
function fromRaw(code: number, raw: Uint8Array, n: number, where: string): Value['data'] {
  const dt = dtypeOf(code, where);
  const out = allocData(dt, n);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const width = code === 10 ? 2 : code === 7 ? 8 : raw.byteLength / Math.max(n, 1);
  if (raw.byteLength < n * width) throw new EdgecError(`${where}: tensor data is truncated (${raw.byteLength} bytes for ${n} elements)`);
  for (let i = 0; i < n; i++) {
    switch (code) {
      case 1: out[i] = dv.getFloat32(i * 4, true); break;
      case 11: out[i] = dv.getFloat64(i * 8, true); break;
      case 10: out[i] = halfToFloat(dv.getUint16(i * 2, true)); break;
      case 7: out[i] = Number(dv.getBigInt64(i * 8, true)); break;
      case 6: out[i] = dv.getInt32(i * 4, true); break;
      case 12: out[i] = dv.getUint32(i * 4, true); break;
      case 5: out[i] = dv.getInt16(i * 2, true); break;
      case 4: out[i] = dv.getUint16(i * 2, true); break;
      case 3: out[i] = dv.getInt8(i); break;
      default: out[i] = dv.getUint8(i); break; // uint8, bool
    }
  }
  return out;
}

/** Convert a TensorProto (inline, typed fields or external data) to a Value. */
export function tensorFromProto(t: OnnxNs.ITensorProto, baseDir: string, where: string): Value {
  const code = t.dataType ?? 0;
  const dtype = dtypeOf(code, where);
  const shape = (t.dims ?? []).map(num);
  const n = numel(shape);
  if (t.dataLocation === 1 || (t.externalData && t.externalData.length)) {
    const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const file = path.join(baseDir, kv.get('location') ?? '');
    if (!kv.get('location') || !fs.existsSync(file))
      throw new EdgecError(`${where}: external data file '${kv.get('location')}' not found next to the model`);
    const offset = Number(kv.get('offset') ?? 0);
    const buf = fs.readFileSync(file);
    const length = kv.has('length') ? Number(kv.get('length')) : buf.byteLength - offset;
    return { dtype, shape, data: fromRaw(code, buf.subarray(offset, offset + length), n, where) };
  }
  if (t.rawData && t.rawData.length) return { dtype, shape, data: fromRaw(code, t.rawData, n, where) };
  const out = allocData(dtype, n);
  const src: ArrayLike<Long> | null | undefined =
    code === 1 ? t.floatData : code === 11 ? t.doubleData : code === 7 ? t.int64Data : code === 12 || code === 13 ? t.uint64Data : t.int32Data;
  const len = src?.length ?? 0;
  if (len !== n && !(len === 0 && n === 0)) throw new EdgecError(`${where}: tensor has ${len} values for shape [${shape.join(',')}]`);
  for (let i = 0; i < n; i++) {
    const v = num(src![i]);
    out[i] = code === 10 ? halfToFloat(v) : v;
  }
  return { dtype, shape, data: out };
}
