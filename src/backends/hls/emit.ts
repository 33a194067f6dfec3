/**
 * The HLS emitter: an int8 graph becomes a Vitis HLS dataflow design (model.cpp / model.h: one function per layer
 * under a DATAFLOW top with AXI-stream ports), a host wrapper that quantizes float inputs and dequantizes outputs, a
 * testbench (tb.cpp), run_hls.tcl and the resource / latency estimate.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Graph, Node } from '../../ir/types.js';
import { numel } from '../../ir/dtype.js';
import { getOp } from '../../ops/registry.js';
import { isIntegerNode } from '../../ir/quant.js';
import { EdgecError } from '../../util/errors.js';
import type { Target } from '../../targets/targets.js';
import { RUNTIME_DIR } from '../c/emit.js';
import { HLS_CTYPES, constArray, type HlsLayerPlan, type HlsOperand } from './layers.js';
import { quantizeExpr } from './layers-quant.js';
import { HLS_FLOAT_LAYERS, HLS_INT_LAYERS } from './layer-table.js';
import { hostTail, tailCode } from './host-tail.js';
import { designTotals, estimateLayer, fitReuse, globalReuseThatFits, layerDsp, type DesignTotals, type LayerEstimate, type ReuseLayer, type ReuseSpec } from './estimate.js';
import { hostSources, tclScript } from './host.js';
import { CHANNEL_PRAGMAS, placeChannels, type FabricBuffer, type FabricLayer } from './channels.js';

/** The HLS part of report.json. */
export interface HlsReport {
  part: string;
  clock_mhz: number;
  top: string;
  layers: LayerEstimate[];
  totals: DesignTotals;
  device: { dsp: number; bram18: number; uram: number; lut: number };
  utilization: { dsp: number; bram18: number; uram: number; lut: number };
  /** DSPs the zero weights removed (dense minus actual). */
  dsp_saved_by_zero_weights: number;
  reuse_source: 'auto' | 'user';
  /** What runs on the host CPU around the accelerator: input Quantize nodes and the float tail. */
  host: { quantize: string[]; tail: string[] };
}

/** The emitted HLS artifact. */
export interface HlsArtifact {
  files: Map<string, string>;
  weightsBytes: number;
  bufferBytes: number;
  kernels: string[];
  report: HlsReport;
}

const cIdent = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1');

/** Lower an int8 graph to the HLS design for an FPGA target. */
export function emitHls(g: Graph, opts: { prefix: string; target: Target; reuse?: ReuseSpec }): HlsArtifact {
  const dev = opts.target.fpga!;
  const P = opts.prefix;
  if (![...g.tensors.values()].some((t) => t.quant))
    throw new EdgecError(`${g.source}: target '${opts.target.name}' builds int8 designs and this graph is float; pass --quantize int8 --calib <samples> (or give an int8 TFLite / QDQ model)`);
  // Reshape-like nodes alias their input (NCHW flat order is unchanged).
  const root = new Map<string, string>();
  const rootOf = (t: string): string => root.get(t) ?? t;
  const aliased = new Set<Node>();
  for (const n of g.nodes) {
    if (getOp(n.op).aliasesInput && n.inputs[0]) {
      root.set(n.outputs[0], rootOf(n.inputs[0]));
      aliased.add(n);
    }
  }
  // Host side: Quantize of a graph input before the accelerator, the float tail after it (hostTail).
  const inputRoots = new Set(g.inputs.map(rootOf));
  const hostIn = new Map<string, Node>();
  const rest: Node[] = [];
  for (const n of g.nodes) {
    if (aliased.has(n)) continue;
    if (n.op === 'Quantize' && inputRoots.has(rootOf(n.inputs[0]))) hostIn.set(rootOf(n.outputs[0]), n);
    else rest.push(n);
  }
  const consumers = new Map<string, Node[]>();
  for (const n of rest) for (const t of n.inputs) if (t) consumers.set(rootOf(t), [...(consumers.get(rootOf(t)) ?? []), n]);
  const tail = hostTail(g, rest, consumers, rootOf);
  const fabric = rest.filter((n) => !tail.includes(n));
  const topIns = g.inputs.map((name) => {
    const r = rootOf(name);
    const q = [...hostIn.entries()].find(([, n]) => rootOf(n.inputs[0]) === r);
    return { name, port: q ? q[0] : r, quantize: q?.[1] };
  });
  // Accelerator outputs: what the tail's Dequantize nodes read, and graph outputs computed on the fabric.
  const tailRoots = new Set(tail.map((n) => rootOf(n.outputs[0])));
  const outRoots = [...new Set([...tail.filter((n) => n.op === 'Dequantize').map((n) => rootOf(n.inputs[0])), ...g.outputs.map(rootOf).filter((r) => !tailRoots.has(r))])];
  for (const port of [...topIns.map((p) => p.port), ...outRoots]) {
    const t = g.tensors.get(port)!;
    if (t.dtype !== 'int8' && !(t.dtype === 'int32' && outRoots.includes(port)))
      throw new EdgecError(`${g.source}: the design's port '${port}' is ${t.dtype}; the HLS top streams int8 in and int8 or int32 out (quantize the model with --quantize int8)`);
  }

  // Buffers: one per fabric tensor root; consumers counted to insert fan-out clones.
  const buffers = new Map<string, FabricBuffer>();
  const bufName = new Map<string, string>();
  const bufferOf = (t: string): string => {
    const r = rootOf(t);
    if (!bufName.has(r)) {
      const info = g.tensors.get(r)!;
      const ctype = HLS_CTYPES[info.dtype];
      if (!ctype) throw new EdgecError(`${g.source}: tensor '${r}' is ${info.dtype}; the HLS design carries int8 (and float islands)`);
      const name = `b${bufName.size}`;
      bufName.set(r, name);
      buffers.set(name, { ctype, n: numel(info.shape) });
    }
    return bufName.get(r)!;
  };
  const uses = new Map<string, number>();
  const use = (b: string) => uses.set(b, (uses.get(b) ?? 0) + 1);
  const isConst = (t: string) => !!g.tensors.get(rootOf(t))?.data;
  for (const p of topIns) bufferOf(p.port);
  for (const n of fabric) for (const t of n.inputs) if (t && !isConst(t)) use(bufferOf(t));
  for (const r of outRoots) use(bufferOf(r));

  // Lower every fabric node.
  const layers: FabricLayer[] = [];
  const pending = new Map<string, string[]>();
  const kernels = new Set<string>(['qmath.h', 'qelementwise.h']);
  /** The copy of buffer b for its next consumer (clones are emitted when the producer is done). */
  const take = (b: string): string => (pending.get(b)?.shift() ?? b);
  const produced = (b: string) => {
    const k = uses.get(b) ?? 0;
    if (k <= 1) return;
    // A chain of clone2: b -> (c0, t0), t0 -> (c1, t1), ... so each consumer reads its own channel.
    const copies: string[] = [];
    let src = b;
    for (let i = 0; i < k - 1; i++) {
      const a = `${b}_c${i}`;
      const rest = i === k - 2 ? `${b}_c${i + 1}` : `${b}_t${i}`;
      for (const nm of [a, rest]) buffers.set(nm, { ...buffers.get(b)! });
      const info = buffers.get(b)!;
      layers.push({
        id: `clone_${b}_${i}`,
        plan: {
          cost: { macs: 0, steps: info.n, multsDense: 0, multsNonzero: 0, requantPerStep: 0, fixedDsp: 0, weightBits: 0, depth: 2, reusable: false },
          render: () => [`edgec_hls::clone2<${info.ctype}, ${info.n}>(x0, y0, y1);`],
          order: { reads: () => true, writes: true },
        },
        ins: [src], outs: [a, rest],
      });
      copies.push(a);
      src = rest;
    }
    copies.push(src);
    pending.set(b, copies);
  };
  for (const p of topIns) produced(bufferOf(p.port));
  fabric.forEach((n, idx) => {
    const id = cIdent(`l${String(idx).padStart(2, '0')}_${n.op.toLowerCase()}`);
    const integer = isIntegerNode(g, n);
    const lower = integer ? HLS_INT_LAYERS[n.op] : HLS_FLOAT_LAYERS[n.op];
    if (!lower) {
      if (!integer && !HLS_INT_LAYERS[n.op]) throw new EdgecError(`${g.source}: node '${n.name}' (${n.op}) has no HLS layer; the FPGA backend supports ${Object.keys(HLS_INT_LAYERS).join(', ')} on int8`);
      throw new EdgecError(`${g.source}: node '${n.name}' (${n.op}) runs in float after quantization, which the HLS backend does not build (float islands: ${Object.keys(HLS_FLOAT_LAYERS).join(', ')}); give the op an int8 form or remove it from --keep-float`);
    }
    if (n.outputs.length !== 1) throw new EdgecError(`${g.source}: node '${n.name}' (${n.op}) has ${n.outputs.length} outputs; HLS layers have one`);
    const args: string[] = [];
    const params = new Map<number, string>();
    n.inputs.forEach((t, i) => {
      if (!t || isConst(t)) return;
      params.set(i, `x${args.length}`);
      args.push(take(bufferOf(t)));
    });
    const operand = (t: string, param?: string): HlsOperand => {
      const tt = g.tensors.get(t)!;
      const r = g.tensors.get(rootOf(t))!;
      return { name: t, info: { dtype: tt.dtype, shape: tt.shape }, quant: tt.quant ?? r.quant, value: r.data ? { dtype: r.dtype, shape: tt.shape, data: r.data } : undefined, param };
    };
    const plan = lower({ node: n, id, input: (i) => (n.inputs[i] ? operand(n.inputs[i], params.get(i)) : undefined), output: (i) => operand(n.outputs[i], 'y0') });
    plan.kernels?.forEach((k) => kernels.add(k));
    const out = bufferOf(n.outputs[0]);
    layers.push({ id, node: n, plan, ins: args, outs: [out] });
    produced(out);
  });
  const portOut = outRoots.map((r) => take(bufferOf(r)));

  // Reuse factors: the user's, or chosen to fit the DSP budget; then the estimate against the device.
  const spec = opts.reuse ?? {};
  const userGiven = spec.global !== undefined || Object.keys(spec.layers ?? {}).length > 0;
  const reusable = layers.filter((l) => l.plan.cost.reusable).map((l) => ({ id: l.id, node: l.node?.name ?? l.id, cost: l.plan.cost }));
  for (const name of Object.keys(spec.layers ?? {}))
    if (!reusable.some((l) => l.id === name || l.node === name)) throw new EdgecError(`--reuse ${name}=...: no layer with a reuse factor has that name; layers: ${reusable.map((l) => l.id).join(', ')}`);
  const fixedDsp = layers.reduce((s, l) => s + (l.plan.cost.reusable ? 0 : layerDsp(l.plan.cost, 1)), 0);
  // A global --reuse fixes every layer; per-layer values fix those layers and the rest are chosen to fit.
  const frozen = new Set(reusable.filter((l) => spec.global !== undefined || spec.layers?.[l.id] !== undefined || spec.layers?.[l.node] !== undefined).map((l) => l.id));
  const reuse = fitReuse(reusable, dev.dsp - fixedDsp, spec, frozen).reuse;
  const estimates = layers.map((l) => estimateLayer(l.id, l.node?.name ?? l.id, l.node?.op ?? 'Clone', l.plan.cost, reuse.get(l.id) ?? 1, dev.clockMHz));
  const inBufs = topIns.map((p) => bufferOf(p.port));
  const { kinds, interval } = placeChannels(layers, estimates, buffers, dev, inBufs, portOut);
  const totals = designTotals(estimates, dev.clockMHz, interval);
  checkFit(opts.target, estimates, totals, reusable, spec, fixedDsp);

  // Sources.
  const top = `${P}_top`;
  const layerFns = layers.map((l) => {
    const names = [...l.ins.map((_, i) => `x${i}`), ...l.outs.map((_, i) => `y${i}`)];
    const sig = [...l.ins, ...l.outs].map((b, i) => `${i < l.ins.length ? 'const ' : ''}${buffers.get(b)!.ctype} ${names[i]}[${buffers.get(b)!.n}]`);
    const head = l.node ? `/* ${l.node.op} '${l.node.name}'${l.plan.cost.reusable ? `, reuse ${reuse.get(l.id)}` : ''} */\n` : '';
    return `${head}static void ${l.id}(${sig.join(', ')}) {\n${l.plan.render(reuse.get(l.id) ?? 1).map((s) => s.split('\n').map((x) => `  ${x}`).join('\n')).join('\n')}\n}`;
  });
  const inPorts = topIns.map((p, i) => ({ ...p, buf: bufferOf(p.port), arg: `in${i}` }));
  const outPorts = outRoots.map((r, i) => ({ root: r, buf: portOut[i], arg: `out${i}`, ctype: buffers.get(portOut[i])!.ctype }));
  const topBody: string[] = [];
  for (const p of [...inPorts, ...outPorts]) topBody.push(`#pragma HLS INTERFACE axis port = ${p.arg}`);
  topBody.push('#pragma HLS DATAFLOW');
  const declared = new Set<string>();
  const declare = (b: string) => {
    if (declared.has(b)) return;
    declared.add(b);
    const bb = buffers.get(b)!;
    topBody.push(`EDGEC_HLS_LOCAL ${bb.ctype} ${b}[${bb.n}];`, ...CHANNEL_PRAGMAS[kinds.get(b) ?? 'pipo'](b));
  };
  for (const p of inPorts) {
    declare(p.buf);
    topBody.push(`edgec_hls::read_stream<int8_t, ${buffers.get(p.buf)!.n}>(${p.arg}, ${p.buf});`);
  }
  for (const l of layers) {
    l.outs.forEach(declare);
    topBody.push(`${l.id}(${[...l.ins, ...l.outs].join(', ')});`);
  }
  for (const p of outPorts) topBody.push(`edgec_hls::write_stream<${p.ctype}, ${buffers.get(p.buf)!.n}>(${p.buf}, ${p.arg});`);
  const ports = [...inPorts.map((p) => `edgec_hls::stream<int8_t> &${p.arg}`), ...outPorts.map((p) => `edgec_hls::stream<${p.ctype}> &${p.arg}`)];
  // Host arrays: the accelerator's outputs, the tail's tensors and its constants.
  const hostArrays = new Map<string, string>();
  const hostDecls: string[] = [];
  const hostArray = (t: string): string => {
    const r = rootOf(t);
    if (!hostArrays.has(r)) {
      const info = g.tensors.get(r)!;
      const name = `h${hostArrays.size}`;
      hostArrays.set(r, name);
      hostDecls.push(info.data ? constArray(HLS_CTYPES[info.dtype], name, info.data) : `static ${HLS_CTYPES[info.dtype]} ${name}[${numel(info.shape)}];`);
    }
    return hostArrays.get(r)!;
  };
  const fetched = outPorts.map((p) => ({ arg: p.arg, ctype: p.ctype, n: buffers.get(p.buf)!.n, array: hostArray(p.root) }));
  const tailLines = tailCode(g, tail, hostArray, hostArray);
  const ioInfo = (name: string) => ({ name, dtype: g.tensors.get(name)!.dtype, shape: g.tensors.get(name)!.shape });
  const host = hostSources({
    prefix: P, top, ports,
    inputs: inPorts.map((p) => ({ ...ioInfo(p.name), arg: p.arg, n: buffers.get(p.buf)!.n, convert: p.quantize ? (x: string) => quantizeExpr(p.quantize!, g.tensors.get(p.port)!.quant!, x) : undefined })),
    fetched, tail: [...hostDecls, ...tailLines],
    outputs: g.outputs.map((name) => ({ ...ioInfo(name), n: numel(g.tensors.get(name)!.shape), array: hostArray(name) })),
  });
  const modelCpp = [
    `/* ${P}: Vitis HLS dataflow design generated by edgec from ${path.basename(g.source)}; top function ${top}. */`,
    `#include "${P}.h"`,
    '#include "edgec_hls.h"',
    ...[...kernels].filter((k) => !['qmath.h', 'qelementwise.h'].includes(k)).map((k) => `#include "kernels/${k}"`),
    '',
    ...layerFns.flatMap((f) => [f, '']),
    `/* The accelerator: ${layers.length} layers in one dataflow region, AXI-stream in and out. */`,
    `void ${top}(${ports.join(', ')}) {`,
    ...topBody.map((s) => `  ${s}`),
    '}',
    '',
    host.run,
  ].join('\n');
  const files = new Map<string, string>([
    [`${P}.cpp`, modelCpp],
    [`${P}.h`, host.header],
    ['tb.cpp', host.tb],
    ['run_hls.tcl', tclScript(P, top, dev)],
    ['edgec_hls.h', fs.readFileSync(path.join(RUNTIME_DIR, 'hls', 'edgec_hls.h'), 'utf8')],
    ['edgec_runtime.h', fs.readFileSync(path.join(RUNTIME_DIR, 'edgec_runtime.h'), 'utf8')],
  ]);
  for (const k of kernels) files.set(`kernels/${k}`, fs.readFileSync(path.join(RUNTIME_DIR, 'kernels', k), 'utf8'));
  const pct = (a: number, b: number) => (b > 0 ? Math.round((1000 * a) / b) / 10 : a > 0 ? Infinity : 0);
  const report: HlsReport = {
    part: dev.part, clock_mhz: dev.clockMHz, top, layers: estimates, totals,
    device: { dsp: dev.dsp, bram18: dev.bram18, uram: dev.uram, lut: dev.lut },
    utilization: { dsp: pct(totals.dsp, dev.dsp), bram18: pct(totals.bram18, dev.bram18), uram: pct(totals.uram, dev.uram), lut: pct(totals.lut, dev.lut) },
    dsp_saved_by_zero_weights: totals.dsp_dense - totals.dsp,
    reuse_source: userGiven ? 'user' : 'auto',
    host: { quantize: [...hostIn.values()].map((n) => n.name), tail: tail.map((n) => `${n.op} '${n.name}'`) },
  };
  const weightsBytes = layers.reduce((s, l) => s + Math.ceil(l.plan.cost.weightBits / 8), 0);
  const bufferBytes = [...buffers.values()].reduce((s, b) => s + b.n * (b.ctype === 'float' ? 4 : 1), 0);
  return { files, weightsBytes, bufferBytes, kernels: [...kernels], report };
}

/** Refuse a design that does not fit the device, naming the layers over budget and the reuse factors that fit. */
function checkFit(target: Target, est: LayerEstimate[], totals: DesignTotals, reusable: ReuseLayer[], spec: ReuseSpec, fixedDsp: number): void {
  const dev = target.fpga!;
  const where = `design does not fit ${target.name} (${dev.part})`;
  if (totals.dsp > dev.dsp) {
    const budget = dev.dsp - fixedDsp;
    const fit = fitReuse(reusable, budget, spec);
    if (!fit.fits) throw new EdgecError(`${where}: ${totals.dsp} DSPs needed, ${dev.dsp} available, and still ${fixedDsp + reusable.reduce((s, l) => s + layerDsp(l.cost, fit.reuse.get(l.id)!), 0)} at the largest reuse factors (${est.length} layers); choose a larger device`);
    const current = new Map(est.map((l) => [l.layer, l]));
    const raised = reusable
      .filter((l) => fit.reuse.get(l.id)! > current.get(l.id)!.reuse!)
      .sort((a, b) => current.get(b.id)!.dsp - current.get(a.id)!.dsp);
    const shown = raised.slice(0, 5).map((l) => `${l.id} (${current.get(l.id)!.dsp} DSP at reuse ${current.get(l.id)!.reuse}; reuse ${fit.reuse.get(l.id)} fits)`);
    const more = raised.length > 5 ? ` and ${raised.length - 5} more` : '';
    const global = globalReuseThatFits(reusable, budget);
    const fix = raised.length <= 5 ? `--reuse ${raised.map((l) => `${l.id}=${fit.reuse.get(l.id)}`).join(',')}` : '';
    const alt = [fix, global ? `--reuse ${global}` : '', spec.global === undefined && !Object.keys(spec.layers ?? {}).length ? '' : 'no --reuse (chosen to fit)'].filter(Boolean).join(' or ');
    throw new EdgecError(`${where}: ${totals.dsp} DSPs needed, ${dev.dsp} available; over budget: ${shown.join(', ')}${more}; ${alt} fits`);
  }
  const memory: string[] = [];
  if (totals.bram18 > dev.bram18) memory.push(`${totals.bram18} BRAM18 needed, ${dev.bram18} available${dev.uram ? ` after moving buffers to ${totals.uram} URAM` : ''}`);
  if (totals.lut > dev.lut) memory.push(`~${totals.lut} LUTs needed, ${dev.lut} available`);
  if (memory.length) {
    const big = [...est].sort((a, b) => b.bram18_weights + b.bram18_buffers - (a.bram18_weights + a.bram18_buffers)).slice(0, 3);
    throw new EdgecError(`${where}: ${memory.join('; ')}; largest: ${big.map((l) => `${l.layer} (${l.bram18_weights} BRAM18 weights, ${l.bram18_buffers} buffers)`).join(', ')}; choose a larger device or a smaller input`);
  }
}
