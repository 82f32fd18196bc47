/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/guests/flood.c: write "0123456789abcdef" to COM1 forever, waiting
 * for LSR.THRE before each byte as Linux's console does (what a console
 * fd nobody reads must not turn into a stuck vCPU). */
#include "guest.h"

void guest_main(uint32_t apic_id, const uint8_t *boot_params)
{
	unsigned n;

	(void)boot_params;
	if (apic_id != 0)
		halt_forever();
	for (n = 0;; n++)
		uart_putc("0123456789abcdef"[n % 16]);
}
