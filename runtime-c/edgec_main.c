/* Generic driver for an edgec artifact: reads raw inputs, runs, writes raw outputs, optionally times runs.
 * Build with -DEDGEC_MODEL_HEADER='"model.h"' -DEDGEC_MODEL_INFO=model_info -DEDGEC_MODEL_ARENA=MODEL_ARENA_SIZE.
 * Usage: prog [--repeat N] in_0.bin ... in_k.bin out_0.bin ... out_m.bin
 * With --repeat N it runs N times after one warm-up and prints "median_us <t>", "min_us <t>" (wall clock) and
 * "median_cpu_us <t>" (process CPU time: what a run costs when other processes share the cores). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include EDGEC_MODEL_HEADER

#if EDGEC_MODEL_ARENA > 0
static uint8_t arena[EDGEC_MODEL_ARENA] EDGEC_ALIGNED(64);
#else
static uint8_t arena[64] EDGEC_ALIGNED(64);
#endif

#define MAX_IO 64
static void *bufs[MAX_IO];

static double clock_us(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void *read_file(const char *path, size_t bytes) {
  FILE *f = fopen(path, "rb");
  void *p = malloc(bytes ? bytes : 1);
  if (!f || !p || fread(p, 1, bytes, f) != bytes) {
    fprintf(stderr, "edgec: cannot read %zu bytes from %s\n", bytes, path);
    exit(2);
  }
  fclose(f);
  return p;
}

int main(int argc, char **argv) {
  const edgec_model_info *m = &EDGEC_MODEL_INFO;
  int repeat = 0, a = 1, i;
  if (argc > 2 && strcmp(argv[1], "--repeat") == 0) {
    repeat = atoi(argv[2]);
    a = 3;
  }
  if (argc - a != m->num_inputs + m->num_outputs || m->num_inputs + m->num_outputs > MAX_IO) {
    fprintf(stderr, "usage: %s [--repeat N] <%d input files> <%d output files>\n", argv[0], m->num_inputs, m->num_outputs);
    return 2;
  }
  for (i = 0; i < m->num_inputs; i++) bufs[i] = read_file(argv[a + i], m->inputs[i].bytes);
  for (i = 0; i < m->num_outputs; i++) bufs[m->num_inputs + i] = calloc(m->outputs[i].bytes ? m->outputs[i].bytes : 1, 1);
  m->run((const void *const *)bufs, bufs + m->num_inputs, arena);
  if (repeat > 0) {
    double *t = (double *)malloc(sizeof(double) * 2 * (size_t)repeat), *c = t + repeat;
    for (i = 0; i < repeat; i++) {
      double t0 = clock_us(CLOCK_MONOTONIC), c0 = clock_us(CLOCK_PROCESS_CPUTIME_ID);
      m->run((const void *const *)bufs, bufs + m->num_inputs, arena);
      c[i] = clock_us(CLOCK_PROCESS_CPUTIME_ID) - c0;
      t[i] = clock_us(CLOCK_MONOTONIC) - t0;
    }
    qsort(t, (size_t)repeat, sizeof(double), cmp_double);
    qsort(c, (size_t)repeat, sizeof(double), cmp_double);
    printf("median_us %.3f\nmin_us %.3f\nmedian_cpu_us %.3f\n", t[repeat / 2], t[0], c[repeat / 2]);
    free(t);
  }
  for (i = 0; i < m->num_outputs; i++) {
    FILE *f = fopen(argv[a + m->num_inputs + i], "wb");
    if (!f || fwrite(bufs[m->num_inputs + i], 1, m->outputs[i].bytes, f) != m->outputs[i].bytes) {
      fprintf(stderr, "edgec: cannot write %s\n", argv[a + m->num_inputs + i]);
      return 2;
    }
    fclose(f);
  }
  for (i = 0; i < m->num_inputs + m->num_outputs; i++) free(bufs[i]);
  return 0;
}
