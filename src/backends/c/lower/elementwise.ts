/** C lowerings of elementwise ops: one C expression per unary op, broadcasting loop nests for binary/variadic ops. */
import type { DType, Node } from '../../../ir/types.js';
import { attrFloat, attrInt, attrString } from '../../../ir/attrs.js';
import { DTYPES, numel, stridesOf } from '../../../ir/dtype.js';
import { BINARY, INT_UNARY, UNARY_OPS, isFloatType, type UnaryOp } from '../../../ops/elementwise.js';
import { broadcastStrides, nodeError } from '../../../ops/util.js';
import { cFloat, type CLowerCtx, type CLowering, type CTensor } from '../lowering.js';

/** C spelling of float math for one float dtype: function suffix ('f' or '') and literals. */
export interface CFloatMath {
  /** Suffix of <math.h> functions: expf vs exp. */
  f: '' | 'f';
  /** A literal of this type. */
  lit(v: number): string;
  /** Branch-free select `c ? a : b` (float32: edgec_self, which keeps loops vectorizable under -ftrapping-math). */
  sel(c: string, a: string, b: string): string;
}

/** The C float math of float32 or float64. */
export function floatMath(dtype: DType): CFloatMath {
  if (dtype === 'float32') return { f: 'f', lit: cFloat, sel: (c, a, b) => `edgec_self(${c}, ${a}, ${b})` };
  return {
    f: '',
    lit: (v) => (Number.isNaN(v) ? '(0.0/0.0)' : !Number.isFinite(v) ? (v > 0 ? 'HUGE_VAL' : '(-HUGE_VAL)') : `${v.toPrecision(17)}`),
    sel: (c, a, b) => `((${c}) ? (${a}) : (${b}))`,
  };
}

/** Value range of each integer dtype. */
const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535],
  int32: [-2147483648, 2147483647], uint32: [0, 4294967295], int64: [-(2 ** 63), 2 ** 63],
};

/** A C integer literal of `dtype` (int64 through INT64_C); v must lie strictly inside the dtype's range. */
export function intLit(v: number, dtype: DType): string {
  const t = Math.trunc(v);
  if (dtype === 'int64') return `INT64_C(${BigInt(t)})`;
  return dtype === 'uint32' ? `${t}u` : `${t}`;
}

/** C type name of a dtype. */
export function cType(dtype: DType): string {
  return DTYPES[dtype].cType;
}

/** Unsigned C type integer arithmetic wraps through (avoids signed-overflow UB). */
function wrapType(dtype: DType): string {
  return dtype === 'int64' ? 'uint64_t' : 'uint32_t';
}

type FloatUnaryC = (x: string, n: Node, m: CFloatMath) => string;

/** Float C expression of each unary op over a value `x` (float32 uses the f-suffixed functions). */
const UNARY_C: Record<UnaryOp, FloatUnaryC> = {
  Relu: (x, _, m) => `${x} > ${m.lit(0)} ? ${x} : ${m.lit(0)}`,
  Sigmoid: (x, _, m) => (m.f ? `1.0f / (1.0f + edgec_expf(-${x}))` : `1.0 / (1.0 + exp(-${x}))`),
  Tanh: (x, _, m) => (m.f ? `edgec_tanhf(${x})` : `tanh(${x})`),
  Exp: (x, _, m) => (m.f ? `edgec_expf(${x})` : `exp(${x})`),
  Log: (x, _, m) => `log${m.f}(${x})`,
  Sqrt: (x, _, m) => `sqrt${m.f}(${x})`,
  Abs: (x, _, m) => `fabs${m.f}(${x})`,
  Neg: (x) => `-${x}`,
  Reciprocal: (x, _, m) => `${m.lit(1)} / ${x}`,
  Floor: (x, _, m) => `floor${m.f}(${x})`,
  Ceil: (x, _, m) => `ceil${m.f}(${x})`,
  Round: (x, _, m) => `rint${m.f}(${x})`,
  Sign: (x, _, m) => `${x} > ${m.lit(0)} ? ${m.lit(1)} : (${x} < ${m.lit(0)} ? ${m.lit(-1)} : ${x})`,
  Sin: (x, _, m) => `sin${m.f}(${x})`,
  Cos: (x, _, m) => `cos${m.f}(${x})`,
  Erf: (x, _, m) => (m.f ? `edgec_erff(${x})` : `erf(${x})`),
  Gelu: (x, n, m) =>
    attrString(n, 'approximate', 'none') === 'tanh'
      ? `${m.lit(0.5)} * ${x} * (${m.lit(1)} + ${m.f ? 'edgec_tanhf' : 'tanh'}(${m.lit(Math.sqrt(2 / Math.PI))} * (${x} + ${m.lit(0.044715)} * ${x} * ${x} * ${x})))`
      : `${m.lit(0.5)} * ${x} * (${m.lit(1)} + ${m.f ? 'edgec_erff' : 'erf'}(${x} * ${m.lit(Math.SQRT1_2)}))`,
  Softplus: (x, _, m) => `${x} > ${m.lit(20)} ? ${x} : log1p${m.f}(exp${m.f}(${x}))`,
  Softsign: (x, _, m) => `${x} / (${m.lit(1)} + fabs${m.f}(${x}))`,
  LeakyRelu: (x, n, m) => m.sel(`${x} >= ${m.lit(0)}`, x, `${m.lit(attrFloat(n, 'alpha', 0.01))} * ${x}`),
  Elu: (x, n, m) => `${x} >= ${m.lit(0)} ? ${x} : ${m.lit(attrFloat(n, 'alpha', 1))} * expm1${m.f}(${x})`,
  Selu: (x, n, m) => {
    const a = attrFloat(n, 'alpha', 1.6732632423543772);
    const g = attrFloat(n, 'gamma', 1.0507009873554805);
    return `${x} > ${m.lit(0)} ? ${m.lit(g)} * ${x} : ${m.lit(g)} * (${m.lit(a)} * expm1${m.f}(${x}))`;
  },
  HardSigmoid: (x, n, m) => {
    const v = `(${m.lit(attrFloat(n, 'alpha', 0.2))} * ${x} + ${m.lit(attrFloat(n, 'beta', 0.5))})`;
    return `${v} < ${m.lit(0)} ? ${m.lit(0)} : (${v} > ${m.lit(1)} ? ${m.lit(1)} : ${v})`;
  },
  HardSwish: (x, _, m) => {
    const v = `(${x} * ${m.lit(1 / 6)} + ${m.lit(0.5)})`;
    return `${x} * ${m.sel(`${v} < ${m.lit(0)}`, m.lit(0), m.sel(`${v} > ${m.lit(1)}`, m.lit(1), v))}`;
  },
  Shrink: (x, n, m) => {
    const b = attrFloat(n, 'bias', 0);
    const l = attrFloat(n, 'lambd', 0.5);
    return m.sel(`${x} < ${m.lit(-l)}`, `${x} + ${m.lit(b)}`, m.sel(`${x} > ${m.lit(l)}`, `${x} - ${m.lit(b)}`, m.lit(0)));
  },
  Clip: (x, n, m) => clipExpr(x, n, m.lit),
};

function clipExpr(x: string, n: Node, lit: (v: number) => string, range: [number, number] = [-Infinity, Infinity]): string {
  const lo = attrFloat(n, 'min', -Infinity);
  const hi = attrFloat(n, 'max', Infinity);
  let e = x;
  // A bound at or beyond the type's range clips nothing (and may have no literal of the type).
  if (hi < range[1] && hi !== Infinity) e = `(${e} > ${lit(hi)} ? ${lit(hi)} : ${e})`;
  if (lo > range[0] && lo !== -Infinity) e = `(${x} < ${lit(lo)} ? ${lit(lo)} : ${e})`;
  return e;
}

/** Integer C expression of the unary ops ONNX defines on integers (x has type `dtype`). */
function intUnaryExpr(op: UnaryOp, x: string, n: Node, dtype: DType): string {
  const T = cType(dtype);
  const signed = !dtype.startsWith('uint');
  switch (op) {
    case 'Relu': return `${x} > 0 ? ${x} : 0`;
    case 'Abs': return signed ? `${x} < 0 ? (${T})(0u - (${wrapType(dtype)})${x}) : ${x}` : x;
    case 'Neg': return `(${T})(0u - (${wrapType(dtype)})${x})`;
    case 'Sign': return `(${T})((${x} > 0) - (${x} < 0))`;
    case 'Clip': return clipExpr(x, n, (v) => intLit(v, dtype), INT_RANGE[dtype]);
    default: {
      // Shrink: float thresholds, computed in double and truncated (as the reference does).
      const d = `(double)${x}`;
      const b = attrFloat(n, 'bias', 0);
      const l = attrFloat(n, 'lambd', 0.5);
      return `(${T})edgec_f2i(${d} < ${-l} ? ${d} + ${b} : (${d} > ${l} ? ${d} - ${b} : 0.0))`;
    }
  }
}

/** One operand of a loop nest: C pointer expression, element type, shape (broadcast to the output). */
export interface LoopOperand {
  ptr: string;
  dtype: DType;
  shape: readonly number[];
}

/** What a loop body computes from the operand values: optional statements, then the output value. */
export interface LoopBody {
  stmts?: string[];
  value: string;
}

/** Output dims with per-operand strides, size-1 dims dropped and mergeable neighbours merged. */
export function coalesce(outShape: readonly number[], strides: number[][]): { dims: number[]; strides: number[][] } {
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  outShape.forEach((d, i) => {
    if (d === 1) return;
    const last = dims.length - 1;
    if (last >= 0 && strides.every((s, k) => st[k][last] === s[i] * d)) {
      dims[last] *= d;
      strides.forEach((s, k) => (st[k][last] = s[i]));
      return;
    }
    dims.push(d);
    strides.forEach((s, k) => st[k].push(s[i]));
  });
  return { dims, strides: st };
}

/** C index expression sum_d i{d} * stride[d] over the first `depth` loops. */
export function indexExpr(strides: readonly number[], depth: number): string {
  const terms: string[] = [];
  for (let d = 0; d < depth; d++) {
    if (strides[d] === 0) continue;
    terms.push(strides[d] === 1 ? `i${d}` : `i${d} * ${strides[d]}`);
  }
  return terms.length ? terms.join(' + ') : '0';
}

/**
 * Emit a loop nest writing `out[o] = body(x0, x1, ...)` over the broadcast of `ins` to `out.shape`.
 * Dims are coalesced, so same-shape, scalar, per-channel and row broadcasts all become a contiguous inner loop
 * with invariant operands hoisted out of it; any other broadcast is a strided nest with literal strides.
 */
export function emitLoops(ctx: CLowerCtx, ins: readonly LoopOperand[], out: LoopOperand, body: (xs: string[]) => LoopBody): void {
  if (numel(out.shape) === 0) return;
  const all = [stridesOf(out.shape), ...ins.map((x) => broadcastStrides(x.shape, out.shape))];
  const { dims, strides } = coalesce(out.shape, all);
  const r = dims.length;
  const b = body(ins.map((_, k) => `x${k}`));
  const text = [...(b.stmts ?? []), b.value].join('\n');
  const used = ins.map((_, k) => new RegExp(`\\bx${k}\\b`).test(text));
  // An output written in place over an input (same buffer) must not be declared restrict.
  const restrict = ins.some((x, k) => used[k] && x.ptr === out.ptr) ? '' : 'EDGEC_RESTRICT ';
  ins.forEach((x, k) => used[k] && ctx.line(`const ${cType(x.dtype)} *${restrict}a${k} = ${x.ptr};`));
  ctx.line(`${cType(out.dtype)} *${restrict}y = ${out.ptr};`);
  const load = (k: number, depth: number) => `const ${cType(ins[k].dtype)} x${k} = a${k}[${indexExpr(strides[k + 1], depth)}];`;
  const hoisted = ins.map((_, k) => used[k] && r > 0 && strides[k + 1][r - 1] === 0);
  let indent = '';
  for (let d = 0; d < r; d++) {
    if (d === r - 1) ins.forEach((_, k) => hoisted[k] && ctx.line(`${indent}${load(k, r - 1)}`));
    ctx.line(`${indent}for (ptrdiff_t i${d} = 0; i${d} < ${dims[d]}; i${d}++) {`);
    indent += '  ';
  }
  ins.forEach((_, k) => used[k] && !hoisted[k] && ctx.line(`${indent}${load(k, r)}`));
  for (const s of b.stmts ?? []) ctx.line(`${indent}${s}`);
  ctx.line(`${indent}y[${indexExpr(strides[0], r)}] = ${b.value};`);
  for (let d = r - 1; d >= 0; d--) {
    indent = indent.slice(2);
    ctx.line(`${indent}}`);
  }
}

/** Tensor as a loop operand. */
export function operand(t: CTensor): LoopOperand {
  return { ptr: t.ptr, dtype: t.info.dtype, shape: t.info.shape };
}

/** Input i of the node, or an error naming the node. */
export function need(ctx: CLowerCtx, i: number): CTensor {
  const t = ctx.input(i);
  if (!t) nodeError(ctx.node, `input ${i} is required`);
  return t;
}

function unaryLowering(op: UnaryOp): CLowering {
  return (ctx) => {
    const x = need(ctx, 0);
    const y = ctx.output(0);
    const dt = x.info.dtype;
    ctx.useKernel('elementwise.h');
    let expr: (v: string) => string;
    if (isFloatType(dt)) expr = (v) => UNARY_C[op](v, ctx.node, floatMath(dt));
    else if (INT_UNARY.has(op) && dt !== 'bool') expr = (v) => intUnaryExpr(op, v, ctx.node, dt);
    else nodeError(ctx.node, `input type ${dt} is not supported by ${op}; insert a Cast to float32`);
    emitLoops(ctx, [operand(x)], operand(y), ([v]) => ({ value: expr(v) }));
  };
}

/** Exponent of a Pow node when it is a constant scalar. */
function constExponent(t: CTensor): number | undefined {
  return t.value && t.value.data.length === 1 ? Number(t.value.data[0]) : undefined;
}

/** C expression of binary `node` on values a (dtype `dt`) and b. */
function binaryExpr(node: Node, dt: DType, a: string, b: string, expo: number | undefined): string {
  const op = node.op;
  const T = cType(dt);
  const cmp: Record<string, string> = { Equal: '==', Less: '<', Greater: '>', LessOrEqual: '<=', GreaterOrEqual: '>=' };
  if (cmp[op]) return `(uint8_t)(${a} ${cmp[op]} ${b})`;
  if (op === 'And') return `(uint8_t)((${a} != 0) & (${b} != 0))`;
  if (op === 'Or') return `(uint8_t)((${a} != 0) | (${b} != 0))`;
  if (isFloatType(dt)) {
    const m = floatMath(dt);
    switch (op) {
      case 'Add': return `${a} + ${b}`;
      case 'Sub': return `${a} - ${b}`;
      case 'Mul': return `${a} * ${b}`;
      case 'Div': return `${a} / ${b}`;
      case 'PRelu': return m.sel(`${a} < ${m.lit(0)}`, `${b} * ${a}`, a);
      case 'Mod': return `fmod${m.f}(${a}, ${b})`;
      case 'Pow':
        if (expo === 1) return a;
        if (expo === 2) return `${a} * ${a}`;
        if (expo === 3) return `${a} * ${a} * ${a}`;
        if (expo === 0.5) return `sqrt${m.f}(${a})`;
        if (expo === -1) return `${m.lit(1)} / ${a}`;
        return `pow${m.f}(${a}, (${T})${b})`;
      default: break;
    }
  } else {
    const W = wrapType(dt);
    const signed = !dt.startsWith('uint');
    const i32 = dt !== 'int64';
    switch (op) {
      case 'Add': return `(${T})((${W})${a} + (${W})${b})`;
      case 'Sub': return `(${T})((${W})${a} - (${W})${b})`;
      case 'Mul': return `(${T})((${W})${a} * (${W})${b})`;
      // Division by 0 gives 0 and MIN / -1 wraps, as in the reference, instead of trapping.
      case 'Div': return `${b} == 0 ? (${T})0 : (${signed ? `${b} == -1 ? (${T})(0u - (${W})${a}) : ` : ''}(${T})(${a} / ${b}))`;
      case 'PRelu': return `${a} < 0 ? (${T})((${W})${b} * (${W})${a}) : ${a}`;
      case 'Pow': return `(${T})edgec_f2i(pow((double)${a}, (double)${b}))`;
      case 'Mod': {
        if (!signed) return `${b} == 0 ? (${T})0 : (${T})(${a} % ${b})`;
        const kind = attrInt(node, 'fmod', 0) ? 'trunc' : 'floor';
        return `(${T})edgec_mod_${kind}_${i32 ? 'i32' : 'i64'}(${a}, ${b})`;
      }
      default: break;
    }
  }
  return nodeError(node, `no C expression for ${op} on ${dt}`);
}

function binaryLowering(ctx: CLowerCtx): void {
  const a = need(ctx, 0);
  const b = need(ctx, 1);
  const y = ctx.output(0);
  ctx.useKernel('elementwise.h');
  const expo = ctx.node.op === 'Pow' ? constExponent(b) : undefined;
  emitLoops(ctx, [operand(a), operand(b)], operand(y), ([u, v]) => ({
    value: binaryExpr(ctx.node, a.info.dtype, u, v, expo),
  }));
}

function variadicLowering(op: 'Sum' | 'Max' | 'Min' | 'Mean'): CLowering {
  return (ctx) => {
    const ins = ctx.node.inputs.map((_, i) => ctx.input(i)).filter((t): t is CTensor => !!t);
    const y = ctx.output(0);
    const dt = y.info.dtype;
    const T = cType(dt);
    const float = isFloatType(dt);
    emitLoops(ctx, ins.map(operand), operand(y), (xs) => {
      if (op === 'Max' || op === 'Min') {
        const c = op === 'Max' ? '>' : '<';
        return { stmts: [`${T} m = ${xs[0]};`, ...xs.slice(1).map((x) => `m = m ${c} ${x} ? m : ${x};`)], value: 'm' };
      }
      const sum = float ? xs.join(' + ') : `(${T})(${xs.map((x) => `(${wrapType(dt)})${x}`).join(' + ')})`;
      return { value: op === 'Mean' ? `(${sum}) / ${floatMath(dt).lit(xs.length)}` : sum };
    });
  };
}

/** Elementwise op → C lowering (every unary op, every binary op, Sum/Max/Min/Mean). */
export const elementwiseLowerings: Record<string, CLowering> = {
  ...Object.fromEntries(UNARY_OPS.map((op) => [op, unaryLowering(op)])),
  ...Object.fromEntries(Object.keys(BINARY).filter((op) => op !== 'Max' && op !== 'Min').map((op) => [op, binaryLowering])),
  Sum: variadicLowering('Sum'),
  Max: variadicLowering('Max'),
  Min: variadicLowering('Min'),
  Mean: variadicLowering('Mean'),
};
