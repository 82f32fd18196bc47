/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/guests/exit.c: leave at once through the debug-exit port with code
 * 0x2a (the churn tests' guest: a VM per request that does nothing). */
#include "guest.h"

void guest_main(uint32_t apic_id, const uint8_t *boot_params)
{
	(void)boot_params;
	if (apic_id != 0)
		halt_forever();
	debug_exit(0x2a);
}
