/* ARM semihosting for Cortex-M (bkpt 0xAB): files, console and exit through the debugger or emulator. */
#ifndef EDGEC_SEMIHOST_H
#define EDGEC_SEMIHOST_H
#include <stddef.h>
#include <stdint.h>

enum { EDGEC_SH_OPEN = 0x01, EDGEC_SH_CLOSE = 0x02, EDGEC_SH_WRITE0 = 0x04, EDGEC_SH_WRITE = 0x05,
       EDGEC_SH_READ = 0x06, EDGEC_SH_CMDLINE = 0x15, EDGEC_SH_EXIT = 0x18 };

/* One semihosting call: operation in r0, argument block in r1, result in r0. */
static inline int edgec_sh_call(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/* Open a host file ("rb" or "wb"); returns a handle or -1. */
static inline int edgec_sh_open(const char *path, int write) {
  size_t n = 0;
  while (path[n]) n++;
  const uint32_t a[3] = {(uint32_t)(uintptr_t)path, write ? 5u : 1u, (uint32_t)n};
  return edgec_sh_call(EDGEC_SH_OPEN, a);
}

static inline void edgec_sh_close(int h) {
  const uint32_t a[1] = {(uint32_t)h};
  edgec_sh_call(EDGEC_SH_CLOSE, a);
}

/* Read exactly n bytes; returns 0 on success. */
static inline int edgec_sh_read(int h, void *buf, size_t n) {
  const uint32_t a[3] = {(uint32_t)h, (uint32_t)(uintptr_t)buf, (uint32_t)n};
  return edgec_sh_call(EDGEC_SH_READ, a) != 0;
}

/* Write exactly n bytes; returns 0 on success. */
static inline int edgec_sh_write(int h, const void *buf, size_t n) {
  const uint32_t a[3] = {(uint32_t)h, (uint32_t)(uintptr_t)buf, (uint32_t)n};
  return edgec_sh_call(EDGEC_SH_WRITE, a) != 0;
}

/* Print a NUL-terminated string on the host console. */
static inline void edgec_sh_puts(const char *s) { edgec_sh_call(EDGEC_SH_WRITE0, s); }

/* The command line the emulator was given (program name first); returns 0 on success. */
static inline int edgec_sh_cmdline(char *buf, size_t n) {
  uint32_t a[2] = {(uint32_t)(uintptr_t)buf, (uint32_t)n};
  return edgec_sh_call(EDGEC_SH_CMDLINE, a);
}

/* Stop the program: status 0 is a normal exit, anything else an error. */
static inline void edgec_sh_exit(int status) {
  edgec_sh_call(EDGEC_SH_EXIT, (const void *)(uintptr_t)(status == 0 ? 0x20026u : 0x20023u));
  for (;;) {
  }
}
#endif
