/** Layout ops: reference vs onnxruntime (exact), and the compiled C (plain and sanitized) vs the reference (exact). */
import { checkExact } from './helpers/exact-check.js';
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import '../src/ops/index.js';
import type { Value } from '../src/ir/types.js';
import { type ModelIn, type NodeIn, type TensorIn } from './helpers/onnx-builder.js';
import { RUNTIME_DIR } from '../src/backends/c/emit.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-layout-'));
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

const i32 = (data: number[], dims = [data.length]): TensorIn => ({ dims, data, dtype: 'int32' });

test('layout.h compiles clean alone with -Wall -Wextra -Werror -pedantic -Wvla', (t) => {
  const src = path.join(tmp, 'layout_only.c');
  fs.writeFileSync(src, '#include "edgec_runtime.h"\n#include "kernels/layout.h"\nint main(void) { return 0; }\n');
  execFileSync('gcc', ['-std=c99', '-O3', '-march=native', '-Wall', '-Wextra', '-Werror', '-pedantic', '-Wvla', '-I', RUNTIME_DIR, src, '-o', path.join(tmp, 'layout_only'), '-lm']);
  t.pass();
});

// Transpose
test('Transpose default perm reverses axes', (t) => check(t, single('Transpose', [2, 3, 4]), [4, 3, 2]));
test('Transpose NCHW to NHWC', (t) => check(t, single('Transpose', [2, 3, 5, 7], { perm: [0, 2, 3, 1] }), [2, 5, 7, 3]));
test('Transpose NHWC to NCHW, int8', (t) => check(t, single('Transpose', [1, 5, 7, 3], { perm: [0, 3, 1, 2] }, 17, {}, 'int8'), [1, 3, 5, 7]));
test('Transpose keeping the last axis, int64', (t) => check(t, single('Transpose', [3, 4, 5], { perm: [1, 0, 2] }, 17, {}, 'int64'), [4, 3, 5]));
test('Transpose 2-D larger than a tile', (t) => check(t, single('Transpose', [37, 21], { perm: [1, 0] }), [21, 37]));
test('Transpose 5-D scrambled', (t) => check(t, single('Transpose', [2, 3, 1, 4, 5], { perm: [4, 1, 3, 0, 2] }), [5, 3, 4, 2, 1]));
test('Transpose 6-D, bool', (t) => check(t, single('Transpose', [2, 3, 2, 3, 2, 2], { perm: [5, 3, 1, 4, 0, 2] }, 17, {}, 'bool')));
test('Transpose identity perm', (t) => check(t, single('Transpose', [2, 3], { perm: [0, 1] }), [2, 3]));

// Concat
function concat(dims: number[][], axis: number, dtype?: TensorIn['dtype']): ModelIn {
  const names = dims.map((_, i) => `x${i}`);
  return {
    inputs: dims.map((d, i) => ({ name: names[i], dims: d, dtype })),
    nodes: [{ op: 'Concat', inputs: names, outputs: ['y'], attrs: { axis } }],
    outputs: ['y'],
    opset: 13,
  };
}
test('Concat channels of three inputs', (t) => check(t, concat([[1, 2, 3, 4], [1, 3, 3, 4], [1, 1, 3, 4]], 1), [1, 6, 3, 4]));
test('Concat axis -1, int64', (t) => check(t, concat([[2, 3], [2, 1]], -1, 'int64'), [2, 4]));
test('Concat axis 0', (t) => check(t, concat([[2, 3], [4, 3]], 0), [6, 3]));
test('Concat with a constant input', (t) =>
  check(t, {
    inputs: [{ name: 'x', dims: [2, 2] }],
    initializers: { c: { dims: [2, 1], data: [5, 6] } },
    nodes: [{ op: 'Concat', inputs: ['c', 'x', 'c'], outputs: ['y'], attrs: { axis: 1 } }],
    outputs: ['y'],
    opset: 13,
  }, [2, 4]));

// Split
function split(dims: number[], outs: number, attrs: NodeIn['attrs'], opset: number, extra: Record<string, TensorIn> = {}): ModelIn {
  const outputs = Array.from({ length: outs }, (_, i) => `y${i}`);
  return {
    inputs: [{ name: 'x', dims }],
    initializers: extra,
    nodes: [{ op: 'Split', inputs: ['x', ...Object.keys(extra)], outputs, attrs }],
    outputs,
    opset,
  };
}
test('Split opset 11 split attribute', (t) => check(t, split([2, 6, 3], 3, { axis: 1, split: [1, 2, 3] }, 11)));
test('Split opset 13 split input', (t) => check(t, split([5, 4], 2, { axis: 0 }, 13, { s: i64([2, 3]) })));
test('Split equal parts, negative axis', (t) => check(t, split([2, 3, 8], 4, { axis: -1 }, 13)));
test('Split opset 18 num_outputs uneven', (t) => check(t, split([7, 2], 3, { axis: 0, num_outputs: 3 }, 18)));

// Slice
function slice(dims: number[], starts: number[], ends: number[], axes?: number[], steps?: number[], dtype?: TensorIn['dtype']): ModelIn {
  const extra: Record<string, TensorIn> = { st: i64(starts), en: i64(ends) };
  if (axes) extra.ax = i64(axes);
  if (steps) extra.sp = i64(steps);
  return single('Slice', dims, {}, 13, extra, dtype);
}
/** INT64 sentinels as decimal strings: protobuf encodes them exactly, a JS number would wrap. */
const MAX = '9223372036854775807' as unknown as number;
const MIN = '-9223372036854775808' as unknown as number;
test('Slice opset 9 attributes', (t) => check(t, single('Slice', [4, 5, 6], { starts: [1, 0], ends: [3, 4], axes: [0, 2] }, 9), [2, 5, 4]));
test('Slice channels (contiguous blocks)', (t) => check(t, slice([2, 8, 3, 4], [2], [6], [1]), [2, 4, 3, 4]));
test('Slice negative starts and ends', (t) => check(t, slice([5, 6], [-4, -5], [-1, 5]), [3, 4]));
test('Slice INT64 max end', (t) => check(t, slice([5, 6], [1], [MAX], [1]), [5, 5]));
test('Slice negative step to INT64 min reverses', (t) => check(t, slice([4, 6], [MAX], [MIN], [-1], [-1]), [4, 6]));
test('Slice negative step 2 with negative axis, int64', (t) => check(t, slice([3, 9], [-2], [0], [-1], [-3], 'int64'), [3, 3]));
test('Slice step 2 on two axes', (t) => check(t, slice([6, 7, 4], [0, 1], [6, 7], [0, 1], [2, 3]), [3, 2, 4]));
test('Slice one row (unit axis folds into an offset)', (t) => check(t, slice([4, 5, 6], [2], [3], [0]), [1, 5, 6]));
test('Slice empty result', (t) => check(t, slice([4, 5], [3], [1], [0]), [0, 5]));
test('Slice out-of-range starts clamp', (t) => check(t, slice([4, 5], [-100, 2], [100, 1000]), [4, 3]));

// Gather
function gather(dims: number[], axis: number, idx: TensorIn | { dims: number[]; dtype: 'int32' | 'int64' }, dtype?: TensorIn['dtype']): ModelIn {
  const constIdx = 'data' in idx;
  return {
    inputs: [{ name: 'x', dims, dtype }, ...(constIdx ? [] : [{ name: 'i', dims: idx.dims, dtype: idx.dtype }])],
    initializers: constIdx ? { i: idx } : {},
    nodes: [{ op: 'Gather', inputs: ['x', 'i'], outputs: ['y'], attrs: { axis } }],
    outputs: ['y'],
    opset: 13,
  };
}
test('Gather axis 0 constant int64 indices (embedding rows)', (t) => check(t, gather([6, 4], 0, i64([5, 0, 2, 2, -1])), [5, 4]));
test('Gather axis 1 constant 2-D indices', (t) => check(t, gather([2, 5, 3], 1, i64([0, 4, -2, 1], [2, 2])), [2, 2, 2, 3]));
test('Gather last axis constant int32 indices', (t) => check(t, gather([3, 7], -1, i32([6, 0, 3, 3, -7])), [3, 5]));
test('Gather scalar index drops the axis', (t) => check(t, gather([3, 4, 2], 1, i64([-1], [])), [3, 2]));

/** Runtime-index Gather: indices come in as a graph input with values in range (some negative). */
async function checkRuntimeGather(t: ExecutionContext, dims: number[], axis: number, idx: Value, dtype?: TensorIn['dtype']): Promise<void> {
  const m = gather(dims, axis, { dims: idx.shape, dtype: idx.dtype as 'int32' | 'int64' }, dtype);
  await check(t, m, undefined, { i: idx });
}
test('Gather runtime int64 indices axis 0', (t) => checkRuntimeGather(t, [5, 3], 0, { dtype: 'int64', shape: [4], data: Float64Array.from([4, -5, 0, 2]) }));
test('Gather runtime int32 indices axis 1, int8 data', (t) =>
  checkRuntimeGather(t, [2, 6, 2], 1, { dtype: 'int32', shape: [2, 2], data: Int32Array.from([5, -1, 0, 3]) }, 'int8'));

// Pad
function pad(dims: number[], pads: number[], mode: string, opset: number, value?: number, axes?: number[], dtype?: TensorIn['dtype']): ModelIn {
  if (opset < 11) return single('Pad', dims, { pads, mode, ...(value !== undefined ? { value: { float: value } } : {}) }, opset, {}, dtype);
  const extra: Record<string, TensorIn> = { p: i64(pads) };
  if (value !== undefined || axes) extra.v = { dims: [], data: [value ?? 0], dtype: dtype ?? 'float32' };
  if (axes) extra.a = i64(axes);
  return single('Pad', dims, { mode }, opset, extra, dtype);
}
test('Pad opset 2 pads attribute with value', (t) => check(t, pad([2, 3], [1, 0, 2, 1], 'constant', 2, 1.5), [5, 4]));
test('Pad opset 11 constant zero NCHW spatial', (t) => check(t, pad([1, 2, 3, 4], [0, 0, 1, 2, 0, 0, 2, 1], 'constant', 11), [1, 2, 6, 7]));
test('Pad constant value -3.25', (t) => check(t, pad([2, 3, 4], [0, 1, 1, 0, 2, 0], 'constant', 13, -3.25), [2, 6, 5]));
test('Pad reflect', (t) => check(t, pad([1, 2, 4, 5], [0, 0, 2, 3, 0, 0, 3, 2], 'reflect', 13), [1, 2, 9, 10]));
test('Pad edge', (t) => check(t, pad([1, 2, 3, 4], [0, 0, 2, 1, 0, 0, 1, 5], 'edge', 13), [1, 2, 6, 10]));
test('Pad negative pads crop', (t) => check(t, pad([3, 6, 5], [0, -2, 1, 0, -1, -2], 'constant', 13), [3, 3, 4]));
test('Pad edge with negative pads', (t) => check(t, pad([4, 6], [-1, 2, 1, -3], 'edge', 13), [4, 5]));
test('Pad opset 18 axes input, int64 value', (t) => check(t, pad([2, 3, 4], [1, 2, 0, 1], 'constant', 18, 9, [-1, 1], 'int64'), [2, 6, 5]));
test('Pad opset 19 wrap', (t) => check(t, pad([2, 3, 4], [0, 1, 2, 0, 2, 1], 'wrap', 19), [2, 6, 7]));
test('Pad int8 constant default', (t) => check(t, pad([3, 4], [1, 1, 1, 1], 'constant', 13, undefined, undefined, 'int8'), [5, 6]));

// DepthToSpace / SpaceToDepth
test('DepthToSpace DCR', (t) => check(t, single('DepthToSpace', [1, 8, 2, 3], { blocksize: 2 }, 13), [1, 2, 4, 6]));
test('DepthToSpace CRD', (t) => check(t, single('DepthToSpace', [2, 18, 2, 2], { blocksize: 3, mode: 'CRD' }, 13), [2, 2, 6, 6]));
test('DepthToSpace opset 11 default mode', (t) => check(t, single('DepthToSpace', [1, 4, 3, 3], { blocksize: 2 }, 11), [1, 1, 6, 6]));
test('SpaceToDepth', (t) => check(t, single('SpaceToDepth', [2, 3, 4, 6], { blocksize: 2 }, 13), [2, 12, 2, 3]));
