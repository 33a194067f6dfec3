/** The shared C emitter: lowers every node through the C lowering table, plans the arena, writes the artifact's files. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Graph, Node, Tensor, Value } from '../../ir/types.js';
import { byteSize, DTYPES } from '../../ir/dtype.js';
import { getOp } from '../../ops/registry.js';
import { EdgecError } from '../../util/errors.js';
import type { CLowerCtx, CTensor } from './lowering.js';
import { C_LOWERINGS, C_INT_LOWERINGS_BY_PROFILE, C_IN_PLACE_OPS, type KernelProfile } from './lower/index.js';
import { isIntegerNode } from '../../ir/quant.js';
import { planArena, type BufferRequest } from './arena.js';
import { assignBuffers } from './buffers.js';
import { packConst, packedArrayDecl, packedArraySource, unpackCall, type PackedConst } from './pack.js';
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
  /** Each layer as its own non-inlined function called from the run function (Target.layerFunctions). */
  layerFunctions?: boolean;
}

/** Emitter options: symbol prefix for the API, target facts. */
export interface EmitOptions {
  prefix: string;
  target: CTargetFacts;
  /** 'lossless': entropy-code the weights, decoded into RAM at the first run (pack.ts). */
  pack?: 'lossless';
}

/** The emitted artifact: file name → contents, plus sizes for the report. */
export interface CArtifact {
  files: Map<string, string>;
  prefix: string;
  arenaBytes: number;
  arenaLowerBound: number;
  /** The arena strategy whose placement was kept, and how many nodes write over an input. */
  arenaPlanner: string;
  inPlaceNodes: number;
  weightsBytes: number;
  /** With --pack: the weights' unpacked bytes and the RAM the decoded arrays take. */
  packed?: { raw_bytes: number; packed_bytes: number; ram_bytes: number; arrays: number };
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

  // Buffers: views alias their input, elementwise float ops may overwrite an input that dies with them.
  const isArena = (t: string) => !ioIndex.has(t) && !g.tensors.get(t)?.data;
  const buffers = assignBuffers(g, isArena, (n) => !isIntegerNode(g, n) && C_IN_PLACE_OPS.has(n.op));
  const rootOf = buffers.rootOf;
  const skipped = buffers.views;

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
  const plan = planArena([...buffers.requests, ...scratch]);

  // Assemble model.c.
  const c: string[] = [];
  c.push(`/* Generated by edgec from ${path.basename(g.source)}. Do not edit. */`);
  c.push(`#include "${P}.h"`);
  c.push('#include "edgec_runtime.h"');
  if (opts.target.simd) c.push(...vocabPreamble(opts.target.simd));
  for (const k of [...kernels].sort()) c.push(`#include "kernels/${k}"`);
  c.push('');
  const packs = new Map<string, PackedConst>();
  if (opts.pack) for (const [s, v] of consts) { const p = packConst(v); if (p) packs.set(s, p); }
  if (packs.size) kernels.add('unpack.h');
  for (const [s, v] of consts) c.push((packs.has(s) ? packedArrayDecl(s, v) : constArrayDecl(s, v)).trimEnd());
  if (packs.size) c.push(`void ${P}_unpack_weights(void);`);
  c.push('');
  const sig = runSignature(g, P);
  // Arena tensors as C pointers, and each node's statements with its scratch offsets filled in.
  const decls = new Map<string, string>();
  for (const [r, s] of symbols) {
    if (ioIndex.has(r) || g.tensors.get(r)?.data) continue;
    const t = g.tensors.get(r) as Tensor;
    decls.set(s, `  ${DTYPES[t.dtype].cType} *${s} = (${DTYPES[t.dtype].cType} *)(arena + ${plan.offsets.get(r)}); /* ${cleanComment(r)} [${t.shape.join('x')}] */`);
  }
  const stmts = bodies.map((body) => body.map((l) => l.replace(/arena \+ (S\d+_\d+)/g, (_, id: string) => `arena + ${plan.offsets.get(id)}`)));
  const title = (n: Node) => `  /* ${cleanComment(n.name)}: ${n.op} -> [${g.tensors.get(n.outputs[0])?.shape.join('x') ?? ''}] */`;
  const params = runParams(g);
  if (opts.target.layerFunctions) c.push(...layerFunctionsSource(g, P, stmts, decls, title));
  c.push(`${sig} {`);
  if (packs.size) c.push(`  ${P}_unpack_weights();`);
  c.push('  uint8_t *arena = (uint8_t *)arena_v;');
  c.push('  (void)arena;');
  // Inputs no node reads (a TFLite TRANSPOSE_CONV's output-shape input) are still parameters.
  const read = new Set(g.nodes.flatMap((n) => n.inputs));
  g.inputs.forEach((n, i) => { if (!read.has(n) && !g.outputs.includes(n)) c.push(`  (void)in${i};`); });
  if (!opts.target.layerFunctions) c.push(...decls.values());
  g.nodes.forEach((n, i) => {
    if (!stmts[i].length) return;
    c.push(title(n));
    if (opts.target.layerFunctions) {
      c.push(`  ${P}_layer${i}(${params.map((p) => p.name).join(', ')});`);
      return;
    }
    c.push('  {');
    for (const l of stmts[i]) c.push(`    ${l}`);
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
  const w: string[] = [`/* Weights of ${path.basename(g.source)}, generated by edgec. */`, '#include "edgec_runtime.h"', ...(packs.size ? ['#include "kernels/unpack.h"'] : []), ''];
  let weightsBytes = 0;
  let rawBytes = 0;
  for (const [s, v] of consts) {
    const p = packs.get(s);
    w.push(p ? packedArraySource(s, v, p) : constArraySource(s, v));
    rawBytes += v.data.length * DTYPES[v.dtype].bytes;
    weightsBytes += p ? p.bytes : v.data.length * DTYPES[v.dtype].bytes;
  }
  if (packs.size) {
    w.push(`/* Decode the packed weights into RAM, once. */`, `void ${P}_unpack_weights(void) {`, '  static int done = 0;', '  if (done) return;', '  done = 1;');
    for (const [s] of packs) w.push(`  ${unpackCall(s, consts.get(s)!)}`);
    w.push('}', '');
  }
  const ramBytes = [...packs.keys()].reduce((n, s) => n + consts.get(s)!.data.length * DTYPES[consts.get(s)!.dtype].bytes, 0);

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
  return { files, prefix: P, arenaBytes: plan.bytes, arenaLowerBound: plan.liveLowerBound, arenaPlanner: plan.planner, inPlaceNodes: buffers.inPlace.size,
    packed: opts.pack ? { raw_bytes: rawBytes, packed_bytes: weightsBytes, ram_bytes: ramBytes, arrays: packs.size } : undefined, weightsBytes, kernels: [...kernels].sort() };
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

/** The run function's parameters: inputs, outputs, then the arena. */
function runParams(g: Graph): { name: string; decl: string }[] {
  return [
    ...g.inputs.map((n, i) => ({ name: `in${i}`, decl: `const ${DTYPES[g.tensors.get(n)!.dtype].cType} *EDGEC_RESTRICT in${i}` })),
    ...g.outputs.map((n, i) => ({ name: `out${i}`, decl: `${DTYPES[g.tensors.get(n)!.dtype].cType} *EDGEC_RESTRICT out${i}` })),
    { name: 'arena_v', decl: 'void *arena_v' },
  ];
}

function runSignature(g: Graph, P: string): string {
  return `int ${P}_run(${runParams(g).map((p) => p.decl).join(', ')})`;
}

/** One non-inlined function per node with statements, taking the run function's parameters and declaring the arena
 * tensors its statements name. */
function layerFunctionsSource(g: Graph, P: string, stmts: string[][], decls: Map<string, string>, title: (n: Node) => string): string[] {
  const params = runParams(g);
  const out: string[] = [];
  g.nodes.forEach((n, i) => {
    if (!stmts[i].length) return;
    const text = stmts[i].join('\n');
    const used = [...decls].filter(([s]) => new RegExp(`\\b${s}\\b`).test(text)).map(([, d]) => d);
    out.push(title(n).trim(), `static EDGEC_LAYER_FN void ${P}_layer${i}(${params.map((p) => p.decl).join(', ')}) {`);
    out.push('  uint8_t *arena = (uint8_t *)arena_v;', `  (void)arena; ${params.slice(0, -1).map((p) => `(void)${p.name};`).join(' ')}`, ...used);
    out.push('  {', ...stmts[i].map((l) => `    ${l}`), '  }', '}', '');
  });
  return out;
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
