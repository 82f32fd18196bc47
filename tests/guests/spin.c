/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/guests/spin.c: say "spinning" and loop forever without exits
 * (what vm_stop() must interrupt). */
#include "guest.h"

void guest_main(uint32_t apic_id, const uint8_t *boot_params)
{
	volatile uint64_t n = 0;

	(void)boot_params;
	if (apic_id == 0)
		uart_puts("spinning\n");
	for (;;)
		n++;
}
