/** The host side of the HLS artifact: model.h, the run wrapper (quantize → accelerator → dequantize), tb.cpp, run_hls.tcl. */
import type { FpgaResources } from '../../targets/targets.js';

/** One model input or output at the host boundary. */
export interface HostIO {
  name: string;
  dtype: string;
  shape: number[];
  /** Elements. */
  n: number;
}

/** A model input: the top's stream argument and the C++ quantizing one value (absent when already int8). */
export interface HostInput extends HostIO {
  arg: string;
  convert?: (x: string) => string;
}

/** A model output: the host array holding it once the accelerator and the host tail have run. */
export interface HostOutput extends HostIO {
  array: string;
}

/** An accelerator output stream read into a host array. */
export interface FetchedPort {
  arg: string;
  ctype: string;
  n: number;
  array: string;
}

const HOST_CTYPES: Record<string, string> = { float32: 'float', int8: 'int8_t' };

/** The host C++ type of a port, or an error for one the testbench cannot carry. */
function hostType(p: HostIO): string {
  const t = HOST_CTYPES[p.dtype];
  if (!t) throw new Error(`internal: HLS host port '${p.name}' is ${p.dtype}`);
  return t;
}

/** model.h, the run wrapper (appended to model.cpp: inputs quantized and streamed in, outputs streamed out into host
 * arrays, the host tail, outputs copied out) and tb.cpp. */
export function hostSources(o: { prefix: string; top: string; ports: string[]; inputs: HostInput[]; fetched: FetchedPort[]; tail: string[]; outputs: HostOutput[] }): { header: string; run: string; tb: string } {
  const P = o.prefix;
  const U = P.toUpperCase();
  const runArgs = [...o.inputs.map((p, i) => `const ${hostType(p)} *in${i}`), ...o.outputs.map((p, i) => `${hostType(p)} *out${i}`)];
  const header = [
    `/* ${P}: the HLS accelerator (${o.top}) and its host wrapper. */`,
    `#ifndef ${U}_H`,
    `#define ${U}_H`,
    '#include <stdint.h>',
    '#include "edgec_hls.h"',
    ...o.inputs.map((p, i) => `#define ${U}_INPUT${i}_SIZE ${p.n} /* ${p.name}: ${p.dtype}[${p.shape.join('x')}] */`),
    ...o.outputs.map((p, i) => `#define ${U}_OUTPUT${i}_SIZE ${p.n} /* ${p.name}: ${p.dtype}[${p.shape.join('x')}] */`),
    '',
    '/* The dataflow accelerator: int8 AXI streams in and out (the synthesis top). */',
    `void ${o.top}(${o.ports.join(', ')});`,
    '',
    '/* Host side: quantize the inputs, stream them through the accelerator, dequantize the outputs. */',
    `void ${P}_run(${runArgs.join(', ')});`,
    '#endif',
    '',
  ].join('\n');
  const run = [
    `void ${P}_run(${runArgs.join(', ')}) {`,
    ...o.inputs.map((p) => `  edgec_hls::stream<int8_t> ${p.arg}_s;`),
    ...o.fetched.map((p) => `  edgec_hls::stream<${p.ctype}> ${p.arg}_s;`),
    ...o.inputs.map((p, i) => `  for (int i = 0; i < ${p.n}; i++) ${p.arg}_s.write(${p.convert ? p.convert(`in${i}[i]`) : `in${i}[i]`});`),
    `  ${o.top}(${[...o.inputs, ...o.fetched].map((p) => `${p.arg}_s`).join(', ')});`,
    ...o.tail.filter((l) => l.startsWith('static')).flatMap((l) => l.split('\n').map((x) => `  ${x}`)),
    ...o.fetched.map((p) => `  for (int i = 0; i < ${p.n}; i++) ${p.array}[i] = ${p.arg}_s.read();`),
    ...o.tail.filter((l) => !l.startsWith('static')).flatMap((l) => l.split('\n').map((x) => `  ${x}`)),
    ...o.outputs.map((p, i) => `  for (int i = 0; i < ${p.n}; i++) out${i}[i] = ${p.array}[i];`),
    '}',
    '',
  ].join('\n');
  const all = [...o.inputs.map((p, i) => ({ p, v: `in${i}`, file: `tb_data/in${i}.bin` })), ...o.outputs.map((p, i) => ({ p, v: `out${i}`, file: `tb_data/out${i}.bin` }))];
  const tb = [
    `/* Testbench of ${P}: tb [--repeat N] in0.bin ... out0.bin ... runs the design on raw little-endian inputs and writes`,
    ' * the outputs; with no files it runs tb_data/in*.bin and compares with tb_data/out*.bin (exit 1 on a difference;',
    ' * float outputs of a host tail within rel-L2 1e-5),',
    ' * as Vitis HLS C simulation and co-simulation expect. */',
    '#include <stdio.h>',
    '#include <stdlib.h>',
    '#include <string.h>',
    '#include <math.h>',
    '#include <algorithm>',
    '#include <chrono>',
    '#include <vector>',
    `#include "${P}.h"`,
    '',
    'static bool io(const char *path, void *data, size_t bytes, bool write) {',
    '  FILE *f = fopen(path, write ? "wb" : "rb");',
    '  if (!f) return false;',
    '  const size_t n = write ? fwrite(data, 1, bytes, f) : fread(data, 1, bytes, f);',
    '  fclose(f);',
    '  return n == bytes;',
    '}',
    '',
    'int main(int argc, char **argv) {',
    '  int repeat = 0, a = 1;',
    '  if (argc > 2 && !strcmp(argv[1], "--repeat")) { repeat = atoi(argv[2]); a = 3; }',
    `  const int files = ${all.length};`,
    '  const bool check = argc - a == 0;',
    '  if (!check && argc - a != files) { fprintf(stderr, "usage: %s [--repeat N] ' + all.map((x) => x.v).join(' ') + '\\n", argv[0]); return 2; }',
    `  const char *defaults[${all.length}] = {${all.map((x) => `"${x.file}"`).join(', ')}};`,
    '  const char *path[files];',
    '  for (int k = 0; k < files; k++) path[k] = check ? defaults[k] : argv[a + k];',
    ...all.map((x) => `  std::vector<${hostType(x.p)}> ${x.v}(${x.p.n});`),
    ...o.inputs.map((p, i) => `  if (!io(path[${i}], in${i}.data(), ${p.n} * sizeof(${hostType(p)}), false)) { fprintf(stderr, "cannot read %s\\n", path[${i}]); return 1; }`),
    `  ${P}_run(${all.map((x) => `${x.v}.data()`).join(', ')});`,
    '  if (repeat > 0) {',
    '    std::vector<double> us;',
    '    for (int r = 0; r < repeat; r++) {',
    '      const auto t0 = std::chrono::steady_clock::now();',
    `      ${P}_run(${all.map((x) => `${x.v}.data()`).join(', ')});`,
    '      us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());',
    '    }',
    '    std::sort(us.begin(), us.end());',
    '    printf("median_us %.3f\\nmin_us %.3f\\n", us[us.size() / 2], us[0]);',
    '  }',
    '  int bad = 0;',
    ...o.outputs.map((p, i) => {
      const k = o.inputs.length + i;
      const bytes = `${p.n} * sizeof(${hostType(p)})`;
      return [
        '  if (check) {',
        `    std::vector<${hostType(p)}> want(${p.n});`,
        `    if (!io(path[${k}], want.data(), ${bytes}, false)) { fprintf(stderr, "cannot read %s\\n", path[${k}]); return 1; }`,
        p.dtype === 'float32'
          ? `    double d = 0, r = 0;\n    for (int i = 0; i < ${p.n}; i++) { d += ((double)out${i}[i] - want[i]) * ((double)out${i}[i] - want[i]); r += (double)want[i] * want[i]; }\n    if (d > 1e-10 * r) { fprintf(stderr, "output ${i} differs from %s (rel-L2 %g)\\n", path[${k}], sqrt(d / (r > 0 ? r : 1))); bad = 1; }`
          : `    if (memcmp(want.data(), out${i}.data(), ${bytes})) { fprintf(stderr, "output ${i} differs from %s\\n", path[${k}]); bad = 1; }`,
        `  } else if (!io(path[${k}], out${i}.data(), ${bytes}, true)) { fprintf(stderr, "cannot write %s\\n", path[${k}]); return 1; }`,
      ].join('\n');
    }),
    '  if (check && !bad) printf("tb: outputs equal tb_data\\n");',
    '  return bad;',
    '}',
    '',
  ].join('\n');
  return { header, run, tb };
}

/** run_hls.tcl: C simulation, synthesis, co-simulation and IP export in Vitis HLS for the target part and clock. */
export function tclScript(prefix: string, top: string, dev: FpgaResources): string {
  return [
    `# Vitis HLS: vitis_hls -f run_hls.tcl (C simulation, synthesis, co-simulation, IP export) for ${dev.part} at ${dev.clockMHz} MHz.`,
    `open_project -reset ${prefix}_prj`,
    `set_top ${top}`,
    `add_files ${prefix}.cpp -cflags "-std=c++14 -I."`,
    'add_files -tb tb.cpp -cflags "-std=c++14 -I."',
    'add_files -tb tb_data',
    'open_solution -reset solution1 -flow_target vivado',
    `set_part {${dev.part}}`,
    `create_clock -period ${(1000 / dev.clockMHz).toFixed(3)} -name default`,
    'csim_design',
    'csynth_design',
    'cosim_design',
    'export_design -format ip_catalog',
    'exit',
    '',
  ].join('\n');
}
