/** CUDA lowerings of the remaining int8 forms the real models use: requantizing elementwise ops (functors over the
 * elementwise kernels), pooling and Mean, Concat and nearest Resize, ConvTranspose, products of two activations. */
import { numel, stridesOf } from '../../../ir/dtype.js';
import { attrInt } from '../../../ir/attrs.js';
import { broadcastStrides, nodeError, normAxis } from '../../../ops/util.js';
import { intElementwise } from '../../../ops/elementwise.js';
import { poolGeometry } from '../../../ops/pool.js';
import { convTransposeGeometry } from '../../../ops/conv.js';
import { qconvParams } from '../../../ops/conv-int.js';
import { matmulGeometry } from '../../../ops/linalg.js';
import { qmatmulParams } from '../../../ops/linalg-int.js';
import { nearestMaps, resizeSpec } from '../../../ops/resize.js';
import { addParams, mulParams, requantParams, sameParams, type RequantParams } from '../../../quant/kernels.js';
import { outputClamp } from '../../../quant/requant.js';
import { qRange } from '../../../quant/params.js';
import type { QTensorInfo } from '../../../ir/quant.js';
import { coalesce } from '../../c/lower/elementwise.js';
import { gridFor, ELEMENT_THREADS, type CudaLowerCtx, type CudaLowering, type CudaTensor } from '../lowering.js';
import { emitRemap } from './layout.js';
import { lowerQMatMulConst, qEpilogue } from './qconv.js';

function need(ctx: CudaLowerCtx, i: number): CudaTensor {
  const t = ctx.input(i);
  if (!t) nodeError(ctx.node, `input ${i} is required`);
  if (t.info.dtype !== 'int8') nodeError(ctx.node, `the CUDA integer ${ctx.node.op} takes int8, got ${t.info.dtype}`);
  return t;
}
const qinfo = (t: CudaTensor): QTensorInfo => ({ ...t.info, quant: t.quant! });

/** edgec::QRequant initializer of x -> zy + mbqm(x - zx) clamped to [lo, hi]. */
function qrequant(p: RequantParams, lo: number, hi: number): string {
  return `edgec::QRequant{${p.zx}, ${p.zy}, ${p.m.multiplier}, ${p.m.shift}, ${lo}, ${hi}}`;
}

/** Device body of each requantizing elementwise op on int32 operands a (and b), before the clamp. */
const Q_ELEMENTWISE: Record<string, (ctx: CudaLowerCtx, ins: CudaTensor[], y: CudaTensor) => string> = {
  Add: (ctx, [a, b], y) => addBody(ctx, a, b, y, false),
  Sub: (ctx, [a, b], y) => addBody(ctx, a, b, y, true),
  Mul: (ctx, [a, b], y) => {
    const p = mulParams(ctx.node, a.quant, b.quant, y.quant);
    return `edgec::mbqm((a - ${p.z1}) * (b - ${p.z2}), ${p.m.multiplier}, ${p.m.shift}) + ${p.zy}`;
  },
  Relu: (ctx, [x], y) => requantBody(requantParams(ctx.node, x.quant, y.quant)),
  Clip: (ctx, [x], y) => requantBody(requantParams(ctx.node, x.quant, y.quant)),
};

function requantBody(p: RequantParams): string {
  return `edgec::mbqm(a - ${p.zx}, ${p.m.multiplier}, ${p.m.shift}) + ${p.zy}`;
}

function addBody(ctx: CudaLowerCtx, a: CudaTensor, b: CudaTensor, y: CudaTensor, sub: boolean): string {
  const p = addParams(ctx.node, a.quant, b.quant, y.quant, sub, 'int8');
  const s = (v: string, z: number, m: { multiplier: number; shift: number }) => `edgec::mbqm_lt1((${v} - ${z}) * ${2 ** p.leftShift}, ${m.multiplier}, ${m.shift})`;
  return `edgec::mbqm(${s('a', p.z1, p.m1)} ${sub ? '-' : '+'} ${s('b', p.z2, p.m2)}, ${p.mo.multiplier}, ${p.mo.shift}) + ${p.zy}`;
}

function qElementwise(op: string): CudaLowering {
  return {
    lower(ctx) {
      const ins = ctx.node.inputs.map((_, i) => need(ctx, i));
      const y = ctx.output(0);
      const k = intElementwise(ctx.node, ins.map(qinfo), qinfo(y));
      const body = Q_ELEMENTWISE[op](ctx, ins, y);
      const n = numel(y.info.shape);
      ctx.useKernel('qops.cuh');
      ctx.useKernel('elementwise.cuh');
      if (ins.length === 1) {
        const f = ctx.functor(`__device__ int8_t operator()(int8_t x) const { int32_t a = x; return edgec::clamp8(${body}, ${k.lo}, ${k.hi}); }`);
        ctx.launch(`edgec::unary<${f}, int8_t, int8_t>`, gridFor(n), String(ELEMENT_THREADS), [ins[0].ptr, y.ptr, String(n)]);
        return;
      }
      const [a, b] = ins;
      const { dims, strides } = coalesce(y.info.shape, [stridesOf(y.info.shape), broadcastStrides(a.info.shape, y.info.shape), broadcastStrides(b.info.shape, y.info.shape)]);
      const r = Math.max(1, dims.length);
      if (r > 6) nodeError(ctx.node, `broadcast over ${r} independent axes exceeds the CUDA kernel's 6`);
      const pad = (v: number[], fill: number) => (v.length ? v : [fill]);
      const f = ctx.functor(`__device__ int8_t operator()(int8_t u, int8_t v) const { int32_t a = u, b = v; return edgec::clamp8(${body}, ${k.lo}, ${k.hi}); }`);
      const desc = `edgec::Broadcast<${r}>{{${pad(dims, 1).join(', ')}}, {${pad(strides[1], 0).join(', ')}}, {${pad(strides[2], 0).join(', ')}}}`;
      ctx.launch(`edgec::binary<${f}, ${r}, int8_t, int8_t, int8_t>`, gridFor(n), String(ELEMENT_THREADS), [a.ptr, b.ptr, y.ptr, desc, String(n)]);
    },
  };
}

function qWindowPool(max: boolean): CudaLowering {
  return {
    lower(ctx) {
      const x = need(ctx, 0);
      const y = ctx.output(0);
      const g = poolGeometry(ctx.node, x.info.shape);
      if (g.inSpatial.length !== 2) nodeError(ctx.node, 'the CUDA integer pooling takes 2-D windows');
      const [lo, hi] = outputClamp(ctx.node, y.quant!, y.info.dtype);
      const same = sameParams(x.quant, y.quant);
      if (max && !same) nodeError(ctx.node, 'integer MaxPool needs equal input and output parameters');
      const p = requantParams(ctx.node, x.quant, y.quant);
      const planes = x.info.shape[0] * x.info.shape[1];
      const [OH, OW] = g.outSpatial;
      const args = [planes, ...g.inSpatial, OH, OW, ...g.kernel, ...g.strides, ...g.dilations, ...g.padsBegin, ...g.padsEnd];
      ctx.useKernel('qops.cuh');
      ctx.launch(`edgec::qpool2d<${max}, ${!max && g.countIncludePad}, ${same}, ${args.join(', ')}>`, gridFor(planes * OH * OW), String(ELEMENT_THREADS), [x.ptr, y.ptr, qrequant(p, lo, hi)]);
    },
  };
}

const qGlobalMean: CudaLowering = {
  lower(ctx) {
    const x = need(ctx, 0);
    const y = ctx.output(0);
    const p = requantParams(ctx.node, x.quant, y.quant);
    const planes = x.info.shape[0] * x.info.shape[1];
    ctx.useKernel('qops.cuh');
    ctx.launch(`edgec::qglobal_mean<${planes}, ${numel(x.info.shape.slice(2))}>`, String(Math.ceil(planes / 8)), '256', [x.ptr, y.ptr, qrequant(p, ...qRange('int8'))]);
  },
};

/** Concat: inputs with the output's parameters are copied into place, others requantized into scratch first. */
const qConcat: CudaLowering = {
  lower(ctx) {
    const y = ctx.output(0);
    const shape = y.info.shape;
    const axis = normAxis(ctx.node, attrInt(ctx.node, 'axis', 0), shape.length);
    const ost = stridesOf(shape);
    let off = 0;
    ctx.node.inputs.forEach((name, i) => {
      if (!name) return;
      let x = need(ctx, i);
      if (!sameParams(x.quant, y.quant)) {
        const p = requantParams(ctx.node, x.quant, y.quant, `input ${i}`);
        const n = numel(x.info.shape);
        const tmp = { ...x, ptr: `((int8_t *)${ctx.scratch(n)})` };
        ctx.useKernel('qops.cuh');
        ctx.useKernel('elementwise.cuh');
        const f = ctx.functor(`__device__ int8_t operator()(int8_t x) const { int32_t a = x; return edgec::clamp8(${requantBody(p)}, -128, 127); }`);
        ctx.launch(`edgec::unary<${f}, int8_t, int8_t>`, gridFor(n), String(ELEMENT_THREADS), [x.ptr, tmp.ptr, String(n)]);
        x = tmp;
      }
      emitRemap(ctx, x, y, x.info.shape, stridesOf(x.info.shape), ost, x.info.shape.map(() => null), off * ost[axis]);
      off += x.info.shape[axis];
    });
  },
};

const qResize: CudaLowering = {
  lower(ctx) {
    const x = need(ctx, 0);
    const y = ctx.output(0);
    const spec = resizeSpec(ctx.node, x.info);
    if (spec.mode !== 'nearest' || !sameParams(x.quant, y.quant)) nodeError(ctx.node, 'the CUDA integer Resize is nearest with equal parameters');
    emitRemap(ctx, x, y, spec.outShape, stridesOf(spec.inShape), stridesOf(spec.outShape), nearestMaps(spec));
  },
};

const qConvTranspose: CudaLowering = {
  lower(ctx) {
    const [x, w] = [need(ctx, 0), need(ctx, 1)];
    const b = ctx.input(2);
    const y = ctx.output(0);
    const p = qconvParams(ctx.node, true, [qinfo(x), qinfo(w), b && { ...b.info, quant: b.quant }], qinfo(y));
    if (!w.value || (b && !b.value)) nodeError(ctx.node, 'weights and bias must be constants for the integer CUDA ConvTranspose');
    const g = convTransposeGeometry(ctx.node, x.info, w.info);
    if (g.inSpatial.length !== 2) nodeError(ctx.node, 'the integer CUDA ConvTranspose takes 2-D convolutions');
    const mg = g.outC / g.group;
    const taps = mg * g.kernel[0] * g.kernel[1];
    const wd = w.value.data;
    // W is [C][M/G][KH][KW], quantized along axis 1: centre each tap by its output channel's zero point.
    const wc = new Int8Array(wd.length);
    for (let i = 0; i < wd.length; i++) {
      const o = Math.floor((i % taps) / (g.kernel[0] * g.kernel[1]));
      const v = wd[i] - (p.w.zeroPoint.length === 1 ? p.w.zeroPoint[0] : p.w.zeroPoint[o]);
      if (v < -128 || v > 127) nodeError(ctx.node, `weight minus its zero point (${v}) leaves int8; requantize the weights symmetric`);
      wc[i] = v;
    }
    const epi = qEpilogue(ctx, p.r, new Int8Array(g.outC), g.outC, 0, 0, b?.value?.data);
    const dims = [g.batch, g.inC, ...g.inSpatial, g.outC, ...g.outSpatial, g.group, ...g.kernel, ...g.strides, ...g.dilations, ...g.padsBegin];
    ctx.useKernel('qops.cuh');
    const wp = ctx.constBytes('qconvt_w', new Uint8Array(wc.buffer), 'int8_t');
    ctx.launch(`edgec::qconv_transpose_direct<${dims.join(', ')}>`, gridFor(numel(y.info.shape)), String(ELEMENT_THREADS), [x.ptr, wp, y.ptr, String(p.x.zeroPoint[0]), epi]);
  },
};

/** MatMul of two int8 activations (per-tensor parameters), batched by arithmetic offsets; int8 or int32 accumulator output. */
function qMatMulAct(ctx: CudaLowerCtx): void {
  const [a, b] = [need(ctx, 0), need(ctx, 1)];
  const y = ctx.output(0);
  const p = qmatmulParams(ctx.node, [qinfo(a), qinfo(b)], qinfo(y));
  if (p.b.scale.length !== 1) nodeError(ctx.node, 'the CUDA integer MatMul of two activations takes per-tensor parameters');
  const g = matmulGeometry(ctx.node, a.info.shape, b.info.shape);
  const nb = g.aOffsets.length;
  const step = (o: number[]) => (nb > 1 ? o[1] - o[0] : 0);
  if (![g.aOffsets, g.bOffsets].every((o) => o.every((v, i) => v === i * step(o)))) nodeError(ctx.node, 'irregular batch broadcast has no CUDA integer MatMul');
  const r = p.r;
  const m = r?.mults[0];
  const q = `edgec::QRequant{0, ${r?.zy ?? 0}, ${m?.multiplier ?? 0}, ${m?.shift ?? 0}, ${r?.lo ?? 0}, ${r?.hi ?? 0}}`;
  ctx.useKernel('qops.cuh');
  const acc = !r;
  ctx.launch(`edgec::qgemm_act<${g.m}, ${g.n}, ${g.k}, ${acc}, ${acc ? 'int32_t' : 'int8_t'}>`, `dim3(${Math.ceil(g.n / 16)}, ${Math.ceil(g.m / 16)}, ${nb})`, 'dim3(16, 16)',
    [a.ptr, b.ptr, y.ptr, String(step(g.aOffsets)), String(step(g.bOffsets)), String(p.a.zeroPoint[0]), String(p.b.zeroPoint[0]), q]);
}

/** Integer ops beyond Conv/Gemm → CUDA lowering. */
export const qOpsCudaLowerings: Record<string, CudaLowering> = {
  ...Object.fromEntries(Object.keys(Q_ELEMENTWISE).map((op) => [op, qElementwise(op)])),
  MaxPool: qWindowPool(true),
  AveragePool: qWindowPool(false),
  GlobalAveragePool: qGlobalMean,
  Concat: qConcat,
  Resize: qResize,
  ConvTranspose: qConvTranspose,
  MatMul: { lower: (ctx) => (ctx.input(1)?.value ? lowerQMatMulConst(ctx) : qMatMulAct(ctx)) },
};
