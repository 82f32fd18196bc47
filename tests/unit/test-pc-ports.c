/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-pc-ports.c: i8042 reset line, debug-exit, port 0x80,
 * and hv_open() errors (no /dev/kvm needed for those).
 */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86/pc-ports.h"
#include "kvm/hv.h"
#include "check-main.h"

static struct iomap pio;
static struct i8042 kbc;
static struct pc_ports ports;
static int exits, last_reason, last_code;

static void record_exit(void *opaque, int reason, int code)
{
	(void)opaque;
	exits++;
	last_reason = reason;
	last_code = code;
}

static uint8_t rd(uint16_t port)
{
	uint8_t v;

	ck_assert_int_eq(iomap_read(&pio, port, &v, 1), 0);
	return v;
}

static void wr(uint16_t port, uint8_t v)
{
	ck_assert_int_eq(iomap_write(&pio, port, &v, 1), 0);
}

static void setup(void)
{
	exits = last_reason = last_code = 0;
	ck_assert_int_eq(iomap_init(&pio, "pio"), 0);
	i8042_init(&kbc, record_exit, NULL);
	pc_ports_init(&ports, record_exit, NULL);
	ck_assert_int_eq(iomap_add(&pio, 0x60, 1, &i8042_data_ops, &kbc, "i8042", NULL), 0);
	ck_assert_int_eq(iomap_add(&pio, 0x64, 1, &i8042_cmd_ops, &kbc, "i8042", NULL), 0);
	ck_assert_int_eq(iomap_add(&pio, 0x501, 2, &debug_exit_ops, &ports, "debug-exit", NULL), 0);
	ck_assert_int_eq(iomap_add(&pio, 0x80, 1, &ignore_ops, NULL, "post", NULL), 0);
}

static void teardown(void)
{
	i8042_fini(&kbc);
	iomap_fini(&pio);
}

START_TEST(test_i8042_status_is_not_absent)
{
	uint8_t st = rd(0x64);

	ck_assert_uint_ne(st, 0xff);     /* 0xff would mean "no controller" */
	ck_assert_uint_eq(st & 0x03, 0); /* nothing to read, ready for input */
}
END_TEST

START_TEST(test_i8042_ctr_and_self_test)
{
	wr(0x64, 0x20);                  /* read CTR */
	ck_assert_uint_eq(rd(0x64) & 1, 1);
	ck_assert_uint_eq(rd(0x60) & 0x04, 0x04); /* system flag */
	ck_assert_uint_eq(rd(0x64) & 1, 0);
	wr(0x64, 0x60);                  /* write CTR */
	wr(0x60, 0x45);
	wr(0x64, 0x20);
	ck_assert_uint_eq(rd(0x60), 0x45);
	wr(0x64, 0xaa);                  /* self test */
	ck_assert_uint_eq(rd(0x60), 0x55);
	wr(0x64, 0xab);                  /* interface test */
	ck_assert_uint_eq(rd(0x60), 0x00);
	ck_assert_int_eq(exits, 0);
}
END_TEST

START_TEST(test_i8042_fe_resets)
{
	wr(0x64, 0xfe);
	ck_assert_int_eq(exits, 1);
	ck_assert_int_eq(last_reason, VM_EXIT_RESET);
}
END_TEST

START_TEST(test_i8042_output_port_bit0_resets)
{
	wr(0x64, 0xd1);
	wr(0x60, 0x01);                  /* reset line high: nothing */
	ck_assert_int_eq(exits, 0);
	wr(0x64, 0xd1);
	wr(0x60, 0xfe);
	ck_assert_int_eq(exits, 1);
	ck_assert_int_eq(last_reason, VM_EXIT_RESET);
}
END_TEST

START_TEST(test_debug_exit_reports_value)
{
	uint16_t v = 0x1234;

	ck_assert_int_eq(iomap_write(&pio, 0x501, &v, 2), 0);
	ck_assert_int_eq(exits, 1);
	ck_assert_int_eq(last_reason, VM_EXIT_DEBUG);
	ck_assert_int_eq(last_code, 0x1234);
	wr(0x501, 7);
	ck_assert_int_eq(last_code, 7);
}
END_TEST

START_TEST(test_port80_ignored)
{
	wr(0x80, 0x55);
	ck_assert_int_eq(exits, 0);
}
END_TEST

START_TEST(test_hv_open_missing_device)
{
	struct vm_error *err = NULL;
	struct hv hv;

	ck_assert_int_eq(hv_open(&hv, "/nonexistent/kvm", &err), -ENOENT);
	ck_assert_str_eq(vm_error_message(err),
			 "cannot open /nonexistent/kvm: No such file or directory");
	vm_error_free(err);
	ck_assert_int_eq(hv.kvm_fd, -1);
	ck_assert_int_eq(hv.vm_fd, -1);
}
END_TEST

START_TEST(test_hv_open_not_kvm)
{
	struct vm_error *err = NULL;
	struct hv hv;

	ck_assert_int_eq(hv_open(&hv, "/dev/null", &err), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "KVM API version"));
	vm_error_free(err);
	ck_assert_int_eq(hv.kvm_fd, -1);
}
END_TEST

START_TEST(test_hv_is_pvm_matches_sysfs)
{
	int exists = access("/sys/module/kvm_pvm", F_OK) == 0;

	ck_assert_int_eq(hv_is_pvm(), exists);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pc-ports");
	TCase *tc = tcase_create("pc-ports");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_i8042_status_is_not_absent);
	tcase_add_test(tc, test_i8042_ctr_and_self_test);
	tcase_add_test(tc, test_i8042_fe_resets);
	tcase_add_test(tc, test_i8042_output_port_bit0_resets);
	tcase_add_test(tc, test_debug_exit_reports_value);
	tcase_add_test(tc, test_port80_ignored);
	tcase_add_test(tc, test_hv_open_missing_device);
	tcase_add_test(tc, test_hv_open_not_kvm);
	tcase_add_test(tc, test_hv_is_pvm_matches_sysfs);
	suite_add_tcase(s, tc);
	return check_run(s);
}
