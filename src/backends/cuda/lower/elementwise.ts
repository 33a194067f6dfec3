/** CUDA lowerings of elementwise ops: a device expression per op (tables below) in a functor the unary or the
 * broadcasting binary kernel applies; inference BatchNormalization as a per-channel affine. */
import type { Node } from '../../../ir/types.js';
import { numel, stridesOf } from '../../../ir/dtype.js';
import { attrFloat, attrString } from '../../../ir/attrs.js';
import { broadcastStrides, nodeError } from '../../../ops/util.js';
import { UNARY_OPS, type UnaryOp } from '../../../ops/elementwise.js';
import { cFloat } from '../../c/lowering.js';
import { coalesce } from '../../c/lower/elementwise.js';
import { actOf, gridFor, ELEMENT_THREADS, type CudaLowerCtx, type CudaLowering, type CudaTensor } from '../lowering.js';

/** Device float expression of each unary op on `x` (attributes read from the node). */
const UNARY_CUDA: Record<UnaryOp, (x: string, n: Node) => string> = {
  Relu: (x) => `(${x} > 0.0f ? ${x} : 0.0f)`,
  Sigmoid: (x) => `1.0f / (1.0f + expf(-${x}))`,
  Tanh: (x) => `tanhf(${x})`,
  Exp: (x) => `expf(${x})`,
  Log: (x) => `logf(${x})`,
  Sqrt: (x) => `sqrtf(${x})`,
  Abs: (x) => `fabsf(${x})`,
  Neg: (x) => `-${x}`,
  Reciprocal: (x) => `1.0f / ${x}`,
  Floor: (x) => `floorf(${x})`,
  Ceil: (x) => `ceilf(${x})`,
  Round: (x) => `rintf(${x})`,
  Sign: (x) => `(float)((${x} > 0.0f) - (${x} < 0.0f))`,
  Sin: (x) => `sinf(${x})`,
  Cos: (x) => `cosf(${x})`,
  Erf: (x) => `erff(${x})`,
  Gelu: (x, n) =>
    attrString(n, 'approximate', 'none') === 'tanh'
      ? `0.5f * ${x} * (1.0f + tanhf(0.7978845608f * (${x} + 0.044715f * ${x} * ${x} * ${x})))`
      : `0.5f * ${x} * (1.0f + erff(${x} * 0.7071067812f))`,
  Softplus: (x) => `(${x} > 20.0f ? ${x} : log1pf(expf(${x})))`,
  Softsign: (x) => `${x} / (1.0f + fabsf(${x}))`,
  LeakyRelu: (x, n) => `(${x} >= 0.0f ? ${x} : ${cFloat(attrFloat(n, 'alpha', 0.01))} * ${x})`,
  Elu: (x, n) => `(${x} >= 0.0f ? ${x} : ${cFloat(attrFloat(n, 'alpha', 1))} * expm1f(${x}))`,
  Selu: (x, n) => {
    const a = attrFloat(n, 'alpha', 1.6732632423543772);
    const g = attrFloat(n, 'gamma', 1.0507009873554805);
    return `(${x} > 0.0f ? ${cFloat(g)} * ${x} : ${cFloat(g * a)} * expm1f(${x}))`;
  },
  HardSigmoid: (x, n) => `fminf(1.0f, fmaxf(0.0f, ${cFloat(attrFloat(n, 'alpha', 0.2))} * ${x} + ${cFloat(attrFloat(n, 'beta', 0.5))}))`,
  HardSwish: (x) => `${x} * fminf(1.0f, fmaxf(0.0f, ${x} * (1.0f / 6.0f) + 0.5f))`,
  Shrink: (x, n) => {
    const b = cFloat(attrFloat(n, 'bias', 0));
    const l = attrFloat(n, 'lambd', 0.5);
    return `(${x} < ${cFloat(-l)} ? ${x} + ${b} : ${x} > ${cFloat(l)} ? ${x} - ${b} : 0.0f)`;
  },
  Clip: (x, n) => {
    const lo = attrFloat(n, 'min', -Infinity);
    const hi = attrFloat(n, 'max', Infinity);
    return `(${x} < ${cFloat(lo)} ? ${cFloat(lo)} : ${x} > ${cFloat(hi)} ? ${cFloat(hi)} : ${x})`;
  },
};

/** Device float expression of each binary op. */
const BINARY_CUDA: Record<string, (a: string, b: string) => string> = {
  Add: (a, b) => `${a} + ${b}`,
  Sub: (a, b) => `${a} - ${b}`,
  Mul: (a, b) => `${a} * ${b}`,
  Div: (a, b) => `${a} / ${b}`,
  Pow: (a, b) => `powf(${a}, ${b})`,
  Max: (a, b) => `(${a} > ${b} || ${a} != ${a} ? ${a} : ${b})`,
  Min: (a, b) => `(${a} < ${b} || ${a} != ${a} ? ${a} : ${b})`,
  PRelu: (a, b) => `(${a} < 0.0f ? ${b} * ${a} : ${a})`,
};

function floatInput(ctx: CudaLowerCtx, i: number): CudaTensor {
  const t = ctx.input(i);
  if (!t) nodeError(ctx.node, `input ${i} is required`);
  if (t.info.dtype !== 'float32') nodeError(ctx.node, `CUDA ${ctx.node.op} takes float32, got ${t.info.dtype}; build for target c for other types`);
  return t;
}

function unaryLowering(op: UnaryOp): CudaLowering {
  return {
    lower(ctx) {
      const x = floatInput(ctx, 0);
      const y = ctx.output(0);
      const n = numel(y.info.shape);
      ctx.useKernel('elementwise.cuh');
      const f = ctx.functor(`__device__ float operator()(float x) const { return ${UNARY_CUDA[op]('x', ctx.node)}; }`);
      ctx.launch(`edgec::unary<${f}, float, float>`, gridFor(n), String(ELEMENT_THREADS), [x.ptr, y.ptr, String(n)]);
    },
  };
}

function binaryLowering(op: string): CudaLowering {
  return {
    lower(ctx) {
      const a = floatInput(ctx, 0);
      const b = floatInput(ctx, 1);
      const y = ctx.output(0);
      const n = numel(y.info.shape);
      const all = [stridesOf(y.info.shape), broadcastStrides(a.info.shape, y.info.shape), broadcastStrides(b.info.shape, y.info.shape)];
      const { dims, strides } = coalesce(y.info.shape, all);
      const r = Math.max(1, dims.length);
      if (r > 6) nodeError(ctx.node, `broadcast over ${r} independent axes exceeds the CUDA kernel's 6`);
      const pad = (v: number[], fill: number) => (v.length ? v : [fill]);
      ctx.useKernel('elementwise.cuh');
      const f = ctx.functor(`__device__ float operator()(float a, float b) const { return ${BINARY_CUDA[op]('a', 'b')}; }`);
      const desc = `edgec::Broadcast<${r}>{{${pad(dims, 1).join(', ')}}, {${pad(strides[1], 0).join(', ')}}, {${pad(strides[2], 0).join(', ')}}}`;
      ctx.launch(`edgec::binary<${f}, ${r}, float, float, float>`, gridFor(n), String(ELEMENT_THREADS), [a.ptr, b.ptr, y.ptr, desc, String(n)]);
    },
  };
}

/** Inference BatchNormalization (constant statistics): y = x * scale' + shift' per channel, fused activation. */
const batchNorm: CudaLowering = {
  lower(ctx) {
    const x = floatInput(ctx, 0);
    const params = [1, 2, 3, 4].map((i) => floatInput(ctx, i).value?.data);
    if (params.some((p) => !p)) nodeError(ctx.node, 'CUDA BatchNormalization needs constant scale, bias, mean and variance');
    const [sc, bi, mean, v] = params as Float32Array[];
    const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
    const c = x.info.shape[1] ?? 1;
    const scale = Float32Array.from({ length: c }, (_, i) => sc[i] / Math.sqrt(v[i] + eps));
    const shift = Float32Array.from({ length: c }, (_, i) => bi[i] - mean[i] * scale[i]);
    const y = ctx.output(0);
    const n = numel(y.info.shape);
    const s = numel(x.info.shape.slice(2));
    const act = actOf(ctx.node);
    ctx.useKernel('elementwise.cuh');
    const args = [x.ptr, ctx.constBytes('bn_scale', new Uint8Array(scale.buffer), 'float'), ctx.constBytes('bn_shift', new Uint8Array(shift.buffer), 'float'), y.ptr, String(n), act.a, act.b];
    ctx.launch(`edgec::channel_affine<${c}, ${s}, ${act.id}>`, gridFor(n), String(ELEMENT_THREADS), args);
  },
};

/** Elementwise ops → CUDA lowering. */
export const elementwiseCudaLowerings: Record<string, CudaLowering> = {
  ...Object.fromEntries(UNARY_OPS.map((op) => [op, unaryLowering(op)])),
  ...Object.fromEntries(Object.keys(BINARY_CUDA).map((op) => [op, binaryLowering(op)])),
  BatchNormalization: batchNorm,
};
