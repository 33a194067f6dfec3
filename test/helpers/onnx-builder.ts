/** Build small ONNX models in tests (single ops or short chains) with onnx-proto's encoder. */
import type { onnx as OnnxNs } from 'onnx-proto';
import { onnx } from '../../src/frontend/onnx/proto.js';

type AttrIn = number | string | number[] | string[] | { floats: number[] } | { float: number } | { tensor: TensorIn };
/** A tensor to embed: float32 unless dtype says otherwise. */
export interface TensorIn {
  dims: number[];
  data: ArrayLike<number>;
  dtype?: 'float32' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';
}
/** One node: op, inputs, outputs, attributes (numbers are ints unless written {float: x}; arrays of non-integers are floats). */
export interface NodeIn {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrIn>;
  name?: string;
  /** Op domain (e.g. com.microsoft); default ONNX. */
  domain?: string;
}
/** A model: graph inputs with shapes (float32 unless dtype given), initializers, nodes, output names. */
export interface ModelIn {
  inputs: { name: string; dims: (number | string)[]; dtype?: TensorIn['dtype'] }[];
  initializers?: Record<string, TensorIn>;
  nodes: NodeIn[];
  outputs: string[];
  opset?: number;
}

const CODES = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 } as const;

function tensorProto(name: string, t: TensorIn): OnnxNs.ITensorProto {
  const dtype = t.dtype ?? 'float32';
  const base = { name, dims: t.dims, dataType: CODES[dtype] };
  if (dtype === 'float32') return { ...base, floatData: Array.from(t.data) };
  if (dtype === 'int64') return { ...base, int64Data: Array.from(t.data) };
  return { ...base, int32Data: Array.from(t.data) };
}

function attrProto(name: string, v: AttrIn): OnnxNs.IAttributeProto {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
  if (typeof v === 'string') return { name, type: 3, s: Buffer.from(v) };
  if (Array.isArray(v)) {
    if (v.length && typeof v[0] === 'string') return { name, type: 8, strings: (v as string[]).map((s) => Buffer.from(s)) };
    const nums = v as number[];
    return nums.every(Number.isInteger) ? { name, type: 7, ints: nums } : { name, type: 6, floats: nums };
  }
  if ('floats' in v) return { name, type: 6, floats: v.floats };
  if ('float' in v) return { name, type: 1, f: v.float };
  return { name, type: 4, t: tensorProto(name, v.tensor) };
}

/** Encode a model description as .onnx bytes. */
export function makeModel(m: ModelIn): Uint8Array {
  const valueInfo = (name: string, dims: (number | string)[], dtype: TensorIn['dtype'] = 'float32') => ({
    name,
    type: { tensorType: { elemType: CODES[dtype], shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: m.opset ?? 17 }, ...(m.nodes.some((n) => n.domain === 'com.microsoft') ? [{ domain: 'com.microsoft', version: 1 }] : [])],
    producerName: 'edgec-test',
    graph: {
      name: 'test',
      input: m.inputs.map((i) => valueInfo(i.name, i.dims, i.dtype)),
      output: m.outputs.map((o) => ({ name: o })),
      initializer: Object.entries(m.initializers ?? {}).map(([k, t]) => tensorProto(k, t)),
      node: m.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        opType: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attrProto(k, v)),
      })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
