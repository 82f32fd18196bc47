/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/guests/triple-fault.c: load an empty IDT and trap: #BP cannot be
 * delivered -> #GP -> #DF -> triple fault (VM_EXIT_SHUTDOWN). */
#include "guest.h"

void guest_main(uint32_t apic_id, const uint8_t *boot_params)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = { 0, 0 };

	(void)boot_params;
	if (apic_id != 0)
		halt_forever();
	uart_puts("triple fault\n");
	__asm__ volatile("lidt %0; int3" : : "m"(idtr));
	debug_exit(0xbad);
}
