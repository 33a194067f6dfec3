/**
 * 16x8 integer forms: what an op computes when its activations are int16 (weights int8, conv bias int64), following
 * TFLite's reference kernels. They are layered over the registered ops: a node with an int16 quantized tensor runs
 * its 16-bit form, any other node the op's own definition.
 */
import type { Attr, DType, Node, TensorInfo, Value } from '../ir/types.js';
import type { QTensorInfo, QValue } from '../ir/quant.js';
import { attrFloat } from '../ir/attrs.js';
import { numel } from '../ir/dtype.js';
import type { OpDef, ShapeArgs } from './registry.js';
import { broadcastShapes, forEachBroadcast, makeValue, nodeError } from './util.js';
import { padPlanOf, remapValue } from './layout.js';
import { clampInt, multiplyByQuantizedMultiplier, wrapInt32 } from '../quant/fixed-point.js';
import { qRange, quantizeData } from '../quant/params.js';
import { outputClamp, requantMultipliers } from '../quant/requant.js';
import {
  add16Elem, add16Params, leakyRelu16Elem, leakyRelu16Params, mul16Elem, mul16Params, multiplyByQuantizedMultiplier64, perTensor16,
} from '../quant/int16.js';

/** The 16-bit form of an op: an optional shape rule (default: the op's own) and the integer reference. */
export interface Int16Form {
  infer?(args: ShapeArgs): TensorInfo[];
  intReference(node: Node, inputs: (QValue | undefined)[], outputs: QTensorInfo[]): Value[];
}

/** True when any of the tensors is an int16 tensor with quantization parameters: the node runs its 16-bit form. */
export function hasInt16(ts: readonly ((QTensorInfo | TensorInfo) | undefined)[]): boolean {
  return ts.some((t) => t?.dtype === 'int16' && !!(t as QTensorInfo).quant);
}

/** The op's shape rule run on float stand-ins of the quantized operands, the result typed int16. */
function asFloatInfer(def: OpDef): Int16Form['infer'] {
  return (args) => {
    const inputs = args.inputs.map((t) => (t && (t as QTensorInfo).quant ? { dtype: 'float32' as DType, shape: t.shape } : t));
    return def.infer({ ...args, inputs }).map((t) => ({ ...t, dtype: 'int16' }));
  };
}

/** A value's integers as float64 (exact), for running a float reference as an integer accumulator. */
function f64(v: Value | undefined): Value | undefined {
  return v && { dtype: 'float64', shape: v.shape, data: Float64Array.from(v.data) };
}

function withoutActivation(node: Node): Node {
  const attrs: Record<string, Attr> = { ...node.attrs };
  delete attrs.act;
  delete attrs.act_alpha;
  delete attrs.act_beta;
  return { ...node, attrs };
}

/**
 * Conv / ConvTranspose 16x8 (reference_integer_ops ConvPerChannel, TransposeConv): exact sums of int16 x int8 plus
 * the bias, requantized per output channel. An int64 (or absent) bias accumulates in int64 and requantizes with the
 * 16-bit reduced multiplier; an int32 bias accumulates in int32 with the gemmlowp requantization.
 */
function conv16(def: OpDef, weightAxis: number): Int16Form {
  return {
    infer: asFloatInfer(def),
    intReference(node, [x, w, b], [y]) {
      const xq = perTensor16(node, x?.quant, 'input X');
      const yq = perTensor16(node, y.quant, 'output Y');
      if (xq.z !== 0 || yq.z !== 0) nodeError(node, 'int16 activations must have zero point 0 (TFLite 16x8 quantization)');
      if (!w?.quant || w.dtype !== 'int8') nodeError(node, 'weights must be int8 with quantization parameters');
      if (w.quant.zeroPoint.some((z) => z !== 0)) nodeError(node, 'int8 weights must have zero point 0');
      if (w.quant.scale.length !== 1 && w.quant.axis !== weightAxis) nodeError(node, `weights must be quantized per tensor or along axis ${weightAxis}`);
      if (b && b.dtype !== 'int64' && b.dtype !== 'int32') nodeError(node, `bias must be int64 or int32, not ${b.dtype}`);
      const mults = requantMultipliers(x!.quant!, w.quant, y.quant!);
      const [lo, hi] = outputClamp(node, y.quant!, 'int16');
      const acc = def.reference(withoutActivation(node), [f64(x), f64(w), f64(b)])[0];
      const channels = y.shape[1];
      const inner = numel(y.shape.slice(2));
      const wide = b?.dtype !== 'int32';
      const out = makeValue('int16', [...y.shape]);
      for (let i = 0; i < out.data.length; i++) {
        const c = Math.floor(i / inner) % channels;
        const m = mults[mults.length === 1 ? 0 : c];
        out.data[i] = clampInt(wide ? multiplyByQuantizedMultiplier64(acc.data[i], m) : multiplyByQuantizedMultiplier(wrapInt32(acc.data[i]), m), lo, hi);
      }
      return [out];
    },
  };
}

/** A broadcasting binary op from its per-element function and clamp. */
function binary16(def: OpDef, kernel: (node: Node, a: QValue, b: QValue, y: QTensorInfo) => (u: number, v: number) => number): Int16Form {
  return {
    infer: asFloatInfer(def),
    intReference(node, [a, b], [y]) {
      if (!a || !b) nodeError(node, 'needs two inputs');
      const f = kernel(node, a, b, y);
      const [lo, hi] = outputClamp(node, y.quant!, 'int16');
      const shape = broadcastShapes(node, [a.shape, b.shape]);
      const out = makeValue('int16', shape);
      forEachBroadcast(shape, [a.shape, b.shape], (o, [i, j]) => (out.data[o] = clampInt(f(a.data[i], b.data[j]), lo, hi)));
      return [out];
    },
  };
}

function addSub16(sub: boolean): (def: OpDef) => Int16Form {
  return (def) => binary16(def, (node, a, b, y) => {
    const p = add16Params(node, a.quant, b.quant, y.quant, sub);
    return (u, v) => add16Elem(p, u, v);
  });
}

const mul16 = (def: OpDef) => binary16(def, (node, a, b, y) => {
  const p = mul16Params(node, a.quant, b.quant, y.quant);
  return (u, v) => mul16Elem(p, u, v);
});

/** LeakyRelu (reference_ops QuantizeLeakyRelu<int16_t>). */
const leakyRelu16 = (def: OpDef): Int16Form => ({
  infer: asFloatInfer(def),
  intReference(node, [x], [y]) {
    const p = leakyRelu16Params(node, x?.quant, y.quant, attrFloat(node, 'alpha', 0.01));
    const [lo, hi] = qRange('int16');
    const out = makeValue('int16', [...x!.shape]);
    x!.data.forEach((v, i) => (out.data[i] = clampInt(leakyRelu16Elem(p, v), lo, hi)));
    return [out];
  },
});

/** Data movement on int16 values: the op's reference on the integers; reshaping and slicing keep the input's parameters. */
function same16(keepParams: boolean): (def: OpDef) => Int16Form {
  return (def) => ({
    intReference(node, inputs, outputs) {
      if (keepParams) {
        const q = perTensor16(node, inputs[0]?.quant, 'input 0');
        outputs.forEach((o, k) => {
          const p = perTensor16(node, o.quant, `output ${k}`);
          if (p.s !== q.s || p.z !== q.z) nodeError(node, `output ${k} has scale ${p.s} / zero point ${p.z} but input 0 has ${q.s} / ${q.z}; ${node.op} keeps its input's quantization`);
        });
      }
      return def.reference(node, inputs);
    },
  });
}

/** Constant Pad writes the pad value quantized with the input's parameters. */
const pad16 = (): Int16Form => ({
  intReference(node, [x], [y]) {
    const q = perTensor16(node, x?.quant, 'input 0');
    const p = perTensor16(node, y.quant, 'output 0');
    if (p.s !== q.s || p.z !== q.z) nodeError(node, 'output must keep the input quantization');
    return [remapValue(x!, padPlanOf(node, x!.shape), padFill16(node, x!))];
  },
});

/** The int16 code constant Pad writes: its `value` quantized with the input's parameters. */
export function padFill16(node: Node, x: QTensorInfo): number {
  return quantizeData(Float32Array.of(attrFloat(node, 'value', 0)), [1], x.quant!, 'int16')[0];
}

/** 16-bit forms by op (Concat copies its int16 inputs as TFLite Micro does, whatever their parameters). */
const INT16_FORMS: Record<string, (def: OpDef) => Int16Form> = {
  Conv: (def) => conv16(def, 0),
  ConvTranspose: (def) => conv16(def, 1),
  Add: addSub16(false),
  Sub: addSub16(true),
  Mul: mul16,
  LeakyRelu: leakyRelu16,
  Pad: pad16,
  Concat: same16(false),
  ...Object.fromEntries(['Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Slice', 'Split', 'Gather'].map((op) => [op, same16(true)])),
};

/** Ops that have a 16-bit form. */
export function int16Ops(): string[] {
  return Object.keys(INT16_FORMS);
}

/** Layer the 16-bit forms over op definitions: shape rule and integer reference dispatch on int16 tensors. */
export function withInt16Forms(defs: readonly OpDef[]): OpDef[] {
  return defs.map((def) => {
    const make = INT16_FORMS[def.op];
    if (!make) return def;
    const form = make(def);
    return {
      ...def,
      infer: (args) => (form.infer && hasInt16(args.inputs) ? form.infer(args) : def.infer(args)),
      intReference: (node, inputs, outputs) => {
        if (hasInt16([...inputs, ...outputs])) return form.intReference(node, inputs, outputs);
        if (!def.intReference) nodeError(node, `${node.op} has no integer reference for ${inputs[0]?.dtype ?? 'these'} tensors`);
        return def.intReference(node, inputs, outputs);
      },
    };
  });
}
