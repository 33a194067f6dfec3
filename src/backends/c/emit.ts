/** The shared C emitter: lowers every node through the C lowering table, plans the arena, writes the artifact's files. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Graph, Node, Tensor, Value } from '../../ir/types.js';
import { byteSize, DTYPES } from '../../ir/dtype.js';
import { getOp } from '../../ops/registry.js';
import { EdgecError } from '../../util/errors.js';
import type { CLowerCtx, CTensor } from './lowering.js';
import { C_LOWERINGS, C_INT_LOWERINGS_BY_PROFILE, type KernelProfile } from './lower/index.js';
import { isIntegerNode } from '../../ir/quant.js';
import { planArena, type BufferRequest } from './arena.js';
import { constArrayDecl, constArrayRef, constArraySource } from './constants.js';
import { VECTOR_VOCABS, vocabPreamble, type SimdIsa } from './vector-vocab.js';

/** Where runtime-c lives (shipped with the package). */
export const RUNTIME_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../runtime-c');

/** Target facts the emitter and kernels use. */
export interface CTargetFacts {
  vectorFloats: number;
  l1Bytes: number;
  l2Bytes: number;
  /** Vector vocabulary of the target (runtime-c/simd); absent: the portable kernels. */
  simd?: SimdIsa;
  /** Kernel profile (default 'speed'). */
  kernelProfile?: KernelProfile;
}

/** Emitter options: symbol prefix for the API, target facts. */
export interface EmitOptions {
  prefix: string;
  target: CTargetFacts;
}

/** The emitted artifact: file name → contents, plus sizes for the report. */
export interface CArtifact {
  files: Map<string, string>;
  prefix: string;
  arenaBytes: number;
  arenaLowerBound: number;
  weightsBytes: number;
  kernels: string[];
}

const DTYPE_CODES: Record<string, number> = { float32: 0, int8: 1, uint8: 2, int16: 3, int32: 4, int64: 5, bool: 6, float64: 7, uint16: 8, uint32: 9 };

/** Lower a graph (after the pass pipeline) to C sources. */
export function emitC(g: Graph, opts: EmitOptions): CArtifact {
  const intLowerings = C_INT_LOWERINGS_BY_PROFILE[opts.target.kernelProfile ?? 'speed'];
  const loweringOf = (n: Node) => (isIntegerNode(g, n) ? intLowerings[n.op] : C_LOWERINGS[n.op]);
  const missing = [...new Set(g.nodes.filter((n) => !loweringOf(n)).map((n) => (isIntegerNode(g, n) ? `${n.op} (integer)` : n.op)))];
  if (missing.length) throw new EdgecError(`${g.source}: no C kernel for op(s) ${missing.join(', ')}`);
  const P = opts.prefix;
  const ioIndex = new Map<string, string>();
  g.inputs.forEach((n, i) => ioIndex.set(n, `in${i}`));
  g.outputs.forEach((n, i) => { if (!ioIndex.has(n)) ioIndex.set(n, `out${i}`); });

  // Buffers: alias reshape-like outputs to their input where the output is not a graph output.
  const root = new Map<string, string>();
  const rootOf = (t: string): string => root.get(t) ?? t;
  const skipped = new Set<Node>();
  for (const n of g.nodes) {
    const def = getOp(n.op);
    const src = n.inputs[0];
    const out = n.outputs[0];
    if (def.aliasesInput && src && !g.outputs.includes(out) && !g.tensors.get(out)?.data) {
      root.set(out, rootOf(src));
      skipped.add(n);
    }
  }
  // Lifetimes of arena buffers (roots that are neither constants nor graph I/O).
  const isArena = (t: string) => !ioIndex.has(t) && !g.tensors.get(t)?.data;
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o && isArena(rootOf(o)) && !first.has(rootOf(o))) first.set(rootOf(o), i);
    for (const x of [...n.inputs, ...n.outputs]) if (x && isArena(rootOf(x))) last.set(rootOf(x), i);
  });

  // Lower every node; tensor pointers are symbolic until the arena is planned.
  const symbols = new Map<string, string>();
  const consts = new Map<string, Value>();
  const usedConsts = new Set<string>();
  const kernels = new Set<string>();
  const scratch: BufferRequest[] = [];
  const bodies: string[][] = [];
  let extraConsts = 0;
  const symOf = (t: string): string => {
    const r = rootOf(t);
    let s = symbols.get(r);
    if (!s) {
      const tensor = g.tensors.get(r);
      s = ioIndex.get(r) ?? (tensor?.data ? `W${symbols.size}` : `T${symbols.size}`);
      symbols.set(r, s);
    }
    return s;
  };
  const cTensor = (name: string): CTensor => {
    const t = g.tensors.get(name) as Tensor;
    const r = rootOf(name);
    const rt = g.tensors.get(r) as Tensor;
    const value = t.data ? { dtype: t.dtype, shape: t.shape, data: t.data } : undefined;
    const cType = DTYPES[t.dtype].cType;
    return {
      name,
      info: { dtype: t.dtype, shape: t.shape },
      value,
      quant: t.quant,
      get ptr() {
        const s = symOf(name);
        if (rt.data) {
          usedConsts.add(r);
          consts.set(s, { dtype: rt.dtype, shape: rt.shape, data: rt.data });
          return `((${cType} *)${constArrayRef(s, consts.get(s)!)})`;
        }
        return `((${cType} *)${s})`;
      },
    };
  };
  g.nodes.forEach((node, i) => {
    const lines: string[] = [];
    bodies.push(lines);
    if (skipped.has(node)) return;
    const ctx: CLowerCtx = {
      node,
      input: (k) => (node.inputs[k] ? cTensor(node.inputs[k]) : undefined),
      output: (k) => cTensor(node.outputs[k]),
      useKernel: (f) => kernels.add(f),
      scratch: (bytes) => {
        const id = `S${i}_${scratch.length}`;
        scratch.push({ id, bytes, first: i, last: i });
        return `((void *)(arena + ${id}))`;
      },
      constArray: (stem, v) => {
        const s = `K${extraConsts++}_${stem.replace(/[^A-Za-z0-9_]/g, '_')}`;
        consts.set(s, v);
        return constArrayRef(s, v);
      },
      line: (code) => lines.push(code),
      target: opts.target,
    };
    loweringOf(node)!(ctx);
  });

  // Plan: activations and scratch in one arena.
  const reqs: BufferRequest[] = [...first.keys()].map((r) => {
    const t = g.tensors.get(r) as Tensor;
    return { id: r, bytes: byteSize(t.dtype, t.shape), first: first.get(r)!, last: last.get(r)! };
  });
  const plan = planArena([...reqs, ...scratch]);

  // Assemble model.c.
  const c: string[] = [];
  c.push(`/* Generated by edgec from ${path.basename(g.source)}. Do not edit. */`);
  c.push(`#include "${P}.h"`);
  c.push('#include "edgec_runtime.h"');
  if (opts.target.simd) c.push(...vocabPreamble(opts.target.simd));
  for (const k of [...kernels].sort()) c.push(`#include "kernels/${k}"`);
  c.push('');
  for (const [s, v] of consts) c.push(constArrayDecl(s, v).trimEnd());
  c.push('');
  const sig = runSignature(g, P);
  c.push(`${sig} {`);
  c.push('  uint8_t *arena = (uint8_t *)arena_v;');
  c.push('  (void)arena;');
  // Inputs no node reads (a TFLite TRANSPOSE_CONV's output-shape input) are still parameters.
  const read = new Set(g.nodes.flatMap((n) => n.inputs));
  g.inputs.forEach((n, i) => { if (!read.has(n) && !g.outputs.includes(n)) c.push(`  (void)in${i};`); });
  for (const [r, s] of symbols) {
    if (ioIndex.has(r) || g.tensors.get(r)?.data) continue;
    const t = g.tensors.get(r) as Tensor;
    c.push(`  ${DTYPES[t.dtype].cType} *${s} = (${DTYPES[t.dtype].cType} *)(arena + ${plan.offsets.get(r)}); /* ${cleanComment(r)} [${t.shape.join('x')}] */`);
  }
  g.nodes.forEach((n, i) => {
    const body = bodies[i];
    if (!body.length) return;
    const outT = g.tensors.get(n.outputs[0]);
    c.push(`  /* ${cleanComment(n.name)}: ${n.op} -> [${outT?.shape.join('x') ?? ''}] */`);
    c.push('  {');
    for (const l of body) c.push(`    ${l.replace(/arena \+ (S\d+_\d+)/g, (_, id: string) => `arena + ${plan.offsets.get(id)}`)}`);
    c.push('  }');
  });
  // Graph outputs that no node writes (constants, graph inputs, repeated outputs) are copied.
  g.outputs.forEach((n, i) => {
    if (ioIndex.get(n) === `out${i}` && !g.tensors.get(n)?.data && !g.inputs.includes(n)) return;
    const t = cTensor(n);
    c.push(`  memcpy(out${i}, ${t.ptr}, ${byteSize(t.info.dtype, t.info.shape)});`);
  });
  c.push('  return 0;');
  c.push('}');
  c.push('');
  c.push(...modelInfoSource(g, P));

  // Weights file.
  const w: string[] = [`/* Weights of ${path.basename(g.source)}, generated by edgec. */`, '#include "edgec_runtime.h"', ''];
  let weightsBytes = 0;
  for (const [s, v] of consts) {
    w.push(constArraySource(s, v));
    weightsBytes += v.data.length * DTYPES[v.dtype].bytes;
  }

  const files = new Map<string, string>();
  files.set(`${P}.h`, headerSource(g, P, plan.bytes));
  files.set(`${P}.c`, c.join('\n'));
  files.set(`${P}_weights.c`, w.join('\n'));
  files.set('edgec_runtime.h', fs.readFileSync(path.join(RUNTIME_DIR, 'edgec_runtime.h'), 'utf8'));
  if (opts.target.simd) {
    const h = VECTOR_VOCABS[opts.target.simd].header;
    files.set(`simd/${h}`, fs.readFileSync(path.join(RUNTIME_DIR, 'simd', h), 'utf8'));
  }
  for (const k of withIncludes(kernels)) files.set(`kernels/${k}`, fs.readFileSync(path.join(RUNTIME_DIR, 'kernels', k), 'utf8'));
  return { files, prefix: P, arenaBytes: plan.bytes, arenaLowerBound: plan.liveLowerBound, weightsBytes, kernels: [...kernels].sort() };
}

/** Kernel files plus the kernel files they #include (kernels may build on each other, e.g. conv.h on gemm.h). */
function withIncludes(kernels: Set<string>): string[] {
  const all = new Set<string>();
  const visit = (k: string) => {
    if (all.has(k)) return;
    all.add(k);
    const src = fs.readFileSync(path.join(RUNTIME_DIR, 'kernels', k), 'utf8');
    for (const m of src.matchAll(/^#include "([\w.-]+\.h)"/gm)) if (fs.existsSync(path.join(RUNTIME_DIR, 'kernels', m[1]))) visit(m[1]);
  };
  for (const k of kernels) visit(k);
  return [...all].sort();
}

function cleanComment(s: string): string {
  return s.replace(/\*\//g, '* /');
}

function runSignature(g: Graph, P: string): string {
  const args = [
    ...g.inputs.map((n, i) => `const ${DTYPES[g.tensors.get(n)!.dtype].cType} *EDGEC_RESTRICT in${i}`),
    ...g.outputs.map((n, i) => `${DTYPES[g.tensors.get(n)!.dtype].cType} *EDGEC_RESTRICT out${i}`),
    'void *arena_v',
  ];
  return `int ${P}_run(${args.join(', ')})`;
}

function ioMacros(g: Graph, P: string): string[] {
  const U = P.toUpperCase();
  const lines: string[] = [];
  const io = [...g.inputs.map((n, i) => ['INPUT', i, n] as const), ...g.outputs.map((n, i) => ['OUTPUT', i, n] as const)];
  for (const [kind, i, n] of io) {
    const t = g.tensors.get(n)!;
    lines.push(`/* ${kind.toLowerCase()} ${i}: '${cleanComment(n)}' ${t.dtype} [${t.shape.join('x')}] */`);
    lines.push(`#define ${U}_${kind}${i}_RANK ${t.shape.length}`);
    lines.push(`#define ${U}_${kind}${i}_SHAPE {${t.shape.join(', ')}}`);
    lines.push(`#define ${U}_${kind}${i}_SIZE ${t.shape.reduce((a, b) => a * b, 1)}`);
  }
  return lines;
}

function headerSource(g: Graph, P: string, arenaBytes: number): string {
  const U = P.toUpperCase();
  return [
    `/* ${P}: compiled by edgec from ${path.basename(g.source)}. */`,
    `#ifndef ${U}_H`,
    `#define ${U}_H`,
    '#include <stddef.h>',
    '#include <stdint.h>',
    '#include "edgec_runtime.h"',
    '',
    `/* Bytes of working memory ${P}_run needs; pass a buffer of this size aligned to 64 bytes. */`,
    `#define ${U}_ARENA_SIZE ${arenaBytes}`,
    `#define ${U}_NUM_INPUTS ${g.inputs.length}`,
    `#define ${U}_NUM_OUTPUTS ${g.outputs.length}`,
    ...ioMacros(g, P),
    '',
    '/* Run the model: inputs, then outputs (caller-owned), then the arena. Returns 0. */',
    `${runSignature(g, P)};`,
    '',
    `/* Names, shapes and dtypes of the I/O and a pointer-array entry point, for generic drivers. */`,
    `extern const edgec_model_info ${P}_info;`,
    '',
    '#endif',
    '',
  ].join('\n');
}

function modelInfoSource(g: Graph, P: string): string[] {
  const out: string[] = [];
  const table = (kind: 'in' | 'out', names: string[]) => {
    names.forEach((n, i) => out.push(`static const int32_t ${kind}${i}_shape[${Math.max(1, g.tensors.get(n)!.shape.length)}] = {${g.tensors.get(n)!.shape.join(', ') || '0'}};`));
    out.push(`static const edgec_io_info ${kind}_info[${Math.max(1, names.length)}] = {`);
    for (const [i, n] of names.entries()) {
      const t = g.tensors.get(n)!;
      out.push(`  {"${n.replace(/["\\]/g, '_')}", ${DTYPE_CODES[t.dtype]}, ${t.shape.length}, ${kind}${i}_shape, ${byteSize(t.dtype, t.shape)}},`);
    }
    out.push('};');
  };
  table('in', g.inputs);
  table('out', g.outputs);
  const args = [
    ...g.inputs.map((n, i) => `(const ${DTYPES[g.tensors.get(n)!.dtype].cType} *)inputs[${i}]`),
    ...g.outputs.map((n, i) => `(${DTYPES[g.tensors.get(n)!.dtype].cType} *)outputs[${i}]`),
    'arena',
  ];
  out.push(`static int run_v(const void *const *inputs, void *const *outputs, void *arena) {`);
  out.push('  (void)inputs; (void)outputs;');
  out.push(`  return ${P}_run(${args.join(', ')});`);
  out.push('}');
  out.push(`const edgec_model_info ${P}_info = {"${P}", ${g.inputs.length}, ${g.outputs.length}, in_info, out_info, ${P.toUpperCase()}_ARENA_SIZE, run_v};`);
  return out;
}
