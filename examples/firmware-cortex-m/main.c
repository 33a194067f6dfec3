/* Person detection firmware for a Cortex-M board: reads a 96x96 BMP through semihosting, runs the edgec-compiled
 * person_detect model from a static arena, prints both scores.
 * Run: qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native,arg=fw,arg=person.bmp -kernel fw.elf */
#include <stdint.h>
#include "semihost.h"
#include "model.h"

static uint8_t arena[MODEL_ARENA_SIZE] EDGEC_ALIGNED(64);
static int8_t image[MODEL_INPUT0_SIZE];
static int8_t scores[MODEL_OUTPUT0_SIZE];
static uint8_t file[16384];
static char cmdline[512];

enum { WIDTH = 96, HEIGHT = 96 };

static void print_int(int v) {
  char buf[12], *p = buf + sizeof buf - 1;
  unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
  *p = 0;
  do *--p = (char)('0' + u % 10); while (u /= 10);
  if (v < 0) *--p = '-';
  edgec_sh_puts(p);
}

static uint32_t le(const uint8_t *p, int n) {
  uint32_t v = 0;
  while (n--) v = (v << 8) | p[n];
  return v;
}

/* BT.601 luma of a BGR triple, rounded. */
static uint8_t luma(const uint8_t *bgr) { return (uint8_t)((299u * bgr[2] + 587u * bgr[1] + 114u * bgr[0] + 500u) / 1000u); }

/* Decode an uncompressed 8-bit paletted or 24-bit BMP of WIDTH x HEIGHT into the model input, rows top to bottom.
 * TFLM's test images store int8 codes as bytes: the model input is each gray byte read as int8. */
static const char *read_bmp(const char *path) {
  const int h = edgec_sh_open(path, 0);
  if (h < 0) return "cannot open";
  const uint32_t got = sizeof file - (uint32_t)edgec_sh_call(EDGEC_SH_READ, (const uint32_t[3]){(uint32_t)h, (uint32_t)(uintptr_t)file, sizeof file});
  edgec_sh_close(h);
  if (got < 54 || file[0] != 'B' || file[1] != 'M') return "not a BMP file";
  const uint32_t offset = le(file + 10, 4), header = le(file + 14, 4), bpp = le(file + 28, 2);
  const int32_t width = (int32_t)le(file + 18, 4), height = (int32_t)le(file + 22, 4);
  if (le(file + 30, 4) != 0) return "compressed BMPs are not supported";
  if (width != WIDTH || (height != HEIGHT && height != -HEIGHT)) return "the image must be 96x96";
  if (bpp != 8 && bpp != 24) return "only 8-bit paletted and 24-bit BMPs are supported";
  const uint32_t stride = (WIDTH * bpp / 8 + 3) & ~3u;
  if (offset + stride * HEIGHT > got) return "pixel data is truncated";
  const uint8_t *palette = file + 14 + header;
  for (int y = 0; y < HEIGHT; y++) {
    const uint8_t *row = file + offset + (uint32_t)(height < 0 ? y : HEIGHT - 1 - y) * stride;
    for (int x = 0; x < WIDTH; x++) image[y * WIDTH + x] = (int8_t)(bpp == 8 ? luma(palette + 4 * row[x]) : luma(row + 3 * x));
  }
  return 0;
}

int main(void) {
  const char *arg = cmdline;
  if (edgec_sh_cmdline(cmdline, sizeof cmdline) != 0) return 2;
  while (*arg && *arg != ' ') arg++; /* skip the program name */
  while (*arg == ' ') arg++;
  const char *err = read_bmp(arg);
  if (err) {
    edgec_sh_puts(arg);
    edgec_sh_puts(": ");
    edgec_sh_puts(err);
    edgec_sh_puts("\n");
    return 2;
  }
  model_run(image, scores, arena);
  /* Output [1, 2]: index 0 no person, index 1 person (TFLM's kNotAPersonIndex, kPersonIndex). */
  edgec_sh_puts("person score ");
  print_int(scores[1]);
  edgec_sh_puts(" no person score ");
  print_int(scores[0]);
  edgec_sh_puts("\narena bytes ");
  print_int(MODEL_ARENA_SIZE);
  edgec_sh_puts(" (TFLM's person_detection example reserves 136 KB)\n");
  return 0;
}
