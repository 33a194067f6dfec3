/** Build small .tflite models in tests with the flatc-generated builders (one subgraph, builtin or custom ops). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as flatbuffers from 'flatbuffers';
import {
  ActivationFunctionType, AddOptions, Buffer as TflBuffer, BuiltinOperator, BuiltinOptions, Conv2DOptions, CustomOptionsFormat,
  DepthwiseConv2DOptions, LeakyReluOptions, Model, Operator, OperatorCode, Padding, QuantizationDetails, QuantizationParameters,
  StridedSliceOptions, SubGraph, SubOptions, Tensor, TensorType,
} from '../../src/frontend/tflite/generated/index.js';

/** A tensor: shape, element type (float32 unless given), constant data, quantization. */
export interface TTensor {
  name: string;
  shape: number[];
  type?: 'float32' | 'int8' | 'int16' | 'int32' | 'int64';
  data?: ArrayLike<number>;
  quant?: { scale: number[]; zeroPoint?: number[]; axis?: number };
}

/** Builds an operator's options table; returns its union type and offset. */
export type OptionsFn = (b: flatbuffers.Builder) => [BuiltinOptions, flatbuffers.Offset];

/** An operator: a builtin code or a custom code name, operand tensor indices (-1: absent), options. */
export interface TOp {
  op: BuiltinOperator | { custom: string };
  inputs: number[];
  outputs: number[];
  options?: OptionsFn;
}

/** A one-subgraph model. */
export interface TModel {
  tensors: TTensor[];
  ops: TOp[];
  inputs: number[];
  outputs: number[];
}

const TYPES = {
  float32: [TensorType.FLOAT32, 4, (dv: DataView, o: number, v: number) => dv.setFloat32(o, v, true)],
  int8: [TensorType.INT8, 1, (dv: DataView, o: number, v: number) => dv.setInt8(o, v)],
  int16: [TensorType.INT16, 2, (dv: DataView, o: number, v: number) => dv.setInt16(o, v, true)],
  int32: [TensorType.INT32, 4, (dv: DataView, o: number, v: number) => dv.setInt32(o, v, true)],
  int64: [TensorType.INT64, 8, (dv: DataView, o: number, v: number) => dv.setBigInt64(o, BigInt(v), true)],
} as const;

/** Encode a model as .tflite bytes. */
export function makeTflite(m: TModel): Uint8Array {
  const b = new flatbuffers.Builder(1024);
  const buffers: flatbuffers.Offset[] = [TflBuffer.createBuffer(b, 0, 0n, 0n)];
  const tensors = m.tensors.map((t) => {
    const [type, width, set] = TYPES[t.type ?? 'float32'];
    let buffer = 0;
    if (t.data) {
      const bytes = new Uint8Array(t.data.length * width);
      const dv = new DataView(bytes.buffer);
      Array.from(t.data).forEach((v, i) => set(dv, i * width, v));
      buffers.push(TflBuffer.createBuffer(b, TflBuffer.createDataVector(b, bytes), 0n, 0n));
      buffer = buffers.length - 1;
    }
    let quant = 0;
    if (t.quant) {
      const scale = QuantizationParameters.createScaleVector(b, t.quant.scale);
      const zp = QuantizationParameters.createZeroPointVector(b, (t.quant.zeroPoint ?? t.quant.scale.map(() => 0)).map(BigInt));
      quant = QuantizationParameters.createQuantizationParameters(b, 0, 0, scale, zp, QuantizationDetails.NONE, 0, t.quant.axis ?? 0);
    }
    const name = b.createString(t.name);
    const shape = Tensor.createShapeVector(b, t.shape);
    Tensor.startTensor(b);
    Tensor.addShape(b, shape);
    Tensor.addType(b, type);
    Tensor.addBuffer(b, buffer);
    Tensor.addName(b, name);
    if (quant) Tensor.addQuantization(b, quant);
    return Tensor.endTensor(b);
  });
  const codes: string[] = [];
  const codeOffsets: flatbuffers.Offset[] = [];
  const ops = m.ops.map((o) => {
    const key = typeof o.op === 'number' ? `b${o.op}` : `c${o.op.custom}`;
    let index = codes.indexOf(key);
    if (index < 0) {
      const builtin = typeof o.op === 'number' ? o.op : BuiltinOperator.CUSTOM;
      const custom = typeof o.op === 'number' ? 0 : b.createString(o.op.custom);
      codeOffsets.push(OperatorCode.createOperatorCode(b, Math.min(builtin, 127), custom, 1, builtin));
      codes.push(key);
      index = codes.length - 1;
    }
    const [otype, opts] = o.options?.(b) ?? [BuiltinOptions.NONE, 0];
    const ins = Operator.createInputsVector(b, o.inputs);
    const outs = Operator.createOutputsVector(b, o.outputs);
    Operator.startOperator(b);
    Operator.addOpcodeIndex(b, index);
    Operator.addInputs(b, ins);
    Operator.addOutputs(b, outs);
    Operator.addBuiltinOptionsType(b, otype);
    if (opts) Operator.addBuiltinOptions(b, opts);
    Operator.addCustomOptionsFormat(b, CustomOptionsFormat.FLEXBUFFERS);
    return Operator.endOperator(b);
  });
  const sg = SubGraph.createSubGraph(
    b, SubGraph.createTensorsVector(b, tensors), SubGraph.createInputsVector(b, m.inputs), SubGraph.createOutputsVector(b, m.outputs),
    SubGraph.createOperatorsVector(b, ops), b.createString('main'), 0,
  );
  const opcodes = Model.createOperatorCodesVector(b, codeOffsets);
  const subgraphs = Model.createSubgraphsVector(b, [sg]);
  const bufs = Model.createBuffersVector(b, buffers);
  Model.startModel(b);
  Model.addVersion(b, 3);
  Model.addOperatorCodes(b, opcodes);
  Model.addSubgraphs(b, subgraphs);
  Model.addBuffers(b, bufs);
  b.finish(Model.endModel(b), 'TFL3');
  return b.asUint8Array();
}

/** Write a model to a temp folder and return the file's path. */
export function writeTflite(m: TModel, name = 'model.tflite'): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-tflite-')), name);
  fs.writeFileSync(file, makeTflite(m));
  return file;
}

/** CONV_2D options. */
export const conv2d = (padding: Padding, stride: [number, number], act = ActivationFunctionType.NONE): OptionsFn => (b) =>
  [BuiltinOptions.Conv2DOptions, Conv2DOptions.createConv2DOptions(b, padding, stride[1], stride[0], act, 1, 1, TensorType.FLOAT32)];

/** DEPTHWISE_CONV_2D options. */
export const depthwise = (padding: Padding, stride: [number, number], multiplier: number, act = ActivationFunctionType.NONE): OptionsFn => (b) =>
  [BuiltinOptions.DepthwiseConv2DOptions, DepthwiseConv2DOptions.createDepthwiseConv2DOptions(b, padding, stride[1], stride[0], multiplier, act, 1, 1)];

/** ADD / SUB options. */
export const add = (act = ActivationFunctionType.NONE): OptionsFn => (b) => [BuiltinOptions.AddOptions, AddOptions.createAddOptions(b, act, false)];
export const sub = (act = ActivationFunctionType.NONE): OptionsFn => (b) => [BuiltinOptions.SubOptions, SubOptions.createSubOptions(b, act, false)];

/** LEAKY_RELU options. */
export const leakyRelu = (alpha: number): OptionsFn => (b) => [BuiltinOptions.LeakyReluOptions, LeakyReluOptions.createLeakyReluOptions(b, alpha)];

/** STRIDED_SLICE options. */
export const stridedSlice = (masks: { begin?: number; end?: number; shrink?: number; ellipsis?: number }): OptionsFn => (b) =>
  [BuiltinOptions.StridedSliceOptions, StridedSliceOptions.createStridedSliceOptions(b, masks.begin ?? 0, masks.end ?? 0, masks.ellipsis ?? 0, 0, masks.shrink ?? 0, false)];

export { ActivationFunctionType, BuiltinOperator, Padding };
