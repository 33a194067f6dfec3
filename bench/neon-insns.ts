/** `npm run bench -- --neon`: dynamic aarch64 instructions per inference under qemu (a TCG plugin counts them) for
 * the NEON artifact (vector-vocabulary kernels) against the portable C artifact compiled for aarch64 at -O3, float
 * and int8, and instructions per MAC on the convolution layers against the ideal (one FMLA = 4 float MACs, one
 * SDOT = 16 int8 MACs). Wall time under emulation means nothing; instruction counts are deterministic. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/ops/index.js';
import type { Graph, Value } from '../src/ir/types.js';
import { compileGraph, cTargetFacts } from '../src/build.js';
import { emitC } from '../src/backends/c/emit.js';
import { VECTOR_VOCABS } from '../src/backends/c/vector-vocab.js';
import { getTarget, type Target } from '../src/targets/targets.js';
import { runnerFor } from '../src/runners/runner.js';
import { qemuCommand, qemuExecutable } from '../src/runners/qemu.js';
import { runProgram } from '../src/runners/native.js';
import { layerTable } from '../src/inspect.js';
import { compareValues } from '../src/verify/metrics.js';
import { randomInputs } from '../src/verify/verify.js';
import { run } from '../src/util/exec.js';
import { writeNpy } from '../src/util/npy.js';

/** A model to count: file, input shapes, the timed input and calibration samples for int8. */
export interface NeonCase {
  name: string;
  file: string;
  shapes: Record<string, number[]>;
  /** The inference's inputs; seeded random when absent. */
  input?: Value[];
  calib?: () => Value[];
}

/** Instruction counts of one inference: all, the MAC instruction classes, and per layer (node index). */
interface Counts { insns: number; fmla: number; sdot: number; smull: number; sadalp: number; layers: Map<number, number> }

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Build the counting plugin with the host compiler into a temporary folder; returns the .so path. */
export async function buildPlugin(dir: string): Promise<string> {
  const so = path.join(dir, 'libinsncount.so');
  const r = await run('gcc', ['-shared', '-fPIC', '-O2', path.join(HERE, 'qemu-insn-count.c'), '-o', so]);
  if (r.code !== 0) throw new Error(`building the qemu counting plugin failed:\n${r.stderr}`);
  return so;
}

/** The A64 word of `movz xzr, #id`: a no-op the counting plugin reads as "layer id starts" (0: outside layers). */
const markerWord = (id: number) => `0x${((0xd280001f | (id << 5)) >>> 0).toString(16)}`;

/** Put layer markers around every layer block of model.c (blocks are introduced by the emitter's `name: Op` comment);
 * marker id = node index + 1. */
function markLayers(src: string, g: Graph): string {
  const index = new Map(g.nodes.map((n, i) => [n.name.replace(/\*\//g, '* /'), i]));
  const mark = (id: number) => `    __asm__ volatile(".inst ${markerWord(id)}" ::: "memory");`;
  const lines = src.split('\n');
  const out: string[] = [];
  let open = false;
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    const m = /^ {2}\/\* (.*): \w+ -> \[[\dx]*\] \*\/$/.exec(lines[i]);
    const id = m ? index.get(m[1]) : undefined;
    if (id !== undefined && lines[i + 1] === '  {') {
      out.push(lines[++i], mark(id + 1));
      open = true;
    } else if (open && lines[i + 1] === '  }') {
      out.push(mark(0));
      open = false;
    }
  }
  return out.join('\n');
}

/** Emit the graph for `target` with layer markers, cross-compile it; returns the aarch64 executable. */
export async function buildMarked(g: Graph, dir: string, target: Target): Promise<string> {
  fs.rmSync(dir, { recursive: true, force: true });
  const art = emitC(g, { prefix: 'model', target: cTargetFacts(target) });
  for (const [name, text] of art.files) {
    const f = path.join(dir, name);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, name === 'model.c' ? markLayers(text, g) : text);
  }
  return qemuExecutable(await runnerFor(target).build(dir, 'model', target));
}

/** Counts of exactly one inference: a run with --repeat 1 (two inferences) minus a plain run (one). */
export async function countOne(target: Target, exe: string, plugin: string, g: Graph, input: Value[]): Promise<{ counts: Counts; outputs: Value[] }> {
  const outs = g.outputs.map((n) => g.tensors.get(n)!);
  const once = async (repeat: number) => {
    const log = path.join(path.dirname(exe), `count-${repeat}.txt`);
    const res = await runProgram(qemuCommand(target, exe, ['-plugin', plugin, '-d', 'plugin', '-D', log]), input, outs, { repeat });
    const text = fs.readFileSync(log, 'utf8');
    const num = (k: string) => Number(new RegExp(`${k} (\\d+)`).exec(text)?.[1] ?? NaN);
    const layers = new Map([...text.matchAll(/^layer (\d+) (\d+)$/gm)].map((m) => [Number(m[1]) - 1, Number(m[2])]));
    const counts: Counts = { insns: num('insns'), fmla: num('fmla'), sdot: num('sdot'), smull: num('smull'), sadalp: num('sadalp'), layers };
    return { counts, outputs: res.outputs };
  };
  const a = await once(0);
  const b = await once(1);
  const d = (k: Exclude<keyof Counts, 'layers'>) => b.counts[k] - a.counts[k];
  const layers = new Map([...b.counts.layers].map(([l, n]) => [l, n - (a.counts.layers.get(l) ?? 0)]));
  const counts: Counts = { insns: d('insns'), fmla: d('fmla'), sdot: d('sdot'), smull: d('smull'), sadalp: d('sadalp'), layers };
  return { counts, outputs: a.outputs };
}

/** What kind of layer node i is, for the breakdown: its op, with Conv split into GEMM-based and depthwise. */
function layerKind(g: Graph, i: number): string {
  const n = g.nodes[i];
  if (n.op !== 'Conv') return n.op;
  return g.tensors.get(n.inputs[1])?.shape[1] === 1 ? 'Conv (depthwise)' : 'Conv (GEMM)';
}

/** Instructions and MACs of a set of layers. */
interface Tally { insns: number; macs: number }

/** Instructions and MACs per layer kind. */
function byKind(g: Graph, c: Counts): Map<string, Tally> {
  const rows = layerTable(g);
  const out = new Map<string, Tally>();
  g.nodes.forEach((_, i) => {
    const k = layerKind(g, i);
    const e = out.get(k) ?? { insns: 0, macs: 0 };
    e.insns += c.layers.get(i) ?? 0;
    e.macs += rows[i].macs;
    out.set(k, e);
  });
  return out;
}

/** Layer kinds of the conv summary: GEMM-based convs, depthwise convs, and every convolution layer. */
const CONV_GEMM = ['Conv (GEMM)'];
const CONV_DW = ['Conv (depthwise)'];
const CONV_ALL = ['Conv (GEMM)', 'Conv (depthwise)', 'ConvTranspose'];

/** The layers of `kinds` in a per-kind breakdown, summed. */
function convTally(m: Map<string, Tally>, kinds: string[]): Tally {
  return kinds.reduce((a, k) => ({ insns: a.insns + (m.get(k)?.insns ?? 0), macs: a.macs + (m.get(k)?.macs ?? 0) }), { insns: 0, macs: 0 });
}

interface NeonRow { model: string; precision: string; macs: number; portable: Counts; neon: Counts; pk: Map<string, Tally>; nk: Map<string, Tally>; agree: string }

/** Counts of an artifact that was not run (the portable twin skipped): NaN everywhere, shown as '-'. */
const NO_COUNTS: Counts = { insns: NaN, fmla: NaN, sdot: NaN, smull: NaN, sadalp: NaN, layers: new Map() };

const fmt = (x: number) => (Number.isNaN(x) ? '-' : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(1)} k`);

/** Count every case in the given precisions (int8 only for cases with calibration samples) for `targetName` (a NEON
 * target) and, with `withPortable`, its portable-C twin; returns markdown tables. */
export async function neonBench(cases: NeonCase[], targetName: string, precisions: string[], withPortable: boolean, outDir: string): Promise<string> {
  const neon = getTarget(targetName);
  if (!neon.simd || neon.runner !== 'qemu') throw new Error(`--neon-target ${targetName}: not a qemu target with a vector vocabulary`);
  const why = await runnerFor(neon).unavailable(neon);
  if (why) throw new Error(`--neon needs ${why}`);
  // The portable artifact: the same compiler and flags, the emitter without a vocabulary (kernels in plain C / GNU vectors).
  const portable: Target = { ...neon, name: `${neon.name}-portable`, simd: undefined };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-neon-bench-'));
  const plugin = await buildPlugin(tmp);
  const rows: NeonRow[] = [];
  try {
    for (const c of cases) {
      for (const precision of precisions.filter((p) => p === 'float' || (p === 'int8' && c.calib))) {
        process.stderr.write(`bench --neon ${c.name} ${precision}: compiling\n`);
        let calibDir: string | undefined;
        if (precision === 'int8') {
          calibDir = path.join(tmp, `calib-${c.name}`);
          fs.mkdirSync(calibDir, { recursive: true });
          c.calib!().forEach((v, i) => writeNpy(path.join(calibDir!, `${i}.npy`), v));
        }
        const { graph, reference } = compileGraph(c.file, neon, { inputShapes: c.shapes, quantize: precision === 'int8' ? 'int8' : undefined, calib: calibDir });
        const base = path.join(outDir, `${c.name}-${precision}`);
        const [pExe, nExe] = await Promise.all([withPortable ? buildMarked(graph, `${base}-portable`, portable) : undefined, buildMarked(graph, `${base}-neon`, neon)]);
        process.stderr.write(`bench --neon ${c.name} ${precision}: counting under qemu -cpu ${neon.qemu!.cpu}\n`);
        const input = c.input ?? randomInputs(reference, 1);
        const n = await countOne(neon, nExe, plugin, graph, input);
        const p = pExe ? await countOne(portable, pExe, plugin, graph, input) : { counts: NO_COUNTS, outputs: n.outputs };
        const m = compareValues(graph.outputs[0], n.outputs[0], p.outputs[0]);
        const agree = !pExe ? '-' : precision === 'int8' ? (m.max_abs_err === 0 ? 'identical' : `max diff ${m.max_abs_err}`) : `rel_l2 ${m.rel_l2_err.toExponential(1)}`;
        rows.push({ model: c.name, precision, macs: layerTable(graph).reduce((a, r) => a + r.macs, 0), portable: p.counts, neon: n.counts, pk: byKind(graph, p.counts), nk: byKind(graph, n.counts), agree });
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const vocab = VECTOR_VOCABS[neon.simd];
  const ideal = (prec: string) => 1 / (prec === 'int8' ? vocab.peakMacsPerInsn.i8 : vocab.peakMacsPerInsn.f32);
  const perMac = (k: Tally) => (k.macs > 0 && k.insns > 0 ? (k.insns / k.macs).toFixed(3) : '-');
  const vsIdeal = (k: Tally, prec: string) => (k.macs > 0 ? `${perMac(k)} (${(k.insns / k.macs / ideal(prec)).toFixed(2)}x)` : '-');
  const mmacs = (k: Tally) => (k.macs / 1e6).toFixed(2);
  const table = [
    `| model | precision | MMACs | portable C insns/inference | NEON insns/inference | portable / NEON | ${neon.simd === 'neon-dotprod' ? 'SDOT' : 'SMULL'} (int8) / FMLA (float) executed | outputs |`,
    '|---|---|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => {
      const mac = r.precision === 'int8' ? fmt(neon.simd === 'neon-dotprod' ? r.neon.sdot : r.neon.smull) : fmt(r.neon.fmla);
      return `| ${r.model} | ${r.precision} | ${(r.macs / 1e6).toFixed(1)} | ${fmt(r.portable.insns)} | ${fmt(r.neon.insns)} | ${Number.isNaN(r.portable.insns) ? '-' : `${(r.portable.insns / r.neon.insns).toFixed(2)}x`} | ${mac} | ${r.agree} |`;
    }),
    '',
    'Convolution instructions per MAC, NEON (times the ideal) and portable C, one inference:',
    '',
    '| model | precision | ideal | GEMM conv MMACs | GEMM conv | depthwise MMACs | depthwise | all conv MMACs | all conv | portable C GEMM / depthwise / all conv |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const [ng, nd, na] = [CONV_GEMM, CONV_DW, CONV_ALL].map((k) => convTally(r.nk, k));
      const [pg, pd, pa] = [CONV_GEMM, CONV_DW, CONV_ALL].map((k) => convTally(r.pk, k));
      return `| ${r.model} | ${r.precision} | ${ideal(r.precision).toFixed(4)} | ${mmacs(ng)} | ${vsIdeal(ng, r.precision)} | ${mmacs(nd)} | ${vsIdeal(nd, r.precision)} | ${mmacs(na)} | ${vsIdeal(na, r.precision)} | ${perMac(pg)} / ${perMac(pd)} / ${perMac(pa)} |`;
    }),
    '',
    'Instructions per layer kind (NEON / portable C), one inference:',
    '',
    '| model | precision | layer kind | MMACs | NEON insns | portable insns | NEON share |',
    '|---|---|---|---:|---:|---:|---:|',
    ...rows.flatMap((r) => [...r.nk].filter(([, v]) => v.insns > 0).sort((x, y) => y[1].insns - x[1].insns).map(([k, v]) =>
      `| ${r.model} | ${r.precision} | ${k} | ${(v.macs / 1e6).toFixed(2)} | ${fmt(v.insns)} | ${fmt(r.pk.get(k)?.insns ?? NaN)} | ${((100 * v.insns) / r.neon.insns).toFixed(1)}% |`)),
    '',
    `Target ${neon.name} (${neon.toolchain.cc} ${neon.toolchain.cflags.join(' ')}), run under ${neon.qemu!.binary} -cpu ${neon.qemu!.cpu}; instructions counted by a TCG plugin (bench/qemu-insn-count.c) over exactly one inference. Portable C: the same graph emitted without a vector vocabulary, same compiler and flags. GEMM conv: regular and 1x1 Conv layers (im2col/packing + micro-kernel + requantization); depthwise: Conv with one input channel per group; all conv: every Conv and ConvTranspose layer together (their instructions over their MACs); each layer's instructions include its padding, packing and requantization; ideal: one FMLA per 4 float MACs, one SDOT per 16 int8 MACs.`,
  ].join('\n');
  return table;
}
