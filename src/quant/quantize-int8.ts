/** The int8 quantizer: rewrites a calibrated float graph into integer nodes, float islands and Quantize/Dequantize edges. */
import type { Graph, Node, QuantParams, Tensor, Value } from '../ir/types.js';
import { attrFloat, attrInt, attrString } from '../ir/attrs.js';
import { getOp } from '../ops/registry.js';
import { EdgecError } from '../util/errors.js';
import { chooseQuantParams, quantizeData, symmetricParams, weightParams } from './params.js';
import { int16ChainTable, int8ChainTable, type TableStep } from './table.js';
import { COMPUTED_TABLE_OPS } from '../ops/elementwise.js';
import { roundHalfEven } from './fixed-point.js';
import type { Range } from './calibrate.js';

/** What the quantizer needs besides the graph. */
export interface QuantizeInt8Options {
  /** Calibrated clipping range of every float activation tensor. */
  ranges: Map<string, Range>;
  /** Node names or op types that stay float. */
  keepFloat?: ReadonlySet<string>;
  /** Weights already quantized (GPTQ), by float weight tensor name; the rest are rounded to nearest. */
  weightCodes?: ReadonlyMap<string, { data: Int8Array; quant: QuantParams }>;
  /** Nodes that run on int16 activations (16x8: int8 weights; a table node's scalar affine tail counts as the table). */
  int16?: ReadonlySet<string>;
  /** Ranges of the int16 activations (symmetric over the larger end); the int8 ranges when absent. */
  ranges16?: Map<string, Range>;
  /** Keep lone HardSwish/HardSigmoid as int8 nodes whose table the backend rebuilds (no stored 256-byte table). */
  computedTables?: boolean;
}

/** How one node was treated, for the report. */
export interface QuantDecision {
  node: string;
  op: string;
  mode: 'int8' | 'int16' | 'table' | 'float';
  reason?: string;
}

/** Where a requantizing op keeps its weights: input index → 'bias' or the weight's output-channel axis. */
export type WeightInputs = (node: Node, g: Graph) => Record<number, number | 'bias'>;

const rank = (g: Graph, t: string) => g.tensors.get(t)?.shape.length ?? 0;
const isConst = (g: Graph, t: string | undefined) => !!t && !!g.tensors.get(t)?.data;

/** Weight and bias inputs of the GEMM-like ops (per-channel weights; int32 bias at s_x * s_w). */
export const WEIGHT_INPUTS: Record<string, WeightInputs> = {
  Conv: () => ({ 1: 0, 2: 'bias' }),
  ConvTranspose: () => ({ 1: 1, 2: 'bias' }),
  Gemm: (n, g) => {
    const w: Record<number, number | 'bias'> = { 2: 'bias' };
    if (isConst(g, n.inputs[1])) w[1] = attrInt(n, 'transB', 0) ? 0 : 1;
    return w;
  },
  MatMul: (n, g) => {
    const w: Record<number, number | 'bias'> = {};
    if (isConst(g, n.inputs[1])) w[1] = rank(g, n.inputs[1]) - 1;
    return w;
  },
};

/** Why a node cannot take its op's integer form (mode-dependent limits), or undefined when it can. */
export const INT_LIMITS: Record<string, (n: Node, g: Graph) => string | undefined> = {
  Resize: (n) => (attrString(n, 'mode', 'nearest') !== 'nearest' ? 'only nearest Resize keeps int8' : undefined),
  Gemm: (n, g) => (attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1 ? 'Gemm alpha/beta are not 1' : n.inputs[2] && (!isConst(g, n.inputs[2]) || rank(g, n.inputs[2]) > 1) ? 'Gemm C is not a constant vector' : undefined),
  Conv: (n, g) => (!isConst(g, n.inputs[1]) ? 'run-time weights' : undefined),
  ConvTranspose: (n, g) => (!isConst(g, n.inputs[1]) ? 'run-time weights' : undefined),
};

/** Ops that may follow a classifier head's product on its way to the graph outputs (they run in float). */
const HEAD_TAIL = new Set(['Add', 'Softmax', 'LogSoftmax', 'Sigmoid', 'Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze']);

/**
 * Classifier heads: MatMuls (or bias Gemms) by constant weights whose outputs reach only graph outputs, through HEAD_TAIL ops (Add of
 * a constant). They keep their exact int32 accumulators, dequantized once, so the scores that decide an argmax are not
 * rounded to 256 levels; returns the head nodes and the tail nodes after them.
 */
export function classifierHeads(g: Graph): { heads: Set<string>; tail: Set<string> } {
  const consumers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const t of n.inputs) if (t) consumers.set(t, [...(consumers.get(t) ?? []), n]);
  const outputs = new Set(g.outputs);
  const heads = new Set<string>();
  const tail = new Set<string>();
  for (const n of g.nodes) {
    const gemm = n.op === 'Gemm' && !INT_LIMITS.Gemm(n, g) && !attrInt(n, 'transA', 0);
    if ((n.op !== 'MatMul' && !gemm) || n.attrs.act || !isConst(g, n.inputs[1]) || rank(g, n.inputs[1]) !== 2) continue;
    const seen = new Set<string>();
    let ok = true;
    const walk = (t: string): void => {
      const users = consumers.get(t) ?? [];
      if (!users.length && !outputs.has(t)) ok = false;
      for (const u of users) {
        const constOperands = u.inputs.filter((x) => x && x !== t).every((x) => isConst(g, x));
        if (!HEAD_TAIL.has(u.op) || (u.op === 'Add' && !constOperands)) ok = false;
        if (!ok || seen.has(u.name)) continue;
        seen.add(u.name);
        u.outputs.forEach((o) => o && walk(o));
      }
    };
    walk(n.outputs[0]);
    if (!ok) continue;
    heads.add(n.name);
    seen.forEach((x) => tail.add(x));
  }
  return { heads, tail };
}

/** Elementwise ops a table absorbs when their other operand is a scalar constant. */
const SCALAR_AFFINE = new Set(['Mul', 'Add', 'Sub', 'Div']);

/**
 * Scalar affine ops (Mul/Add/Sub/Div by a constant scalar) that follow a table op as the sole consumers of its output:
 * one table computes the whole chain, so the intermediate tensors are neither requantized nor stored
 * (PP-LCNet's learnable affine after HardSwish). Returns table node → the nodes after it.
 */
function tableTails(g: Graph): Map<string, Node[]> {
  const consumers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const t of n.inputs) if (t) consumers.set(t, [...(consumers.get(t) ?? []), n]);
  const outputs = new Set(g.outputs);
  const scalarConst = (t: string | undefined) => !!t && isConst(g, t) && g.tensors.get(t)!.data!.length === 1 && g.tensors.get(t)!.dtype === 'float32';
  const tails = new Map<string, Node[]>();
  for (const n of g.nodes) {
    if (getOp(n.op).quant !== 'lut' || n.outputs.length !== 1) continue;
    const chain: Node[] = [];
    let t = n.outputs[0];
    for (;;) {
      const users = consumers.get(t) ?? [];
      if (outputs.has(t) || users.length !== 1) break;
      const u = users[0];
      const other = u.inputs.find((i) => i !== t);
      if (!SCALAR_AFFINE.has(u.op) || u.inputs.filter((i) => i === t).length !== 1 || !scalarConst(other) || u.attrs.act) break;
      if ((u.op === 'Sub' || u.op === 'Div') && u.inputs[0] !== t) break; // c - x and c / x are not affine in x
      chain.push(u);
      t = u.outputs[0];
    }
    if (chain.length) tails.set(n.name, chain);
  }
  return tails;
}

/** Ops with a 16x8 form the quantizer emits: convolutions (int16 in and out, int8 weights); 'lut' ops become int16 tables. */
const INT16_OPS = new Set(['Conv', 'ConvTranspose']);

/** Whether a node can run on int16 activations. */
export function hasInt16Form(n: Node): boolean {
  return INT16_OPS.has(n.op) || (getOp(n.op).quant === 'lut' && n.outputs.length === 1);
}

/**
 * The nodes that must run on int16 activations for the output of `node` (a float graph's) to be int16: its producer (a
 * table for the end of a table's scalar affine tail) and every reader; undefined when one of them has no int16 form.
 */
export function int16Group(g: Graph, node: string): string[] | undefined {
  const n = g.nodes.find((m) => m.name === node);
  if (!n || n.outputs.length !== 1) return undefined;
  const head = [...tableTails(g)].find(([, tail]) => tail.some((u) => u.name === node))?.[0];
  const producer = head ? g.nodes.find((m) => m.name === head)! : n;
  const readers = g.nodes.filter((m) => m.inputs.includes(n.outputs[0]));
  const group = [producer, ...readers];
  return group.every(hasInt16Form) ? group.map((m) => m.name) : undefined;
}

/** Quant params attribute of a Quantize/Requantize to `dtype`. */
const toAttr = (dtype: 'int8' | 'int16') => ({ to: { type: 'string' as const, value: dtype } });

/**
 * Quantize a float graph in place (after calibration); returns the per-node decisions and each float tensor's integer
 * twin (the one its producer writes: int16 for 16x8 nodes, else int8).
 */
export function quantizeInt8(g: Graph, opts: QuantizeInt8Options): { decisions: QuantDecision[]; intOf: Map<string, string> } {
  const decisions: QuantDecision[] = [];
  const intOf = new Map<string, string>(); // float tensor → its int8 twin
  const int16Of = new Map<string, string>(); // float tensor → its int16 twin
  const twinOf = new Map<string, string>(); // float tensor → the twin its integer producer writes
  const produced = new Set<string>(g.inputs); // float tensors that exist at this point
  const replaced = new Set<string>(); // float tensors whose producer became integer
  const out: Node[] = [];
  let seq = 0;
  const addTensor = (t: Tensor) => g.tensors.set(t.name, t);
  const fresh = (stem: string) => {
    let n = stem;
    while (g.tensors.has(n)) n = `${stem}_${++seq}`;
    return n;
  };
  const paramsOf = (t: string): QuantParams => {
    const r = opts.ranges.get(t);
    if (!r) throw new EdgecError(`${g.source}: tensor '${t}' has no calibration range; the calibration run did not reach it`);
    return chooseQuantParams(r.min, r.max);
  };
  const params16Of = (t: string): QuantParams => {
    const r = opts.ranges16?.get(t) ?? opts.ranges.get(t);
    if (!r) throw new EdgecError(`${g.source}: tensor '${t}' has no calibration range; the calibration run did not reach it`);
    return symmetricParams([Math.max(-r.min, r.max)], 'int16');
  };
  /** Record the integer twin a node writes for float tensor `t`. */
  const wrote = (t: string, q: string, dtype: 'int8' | 'int16') => {
    (dtype === 'int16' ? int16Of : intOf).set(t, q);
    twinOf.set(t, q);
    replaced.add(t);
  };
  /** A new activation twin of `t`, converted from `src` (a float tensor: Quantize; an integer twin: Requantize). */
  const convert = (t: string, src: string, dtype: 'int8' | 'int16', quant: QuantParams) => {
    const name = fresh(`${t}_q${dtype === 'int16' ? 16 : 8}`);
    addTensor({ name, dtype, shape: [...g.tensors.get(t)!.shape], quant });
    const op = src === t ? 'Quantize' : 'Requantize';
    out.push({ name: `${name}_${op.toLowerCase()}`, op, inputs: [src], outputs: [name], attrs: toAttr(dtype) });
    (dtype === 'int16' ? int16Of : intOf).set(t, name);
    return name;
  };
  /** The int16 twin of a float activation: from the float tensor where it exists, else requantized from the int8 twin. */
  const toInt16 = (t: string): string => int16Of.get(t) ?? convert(t, replaced.has(t) ? intOf.get(t)! : t, 'int16', params16Of(t));

  /** The int8 twin of a float tensor: a quantized constant, or a Quantize node on the calibrated range. */
  const toInt = (t: string, quant?: QuantParams): string => {
    const have = intOf.get(t);
    if (have) return have;
    const src = g.tensors.get(t)!;
    const name = fresh(`${t}_q8`);
    const pre = opts.weightCodes?.get(t);
    if (!src.data && replaced.has(t) && int16Of.has(t)) return convert(t, int16Of.get(t)!, 'int8', quant ?? paramsOf(t));
    if (src.data && pre) {
      addTensor({ name, dtype: 'int8', shape: [...src.shape], data: pre.data, quant: pre.quant });
    } else if (src.data) {
      const q = quant ?? constParams(src);
      addTensor({ name, dtype: 'int8', shape: [...src.shape], data: quantizeData(src.data, src.shape, q, 'int8'), quant: q });
    } else {
      const q = quant ?? paramsOf(t);
      addTensor({ name, dtype: 'int8', shape: [...src.shape], quant: q });
      out.push({ name: `${name}_quantize`, op: 'Quantize', inputs: [t], outputs: [name], attrs: {} });
    }
    intOf.set(t, name);
    return name;
  };
  /** Make sure a float tensor exists (a Dequantize of its int twin when its producer went integer). */
  const toFloat = (t: string) => {
    if (!t || produced.has(t) || isConst(g, t) || !replaced.has(t)) return;
    out.push({ name: `${t}_dequantize`, op: 'Dequantize', inputs: [twinOf.get(t)!], outputs: [t], attrs: {} });
    produced.add(t);
  };

  const head = classifierHeads(g);
  const tails = tableTails(g);
  const inTable = new Set<string>(); // tail nodes a table computes
  const wide = (n: Node) => !!opts.int16?.has(n.name) || !!tails.get(n.name)?.some((u) => opts.int16?.has(u.name));
  for (const n of g.nodes) {
    if (inTable.has(n.name)) {
      decisions.push({ node: n.name, op: n.op, mode: 'table' });
      continue;
    }
    const def = getOp(n.op);
    const kept = opts.keepFloat?.has(n.name) || opts.keepFloat?.has(n.op);
    const limit = head.tail.has(n.name) ? 'float tail of a classifier head' : INT_LIMITS[n.op]?.(n, g);
    const x0 = n.inputs[0];
    const inputIsInt = !!x0 && (intOf.has(x0) || int16Of.has(x0)) && !isConst(g, x0);
    const floatOut = n.outputs.every((o) => !o || g.tensors.get(o)!.dtype === 'float32');
    let mode: QuantDecision['mode'] = 'float';
    let reason: string | undefined = kept ? 'kept float by request' : limit;
    const w16 = !kept && !limit && floatOut && wide(n);
    if (w16 && !hasInt16Form(n)) throw new EdgecError(`${g.source}: node '${n.name}' (${n.op}) has no int16-activation form; give --int16 only Conv, ConvTranspose or activation nodes`);
    if (w16) mode = 'int16';
    else if (!kept && !limit && floatOut) {
      if (def.quant === 'requant') mode = 'int8';
      else if (def.quant === 'same' && inputIsInt) mode = 'int8';
      else if (def.quant === 'lut' && inputIsInt && n.outputs.length === 1) mode = 'table';
      else if (!def.quant) reason = 'no int8 kernel';
      else reason = 'input is float';
    }
    decisions.push({ node: n.name, op: n.op, mode, reason: mode === 'float' ? reason : undefined });

    if (mode === 'float') {
      n.inputs.forEach(toFloat);
      out.push(n);
      n.outputs.forEach((o) => o && produced.add(o));
      continue;
    }
    if (mode === 'table' || (mode === 'int16' && def.quant === 'lut')) {
      const xq = mode === 'int16' ? toInt16(x0) : toInt(x0);
      const xqp = g.tensors.get(xq)!.quant!;
      const tail = tails.get(n.name) ?? [];
      const y = (tail.length ? tail[tail.length - 1] : n).outputs[0];
      const yq = mode === 'int16' ? params16Of(y) : paramsOf(y);
      const constOf = (t: string | undefined) => (t ? (g.tensors.get(t) as Value) : undefined);
      const steps: TableStep[] = [{ node: n, inputs: ['x', ...n.inputs.slice(1).map(constOf)] }];
      let cur = n.outputs[0];
      for (const u of tail) {
        steps.push({ node: u, inputs: u.inputs.map((t) => (t === cur ? 'x' : constOf(t))) });
        cur = u.outputs[0];
        inTable.add(u.name);
      }
      const dtype = mode === 'int16' ? 'int16' : 'int8';
      const yName = fresh(`${y}_q${mode === 'int16' ? 16 : 8}`);
      addTensor({ name: yName, dtype, shape: [...g.tensors.get(y)!.shape], quant: yq });
      if (mode === 'table' && opts.computedTables && !tail.length && COMPUTED_TABLE_OPS.has(n.op)) {
        out.push({ ...n, inputs: [xq], outputs: [yName] });
      } else {
        const data = mode === 'int16' ? int16ChainTable(steps, xqp, yq) : int8ChainTable(steps, xqp, yq);
        const table = fresh(`${n.name}_table`);
        addTensor({ name: table, dtype, shape: [data.length], data, quant: yq });
        out.push({ name: n.name, op: 'LookupTable', inputs: [xq, table], outputs: [yName], attrs: { from: { type: 'string', value: [n.op, ...tail.map((u) => u.op)].join('+') } } });
      }
      wrote(y, yName, dtype);
      continue;
    }
    // Integer node.
    const weights = WEIGHT_INPUTS[n.op]?.(n, g) ?? {};
    const inputs = n.inputs.map((t, k) => {
      if (!t) return t;
      const w = weights[k];
      if (w === 'bias') return t; // after the data inputs are known
      if (typeof w === 'number') return toInt(t, weightParams(g.tensors.get(t) as Value, w));
      if (def.quant === 'same' && k > 0) return t; // shape/index operands
      if (g.tensors.get(t)!.dtype !== 'float32') return t;
      return mode === 'int16' && !isConst(g, t) ? toInt16(t) : toInt(t);
    });
    const biasAt = Object.entries(weights).find(([, w]) => w === 'bias');
    if (biasAt && inputs[Number(biasAt[0])]) {
      const k = Number(biasAt[0]);
      const b = g.tensors.get(n.inputs[k])!;
      const sx = g.tensors.get(inputs[0])!.quant!.scale[0];
      const wq = g.tensors.get(inputs[1])!.quant!;
      const name = fresh(`${n.inputs[k]}_i${mode === 'int16' ? 64 : 32}`);
      const data = mode === 'int16' ? new Float64Array(b.data!.length) : new Int32Array(b.data!.length);
      const scale = new Float32Array(data.length);
      for (let c = 0; c < data.length; c++) {
        scale[c] = Math.fround(sx * wq.scale[wq.scale.length === 1 ? 0 : c]);
        data[c] = roundHalfEven(b.data![c] / scale[c]);
      }
      addTensor({ name, dtype: mode === 'int16' ? 'int64' : 'int32', shape: [...b.shape], data, quant: { scale, zeroPoint: new Int32Array(data.length), axis: 0 } });
      inputs[k] = name;
    }
    const outputs = n.outputs.map((o) => {
      if (!o) return o;
      if (head.heads.has(n.name)) return accumulatorTwin(o, inputs[0]!, inputs[1]!);
      if (mode === 'int16') {
        const name16 = fresh(`${o}_q16`);
        addTensor({ name: name16, dtype: 'int16', shape: [...g.tensors.get(o)!.shape], quant: params16Of(o) });
        wrote(o, name16, 'int16');
        return name16;
      }
      const q = def.quant === 'same' ? g.tensors.get(inputs[0])!.quant! : def.intOutputQuant?.(n) ?? paramsOf(o);
      const name = fresh(`${o}_q8`);
      addTensor({ name, dtype: 'int8', shape: [...g.tensors.get(o)!.shape], quant: q });
      wrote(o, name, 'int8');
      return name;
    });
    out.push({ ...n, inputs, outputs });
  }
  /** The int32 accumulator output of a classifier head: scale s_a * s_b per column, zero point 0. */
  function accumulatorTwin(o: string, a: string, b: string): string {
    const sa = g.tensors.get(a)!.quant!.scale[0];
    const sb = g.tensors.get(b)!.quant!.scale;
    const shape = [...g.tensors.get(o)!.shape];
    const scale = Float32Array.from(sb, (s) => Math.fround(sa * s));
    const name = fresh(`${o}_acc32`);
    addTensor({ name, dtype: 'int32', shape, quant: { scale, zeroPoint: new Int32Array(scale.length), axis: shape.length - 1 } });
    wrote(o, name, 'int8');
    return name;
  }
  g.outputs.forEach(toFloat);
  g.nodes = out;
  return { decisions, intOf: twinOf };
}

/** Per-tensor params of a constant operand (Add's bias vector, Mul's scale...). */
function constParams(t: Tensor): QuantParams {
  let lo = 0;
  let hi = 0;
  for (const v of t.data!) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return chooseQuantParams(lo, hi);
}
