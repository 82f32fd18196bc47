/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-uart.c: the 8250 UART driven as Linux's 8250 driver does,
 * through the PIO map, with a recording interrupt sink.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86/uart8250.h"
#include "irq-rec.h"
#include "check-main.h"

#define BASE 0x3f8
#define RBR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

static struct iomap pio;
static struct uart8250 u;
static struct irq_rec irq;
static int out[2], in[2];

static uint8_t rd(unsigned reg)
{
	uint8_t v;

	ck_assert_int_eq(iomap_read(&pio, BASE + reg, &v, 1), 0);
	return v;
}

static void wr(unsigned reg, uint8_t v)
{
	ck_assert_int_eq(iomap_write(&pio, BASE + reg, &v, 1), 0);
}

static void setup(void)
{
	ck_assert_int_eq(pipe2(out, O_CLOEXEC | O_NONBLOCK), 0);
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	irq_rec_init(&irq);
	ck_assert_int_eq(iomap_init(&pio, "pio"), 0);
	ck_assert_int_eq(uart8250_init(&u, "com1", &irq.sink, 4, out[1], in[0],
				       NULL, NULL), 0);
	ck_assert_int_eq(iomap_add(&pio, BASE, 8, &uart8250_ops, &u, "com1",
				   NULL), 0);
}

static void teardown(void)
{
	uart8250_fini(&u);
	iomap_fini(&pio);
	close(out[0]);
	close(out[1]);
	close(in[0]);
	close(in[1]);
}

START_TEST(test_uart_reset_state)
{
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x01);     /* no interrupt */
	ck_assert_uint_eq(rd(LSR), 0x60);            /* THRE | TEMT */
	ck_assert_uint_eq(rd(IER), 0);
	ck_assert_uint_eq(rd(MSR) & 0xb0, 0xb0);     /* DCD DSR CTS */
	ck_assert_int_eq(irq.level[4], 0);
}
END_TEST

static char captured[16];
static size_t ncaptured;

static void capture(void *opaque, const char *buf, size_t len)
{
	ck_assert_ptr_eq(opaque, &u);
	while (len-- && ncaptured < sizeof(captured))
		captured[ncaptured++] = *buf++;
}

START_TEST(test_uart_output_callback_replaces_fd)
{
	char c;

	u.out_fn = capture;
	u.out_opaque = &u;
	wr(RBR, 'o');
	wr(RBR, 'k');
	ck_assert_uint_eq(ncaptured, 2);
	ck_assert(captured[0] == 'o' && captured[1] == 'k');
	ck_assert_int_lt(read(out[0], &c, 1), 0); /* nothing went to the fd */
}
END_TEST

START_TEST(test_uart_thr_writes_to_fd)
{
	char buf[16];

	wr(RBR, 'o');
	wr(RBR, 'k');
	ck_assert_int_eq(read(out[0], buf, sizeof(buf)), 2);
	ck_assert_mem_eq(buf, "ok", 2);
	ck_assert_uint_eq(rd(LSR) & 0x60, 0x60);
}
END_TEST

START_TEST(test_uart_scratch_and_ier_probe)
{
	/* Linux autoconfig: scratch register and IER read back. */
	wr(SCR, 0xa5);
	ck_assert_uint_eq(rd(SCR), 0xa5);
	wr(IER, 0);
	ck_assert_uint_eq(rd(IER), 0);
	wr(IER, 0xff);
	ck_assert_uint_eq(rd(IER), 0x0f);
	wr(IER, 0);
}
END_TEST

START_TEST(test_uart_fifo_detected_as_16550a)
{
	wr(FCR, 0x01);
	ck_assert_uint_eq(rd(IIR) & 0xc0, 0xc0);
	wr(FCR, 0x00);
	ck_assert_uint_eq(rd(IIR) & 0xc0, 0x00);
}
END_TEST

START_TEST(test_uart_divisor_latch)
{
	wr(LCR, 0x83);
	wr(RBR, 0x01);
	wr(IER, 0x00);
	ck_assert_uint_eq(rd(RBR), 0x01);
	ck_assert_uint_eq(rd(IER), 0x00);
	wr(LCR, 0x03);
	ck_assert_uint_eq(rd(LCR), 0x03);
	ck_assert_uint_eq(rd(IER), 0); /* the real IER again */
}
END_TEST

START_TEST(test_uart_thre_interrupt_cycle)
{
	/* Enabling ETBEI with THR empty raises THRE at once. */
	wr(IER, 0x02);
	ck_assert_int_eq(irq.level[4], 1);
	ck_assert_uint_eq(irq.raised[4], 1);
	/* Reading IIR that reports THRE acknowledges it. */
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x02);
	ck_assert_int_eq(irq.level[4], 0);
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x01);
	/* Writing THR: transmitted at once, THRE pending again. */
	wr(RBR, 'x');
	ck_assert_int_eq(irq.level[4], 1);
	ck_assert_uint_eq(irq.raised[4], 2);
	/* Disabling ETBEI drops the line. */
	wr(IER, 0);
	ck_assert_int_eq(irq.level[4], 0);
}
END_TEST

START_TEST(test_uart_rx_interrupt_and_lsr)
{
	const uint8_t data[] = "hi";

	wr(IER, 0x01);
	ck_assert_int_eq(irq.level[4], 0);
	ck_assert_uint_eq(uart8250_receive(&u, data, 2), 2);
	ck_assert_int_eq(irq.level[4], 1);
	ck_assert_uint_eq(rd(LSR) & 0x01, 0x01);
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x04);
	ck_assert_uint_eq(rd(RBR), 'h');
	ck_assert_int_eq(irq.level[4], 1);
	ck_assert_uint_eq(rd(RBR), 'i');
	ck_assert_int_eq(irq.level[4], 0);
	ck_assert_uint_eq(rd(LSR) & 0x01, 0);
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x01);
}
END_TEST

START_TEST(test_uart_rx_priority_over_thre)
{
	const uint8_t c = 'a';

	wr(IER, 0x03);
	ck_assert_uint_eq(uart8250_receive(&u, &c, 1), 1);
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x04); /* RDA first */
	ck_assert_uint_eq(rd(RBR), 'a');
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x02); /* then THRE */
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x01);
	ck_assert_int_eq(irq.level[4], 0);
}
END_TEST

START_TEST(test_uart_fifo_overrun_and_clear)
{
	uint8_t buf[UART8250_FIFO + 8];

	memset(buf, 'z', sizeof(buf));
	ck_assert_uint_eq(uart8250_receive(&u, buf, sizeof(buf)), UART8250_FIFO);
	wr(FCR, 0x01 | 0x02); /* enable + clear RX */
	ck_assert_uint_eq(rd(LSR) & 0x01, 0);
}
END_TEST

START_TEST(test_uart_loopback)
{
	/* MCR.LOOP: THR goes to RBR, MCR outputs show in MSR. */
	wr(MCR, 0x10 | 0x01 | 0x02);
	ck_assert_uint_eq(rd(MSR) & 0xf0, 0x30); /* DSR CTS */
	wr(MCR, 0x10 | 0x04 | 0x08);
	ck_assert_uint_eq(rd(MSR) & 0xf0, 0xc0); /* RI DCD */
	wr(RBR, 0x5a);
	ck_assert_uint_eq(rd(LSR) & 0x01, 0x01);
	ck_assert_uint_eq(rd(RBR), 0x5a);
	wr(MCR, 0);
}
END_TEST

START_TEST(test_uart_input_thread_reads_fd)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int i;

	wr(IER, 0x01);
	ck_assert_int_eq(uart8250_start(&u, NULL), 0);
	ck_assert_int_eq(write(in[1], "abc", 3), 3);
	for (i = 0; i < 400 && !irq.level[4]; i++)
		nanosleep(&ts, NULL);
	ck_assert_int_eq(irq.level[4], 1);
	for (i = 0; i < 400 && u.rx_count < 3; i++)
		nanosleep(&ts, NULL);
	ck_assert_uint_eq(rd(RBR), 'a');
	ck_assert_uint_eq(rd(RBR), 'b');
	ck_assert_uint_eq(rd(RBR), 'c');
	uart8250_stop(&u);
	uart8250_stop(&u); /* twice is fine */
}
END_TEST

START_TEST(test_uart_input_thread_waits_when_fifo_full)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	uint8_t buf[UART8250_FIFO + 10];
	unsigned i, got = 0;

	memset(buf, 'q', sizeof(buf));
	buf[sizeof(buf) - 1] = 'E';
	ck_assert_int_eq(uart8250_start(&u, NULL), 0);
	ck_assert_int_eq(write(in[1], buf, sizeof(buf)), (ssize_t)sizeof(buf));
	/* Nothing is lost: the thread waits for room. */
	for (i = 0; i < 2000 && got < sizeof(buf); i++) {
		while (rd(LSR) & 0x01) {
			uint8_t c = rd(RBR);

			ck_assert_uint_eq(c, buf[got]);
			got++;
		}
		nanosleep(&ts, NULL);
	}
	ck_assert_uint_eq(got, sizeof(buf));
	ck_assert_uint_eq(rd(LSR) & 0x02, 0); /* no overrun */
	uart8250_stop(&u);
}
END_TEST

START_TEST(test_uart_unclaimed_ports_around_it)
{
	uint8_t v;

	ck_assert_int_eq(iomap_read(&pio, BASE + 8, &v, 1), -ENOENT);
	ck_assert_uint_eq(v, 0xff);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("uart8250");
	TCase *tc = tcase_create("uart8250");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_uart_reset_state);
	tcase_add_test(tc, test_uart_thr_writes_to_fd);
	tcase_add_test(tc, test_uart_output_callback_replaces_fd);
	tcase_add_test(tc, test_uart_scratch_and_ier_probe);
	tcase_add_test(tc, test_uart_fifo_detected_as_16550a);
	tcase_add_test(tc, test_uart_divisor_latch);
	tcase_add_test(tc, test_uart_thre_interrupt_cycle);
	tcase_add_test(tc, test_uart_rx_interrupt_and_lsr);
	tcase_add_test(tc, test_uart_rx_priority_over_thre);
	tcase_add_test(tc, test_uart_fifo_overrun_and_clear);
	tcase_add_test(tc, test_uart_loopback);
	tcase_add_test(tc, test_uart_input_thread_reads_fd);
	tcase_add_test(tc, test_uart_input_thread_waits_when_fifo_full);
	tcase_add_test(tc, test_uart_unclaimed_ports_around_it);
	suite_add_tcase(s, tc);
	return check_run(s);
}
