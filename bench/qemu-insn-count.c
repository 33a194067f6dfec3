/* A qemu TCG plugin counting executed guest instructions of an aarch64 program: all of them, the vector
 * multiply-accumulate classes the NEON bench compares against their ideal (FMLA, SDOT, SMULL/SADALP), and per layer
 * between the markers the bench puts around each layer's block of the generated code (see `marker`).
 * Declares the few plugin API entry points it uses (qemu's plugin ABI, QEMU_PLUGIN_VERSION 1), so it builds with the
 * host compiler alone: gcc -shared -fPIC -O2 qemu-insn-count.c -o libinsncount.so
 * Run: qemu-aarch64 -plugin ./libinsncount.so -d plugin -D counts.txt prog ...  (one line "insns N fmla N ..."). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

enum { C_ALL, C_FMLA, C_SDOT, C_SMULL, C_SADALP, C_N };
static const char *const names[C_N] = {"insns", "fmla", "sdot", "smull", "sadalp"};
static uint64_t counts[C_N];

/* Layer markers: `movz xzr, #id` (a write to the zero register, so a no-op) sets the current layer to id; 0 is
 * "outside any layer". Instructions are counted per layer. */
#define LAYERS 65536
static uint64_t per_layer[LAYERS];
static unsigned layer;

/* The layer id of a marker word plus one, or 0 when the word is no marker. */
static unsigned marker(uint32_t w) {
  return (w & 0xFFE0001Fu) == 0xD280001Fu ? ((w >> 5) & 0xFFFFu) + 1 : 0;
}

static void on_marker(unsigned int vcpu, void *code) {
  (void)vcpu;
  layer = (unsigned)(uintptr_t)code - 1;
}

/* Whole blocks count toward the layer current at their start (a marker mid-block shifts a few instructions). */
static void on_block(unsigned int vcpu, void *n) {
  (void)vcpu;
  per_layer[layer] += (uint64_t)(uintptr_t)n;
}

/* The class of one A64 instruction word (C_ALL when none of the counted ones). */
static int classify(uint32_t w) {
  if ((w & 0xBFA0FC00u) == 0x0E20CC00u || (w & 0xBFC0F400u) == 0x0F801000u) return C_FMLA; /* FMLA .4s/.2s, by element */
  if ((w & 0xBFE0FC00u) == 0x0E809400u || (w & 0xBFC0F400u) == 0x0F80E000u) return C_SDOT; /* SDOT vector, by element */
  if ((w & 0xBF20FC00u) == 0x0E20C000u) return C_SMULL;                                    /* SMULL, SMULL2 */
  if ((w & 0xBF3FFC00u) == 0x0E206800u) return C_SADALP;                                   /* SADALP */
  return C_ALL;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  uint64_t per[C_N] = {0};
  const size_t n = qemu_plugin_tb_n_insns(tb);
  size_t i;
  int c;
  (void)id;
  for (i = 0; i < n; i++) {
    const struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    uint32_t w = 0;
    if (qemu_plugin_insn_size(insn) == 4) memcpy(&w, qemu_plugin_insn_data(insn), 4);
    per[classify(w)]++;
    if (marker(w))
      qemu_plugin_register_vcpu_insn_exec_cb((struct qemu_plugin_insn *)insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
                                             (void *)(uintptr_t)marker(w));
  }
  per[C_ALL] = n;
  qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
  for (c = 0; c < C_N; c++)
    if (per[c]) qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &counts[c], per[c]);
}

static void on_exit(qemu_plugin_id_t id, void *p) {
  char line[256];
  unsigned l;
  int c, o = 0;
  (void)id;
  (void)p;
  for (c = 0; c < C_N; c++) o += snprintf(line + o, sizeof line - (size_t)o, "%s %llu ", names[c], (unsigned long long)counts[c]);
  snprintf(line + o, sizeof line - (size_t)o, "\n");
  qemu_plugin_outs(line);
  for (l = 1; l < LAYERS; l++)
    if (per_layer[l]) {
      snprintf(line, sizeof line, "layer %u %llu\n", l, (unsigned long long)per_layer[l]);
      qemu_plugin_outs(line);
    }
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                                               char **argv) {
  (void)info;
  (void)argc;
  (void)argv;
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_exit, NULL);
  return 0;
}
