/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/guests/high-mem.c: find RAM above 4 GiB in the e820 map of
 * boot_params, write and read back patterns at its first and last
 * quadword (and at the top of low RAM). Exits 0x600 on success, 0x6xx
 * with the failing step otherwise.
 */
#include "guest.h"

#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0

struct __attribute__((packed)) e820 {
	uint64_t addr, size;
	uint32_t type;
};

static int check(uint64_t gpa, uint64_t pattern)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)gpa;

	*p = pattern;
	return *p == pattern;
}

void guest_main(uint32_t apic_id, const uint8_t *bp)
{
	const struct e820 *e = (const struct e820 *)(bp + BP_E820_TABLE);
	uint8_t n = bp[BP_E820_ENTRIES];
	uint64_t high = 0, high_size = 0, low_top = 0;
	unsigned i;

	if (apic_id != 0)
		halt_forever();
	for (i = 0; i < n && i < 128; i++) {
		if (e[i].type != 1)
			continue;
		if (e[i].addr >= 0x100000000ull) {
			high = e[i].addr;
			high_size = e[i].size;
		} else if (e[i].addr + e[i].size > low_top) {
			low_top = e[i].addr + e[i].size;
		}
	}
	uart_puts("high RAM ");
	uart_puthex(high);
	uart_puts(" size ");
	uart_puthex(high_size);
	uart_putc('\n');
	if (!high || high_size < 4096)
		debug_exit(0x601);
	if (!check(high, 0x1122334455667788ull))
		debug_exit(0x602);
	if (!check(high + high_size - 8, 0x8877665544332211ull))
		debug_exit(0x603);
	if (!check(low_top - 8, 0xa5a5a5a55a5a5a5aull))
		debug_exit(0x604);
	/* Still there after touching the other ends? */
	if (*(volatile uint64_t *)(uintptr_t)high != 0x1122334455667788ull)
		debug_exit(0x605);
	uart_puts("high RAM ok\n");
	debug_exit(0x600);
}
