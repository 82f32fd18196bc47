/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/guests/halt.c: halt forever with interrupts off: a VM that stays
 * running without using a CPU (the in-kernel LAPIC keeps the vCPU asleep
 * in KVM_RUN) until the host stops it. */
#include "guest.h"

void guest_main(uint32_t apic_id, const uint8_t *boot_params)
{
	(void)apic_id;
	(void)boot_params;
	halt_forever();
}
