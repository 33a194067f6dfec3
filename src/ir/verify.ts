/** IR verifier: structural invariants every pass must keep (run between passes in tests). */
import type { Graph } from './types.js';
import { numel } from './dtype.js';
import { findOp } from '../ops/registry.js';

/** Throw with a list of every broken invariant, or return silently. */
export function verifyGraph(g: Graph, when: string): void {
  const errors: string[] = [];
  const defined = new Set<string>(g.inputs);
  for (const [name, t] of g.tensors) {
    if (t.name !== name) errors.push(`tensor key '${name}' holds tensor named '${t.name}'`);
    if (t.data) {
      defined.add(name);
      if (t.data.length !== numel(t.shape)) errors.push(`constant '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    }
    if (t.shape.some((d) => !Number.isInteger(d) || d < 0)) errors.push(`tensor '${name}' has a bad shape [${t.shape}]`);
  }
  for (const i of g.inputs) if (!g.tensors.has(i)) errors.push(`graph input '${i}' has no tensor`);
  const names = new Set<string>();
  for (const n of g.nodes) {
    if (names.has(n.name)) errors.push(`node name '${n.name}' is used twice`);
    names.add(n.name);
    if (!findOp(n.op)) errors.push(`node '${n.name}' has unknown op '${n.op}'`);
    for (const i of n.inputs) if (i && !defined.has(i)) errors.push(`node '${n.name}' (${n.op}) reads '${i}' before it is defined`);
    for (const o of n.outputs) {
      if (!o) continue;
      if (defined.has(o)) errors.push(`tensor '${o}' is defined twice (node '${n.name}')`);
      if (!g.tensors.has(o)) errors.push(`node '${n.name}' output '${o}' has no type`);
      defined.add(o);
    }
  }
  for (const o of g.outputs) if (!defined.has(o)) errors.push(`graph output '${o}' is never defined`);
  if (errors.length) throw new Error(`IR verifier ${when}:\n  ${errors.slice(0, 20).join('\n  ')}`);
}
