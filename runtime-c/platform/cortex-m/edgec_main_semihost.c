/* Generic firmware driver for an edgec artifact under semihosting (the Cortex-M counterpart of edgec_main.c).
 * Build with -DEDGEC_MODEL_HEADER='"model.h"' -DEDGEC_MODEL_INFO=model_info -DEDGEC_MODEL_ARENA=MODEL_ARENA_SIZE
 * -DEDGEC_IO_BYTES=<sum of input and output bytes, each rounded up to 16>.
 * Command line (semihosting): prog in_0.bin ... in_k.bin out_0.bin ... out_m.bin */
#include <stdint.h>
#include "semihost.h"
#include EDGEC_MODEL_HEADER

#if EDGEC_MODEL_ARENA > 0
static uint8_t arena[EDGEC_MODEL_ARENA] EDGEC_ALIGNED(64);
#else
static uint8_t arena[64] EDGEC_ALIGNED(64);
#endif
static uint8_t io[EDGEC_IO_BYTES + 16] EDGEC_ALIGNED(16);

#define MAX_IO 64
static void *bufs[MAX_IO];
static char cmdline[2048];

static int fail(const char *what, const char *path) {
  edgec_sh_puts("edgec: ");
  edgec_sh_puts(what);
  edgec_sh_puts(path);
  edgec_sh_puts("\n");
  return 2;
}

int main(void) {
  const edgec_model_info *m = &EDGEC_MODEL_INFO;
  const char *argv[MAX_IO + 1];
  int argc = 0, i;
  size_t off = 0;
  if (edgec_sh_cmdline(cmdline, sizeof cmdline) != 0) return fail("no semihosting command line", "");
  for (char *p = cmdline; *p && argc <= MAX_IO;) {
    while (*p == ' ') *p++ = 0;
    if (!*p) break;
    argv[argc++] = p;
    while (*p && *p != ' ') p++;
  }
  if (argc - 1 != m->num_inputs + m->num_outputs) return fail("usage: prog <input files> <output files>", "");
  for (i = 0; i < m->num_inputs + m->num_outputs; i++) {
    const size_t bytes = i < m->num_inputs ? m->inputs[i].bytes : m->outputs[i - m->num_inputs].bytes;
    bufs[i] = io + off;
    off += (bytes + 15) & ~(size_t)15;
    if (i < m->num_inputs) {
      const int h = edgec_sh_open(argv[1 + i], 0);
      if (h < 0 || edgec_sh_read(h, bufs[i], bytes)) return fail("cannot read ", argv[1 + i]);
      edgec_sh_close(h);
    }
  }
  m->run((const void *const *)bufs, bufs + m->num_inputs, arena);
  for (i = 0; i < m->num_outputs; i++) {
    const char *path = argv[1 + m->num_inputs + i];
    const int h = edgec_sh_open(path, 1);
    if (h < 0 || edgec_sh_write(h, bufs[m->num_inputs + i], m->outputs[i].bytes)) return fail("cannot write ", path);
    edgec_sh_close(h);
  }
  return 0;
}
