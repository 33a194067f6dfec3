/** The CUDA emitter: lowers every node through the CUDA lowering table into kernel launches on one stream (captured as
 * a CUDA graph at run time), plans the device workspace, packs the weights blob and writes the artifact's files. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Graph, Node, Tensor } from '../../ir/types.js';
import { byteSize, DTYPES } from '../../ir/dtype.js';
import { getOp } from '../../ops/registry.js';
import { isIntegerNode } from '../../ir/quant.js';
import { EdgecError } from '../../util/errors.js';
import type { CudaFacts } from '../../targets/targets.js';
import { planArena, type BufferRequest } from '../c/arena.js';
import type { CudaLowerCtx, CudaLowering, CudaTensor } from './lowering.js';
import { CUDA_LOWERINGS, CUDA_INT_LOWERINGS } from './lower/index.js';
import { planAbsorption } from './absorb.js';
import { valueBytes, WeightsBlob } from './weights.js';
import { apiSource, cmakeSource, headerSource } from './source.js';

/** Where runtime-cuda lives (shipped with the package). */
export const CUDA_RUNTIME_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../runtime-cuda');

/** One kernel launch of the artifact and the layer it belongs to. */
export interface CudaLaunch {
  layer: string;
  op: string;
  kernel: string;
}

/** The emitted CUDA artifact: files plus the sizes and launches the report lists. */
export interface CudaArtifact {
  files: Map<string, string>;
  weightsBytes: number;
  workspaceBytes: number;
  workspaceLowerBound: number;
  kernels: string[];
  launches: CudaLaunch[];
  /** Nodes whose work another node's epilogue does (absorbed Mul/Add). */
  absorbed: { layer: string; into: string }[];
}

function loweringOf(g: Graph, n: Node): CudaLowering | undefined {
  return isIntegerNode(g, n) ? CUDA_INT_LOWERINGS[n.op] : CUDA_LOWERINGS[n.op];
}

/** Kernel files plus the kernel files they #include (qconv.cuh builds on conv_mma.cuh). */
function withIncludes(kernels: Set<string>): string[] {
  const all = new Set<string>();
  const visit = (k: string) => {
    if (all.has(k)) return;
    all.add(k);
    const src = fs.readFileSync(path.join(CUDA_RUNTIME_DIR, 'kernels', k), 'utf8');
    for (const m of src.matchAll(/^#include "([\w.-]+\.cuh)"/gm)) if (fs.existsSync(path.join(CUDA_RUNTIME_DIR, 'kernels', m[1]))) visit(m[1]);
  };
  for (const k of kernels) visit(k);
  return [...all].sort();
}

/** Lower a graph (after the pass pipeline) to a CUDA artifact. */
export function emitCuda(g: Graph, opts: { prefix: string; cuda: CudaFacts }): CudaArtifact {
  const missing = [...new Set(g.nodes.filter((n) => !loweringOf(g, n)).map((n) => (isIntegerNode(g, n) ? `${n.op} (integer)` : n.op)))];
  if (missing.length) throw new EdgecError(`${g.source}: no CUDA kernel for op(s) ${missing.join(', ')}; build for target 'c' or keep these layers in float`);
  const P = opts.prefix;
  const io = new Map<string, string>();
  g.inputs.forEach((n, i) => io.set(n, `in${i}`));
  g.outputs.forEach((n, i) => { if (!io.has(n)) io.set(n, `out${i}`); });

  // Epilogue absorption, then aliasing of reshape-like outputs.
  const absorption = planAbsorption(g, (n) => !!loweringOf(g, n)?.epilogue);
  const skipped = new Set<Node>([...absorption.values()].flatMap((a) => a.nodes));
  const written = new Map<number, string>(); // node index -> tensor its output 0 goes to
  absorption.forEach((a, i) => written.set(i, a.output));
  const root = new Map<string, string>();
  const rootOf = (t: string): string => root.get(t) ?? t;
  g.nodes.forEach((n) => {
    const src = n.inputs[0];
    const out = n.outputs[0];
    if (skipped.has(n) || !getOp(n.op).aliasesInput || !src || g.outputs.includes(out) || g.tensors.get(out)?.data) return;
    root.set(out, rootOf(src));
    skipped.add(n);
  });
  const outputsOf = (n: Node, i: number) => n.outputs.map((o, k) => (k === 0 && written.has(i) ? written.get(i)! : o));
  const residuals = (i: number) => (absorption.get(i)?.steps ?? []).flatMap((s) => (s.kind === 'residual' ? [s.tensor] : []));

  // Workspace lifetimes.
  const isWorkspace = (t: string) => !io.has(t) && !g.tensors.get(t)?.data;
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    if (skipped.has(n)) return;
    for (const o of outputsOf(n, i)) if (o && isWorkspace(rootOf(o)) && !first.has(rootOf(o))) first.set(rootOf(o), i);
    for (const x of [...n.inputs, ...outputsOf(n, i), ...residuals(i)]) if (x && isWorkspace(rootOf(x))) last.set(rootOf(x), i);
  });
  // Aliased tensors are read by skipped nodes' consumers: extend lifetimes through every reader.
  g.nodes.forEach((n, i) => {
    for (const x of n.inputs) if (x && isWorkspace(rootOf(x))) last.set(rootOf(x), Math.max(last.get(rootOf(x)) ?? i, i));
  });

  const blob = new WeightsBlob();
  const constOffset = new Map<string, number>();
  const kernels = new Set<string>();
  const functors: string[] = [];
  const functorNames = new Map<string, string>();
  const scratch: BufferRequest[] = [];
  const bodies: string[][] = [];
  const launches: CudaLaunch[] = [];
  const tensorRef = (name: string, asConst: boolean): CudaTensor => {
    const t = g.tensors.get(name) as Tensor;
    const r = rootOf(name);
    const rt = g.tensors.get(r) as Tensor;
    const cType = DTYPES[t.dtype].cType;
    // Lazy: a constant joins the weights blob only when a lowering reads its pointer (repacked weights do not).
    const ptr = (): string => {
      if (rt.data) {
        if (!constOffset.has(r)) constOffset.set(r, blob.add(valueBytes({ dtype: rt.dtype, shape: rt.shape, data: rt.data })));
        return `((const ${cType} *)(W + ${constOffset.get(r)}))`;
      }
      return io.get(r) ?? `((${asConst ? 'const ' : ''}${cType} *)(A + @${r}@))`;
    };
    return {
      name, info: { dtype: t.dtype, shape: t.shape }, value: t.data ? { dtype: t.dtype, shape: t.shape, data: t.data } : undefined, quant: t.quant,
      get ptr() {
        return ptr();
      },
    };
  };
  g.nodes.forEach((node, i) => {
    const lines: string[] = [];
    bodies.push(lines);
    if (skipped.has(node)) return;
    const abs = absorption.get(i);
    const mul = abs?.steps.find((s) => s.kind === 'mul');
    const add = abs?.steps.find((s) => s.kind === 'add');
    const res = abs?.steps.find((s) => s.kind === 'residual');
    const outs = outputsOf(node, i);
    const ctx: CudaLowerCtx = {
      node,
      input: (k) => (node.inputs[k] ? tensorRef(node.inputs[k], true) : undefined),
      output: (k) => {
        const t = tensorRef(outs[k], false);
        return { name: t.name, info: { ...tensorRef(node.outputs[k], false).info }, value: t.value, quant: t.quant, ptr: t.ptr };
      },
      useKernel: (f) => kernels.add(f),
      constBytes: (stem, bytes, cType) => `((const ${cType} *)(W + ${blob.add(bytes)}))`,
      functor: (body) => {
        if (!functorNames.has(body)) {
          functorNames.set(body, `F${functors.length}`);
          functors.push(`struct F${functors.length} {\n  ${body}\n};`);
        }
        return functorNames.get(body)!;
      },
      launch: (kernel, grid, block, args) => {
        lines.push(`${kernel}<<<${grid}, ${block}, 0, s>>>(${args.join(', ')});`);
        launches.push({ layer: node.name, op: node.op, kernel });
      },
      line: (code) => lines.push(code),
      scratch: (bytes) => {
        const id = `S${i}_${scratch.length}`;
        scratch.push({ id, bytes, first: i, last: i });
        return `((void *)(A + @${id}@))`;
      },
      absorbed: {
        mul: mul?.kind === 'mul' ? mul.value : 1,
        add: add?.kind === 'add' ? add.value : 0,
        residual: res?.kind === 'residual' ? tensorRef(res.tensor, true).ptr : undefined,
      },
      cuda: opts.cuda,
    };
    loweringOf(g, node)!.lower(ctx);
  });

  const reqs: BufferRequest[] = [...first.keys()].map((r) => {
    const t = g.tensors.get(r) as Tensor;
    return { id: r, bytes: byteSize(t.dtype, t.shape), first: first.get(r)!, last: last.get(r)! };
  });
  const plan = planArena([...reqs, ...scratch]);
  const place = (s: string) => s.replace(/@([^@]+)@/g, (_, id: string) => String(plan.offsets.get(id)));

  const enqueueArgs = [
    ...g.inputs.map((n, i) => `const ${DTYPES[g.tensors.get(n)!.dtype].cType} *in${i}`),
    ...g.outputs.map((n, i) => `${DTYPES[g.tensors.get(n)!.dtype].cType} *out${i}`),
  ];
  const cu: string[] = [
    `/* Generated by edgec from ${path.basename(g.source)}. Do not edit. */`,
    '#include <stdlib.h>',
    `#include "${P}.h"`,
    '#include "edgec_cuda.cuh"',
    ...[...kernels].sort().map((k) => `#include "kernels/${k}"`),
    '',
    `extern "C" const uint32_t ${P}_weights[];`,
    `extern "C" const size_t ${P}_weights_bytes;`,
    '',
    ...functors,
    '',
    '/* Every launch of one inference, in order, on stream s. */',
    '/* With `ev` (profiling), event ev[i + 1] is recorded after layer i; graph capture passes nullptr. */',
    `static cudaError_t ${P}_enqueue(cudaStream_t s, const unsigned char *W, unsigned char *A, ${enqueueArgs.join(', ')}, cudaEvent_t *ev) {`,
    '  (void)W; (void)A;',
  ];
  const layerNames: string[] = [];
  const read = new Set(g.nodes.flatMap((n) => n.inputs));
  g.inputs.forEach((n, i) => { if (!read.has(n)) cu.push(`  (void)in${i};`); });
  g.nodes.forEach((n, i) => {
    if (!bodies[i].length) return;
    cu.push(`  /* ${n.name.replace(/\*\//g, '* /')}: ${n.op} -> [${g.tensors.get(n.outputs[0])?.shape.join('x') ?? ''}] */`);
    for (const l of bodies[i]) cu.push(`  ${place(l)}`);
    cu.push('  EDGEC_CUDA_TRY(cudaGetLastError());');
    cu.push(`  if (ev) EDGEC_CUDA_TRY(cudaEventRecord(ev[${layerNames.length + 1}], s));`);
    layerNames.push(n.name);
  });
  g.outputs.forEach((n, i) => {
    if (io.get(n) === `out${i}` && !g.tensors.get(n)?.data && !g.inputs.includes(n)) return;
    const t = tensorRef(n, true);
    cu.push(`  EDGEC_CUDA_TRY(cudaMemcpyAsync(out${i}, ${place(t.ptr)}, ${byteSize(t.info.dtype, t.info.shape)}, cudaMemcpyDeviceToDevice, s));`);
  });
  cu.push('  return cudaSuccess;', '}', apiSource(g, P, layerNames));

  const files = new Map<string, string>();
  files.set(`${P}.h`, headerSource(g, P, blob.bytes, plan.bytes, layerNames.length));
  files.set(`${P}.cu`, cu.join('\n'));
  files.set(`${P}_weights.c`, blob.cSource(`${P}_weights`, `/* Weights of ${path.basename(g.source)} for the CUDA artifact, generated by edgec. */`));
  files.set('CMakeLists.txt', cmakeSource(P, opts.cuda.architectures));
  files.set('edgec_cuda.cuh', fs.readFileSync(path.join(CUDA_RUNTIME_DIR, 'edgec_cuda.cuh'), 'utf8'));
  files.set('edgec_cuda_main.cu', fs.readFileSync(path.join(CUDA_RUNTIME_DIR, 'edgec_cuda_main.cu'), 'utf8'));
  for (const k of withIncludes(kernels)) files.set(`kernels/${k}`, fs.readFileSync(path.join(CUDA_RUNTIME_DIR, 'kernels', k), 'utf8'));
  const absorbed = [...absorption.entries()].flatMap(([i, a]) => a.nodes.map((n) => ({ layer: n.name, into: g.nodes[i].name })));
  return { files, weightsBytes: blob.bytes, workspaceBytes: plan.bytes, workspaceLowerBound: plan.liveLowerBound, kernels: [...kernels].sort(), launches, absorbed };
}
