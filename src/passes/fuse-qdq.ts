/** Dequantize → float op → Quantize becomes the op's integer form (ONNX QDQ and expanded QOperator models). */
import type { Graph, Node, Value } from '../ir/types.js';
import { consumers, producers, replaceUses } from '../ir/graph.js';
import { getOp } from '../ops/registry.js';
import { evalNode } from '../interp/reference.js';
import { INT_LIMITS, WEIGHT_INPUTS } from '../quant/quantize-int8.js';
import { int8Table } from '../quant/table.js';
import { roundHalfEven } from '../quant/fixed-point.js';
import type { Pass } from './pass.js';

/** Int32 bias at scale s_x * s_w[c] from a float constant or a differently scaled int32 constant. */
function int32Bias(g: Graph, b: string, sx: number, sw: Float32Array): string {
  const t = g.tensors.get(b)!;
  const scale = Float32Array.from({ length: t.data!.length }, (_, c) => Math.fround(sx * sw[sw.length === 1 ? 0 : c]));
  if (t.dtype === 'int32' && t.quant && t.quant.scale.every((s, c) => s === scale[t.quant!.scale.length === 1 ? 0 : c])) return b;
  const real = (c: number) => (t.quant ? t.data![c] * t.quant.scale[t.quant.scale.length === 1 ? 0 : c] : t.data![c]);
  const name = `${b}_i32`;
  const data = Int32Array.from({ length: t.data!.length }, (_, c) => roundHalfEven(real(c) / scale[c]));
  g.tensors.set(name, { name, dtype: 'int32', shape: [...t.shape], data, quant: { scale, zeroPoint: new Int32Array(data.length), axis: 0 } });
  return name;
}

/** Try to rewrite `n` to integer; returns false (graph untouched) when the pattern does not hold. */
function fuse(g: Graph, n: Node, prod: Map<string, Node>, cons: Map<string, Node[]>): boolean {
  const def = getOp(n.op);
  if (!def.quant || n.outputs.length !== 1) return false;
  const o = n.outputs[0];
  const uses = cons.get(o) ?? [];
  if (g.outputs.includes(o) || uses.length === 0 || !uses.every((u) => u.op === 'Quantize')) return false;
  const ys = uses.map((u) => g.tensors.get(u.outputs[0])!);
  const yq = ys[0].quant!;
  if (ys[0].dtype !== 'int8' || !ys.every((y) => y.dtype === 'int8' && y.quant!.scale[0] === yq.scale[0] && y.quant!.zeroPoint[0] === yq.zeroPoint[0])) return false;
  /** The int8 tensor behind a float tensor made by Dequantize. */
  const intOf = (t: string) => {
    const p = prod.get(t);
    if (p?.op !== 'Dequantize') return undefined;
    const x = g.tensors.get(p.inputs[0])!;
    return x.dtype === 'int8' || x.dtype === 'int32' ? p.inputs[0] : undefined;
  };
  const fixed = def.intOutputQuant?.(n);
  if (fixed && (fixed.scale[0] !== yq.scale[0] || fixed.zeroPoint[0] !== yq.zeroPoint[0])) return false;
  const x0 = intOf(n.inputs[0]);
  if (!x0) return false;
  const xq = g.tensors.get(x0)!.quant!;
  let rewritten: Node;
  if (def.quant === 'lut') {
    const extra = n.inputs.slice(1).map((t) => (t ? (g.tensors.get(t) as Value) : undefined));
    if (extra.some((v, k) => n.inputs[k + 1] && !v?.data)) return false;
    const table = `${n.name}_table`;
    g.tensors.set(table, { name: table, dtype: 'int8', shape: [256], data: int8Table(n, xq, yq, extra), quant: yq });
    rewritten = { name: n.name, op: 'LookupTable', inputs: [x0, table], outputs: [ys[0].name], attrs: { from: { type: 'string', value: n.op } } };
  } else if (def.quant === 'same') {
    if (xq.scale[0] !== yq.scale[0] || xq.zeroPoint[0] !== yq.zeroPoint[0]) return false;
    rewritten = { ...n, inputs: [x0, ...n.inputs.slice(1)], outputs: [ys[0].name] };
  } else {
    const weights = WEIGHT_INPUTS[n.op]?.(n, g) ?? {};
    const inputs: string[] = [];
    for (const [k, t] of n.inputs.entries()) {
      const w = weights[k];
      if (!t || w === 'bias') { inputs.push(t); continue; }
      const src = g.tensors.get(t)!;
      if (src.dtype !== 'float32') { inputs.push(t); continue; }
      const it = intOf(t);
      if (!it || g.tensors.get(it)!.dtype !== 'int8') return false;
      inputs.push(it);
    }
    const biasK = Object.entries(weights).find(([, w]) => w === 'bias')?.[0];
    if (biasK !== undefined && n.inputs[Number(biasK)]) {
      const k = Number(biasK);
      const b = intOf(n.inputs[k]) ?? n.inputs[k];
      if (!g.tensors.get(b)!.data) return false;
      inputs[k] = int32Bias(g, b, xq.scale[0], g.tensors.get(inputs[1])!.quant!.scale);
    }
    rewritten = { ...n, inputs, outputs: [ys[0].name] };
    if (INT_LIMITS[n.op]?.(rewritten, g)) return false;
  }
  Object.assign(n, rewritten);
  for (const u of uses) {
    if (u.outputs[0] !== ys[0].name) replaceUses(g, u.outputs[0], ys[0].name);
    u.op = '__removed';
  }
  return true;
}

export const fuseQdq: Pass = {
  name: 'fuse-qdq',
  summary: 'Dequantize → op → Quantize becomes an integer op; leftover Dequantize of constants is folded',
  run(g: Graph) {
    if (!g.nodes.some((n) => n.op === 'Dequantize')) return;
    const prod = producers(g);
    const cons = consumers(g);
    for (const n of g.nodes) if (n.op !== 'Quantize' && n.op !== 'Dequantize' && n.op !== '__removed') fuse(g, n, prod, cons);
    g.nodes = g.nodes.filter((n) => n.op !== '__removed');
    // Float islands keep float weights: fold their Dequantize of constants.
    g.nodes = g.nodes.filter((n) => {
      if (n.op !== 'Dequantize' || !g.tensors.get(n.inputs[0])?.data) return true;
      const [v] = evalNode(g, n, [g.tensors.get(n.inputs[0]) as Value]);
      const t = g.tensors.get(n.outputs[0])!;
      g.tensors.set(t.name, { ...t, data: v.data });
      return false;
    });
  },
};
