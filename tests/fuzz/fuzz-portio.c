/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/fuzz/fuzz-portio.c: the PC's port-I/O devices, registered on a PIO
 * map at the ports and with the ops lib/arch/x86/machine.c uses: 8250 UART
 * (COM1, 0x3f8..0x3ff, IRQ 4), CMOS RTC (0x70/0x71), i8042 (0x60, 0x64),
 * debug-exit (0x501, 2 ports), POST port (0x80), ACPI PM1a block
 * (0x600..0x605) and the reset control register (0xcf9).
 *
 * One input is a stream of guest port accesses (a port from the devices'
 * ranges, their neighbours, or any port; size 1, 2, 4 or 8; any value)
 * mixed with what the host side does meanwhile: bytes arriving on the
 * UART's line (uart8250_receive()) and the host clock moving (the RTC's
 * clock is a fake one, so runs are reproducible).
 *
 * Invariants checked: the UART's interrupt line on the sink follows its
 * own idea of the level; the RX FIFO never holds more than its size; every
 * time register the RTC returns in BCD mode is valid BCD (both digits
 * <= 9) and in binary mode below 100 (century included: the registers
 * hold years 0000..9999); the exit and power callbacks only ever report
 * reasons the public API defines.
 *
 * Threads: one (the UART's input thread is never started). Locking: the
 * devices' own, taken by their handlers.
 */
#include <kvm-virtio.h>

#include "arch/x86/acpi-pm.h"
#include "arch/x86/acpi.h"
#include "arch/x86/pc-ports.h"
#include "arch/x86/rtc.h"
#include "arch/x86/uart8250.h"
#include "fuzz.h"
#include "irq-rec.h"

#define MAX_OPS 512

static struct iomap pio;
static struct irq_rec irq;
static struct uart8250 com1;
static struct rtc rtc;
static struct i8042 kbc;
static struct pc_ports ports;
static struct x86_acpi_pm pm;
static time_t fake_now;
static uint8_t rtc_index;          /* what the guest last wrote to 0x70 */
static unsigned out_bytes, exits;

static time_t fake_clock(void)
{
	return fake_now;
}

static void console(void *opaque, const char *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	out_bytes += (unsigned)len;
}

static void on_exit_req(void *opaque, int reason, int code)
{
	(void)opaque;
	(void)code;
	FUZZ_CHECK(reason == VM_EXIT_POWEROFF || reason == VM_EXIT_RESET ||
		   reason == VM_EXIT_DEBUG);
	exits++;
}

static void on_power(void *opaque, int reason)
{
	on_exit_req(opaque, reason, 0);
}

static int setup(void)
{
	static const struct x86_acpi_pm_config pmc = {
		.pm_base = X86_ACPI_PM_BASE,
		.reset_port = X86_ACPI_RESET_PORT,
		.power = on_power,
	};
	int r = 0;

	if (iomap_init(&pio, "pio"))
		return -1;
	irq_rec_init(&irq);
	if (uart8250_init(&com1, "com1", &irq.sink, UART8250_COM1_IRQ, -1, -1,
			  NULL, NULL))
		return -1;
	com1.out_fn = console;
	rtc_init(&rtc);
	rtc.now = fake_clock;
	fake_now = 1709251198; /* 2024-02-29 23:59:58 UTC */
	rtc_index = 0;
	i8042_init(&kbc, on_exit_req, NULL);
	pc_ports_init(&ports, on_exit_req, NULL);
	r |= iomap_add(&pio, UART8250_COM1_BASE, 8, &uart8250_ops, &com1,
		       "uart 'com1'", NULL);
	r |= iomap_add(&pio, RTC_BASE, 2, &rtc_ops, &rtc, "cmos rtc", NULL);
	r |= iomap_add(&pio, I8042_DATA_PORT, 1, &i8042_data_ops, &kbc,
		       "i8042", NULL);
	r |= iomap_add(&pio, I8042_CMD_PORT, 1, &i8042_cmd_ops, &kbc,
		       "i8042", NULL);
	r |= iomap_add(&pio, DEBUG_EXIT_PORT, DEBUG_EXIT_LEN, &debug_exit_ops,
		       &ports, "debug-exit", NULL);
	r |= iomap_add(&pio, POST_PORT, 1, &ignore_ops, NULL, "post port",
		       NULL);
	r |= x86_acpi_pm_init(&pm, &pio, &pmc, NULL);
	return r ? -1 : 0;
}

static void teardown(void)
{
	x86_acpi_pm_fini(&pm);
	uart8250_fini(&com1);
	rtc_fini(&rtc);
	i8042_fini(&kbc);
	iomap_fini(&pio);
}

static uint16_t pick_port(struct fin *in)
{
	static const uint16_t base[] = {
		UART8250_COM1_BASE, RTC_BASE, I8042_DATA_PORT, I8042_CMD_PORT,
		DEBUG_EXIT_PORT, POST_PORT, X86_ACPI_PM_BASE, X86_ACPI_RESET_PORT,
	};
	uint8_t v = fin_u8(in);

	if (v >= 0xf0)
		return fin_u16(in);
	/* a device port, or one of its neighbours on either side */
	return (uint16_t)(base[v & 7] + (v >> 3) % 10 - 1);
}

static int is_time_reg(uint8_t i)
{
	return i == 0x00 || i == 0x02 || i == 0x04 || i == 0x06 ||
	       i == 0x07 || i == 0x08 || i == 0x09 || i == 0x32;
}

/* A time register just read through port 0x71 must be valid in the mode
 * register B says (hour: bit 7 is PM in 12-hour mode). */
static void check_rtc_value(uint8_t idx, uint8_t v)
{
	uint8_t b = rtc.cmos[0x0b];

	if (!is_time_reg(idx) || (b & 0x80))
		return;  /* SET: the guest is editing, any value it wrote */
	if (idx == 0x04 && !(b & 0x02))
		v &= 0x7f;
	if (b & 0x04)
		FUZZ_CHECK(v < 100);
	else
		FUZZ_CHECK((v & 0x0f) <= 9 && (v >> 4) <= 9);
}

static void check_invariants(void)
{
	FUZZ_CHECK(com1.rx_count <= UART8250_FIFO);
	FUZZ_CHECK(com1.rx_head < UART8250_FIFO);
	FUZZ_CHECK(irq.level[UART8250_COM1_IRQ] == com1.irq_level);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	int ops = 0;

	if (setup())
		abort();
	while (!fin_empty(&in) && ops++ < MAX_OPS) {
		uint8_t op = fin_u8(&in), buf[64];
		static const unsigned sizes[] = { 1, 1, 1, 2, 4, 1, 8, 1 };
		unsigned sz = sizes[(op >> 3) & 7];
		uint16_t port;
		uint64_t v;
		size_t n;

		switch (op & 7) {
		case 0: /* guest reads a port */
		case 1:
			port = pick_port(&in);
			memset(buf, 0, sizeof(buf));
			iomap_read(&pio, port, buf, sz);
			if (port == RTC_BASE + 1 && sz == 1)
				check_rtc_value(rtc_index, buf[0]);
			break;
		case 2: /* guest writes a port */
		case 3:
		case 4:
			port = pick_port(&in);
			v = fin_u64(&in);
			if (port == RTC_BASE && sz <= 2) /* else unclaimed */
				rtc_index = (uint8_t)(v & 0x7f);
			iomap_write(&pio, port, &v, sz);
			break;
		case 5: /* bytes arrive on the UART's line */
			n = fin_bytes(&in, buf, fin_u8(&in) % sizeof(buf));
			FUZZ_CHECK(uart8250_receive(&com1, buf, n) <= n);
			break;
		case 6: /* the host clock moves, either way */
			fake_now += (int32_t)fin_u32(&in);
			break;
		default: /* a CMOS register, the way Linux reads one */
			rtc_index = fin_u8(&in) & 0x7f;
			iomap_write(&pio, RTC_BASE, &rtc_index, 1);
			iomap_read(&pio, RTC_BASE + 1, buf, 1);
			check_rtc_value(rtc_index, buf[0]);
			break;
		}
		check_invariants();
	}
	teardown();
	return 0;
}
