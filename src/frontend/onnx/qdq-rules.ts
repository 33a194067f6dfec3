/** Import of quantized ONNX: QDQ nodes as they are, QOperator nodes expanded into DequantizeLinear → float op → QuantizeLinear. */
import type { Attr, Node, Value } from '../../ir/types.js';
import { EdgecError } from '../../util/errors.js';
import type { ImportCtx, ImportRule } from './import-rules.js';

/** Names of the tensors a QOperator expansion creates (unique per node). */
function namer(n: Node): (stem: string) => string {
  return (stem) => `${n.name}/${stem}`;
}

const dq = (n: Node, out: string, x: string, s: string, z: string, axis?: number): Node => ({
  name: out, op: 'DequantizeLinear', inputs: [x, s, z], outputs: [out], attrs: axis === undefined ? {} : { axis: { type: 'int', value: axis } },
});
const q = (n: Node, x: string, s: string, z: string, y: string): Node => ({ name: `${n.name}/quantize`, op: 'QuantizeLinear', inputs: [x, s, z], outputs: [y], attrs: {} });

/** Bias of QLinearConv: int32 at scale x_scale * w_scale (per output channel). */
function biasScale(n: Node, ctx: ImportCtx, xs: string, ws: string): string {
  const a = ctx.constOf(xs);
  const b = ctx.constOf(ws);
  if (!a || !b) throw new EdgecError(`node '${n.name}' (${n.op}): scales must be constants for static compilation`);
  const data = Float32Array.from(b.data as ArrayLike<number>, (v) => Math.fround(a.data[0] * v));
  return ctx.addConst(`${n.name}_bias_scale`, { dtype: 'float32', shape: b.shape.length ? [data.length] : [], data } satisfies Value);
}

const qlinearConv: ImportRule = (n, ctx) => {
  const [x, xs, xz, w, ws, wz, ys, yz, b] = n.inputs;
  const name = namer(n);
  const nodes = [dq(n, name('x'), x, xs, xz), dq(n, name('w'), w, ws, wz, 0)];
  const convIn = [name('x'), name('w')];
  if (b) {
    const zero = ctx.addConst(`${n.name}_bias_zp`, { dtype: 'int32', shape: [], data: Int32Array.of(0) });
    nodes.push(dq(n, name('b'), b, biasScale(n, ctx, xs, ws), zero, 0));
    convIn.push(name('b'));
  }
  nodes.push({ name: n.name, op: 'Conv', inputs: convIn, outputs: [name('y')], attrs: n.attrs });
  nodes.push(q(n, name('y'), ys, yz, n.outputs[0]));
  return nodes;
};

const qlinearMatMul: ImportRule = (n, ctx) => {
  const [a, as, az, b, bs, bz, ys, yz] = n.inputs;
  const name = namer(n);
  const perColumn = (ctx.constOf(bs)?.data.length ?? 1) > 1;
  return [
    dq(n, name('a'), a, as, az),
    dq(n, name('b'), b, bs, bz, perColumn ? (ctx.rankOf(b) ?? 2) - 1 : undefined),
    { name: n.name, op: 'MatMul', inputs: [name('a'), name('b')], outputs: [name('y')], attrs: {} },
    q(n, name('y'), ys, yz, n.outputs[0]),
  ];
};

/** com.microsoft QLinear binary ops: (A, As, Az, B, Bs, Bz, Cs, Cz). */
const qlinearBinary = (op: string): ImportRule => (n) => {
  const [a, as, az, b, bs, bz, cs, cz] = n.inputs;
  const name = namer(n);
  return [dq(n, name('a'), a, as, az), dq(n, name('b'), b, bs, bz),
    { name: n.name, op, inputs: [name('a'), name('b')], outputs: [name('y')], attrs: {} }, q(n, name('y'), cs, cz, n.outputs[0])];
};

/** com.microsoft QLinear unary ops: (X, Xs, Xz, Ys, Yz) with the float op's attributes. */
const qlinearUnary = (op: string, keep: string[] = []): ImportRule => (n) => {
  const [x, xs, xz, ys, yz] = n.inputs;
  if (n.attrs.channels_last && (n.attrs.channels_last as { value: number }).value) throw new EdgecError(`node '${n.name}' (${n.op}): channels_last=1 is not supported; export NCHW`);
  const name = namer(n);
  const attrs: Record<string, Attr> = Object.fromEntries(Object.entries(n.attrs).filter(([k]) => keep.includes(k)));
  return [dq(n, name('x'), x, xs, xz), { name: n.name, op, inputs: [name('x')], outputs: [name('y')], attrs }, q(n, name('y'), ys, yz, n.outputs[0])];
};

/** com.microsoft QLinearConcat: (Y_scale, Y_zp, then (X, Xs, Xz) per input). */
const qlinearConcat: ImportRule = (n) => {
  const [ys, yz, ...rest] = n.inputs;
  const name = namer(n);
  const nodes: Node[] = [];
  const ins: string[] = [];
  for (let k = 0; k + 2 < rest.length; k += 3) {
    nodes.push(dq(n, name(`x${k / 3}`), rest[k], rest[k + 1], rest[k + 2]));
    ins.push(name(`x${k / 3}`));
  }
  nodes.push({ name: n.name, op: 'Concat', inputs: ins, outputs: [name('y')], attrs: { axis: n.attrs.axis } });
  nodes.push(q(n, name('y'), ys, yz, n.outputs[0]));
  return nodes;
};

const asIs: ImportRule = (n) => [n];

/** Quantized ops of the default ONNX domain. */
export const ONNX_QUANT_RULES: Record<string, ImportRule> = {
  QuantizeLinear: asIs, DequantizeLinear: asIs, QLinearConv: qlinearConv, QLinearMatMul: qlinearMatMul,
};

/** Quantized ops of onnxruntime's com.microsoft domain. */
export const MS_QUANT_RULES: Record<string, ImportRule> = {
  QuantizeLinear: asIs, DequantizeLinear: asIs,
  QLinearAdd: qlinearBinary('Add'), QLinearMul: qlinearBinary('Mul'),
  QLinearGlobalAveragePool: qlinearUnary('GlobalAveragePool'), QLinearSigmoid: qlinearUnary('Sigmoid'),
  QLinearLeakyRelu: qlinearUnary('LeakyRelu', ['alpha']),
  QLinearAveragePool: qlinearUnary('AveragePool', ['kernel_shape', 'strides', 'pads', 'ceil_mode', 'count_include_pad', 'auto_pad']),
  QLinearConcat: qlinearConcat,
};
