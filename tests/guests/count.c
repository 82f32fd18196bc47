/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/guests/count.c: vCPU 0 prints "c<n>\n" with n = 0, 1, 2, ...
 * forever, a short busy loop between lines; the other vCPUs spin without
 * exits. What vm_pause() must freeze and vm_resume() let continue: the
 * numbers a paused and resumed guest prints go on without a gap. */
#include "guest.h"

static void put_dec(uint64_t v)
{
	char b[24];
	int i = 0;

	do {
		b[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		uart_putc(b[--i]);
}

void guest_main(uint32_t apic_id, const uint8_t *boot_params)
{
	volatile uint64_t spin = 0;

	(void)boot_params;
	if (apic_id != 0)
		for (;;)
			spin++;
	for (uint64_t n = 0;; n++) {
		uart_putc('c');
		put_dec(n);
		uart_putc('\n');
		for (unsigned i = 0; i < 2000; i++)
			spin++;
	}
}
