/** The fixed parts of a CUDA artifact around the generated launches: model.h, the model.cu shell, CMakeLists.txt. */
import * as path from 'node:path';
import type { Graph } from '../../ir/types.js';
import { byteSize, DTYPES } from '../../ir/dtype.js';

/** Parameters of the run function: device pointers of the inputs, then the outputs. */
function ioParams(g: Graph): string[] {
  return [
    ...g.inputs.map((n, i) => `const ${DTYPES[g.tensors.get(n)!.dtype].cType} *in${i}`),
    ...g.outputs.map((n, i) => `${DTYPES[g.tensors.get(n)!.dtype].cType} *out${i}`),
  ];
}

/** model.h: the C API (create on a stream, run on device pointers, destroy) and I/O macros. */
export function headerSource(g: Graph, P: string, weightsBytes: number, workspaceBytes: number, numLayers: number): string {
  const U = P.toUpperCase();
  const io: string[] = [];
  const both = [...g.inputs.map((n, i) => ['INPUT', i, n] as const), ...g.outputs.map((n, i) => ['OUTPUT', i, n] as const)];
  for (const [kind, i, n] of both) {
    const t = g.tensors.get(n)!;
    io.push(`/* ${kind.toLowerCase()} ${i}: '${n.replace(/\*\//g, '* /')}' ${t.dtype} [${t.shape.join('x')}] */`);
    io.push(`#define ${U}_${kind}${i}_SHAPE {${t.shape.join(', ')}}`);
    io.push(`#define ${U}_${kind}${i}_SIZE ${t.shape.reduce((a, b) => a * b, 1)}`);
  }
  return [
    `/* ${P}: compiled by edgec from ${path.basename(g.source)} for CUDA. */`,
    `#ifndef ${U}_H`,
    `#define ${U}_H`,
    '#include <stddef.h>',
    '#include <stdint.h>',
    '#include <cuda_runtime_api.h>',
    '',
    `/* Device bytes: weights (uploaded once by ${P}_create) and the activation workspace. */`,
    `#define ${U}_WEIGHTS_BYTES ${weightsBytes}`,
    `#define ${U}_WORKSPACE_BYTES ${workspaceBytes}`,
    `#define ${U}_NUM_INPUTS ${g.inputs.length}`,
    `#define ${U}_NUM_OUTPUTS ${g.outputs.length}`,
    `#define ${U}_NUM_LAYERS ${numLayers}`,
    ...io,
    '',
    '#ifdef __cplusplus',
    'extern "C" {',
    '#endif',
    '',
    `typedef struct ${P}_ctx ${P}_ctx;`,
    '',
    `/* Allocate the workspace, upload the weights and bind the model to a stream (a created stream: graph capture`,
    ` * cannot run on the legacy default stream 0). */`,
    `cudaError_t ${P}_create(${P}_ctx **ctx, cudaStream_t stream);`,
    `/* Enqueue one inference on the stream: device pointers in, device pointers out. The launches are captured in a`,
    ` * CUDA graph on the first call and replayed (re-captured when the pointers change). */`,
    `cudaError_t ${P}_run(${P}_ctx *ctx, ${ioParams(g).join(', ')});`,
    `/* Free everything ${P}_create allocated. */`,
    `void ${P}_destroy(${P}_ctx *ctx);`,
    `/* Run once without the graph, timing every layer with events: ms[i] for layer i of ${U}_NUM_LAYERS (synchronizes). */`,
    `cudaError_t ${P}_profile(${P}_ctx *ctx, ${ioParams(g).join(', ')}, float *ms);`,
    '',
    '#ifndef EDGEC_CUDA_MODEL_DEFINED',
    '#define EDGEC_CUDA_MODEL_DEFINED',
    '/* A compiled model for generic drivers: I/O sizes and pointer-array entry points. */',
    'typedef struct {',
    '  const char *name;',
    '  int num_inputs, num_outputs;',
    '  const size_t *input_bytes, *output_bytes;',
    '  cudaError_t (*create)(void **ctx, cudaStream_t stream);',
    '  cudaError_t (*run)(void *ctx, const void *const *inputs, void *const *outputs);',
    '  void (*destroy)(void *ctx);',
    '  int num_layers;',
    '  const char *const *layer_names;',
    '  cudaError_t (*profile)(void *ctx, const void *const *inputs, void *const *outputs, float *ms);',
    '} edgec_cuda_model;',
    '#endif',
    `extern const edgec_cuda_model ${P}_info;`,
    '',
    '#ifdef __cplusplus',
    '}',
    '#endif',
    '#endif',
    '',
  ].join('\n');
}

/** The model.cu functions around the enqueue body: context, create (weights upload), run (graph capture/replay), destroy, info. */
export function apiSource(g: Graph, P: string, layers: string[]): string {
  const ni = g.inputs.length;
  const no = g.outputs.length;
  const args = [...g.inputs.map((_, i) => `in${i}`), ...g.outputs.map((_, i) => `out${i}`)];
  const same = [...g.inputs.map((_, i) => `c->in[${i}] == (const void *)in${i}`), ...g.outputs.map((_, i) => `c->out[${i}] == (void *)out${i}`)];
  const casts = [
    ...g.inputs.map((n, i) => `(const ${DTYPES[g.tensors.get(n)!.dtype].cType} *)in[${i}]`),
    ...g.outputs.map((n, i) => `(${DTYPES[g.tensors.get(n)!.dtype].cType} *)out[${i}]`),
  ];
  const bytes = (names: string[]) => names.map((n) => byteSize(g.tensors.get(n)!.dtype, g.tensors.get(n)!.shape)).join(', ');
  return `
struct ${P}_ctx {
  cudaStream_t s;
  unsigned char *W, *A;
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  const void *in[${Math.max(ni, 1)}];
  void *out[${Math.max(no, 1)}];
};

extern "C" cudaError_t ${P}_create(${P}_ctx **out, cudaStream_t stream) {
  ${P}_ctx *c = (${P}_ctx *)calloc(1, sizeof(${P}_ctx));
  if (!c) return cudaErrorMemoryAllocation;
  c->s = stream;
  cudaError_t e = cudaMalloc(&c->W, ${P}_weights_bytes ? ${P}_weights_bytes : 1);
  if (e == cudaSuccess) e = cudaMalloc(&c->A, ${P.toUpperCase()}_WORKSPACE_BYTES ? ${P.toUpperCase()}_WORKSPACE_BYTES : 1);
  if (e == cudaSuccess) e = cudaMemcpy(c->W, ${P}_weights, ${P}_weights_bytes, cudaMemcpyHostToDevice);
  if (e != cudaSuccess) {
    ${P}_destroy(c);
    return e;
  }
  *out = c;
  return cudaSuccess;
}

extern "C" cudaError_t ${P}_run(${P}_ctx *c, ${ioParams(g).join(', ')}) {
  if (!c->exec || !(${same.join(' && ')})) {
    cudaGraph_t graph = nullptr;
    EDGEC_CUDA_TRY(cudaStreamBeginCapture(c->s, cudaStreamCaptureModeThreadLocal));
    cudaError_t e = ${P}_enqueue(c->s, c->W, c->A, ${args.join(', ')}, nullptr);
    cudaError_t e2 = cudaStreamEndCapture(c->s, &graph);
    if (e == cudaSuccess) e = e2;
    if (e != cudaSuccess) {
      if (graph) cudaGraphDestroy(graph);
      return e;
    }
    cudaGraphExecUpdateResultInfo info;
    if (!c->exec || cudaGraphExecUpdate(c->exec, graph, &info) != cudaSuccess) {
      (void)cudaGetLastError();
      if (c->exec) cudaGraphExecDestroy(c->exec);
      c->exec = nullptr;
      EDGEC_CUDA_TRY(cudaGraphInstantiate(&c->exec, graph, 0));
    }
    if (c->graph) cudaGraphDestroy(c->graph);
    c->graph = graph;
${[...g.inputs.map((_, i) => `    c->in[${i}] = in${i};`), ...g.outputs.map((_, i) => `    c->out[${i}] = out${i};`)].join('\n')}
  }
  return cudaGraphLaunch(c->exec, c->s);
}

extern "C" void ${P}_destroy(${P}_ctx *c) {
  if (!c) return;
  if (c->exec) cudaGraphExecDestroy(c->exec);
  if (c->graph) cudaGraphDestroy(c->graph);
  cudaFree(c->W);
  cudaFree(c->A);
  free(c);
}

static cudaError_t ${P}_create_v(void **c, cudaStream_t s) { return ${P}_create((${P}_ctx **)c, s); }
static cudaError_t ${P}_run_v(void *c, const void *const *in, void *const *out) {
  (void)in; (void)out;
  return ${P}_run((${P}_ctx *)c, ${casts.join(', ')});
}
static void ${P}_destroy_v(void *c) { ${P}_destroy((${P}_ctx *)c); }

extern "C" cudaError_t ${P}_profile(${P}_ctx *c, ${ioParams(g).join(', ')}, float *ms) {
  cudaEvent_t ev[${layers.length + 1}];
  int made = 0;
  cudaError_t e = cudaSuccess;
  for (; made < ${layers.length + 1} && e == cudaSuccess; made++) e = cudaEventCreate(&ev[made]);
  if (e == cudaSuccess) e = cudaEventRecord(ev[0], c->s);
  if (e == cudaSuccess) e = ${P}_enqueue(c->s, c->W, c->A, ${args.join(', ')}, ev);
  if (e == cudaSuccess) e = cudaStreamSynchronize(c->s);
  for (int i = 0; i < ${layers.length} && e == cudaSuccess; i++) e = cudaEventElapsedTime(&ms[i], ev[i], ev[i + 1]);
  for (int i = 0; i < made; i++) cudaEventDestroy(ev[i]);
  return e;
}
static cudaError_t ${P}_profile_v(void *c, const void *const *in, void *const *out, float *ms) {
  (void)in; (void)out;
  return ${P}_profile((${P}_ctx *)c, ${casts.join(', ')}, ms);
}
static const char *const ${P}_layer_names[${Math.max(layers.length, 1)}] = {${layers.map((l) => JSON.stringify(l)).join(', ') || '""'}};
static const size_t ${P}_in_bytes[${Math.max(ni, 1)}] = {${bytes(g.inputs) || '0'}};
static const size_t ${P}_out_bytes[${Math.max(no, 1)}] = {${bytes(g.outputs) || '0'}};
extern "C" const edgec_cuda_model ${P}_info = {"${P}", ${ni}, ${no}, ${P}_in_bytes, ${P}_out_bytes, ${P}_create_v, ${P}_run_v, ${P}_destroy_v, ${layers.length}, ${P}_layer_names, ${P}_profile_v};
`;
}

/** CMakeLists.txt: a static library of the model and the runner, CUDA architectures from the target. */
export function cmakeSource(P: string, architectures: string[]): string {
  return `# Generated by edgec. Build: cmake -B build && cmake --build build -j
cmake_minimum_required(VERSION 3.18)
project(${P} LANGUAGES C CXX CUDA)
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES ${architectures.join(';')})
endif()
set(CMAKE_CUDA_STANDARD 17)
find_package(CUDAToolkit REQUIRED)
add_library(${P} STATIC ${P}.cu ${P}_weights.c)
target_include_directories(${P} PUBLIC \${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(${P} PUBLIC CUDA::cudart)
add_executable(${P}_runner edgec_cuda_main.cu)
target_compile_definitions(${P}_runner PRIVATE EDGEC_MODEL_HEADER="${P}.h" EDGEC_MODEL_INFO=${P}_info)
target_link_libraries(${P}_runner PRIVATE ${P})
`;
}
