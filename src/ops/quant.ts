/** The quantization vocabulary: Quantize, Dequantize, Requantize and LookupTable (parameters live on the int tensors). */
import type { DType, Node, Value } from '../ir/types.js';
import type { QTensorInfo, QValue } from '../ir/quant.js';
import { allocData } from '../ir/dtype.js';
import { attrString } from '../ir/attrs.js';
import type { OpDef } from './registry.js';
import { nodeError, requireInput } from './util.js';
import { dequantizeData, qRange, quantizeData } from '../quant/params.js';
import { clampInt, roundHalfAway, roundHalfEven } from '../quant/fixed-point.js';
import { requantElem, requantParams } from '../quant/kernels.js';

const QUANT_TYPES: readonly DType[] = ['int8', 'uint8', 'int16'];

/** Rounding of Quantize's x / scale: ONNX QuantizeLinear ties to even, TFLite's QUANTIZE rounds half away from zero. */
export const QUANTIZE_ROUNDING: Record<string, (v: number) => number> = { half_to_even: roundHalfEven, half_away_from_zero: roundHalfAway };

/** The rounding function a Quantize node names. */
export function quantizeRounding(node: Node): (v: number) => number {
  const r = attrString(node, 'rounding', 'half_to_even');
  const f = QUANTIZE_ROUNDING[r];
  if (!f) nodeError(node, `rounding '${r}' is unknown; use ${Object.keys(QUANTIZE_ROUNDING).join(' or ')}`);
  return f;
}

const quantize: OpDef = {
  op: 'Quantize',
  summary: 'float to int8/uint8/int16 with the output tensor\'s scale and zero point (round half to even, saturate)',
  infer({ node, inputs }) {
    const x = requireInput(node, inputs, 0);
    const to = attrString(node, 'to', 'int8') as DType;
    if (!QUANT_TYPES.includes(to)) nodeError(node, `cannot quantize to ${to}; use int8, uint8 or int16`);
    if (x.dtype !== 'float32') nodeError(node, `input must be float32, not ${x.dtype}`);
    quantizeRounding(node);
    return [{ dtype: to, shape: [...x.shape] }];
  },
  reference(node) {
    nodeError(node, 'output tensor has no quantization parameters');
  },
  intReference(node, [x], [y]) {
    if (!y.quant) nodeError(node, 'output tensor has no quantization parameters');
    const v = x as Value;
    return [{ dtype: y.dtype, shape: [...v.shape], data: quantizeData(v.data, v.shape, y.quant, y.dtype, quantizeRounding(node)) }];
  },
};

const dequantize: OpDef = {
  op: 'Dequantize',
  summary: 'int8/uint8/int16/int32 to float: (q - zero_point) * scale, per tensor or per channel',
  infer({ node, inputs }) {
    const x = requireInput(node, inputs, 0);
    return [{ dtype: 'float32', shape: [...x.shape] }];
  },
  reference(node) {
    nodeError(node, 'input tensor has no quantization parameters');
  },
  intReference(node, [x]) {
    if (!x?.quant) nodeError(node, 'input tensor has no quantization parameters');
    return [{ dtype: 'float32', shape: [...x.shape], data: dequantizeData(x.data, x.shape, x.quant) }];
  },
};

/** TFLite Requantize between integer types: zy + MultiplyByQuantizedMultiplier(x - zx, sx / sy), saturated. */
function requantizeData(node: Node, x: QValue, y: QTensorInfo): Value {
  const p = requantParams(node, x.quant, y.quant);
  const [lo, hi] = qRange(y.dtype);
  const out = allocData(y.dtype, x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clampInt(requantElem(p, x.data[i]), lo, hi);
  return { dtype: y.dtype, shape: [...x.shape], data: out };
}

const REQUANT_TYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'int32'];

const requantize: OpDef = {
  op: 'Requantize',
  summary: 'integer to integer with new scale and zero point (TFLite QUANTIZE between int8/uint8/int16/int32)',
  infer({ node, inputs }) {
    const x = requireInput(node, inputs, 0);
    const to = attrString(node, 'to', 'int8') as DType;
    if (!REQUANT_TYPES.includes(to)) nodeError(node, `cannot requantize to ${to}; use ${REQUANT_TYPES.join(', ')}`);
    if (!REQUANT_TYPES.includes(x.dtype)) nodeError(node, `input must be ${REQUANT_TYPES.join('/')}, not ${x.dtype}`);
    return [{ dtype: to, shape: [...x.shape] }];
  },
  reference(node) {
    nodeError(node, 'input and output need quantization parameters');
  },
  intReference: (node, [x], [y]) => [requantizeData(node, x as QValue, y)],
};

/** Entries of an int16 table: 512 segments of 128 codes each and the end point (TFLite's lut.h). */
export const LUT16_ENTRIES = 513;

const lookupTable: OpDef = {
  op: 'LookupTable',
  summary: 'int8/uint8 through a 256-entry table, or int16 through a 513-entry table with linear interpolation (quantized Sigmoid, HardSwish, ...)',
  infer({ node, inputs }) {
    const x = requireInput(node, inputs, 0);
    const t = requireInput(node, inputs, 1);
    if (x.dtype === 'int16') {
      if (t.dtype !== 'int16' || t.shape.length !== 1 || t.shape[0] !== LUT16_ENTRIES) nodeError(node, `an int16 input needs an int16 table of ${LUT16_ENTRIES} entries, got ${t.dtype} [${t.shape.join('x')}]`);
      return [{ dtype: 'int16', shape: [...x.shape] }];
    }
    if (x.dtype !== 'int8' && x.dtype !== 'uint8') nodeError(node, `input must be int8, uint8 or int16, not ${x.dtype}`);
    if (t.shape.length !== 1 || t.shape[0] !== 256) nodeError(node, `table must have 256 entries, got [${t.shape.join('x')}]`);
    return [{ dtype: t.dtype, shape: [...x.shape] }];
  },
  reference(node, [x, t]) {
    return lookup(x as Value, t as Value);
  },
  intReference(node, [x, t]) {
    return lookup(x as Value, t as Value);
  },
};

/** TFLite's lut_lookup: the segment's base entry plus the slope to the next entry times the low 7 bits, rounded. */
export function lut16Lookup(v: number, lut: ArrayLike<number>): number {
  const i = 256 + (v >> 7);
  const base = lut[i];
  return base + (((lut[i + 1] - base) * (v & 0x7f) + 64) >> 7);
}

function lookup(x: Value, t: Value): Value[] {
  if (x.dtype === 'int16') return [{ dtype: 'int16', shape: [...x.shape], data: Int16Array.from(x.data, (v) => lut16Lookup(v, t.data)) }];
  const off = x.dtype === 'int8' ? 128 : 0;
  const out = t.dtype === 'int8' ? new Int8Array(x.data.length) : new Uint8Array(x.data.length);
  for (let i = 0; i < x.data.length; i++) out[i] = t.data[x.data[i] + off];
  return [{ dtype: t.dtype, shape: [...x.shape], data: out }];
}

/** Registry entries of the quantization ops. */
export const quantOps: OpDef[] = [quantize, dequantize, requantize, lookupTable];
