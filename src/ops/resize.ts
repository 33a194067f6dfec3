/** Resize: nearest (any axes), linear and cubic (last two axes), with ONNX coordinate transformation modes. */
import type { Node, TensorInfo, Value } from '../ir/types.js';
import { attrFloat, attrFloats, attrInt, attrInts, attrString } from '../ir/attrs.js';
import { numel } from '../ir/dtype.js';
import type { OpDef } from './registry.js';
import { makeValue, nodeError, requireInput } from './util.js';
import { remapValue, type AxisMaps } from './layout.js';
import { sameForm, withIntForms, type IntForm } from './qform.js';

const f32 = Math.fround;

const MODES = ['nearest', 'linear', 'cubic'];
const COORD_MODES = ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel', 'half_pixel_symmetric', 'tf_half_pixel_for_nn'];
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

/** Everything a Resize node means for a given input shape. */
export interface ResizeSpec {
  mode: 'nearest' | 'linear' | 'cubic';
  coord: string;
  nearest: string;
  cubicA: number;
  excludeOutside: boolean;
  inShape: number[];
  outShape: number[];
  /** Float32 scale per axis, as onnxruntime computes it. */
  scales: number[];
}

/** Read and validate a Resize node's attributes against its input type. */
export function resizeSpec(node: Node, x: TensorInfo): ResizeSpec {
  const mode = attrString(node, 'mode', 'nearest');
  const coord = attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  const nearest = attrString(node, 'nearest_mode', 'round_prefer_floor');
  if (!MODES.includes(mode)) nodeError(node, `mode '${mode}' is not supported; use ${MODES.join(', ')}`);
  if (!COORD_MODES.includes(coord)) nodeError(node, `coordinate_transformation_mode '${coord}' is not supported; use ${COORD_MODES.join(', ')}`);
  if (!NEAREST_MODES.includes(nearest)) nodeError(node, `nearest_mode '${nearest}' is not supported; use ${NEAREST_MODES.join(', ')}`);
  const inShape = [...x.shape];
  const r = inShape.length;
  const sizes = attrInts(node, 'sizes');
  const scalesAttr = attrFloats(node, 'scales');
  let outShape: number[];
  let scales: number[];
  if (sizes) {
    if (sizes.length !== r) nodeError(node, `sizes has ${sizes.length} values for rank ${r}; give one per axis`);
    outShape = [...sizes];
    scales = sizes.map((s, i) => (inShape[i] === 0 ? 1 : f32(f32(s) / f32(inShape[i]))));
  } else if (scalesAttr) {
    if (scalesAttr.length !== r) nodeError(node, `scales has ${scalesAttr.length} values for rank ${r}; give one per axis`);
    scales = scalesAttr.map((s) => f32(s));
    if (scales.some((s) => !(s > 0))) nodeError(node, `scales [${scalesAttr.join(',')}] must be positive`);
    outShape = inShape.map((d, i) => Math.floor(f32(scales[i] * d)));
  } else {
    nodeError(node, `needs a constant 'scales' or 'sizes'`);
  }
  if (mode !== 'nearest') {
    if (x.dtype !== 'float32' && x.dtype !== 'float64') nodeError(node, `${mode} mode needs float input, got ${x.dtype}; use nearest or Cast to float`);
    for (let i = 0; i < r - 2; i++)
      if (outShape[i] !== inShape[i] || scales[i] !== 1)
        nodeError(node, `${mode} mode resizes only the last two axes, but axis ${i} changes (${inShape[i]} -> ${outShape[i]}); use scale 1 there`);
  }
  return {
    mode: mode as ResizeSpec['mode'],
    coord,
    nearest,
    cubicA: f32(attrFloat(node, 'cubic_coeff_a', -0.75)),
    excludeOutside: attrInt(node, 'exclude_outside', 0) !== 0,
    inShape,
    outShape,
    scales,
  };
}

/** Input coordinate of output index `x` along one axis, in onnxruntime's float32 arithmetic. */
export function originalCoord(spec: ResizeSpec, x: number, scale: number, inDim: number, outDim: number): number {
  switch (spec.coord) {
    case 'asymmetric':
      return f32(x / scale);
    case 'pytorch_half_pixel':
      return outDim > 1 ? f32(f32(f32(x + 0.5) / scale) - 0.5) : 0;
    case 'tf_half_pixel_for_nn':
      return f32(f32(x + 0.5) / scale);
    case 'align_corners':
      return outDim === 1 ? 0 : f32(f32(x * (inDim - 1)) / (outDim - 1));
    case 'half_pixel_symmetric': {
      const adjustment = f32(outDim / f32(scale * inDim));
      const offset = f32((inDim / 2) * f32(1 - adjustment));
      return f32(offset + (x + 0.5) / scale - 0.5);
    }
    default:
      return f32(f32(f32(x + 0.5) / scale) - 0.5);
  }
}

/** Nearest source index for a float coordinate under the node's nearest_mode, clamped to the axis. */
function nearestIndex(spec: ResizeSpec, c: number, inDim: number): number {
  let i: number;
  switch (spec.nearest) {
    case 'floor': i = Math.floor(c); break;
    case 'ceil': i = Math.ceil(c); break;
    case 'round_prefer_ceil': i = c < 0 ? -Math.round(-c) : Math.round(c); break;
    default: i = c === Math.trunc(c) + 0.5 ? Math.floor(c) : c < 0 ? -Math.round(-c) : Math.round(c);
  }
  return Math.min(Math.max(i, 0), inDim - 1);
}

/** Nearest-mode source maps for every axis (null where the axis is unchanged). */
export function nearestMaps(spec: ResizeSpec): AxisMaps {
  return spec.inShape.map((inDim, a) => {
    const outDim = spec.outShape[a];
    const m = new Int32Array(outDim);
    let identity = outDim === inDim;
    for (let j = 0; j < outDim; j++) {
      m[j] = nearestIndex(spec, originalCoord(spec, j, spec.scales[a], inDim, outDim), inDim);
      if (m[j] !== j) identity = false;
    }
    return identity ? null : m;
  });
}

/** Interpolation taps along one axis: `k` source indices and weights per output index. */
export interface AxisTaps {
  k: number;
  idx: Int32Array;
  w: Float64Array;
}

/** Cubic convolution weights for fractional offset r (ONNX formula with coefficient a). */
function cubicCoeffs(r: number, a: number): number[] {
  const s = Math.abs(r);
  return [
    ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a,
    ((a + 2) * s - (a + 3)) * s * s + 1,
    ((a + 2) * (1 - s) - (a + 3)) * (1 - s) * (1 - s) + 1,
    ((a * (2 - s) - 5 * a) * (2 - s) + 8 * a) * (2 - s) - 4 * a,
  ];
}

/** Linear (2 taps) or cubic (4 taps) interpolation along one axis. */
export function axisTaps(spec: ResizeSpec, axis: number): AxisTaps {
  const inDim = spec.inShape[axis];
  const outDim = spec.outShape[axis];
  const k = spec.mode === 'cubic' ? 4 : 2;
  const idx = new Int32Array(outDim * k);
  const w = new Float64Array(outDim * k);
  for (let j = 0; j < outDim; j++) {
    const c = originalCoord(spec, j, spec.scales[axis], inDim, outDim);
    if (k === 2) {
      const x = Math.min(Math.max(c, 0), inDim - 1);
      const x1 = Math.min(Math.floor(x), inDim - 1);
      const x2 = Math.min(x1 + 1, inDim - 1);
      const d = x - x1;
      idx[2 * j] = x1;
      idx[2 * j + 1] = x2;
      w[2 * j] = 1 - d;
      w[2 * j + 1] = d;
      continue;
    }
    const base = Math.floor(c);
    const coeffs = cubicCoeffs(c - base, spec.cubicA);
    let sum = 0;
    for (let t = 0; t < 4; t++) {
      const s = base - 1 + t;
      const outside = s < 0 || s >= inDim;
      if (spec.excludeOutside && outside) coeffs[t] = 0;
      sum += coeffs[t];
      idx[4 * j + t] = Math.min(Math.max(s, 0), inDim - 1);
    }
    for (let t = 0; t < 4; t++) w[4 * j + t] = spec.excludeOutside && sum !== 0 ? coeffs[t] / sum : coeffs[t];
  }
  return { k, idx, w };
}

/** Taps of the two resized axes (the H axis is a unit axis for rank-1 input). */
export function planeTaps(spec: ResizeSpec): { planes: number; ih: number; iw: number; oh: number; ow: number; y: AxisTaps; x: AxisTaps } {
  const r = spec.inShape.length;
  const unit: AxisTaps = { k: 1, idx: Int32Array.of(0), w: Float64Array.of(1) };
  return {
    planes: numel(spec.inShape.slice(0, Math.max(0, r - 2))),
    ih: r >= 2 ? spec.inShape[r - 2] : 1,
    iw: spec.inShape[r - 1],
    oh: r >= 2 ? spec.outShape[r - 2] : 1,
    ow: spec.outShape[r - 1],
    y: r >= 2 ? axisTaps(spec, r - 2) : unit,
    x: axisTaps(spec, r - 1),
  };
}

/** Separable linear/cubic reference in double precision. */
function interpolate(spec: ResizeSpec, x: Value): Value {
  const out = makeValue(x.dtype, [...spec.outShape]);
  const t = planeTaps(spec);
  const tmp = new Float64Array(t.ih * t.ow);
  for (let p = 0; p < t.planes; p++) {
    const src = p * t.ih * t.iw;
    for (let r = 0; r < t.ih; r++)
      for (let j = 0; j < t.ow; j++) {
        let acc = 0;
        for (let k = 0; k < t.x.k; k++) acc += t.x.w[j * t.x.k + k] * x.data[src + r * t.iw + t.x.idx[j * t.x.k + k]];
        tmp[r * t.ow + j] = acc;
      }
    const dst = p * t.oh * t.ow;
    for (let i = 0; i < t.oh; i++)
      for (let j = 0; j < t.ow; j++) {
        let acc = 0;
        for (let k = 0; k < t.y.k; k++) acc += t.y.w[i * t.y.k + k] * tmp[t.y.idx[i * t.y.k + k] * t.ow + j];
        out.data[dst + i * t.ow + j] = acc;
      }
  }
  return out;
}

/** Integer Resize: nearest mode only, which selects input values and so keeps the input's parameters. */
function resizeIntForm(def: OpDef): IntForm {
  const same = sameForm(def);
  return {
    quant: 'same',
    intReference(node, inputs, outputs) {
      const spec = resizeSpec(node, inputs[0]!);
      if (spec.mode !== 'nearest') nodeError(node, `${spec.mode} mode has no integer kernel; resize in float or use nearest`);
      return same.intReference!(node, inputs, outputs);
    },
  };
}

/** The Resize op (Upsample imports as Resize too). */
const resizeDefs: OpDef[] = [
  {
    op: 'Resize',
    summary: 'nearest/linear/cubic resize with constant scales or sizes',
    infer({ node, inputs }) {
      const x = requireInput(node, inputs, 0);
      return [{ dtype: x.dtype, shape: resizeSpec(node, x).outShape }];
    },
    reference(node, [x]) {
      const spec = resizeSpec(node, x!);
      if (!numel(spec.outShape)) return [makeValue(x!.dtype, spec.outShape)];
      if (spec.mode === 'nearest') return [remapValue(x!, { outShape: spec.outShape, maps: nearestMaps(spec) })];
      return [interpolate(spec, x!)];
    },
  },
];

/** Resize with its integer form. */
export const resizeOps: OpDef[] = withIntForms(resizeDefs, { Resize: resizeIntForm });
