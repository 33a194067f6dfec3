/** Model summaries for `edgec inspect` and the build report: I/O, op counts, params, MACs per layer. */
import type { Graph } from './ir/types.js';
import { numel } from './ir/dtype.js';
import { getOp } from './ops/registry.js';

/** One row per node: name, op, output shape, params (constant input elements) and MACs. */
export interface LayerRow {
  name: string;
  op: string;
  output: string;
  params: number;
  macs: number;
}

/** MACs of one node by its op's cost model. */
function nodeMacs(g: Graph, i: number): number {
  const n = g.nodes[i];
  const def = getOp(n.op);
  if (!def.macs) return 0;
  const ins = n.inputs.map((x) => (x ? g.tensors.get(x) : undefined));
  const outs = n.outputs.map((o) => g.tensors.get(o)!);
  return def.macs(n, ins, outs);
}

/** Per-layer table of a graph whose shapes are inferred. */
export function layerTable(g: Graph): LayerRow[] {
  return g.nodes.map((n, i) => ({
    name: n.name,
    op: n.op + (n.attrs.act?.type === 'string' ? `+${n.attrs.act.value}` : ''),
    output: (g.tensors.get(n.outputs[0])?.shape ?? []).join('x'),
    params: n.inputs.reduce((acc, x) => acc + (x && g.tensors.get(x)?.data ? numel(g.tensors.get(x)!.shape) : 0), 0),
    macs: nodeMacs(g, i),
  }));
}

/** Total MACs of one run. */
export function graphMacs(g: Graph): number {
  return g.nodes.reduce((acc, _, i) => acc + nodeMacs(g, i), 0);
}

/** Human-readable summary: inputs/outputs, op histogram, params, MACs, and the layer table. */
export function formatSummary(g: Graph): string {
  const lines: string[] = [];
  const io = (n: string) => `${n}: ${g.tensors.get(n)!.dtype}[${g.tensors.get(n)!.shape.join('x')}]`;
  lines.push(`model ${g.name} (${g.source})`);
  lines.push(`inputs:  ${g.inputs.map(io).join(', ')}`);
  lines.push(`outputs: ${g.outputs.map(io).join(', ')}`);
  const ops = new Map<string, number>();
  for (const n of g.nodes) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
  lines.push(`ops:     ${[...ops].sort((a, b) => b[1] - a[1]).map(([o, c]) => `${o}×${c}`).join(' ')}`);
  const rows = layerTable(g);
  const params = [...g.tensors.values()].filter((t) => t.data).reduce((a, t) => a + numel(t.shape), 0);
  lines.push(`params:  ${params.toLocaleString('en-US')}   MACs: ${graphMacs(g).toLocaleString('en-US')}`);
  lines.push('');
  const w = Math.min(48, Math.max(4, ...rows.map((r) => r.name.length)));
  lines.push(`${'layer'.padEnd(w)}  ${'op'.padEnd(20)} ${'output'.padEnd(16)} ${'params'.padStart(10)} ${'MACs'.padStart(14)}`);
  for (const r of rows)
    lines.push(`${r.name.slice(0, w).padEnd(w)}  ${r.op.padEnd(20)} ${r.output.padEnd(16)} ${r.params.toLocaleString('en-US').padStart(10)} ${r.macs.toLocaleString('en-US').padStart(14)}`);
  return lines.join('\n');
}
