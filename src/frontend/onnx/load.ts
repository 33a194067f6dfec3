/** ONNX model loader: decodes a .onnx file into an IR graph with static input shapes. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { onnx as OnnxNs } from 'onnx-proto';
import type { Attr, Graph, Node, Tensor, Value } from '../../ir/types.js';
import { EdgecError } from '../../util/errors.js';
import { findOp } from '../../ops/registry.js';
import { onnx, num, tensorFromProto, dtypeOf } from './proto.js';
import { DOMAIN_IMPORT_RULES, ONNX_IMPORT_RULES, type ImportCtx } from './import-rules.js';

/** Options for loading: concrete shapes for inputs whose dims are symbolic. */
export interface LoadOptions {
  inputShapes?: Record<string, number[]>;
  /** Inputs frozen to constant values (shape-valued inputs of dynamic-shape models). */
  constInputs?: Record<string, Value>;
}

/** Decode bytes as an ONNX ModelProto, with a clear error for anything that is not one. */
export function decodeModel(bytes: Uint8Array, file: string): OnnxNs.ModelProto {
  let m: OnnxNs.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new EdgecError(`${file}: not a valid ONNX model (${(e as Error).message}); check the file is complete and is .onnx`);
  }
  if (!m.graph || !m.graph.node?.length) throw new EdgecError(`${file}: not a valid ONNX model (no graph or no nodes)`);
  return m;
}

function attrFromProto(a: OnnxNs.IAttributeProto, baseDir: string, where: string): Attr | undefined {
  switch (a.type) {
    case 1: return { type: 'float', value: a.f ?? 0 };
    case 2: return { type: 'int', value: num(a.i) };
    case 3: return { type: 'string', value: Buffer.from(a.s ?? []).toString('utf8') };
    case 4: return { type: 'tensor', value: tensorFromProto(a.t!, baseDir, where) };
    case 6: return { type: 'floats', value: [...(a.floats ?? [])] };
    case 7: return { type: 'ints', value: (a.ints ?? []).map(num) };
    case 8: return { type: 'strings', value: (a.strings ?? []).map((s) => Buffer.from(s).toString('utf8')) };
    default: return undefined; // graphs, sparse tensors: only ops we do not support carry them
  }
}

/** The value of a Constant node from whichever value_* attribute it carries. */
function constantNodeValue(n: Node, where: string): Value {
  const a = Object.entries(n.attrs)[0];
  if (!a) throw new EdgecError(`${where}: Constant node has no value`);
  const [k, v] = a;
  if (v.type === 'tensor') return v.value;
  if (k === 'value_float' && v.type === 'float') return { dtype: 'float32', shape: [], data: Float32Array.of(v.value) };
  if (k === 'value_floats' && v.type === 'floats') return { dtype: 'float32', shape: [v.value.length], data: Float32Array.from(v.value) };
  if (k === 'value_int' && v.type === 'int') return { dtype: 'int64', shape: [], data: Float64Array.of(v.value) };
  if (k === 'value_ints' && v.type === 'ints') return { dtype: 'int64', shape: [v.value.length], data: Float64Array.from(v.value) };
  throw new EdgecError(`${where}: Constant with '${k}' is not supported`);
}

function parseDims(vi: OnnxNs.IValueInfoProto): (number | string)[] {
  const dims = vi.type?.tensorType?.shape?.dim ?? [];
  return dims.map((d, i) => (d.dimValue !== undefined && d.dimValue !== null && num(d.dimValue) > 0 ? num(d.dimValue) : d.dimParam || `?${i}`));
}

/** Load an ONNX file into an IR graph; Constant nodes become constant tensors. */
export function loadOnnx(file: string, opts: LoadOptions = {}): Graph {
  if (!fs.existsSync(file)) throw new EdgecError(`${file}: no such file`);
  const model = decodeModel(fs.readFileSync(file), file);
  return onnxToGraph(model, file, opts);
}

/** Convert a decoded ModelProto into an IR graph. */
export function onnxToGraph(model: OnnxNs.ModelProto, file: string, opts: LoadOptions = {}): Graph {
  const baseDir = path.dirname(file);
  const g0 = model.graph!;
  const opset = num(model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 1);
  const tensors = new Map<string, Tensor>();
  const addConst = (name: string, v: Value) => tensors.set(name, { name, dtype: v.dtype, shape: v.shape, data: v.data });
  for (const init of g0.initializer ?? []) addConst(init.name ?? '', tensorFromProto(init, baseDir, `${file}: initializer '${init.name}'`));

  // Graph inputs that are not initializers, with shapes bound from --input-shape.
  const bind = opts.inputShapes ?? {};
  const inputs: string[] = [];
  for (const [k, v] of Object.entries(opts.constInputs ?? {})) {
    if (!(g0.input ?? []).some((vi) => vi.name === k)) throw new EdgecError(`--freeze-input names '${k}', which is not an input of the model`);
    addConst(k, v);
  }
  const realInputs = (g0.input ?? []).filter((vi) => !tensors.has(vi.name ?? ''));
  for (const k of Object.keys(bind))
    if (!realInputs.some((vi) => vi.name === k))
      throw new EdgecError(`--input-shape names '${k}', but the model's inputs are: ${realInputs.map((v) => v.name).join(', ')}`);
  for (const vi of realInputs) {
    const name = vi.name ?? '';
    const dims = parseDims(vi);
    const dtype = dtypeOf(vi.type?.tensorType?.elemType ?? 0, `${file}: input '${name}'`);
    let shape: number[];
    if (bind[name]) {
      shape = bind[name];
      if (shape.length !== dims.length)
        throw new EdgecError(`--input-shape ${name}=${shape.join('x')}: the model declares rank ${dims.length} [${dims.join(',')}]`);
      dims.forEach((d, i) => {
        if (typeof d === 'number' && d !== shape[i])
          throw new EdgecError(`--input-shape ${name}=${shape.join('x')}: dim ${i} is fixed to ${d} in the model`);
      });
    } else {
      const sym = dims.filter((d) => typeof d === 'string');
      if (sym.length)
        throw new EdgecError(
          `${file}: input '${name}' has symbolic dims [${dims.join(',')}]; bind them with --input-shape ${name}=${dims.map((d) => (typeof d === 'number' ? d : 'N')).join('x')}`,
        );
      shape = dims as number[];
    }
    tensors.set(name, { name, dtype, shape });
    inputs.push(name);
  }

  // Nodes: typed attributes, then the import rule for the op.
  const nodes: Node[] = [];
  const unsupported = new Map<string, string[]>();
  let counter = 0;
  const ctx: ImportCtx = {
    opset,
    rankOf: (name) => tensors.get(name)?.shape.length,
    constOf: (name) => {
      const t = tensors.get(name);
      return t?.data ? { dtype: t.dtype, shape: t.shape, data: t.data } : undefined;
    },
    addConst: (stem, v) => {
      let name = stem;
      while (tensors.has(name)) name = `${stem}_${++counter}`;
      addConst(name, v);
      return name;
    },
  };
  for (const [idx, p] of (g0.node ?? []).entries()) {
    const opType = p.opType ?? '';
    const domain = p.domain && p.domain !== 'ai.onnx' ? `${p.domain}.` : '';
    const name = p.name || `${opType}_${idx}`;
    const where = `${file}: node '${name}' (${domain}${opType})`;
    const attrs: Record<string, Attr> = {};
    for (const a of p.attribute ?? []) {
      const v = attrFromProto(a, baseDir, where);
      if (v) attrs[a.name ?? ''] = v;
    }
    const node: Node = { name, op: opType, inputs: [...(p.input ?? [])], outputs: [...(p.output ?? [])], attrs };
    if (!domain && opType === 'Constant') {
      addConst(node.outputs[0], constantNodeValue(node, where));
      continue;
    }
    const rule = domain ? DOMAIN_IMPORT_RULES[p.domain ?? '']?.[opType] : ONNX_IMPORT_RULES[opType];
    if (!rule) {
      const key = `${domain}${opType}`;
      unsupported.set(key, [...(unsupported.get(key) ?? []), name]);
      continue;
    }
    for (const n of rule(node, ctx)) {
      if (!findOp(n.op)) unsupported.set(n.op, [...(unsupported.get(n.op) ?? []), name]);
      nodes.push(n);
    }
  }
  if (unsupported.size) {
    const list = [...unsupported].map(([op, ns]) => `${op} (node '${ns[0]}'${ns.length > 1 ? ` and ${ns.length - 1} more` : ''})`);
    throw new EdgecError(`${file}: unsupported ops at opset ${opset}: ${list.join(', ')}; see the README's supported-op table`);
  }
  const outputs = (g0.output ?? []).map((o) => o.name ?? '');
  return { name: g0.name || path.basename(file, '.onnx'), tensors, nodes, inputs, outputs, source: file };
}
