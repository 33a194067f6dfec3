/** Identity and Dropout (inference) removal, and arithmetic that leaves its input unchanged (x*1, x/1, x+0, x-0). */
import type { Graph, Node } from '../ir/types.js';
import { constValue } from '../ir/graph.js';
import { bypassNode, rewritePass, type RewriteRule } from './patterns.js';

/** Bypass `n` when its constant operand is all `unit` and the other operand already has the output's type and shape. */
function dropUnit(g: Graph, n: Node, unit: number, constIndex?: number): boolean {
  const k = constIndex ?? n.inputs.findIndex((i) => constValue(g, i));
  const c = k >= 0 ? constValue(g, n.inputs[k]) : undefined;
  const x = g.tensors.get(n.inputs[1 - k]);
  const y = g.tensors.get(n.outputs[0]);
  if (!c || !x || !y || x.data || !c.data.every((v) => v === unit)) return false;
  if (x.dtype !== y.dtype || x.shape.join('x') !== y.shape.join('x')) return false;
  return bypassNode(g, n, n.inputs[1 - k]);
}

/** x op unit → x for one op; `right` when only the second operand may be the unit (Div, Sub). */
const unitRule = (op: string, unit: number, right: boolean): RewriteRule => ({
  name: `${op.toLowerCase()}-by-${unit}`,
  pattern: { op, commutative: !right, inputs: ['any', 'const'] },
  rewrite: (m, g) => dropUnit(g, m.root, unit, right ? 1 : undefined),
});

export const removeIdentity = rewritePass('remove-identity', 'drop Identity, inference-mode Dropout and x*1, x/1, x+0, x-0', [
  { name: 'identity', pattern: { op: ['Identity', 'Dropout'] }, rewrite: (m, g) => bypassNode(g, m.root, m.root.inputs[0]) },
  unitRule('Mul', 1, false),
  unitRule('Div', 1, true),
  unitRule('Add', 0, false),
  unitRule('Sub', 0, true),
]);
