/* Generic runner of an edgec CUDA artifact: reads raw inputs, uploads them, runs the model's CUDA graph on a stream,
 * downloads and writes raw outputs; with --repeat N it times N replays after one warm-up (CUDA events) and prints
 * "median_us <t>" and "min_us <t>"; with --profile it also prints "layer <index> <us> <name>" per layer (one eager run
 * with events after a warm-up). Build with -DEDGEC_MODEL_HEADER='"model.h"' -DEDGEC_MODEL_INFO=model_info.
 * Usage: prog [--profile] [--repeat N] in_0.bin ... in_k.bin out_0.bin ... out_m.bin */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <algorithm>
#include <vector>
#include EDGEC_MODEL_HEADER

#define CHECK(call)                                                                    \
  do {                                                                                 \
    cudaError_t e_ = (call);                                                           \
    if (e_ != cudaSuccess) {                                                           \
      fprintf(stderr, "edgec: %s failed: %s\n", #call, cudaGetErrorString(e_));        \
      return 3;                                                                        \
    }                                                                                  \
  } while (0)

static bool read_file(const char *path, void *p, size_t bytes) {
  FILE *f = fopen(path, "rb");
  bool ok = f && fread(p, 1, bytes, f) == bytes;
  if (f) fclose(f);
  return ok;
}

int main(int argc, char **argv) {
  const edgec_cuda_model *m = &EDGEC_MODEL_INFO;
  int repeat = 0, a = 1;
  bool profile = false;
  if (argc > 1 && strcmp(argv[1], "--profile") == 0) {
    profile = true;
    a = 2;
  }
  if (argc > a + 1 && strcmp(argv[a], "--repeat") == 0) {
    repeat = atoi(argv[a + 1]);
    a += 2;
  }
  int nio = m->num_inputs + m->num_outputs;
  if (argc - a != nio) {
    fprintf(stderr, "usage: %s [--repeat N] <%d input files> <%d output files>\n", argv[0], m->num_inputs, m->num_outputs);
    return 2;
  }
  cudaStream_t s;
  CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  void *ctx = nullptr;
  CHECK(m->create(&ctx, s));
  std::vector<void *> dev(nio), host(nio);
  for (int i = 0; i < nio; i++) {
    size_t bytes = i < m->num_inputs ? m->input_bytes[i] : m->output_bytes[i - m->num_inputs];
    host[i] = calloc(bytes ? bytes : 1, 1);
    CHECK(cudaMalloc(&dev[i], bytes ? bytes : 1));
    if (i < m->num_inputs) {
      if (!read_file(argv[a + i], host[i], bytes)) {
        fprintf(stderr, "edgec: cannot read %zu bytes from %s\n", bytes, argv[a + i]);
        return 2;
      }
      CHECK(cudaMemcpy(dev[i], host[i], bytes, cudaMemcpyHostToDevice));
    }
  }
  CHECK(m->run(ctx, (const void *const *)dev.data(), dev.data() + m->num_inputs));
  CHECK(cudaStreamSynchronize(s));
  if (repeat > 0) {
    std::vector<float> t(repeat);
    cudaEvent_t e0, e1;
    CHECK(cudaEventCreate(&e0));
    CHECK(cudaEventCreate(&e1));
    for (int r = 0; r < repeat; r++) {
      CHECK(cudaEventRecord(e0, s));
      CHECK(m->run(ctx, (const void *const *)dev.data(), dev.data() + m->num_inputs));
      CHECK(cudaEventRecord(e1, s));
      CHECK(cudaEventSynchronize(e1));
      CHECK(cudaEventElapsedTime(&t[r], e0, e1));
    }
    std::sort(t.begin(), t.end());
    printf("median_us %.3f\nmin_us %.3f\n", t[repeat / 2] * 1000.0, t[0] * 1000.0);
  }
  if (profile) {
    std::vector<float> ms(m->num_layers > 0 ? m->num_layers : 1);
    CHECK(m->profile(ctx, (const void *const *)dev.data(), dev.data() + m->num_inputs, ms.data()));
    CHECK(m->profile(ctx, (const void *const *)dev.data(), dev.data() + m->num_inputs, ms.data()));
    for (int i = 0; i < m->num_layers; i++) printf("layer %d %.3f %s\n", i, ms[i] * 1000.0, m->layer_names[i]);
  }
  for (int i = 0; i < m->num_outputs; i++) {
    size_t bytes = m->output_bytes[i];
    CHECK(cudaMemcpy(host[m->num_inputs + i], dev[m->num_inputs + i], bytes, cudaMemcpyDeviceToHost));
    FILE *f = fopen(argv[a + m->num_inputs + i], "wb");
    if (!f || fwrite(host[m->num_inputs + i], 1, bytes, f) != bytes) {
      fprintf(stderr, "edgec: cannot write %s\n", argv[a + m->num_inputs + i]);
      return 2;
    }
    fclose(f);
  }
  m->destroy(ctx);
  for (int i = 0; i < nio; i++) {
    cudaFree(dev[i]);
    free(host[i]);
  }
  cudaStreamDestroy(s);
  return 0;
}
