/** C lowerings of the 16x8 integer forms (src/ops/int16.ts) onto runtime-c/kernels/q16.h, layered over the integer lowering table. */
import { attrFloat } from '../../../ir/attrs.js';
import { hasInt16, padFill16 } from '../../../ops/int16.js';
import { convGeometry, convTransposeGeometry } from '../../../ops/conv.js';
import { nodeError } from '../../../ops/util.js';
import { padPlanOf } from '../../../ops/layout.js';
import { add16Params, leakyRelu16Params, mul16Params } from '../../../quant/int16.js';
import type { QuantizedMultiplier } from '../../../quant/fixed-point.js';
import { outputClamp, requantMultipliers } from '../../../quant/requant.js';
import type { CLowerCtx, CLowering, CTensor } from '../lowering.js';
import { emitLoops, need, operand } from './elementwise.js';
import { emitRemap, layoutLowerings } from './layout.js';
import { shapeLowerings } from './shape.js';

/** A tensor's type with its quantization, as the parameter helpers read it. */
const q = (t: CTensor) => ({ ...t.info, quant: t.quant });

/** `{z1, z2, zy, m1, s1, m2, s2, mo, so, sign, lo, hi}` of q16.h's edgec_arith16_params. */
function arithParams(z: [number, number, number], m1: QuantizedMultiplier, m2: QuantizedMultiplier, mo: QuantizedMultiplier, sign: number, [lo, hi]: [number, number]): string {
  return `{${[...z, m1.multiplier, m1.shift, m2.multiplier, m2.shift, mo.multiplier, mo.shift, sign, lo, hi].join(', ')}}`;
}

/** Conv / ConvTranspose 16x8 through edgec_conv16x8 / edgec_conv_transpose16x8 with per-channel multiplier tables. */
function conv16(transpose: boolean): CLowering {
  return (ctx) => {
    const [x, w, b] = [need(ctx, 0), need(ctx, 1), ctx.input(2)];
    const y = ctx.output(0);
    if (x.info.shape.length !== 4) nodeError(ctx.node, `the 16x8 ${ctx.node.op} kernel is 2-D; input rank ${x.info.shape.length} is not supported`);
    const g = (transpose ? convTransposeGeometry : convGeometry)(ctx.node, { ...x.info, dtype: 'float32' }, { ...w.info, dtype: 'float32' });
    const mults = requantMultipliers(x.quant!, w.quant!, y.quant!);
    const [lo, hi] = outputClamp(ctx.node, y.quant!, 'int16');
    const mult = ctx.constArray('q16_mult', { dtype: 'int32', shape: [mults.length], data: Int32Array.from(mults, (m) => m.multiplier) });
    const shift = ctx.constArray('q16_shift', { dtype: 'int32', shape: [mults.length], data: Int32Array.from(mults, (m) => m.shift) });
    const bias = b?.value ? ctx.constArray('q16_bias', { dtype: 'int64', shape: [b.value.data.length], data: Float64Array.from(b.value.data) }) : b ? nodeError(ctx.node, 'bias must be constant') : 'NULL';
    const geom = [
      g.batch, g.inC, ...g.inSpatial, g.outC, ...g.outSpatial, ...g.kernel, ...g.strides, ...g.dilations, ...g.padsBegin, g.group,
      b?.info.dtype === 'int32' ? 0 : 1, mults.length > 1 ? 1 : 0, lo, hi,
    ];
    ctx.useKernel('q16.h');
    ctx.line(`static const edgec_conv16_geom geom = {${geom.join(', ')}};`);
    ctx.line(`${transpose ? 'edgec_conv_transpose16x8' : 'edgec_conv16x8'}(&geom, ${x.ptr}, ${w.ptr}, ${bias}, ${mult}, ${shift}, ${y.ptr});`);
  };
}

/** A broadcasting 16-bit binary op: one call of an inline q16.h function per element. */
function binary16(fn: string, params: (ctx: CLowerCtx, a: CTensor, b: CTensor, y: CTensor) => string): CLowering {
  return (ctx) => {
    const [a, b] = [need(ctx, 0), need(ctx, 1)];
    const y = ctx.output(0);
    ctx.useKernel('q16.h');
    ctx.line(`static const edgec_arith16_params p = ${params(ctx, a, b, y)};`);
    emitLoops(ctx, [operand(a), operand(b)], operand(y), ([u, v]) => ({ value: `${fn}(${u}, ${v}, &p)` }));
  };
}

function addSub16(sub: boolean): CLowering {
  return binary16('edgec_add16', (ctx, a, b, y) => {
    const p = add16Params(ctx.node, a.quant, b.quant, y.quant, sub);
    return arithParams([p.z1, p.z2, p.zy], p.m1, p.m2, p.mo, p.sign, outputClamp(ctx.node, y.quant!, 'int16'));
  });
}

const mul16 = binary16('edgec_mul16', (ctx, a, b, y) => {
  const p = mul16Params(ctx.node, a.quant, b.quant, y.quant);
  const none = { multiplier: 0, shift: 0 };
  return arithParams([p.z1, p.z2, p.zy], none, none, p.m, 1, outputClamp(ctx.node, y.quant!, 'int16'));
});

const leakyRelu16: CLowering = (ctx) => {
  const x = need(ctx, 0);
  const y = ctx.output(0);
  const p = leakyRelu16Params(ctx.node, x.quant, y.quant, attrFloat(ctx.node, 'alpha', 0.01));
  ctx.useKernel('q16.h');
  const args = [p.zx, p.zy, p.identity.multiplier, p.identity.shift, p.alpha.multiplier, p.alpha.shift].join(', ');
  emitLoops(ctx, [operand(x)], operand(y), ([v]) => ({ value: `edgec_leaky16(${v}, ${args})` }));
};

/** Constant Pad with the pad value quantized like the input. */
const pad16: CLowering = (ctx) => {
  const x = need(ctx, 0);
  emitRemap(ctx, x, ctx.output(0), x.info.shape, padPlanOf(ctx.node, x.info.shape), padFill16(ctx.node, q(x)));
};

/** 16-bit lowerings by op; data movement reuses the dtype-generic lowerings. */
const Q16_LOWERINGS: Record<string, CLowering> = {
  Conv: conv16(false),
  ConvTranspose: conv16(true),
  Add: addSub16(false),
  Sub: addSub16(true),
  Mul: mul16,
  LeakyRelu: leakyRelu16,
  Pad: pad16,
  ...Object.fromEntries(['Transpose', 'Concat', 'Slice', 'Split', 'Gather'].map((op) => [op, layoutLowerings[op]])),
  ...Object.fromEntries(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity'].map((op) => [op, shapeLowerings[op]])),
};

/** Layer the 16-bit lowerings over an integer lowering table: a node with an int16 quantized tensor takes its 16-bit lowering. */
export function withInt16Lowerings(table: Record<string, CLowering>): Record<string, CLowering> {
  const out = { ...table };
  for (const [op, l16] of Object.entries(Q16_LOWERINGS)) {
    const base = table[op];
    out[op] = (ctx) => {
      const ts = [...ctx.node.inputs.map((_, i) => ctx.input(i)), ...ctx.node.outputs.map((o, i) => (o ? ctx.output(i) : undefined))].map((t) => t && q(t));
      if (hasInt16(ts)) return l16(ctx);
      if (!base) nodeError(ctx.node, `no integer C kernel for ${op} with ${ctx.input(0)?.info.dtype ?? 'these'} tensors`);
      return base(ctx);
    };
  }
  return out;
}
