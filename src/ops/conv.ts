/** Conv and ConvTranspose over 1-D, 2-D and 3-D inputs: geometry (auto_pad, output_shape), shape rules, float reference, MACs. */
import type { Node, TensorInfo, Value } from '../ir/types.js';
import { attrInt, attrInts } from '../ir/attrs.js';
import { readWindowAttrs, windowOutput } from './window.js';
import { allocData, numel } from '../ir/dtype.js';
import type { OpDef } from './registry.js';
import { nodeError, requireInput } from './util.js';
import { applyFusedActivation } from './activation.js';
import { convIntReference } from './conv-int.js';

/** Resolved geometry of a Conv or ConvTranspose node (spatial arrays have one entry per spatial dim). */
export interface ConvGeometry {
  batch: number;
  /** Input channels. */
  inC: number;
  /** Output channels. */
  outC: number;
  group: number;
  inSpatial: number[];
  outSpatial: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
}

/** Shared attribute reading and checking of Conv/ConvTranspose; the kernel defaults to the weight's spatial dims. */
function readAttrs(node: Node, x: TensorInfo, w: TensorInfo) {
  const r = x.shape.length - 2;
  if (r < 1) nodeError(node, `input rank ${x.shape.length} is too small; ${node.op} needs N x C x D1 [x D2 ...]`);
  if (w.shape.length !== x.shape.length) nodeError(node, `weight rank ${w.shape.length} does not match input rank ${x.shape.length}`);
  const kdims = w.shape.slice(2);
  const win = readWindowAttrs(node, r, kdims);
  if (win.kernel.some((k, i) => k !== kdims[i])) nodeError(node, `kernel_shape [${win.kernel}] does not match the weight's spatial dims [${kdims}]`);
  const group = attrInt(node, 'group', 1);
  if (group < 1) nodeError(node, `group ${group} must be >= 1`);
  const weight = WEIGHT_TYPE[x.dtype];
  if (!weight) nodeError(node, `input type ${x.dtype} is not supported; ${node.op} takes float32, or int8/int16 with quantization parameters`);
  if (w.dtype !== weight) nodeError(node, `weight type ${w.dtype} does not go with input type ${x.dtype}; use ${weight} weights`);
  return { r, win, ...win, group };
}

function checkBias(node: Node, b: TensorInfo | undefined, outC: number, dtype: string): void {
  if (!b) return;
  if (b.shape.length !== 1 || b.shape[0] !== outC) nodeError(node, `bias shape [${b.shape}] must be [${outC}] (one value per output channel)`);
  const want = BIAS_TYPES[dtype] ?? [dtype];
  if (!want.includes(b.dtype)) nodeError(node, `bias type ${b.dtype} must be ${want.join(' or ')} for ${dtype} input`);
}

/** Weight type per input type: integer convolutions are int8 x int8 or 16x8 (int16 activations, int8 weights). */
const WEIGHT_TYPE: Partial<Record<string, string>> = { float32: 'float32', float64: 'float64', int8: 'int8', int16: 'int8' };

/** Bias types of the integer convolutions (TFLite: int32 for int8, int64 or int32 for 16x8; int16 when an int8 bias fits). */
const BIAS_TYPES: Partial<Record<string, string[]>> = { int8: ['int32', 'int16'], int16: ['int64', 'int32'] };

/** Geometry of a Conv node from its input and weight types (ONNX output-size and auto_pad rules). */
export function convGeometry(node: Node, x: TensorInfo, w: TensorInfo): ConvGeometry {
  const { win, kernel, strides, dilations, group } = readAttrs(node, x, w);
  const [batch, inC] = x.shape;
  const outC = w.shape[0];
  if (inC % group !== 0) nodeError(node, `input channels ${inC} are not divisible by group ${group}`);
  if (outC % group !== 0) nodeError(node, `output channels ${outC} (weight dim 0) are not divisible by group ${group}`);
  if (w.shape[1] * group !== inC)
    nodeError(node, `weight dim 1 is ${w.shape[1]} but input channels / group = ${inC / group}; check the weight layout [M, C/group, k...]`);
  const inSpatial = x.shape.slice(2);
  const { outSpatial, padsBegin, padsEnd } = windowOutput(node, inSpatial, win, false, 'kernel');
  return { batch, inC, outC, group, inSpatial, outSpatial, kernel, strides, dilations, padsBegin, padsEnd };
}

/** Geometry of a ConvTranspose node (output_padding, output_shape and auto_pad as onnxruntime resolves them). */
export function convTransposeGeometry(node: Node, x: TensorInfo, w: TensorInfo): ConvGeometry {
  const { r, kernel, strides, dilations, pads, autoPad, group } = readAttrs(node, x, w);
  const [batch, inC] = x.shape;
  if (w.shape[0] !== inC) nodeError(node, `weight dim 0 is ${w.shape[0]} but the input has ${inC} channels; check the weight layout [C, M/group, k...]`);
  if (inC % group !== 0) nodeError(node, `input channels ${inC} are not divisible by group ${group}`);
  const outC = w.shape[1] * group;
  const outPad = attrInts(node, 'output_padding', new Array<number>(r).fill(0));
  let outShape = attrInts(node, 'output_shape');
  if (outPad.length !== r) nodeError(node, `attribute 'output_padding' has ${outPad.length} values; give ${r}`);
  if (outShape && outShape.length === r + 2) outShape = outShape.slice(2);
  if (outShape && outShape.length !== r) nodeError(node, `attribute 'output_shape' has ${outShape.length} values; give ${r}`);
  const inSpatial = x.shape.slice(2);
  const outSpatial: number[] = [];
  const padsBegin: number[] = [];
  const padsEnd: number[] = [];
  for (let i = 0; i < r; i++) {
    const n = inSpatial[i];
    const s = strides[i];
    const ext = (kernel[i] - 1) * dilations[i] + 1;
    if (outPad[i] < 0 || (outPad[i] >= s && outPad[i] >= dilations[i]))
      nodeError(node, `output_padding ${outPad[i]} must be smaller than the stride or the dilation of dim ${i + 2}`);
    const full = (n - 1) * s + outPad[i] + ext;
    let pb: number;
    let pe: number;
    let o: number;
    const distribute = (total: number) => {
      // onnxruntime puts the odd padding element at the start for SAME_LOWER, at the end otherwise.
      pb = autoPad === 'SAME_LOWER' ? total - Math.floor(total / 2) : Math.floor(total / 2);
      pe = total - pb;
    };
    if (outShape) {
      o = outShape[i];
      distribute(Math.max(0, full - o));
    } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      distribute(Math.max(0, full - n * s));
      o = full - pb! - pe!;
    } else {
      pb = autoPad === 'VALID' ? 0 : pads[i];
      pe = autoPad === 'VALID' ? 0 : pads[i + r];
      o = full - pb - pe;
    }
    if (o < 1) nodeError(node, `output dim ${i + 2} would be ${o}; check pads, strides and output_shape`);
    outSpatial.push(o);
    padsBegin.push(pb!);
    padsEnd.push(pe!);
  }
  return { batch, inC, outC, group, inSpatial, outSpatial, kernel, strides, dilations, padsBegin, padsEnd };
}

/** Left-pad per-spatial-dim values to 3 dims (1-D and 2-D run as 3-D with unit leading dims). */
export function to3d(v: readonly number[], fill: number): number[] {
  return [...new Array<number>(3 - v.length).fill(fill), ...v];
}

/** Spatial values as the 2-D kernels see them (1-D convs get a unit height). */
export function to2d(v: readonly number[], fill: number): [number, number] {
  return v.length === 1 ? [fill, v[0]] : [v[0], v[1]];
}

function convInfer(transpose: boolean) {
  return ({ node, inputs }: { node: Node; inputs: (TensorInfo | undefined)[] }): TensorInfo[] => {
    const x = requireInput(node, inputs, 0);
    const w = requireInput(node, inputs, 1);
    const g = transpose ? convTransposeGeometry(node, x, w) : convGeometry(node, x, w);
    if (g.inSpatial.length > 3) nodeError(node, `${g.inSpatial.length} spatial dims are not supported; edgec runs 1-D, 2-D and 3-D ${node.op}`);
    checkBias(node, inputs[2], g.outC, x.dtype);
    return [{ dtype: x.dtype, shape: [g.batch, g.outC, ...g.outSpatial] }];
  };
}

/** Geometry flattened to 3 spatial dims for the reference loops. */
function geom3(g: ConvGeometry) {
  return {
    i: to3d(g.inSpatial, 1), o: to3d(g.outSpatial, 1), k: to3d(g.kernel, 1),
    s: to3d(g.strides, 1), d: to3d(g.dilations, 1), p: to3d(g.padsBegin, 0),
  };
}

/** Valid output (or input) index range [lo, hi) of `n` positions whose coordinate o*s + off falls in [0, len). */
function validRange(n: number, s: number, off: number, len: number): [number, number] {
  const lo = off >= 0 ? 0 : Math.ceil(-off / s);
  const hi = len - 1 - off < 0 ? 0 : Math.floor((len - 1 - off) / s) + 1;
  const a = Math.min(lo, n);
  return [a, Math.max(a, Math.min(hi, n))];
}

function finish(node: Node, dtype: Value['dtype'], shape: number[], acc: Float64Array): Value {
  const out: Value = { dtype, shape, data: allocData(dtype, acc.length) };
  out.data.set(acc);
  applyFusedActivation(node, out);
  return out;
}

/** Float reference of Conv (float32/float64; the integer reference runs it on exact float64 integers). */
export function convReference(node: Node, [xv, wv, bv]: (Value | undefined)[]): Value[] {
  const x = xv as Value;
  const w = wv as Value;
  const g = convGeometry(node, x, w);
  const { i, o, k, s, d, p } = geom3(g);
  const cg = g.inC / g.group;
  const mg = g.outC / g.group;
  const ivol = i[0] * i[1] * i[2];
  const ovol = o[0] * o[1] * o[2];
  const kvol = k[0] * k[1] * k[2];
  const acc = new Float64Array(g.batch * g.outC * ovol);
  const xd = x.data;
  const wd = w.data;
  for (let n = 0; n < g.batch; n++)
    for (let m = 0; m < g.outC; m++) {
      const ybase = (n * g.outC + m) * ovol;
      if (bv) acc.fill(bv.data[m], ybase, ybase + ovol);
      const grp = Math.floor(m / mg);
      for (let c = 0; c < cg; c++) {
        const xbase = (n * g.inC + grp * cg + c) * ivol;
        for (let kd = 0; kd < k[0]; kd++)
          for (let kh = 0; kh < k[1]; kh++)
            for (let kw = 0; kw < k[2]; kw++) {
              const wt = wd[(m * cg + c) * kvol + (kd * k[1] + kh) * k[2] + kw];
              if (wt === 0) continue;
              const [wlo, whi] = validRange(o[2], s[2], kw * d[2] - p[2], i[2]);
              for (let od = 0; od < o[0]; od++) {
                const id = od * s[0] - p[0] + kd * d[0];
                if (id < 0 || id >= i[0]) continue;
                for (let oh = 0; oh < o[1]; oh++) {
                  const ih = oh * s[1] - p[1] + kh * d[1];
                  if (ih < 0 || ih >= i[1]) continue;
                  const yrow = ybase + (od * o[1] + oh) * o[2];
                  const xrow = xbase + (id * i[1] + ih) * i[2] + kw * d[2] - p[2];
                  for (let ow = wlo; ow < whi; ow++) acc[yrow + ow] += wt * xd[xrow + ow * s[2]];
                }
              }
            }
      }
    }
  return [finish(node, x.dtype, [g.batch, g.outC, ...g.outSpatial], acc)];
}

/** Float reference of ConvTranspose (float32/float64). */
export function convTransposeReference(node: Node, [xv, wv, bv]: (Value | undefined)[]): Value[] {
  const x = xv as Value;
  const w = wv as Value;
  const g = convTransposeGeometry(node, x, w);
  const { i, o, k, s, d, p } = geom3(g);
  const cg = g.inC / g.group;
  const og = g.outC / g.group;
  const ivol = i[0] * i[1] * i[2];
  const ovol = o[0] * o[1] * o[2];
  const kvol = k[0] * k[1] * k[2];
  const acc = new Float64Array(g.batch * g.outC * ovol);
  const xd = x.data;
  const wd = w.data;
  for (let n = 0; n < g.batch; n++) {
    if (bv) for (let m = 0; m < g.outC; m++) acc.fill(bv.data[m], (n * g.outC + m) * ovol, (n * g.outC + m + 1) * ovol);
    for (let c = 0; c < g.inC; c++) {
      const grp = Math.floor(c / cg);
      const xbase = (n * g.inC + c) * ivol;
      for (let mo = 0; mo < og; mo++) {
        const ybase = (n * g.outC + grp * og + mo) * ovol;
        for (let kd = 0; kd < k[0]; kd++)
          for (let kh = 0; kh < k[1]; kh++)
            for (let kw = 0; kw < k[2]; kw++) {
              const wt = wd[(c * og + mo) * kvol + (kd * k[1] + kh) * k[2] + kw];
              if (wt === 0) continue;
              const off = kw * d[2] - p[2];
              const [wlo, whi] = validRange(i[2], s[2], off, o[2]);
              for (let id = 0; id < i[0]; id++) {
                const od = id * s[0] - p[0] + kd * d[0];
                if (od < 0 || od >= o[0]) continue;
                for (let ih = 0; ih < i[1]; ih++) {
                  const oh = ih * s[1] - p[1] + kh * d[1];
                  if (oh < 0 || oh >= o[1]) continue;
                  const yrow = ybase + (od * o[1] + oh) * o[2] + off;
                  const xrow = xbase + (id * i[1] + ih) * i[2];
                  for (let iw = wlo; iw < whi; iw++) acc[yrow + iw * s[2]] += wt * xd[xrow + iw];
                }
              }
            }
      }
    }
  }
  return [finish(node, x.dtype, [g.batch, g.outC, ...g.outSpatial], acc)];
}

export const convOps: OpDef[] = [
  {
    op: 'Conv',
    summary: '1-D/2-D/3-D convolution: groups, depthwise, dilations, strides, pads, auto_pad; fused activation',
    infer: convInfer(false),
    reference: convReference,
    quant: 'requant',
    intReference: (node, inputs, outputs) => convIntReference(false, convReference, node, inputs, outputs),
    macs(node, inputs, outputs) {
      const w = inputs[1];
      if (!w || !outputs[0]) return 0;
      return numel(outputs[0].shape) * numel(w.shape.slice(1));
    },
  },
  {
    op: 'ConvTranspose',
    summary: '1-D/2-D/3-D transposed convolution: groups, dilations, strides, pads, output_padding, output_shape; fused activation',
    infer: convInfer(true),
    reference: convTransposeReference,
    quant: 'requant',
    intReference: (node, inputs, outputs) => convIntReference(true, convTransposeReference, node, inputs, outputs),
    macs(node, inputs) {
      const x = inputs[0];
      const w = inputs[1];
      if (!x || !w) return 0;
      return numel(x.shape) * numel(w.shape.slice(1));
    },
  },
];
