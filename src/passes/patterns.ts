/** Pattern → rewrite tables (in the manner of tinygrad's PatternMatcher) and the pass that applies them to a fixpoint. */
import type { Graph, Node } from '../ir/types.js';
import { consumers, producers } from '../ir/graph.js';
import type { Pass } from './pass.js';

/** Matches a node by op, and its inputs by sub-patterns. */
export interface Pattern {
  op: string | readonly string[];
  /** Per input: a sub-pattern on its producer, 'const' for a constant tensor, 'any' (or undefined) for anything. */
  inputs?: readonly (Pattern | 'const' | 'any' | undefined)[];
  /** Also match with the two inputs swapped (commutative ops). */
  commutative?: boolean;
  /** Capture the matched node under this name. */
  as?: string;
  /** Allow the matched (non-root) node's output to have other readers. */
  shared?: boolean;
}

/** A successful match: the root node and the captured nodes. */
export interface Match {
  root: Node;
  nodes: Record<string, Node>;
}

/** One rule: a pattern and a rewrite that edits the graph and returns true when it changed something. */
export interface RewriteRule {
  name: string;
  pattern: Pattern;
  rewrite(m: Match, g: Graph): boolean;
}

interface MatchEnv {
  g: Graph;
  prod: Map<string, Node>;
  cons: Map<string, Node[]>;
}

function opMatches(p: Pattern, op: string): boolean {
  return typeof p.op === 'string' ? p.op === op : p.op.includes(op);
}

function matchNode(p: Pattern, n: Node, env: MatchEnv, caps: Record<string, Node>, isRoot: boolean): boolean {
  if (!opMatches(p, n.op)) return false;
  if (!isRoot && !p.shared) {
    const out = n.outputs[0];
    if ((env.cons.get(out)?.length ?? 0) > 1 || env.g.outputs.includes(out)) return false;
  }
  const tryOrder = (order: number[]): boolean => {
    const local: Record<string, Node> = {};
    const ins = p.inputs ?? [];
    for (let k = 0; k < ins.length; k++) {
      const sub = ins[k];
      const name = n.inputs[order[k] ?? k];
      if (sub === undefined || sub === 'any') continue;
      if (sub === 'const') {
        if (!name || !env.g.tensors.get(name)?.data) return false;
        continue;
      }
      const prod = name ? env.prod.get(name) : undefined;
      if (!prod || !matchNode(sub, prod, env, local, false)) return false;
    }
    if (p.as) local[p.as] = n;
    Object.assign(caps, local);
    return true;
  };
  if (tryOrder([0, 1])) return true;
  return !!p.commutative && tryOrder([1, 0]);
}

/** Try a pattern at a root node. */
export function matchAt(p: Pattern, root: Node, g: Graph): Match | undefined {
  const env: MatchEnv = { g, prod: producers(g), cons: consumers(g) };
  const nodes: Record<string, Node> = {};
  return matchNode(p, root, env, nodes, true) ? { root, nodes } : undefined;
}

/** A pass applying a rule table until no rule fires. */
export function rewritePass(name: string, summary: string, rules: readonly RewriteRule[]): Pass {
  return {
    name,
    summary,
    run(g: Graph) {
      for (let changed = true, guard = 0; changed && guard < 100000; guard++) {
        changed = false;
        let env: MatchEnv = { g, prod: producers(g), cons: consumers(g) };
        for (const root of [...g.nodes]) {
          if (!g.nodes.includes(root)) continue;
          for (const rule of rules) {
            const nodes: Record<string, Node> = {};
            if (matchNode(rule.pattern, root, env, nodes, true) && rule.rewrite({ root, nodes }, g)) {
              changed = true;
              env = { g, prod: producers(g), cons: consumers(g) };
              break;
            }
          }
        }
      }
    },
  };
}

/** Remove a node whose single output is replaced by `by` everywhere (graph outputs keep their names by renaming `by`'s producer when possible). */
export function bypassNode(g: Graph, n: Node, by: string): boolean {
  const out = n.outputs[0];
  if (g.outputs.includes(out)) {
    const prod = producers(g).get(by);
    const readers = consumers(g).get(by) ?? [];
    if (!prod || g.outputs.includes(by) || g.inputs.includes(by) || readers.some((r) => r !== n)) return false;
    prod.outputs = prod.outputs.map((o) => (o === by ? out : o));
    g.tensors.delete(by);
  } else {
    for (const m of g.nodes) m.inputs = m.inputs.map((i) => (i === out ? by : i));
    g.tensors.delete(out);
  }
  g.nodes = g.nodes.filter((m) => m !== n);
  return true;
}
