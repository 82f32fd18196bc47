/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/guests/tick.c: vCPU 0 prints "t\n" forever, nothing in between:
 * every instruction it runs is a step towards its next port write, so a
 * VM started from a pause (bench/clone) reaches the host at its first
 * KVM_RUN. The other vCPUs halt. */
#include "guest.h"

void guest_main(uint32_t apic_id, const uint8_t *boot_params)
{
	(void)boot_params;
	if (apic_id != 0)
		halt_forever();
	for (;;) {
		outb(COM1, 't');
		outb(COM1, '\n');
	}
}
