/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/test-rtc.c: CMOS RTC registers through the PIO map. */
#include <check.h>
#include <string.h>
#include <time.h>

#include "arch/x86/rtc.h"
#include "check-main.h"

static struct iomap pio;
static struct rtc r;
static time_t fake_now;

static time_t fake_clock(void)
{
	return fake_now;
}

static uint8_t cmos(uint8_t idx)
{
	uint8_t v;

	ck_assert_int_eq(iomap_write(&pio, 0x70, &idx, 1), 0);
	ck_assert_int_eq(iomap_read(&pio, 0x71, &v, 1), 0);
	return v;
}

static void cmos_set(uint8_t idx, uint8_t v)
{
	ck_assert_int_eq(iomap_write(&pio, 0x70, &idx, 1), 0);
	ck_assert_int_eq(iomap_write(&pio, 0x71, &v, 1), 0);
}

static void setup(void)
{
	ck_assert_int_eq(iomap_init(&pio, "pio"), 0);
	rtc_init(&r);
	r.now = fake_clock;
	/* 2024-02-29 23:59:58 UTC, a Thursday */
	fake_now = 1709251198;
	ck_assert_int_eq(iomap_add(&pio, 0x70, 2, &rtc_ops, &r, "rtc", NULL), 0);
}

static void teardown(void)
{
	rtc_fini(&r);
	iomap_fini(&pio);
}

START_TEST(test_rtc_reads_host_time_in_bcd)
{
	ck_assert_uint_eq(cmos(0x0b) & 0x06, 0x02); /* BCD, 24 h */
	ck_assert_uint_eq(cmos(0x00), 0x58);
	ck_assert_uint_eq(cmos(0x02), 0x59);
	ck_assert_uint_eq(cmos(0x04), 0x23);
	ck_assert_uint_eq(cmos(0x06), 0x05);        /* Thursday = 5 */
	ck_assert_uint_eq(cmos(0x07), 0x29);
	ck_assert_uint_eq(cmos(0x08), 0x02);
	ck_assert_uint_eq(cmos(0x09), 0x24);
	ck_assert_uint_eq(cmos(0x32), 0x20);
	fake_now += 3;                               /* 2024-03-01 00:00:01 */
	ck_assert_uint_eq(cmos(0x00), 0x01);
	ck_assert_uint_eq(cmos(0x08), 0x03);
}
END_TEST

START_TEST(test_rtc_uip_never_set_and_status_regs)
{
	int i;

	/* Linux's mc146818_get_time() waits for UIP clear: make it instant. */
	for (i = 0; i < 1000; i++)
		ck_assert_uint_eq(cmos(0x0a) & 0x80, 0);
	ck_assert_uint_eq(cmos(0x0a), 0x26);
	ck_assert_uint_eq(cmos(0x0d), 0x80);         /* valid RAM and time */
	ck_assert_uint_eq(cmos(0x0c), 0x00);
	cmos_set(0x0a, 0xff);                         /* UIP is read-only */
	ck_assert_uint_eq(cmos(0x0a), 0x7f);
	cmos_set(0x0d, 0x00);
	ck_assert_uint_eq(cmos(0x0d), 0x80);
}
END_TEST

START_TEST(test_rtc_binary_and_12h_modes)
{
	cmos_set(0x0b, 0x04);                         /* binary, 12 h */
	ck_assert_uint_eq(cmos(0x00), 58);
	ck_assert_uint_eq(cmos(0x04), 0x80 | 11);     /* 11 PM */
	ck_assert_uint_eq(cmos(0x09), 24);
	cmos_set(0x0b, 0x00);                         /* BCD, 12 h */
	ck_assert_uint_eq(cmos(0x04), 0x80 | 0x11);
	fake_now += 2 + 12 * 3600;                    /* noon */
	ck_assert_uint_eq(cmos(0x04), 0x80 | 0x12);
	fake_now -= 12 * 3600;                        /* midnight */
	ck_assert_uint_eq(cmos(0x04), 0x12);
}
END_TEST

START_TEST(test_rtc_guest_sets_time)
{
	/* SET, write 2030-01-02 03:04:05, clear SET. */
	cmos_set(0x0b, 0x82);
	cmos_set(0x00, 0x05);
	cmos_set(0x02, 0x04);
	cmos_set(0x04, 0x03);
	cmos_set(0x07, 0x02);
	cmos_set(0x08, 0x01);
	cmos_set(0x09, 0x30);
	cmos_set(0x32, 0x20);
	/* While SET, the time does not move. */
	fake_now += 100;
	ck_assert_uint_eq(cmos(0x00), 0x05);
	cmos_set(0x0b, 0x02);
	ck_assert_uint_eq(cmos(0x09), 0x30);
	ck_assert_uint_eq(cmos(0x04), 0x03);
	fake_now += 10;
	ck_assert_uint_eq(cmos(0x00), 0x15);
	ck_assert_uint_eq(cmos(0x02), 0x04);
}
END_TEST

START_TEST(test_rtc_nvram_and_index_port)
{
	uint8_t v;

	cmos_set(0x40, 0xab);
	cmos_set(0x7f, 0xcd);
	ck_assert_uint_eq(cmos(0x40), 0xab);
	ck_assert_uint_eq(cmos(0x7f), 0xcd);
	/* Bit 7 of the index is the NMI mask, not part of the index. */
	ck_assert_uint_eq(cmos(0x80 | 0x40), 0xab);
	ck_assert_int_eq(iomap_read(&pio, 0x70, &v, 1), 0);
	ck_assert_uint_eq(v, 0xff);
}
END_TEST

static int is_bcd(uint8_t v)
{
	return (v & 0x0f) <= 9 && (v >> 4) <= 9;
}

static void check_time_regs_bcd(void)
{
	static const uint8_t regs[] = { 0x00, 0x02, 0x04, 0x06, 0x07, 0x08,
					0x09, 0x32 };
	unsigned i;

	for (i = 0; i < sizeof(regs); i++) {
		uint8_t v = cmos(regs[i]);

		ck_assert_msg(is_bcd(v), "register 0x%02x reads 0x%02x, not BCD",
			      regs[i], v);
	}
}

/*
 * Regression (issue 8): in BCD mode a century
 * register below 19 (a year before 1900) made the year register a
 * negative value shifted left (UBSan: "left shift of negative value") and
 * the guest read a non-BCD year.
 */
START_TEST(test_rtc_bcd_century_below_19_reads_valid_bcd)
{
	cmos_set(0x32, 0x08);                         /* the writes */
	ck_assert_uint_eq(cmos(0x32), 0x08);
	ck_assert_uint_eq(cmos(0x09), 0x24);
	check_time_regs_bcd();
}
END_TEST

/* Every century and year a guest can write in BCD reads back as written. */
START_TEST(test_rtc_every_bcd_year_round_trips)
{
	unsigned c, y;

	cmos_set(0x0b, 0x82);                         /* SET: 15 Jan 12:00 */
	cmos_set(0x00, 0x00);
	cmos_set(0x02, 0x00);
	cmos_set(0x04, 0x12);
	cmos_set(0x07, 0x15);
	cmos_set(0x08, 0x01);
	cmos_set(0x0b, 0x02);
	for (c = 0; c <= 99; c++) {
		for (y = 0; y <= 99; y += 11) {
			uint8_t bc = (uint8_t)((c / 10) << 4 | c % 10);
			uint8_t by = (uint8_t)((y / 10) << 4 | y % 10);

			cmos_set(0x32, bc);
			cmos_set(0x09, by);
			ck_assert_uint_eq(cmos(0x32), bc);
			ck_assert_uint_eq(cmos(0x09), by);
			ck_assert_uint_eq(cmos(0x08), 0x01);
			ck_assert_uint_eq(cmos(0x07), 0x15);
		}
	}
}
END_TEST

/* Digits that are not BCD, and binary years past 9999, still give
 * registers that are valid in the mode they are read in. */
START_TEST(test_rtc_invalid_digits_give_valid_registers)
{
	cmos_set(0x32, 0xff);                         /* century "165" */
	check_time_regs_bcd();
	cmos_set(0x09, 0xfa);
	check_time_regs_bcd();
	cmos_set(0x0b, 0x06);                         /* binary, 24 h */
	cmos_set(0x32, 0xff);                         /* year 25500+ */
	ck_assert_uint_le(cmos(0x32), 99);
	ck_assert_uint_le(cmos(0x09), 99);
	cmos_set(0x0b, 0x02);
	check_time_regs_bcd();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rtc");
	TCase *tc = tcase_create("rtc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rtc_reads_host_time_in_bcd);
	tcase_add_test(tc, test_rtc_uip_never_set_and_status_regs);
	tcase_add_test(tc, test_rtc_binary_and_12h_modes);
	tcase_add_test(tc, test_rtc_guest_sets_time);
	tcase_add_test(tc, test_rtc_nvram_and_index_port);
	tcase_add_test(tc, test_rtc_bcd_century_below_19_reads_valid_bcd);
	tcase_add_test(tc, test_rtc_every_bcd_year_round_trips);
	tcase_add_test(tc, test_rtc_invalid_digits_give_valid_registers);
	suite_add_tcase(s, tc);
	return check_run(s);
}
