/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-snapshot.c: the snapshot format (lib/snapshot/format.h)
 * and the platform devices' state through it: records round-trip; a
 * corrupted, truncated, wrong-version or miscounted file is refused with a
 * message; each device saved, loaded into a fresh one, reads back the same
 * through its ports (UART, RTC, ACPI PM); bad device records are refused
 * and leave the device as it was.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86/acpi-pm.h"
#include "arch/x86/acpi.h"
#include "arch/x86/pc-ports.h"
#include "arch/x86/rtc.h"
#include "arch/x86/uart8250.h"
#include "arch/x86/vmgenid.h"
#include "snapshot/format.h"
#include "check-main.h"
#include "snap-util.h"
#include "irq-rec.h"

static const struct snap_hdr hdr = { SNAP_FORMAT_VERSION, 0x000300, 0,
				     0x1122334455667788ull, 2, 256,
				     0xabcdefull };

#define TAG_A SNAP_TAG('A', 'A', 'A', 'A')
#define TAG_B SNAP_TAG('B', 'B', 'B', 'B')

/* A file with two records; the caller frees w. */
static void build(struct snap_w *w)
{
	snap_w_init(w, &hdr);
	snap_w_begin(w, TAG_A, 1, 0);
	snap_put_u8(w, 0x11);
	snap_put_u16(w, 0x2233);
	snap_put_u32(w, 0x44556677);
	snap_put_u64(w, 0x8899aabbccddeeffull);
	snap_w_end(w);
	snap_w_record(w, TAG_B, 2, 7, "hello", 5);
	ck_assert_int_eq(snap_w_finish(w), 0);
}

/* Read every record of @buf; 0 or the first error (message in *errp). */
static int read_all(const uint8_t *buf, size_t len, unsigned *n,
		    struct vm_error **errp)
{
	struct snap_r r;
	struct snap_hdr h;
	struct snap_rec rec;
	int rc = snap_r_open(&r, buf, len, &h, errp);

	*n = 0;
	if (rc < 0)
		return rc;
	while ((rc = snap_r_next(&r, &rec, errp)) == 1)
		(*n)++;
	return rc;
}

static void expect_refused(const uint8_t *buf, size_t len, int code,
			   const char *words)
{
	struct vm_error *err = NULL;
	unsigned n;

	ck_assert_int_eq(read_all(buf, len, &n, &err), code);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(vm_error_message(err), words),
		      "'%s' lacks '%s'", vm_error_message(err), words);
	vm_error_free(err);
}

START_TEST(test_crc32c_known_value)
{
	ck_assert_uint_eq(snap_crc32c(0, "123456789", 9), 0xe3069283u);
	ck_assert_uint_eq(snap_crc32c(snap_crc32c(0, "1234", 4), "56789", 5),
			  0xe3069283u);
	ck_assert_uint_eq(snap_crc32c(0, "", 0), 0);
}
END_TEST

START_TEST(test_records_round_trip)
{
	struct snap_w w;
	struct snap_r r;
	struct snap_hdr h;
	struct snap_rec rec;
	struct snap_cur c;
	char s[5];

	build(&w);
	ck_assert_int_eq(snap_r_open(&r, w.buf, w.len, &h, NULL), 0);
	ck_assert_uint_eq(h.lib_version, hdr.lib_version);
	ck_assert_uint_eq(h.host_id, hdr.host_id);
	ck_assert_uint_eq(h.vcpus, 2);
	ck_assert_uint_eq(h.mem_mib, 256);
	ck_assert_uint_eq(h.config_id, hdr.config_id);
	ck_assert_int_eq(snap_r_next(&r, &rec, NULL), 1);
	ck_assert_uint_eq(rec.tag, TAG_A);
	ck_assert_uint_eq(rec.version, 1);
	snap_cur_init(&c, &rec);
	ck_assert_uint_eq(snap_get_u8(&c), 0x11);
	ck_assert_uint_eq(snap_get_u16(&c), 0x2233);
	ck_assert_uint_eq(snap_get_u32(&c), 0x44556677);
	ck_assert_uint_eq(snap_get_u64(&c), 0x8899aabbccddeeffull);
	ck_assert_int_eq(snap_cur_done(&c, &rec, "A", NULL), 0);
	ck_assert_int_eq(snap_r_next(&r, &rec, NULL), 1);
	ck_assert_uint_eq(rec.tag, TAG_B);
	ck_assert_uint_eq(rec.version, 2);
	ck_assert_uint_eq(rec.instance, 7);
	ck_assert_uint_eq(rec.len, 5);
	ck_assert_int_eq(memcmp(rec.data, "hello", 5), 0);
	snap_tag_name(rec.tag, s);
	ck_assert_str_eq(s, "BBBB");
	ck_assert_int_eq(snap_r_next(&r, &rec, NULL), 0); /* END */
	ck_assert_int_eq(snap_r_next(&r, &rec, NULL), 0);
	snap_w_fini(&w);
}
END_TEST

START_TEST(test_every_corrupted_byte_is_refused)
{
	struct snap_w w;

	build(&w);
	for (size_t i = 0; i < w.len; i++) {
		struct vm_error *err = NULL;
		unsigned n;
		int rc;

		w.buf[i] ^= 0x40;
		rc = read_all(w.buf, w.len, &n, &err);
		ck_assert_msg(rc < 0, "flipping byte %zu went unnoticed", i);
		ck_assert_ptr_nonnull(err);
		vm_error_free(err);
		w.buf[i] ^= 0x40;
	}
	expect_refused(w.buf, w.len - 1, -EBADMSG, "truncated");
	snap_w_fini(&w);
}
END_TEST

START_TEST(test_every_truncation_is_refused)
{
	struct snap_w w;

	build(&w);
	for (size_t len = 0; len < w.len; len++) {
		struct vm_error *err = NULL;
		unsigned n;

		ck_assert_msg(read_all(w.buf, len, &n, &err) < 0,
			      "a file cut at %zu of %zu bytes was taken", len,
			      w.len);
		vm_error_free(err);
	}
	snap_w_fini(&w);
}
END_TEST

/* Recompute the header checksum after an edit. */
static void rehash(uint8_t *p)
{
	uint32_t c = snap_crc32c(0, p, 60);

	memcpy(p + 60, &c, 4);
}

START_TEST(test_wrong_magic_version_and_count)
{
	struct snap_w w;
	uint32_t v = SNAP_FORMAT_VERSION + 1;
	uint8_t *copy;

	build(&w);
	copy = malloc(w.len);
	memcpy(copy, w.buf, w.len);
	copy[0] = 'X';
	expect_refused(copy, w.len, -EINVAL, "not a libkvm-virtio snapshot");
	memcpy(copy, w.buf, w.len);
	memcpy(copy + 8, &v, 4);
	rehash(copy);
	expect_refused(copy, w.len, -ENOTSUP, "format version 2");
	memcpy(copy, w.buf, w.len);
	copy[20] = 1; /* flags changed, checksum not */
	expect_refused(copy, w.len, -EBADMSG, "header checksum");
	snap_w_fini(&w);
	free(copy);

	/* An END whose count disagrees (a record dropped from the middle). */
	snap_w_init(&w, &hdr);
	snap_w_record(&w, TAG_A, 1, 0, "x", 1);
	w.nrec = 5;
	ck_assert_int_eq(snap_w_finish(&w), 0);
	expect_refused(w.buf, w.len, -EBADMSG, "END record");
	snap_w_fini(&w);

	/* Writer misuse is an error, not a broken file. */
	snap_w_init(&w, &hdr);
	snap_w_end(&w);
	ck_assert_int_eq(snap_w_finish(&w), -EINVAL);
	snap_w_fini(&w);
}
END_TEST

START_TEST(test_cursor_short_and_long_payloads)
{
	struct snap_rec rec = { TAG_A, 1, 0, (const uint8_t *)"abc", 3, 64 };
	struct vm_error *err = NULL;
	struct snap_cur c;

	snap_cur_init(&c, &rec);
	ck_assert_uint_eq(snap_get_u32(&c), 0); /* past the end: zero, bad */
	ck_assert(c.bad);
	ck_assert_int_eq(snap_cur_done(&c, &rec, "thing", &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "too short"));
	vm_error_free(err);
	err = NULL;
	snap_cur_init(&c, &rec);
	(void)snap_get_u16(&c);
	ck_assert_int_eq(snap_cur_done(&c, &rec, "thing", &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "more than"));
	vm_error_free(err);
	err = NULL;
	rec.version = 9;
	ck_assert_int_eq(snap_rec_check(&rec, 1, "thing", &err), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "version 9"));
	vm_error_free(err);
}
END_TEST

/* Save with @call into a file and give back its first record (the file
 * stays in *w for the caller to free). */
#define SAVE_ONE(w, rec, call)                                                \
	do {                                                                  \
		snap_w_init((w), &hdr);                                       \
		call;                                                         \
		snap_test_first((w), (rec));                                  \
	} while (0)

/* The record with one byte fewer / more, and a newer version: each
 * refused by @load with the device unchanged (checked by the caller). */
static void check_bad_records(const struct snap_rec *good,
			      int (*load)(void *dev, const struct snap_rec *,
					  struct vm_error **),
			      void *dev)
{
	uint8_t *more = calloc(1, good->len + 1);
	struct snap_rec r = *good;
	struct vm_error *err = NULL;

	r.len = good->len - 1;
	ck_assert_int_eq(load(dev, &r, &err), -EBADMSG);
	vm_error_free(err);
	err = NULL;
	memcpy(more, good->data, good->len);
	r.data = more;
	r.len = good->len + 1;
	ck_assert_int_eq(load(dev, &r, &err), -EBADMSG);
	vm_error_free(err);
	err = NULL;
	r = *good;
	r.version = 99;
	ck_assert_int_eq(load(dev, &r, &err), -ENOTSUP);
	vm_error_free(err);
	free(more);
}

/* ---- UART ---- */

static uint8_t io_rd(struct iomap *m, uint64_t port)
{
	uint8_t v;

	ck_assert_int_eq(iomap_read(m, port, &v, 1), 0);
	return v;
}

static void io_wr(struct iomap *m, uint64_t port, uint8_t v)
{
	ck_assert_int_eq(iomap_write(m, port, &v, 1), 0);
}

struct uart_rig {
	struct iomap pio;
	struct uart8250 u;
	struct irq_rec irq;
};

static void uart_rig_init(struct uart_rig *g)
{
	irq_rec_init(&g->irq);
	ck_assert_int_eq(iomap_init(&g->pio, "pio"), 0);
	ck_assert_int_eq(uart8250_init(&g->u, "com1", &g->irq.sink, 4, -1, -1,
				       NULL, NULL), 0);
	ck_assert_int_eq(iomap_add(&g->pio, 0x3f8, 8, &uart8250_ops, &g->u,
				   "com1", NULL), 0);
}

static void uart_rig_fini(struct uart_rig *g)
{
	uart8250_fini(&g->u);
	iomap_fini(&g->pio);
}

/* Every register as the guest reads it, the divisor included; reading
 * RBR pops the FIFO, so this is done once per rig at the end. */
static void uart_regs(struct uart_rig *g, uint8_t out[16])
{
	struct iomap *m = &g->pio;
	uint8_t lcr = io_rd(m, 0x3fb);

	out[0] = io_rd(m, 0x3f9); /* IER */
	out[1] = io_rd(m, 0x3fa); /* IIR */
	out[2] = lcr;
	out[3] = io_rd(m, 0x3fc); /* MCR */
	out[4] = io_rd(m, 0x3fd); /* LSR */
	out[5] = io_rd(m, 0x3fe) & 0xf0; /* MSR lines */
	out[6] = io_rd(m, 0x3ff); /* SCR */
	io_wr(m, 0x3fb, lcr | 0x80);
	out[7] = io_rd(m, 0x3f8); /* DLL */
	out[8] = io_rd(m, 0x3f9); /* DLM */
	io_wr(m, 0x3fb, lcr);
	for (int i = 9; i < 16; i++)
		out[i] = io_rd(m, 0x3f8); /* the FIFO, in order */
}

static int uart_load_cb(void *dev, const struct snap_rec *rec,
			struct vm_error **errp)
{
	return uart8250_load(dev, rec, errp);
}

START_TEST(test_uart_round_trip)
{
	struct uart_rig *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	uint8_t ra[16], rb[16];
	struct snap_rec rec;
	struct snap_w w;

	uart_rig_init(a);
	uart_rig_init(b);
	io_wr(&a->pio, 0x3fb, 0x83);           /* DLAB, 8N1 */
	io_wr(&a->pio, 0x3f8, 0x0c);           /* 9600 baud */
	io_wr(&a->pio, 0x3f9, 0x00);
	io_wr(&a->pio, 0x3fb, 0x03);
	io_wr(&a->pio, 0x3fa, 0x07);           /* FIFO on */
	io_wr(&a->pio, 0x3fc, 0x0b);           /* DTR RTS OUT2 */
	io_wr(&a->pio, 0x3ff, 0x5a);
	io_wr(&a->pio, 0x3f9, 0x01);           /* RDI */
	ck_assert_uint_eq(uart8250_receive(&a->u, (const uint8_t *)"snapsho", 7),
			  7);
	SAVE_ONE(&w, &rec, uart8250_save(&a->u, &w));
	check_bad_records(&rec, uart_load_cb, &b->u);
	ck_assert_int_eq(uart8250_load(&b->u, &rec, NULL), 0);
	snap_w_fini(&w);
	uart_regs(a, ra);
	uart_regs(b, rb);
	ck_assert_int_eq(memcmp(ra, rb, sizeof(ra)), 0);
	ck_assert_int_eq(memcmp(rb + 9, "snapsho", 7), 0);
	ck_assert_uint_eq(rb[7], 0x0c);
	uart_rig_fini(a);
	uart_rig_fini(b);
	free(a);
	free(b);
}
END_TEST

/* A THRE interrupt pending at the save (ETBEI on, the guest has not read
 * IIR yet): the loaded UART raises its line again, once, and the guest's
 * IIR read then finds THRI and lets it drop, as on the saved one. */
START_TEST(test_uart_pending_interrupt_raised_after_load)
{
	struct uart_rig *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct snap_rec rec;
	struct snap_w w;

	uart_rig_init(a);
	uart_rig_init(b);
	io_wr(&a->pio, 0x3fc, 0x08);           /* OUT2 */
	io_wr(&a->pio, 0x3f9, 0x02);           /* ETBEI: THRE pending */
	ck_assert_int_eq(a->irq.level[4], 1);
	SAVE_ONE(&w, &rec, uart8250_save(&a->u, &w));
	ck_assert_int_eq(uart8250_load(&b->u, &rec, NULL), 0);
	snap_w_fini(&w);
	ck_assert_int_eq(b->irq.level[4], 1);
	ck_assert_uint_eq(b->irq.raised[4], 1);
	ck_assert_uint_eq(io_rd(&b->pio, 0x3fa) & 0x0f, 0x02); /* THRI */
	ck_assert_int_eq(b->irq.level[4], 0);
	/* nothing pending: the load leaves the line low */
	SAVE_ONE(&w, &rec, uart8250_save(&b->u, &w));
	ck_assert_int_eq(uart8250_load(&a->u, &rec, NULL), 0);
	snap_w_fini(&w);
	ck_assert_int_eq(a->irq.level[4], 0);
	uart_rig_fini(a);
	uart_rig_fini(b);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_uart_refuses_out_of_range_fifo)
{
	struct uart_rig *b = calloc(1, sizeof(*b));
	struct vm_error *err = NULL;
	struct snap_rec rec;
	struct snap_w w;

	uart_rig_init(b);
	SAVE_ONE(&w, &rec, {
		snap_w_begin(&w, SNAP_TAG('U', 'A', 'R', 'T'), 1, 0);
		snap_put(&w, (uint8_t[12]){ 0 }, 12);
		snap_put_u8(&w, 200); /* > the 64-byte FIFO */
		snap_w_end(&w);
	});
	ck_assert_int_eq(uart8250_load(&b->u, &rec, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "receive FIFO"));
	vm_error_free(err);
	ck_assert_uint_eq(io_rd(&b->pio, 0x3fd), 0x60); /* unchanged */
	snap_w_fini(&w);
	uart_rig_fini(b);
	free(b);
}
END_TEST

/* ---- i8042 ---- */

struct kbc_rig {
	struct iomap pio;
	struct i8042 k;
	int exits;
};

static void kbc_exit(void *opaque, int reason, int code)
{
	struct kbc_rig *g = opaque;

	(void)code;
	ck_assert_int_eq(reason, VM_EXIT_RESET);
	g->exits++;
}

static void kbc_rig_init(struct kbc_rig *g)
{
	ck_assert_int_eq(iomap_init(&g->pio, "pio"), 0);
	i8042_init(&g->k, kbc_exit, g);
	ck_assert_int_eq(iomap_add(&g->pio, I8042_DATA_PORT, 1, &i8042_data_ops,
				   &g->k, "i8042", NULL), 0);
	ck_assert_int_eq(iomap_add(&g->pio, I8042_CMD_PORT, 1, &i8042_cmd_ops,
				   &g->k, "i8042", NULL), 0);
}

static void kbc_rig_fini(struct kbc_rig *g)
{
	i8042_fini(&g->k);
	iomap_fini(&g->pio);
}

static int kbc_load_cb(void *dev, const struct snap_rec *rec,
		       struct vm_error **errp)
{
	return i8042_load(dev, rec, errp);
}

/* A guest's CTR, the self test's answer not read yet and a "write output
 * port" waiting for its data byte: the loaded controller shows the same
 * status, hands out the same byte, keeps the CTR and resets the VM on the
 * data byte the saved one was waiting for. Short, long, newer and
 * out-of-range records are refused, leaving it as reset. */
START_TEST(test_i8042_round_trip)
{
	struct kbc_rig *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct vm_error *err = NULL;
	struct snap_rec rec, bad;
	uint8_t odd[8];
	struct snap_w w;

	kbc_rig_init(a);
	kbc_rig_init(b);
	io_wr(&a->pio, I8042_CMD_PORT, 0x60);   /* write CTR */
	io_wr(&a->pio, I8042_DATA_PORT, 0x45);
	io_wr(&a->pio, I8042_CMD_PORT, 0xaa);   /* self test: 0x55 waits */
	io_wr(&a->pio, I8042_CMD_PORT, 0xd1);   /* output port: data next */
	SAVE_ONE(&w, &rec, i8042_save(&a->k, &w));
	check_bad_records(&rec, kbc_load_cb, &b->k);
	ck_assert_uint_le(rec.len, sizeof(odd));
	memcpy(odd, rec.data, rec.len);
	odd[3] = 0x42;                          /* no such waiting command */
	bad = rec;
	bad.data = odd;
	ck_assert_int_eq(i8042_load(&b->k, &bad, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "i8042"));
	vm_error_free(err);
	ck_assert_uint_eq(io_rd(&b->pio, I8042_CMD_PORT) & 0x09, 0); /* as reset */
	ck_assert_int_eq(i8042_load(&b->k, &rec, NULL), 0);
	snap_w_fini(&w);
	ck_assert_uint_eq(io_rd(&b->pio, I8042_CMD_PORT),
			  io_rd(&a->pio, I8042_CMD_PORT));
	ck_assert_uint_eq(io_rd(&b->pio, I8042_CMD_PORT) & 0x09, 0x09); /* OBF, CMD */
	io_wr(&b->pio, I8042_DATA_PORT, 0xfe);  /* bit 0 clear: reset */
	ck_assert_int_eq(b->exits, 1);
	ck_assert_uint_eq(io_rd(&b->pio, I8042_DATA_PORT), 0x55);
	io_wr(&b->pio, I8042_CMD_PORT, 0x20);   /* read CTR */
	ck_assert_uint_eq(io_rd(&b->pio, I8042_DATA_PORT), 0x45);
	ck_assert_int_eq(a->exits, 0);
	kbc_rig_fini(a);
	kbc_rig_fini(b);
	free(a);
	free(b);
}
END_TEST

/* ---- RTC ---- */

static time_t fixed_now(void)
{
	return 1709251198; /* 2024-02-29 23:59:58 UTC */
}

struct rtc_rig {
	struct iomap pio;
	struct rtc r;
};

static void rtc_rig_init(struct rtc_rig *g)
{
	ck_assert_int_eq(iomap_init(&g->pio, "pio"), 0);
	rtc_init(&g->r);
	g->r.now = fixed_now;
	ck_assert_int_eq(iomap_add(&g->pio, 0x70, 2, &rtc_ops, &g->r, "rtc",
				   NULL), 0);
}

static void rtc_rig_fini(struct rtc_rig *g)
{
	rtc_fini(&g->r);
	iomap_fini(&g->pio);
}

static int rtc_load_cb(void *dev, const struct snap_rec *rec,
		       struct vm_error **errp)
{
	return rtc_load(dev, rec, errp);
}

START_TEST(test_rtc_round_trip)
{
	struct rtc_rig a, b;
	struct snap_rec rec;
	struct snap_w w;

	rtc_rig_init(&a);
	rtc_rig_init(&b);
	io_wr(&a.pio, 0x70, 0x0b);
	io_wr(&a.pio, 0x71, 0x82);          /* SET, 24 h, BCD */
	io_wr(&a.pio, 0x70, 0x09);
	io_wr(&a.pio, 0x71, 0x31);          /* year 2031 */
	io_wr(&a.pio, 0x70, 0x0b);
	io_wr(&a.pio, 0x71, 0x02);          /* run again */
	io_wr(&a.pio, 0x70, 0x40);
	io_wr(&a.pio, 0x71, 0xa5);          /* NVRAM */
	io_wr(&a.pio, 0x70, 0x41);          /* leave an index selected */
	SAVE_ONE(&w, &rec, rtc_save(&a.r, &w));
	check_bad_records(&rec, rtc_load_cb, &b.r);
	ck_assert_int_eq(rtc_load(&b.r, &rec, NULL), 0);
	snap_w_fini(&w);
	ck_assert_uint_eq(io_rd(&b.pio, 0x71), io_rd(&a.pio, 0x71)); /* 0x41 */
	for (unsigned i = 0; i < 128; i++) {
		io_wr(&a.pio, 0x70, (uint8_t)i);
		io_wr(&b.pio, 0x70, (uint8_t)i);
		ck_assert_msg(io_rd(&a.pio, 0x71) == io_rd(&b.pio, 0x71),
			      "CMOS register 0x%x differs", i);
	}
	io_wr(&b.pio, 0x70, 0x09);
	ck_assert_uint_eq(io_rd(&b.pio, 0x71), 0x31);
	rtc_rig_fini(&a);
	rtc_rig_fini(&b);
}
END_TEST

/* ---- ACPI PM ---- */

static void power_cb(void *opaque, int reason)
{
	(void)opaque;
	(void)reason;
}

static int pm_load_cb(void *dev, const struct snap_rec *rec,
		      struct vm_error **errp)
{
	return x86_acpi_pm_load(dev, rec, errp);
}

static uint16_t rd16(struct iomap *m, uint64_t port)
{
	uint16_t v;

	ck_assert_int_eq(iomap_read(m, port, &v, 2), 0);
	return v;
}

START_TEST(test_acpi_pm_round_trip)
{
	struct x86_acpi_pm_config cfg = { .reset_port = X86_ACPI_RESET_PORT,
					  .power = power_cb,
					  .gpe0_base = X86_ACPI_GPE0_BASE };
	struct iomap pa, pb;
	struct x86_acpi_pm a, b;
	uint16_t en = 0x0121;
	struct snap_rec rec;
	struct snap_w w;

	ck_assert_int_eq(iomap_init(&pa, "pio"), 0);
	ck_assert_int_eq(iomap_init(&pb, "pio"), 0);
	ck_assert_int_eq(x86_acpi_pm_init(&a, &pa, &cfg, NULL), 0);
	ck_assert_int_eq(x86_acpi_pm_init(&b, &pb, &cfg, NULL), 0);
	ck_assert_int_eq(iomap_write(&pa, X86_ACPI_PM_BASE + 2, &en, 2), 0);
	io_wr(&pa, X86_ACPI_RESET_PORT, 0x02); /* SYS_RST without RST_CPU */
	ck_assert_int_eq(iomap_write(&pa, X86_ACPI_GPE0_BASE + 2, &en, 2), 0);
	x86_acpi_pm_gpe_raise(&a, 5);
	SAVE_ONE(&w, &rec, x86_acpi_pm_save(&a, &w));
	check_bad_records(&rec, pm_load_cb, &b);
	ck_assert_uint_eq(rd16(&pb, X86_ACPI_PM_BASE + 2), 0);
	ck_assert_int_eq(x86_acpi_pm_load(&b, &rec, NULL), 0);
	snap_w_fini(&w);
	for (unsigned off = 0; off < 6; off += 2)
		ck_assert_uint_eq(rd16(&pa, X86_ACPI_PM_BASE + off),
				  rd16(&pb, X86_ACPI_PM_BASE + off));
	ck_assert_uint_eq(rd16(&pb, X86_ACPI_PM_BASE + 2), en);
	ck_assert_uint_eq(io_rd(&pa, X86_ACPI_RESET_PORT),
			  io_rd(&pb, X86_ACPI_RESET_PORT));
	ck_assert_uint_eq(rd16(&pb, X86_ACPI_GPE0_BASE), 1u << 5);
	ck_assert_uint_eq(rd16(&pb, X86_ACPI_GPE0_BASE + 2), en);
	x86_acpi_pm_fini(&a);
	x86_acpi_pm_fini(&b);
	iomap_fini(&pa);
	iomap_fini(&pb);
}
END_TEST

/* A 0.3 record (version 1, no GPE0 registers) still loads. */
START_TEST(test_acpi_pm_version_1_record_loads)
{
	struct x86_acpi_pm_config cfg = { .gpe0_base = X86_ACPI_GPE0_BASE };
	struct x86_acpi_pm b;
	struct snap_rec rec;
	struct snap_w w;
	struct iomap pb;

	ck_assert_int_eq(iomap_init(&pb, "pio"), 0);
	ck_assert_int_eq(x86_acpi_pm_init(&b, &pb, &cfg, NULL), 0);
	x86_acpi_pm_gpe_raise(&b, 3);
	SAVE_ONE(&w, &rec, {
		snap_w_begin(&w, SNAP_TAG('P', 'M', '1', '.'), 1, 0);
		snap_put_u16(&w, 0);
		snap_put_u16(&w, 0x0100);
		snap_put_u16(&w, 0);
		snap_put_u8(&w, 0);
		snap_w_end(&w);
	});
	ck_assert_int_eq(x86_acpi_pm_load(&b, &rec, NULL), 0);
	snap_w_fini(&w);
	ck_assert_uint_eq(rd16(&pb, X86_ACPI_PM_BASE + 2), 0x0100);
	ck_assert_uint_eq(rd16(&pb, X86_ACPI_GPE0_BASE), 0);
	x86_acpi_pm_fini(&b);
	iomap_fini(&pb);
}
END_TEST

/* ---- VM Generation ID ---- */

static struct gmem vgid_mem;

static int vgid_load_cb(void *dev, const struct snap_rec *rec,
			struct vm_error **errp)
{
	return x86_vmgenid_load(rec, &vgid_mem, dev, errp);
}

START_TEST(test_vmgenid_round_trip_and_bad_address)
{
	static uint8_t ram[1 << 20];
	uint64_t gpa = 0;
	struct vm_error *err = NULL;
	struct snap_rec rec;
	struct snap_w w;
	uint8_t id1[X86_VMGENID_LEN];

	memset(&vgid_mem, 0, sizeof(vgid_mem));
	vgid_mem.fd = -1;
	vgid_mem.base = ram;
	vgid_mem.size = sizeof(ram);
	vgid_mem.nr = 1;
	vgid_mem.r[0] = (struct gmem_region){ 0, sizeof(ram), 0, ram };
	SAVE_ONE(&w, &rec, x86_vmgenid_save(X86_VMGENID_ADDR, &w));
	check_bad_records(&rec, vgid_load_cb, &gpa);
	ck_assert_uint_eq(gpa, 0);
	ck_assert_int_eq(x86_vmgenid_load(&rec, &vgid_mem, &gpa, NULL), 0);
	ck_assert_uint_eq(gpa, X86_VMGENID_ADDR);
	snap_w_fini(&w);
	/* a new ID each time, in the 16 bytes at the address */
	ck_assert_int_eq(x86_vmgenid_renew(&vgid_mem, gpa, NULL), 0);
	memcpy(id1, ram + gpa, sizeof(id1));
	ck_assert_int_eq(x86_vmgenid_renew(&vgid_mem, gpa, NULL), 0);
	ck_assert_int_ne(memcmp(id1, ram + gpa, sizeof(id1)), 0);
	/* an address whose 16 bytes are not all RAM is refused */
	SAVE_ONE(&w, &rec, x86_vmgenid_save(sizeof(ram) - 8, &w));
	gpa = 0;
	ck_assert_int_eq(x86_vmgenid_load(&rec, &vgid_mem, &gpa, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "outside the guest RAM"));
	vm_error_free(err);
	err = NULL;
	ck_assert_uint_eq(gpa, 0);
	snap_w_fini(&w);
	ck_assert_int_eq(x86_vmgenid_renew(&vgid_mem, sizeof(ram) - 8, &err), -EFAULT);
	vm_error_free(err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("format");
	TCase *td = tcase_create("devices");

	tcase_add_test(tc, test_crc32c_known_value);
	tcase_add_test(tc, test_records_round_trip);
	tcase_add_test(tc, test_every_corrupted_byte_is_refused);
	tcase_add_test(tc, test_every_truncation_is_refused);
	tcase_add_test(tc, test_wrong_magic_version_and_count);
	tcase_add_test(tc, test_cursor_short_and_long_payloads);
	suite_add_tcase(s, tc);
	tcase_add_test(td, test_uart_round_trip);
	tcase_add_test(td, test_uart_refuses_out_of_range_fifo);
	tcase_add_test(td, test_uart_pending_interrupt_raised_after_load);
	tcase_add_test(td, test_i8042_round_trip);
	tcase_add_test(td, test_rtc_round_trip);
	tcase_add_test(td, test_acpi_pm_round_trip);
	tcase_add_test(td, test_acpi_pm_version_1_record_loads);
	tcase_add_test(td, test_vmgenid_round_trip_and_bad_address);
	suite_add_tcase(s, td);
	return check_run(s);
}
