/** Choosing and applying affine quantization parameters (TFLite's int8 scheme). */
import type { DType, QuantParams, TensorData, Value } from '../ir/types.js';
import { roundHalfEven } from './fixed-point.js';

/** Integer range of a quantized dtype. */
export function qRange(dtype: DType): [number, number] {
  switch (dtype) {
    case 'int8': return [-128, 127];
    case 'uint8': return [0, 255];
    case 'int16': return [-32768, 32767];
    case 'int32': return [-2147483648, 2147483647];
    default: throw new Error(`internal: ${dtype} is not a quantized type`);
  }
}

/** Asymmetric per-tensor params covering [min, max] (always including 0), with TFLite's nudged zero point. */
export function chooseQuantParams(min: number, max: number, dtype: DType = 'int8'): QuantParams {
  const [qmin, qmax] = qRange(dtype);
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = Math.fround(hi > lo ? (hi - lo) / (qmax - qmin) : 1);
  const zpReal = qmin - lo / scale;
  const zp = zpReal < qmin ? qmin : zpReal > qmax ? qmax : Math.round(zpReal);
  return { scale: Float32Array.of(scale), zeroPoint: Int32Array.of(zp) };
}

/** Symmetric params (zero point 0): int16 activations and per-channel weights. */
export function symmetricParams(maxAbs: readonly number[], dtype: DType, axis?: number): QuantParams {
  const [, qmax] = qRange(dtype);
  const scale = Float32Array.from(maxAbs, (m) => (m > 0 ? m / qmax : 1));
  return { scale, zeroPoint: new Int32Array(maxAbs.length), axis };
}

/** Per-channel symmetric params for a weight along `axis` (max |w| per channel). */
export function weightParams(w: Value, axis: number, dtype: DType = 'int8'): QuantParams {
  const channels = w.shape[axis];
  const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Array<number>(channels).fill(0);
  for (let i = 0; i < w.data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const a = Math.abs(w.data[i]);
    if (a > maxAbs[c]) maxAbs[c] = a;
  }
  return symmetricParams(maxAbs, dtype, axis);
}

/** Scale and zero point that apply to flat element i of a tensor with `shape`. */
export function paramsAt(q: QuantParams, shape: readonly number[], i: number): [number, number] {
  if (q.scale.length === 1) return [q.scale[0], q.zeroPoint[0]];
  const inner = shape.slice((q.axis ?? 0) + 1).reduce((a, b) => a * b, 1);
  const c = Math.floor(i / inner) % q.scale.length;
  return [q.scale[c], q.zeroPoint[c]];
}

/** Quantize float data: saturate(round(x / scale) + zp), x / scale in float32 as the C kernel does; ties to even unless `round` says otherwise. */
export function quantizeData(x: TensorData, shape: readonly number[], q: QuantParams, dtype: DType, round: (v: number) => number = roundHalfEven): TensorData {
  const [qmin, qmax] = qRange(dtype);
  const out = dtype === 'int8' ? new Int8Array(x.length) : dtype === 'uint8' ? new Uint8Array(x.length) : dtype === 'int16' ? new Int16Array(x.length) : new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const [s, z] = paramsAt(q, shape, i);
    const v = round(Math.fround(x[i] / s)) + z;
    out[i] = v < qmin ? qmin : v > qmax ? qmax : v;
  }
  return out;
}

/** Dequantize: (q - zp) * scale, in float32. */
export function dequantizeData(x: TensorData, shape: readonly number[], q: QuantParams): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const [s, z] = paramsAt(q, shape, i);
    out[i] = Math.fround(Math.fround(x[i] - z) * s); // as C computes it: (float)(q - z) * scale
  }
  return out;
}

/** Signal-to-quantization-noise ratio in dB of `approx` against `ref` (Infinity when equal). */
export function sqnrDb(ref: ArrayLike<number>, approx: ArrayLike<number>): number {
  let sig = 0;
  let noise = 0;
  for (let i = 0; i < ref.length; i++) {
    sig += ref[i] * ref[i];
    const d = ref[i] - approx[i];
    noise += d * d;
  }
  if (noise === 0) return Infinity;
  return 10 * Math.log10(Math.max(sig, 1e-30) / noise);
}
