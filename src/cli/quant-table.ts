/** The quantization tables printed by `build --quantize` and `inspect --quant`. */
import type { QuantReport } from '../quant/quantize.js';

/** Output SQNR, float islands and the `top` tensors that lose the most (lowest SQNR first). */
export function formatQuantReport(q: QuantReport, top: number): string {
  const lines: string[] = [];
  const ints = q.nodes.filter((n) => n.mode !== 'float').length;
  const wide = q.int16_nodes?.length ? ` (${q.int16_nodes.length} on int16 activations)` : '';
  lines.push(`quantized ${q.scheme} (${q.method} calibration, ${q.samples} samples): ${ints} of ${q.nodes.length} nodes integer${wide}, ${q.float_islands.length} float`);
  for (const o of q.outputs) lines.push(`  output ${o.name}: SQNR ${o.sqnr_db.toFixed(1)} dB against float`);
  const mp = q.mixed_precision;
  if (mp) {
    lines.push(`  mixed precision (min SQNR ${mp.min_sqnr_db ?? '-'} dB, weight budget ${mp.max_weight_bytes ?? '-'} B): ${mp.steps.filter((s) => s.kept && s.precision === 'int16').length} step(s) to int16 activations, ${mp.steps.filter((s) => s.kept && s.precision === 'float').length} layer(s) kept float`);
    if (!mp.reached)
      lines.push(`  warning: the output reaches ${Math.min(...q.outputs.map((o) => o.sqnr_db)).toFixed(1)} dB, below --min-sqnr ${mp.min_sqnr_db} dB, after ${mp.steps.length} steps; name the layers with --int16 or --keep-float (see 'edgec inspect --quant')`);
    for (const s of mp.steps) lines.push(`    ${s.kept ? s.precision.padEnd(5) : 'int8 '} ${s.node} (${s.op}, lost ${s.drop_db} dB${s.precision === 'int16' ? `, tried int16 for ${s.int16_nodes!.join(' ')}` : ''}) -> output ${s.output_sqnr_db} dB, weights ${s.weight_bytes} B`);
  }
  const islands = new Map<string, number>();
  for (const f of q.float_islands) islands.set(`${f.op} (${f.reason ?? 'float'})`, (islands.get(`${f.op} (${f.reason ?? 'float'})`) ?? 0) + 1);
  if (islands.size) lines.push(`  float islands: ${[...islands].map(([k, n]) => `${n}x ${k}`).join(', ')}`);
  const worst = [...q.tensors].sort((a, b) => a.sqnr_db - b.sqnr_db).slice(0, top);
  if (worst.length) {
    lines.push(`  ${'tensor (lowest SQNR first)'.padEnd(40)} ${'scale'.padStart(11)} ${'zp'.padStart(5)} ${'SQNR dB'.padStart(8)}`);
    for (const t of worst) lines.push(`  ${t.tensor.slice(0, 40).padEnd(40)} ${t.scale.toExponential(3).padStart(11)} ${String(t.zero_point).padStart(5)} ${t.sqnr_db.toFixed(1).padStart(8)}`);
  }
  return lines.join('\n');
}
