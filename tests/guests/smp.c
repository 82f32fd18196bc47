/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/guests/smp.c: every vCPU prints "apic N" and sets bit N of a
 * shared mask; vCPU 0 waits for all (count from CPUID leaf 1 EBX[23:16])
 * and exits with the mask as code while the others halt.
 */
#include "guest.h"

static volatile uint32_t seen;
static volatile uint32_t lock;

void guest_main(uint32_t apic_id, const uint8_t *boot_params)
{
	uint32_t r[4], nr, want;

	(void)boot_params;
	cpuid(1, 0, r);
	nr = (r[1] >> 16) & 0xff;
	if (nr == 0)
		nr = 1;
	want = nr >= 32 ? 0xffffffffu : (1u << nr) - 1;

	while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
	uart_puts("apic ");
	uart_putc((char)('0' + apic_id % 10));
	uart_putc('\n');
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
	__atomic_or_fetch(&seen, 1u << (apic_id & 31), __ATOMIC_SEQ_CST);

	if (apic_id != 0)
		halt_forever();
	while ((__atomic_load_n(&seen, __ATOMIC_SEQ_CST) & want) != want)
		__asm__ volatile("pause");
	debug_exit((uint16_t)seen);
}
