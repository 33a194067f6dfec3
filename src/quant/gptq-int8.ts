/**
 * GPTQ for int8 per-output-channel convolution weights: the symmetric scales stay those of round-to-nearest (max |w| /
 * 127 per channel); only the rounding changes, each input row's error pushed onto the rows not yet quantized through the
 * upper Cholesky factor of H^-1 (Frantar et al. 2022), where H = 2 sum p p^T over the im2col patches p of the layer's
 * float input on the calibration set. Correlated inputs (a large common component that the weights cancel) are
 * where round-to-nearest loses most and GPTQ recovers most.
 */
import type { Graph, Node, QuantParams, Value } from '../ir/types.js';
import { attrInt } from '../ir/attrs.js';
import { runReference } from '../interp/reference.js';
import { convGeometry, to3d } from '../ops/conv.js';
import { hinvFactor } from './gptq.js';
import { syrkLower } from './linalg64.js';
import { weightParams } from './params.js';
import { roundHalfEven } from './fixed-point.js';

/** Patches folded into H per block (a K x ROWS buffer per group). */
const ROWS = 64;

/** Output positions sampled per calibration sample and layer (evenly spaced): H needs a few times K rows, not all. */
const MAX_ROWS = 2048;

/** H = 2 sum p p^T of a Conv's input patches, one K x K matrix per group (K = C/group * kernel volume). */
export class ConvHessian {
  readonly k: number;
  readonly h: Float64Array[];
  rows = 0;
  private readonly xt: Float64Array[];
  private pending = 0;

  constructor(private readonly node: Node, private readonly wShape: readonly number[], readonly group: number) {
    this.k = wShape.slice(1).reduce((a, b) => a * b, 1);
    this.h = Array.from({ length: group }, () => new Float64Array(this.k * this.k));
    this.xt = Array.from({ length: group }, () => new Float64Array(this.k * ROWS));
  }

  /** Add the patches of one input value (evenly sampled output positions). */
  add(x: Value): void {
    const g = convGeometry(this.node, x, { dtype: 'float32', shape: [...this.wShape] });
    const i = to3d(g.inSpatial, 1), o = to3d(g.outSpatial, 1), kk = to3d(g.kernel, 1);
    const s = to3d(g.strides, 1), d = to3d(g.dilations, 1), p = to3d(g.padsBegin, 0);
    const cg = g.inC / g.group;
    const ivol = i[0] * i[1] * i[2];
    const kvol = kk[0] * kk[1] * kk[2];
    const positions = g.batch * o[0] * o[1] * o[2];
    const step = Math.max(1, Math.ceil(positions / MAX_ROWS));
    for (let pos = Math.floor(step / 2); pos < positions; pos += step) {
      let r = pos;
      const ow = r % o[2]; r = (r - ow) / o[2];
      const oh = r % o[1]; r = (r - oh) / o[1];
      const od = r % o[0];
      const n = (r - od) / o[0];
      for (let grp = 0; grp < g.group; grp++) {
        const xt = this.xt[grp];
        for (let c = 0; c < cg; c++) {
          const xbase = (n * g.inC + grp * cg + c) * ivol;
          for (let a = 0; a < kk[0]; a++)
            for (let b = 0; b < kk[1]; b++)
              for (let e = 0; e < kk[2]; e++) {
                const id = od * s[0] - p[0] + a * d[0], ih = oh * s[1] - p[1] + b * d[1], iw = ow * s[2] - p[2] + e * d[2];
                const inside = id >= 0 && id < i[0] && ih >= 0 && ih < i[1] && iw >= 0 && iw < i[2];
                xt[(c * kvol + (a * kk[1] + b) * kk[2] + e) * ROWS + this.pending] = inside ? x.data[xbase + (id * i[1] + ih) * i[2] + iw] : 0;
              }
        }
      }
      this.rows++;
      if (++this.pending === ROWS) this.flush();
    }
  }

  private flush(): void {
    if (this.pending) this.h.forEach((h, grp) => syrkLower(h, this.k, 0, this.xt[grp], this.k, this.pending, 2, ROWS));
    this.pending = 0;
  }

  /** The finished symmetric matrices (call once, after the last add). */
  finish(): Float64Array[] {
    this.flush();
    const k = this.k;
    for (const h of this.h) for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) h[b * k + a] = h[a * k + b];
    return this.h;
  }
}

/**
 * int8 codes of w ([K][N]: input rows, output columns) with fixed per-column scales, by GPTQ against H ([K][K]);
 * rows in order of decreasing H diagonal (act-order), codes saturate to [-128, 127].
 */
export function gptqFixedScale(w: Float64Array, k: number, n: number, hessian: Float64Array, scales: ArrayLike<number>, damp = 0.01): Int8Array {
  const perm = Int32Array.from({ length: k }, (_, i) => i).sort((a, b) => hessian[b * k + b] - hessian[a * k + a] || a - b);
  const u = hinvFactor(hessian, k, perm, damp);
  const W = new Float64Array(k * n);
  for (let i = 0; i < k; i++) W.set(w.subarray(perm[i] * n, perm[i] * n + n), i * n);
  const codes = new Int8Array(k * n);
  const e = new Float64Array(n);
  for (let i = 0; i < k; i++) {
    const d = u[i * k + i];
    for (let j = 0; j < n; j++) {
      const s = scales[j];
      const q = Math.max(-128, Math.min(127, roundHalfEven(W[i * n + j] / s)));
      codes[perm[i] * n + j] = q;
      e[j] = (W[i * n + j] - q * s) / d;
    }
    for (let i2 = i + 1; i2 < k; i2++) {
      const c = u[i * k + i2];
      if (c === 0) continue;
      for (let j = 0; j < n; j++) W[i2 * n + j] -= c * e[j];
    }
  }
  return codes;
}

/** A Conv weight W [M, C/group, k...] quantized per output channel by GPTQ with one Hessian per group. */
export function gptqConvWeight(w: Value, hessians: Float64Array[]): { data: Int8Array; quant: QuantParams } {
  const quant = weightParams(w, 0);
  const m = w.shape[0];
  const k = w.data.length / m;
  const mg = m / hessians.length;
  const data = new Int8Array(w.data.length);
  hessians.forEach((h, grp) => {
    // Columns of this group: W^T restricted to output channels [grp * mg, (grp + 1) * mg).
    const wt = new Float64Array(k * mg);
    for (let j = 0; j < mg; j++) for (let i = 0; i < k; i++) wt[i * mg + j] = w.data[(grp * mg + j) * k + i];
    const codes = gptqFixedScale(wt, k, mg, h, Array.from({ length: mg }, (_, j) => quant.scale[grp * mg + j]));
    for (let j = 0; j < mg; j++) for (let i = 0; i < k; i++) data[(grp * mg + j) * k + i] = codes[i * mg + j];
  });
  return { data, quant };
}

/** GPTQ int8 codes of every float Conv weight of `g` (by weight tensor name), from the Hessians of its inputs over `feeds`. */
export function gptqConvWeights(g: Graph, feeds: Record<string, Value>[]): Map<string, { data: Int8Array; quant: QuantParams }> {
  const byInput = new Map<string, { w: string; h: ConvHessian }[]>();
  for (const n of g.nodes) {
    const w = g.tensors.get(n.inputs[1] ?? '');
    if (n.op !== 'Conv' || !w?.data || w.dtype !== 'float32' || g.tensors.get(n.inputs[0])?.dtype !== 'float32') continue;
    byInput.set(n.inputs[0], [...(byInput.get(n.inputs[0]) ?? []), { w: w.name, h: new ConvHessian(n, w.shape, attrInt(n, 'group', 1)) }]);
  }
  for (const f of feeds) {
    for (const name of g.inputs) byInput.get(name)?.forEach((e) => e.h.add(f[name]));
    runReference(g, f, (name, v) => byInput.get(name)?.forEach((e) => e.h.add(v)));
  }
  const out = new Map<string, { data: Int8Array; quant: QuantParams }>();
  for (const list of byInput.values()) for (const { w, h } of list) if (!out.has(w)) out.set(w, gptqConvWeight(g.tensors.get(w) as Value, h.finish()));
  return out;
}
