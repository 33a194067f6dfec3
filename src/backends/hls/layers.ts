/**
 * HLS layer lowerings by IR op: each returns the layer's cost (for the resource model) and a renderer of its
 * function body at a reuse factor. The arithmetic mirrors the integer references (src/ops/*-int.ts, quant/kernels.ts)
 * through the same parameter functions the C backend uses.
 */
import type { Node, QuantParams, TensorInfo, Value } from '../../ir/types.js';
import { numel } from '../../ir/dtype.js';
import { attrFloat, attrInt } from '../../ir/attrs.js';
import { convGeometry } from '../../ops/conv.js';
import { qconvParams } from '../../ops/conv-int.js';
import { qgemmParams, qmatmulParams, type QMatParams } from '../../ops/linalg-int.js';
import { poolGeometry } from '../../ops/pool.js';
import { checkIntSoftmax, softmaxPlan } from '../../ops/softmax.js';
import { intElementwise } from '../../ops/elementwise.js';
import { requireSameQuant } from '../../ops/qform.js';
import { nodeError } from '../../ops/util.js';
import { addParams, leakyReluParams, mulParams, requantParams, sameParams } from '../../quant/kernels.js';
import { softmaxParams } from '../../quant/softmax.js';
import { outputClamp } from '../../quant/requant.js';
import type { QuantizedMultiplier } from '../../quant/fixed-point.js';
import type { QRequant } from '../../quant/qlinear.js';
import type { LayerCost } from './estimate.js';

/** A tensor as a layer sees it; `param` is the C++ parameter naming an activation (constants have `value`). */
export interface HlsOperand {
  name: string;
  info: TensorInfo;
  quant?: QuantParams;
  value?: Value;
  param?: string;
}

/** What a lowering gets: the node, its function name and operands. */
export interface HlsCtx {
  node: Node;
  id: string;
  input(i: number): HlsOperand | undefined;
  output(i: number): HlsOperand;
}

/** A lowered layer: its cost and its function body at a reuse factor. */
export interface HlsLayerPlan {
  cost: LayerCost;
  render(reuse: number): string[];
  /** Extra runtime-c/kernels headers the body calls. */
  kernels?: string[];
  /** Access order: activation input i is read once in flat order; the output is written in flat order (FIFO channels). */
  order?: { reads: (i: number) => boolean; writes: boolean };
}

/** Reads and writes both in flat order. */
export const SEQUENTIAL = { reads: () => true, writes: true };
/** Random reads, writes in flat order. */
export const WRITES_IN_ORDER = { reads: () => false, writes: true };

/** Lowers one node to an HLS layer. */
export type HlsLowering = (ctx: HlsCtx) => HlsLayerPlan;

/** C++ element type of an IR dtype on the fabric. */
export const HLS_CTYPES: Record<string, string> = { int8: 'int8_t', float32: 'float', int32: 'int32_t' };

/** `static const T name[n] = {...};` with the values as literals. */
export function constArray(type: string, name: string, data: ArrayLike<number>): string {
  const xs = Array.from(data, (v) => (type === 'float' ? floatLit(v) : String(v)));
  const lines: string[] = [];
  for (let i = 0; i < xs.length; i += 24) lines.push(`  ${xs.slice(i, i + 24).join(', ')},`);
  return `static const ${type} ${name}[${Math.max(1, xs.length)}] = {\n${lines.join('\n') || '  0'}\n};`;
}

/** A float32 literal that round-trips. */
export function floatLit(v: number): string {
  const s = Math.fround(v).toPrecision(9);
  return `${s.includes('.') || s.includes('e') ? s : `${s}.0`}f`;
}

/** A double literal that round-trips. */
export function doubleLit(v: number): string {
  return v.toPrecision(17);
}

export function need(ctx: HlsCtx, i: number): HlsOperand {
  const t = ctx.input(i);
  if (!t) nodeError(ctx.node, `input ${i} is required`);
  return t;
}

export function activation(ctx: HlsCtx, i: number): string {
  const t = need(ctx, i);
  if (!t.param) nodeError(ctx.node, `input ${i} is a constant; the HLS layer takes it as a streamed activation`);
  return t.param;
}

export function constValue(ctx: HlsCtx, i: number, what: string): Value {
  const t = need(ctx, i);
  if (!t.value) nodeError(ctx.node, `${what} must be a constant for the HLS ${ctx.node.op} layer`);
  return t.value;
}

const q = (t: HlsOperand | undefined) => (t ? { ...t.info, quant: t.quant } : undefined);

/** The per-output-channel multipliers and shifts of a requantization, expanded to `n` channels. */
function multArrays(r: QRequant, n: number): { m: number[]; s: number[] } {
  const at = (c: number) => r.mults[r.mults.length === 1 ? 0 : c];
  return { m: Array.from({ length: n }, (_, c) => at(c).multiplier), s: Array.from({ length: n }, (_, c) => at(c).shift) };
}

/** Weight zero points must be 0 (TFLite's symmetric int8 weights): the templates multiply raw codes. */
function symmetricWeights(node: Node, wq: QuantParams, what: string): void {
  if (wq.zeroPoint.some((z) => z !== 0)) nodeError(node, `${what} has nonzero zero points; the HLS layers take symmetric int8 weights (requantize the model with symmetric weights)`);
}

/** Nonzero values of a weight array. */
function nonzero(w: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) n++;
  return n;
}

/** The layer's config struct (hls4ml style; enum constants, as a function-local struct cannot hold static members). */
function config(fields: Record<string, number>): string {
  return `struct cfg {\n  enum { ${Object.entries(fields).map(([k, v]) => `${k} = ${v}`).join(', ')} };\n};`;
}

/** The ALLOCATION limit on multipliers of one step: the nonzero-weight products plus the requantizers' multiplies. */
function multLimit(c: LayerCost, reuse: number): number {
  return Math.max(1, Math.ceil(c.multsNonzero / reuse)) + Math.ceil(c.requantPerStep / reuse);
}

/** Banks an array is split into so one step reads what its `parallel` operations need at once. */
function weightBanks(parallel: number, reuse: number): number {
  return Math.max(1, Math.ceil(parallel / reuse));
}

/** HLS layer of Conv. */
export function lowerConv(ctx: HlsCtx): HlsLayerPlan {
  const x = need(ctx, 0);
  const w = need(ctx, 1);
  const b = ctx.input(2);
  const y = ctx.output(0);
  if (x.info.dtype !== 'int8') nodeError(ctx.node, `input is ${x.info.dtype}; the HLS conv takes int8 activations`);
  const p = qconvParams(ctx.node, false, [q(x), q(w), q(b)], q(y));
  symmetricWeights(ctx.node, p.w, 'weight W');
  const wv = constValue(ctx, 1, 'weight W');
  const g = convGeometry(ctx.node, x.info, w.info);
  if (g.inSpatial.length > 2) nodeError(ctx.node, 'the HLS conv layer is 1-D or 2-D; 3-D convolutions are not supported');
  const two = <T,>(v: readonly T[], fill: T): [T, T] => (v.length === 1 ? [fill, v[0]] : [v[0], v[1]]);
  const [IH, IW] = two(g.inSpatial, 1);
  const [OH, OW] = two(g.outSpatial, 1);
  const [KH, KW] = two(g.kernel, 1);
  const [SH, SW] = two(g.strides, 1);
  const [DH, DW] = two(g.dilations, 1);
  const [PT, PL] = two(g.padsBegin, 0);
  const icg = g.inC / g.group;
  const perStep = g.outC * icg * KH * KW;
  const bias = b?.value ? Array.from(b.value.data) : new Array<number>(g.outC).fill(0);
  const ms = multArrays(p.r, g.outC);
  const cost: LayerCost = {
    macs: g.batch * OH * OW * perStep, steps: g.batch * OH * OW, multsDense: perStep, multsNonzero: nonzero(wv.data),
    requantPerStep: g.outC, fixedDsp: 0, weightBits: perStep * 8 + g.outC * 72, depth: Math.ceil(Math.log2(icg * KH * KW + 1)) + 12, reusable: true,
  };
  return {
    cost,
    render: (reuse) => [
      config({
        B: g.batch, IC: g.inC, IH, IW, OC: g.outC, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, G: g.group,
        ZX: p.x.zeroPoint[0], ZY: p.r.zy, LO: p.r.lo, HI: p.r.hi, REUSE: reuse,
        MULTS: multLimit(cost, reuse), WBANKS: weightBanks(perStep, reuse), RBANKS: weightBanks(g.outC, reuse),
      }),
      constArray('int8_t', 'w', wv.data), constArray('int32_t', 'bias', bias), constArray('int32_t', 'mult', ms.m), constArray('int8_t', 'shift', ms.s),
      `edgec_hls::conv2d<cfg>(${x.param}, y0, w, bias, mult, shift);`,
    ],
    // Pixels outer, channels inner: flat NCHW order only when one of the two is a single value.
    order: { reads: () => false, writes: g.outC === 1 || OH * OW === 1 },
  };
}

/** A dense layer from [N][K] weights: shared by Gemm and MatMul. */
function denseLayer(ctx: HlsCtx, x: HlsOperand, p: QMatParams, m: number, k: number, n: number, wNK: Int8Array, bias: number[]): HlsLayerPlan {
  if (!x.param) nodeError(ctx.node, 'input A must be an activation');
  symmetricWeights(ctx.node, p.b, 'weight B');
  const r = p.r;
  if (!r) return accumulatorDense(ctx, x, p, m, k, n, wNK, bias);
  const ms = multArrays(r, n);
  const cost: LayerCost = {
    macs: m * n * k, steps: m, multsDense: n * k, multsNonzero: nonzero(wNK), requantPerStep: n, fixedDsp: 0,
    weightBits: n * k * 8 + n * 72, depth: Math.ceil(Math.log2(k + 1)) + 12, reusable: true,
  };
  return {
    cost,
    render: (reuse) => [
      config({ M: m, K: k, N: n, ZX: p.a.zeroPoint[0], ZY: r.zy, LO: r.lo, HI: r.hi, REUSE: reuse, MULTS: multLimit(cost, reuse), WBANKS: weightBanks(n * k, reuse), RBANKS: weightBanks(n, reuse) }),
      constArray('int8_t', 'w', wNK), constArray('int32_t', 'bias', bias), constArray('int32_t', 'mult', ms.m), constArray('int8_t', 'shift', ms.s),
      `edgec_hls::dense<cfg>(${x.param}, y0, w, bias, mult, shift);`,
    ],
    order: WRITES_IN_ORDER,
  };
}

/** A classifier head's dense layer: exact int32 accumulators plus the int32 bias out (the host dequantizes them). */
function accumulatorDense(ctx: HlsCtx, x: HlsOperand, p: QMatParams, m: number, k: number, n: number, wNK: Int8Array, bias: number[]): HlsLayerPlan {
  const cost: LayerCost = {
    macs: m * n * k, steps: m, multsDense: n * k, multsNonzero: nonzero(wNK), requantPerStep: 0, fixedDsp: 0,
    weightBits: n * k * 8 + n * 32, depth: Math.ceil(Math.log2(k + 1)) + 4, reusable: true,
  };
  return {
    cost,
    render: (reuse) => [
      config({ M: m, K: k, N: n, ZX: p.a.zeroPoint[0], REUSE: reuse, MULTS: multLimit(cost, reuse), WBANKS: weightBanks(n * k, reuse) }),
      constArray('int8_t', 'w', wNK), constArray('int32_t', 'bias', bias),
      `edgec_hls::dense_acc<cfg>(${x.param}, y0, w, bias);`,
    ],
    order: WRITES_IN_ORDER,
  };
}

/** HLS layer of Gemm. */
export function lowerGemm(ctx: HlsCtx): HlsLayerPlan {
  const a = need(ctx, 0);
  const b = need(ctx, 1);
  const c = ctx.input(2);
  const p = qgemmParams(ctx.node, [q(a), q(b), q(c)], q(ctx.output(0)));
  if (attrInt(ctx.node, 'transA', 0) !== 0) nodeError(ctx.node, 'transA=1 is not supported by the HLS dense layer; transpose A upstream');
  const bv = constValue(ctx, 1, 'input B');
  const transB = attrInt(ctx.node, 'transB', 0) !== 0;
  const [m, k] = a.info.shape;
  const n = transB ? b.info.shape[0] : b.info.shape[1];
  const w = new Int8Array(n * k);
  for (let j = 0; j < n; j++) for (let i = 0; i < k; i++) w[j * k + i] = bv.data[transB ? j * k + i : i * n + j];
  let bias = new Array<number>(n).fill(0);
  if (c) {
    const cv = constValue(ctx, 2, 'bias C');
    if (numel(cv.shape) !== n) nodeError(ctx.node, `bias C has shape [${cv.shape.join(', ')}]; the HLS dense layer takes one bias per output column (${n})`);
    bias = Array.from(cv.data);
  }
  return denseLayer(ctx, a, p, m, k, n, w, bias);
}

/** HLS layer of MatMul. */
export function lowerMatMul(ctx: HlsCtx): HlsLayerPlan {
  const a = need(ctx, 0);
  const b = need(ctx, 1);
  const p = qmatmulParams(ctx.node, [q(a), q(b)], q(ctx.output(0)));
  const bv = constValue(ctx, 1, 'input B');
  if (bv.shape.length !== 2) nodeError(ctx.node, `input B has rank ${bv.shape.length}; the HLS dense layer takes a 2-D constant B`);
  const [k, n] = bv.shape;
  const m = numel(a.info.shape) / k;
  const w = new Int8Array(n * k);
  for (let j = 0; j < n; j++) for (let i = 0; i < k; i++) w[j * k + i] = bv.data[i * n + j];
  return denseLayer(ctx, a, p, m, k, n, w, new Array<number>(n).fill(0));
}

/** `(int32_t)x - z` */
function centred(x: string, z: number): string {
  return z === 0 ? `(int32_t)${x}` : `((int32_t)${x} - (${z}))`;
}

function mbqm(x: string, m: QuantizedMultiplier): string {
  return `edgec_mbqm(${x}, ${m.multiplier}, ${m.shift})`;
}

/** Per-element C++ statements computing int32 `r` from the operand expressions, for each integer elementwise op. */
const ELEMENT_BODIES: Record<string, { dsp: number; body: (node: Node, ins: HlsOperand[], y: HlsOperand) => (xs: string[]) => string[] }> = {
  Add: { dsp: 3 * 4, body: (n, [a, b], y) => addSub(n, a, b, y, false) },
  Sub: { dsp: 3 * 4, body: (n, [a, b], y) => addSub(n, a, b, y, true) },
  Mul: {
    dsp: 1 + 4,
    body: (n, [a, b], y) => {
      const p = mulParams(n, a.quant, b.quant, y.quant);
      return ([u, v]) => [`const int32_t r = ${mbqm(`${centred(u, p.z1)} * ${centred(v, p.z2)}`, p.m)} + (${p.zy});`];
    },
  },
  Relu: { dsp: 4, body: (n, [x], y) => requantBody(n, x, y) },
  Clip: { dsp: 4, body: (n, [x], y) => requantBody(n, x, y) },
  LeakyRelu: {
    dsp: 2 * 4,
    body: (n, [x], y) => {
      const p = leakyReluParams(n, x.quant, y.quant, attrFloat(n, 'alpha', 0.01));
      return ([u]) => [`const int32_t d = ${centred(u, p.zx)};`, `const int32_t r = (d >= 0 ? ${mbqm('d', p.identity)} : ${mbqm('d', p.alpha)}) + (${p.zy});`];
    },
  },
};

function addSub(n: Node, a: HlsOperand, b: HlsOperand, y: HlsOperand, sub: boolean): (xs: string[]) => string[] {
  const p = addParams(n, a.quant, b.quant, y.quant, sub, 'int8');
  const scaled = (x: string, z: number, m: QuantizedMultiplier) => `edgec_mbqm_lt1(${centred(x, z)} * (1 << ${p.leftShift}), ${m.multiplier}, ${m.shift})`;
  return ([u, v]) => [
    `const int32_t s1 = ${scaled(u, p.z1, p.m1)};`,
    `const int32_t s2 = ${scaled(v, p.z2, p.m2)};`,
    `const int32_t r = ${mbqm(`s1 ${sub ? '-' : '+'} s2`, p.mo)} + (${p.zy});`,
  ];
}

function requantBody(n: Node, x: HlsOperand, y: HlsOperand): (xs: string[]) => string[] {
  const p = requantParams(n, x.quant, y.quant);
  return ([u]) => [`const int32_t r = ${mbqm(centred(u, p.zx), p.m)} + (${p.zy});`];
}

/** Nested loops over `shape` (innermost pipelined), reading each operand (as `elem`) at its broadcast index. */
export function broadcastLoops(shape: number[], operands: { expr: string; shape: number[] }[], out: string, body: (xs: string[]) => string[], value: string, elem: 'int32' | 'float' = 'int32'): string[] {
  const rank = shape.length;
  const stridesOf = (s: number[]) => {
    const padded = [...new Array<number>(rank - s.length).fill(1), ...s];
    const st = new Array<number>(rank).fill(0);
    let acc = 1;
    for (let d = rank - 1; d >= 0; d--) {
      st[d] = padded[d] === 1 ? 0 : acc;
      acc *= padded[d];
    }
    return st;
  };
  const index = (st: number[]) => st.map((s, d) => (s ? `i${d} * ${s}` : '')).filter(Boolean).join(' + ') || '0';
  const lines: string[] = [];
  shape.forEach((n, d) => lines.push(`${'  '.repeat(d)}for (int i${d} = 0; i${d} < ${n}; i${d}++) {`));
  const ind = '  '.repeat(rank);
  if (rank) lines.push(`${ind}#pragma HLS PIPELINE II = 1`);
  const xs = operands.map((o, k) => {
    lines.push(`${ind}const ${elem === 'float' ? 'float' : 'int32_t'} v${k} = ${o.expr}[${index(stridesOf(o.shape))}];`);
    return `v${k}`;
  });
  for (const s of body(xs)) lines.push(`${ind}${s}`);
  lines.push(`${ind}${out}[${index(stridesOf(shape))}] = ${value};`);
  for (let d = rank - 1; d >= 0; d--) lines.push(`${'  '.repeat(d)}}`);
  return lines;
}

/** HLS layer of Elementwise. */
export function lowerElementwise(ctx: HlsCtx): HlsLayerPlan {
  const ins = ctx.node.inputs.map((_, i) => need(ctx, i));
  const y = ctx.output(0);
  if (y.info.dtype !== 'int8' || ins.some((t) => t.info.dtype !== 'int8')) nodeError(ctx.node, 'the HLS elementwise layers take int8 tensors');
  const k = intElementwise(ctx.node, ins.map(q), q(y)!);
  const entry = ELEMENT_BODIES[ctx.node.op];
  const consts = ins.map((t, i) => (t.param ? undefined : constArray('int8_t', `c${i}`, t.value!.data)));
  const operands = ins.map((t, i) => ({ expr: t.param ?? `c${i}`, shape: t.info.shape }));
  const n = numel(y.info.shape);
  return {
    cost: { macs: 0, steps: n, multsDense: 0, multsNonzero: 0, requantPerStep: 0, fixedDsp: entry.dsp, weightBits: consts.filter(Boolean).length ? ins.reduce((s, t) => s + (t.value ? t.value.data.length * 8 : 0), 0) : 0, depth: 8, reusable: false },
    render: () => [
      ...consts.filter((c): c is string => !!c),
      ...broadcastLoops(y.info.shape, operands, 'y0', entry.body(ctx.node, ins, y), `(int8_t)edgec_clampi(r, ${k.lo}, ${k.hi})`),
    ],
    order: { reads: (i) => numel(ins.filter((t) => t.param)[i].info.shape) === n, writes: true },
  };
}

/** HLS layer of Lookup. */
export function lowerLookup(ctx: HlsCtx): HlsLayerPlan {
  const x = activation(ctx, 0);
  const t = constValue(ctx, 1, 'table');
  const y = ctx.output(0);
  if (need(ctx, 0).info.dtype !== 'int8' || y.info.dtype !== 'int8') nodeError(ctx.node, 'the HLS lookup layer maps int8 to int8');
  const n = numel(y.info.shape);
  return {
    cost: { macs: 0, steps: n, multsDense: 0, multsNonzero: 0, requantPerStep: 0, fixedDsp: 0, weightBits: 256 * 8, depth: 3, reusable: false },
    render: () => [constArray('int8_t', 'table', t.data), `edgec_hls::lookup<${n}>(${x}, y0, table);`],
    order: SEQUENTIAL,
  };
}

/** HLS layer of GlobalAvgPool. */
export function lowerGlobalAvgPool(ctx: HlsCtx): HlsLayerPlan {
  const x = need(ctx, 0);
  const y = ctx.output(0);
  const s = x.info.shape;
  const p = requantParams(ctx.node, x.quant, y.quant);
  const nc = s[0] * s[1];
  const S = numel(s.slice(2));
  return {
    cost: { macs: 0, steps: nc * S, multsDense: 0, multsNonzero: 0, requantPerStep: 0, fixedDsp: 4, weightBits: 0, depth: 10, reusable: false },
    render: () => [config({ NC: nc, S, ZX: p.zx, M: p.m.multiplier, SHIFT: p.m.shift, ZY: p.zy }), `edgec_hls::global_avgpool<cfg>(${x.param}, y0);`],
    order: SEQUENTIAL,
  };
}

/** HLS layer of Pool. */
export function lowerPool(max: boolean): HlsLowering {
  return (ctx) => {
    const x = need(ctx, 0);
    const y = ctx.output(0);
    if (x.info.dtype !== 'int8' || y.info.dtype !== 'int8') nodeError(ctx.node, 'the HLS pooling layers take int8');
    const g = poolGeometry(ctx.node, x.info.shape);
    if (g.inSpatial.length > 2) nodeError(ctx.node, 'the HLS pooling layers are 1-D or 2-D');
    const two = (v: readonly number[], fill: number): [number, number] => (v.length === 1 ? [fill, v[0]] : [v[0], v[1]]);
    const [IH, IW] = two(g.inSpatial, 1);
    const [OH, OW] = two(g.outSpatial, 1);
    const [KH, KW] = two(g.kernel, 1);
    const [SH, SW] = two(g.strides, 1);
    const [DH, DW] = two(g.dilations, 1);
    const [PT, PL] = two(g.padsBegin, 0);
    const [PB, PR] = two(g.padsEnd, 0);
    const nc = x.info.shape[0] * x.info.shape[1];
    const [lo, hi] = outputClamp(ctx.node, y.quant!, 'int8');
    const geo = { NC: nc, IH, IW, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, LO: lo, HI: hi };
    const cost: LayerCost = { macs: 0, steps: Math.max(nc * OH * OW, numel(x.info.shape)), multsDense: 0, multsNonzero: 0, requantPerStep: 0, fixedDsp: max ? 0 : 4, weightBits: 0, depth: 10, reusable: false };
    if (max) {
      requireSameQuant(ctx.node, q(x), [q(y)!]);
      return { cost, render: () => [config(geo), `edgec_hls::maxpool2d<cfg>(${x.param}, y0);`], order: WRITES_IN_ORDER };
    }
    const p = requantParams(ctx.node, x.quant, y.quant);
    const extra = { INCLUDE_PAD: g.countIncludePad ? 1 : 0, REQUANT: sameParams(x.quant, y.quant) ? 0 : 1, ZX: p.zx, M: p.m.multiplier, SHIFT: p.m.shift, ZY: p.zy };
    return { cost, render: () => [config({ ...geo, ...extra }), `edgec_hls::avgpool2d<cfg>(${x.param}, y0);`], order: WRITES_IN_ORDER };
  };
}

/** HLS layer of Concat: inputs with the output's parameters are copied, the others requantized (TFLite's Concat). */
export function lowerConcat(ctx: HlsCtx): HlsLayerPlan {
  const y = ctx.output(0);
  const ins = ctx.node.inputs.map((_, i) => need(ctx, i));
  if (y.info.dtype !== 'int8' || ins.some((x) => x.info.dtype !== 'int8')) nodeError(ctx.node, 'the HLS concat layer takes int8');
  const shape = y.info.shape;
  const a = attrInt(ctx.node, 'axis', 0);
  const axis = a < 0 ? a + shape.length : a;
  const outer = numel(shape.slice(0, axis));
  const inner = numel(shape.slice(axis + 1));
  const rowOut = shape[axis] * inner;
  const lines: string[] = [];
  let off = 0;
  ins.forEach((x, i) => {
    const row = x.info.shape[axis] * inner;
    const src = x.param ?? `c${i}`;
    if (!x.param) lines.push(constArray('int8_t', `c${i}`, x.value!.data));
    let value = `${src}[o * ${row} + r]`;
    if (!sameParams(x.quant, y.quant)) {
      const p = requantParams(ctx.node, x.quant, y.quant, `input ${i}`);
      value = `(int8_t)edgec_clampi(${mbqm(centred(value, p.zx), p.m)} + (${p.zy}), -128, 127)`;
    }
    lines.push(`for (int o = 0; o < ${outer}; o++)`, `  for (int r = 0; r < ${row}; r++) {`, '#pragma HLS PIPELINE II = 1', `    y0[o * ${rowOut} + ${off} + r] = ${value};`, '  }');
    off += row;
  });
  return {
    cost: { macs: 0, steps: numel(shape), multsDense: 0, multsNonzero: 0, requantPerStep: 0, fixedDsp: 4, weightBits: 0, depth: 8, reusable: false },
    render: () => lines,
    // Each input is read in order; the output is written in order only when the inputs follow each other whole.
    order: { reads: () => true, writes: outer === 1 },
  };
}

/** HLS layer of Softmax. */
export function lowerSoftmax(ctx: HlsCtx): HlsLayerPlan {
  const x = need(ctx, 0);
  const y = ctx.output(0);
  checkIntSoftmax(ctx.node, q(x), q(y)!);
  const p = softmaxParams(ctx.node, x.quant);
  const { outer, n, inner } = softmaxPlan(ctx.node, x.info.shape);
  return {
    cost: { macs: 0, steps: outer * inner * (2 * n + 8), multsDense: 0, multsNonzero: 0, requantPerStep: 0, fixedDsp: 3 * 4, weightBits: 0, depth: 40, reusable: false },
    kernels: ['qsoftmax.h'],
    render: () => [`edgec_q_softmax_s8(${x.param}, y0, ${outer}, ${n}, ${inner}, ${p.multiplier}, ${p.leftShift}, ${p.diffMin});`],
    order: { reads: () => false, writes: inner === 1 },
  };
}
