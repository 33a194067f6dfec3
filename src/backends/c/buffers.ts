/** Which tensors share a buffer (views alias their input; elementwise ops may write over a dying input) and how long each buffer lives. */
import type { Graph, Node } from '../../ir/types.js';
import { getOp } from '../../ops/registry.js';
import type { BufferRequest } from './arena.js';
import { byteSize } from '../../ir/dtype.js';

/** The buffer layout of a graph before placement. */
export interface BufferAssignment {
  /** The tensor whose buffer a tensor uses (itself unless it is a view or written in place). */
  rootOf(t: string): string;
  /** View nodes: their output is their input's bytes, so they emit no code. */
  views: Set<Node>;
  /** Nodes whose output reuses the buffer of the input named here. */
  inPlace: Map<Node, string>;
  /** One request per arena buffer (roots that are neither constants nor graph I/O). */
  requests: BufferRequest[];
}

/**
 * Decide aliasing and lifetimes. `isArena` says whether a tensor lives in the arena (not a constant, not graph I/O);
 * `canRunInPlace(node)` whether the node's lowering tolerates its output pointer equal to an input's of the same
 * dtype and shape (elementwise loops that read element i before writing it).
 */
export function assignBuffers(g: Graph, isArena: (t: string) => boolean, canRunInPlace: (n: Node) => boolean): BufferAssignment {
  const root = new Map<string, string>();
  const rootOf = (t: string): string => root.get(t) ?? t;
  const views = new Set<Node>();
  const inPlace = new Map<Node, string>();
  // Last step reading or writing each tensor, and the tensors sharing each root so far.
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, i) => { for (const x of [...n.inputs, ...n.outputs]) if (x) lastUse.set(x, i); });
  const members = new Map<string, string[]>();
  const join = (t: string, r: string) => {
    root.set(t, r);
    members.set(r, [...(members.get(r) ?? [r]), t]);
  };
  const rootDiesAt = (r: string, i: number) => (members.get(r) ?? [r]).every((t) => (lastUse.get(t) ?? -1) <= i);
  g.nodes.forEach((n, i) => {
    const out = n.outputs[0];
    const y = g.tensors.get(out);
    if (!out || !y || y.data || g.outputs.includes(out)) return;
    const src = n.inputs[0];
    if (getOp(n.op).aliasesInput && src) {
      join(out, rootOf(src));
      views.add(n);
      return;
    }
    if (n.outputs.length !== 1 || !canRunInPlace(n)) return;
    const size = byteSize(y.dtype, y.shape);
    for (const x of n.inputs) {
      const t = x ? g.tensors.get(x) : undefined;
      if (!x || !t || t.dtype !== y.dtype || t.shape.join('x') !== y.shape.join('x') || byteSize(t.dtype, t.shape) !== size) continue;
      const r = rootOf(x);
      if (!isArena(r) || !rootDiesAt(r, i) || n.inputs.filter((k) => k && rootOf(k) === r).length > 1) continue;
      join(out, r);
      inPlace.set(n, x);
      break;
    }
  });
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o && isArena(rootOf(o)) && !first.has(rootOf(o))) first.set(rootOf(o), i);
    for (const x of [...n.inputs, ...n.outputs]) if (x && isArena(rootOf(x))) last.set(rootOf(x), i);
  });
  const requests = [...first.keys()].map((r) => {
    const t = g.tensors.get(r)!;
    return { id: r, bytes: byteSize(t.dtype, t.shape), first: first.get(r)!, last: last.get(r)! };
  });
  return { rootOf, views, inPlace, requests };
}
