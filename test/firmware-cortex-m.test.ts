/** Cortex-M targets: person_detect built for cortex-m4/m7/m55 and verified bit-exact under qemu-system-arm; the size
 * report (arm-none-eabi-size) within the firmware budget; examples/firmware-cortex-m built with make and run in QEMU
 * printing the host build's scores. */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from '../src/build.js';
import { getTarget } from '../src/targets/targets.js';
import { runnerFor } from '../src/runners/runner.js';
import { linkerScript } from '../src/runners/cortex-m.js';
import { hasTool, run } from '../src/util/exec.js';
import { PERSON_DIR, personInput } from './helpers/person.js';
import { TFLM_DIR } from './helpers/tflm-cases.js';

const MODEL = path.join(PERSON_DIR, 'person_detect.tflite');
const EXAMPLE = path.resolve('examples/firmware-cortex-m');
/** TFLM's person_detection example reserves this arena (kTensorArenaSize = 136 * 1024). */
const TFLM_ARENA = 136 * 1024;

/** Why these tests cannot run here, or undefined. */
async function missing(): Promise<string | undefined> {
  for (const tool of ['arm-none-eabi-gcc', 'arm-none-eabi-size', 'qemu-system-arm', 'make']) if (!(await hasTool(tool))) return `'${tool}' not found (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm make)`;
  if (!fs.existsSync(MODEL)) return `${MODEL} missing`;
  return undefined;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'edgec-fw-'));

test('the example linker script is the one the cortex-m4 target file generates', (t) => {
  t.is(fs.readFileSync(path.join(EXAMPLE, 'mps2-an386.ld'), 'utf8'), linkerScript(getTarget('cortex-m4')));
});

for (const target of ['cortex-m4', 'cortex-m7', 'cortex-m55']) {
  test(`person_detect for ${target}: bit-exact under QEMU, arena <= 64 KiB, code <= 16 KiB`, async (t) => {
    const why = await missing();
    if (why) return t.log(`skipped: ${why}`), t.pass();
    const report = await build({ model: MODEL, outDir: path.join(tmp(), 'out'), target, verify: true, verifyInputs: [personInput('person.bmp')] });
    t.true(report.verification!.integer!.bit_exact);
    const s = report.sizes.sections!;
    t.is(s.tool, 'arm-none-eabi-size');
    t.log(`${target}: code ${s.code_bytes} B (machine code ${s.text_bytes} B), weights ${s.weights_bytes} B, arena ${s.arena_bytes} B ` +
      `(live lower bound ${report.sizes.arena_lower_bound_bytes} B; TFLM's example reserves ${TFLM_ARENA} B)`);
    t.true(s.arena_bytes <= 64 * 1024);
    t.is(s.arena_bytes, report.sizes.arena_lower_bound_bytes);
    t.true(s.code_bytes <= 16 * 1024);
    t.true(s.weights_bytes >= report.params);
  });
}

test('hello_world float and int8 run on cortex-m4 under QEMU', async (t) => {
  const why = await missing();
  if (why) return t.log(`skipped: ${why}`), t.pass();
  for (const variant of ['float', 'int8']) {
    const report = await build({ model: path.join(TFLM_DIR, 'hello_world', `hello_world_${variant}.tflite`), outDir: path.join(tmp(), 'out'), target: 'cortex-m4', verify: true });
    t.true(report.ok, `${variant}: ${JSON.stringify(report.verification?.outputs)}`);
    t.log(`${variant}: code ${report.sizes.sections!.code_bytes} B, weights ${report.sizes.sections!.weights_bytes} B, arena ${report.sizes.arena_bytes} B`);
  }
});

test('examples/firmware-cortex-m: the firmware prints the scores of the host build for both TFLM images', async (t) => {
  const why = await missing();
  if (why) return t.log(`skipped: ${why}`), t.pass();
  const dir = tmp();
  const model = path.join(dir, 'model');
  await build({ model: MODEL, outDir: model, target: 'cortex-m4' });
  const make = await run('make', ['-C', EXAMPLE, `MODEL=${model}`, `BUILD=${dir}`]);
  t.is(make.code, 0, make.stderr);
  // The host build of the same model, for the scores the firmware must print.
  const host = path.join(dir, 'host');
  const report = await build({ model: MODEL, outDir: host, target: 'c' });
  const c = getTarget('c');
  const program = await runnerFor(c).build(host, 'model', c);
  for (const image of ['person.bmp', 'no_person.bmp']) {
    const q = await run('qemu-system-arm', ['-M', 'mps2-an386', '-nographic', '-monitor', 'none', '-serial', 'none',
      '-semihosting-config', `enable=on,target=native,arg=firmware,arg=${path.join(PERSON_DIR, image)}`, '-kernel', path.join(dir, 'firmware.elf')], { timeoutMs: 120_000 });
    t.is(q.code, 0, q.stdout + q.stderr);
    const printed = q.stdout + q.stderr; // semihosting console output goes to stderr
    const m = /person score (-?\d+) no person score (-?\d+)/.exec(printed);
    t.truthy(m, printed);
    const [no, yes] = (await runnerFor(c).run(program, [personInput(image)], report.outputs.map((o) => ({ dtype: o.dtype, shape: o.shape })))).outputs[0].data;
    t.log(`${image}: firmware person ${m![1]} / no person ${m![2]}; host ${yes} / ${no}`);
    t.deepEqual([Number(m![1]), Number(m![2])], [yes, no]);
    if (image === 'person.bmp') t.true(yes > no);
    else t.true(no > yes);
  }
});
