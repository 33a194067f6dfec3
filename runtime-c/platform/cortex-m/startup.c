/* Minimal Cortex-M start-up: vector table, FPU on, .data/.bss set up, main() and a semihosting exit with its status.
 * Faults end the program with an error status instead of hanging. */
#include <stdint.h>
#include <string.h>
#include "semihost.h"

extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;
int main(void);

void edgec_reset_handler(void);
void edgec_fault_handler(void);

void edgec_reset_handler(void) {
  /* CPACR: full access to CP10/CP11 (the FPU; on Armv8.1-M also MVE). */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  memcpy(&__data_start, &__data_load, (size_t)((char *)&__data_end - (char *)&__data_start));
  memset(&__bss_start, 0, (size_t)((char *)&__bss_end - (char *)&__bss_start));
  edgec_sh_exit(main());
}

void edgec_fault_handler(void) {
  edgec_sh_puts("edgec: processor fault\n");
  edgec_sh_exit(1);
}

/* Initial stack pointer, reset, NMI, HardFault, MemManage, BusFault, UsageFault. */
__attribute__((section(".vectors"), used)) void (*const edgec_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&__stack_top, edgec_reset_handler, edgec_fault_handler, edgec_fault_handler,
    edgec_fault_handler, edgec_fault_handler, edgec_fault_handler,
};
