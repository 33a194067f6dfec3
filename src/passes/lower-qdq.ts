/** Imported QuantizeLinear/DequantizeLinear become Quantize/Dequantize with their parameters on the int tensors. */
import type { Graph, Node, QuantParams, Tensor } from '../ir/types.js';
import { constValue } from '../ir/graph.js';
import { qdqParams, qdqType } from '../ops/qdq.js';
import { EdgecError } from '../util/errors.js';
import type { Pass } from './pass.js';

function sameParams(a: QuantParams, b: QuantParams): boolean {
  return a.scale.length === b.scale.length && a.scale.every((v, i) => v === b.scale[i]) && a.zeroPoint.every((v, i) => v === b.zeroPoint[i]) && (a.scale.length === 1 || a.axis === b.axis);
}

const describe = (q: QuantParams) => (q.scale.length === 1 ? `scale ${q.scale[0]}, zero point ${q.zeroPoint[0]}` : `${q.scale.length} per-channel scales`);

/** Shift uint8 params to the int8 twin (same real values: q8 = q - 128). */
function toInt8(q: QuantParams): QuantParams {
  return { ...q, zeroPoint: Int32Array.from(q.zeroPoint, (z) => z - 128) };
}

export const lowerQdq: Pass = {
  name: 'lower-qdq',
  summary: 'QuantizeLinear/DequantizeLinear → Quantize/Dequantize with tensor parameters; uint8 activations become int8',
  run(g: Graph) {
    if (!g.nodes.some((n) => n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear')) return;
    const setBy = new Map<string, string>();
    const setQuant = (t: Tensor, q: QuantParams, by: Node) => {
      if (t.quant && !sameParams(t.quant, q))
        throw new EdgecError(`${g.source}: tensor '${t.name}' is quantized with ${describe(t.quant)} by node '${setBy.get(t.name)}' but node '${by.name}' (${by.op}) uses ${describe(q)}; re-export the model with matching QuantizeLinear/DequantizeLinear parameters`);
      t.quant = q;
      setBy.set(t.name, by.name);
    };
    const params = (n: Node, rank: number) => {
      const s = constValue(g, n.inputs[1]);
      const z = n.inputs[2] ? constValue(g, n.inputs[2]) : undefined;
      if (!s || (n.inputs[2] && !z)) throw new EdgecError(`${g.source}: node '${n.name}' (${n.op}): scale and zero point must be constants for static compilation`);
      return { q: qdqParams(n, s, z, rank), dtype: qdqType(z) };
    };
    for (const n of g.nodes) {
      if (n.op !== 'QuantizeLinear') continue;
      const y = g.tensors.get(n.outputs[0])!;
      let { q, dtype } = params(n, y.shape.length);
      if (dtype === 'uint8' && !g.outputs.includes(y.name)) { q = toInt8(q); dtype = 'int8'; }
      y.dtype = dtype;
      setQuant(y, q, n);
      Object.assign(n, { op: 'Quantize', inputs: [n.inputs[0]], attrs: { to: { type: 'string', value: dtype } } });
    }
    const converted = new Map<string, string>();
    for (const n of g.nodes) {
      if (n.op !== 'DequantizeLinear') continue;
      let x = g.tensors.get(n.inputs[0])!;
      let { q, dtype } = params(n, x.shape.length);
      if (x.data && x.dtype === 'uint8') {
        // A uint8 constant (weights) becomes int8 data with the zero point shifted.
        let name = converted.get(x.name);
        if (!name) {
          name = `${x.name}_s8`;
          g.tensors.set(name, { name, dtype: 'int8', shape: [...x.shape], data: Int8Array.from(x.data, (v) => v - 128) });
          converted.set(x.name, name);
        }
        x = g.tensors.get(name)!;
        q = toInt8(q);
      } else if (dtype === 'uint8' && x.dtype === 'int8') {
        q = toInt8(q); // produced by a Quantize this pass moved to int8
      }
      setQuant(x, q, n);
      Object.assign(n, { op: 'Dequantize', inputs: [x.name], attrs: {} });
    }
  },
};
