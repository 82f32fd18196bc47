/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/guests/hello.c: print a line on COM1, exit with code 0x42. */
#include "guest.h"

void guest_main(uint32_t apic_id, const uint8_t *boot_params)
{
	(void)boot_params;
	if (apic_id != 0)
		halt_forever();
	uart_puts("hello from the guest\n");
	debug_exit(0x42);
}
