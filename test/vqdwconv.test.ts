/** int8 depthwise Conv on the vocabulary dot-product kernel (runtime-c/kernels/vqdwconv.h): 3x3, 5x5 and 7x7 kernels,
 * strides 1, 2 and 3, asymmetric and tall padding, depth multipliers, horizontal dilation, extreme zero points and per-channel
 * weights, bit-exact with the integer reference on NEON with SDOT (qemu cortex-a76), NEON without it (qemu
 * cortex-a72), WASM SIMD128 (Node) and the portable vocabulary (native). */
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import '../src/ops/index.js';
import { emitC } from '../src/backends/c/emit.js';
import { cTargetFacts } from '../src/build.js';
import { getTarget, type Target } from '../src/targets/targets.js';
import { wasmRunner } from '../src/runners/wasm.js';
import { assertBitExact } from './helpers/qgraph.js';
import { assertSpread, int, ints, layersGraph, type QLayer } from './helpers/qlayers.js';
import { limit } from './helpers/limit.js';

const jobs = limit(2);

/** Depthwise layers: every one must take edgec_qconv2d_vdw on a vocabulary target. */
const DW: QLayer[] = [
  // 3x3 stride 1: an odd number of rows (a last single row), ragged 16-output chunks, bias and Relu (clamped epilogue).
  { op: 'Conv', x: [1, 6, 11, 45], w: [6, 1, 3, 3], attrs: { pads: ints(1, 1, 1, 1), group: int(6) }, axis: 0, zx: -7, k: 9, act: 'Relu' },
  // 3x3 stride 2 (PP-OCR's downsampling depthwise), even sizes, zero point at the int8 extreme.
  { op: 'Conv', x: [1, 8, 24, 40], w: [8, 1, 3, 3], attrs: { pads: ints(1, 1, 1, 1), strides: ints(2, 2), group: int(8) }, axis: 0, zx: -128, zy: 127, k: 9 },
  // 5x5 stride 1 and 2, odd widths, no bias.
  { op: 'Conv', x: [1, 5, 13, 37], w: [5, 1, 5, 5], attrs: { pads: ints(2, 2, 2, 2), group: int(5) }, axis: 0, zx: 3, k: 25, bias: null },
  { op: 'Conv', x: [1, 5, 14, 37], w: [5, 1, 5, 5], attrs: { pads: ints(2, 2, 2, 2), strides: ints(2, 2), group: int(5) }, axis: 0, zx: 127, k: 25 },
  // Asymmetric and missing padding, mixed strides (1 down, 2 across), a depth multiplier of 2, per-tensor weights.
  { op: 'Conv', x: [1, 3, 9, 20], w: [6, 1, 3, 3], attrs: { pads: ints(0, 2, 2, 0), strides: ints(1, 2), group: int(3) }, zx: 11, zy: -4, k: 9 },
  { op: 'Conv', x: [1, 4, 10, 18], w: [4, 1, 3, 3], attrs: { strides: ints(2, 1), group: int(4) }, axis: 0, zx: 0, k: 9 },
  // 7x7 (the generic tap loop), vertical stride 3 (odd output rows start at odd padded rows), horizontal dilation 2.
  { op: 'Conv', x: [1, 4, 19, 21], w: [4, 1, 7, 7], attrs: { pads: ints(3, 3, 3, 3), strides: ints(3, 1), group: int(4) }, axis: 0, zx: -50, k: 49 },
  { op: 'Conv', x: [1, 5, 12, 33], w: [5, 1, 3, 3], attrs: { pads: ints(1, 2, 1, 2), dilations: ints(1, 2), group: int(5) }, axis: 0, zx: 20, k: 9 },
  // Few input rows under tall kernels (PP-OCR cls): groups of kernel rows wholly in the padding are skipped, down to
  // output rows that see no input row at all.
  { op: 'Conv', x: [1, 6, 2, 40], w: [6, 1, 5, 5], attrs: { pads: ints(2, 2, 2, 2), group: int(6) }, axis: 0, zx: -90, k: 25 },
  { op: 'Conv', x: [1, 4, 3, 20], w: [4, 1, 5, 5], attrs: { pads: ints(2, 2, 2, 2), strides: ints(2, 1), group: int(4) }, axis: 0, zx: 60, k: 25 },
  { op: 'Conv', x: [1, 3, 4, 17], w: [3, 1, 3, 3], attrs: { pads: ints(5, 1, 6, 1), group: int(3) }, axis: 0, zx: 33, k: 9 },
  // Two images, a one-pixel-wide output and a 1x1 input.
  { op: 'Conv', x: [2, 3, 7, 2], w: [3, 1, 3, 3], attrs: { pads: ints(1, 1, 1, 1), strides: ints(2, 2), group: int(3) }, axis: 0, zx: -1, k: 9 },
  { op: 'Conv', x: [1, 16, 1, 1], w: [16, 1, 3, 3], attrs: { pads: ints(1, 1, 1, 1), group: int(16) }, axis: 0, zx: 5, k: 9 },
];

/** The cross tools the qemu runs need that this machine lacks. */
function missingQemu(): string | undefined {
  const t = getTarget('rpi4');
  const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (!onPath(t.toolchain.cc)) return t.toolchain.cc;
  if (!onPath(t.qemu!.binary) || !fs.existsSync(t.qemu!.sysroot)) return `${t.qemu!.binary} and ${t.qemu!.sysroot}`;
  return undefined;
}
const noQemu = missingQemu();
const noWasm = await wasmRunner.unavailable(getTarget('wasm'));
/** A test that needs a tool this machine may lack: skipped with the reason in its title then. */
const needs = (why: string | undefined, title: string, fn: (t: ExecutionContext) => Promise<void>) =>
  why ? test.skip(`${title} [skipped: needs ${why}]`, fn) : test(title, fn);

/** The native target with the portable (scalar) vocabulary. */
const portable: Target = { ...getTarget('c'), name: 'c-vocab-scalar', simd: 'scalar' };

async function check(t: ExecutionContext, target: string | Target): Promise<void> {
  const { g, feeds } = layersGraph(DW, 11);
  const tgt = typeof target === 'string' ? getTarget(target) : target;
  const src = emitC(g, { prefix: 'model', target: cTargetFacts(tgt) }).files.get('model.c')!;
  t.is(src.match(/edgec_qconv2d_vdw\(/g)?.length, DW.length, 'every depthwise layer on the vocabulary kernel');
  const ref = await jobs(() => assertBitExact(t, g, feeds, { target }));
  assertSpread(t, ref, 8);
}

needs(noQemu, 'int8 depthwise on SDOT (qemu cortex-a76, rpi5) is bit-exact with the integer reference', (t) => check(t, 'rpi5'));
needs(noQemu, 'int8 depthwise on vmull_s8 + vpadalq_s16 (qemu cortex-a72, rpi4) is bit-exact with the integer reference', (t) => check(t, 'rpi4'));
needs(noWasm, 'int8 depthwise on i32x4.dot_i16x8 (wasm in Node) is bit-exact with the integer reference', (t) => check(t, 'wasm'));
test('int8 depthwise on the portable vocabulary (native) is bit-exact with the integer reference', (t) => check(t, portable));

test('int8 depthwise with a nonzero weight zero point stays on the int16 pair kernel and is bit-exact', async (t) => {
  const layer: QLayer = { op: 'Conv', x: [1, 4, 9, 19], w: [4, 1, 3, 3], attrs: { pads: ints(1, 1, 1, 1), group: int(4) }, wz: 5, zx: 2, k: 9 };
  const { g, feeds } = layersGraph([layer], 12);
  const src = emitC(g, { prefix: 'model', target: cTargetFacts(portable) }).files.get('model.c')!;
  t.false(src.includes('edgec_qconv2d_vdw('));
  await jobs(() => assertBitExact(t, g, feeds, { target: portable }));
});

needs(noQemu, 'int8 depthwise with -128 weights keeps its taps unpaired without dotprod (qemu cortex-a72) and is bit-exact', async (t) => {
  const layer: QLayer = { op: 'Conv', x: [1, 2, 6, 20], w: [2, 1, 3, 3], attrs: { pads: ints(1, 1, 1, 1), group: int(2) }, axis: 0, zx: -128, k: 9 };
  const { g, feeds } = layersGraph([layer], 13);
  // Channel 0: every tap and every input pixel -128, so two products summed in int16 (32768) would wrap.
  (g.tensors.get('w0')!.data as Int8Array).fill(-128, 0, 9);
  (feeds.x0.data as Int8Array).fill(-128, 0, 6 * 20);
  const src = emitC(g, { prefix: 'model', target: cTargetFacts(getTarget('rpi4')) }).files.get('model.c')!;
  t.regex(src, /edgec_qconv2d_vdw\([^;]*, -128, 0, [^;]*\);/, 'the call says the taps may not pair');
  await jobs(() => assertBitExact(t, g, feeds, { target: 'rpi4' }));
});
