/** Shape ops: reference vs onnxruntime (exact), and the compiled C (plain and sanitized) vs the reference (exact). */
import { checkExact } from './helpers/exact-check.js';
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../src/ops/index.js';
import type { Value } from '../src/ir/types.js';
import { type ModelIn, type NodeIn, type TensorIn } from './helpers/onnx-builder.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-shape-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A one-node model over input x (dtype float32 unless given) with initializers. */
function single(op: string, dims: number[], attrs: NodeIn['attrs'] = {}, opset = 17, extra: Record<string, TensorIn> = {}, dtype?: TensorIn['dtype']): ModelIn {
  return {
    inputs: [{ name: 'x', dims, dtype }],
    initializers: extra,
    nodes: [{ op, inputs: ['x', ...Object.keys(extra)], outputs: ['y'], attrs }],
    outputs: ['y'],
    opset,
  };
}

const i64 = (data: number[], dims = [data.length]): TensorIn => ({ dims, data, dtype: 'int64' });

/** Reference vs onnxruntime, then C and sanitized C vs the reference: all exact. */
const check = (t: ExecutionContext, m: ModelIn, expectShape?: number[], given: Record<string, Value> = {}) => checkExact(t, tmp, m, expectShape, given);

// Reshape
test('Reshape 0 copies a dim, -1 infers', (t) => check(t, single('Reshape', [2, 3, 4], {}, 13, { s: i64([0, -1]) }), [2, 12]));
test('Reshape -1 in the middle, int64 data', (t) => check(t, single('Reshape', [2, 3, 4], {}, 13, { s: i64([4, -1, 2]) }, 'int64'), [4, 3, 2]));
test('Reshape allowzero=1 keeps a literal 0 (empty tensor)', (t) =>
  check(t, {
    inputs: [{ name: 'x', dims: [2] }],
    initializers: { z: { dims: [2, 0, 3], data: [] }, s: i64([0, 6]) },
    nodes: [{ op: 'Reshape', inputs: ['z', 's'], outputs: ['y'], attrs: { allowzero: 1 } }, { op: 'Identity', inputs: ['x'], outputs: ['xo'] }],
    outputs: ['y', 'xo'],
    opset: 14,
  }, [0, 6]));
test('Reshape opset 5 copies a leading 0', (t) => check(t, single('Reshape', [6, 4], {}, 5, { s: i64([0, 2, 2]) }), [6, 2, 2]));
test('Reshape with a shape computed from Shape/Slice/Concat', (t) =>
  check(t, {
    inputs: [{ name: 'x', dims: [2, 3, 4] }],
    initializers: { st: i64([0]), en: i64([1]), tail: i64([-1]) },
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Slice', inputs: ['s', 'st', 'en'], outputs: ['b'] },
      { op: 'Concat', inputs: ['b', 'tail'], outputs: ['shape'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'] },
      { op: 'Relu', inputs: ['r'], outputs: ['y'] },
    ],
    outputs: ['y'],
    opset: 13,
  }, [2, 12]));
test('Reshape chain between compute ops aliases its input', (t) =>
  check(t, {
    inputs: [{ name: 'x', dims: [1, 4, 3, 2] }],
    initializers: { s: i64([4, 6]), u: i64([0]) },
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['a'] },
      { op: 'Reshape', inputs: ['a', 's'], outputs: ['b'] },
      { op: 'Flatten', inputs: ['b'], outputs: ['c'], attrs: { axis: 0 } },
      { op: 'Squeeze', inputs: ['c', 'u'], outputs: ['d'] },
      { op: 'Neg', inputs: ['d'], outputs: ['y'] },
    ],
    outputs: ['y'],
    opset: 13,
  }, [24]));

// Flatten
for (const axis of [0, 1, 2, -1, 4])
  test(`Flatten axis ${axis}`, (t) => check(t, single('Flatten', [2, 3, 4, 5], { axis }, 13)));
test('Flatten default axis, int8', (t) => check(t, single('Flatten', [3, 2, 2], {}, 13, {}, 'int8'), [3, 4]));

// Squeeze / Unsqueeze
test('Squeeze opset 11 axes attribute', (t) => check(t, single('Squeeze', [1, 3, 1, 4], { axes: [0, -2] }, 11), [3, 4]));
test('Squeeze opset 13 axes input', (t) => check(t, single('Squeeze', [1, 3, 1, 4], {}, 13, { a: i64([2]) }), [1, 3, 4]));
test('Squeeze without axes removes every unit dim', (t) => check(t, single('Squeeze', [1, 3, 1, 4, 1], {}, 13), [3, 4]));
test('Unsqueeze opset 11 axes attribute', (t) => check(t, single('Unsqueeze', [3, 4], { axes: [0, 3] }, 11), [1, 3, 4, 1]));
test('Unsqueeze opset 13 negative axes input, bool', (t) => check(t, single('Unsqueeze', [3, 4], {}, 13, { a: i64([-1, 1]) }, 'bool'), [3, 1, 4, 1]));

// Identity / Dropout
test('Identity int32', (t) => check(t, single('Identity', [5, 2], {}, 17, {}, 'int32')));
test('Dropout opset 13 is identity at inference', (t) => check(t, single('Dropout', [2, 5], {}, 13)));
test('Dropout opset 10 ratio attribute and mask output dropped', (t) =>
  check(t, { inputs: [{ name: 'x', dims: [2, 5] }], nodes: [{ op: 'Dropout', inputs: ['x'], outputs: ['y', 'mask'], attrs: { ratio: 0.3 } }], outputs: ['y'], opset: 10 }));

// Shape
test('Shape of a static tensor', (t) => check(t, single('Shape', [2, 3, 5], {}, 13), [3]));
test('Shape opset 15 start/end', (t) => check(t, single('Shape', [2, 3, 5, 7], { start: 1, end: -1 }, 15), [2]));
test('Shape opset 15 out-of-range start/end clamp', (t) => check(t, single('Shape', [2, 3, 5], { start: -10, end: 10 }, 15), [3]));

// ConstantOfShape
test('ConstantOfShape default float 0 from Shape', (t) =>
  check(t, { inputs: [{ name: 'x', dims: [2, 3] }], nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['s'] }, { op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'] }], outputs: ['y'], opset: 13 }, [2, 3]));
test('ConstantOfShape int64 value', (t) =>
  check(t, {
    inputs: [{ name: 'x', dims: [3, 4] }],
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'], attrs: { value: { tensor: i64([7], [1]) } } },
    ],
    outputs: ['y'],
    opset: 13,
  }, [3, 4]));
test('ConstantOfShape float value', (t) =>
  check(t, {
    inputs: [{ name: 'x', dims: [2, 2, 3] }],
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'], attrs: { value: { tensor: { dims: [1], data: [1.5] } } } },
    ],
    outputs: ['y'],
    opset: 13,
  }, [2, 2, 3]));

// Range
function range(dtype: TensorIn['dtype'], s: number, l: number, d: number): ModelIn {
  return {
    inputs: [{ name: 'x', dims: [1] }],
    initializers: { s: { dims: [], data: [s], dtype }, l: { dims: [], data: [l], dtype }, d: { dims: [], data: [d], dtype } },
    nodes: [{ op: 'Range', inputs: ['s', 'l', 'd'], outputs: ['r'] }, { op: 'Identity', inputs: ['x'], outputs: ['xo'] }],
    outputs: ['r', 'xo'],
    opset: 13,
  };
}
test('Range int64', (t) => check(t, range('int64', 2, 11, 3), [3]));
test('Range int64 negative delta', (t) => check(t, range('int64', 10, -3, -4), [4]));
test('Range int32 empty', (t) => check(t, range('int32', 5, 5, 1), [0]));
test('Range float32 fractional delta', (t) => check(t, range('float32', 0.5, 3.1, 0.3), [9]));

// Expand
test('Expand [3,1] to [2,3,4]', (t) => check(t, single('Expand', [3, 1], {}, 13, { s: i64([2, 3, 4]) }), [2, 3, 4]));
test('Expand bidirectional [1,4] with [3,1]', (t) => check(t, single('Expand', [1, 4], {}, 13, { s: i64([3, 1]) }), [3, 4]));
test('Expand int64 inner broadcast', (t) => check(t, single('Expand', [2, 3, 1], {}, 13, { s: i64([2, 1, 3, 5]) }, 'int64'), [2, 2, 3, 5]));
test('Expand to the same shape', (t) => check(t, single('Expand', [2, 3], {}, 13, { s: i64([1]) }), [2, 3]));

// Tile
test('Tile float [2,1,3]', (t) => check(t, single('Tile', [2, 3, 4], {}, 13, { r: i64([2, 1, 3]) }), [4, 3, 12]));
test('Tile bool inner repeats', (t) => check(t, single('Tile', [3, 2], {}, 13, { r: i64([1, 4]) }, 'bool'), [3, 8]));
test('Tile int64 outer repeats', (t) => check(t, single('Tile', [2, 5], {}, 13, { r: i64([3, 1]) }, 'int64'), [6, 5]));
