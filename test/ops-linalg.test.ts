/** Gemm and MatMul: reference vs onnxruntime, and the compiled C (plain and sanitized) vs the reference. */
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../src/ops/index.js';
import type { DType, Value } from '../src/ir/types.js';
import { allocData, numel } from '../src/ir/dtype.js';
import { loadOnnx } from '../src/frontend/onnx/load.js';
import { runPipeline, type Pass } from '../src/passes/pass.js';
import { inferShapes } from '../src/passes/infer-shapes.js';
import { fuseActivation } from '../src/passes/fuse-activation.js';
import { runReference } from '../src/interp/reference.js';
import { compareValues, seededRandom } from '../src/verify/metrics.js';
import { makeModel, type ModelIn, type NodeIn, type TensorIn } from './helpers/onnx-builder.js';
import { runOrt } from './helpers/ort.js';
import { runC } from './helpers/c-run.js';
import { limit } from './helpers/limit.js';

const TOL = 1e-5;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-linalg-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));
const compilers = limit(2);

type Elem = 'float32' | 'int32' | 'int64';

/** Seeded values: floats in [-1, 1), integers in [-5, 5]. */
function values(shape: number[], seed: number, dtype: DType = 'float32'): Value {
  const rnd = seededRandom(seed);
  const data = allocData(dtype, numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = dtype === 'float32' || dtype === 'float64' ? rnd() * 2 - 1 : Math.floor(rnd() * 11) - 5;
  return { dtype, shape, data };
}

/** One operand: a graph input (runtime) or an initializer (constant). */
interface Operand {
  name: string;
  dims: number[];
  constant?: boolean;
}

interface Case {
  op: 'MatMul' | 'Gemm';
  operands: Operand[];
  attrs?: NodeIn['attrs'];
  dtype?: Elem;
  /** A Relu after the product, fused by the fuse-activation pass. */
  relu?: boolean;
  sanitize?: boolean;
}

function model(c: Case): ModelIn {
  const dtype = c.dtype ?? 'float32';
  const inputs: ModelIn['inputs'] = [];
  const inits: Record<string, TensorIn> = {};
  c.operands.forEach((o, i) => {
    if (o.constant) inits[o.name] = { dims: o.dims, data: values(o.dims, 31 + i, dtype).data, dtype };
    else inputs.push({ name: o.name, dims: o.dims, dtype });
  });
  const nodes: NodeIn[] = [{ op: c.op, inputs: c.operands.map((o) => o.name), outputs: [c.relu ? 't' : 'y'], attrs: c.attrs ?? {} }];
  if (c.relu) nodes.push({ op: 'Relu', inputs: ['t'], outputs: ['y'] });
  return { inputs, initializers: inits, nodes, outputs: ['y'], opset: 17 };
}

/** Reference vs onnxruntime, then C and sanitized C vs the reference (exact for integers, rel-L2 <= TOL for floats). */
async function check(t: ExecutionContext, c: Case, expectShape?: number[]): Promise<void> {
  const bytes = makeModel(model(c));
  const file = path.join(tmp, `${t.title.replace(/[^A-Za-z0-9]+/g, '_')}.onnx`);
  fs.writeFileSync(file, bytes);
  const passes: Pass[] = c.relu ? [inferShapes, fuseActivation] : [inferShapes];
  const g = runPipeline(loadOnnx(file), passes);
  if (c.relu) t.is(g.nodes.length, 1, 'the Relu is fused');
  const feeds: Record<string, Value> = {};
  g.inputs.forEach((n, i) => (feeds[n] = values(g.tensors.get(n)!.shape, 17 + i, g.tensors.get(n)!.dtype)));
  const ref = runReference(g, feeds);
  const ort = await runOrt(bytes, feeds);
  const sanitize = c.sanitize !== false;
  const [cc, cs] = await Promise.all([compilers(() => runC(g, feeds)), sanitize ? compilers(() => runC(g, feeds, { sanitize: true })) : undefined]);
  if (expectShape) t.deepEqual(ref.y.shape, expectShape);
  t.deepEqual(ref.y.shape, ort.y.shape, 'reference shape vs onnxruntime');
  const pairs: [string, Value, Value][] = [['reference vs onnxruntime', ref.y, ort.y], ['C vs reference', cc.y, ref.y]];
  if (cs) pairs.push(['sanitized C vs reference', cs.y, ref.y]);
  for (const [what, a, r] of pairs) {
    if (c.dtype && c.dtype !== 'float32') t.deepEqual(Array.from(a.data), Array.from(r.data), what);
    else t.true(compareValues('y', a, r).rel_l2_err <= TOL, `${what}: rel-L2 ${compareValues('y', a, r).rel_l2_err}`);
  }
}

const rt = (name: string, dims: number[]): Operand => ({ name, dims });
const k = (name: string, dims: number[]): Operand => ({ name, dims, constant: true });

// MatMul
test('MatMul activations x weights (PP-OCR rec qkv)', (t) => check(t, { op: 'MatMul', operands: [rt('a', [40, 120]), k('b', [120, 360])] }, [40, 360]));
test('MatMul batched activations x shared weights', (t) => check(t, { op: 'MatMul', operands: [rt('a', [2, 3, 13, 30]), k('b', [30, 21])] }, [2, 3, 13, 21]));
test('MatMul two activations', (t) => check(t, { op: 'MatMul', operands: [rt('a', [17, 33]), rt('b', [33, 21])] }, [17, 21]));
test('MatMul batched two activations (attention)', (t) => check(t, { op: 'MatMul', operands: [rt('a', [1, 8, 40, 15]), rt('b', [1, 8, 15, 40])] }, [1, 8, 40, 40]));
test('MatMul broadcast batch dims', (t) => check(t, { op: 'MatMul', operands: [rt('a', [2, 1, 5, 7]), rt('b', [3, 7, 4])] }, [2, 3, 5, 4]));
test('MatMul broadcast batch dims, constant batched B', (t) => check(t, { op: 'MatMul', operands: [rt('a', [3, 1, 5, 7]), k('b', [2, 7, 6])] }, [3, 2, 5, 6]));
test('MatMul constant batched B per A batch', (t) => check(t, { op: 'MatMul', operands: [rt('a', [2, 3, 7]), k('b', [2, 7, 5])] }, [2, 3, 5]));
test('MatMul constant A x activations', (t) => check(t, { op: 'MatMul', operands: [k('a', [2, 6, 8]), rt('b', [8, 10])] }, [2, 6, 10]));
test('MatMul 1-D x 2-D', (t) => check(t, { op: 'MatMul', operands: [rt('a', [7]), rt('b', [7, 5])] }, [5]));
test('MatMul 2-D x 1-D', (t) => check(t, { op: 'MatMul', operands: [rt('a', [4, 7]), k('b', [7])] }, [4]));
test('MatMul 1-D x 1-D', (t) => check(t, { op: 'MatMul', operands: [rt('a', [9]), rt('b', [9])] }, []));
test('MatMul 1-D x 3-D', (t) => check(t, { op: 'MatMul', operands: [rt('a', [7]), rt('b', [2, 7, 5])] }, [2, 5]));
test('MatMul 3-D x 1-D', (t) => check(t, { op: 'MatMul', operands: [rt('a', [2, 3, 7]), rt('b', [7])] }, [2, 3]));
test('MatMul deep K past one cache block, ragged N', (t) => check(t, { op: 'MatMul', operands: [rt('a', [5, 600]), k('b', [600, 70])] }, [5, 70]));
test('MatMul wide N past one cache block', (t) => check(t, { op: 'MatMul', operands: [rt('a', [9, 20]), rt('b', [20, 700])] }, [9, 700]));
test('MatMul + fused Relu', (t) => check(t, { op: 'MatMul', operands: [rt('a', [2, 12, 16]), k('b', [16, 32])], relu: true }));
test('MatMul int32', (t) => check(t, { op: 'MatMul', dtype: 'int32', operands: [rt('a', [2, 4, 6]), rt('b', [6, 3])] }, [2, 4, 3]));
test('MatMul int64 constant B', (t) => check(t, { op: 'MatMul', dtype: 'int64', operands: [rt('a', [3, 5]), k('b', [5, 2])] }, [3, 2]));

// Gemm
test('Gemm fully connected: constant B, bias [N]', (t) => check(t, { op: 'Gemm', operands: [rt('a', [3, 20]), k('b', [20, 10]), k('c', [10])] }, [3, 10]));
test('Gemm transB constant B, alpha, beta, bias [1,N]', (t) =>
  check(t, { op: 'Gemm', operands: [rt('a', [5, 20]), k('b', [10, 20]), k('c', [1, 10])], attrs: { transB: 1, alpha: { float: 0.5 }, beta: { float: 2 } } }));
test('Gemm transA, run-time B and full C, beta', (t) =>
  check(t, { op: 'Gemm', operands: [rt('a', [20, 3]), rt('b', [20, 10]), rt('c', [3, 10])], attrs: { transA: 1, beta: { float: 0.7 } } }));
test('Gemm transA transB, alpha, run-time operands', (t) =>
  check(t, { op: 'Gemm', operands: [rt('a', [9, 7]), rt('b', [11, 9])], attrs: { transA: 1, transB: 1, alpha: { float: -1.5 } } }, [7, 11]));
test('Gemm constant C [M,1]', (t) => check(t, { op: 'Gemm', operands: [rt('a', [7, 5]), k('b', [5, 4]), k('c', [7, 1])], attrs: { beta: { float: 3 } } }));
test('Gemm constant scalar C', (t) => check(t, { op: 'Gemm', operands: [rt('a', [7, 5]), k('b', [5, 4]), k('c', [])], attrs: { beta: { float: 0.25 } } }));
test('Gemm constant full C', (t) => check(t, { op: 'Gemm', operands: [rt('a', [7, 5]), k('b', [5, 4]), k('c', [7, 4])] }));
test('Gemm run-time C [N]', (t) => check(t, { op: 'Gemm', operands: [rt('a', [7, 5]), k('b', [5, 19]), rt('c', [19])] }));
test('Gemm run-time C [M,1]', (t) => check(t, { op: 'Gemm', operands: [rt('a', [7, 5]), k('b', [5, 19]), rt('c', [7, 1])] }));
test('Gemm run-time C [M,1], beta 2', (t) => check(t, { op: 'Gemm', operands: [rt('a', [7, 5]), k('b', [5, 19]), rt('c', [7, 1])], attrs: { beta: { float: 2 } } }));
test('Gemm run-time scalar C', (t) => check(t, { op: 'Gemm', operands: [rt('a', [7, 5]), rt('b', [5, 19]), rt('c', [1])] }));
test('Gemm beta 0 ignores C', (t) => check(t, { op: 'Gemm', operands: [rt('a', [4, 5]), k('b', [5, 6]), k('c', [6])], attrs: { beta: { float: 0 } } }));
test('Gemm without C', (t) => check(t, { op: 'Gemm', operands: [rt('a', [4, 5]), k('b', [5, 6])] }, [4, 6]));
test('Gemm constant A, run-time B, alpha', (t) => check(t, { op: 'Gemm', operands: [k('a', [8, 6]), rt('b', [6, 9]), k('c', [9])], attrs: { alpha: { float: 2 } } }));
test('Gemm constant transA A and transB B', (t) =>
  check(t, { op: 'Gemm', operands: [k('a', [6, 8]), k('b', [9, 6]), rt('x', [8, 9])], attrs: { transA: 1, transB: 1 } }, [8, 9]));
test('Gemm large: K and N past cache blocks, ragged M and N', (t) =>
  check(t, { op: 'Gemm', operands: [rt('a', [37, 300]), k('b', [300, 270]), k('c', [270])] }, [37, 270]));
test('Gemm + fused Relu', (t) => check(t, { op: 'Gemm', operands: [rt('a', [13, 20]), k('b', [20, 18]), k('c', [18])], relu: true }));

// Errors
test('MatMul with mismatched inner dims says what is wrong', (t) => {
  const file = path.join(tmp, 'bad.onnx');
  fs.writeFileSync(file, makeModel(model({ op: 'MatMul', operands: [rt('a', [3, 4]), rt('b', [5, 6])] })));
  const err = t.throws(() => runPipeline(loadOnnx(file), [inferShapes]));
  t.regex(err!.message, /MatMul.*inner dims differ/);
});
