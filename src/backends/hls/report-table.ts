/** The FPGA estimate as the text table `edgec build` prints. */
import type { HlsReport } from './emit.js';

/** Per-layer resources and latency, then totals against the device. */
export function formatHlsReport(r: HlsReport, maxRows = 12): string {
  const rows = [...r.layers].sort((a, b) => b.dsp - a.dsp || b.latency_cycles - a.latency_cycles).slice(0, maxRows);
  const lines = [`FPGA estimate for ${r.part} at ${r.clock_mhz} MHz (top ${r.top}, reuse ${r.reuse_source}); ${rows.length} of ${r.layers.length} layers, most DSPs first`];
  lines.push(`${'layer'.padEnd(22)} ${'op'.padEnd(18)} ${'MACs'.padStart(10)} ${'reuse'.padStart(6)} ${'DSP'.padStart(6)} ${'BRAM18'.padStart(7)} ${'cycles'.padStart(9)} ${'II'.padStart(5)}  channel`);
  for (const l of rows)
    lines.push(`${l.layer.slice(0, 22).padEnd(22)} ${l.op.slice(0, 18).padEnd(18)} ${String(l.macs).padStart(10)} ${String(l.reuse ?? '-').padStart(6)} ${String(l.dsp).padStart(6)} ${String(l.bram18_weights + l.bram18_buffers).padStart(7)} ${String(l.latency_cycles).padStart(9)} ${String(l.ii_cycles).padStart(5)}  ${l.channel}`);
  const t = r.totals;
  lines.push(`total: DSP ${t.dsp}/${r.device.dsp} (${r.utilization.dsp}%), BRAM18 ${t.bram18}/${r.device.bram18} (${r.utilization.bram18}%), URAM ${t.uram}/${r.device.uram}, LUT ~${t.lut}/${r.device.lut} (${r.utilization.lut}%)`);
  lines.push(`latency ${t.latency_cycles} cycles = ${t.latency_us} us; interval ${t.interval_cycles} cycles = ${t.throughput_fps} frames/s; zero weights save ${r.dsp_saved_by_zero_weights} DSP`);
  return lines.join('\n');
}
