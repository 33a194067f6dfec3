/** Text form of the IR, used by `edgec inspect` and pass tests. */
import type { Attr, Graph } from './types.js';

function attrText(a: Attr): string {
  switch (a.type) {
    case 'ints': case 'floats': return `[${a.value.join(',')}]`;
    case 'strings': return `[${a.value.map((s) => JSON.stringify(s)).join(',')}]`;
    case 'string': return JSON.stringify(a.value);
    case 'tensor': return `tensor<${a.value.dtype}[${a.value.shape.join('x')}]>`;
    default: return String(a.value);
  }
}

/** One line per node: `%out:dtype[shape] = Op(%in, ...) {attrs}  # name`, preceded by inputs and followed by outputs. */
export function printGraph(g: Graph): string {
  const ty = (n: string) => {
    const t = g.tensors.get(n);
    if (!t) return `%${n}`;
    return `%${n}:${t.dtype}[${t.shape.join('x')}]${t.data ? '=const' : ''}`;
  };
  const lines = [`graph ${g.name} (${g.inputs.map(ty).join(', ')}) {`];
  for (const n of g.nodes) {
    const attrs = Object.entries(n.attrs).map(([k, v]) => `${k}=${attrText(v)}`).join(', ');
    const ins = n.inputs.map((i) => (i ? `%${i}` : '_')).join(', ');
    lines.push(`  ${n.outputs.map(ty).join(', ')} = ${n.op}(${ins})${attrs ? ` {${attrs}}` : ''}  # ${n.name}`);
  }
  lines.push(`  return ${g.outputs.map(ty).join(', ')}`);
  lines.push('}');
  return lines.join('\n');
}
