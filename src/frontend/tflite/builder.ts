/**
 * Building the IR graph of a TFLite subgraph, with layouts: a 4-D TFLite tensor (NHWC) may live in the IR as its
 * NCHW permutation, which is what the IR's convolution and pooling ops read. Each tensor has a home layout (where its
 * producer wrote it); a read in the other layout permutes constants at import and inserts one Transpose (or a free
 * Reshape when only unit dims move) for activations, shared by every reader.
 */
import type { Attr, DType, Node, QuantParams, Tensor, Value } from '../../ir/types.js';
import { transposeIsView, transposeValue } from '../../ops/layout.js';
import type { TfliteGraph, TfliteTensor } from './model.js';

/** 'nhwc': the tensor as the TFLite file holds it (any rank); 'nchw': a 4-D tensor permuted to channels-first. */
export type Layout = 'nhwc' | 'nchw';

/** NCHW dim i is NHWC dim TO_NCHW[i]. */
export const TO_NCHW = [0, 3, 1, 2] as const;
/** NHWC dim i is NCHW dim TO_NHWC[i]. */
export const TO_NHWC = [0, 2, 3, 1] as const;

/** Where a TFLite axis of a 4-D tensor lands in `layout`. */
export function axisIn(axis: number, rank: number, layout: Layout): number {
  const a = axis < 0 ? axis + rank : axis;
  return layout === 'nchw' && rank === 4 ? TO_NHWC[a] : a;
}

/** A value's dims permuted (out dim i = in dim perm[i]); quantization axis follows. */
export function permuteQuant(q: QuantParams | undefined, perm: readonly number[]): QuantParams | undefined {
  if (!q || q.axis === undefined) return q;
  return { ...q, axis: perm.indexOf(q.axis) };
}

/** The permutation from a TFLite tensor of `rank` to its IR form in `layout`. */
export function permOf(rank: number, layout: Layout): readonly number[] {
  return layout === 'nchw' && rank === 4 ? TO_NCHW : Array.from({ length: rank }, (_, i) => i);
}

/** The IR graph under construction: tensors, nodes and each TFLite tensor's views by layout. */
export class GraphBuilder {
  readonly tensors = new Map<string, Tensor>();
  readonly nodes: Node[] = [];
  private readonly names: string[];
  private readonly views = new Map<number, Partial<Record<Layout, string>>>();
  private readonly homes = new Map<number, Layout>();
  private readonly nodeNames = new Set<string>();

  constructor(readonly tg: TfliteGraph) {
    const seen = new Set<string>();
    this.names = tg.tensors.map((t) => {
      let n = t.name;
      for (let k = 1; seen.has(n); k++) n = `${t.name}#${k}`;
      seen.add(n);
      return n;
    });
  }

  /** The TFLite tensor behind an index. */
  tensor(t: number): TfliteTensor {
    return this.tg.tensors[t];
  }

  /** Whether a TFLite tensor holds constant data. */
  isConst(t: number): boolean {
    return !!this.tg.tensors[t].data;
  }

  /** The layout a tensor's producer wrote (constants and graph inputs: 'nhwc'). */
  home(t: number): Layout {
    return this.homes.get(t) ?? 'nhwc';
  }

  /** IR shape of a TFLite tensor in a layout. */
  shapeIn(t: number, layout: Layout): number[] {
    const s = this.tensor(t).shape;
    return permOf(s.length, layout).map((p) => s[p]);
  }

  /** Declare the IR tensor written for TFLite tensor `t` in `layout` (its home); returns its IR name. */
  define(t: number, layout: Layout): string {
    const src = this.tensor(t);
    const lay: Layout = src.shape.length === 4 ? layout : 'nhwc';
    const name = this.nameIn(t, lay);
    this.homes.set(t, lay);
    this.setView(t, lay, name);
    this.tensors.set(name, { name, dtype: src.dtype, shape: this.shapeIn(t, lay), quant: permuteQuant(src.quant, permOf(src.shape.length, lay)) });
    return name;
  }

  /** The IR name of TFLite tensor `t` read in `layout`: constants are permuted here, activations by a shared Transpose. */
  view(t: number, layout: Layout): string {
    const src = this.tensor(t);
    const lay: Layout = src.shape.length === 4 ? layout : 'nhwc';
    const have = this.views.get(t)?.[lay];
    if (have) return have;
    const name = this.nameIn(t, lay);
    if (src.data) {
      const perm = permOf(src.shape.length, lay);
      const v = transposeValue({ dtype: src.dtype, shape: src.shape, data: src.data }, perm);
      this.tensors.set(name, { name, ...v, quant: permuteQuant(src.quant, perm) });
    } else {
      const from = this.home(t);
      const fromName = this.views.get(t)?.[from];
      if (!fromName) throw new Error(`internal: TFLite tensor ${t} '${src.name}' is read before it is written`);
      this.tensors.set(name, { name, dtype: src.dtype, shape: this.shapeIn(t, lay), quant: permuteQuant(src.quant, permOf(src.shape.length, lay)) });
      this.permute(fromName, name, lay === 'nchw' ? TO_NCHW : TO_NHWC);
    }
    this.setView(t, lay, name);
    return name;
  }

  /** A constant TFLite tensor permuted (out dim i = in dim perm[i]) with its quantization axis: weights in the IR op's layout. */
  permuted(t: number, perm: readonly number[], stem: string): string {
    const src = this.tensor(t);
    if (!src.data) throw new Error(`internal: TFLite tensor ${t} '${src.name}' is not constant`);
    const v = transposeValue({ dtype: src.dtype, shape: src.shape, data: src.data }, perm);
    return this.constant(`${this.names[t]}:${stem}`, v, permuteQuant(src.quant, perm));
  }

  /**
   * TFLite tensor `t` broadcast against a result of rank `rank` in `layout` (TFLite aligns trailing dims): a
   * lower-rank operand becomes rank-`rank` NHWC with leading unit dims, then the layout's permutation.
   */
  broadcastView(t: number, rank: number, layout: Layout): string {
    const src = this.tensor(t);
    const r = src.shape.length;
    if (r === rank || layout === 'nhwc' || rank !== 4) return this.view(t, layout);
    const lead = rank - r;
    const full = [...new Array<number>(lead).fill(1), ...src.shape];
    const q = src.quant?.axis === undefined ? src.quant : { ...src.quant, axis: src.quant.axis + lead };
    if (src.data) {
      const v = transposeValue({ dtype: src.dtype, shape: full, data: src.data }, TO_NCHW);
      return this.constant(`${this.names[t]}:bcast`, v, permuteQuant(q, TO_NCHW));
    }
    const flat = this.temp(`${this.names[t]}:rank${rank}`, src.dtype, full, q);
    this.reshape(this.view(t, 'nhwc'), flat, full);
    const out = this.temp(`${this.names[t]}:bcast`, src.dtype, TO_NCHW.map((p) => full[p]), permuteQuant(q, TO_NCHW));
    this.permute(flat, out, TO_NCHW);
    return out;
  }

  /** Register a graph input (TFLite layout). */
  input(t: number): string {
    return this.define(t, 'nhwc');
  }

  /** Emit `to = transpose(from, perm)`: a Reshape when only unit dims move, else a Transpose. */
  permute(from: string, to: string, perm: readonly number[]): void {
    const x = this.tensors.get(from)!;
    if (transposeIsView(x.shape, perm)) this.reshape(from, to, perm.map((p) => x.shape[p]));
    else this.add('Transpose', [from], [to], { perm: { type: 'ints', value: [...perm] } });
  }

  /** Emit `to = reshape(from, shape)` (an aliasing view). */
  reshape(from: string, to: string, shape: readonly number[]): void {
    const s = this.constant(`${to}/shape`, { dtype: 'int64', shape: [shape.length], data: Float64Array.from(shape) });
    this.add('Reshape', [from, s], [to]);
  }

  /** A new IR tensor (intermediate of an op's expansion); returns its name. */
  temp(stem: string, dtype: DType, shape: number[], quant?: QuantParams): string {
    const name = this.unique(stem, (n) => this.tensors.has(n));
    this.tensors.set(name, { name, dtype, shape, quant });
    return name;
  }

  /** A new constant IR tensor; returns its name. */
  constant(stem: string, v: Value, quant?: QuantParams): string {
    const name = this.unique(stem, (n) => this.tensors.has(n));
    this.tensors.set(name, { name, dtype: v.dtype, shape: [...v.shape], data: v.data, quant });
    return name;
  }

  /** Append a node. */
  add(op: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}): Node {
    const name = this.unique(outputs[0] ?? op, (n) => this.nodeNames.has(n));
    this.nodeNames.add(name);
    const node: Node = { name, op, inputs, outputs, attrs };
    this.nodes.push(node);
    return node;
  }

  private nameIn(t: number, layout: Layout): string {
    return layout === 'nchw' ? `${this.names[t]}:nchw` : this.names[t];
  }

  private setView(t: number, layout: Layout, name: string): void {
    this.views.set(t, { ...this.views.get(t), [layout]: name });
  }

  private unique(stem: string, taken: (n: string) => boolean): string {
    if (!taken(stem)) return stem;
    for (let k = 1; ; k++) if (!taken(`${stem}_${k}`)) return `${stem}_${k}`;
  }
}
