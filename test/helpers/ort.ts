/** onnxruntime-node as the test oracle. */
import * as ort from 'onnxruntime-node';
import type { Value } from '../../src/ir/types.js';

const ORT_TYPES: Record<string, Value['dtype']> = { float32: 'float32', int64: 'int64', int32: 'int32', int8: 'int8', uint8: 'uint8', bool: 'bool', float64: 'float64' };

/** Run a model (bytes or path) in onnxruntime with one intra-op thread; returns outputs by name. */
export async function runOrt(model: Uint8Array | string, feeds: Record<string, Value>): Promise<Record<string, Value>> {
  const session = await ort.InferenceSession.create(model as string, { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 });
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) {
    const data = v.dtype === 'int64' ? BigInt64Array.from(Array.from(v.data as ArrayLike<number>, (x) => BigInt(x))) : v.data;
    ortFeeds[k] = new ort.Tensor(v.dtype === 'bool' ? 'bool' : v.dtype, data as Float32Array, v.shape);
  }
  const res = await session.run(ortFeeds);
  const out: Record<string, Value> = {};
  for (const [k, t] of Object.entries(res)) {
    const dtype = ORT_TYPES[t.type] ?? 'float32';
    const data = t.type === 'int64' ? Float64Array.from(t.data as BigInt64Array, Number) : (t.data as Float32Array);
    out[k] = { dtype, shape: [...t.dims], data };
  }
  await session.release();
  return out;
}
