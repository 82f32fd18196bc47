/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/test-iomap.c: the PIO/MMIO range map (lib/kvm/iomap.c). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/iomap.h"
#include "check-main.h"

struct rec {
	uint64_t off;
	uint64_t val;
	unsigned size, reads, writes;
	struct iomap *m;      /* for the handler that removes itself */
	uint64_t self_base;
};

static void rec_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct rec *r = opaque;

	r->off = off;
	r->size = size;
	r->reads++;
	memset(data, 0xa5, size);
}

static void rec_write(void *opaque, uint64_t off, const void *data,
		      unsigned size)
{
	struct rec *r = opaque;

	r->off = off;
	r->size = size;
	r->val = 0;
	memcpy(&r->val, data, size);
	r->writes++;
	if (r->m)
		iomap_del(r->m, r->self_base, r);
}

static const struct iomap_ops rec_ops = { rec_read, rec_write };

START_TEST(test_iomap_dispatches_by_offset)
{
	struct iomap m;
	struct rec a = { 0 }, b = { 0 };
	uint32_t v = 0;
	uint16_t w = 0x1234;

	ck_assert_int_eq(iomap_init(&m, "pio"), 0);
	ck_assert_int_eq(iomap_add(&m, 0x3f8, 8, &rec_ops, &a, "com1", NULL), 0);
	ck_assert_int_eq(iomap_add(&m, 0x70, 2, &rec_ops, &b, "rtc", NULL), 0);
	ck_assert_int_eq(iomap_read(&m, 0x3fd, &v, 1), 0);
	ck_assert_uint_eq(a.off, 5);
	ck_assert_uint_eq(a.size, 1);
	ck_assert_uint_eq(v, 0xa5);
	ck_assert_int_eq(iomap_write(&m, 0x71, &w, 2) , -ENOENT); /* straddles */
	ck_assert_int_eq(iomap_write(&m, 0x70, &w, 2), 0);
	ck_assert_uint_eq(b.val, 0x1234);
	ck_assert_uint_eq(b.off, 0);
	iomap_fini(&m);
}
END_TEST

START_TEST(test_iomap_unclaimed_reads_all_ones)
{
	struct iomap m;
	struct rec a = { 0 };
	uint64_t v = 0;

	ck_assert_int_eq(iomap_init(&m, "mmio"), 0);
	ck_assert_int_eq(iomap_add(&m, 0x1000, 0x100, &rec_ops, &a, "a", NULL), 0);
	ck_assert_int_eq(iomap_read(&m, 0xfff, &v, 8), -ENOENT);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(iomap_read(&m, 0x10fc, &v, 8), -ENOENT); /* crosses end */
	ck_assert_int_eq(iomap_read(&m, 0x10f8, &v, 8), 0);
	ck_assert_int_eq(iomap_write(&m, 0x1100, &v, 1), -ENOENT);
	ck_assert_int_eq(iomap_read(&m, 0x1000, &v, 3), -EINVAL);
	ck_assert_uint_eq(a.writes, 0);
	iomap_fini(&m);
}
END_TEST

START_TEST(test_iomap_rejects_overlap_naming_owner)
{
	struct iomap m;
	struct rec a = { 0 };
	struct vm_error *err = NULL;

	ck_assert_int_eq(iomap_init(&m, "pio"), 0);
	ck_assert_int_eq(iomap_add(&m, 0x100, 0x10, &rec_ops, &a, "first", NULL), 0);
	ck_assert_int_eq(iomap_add(&m, 0x10f, 1, &rec_ops, &a, "second", &err), -EEXIST);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "first"));
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "second"));
	vm_error_free(err);
	ck_assert_int_eq(iomap_add(&m, 0xf0, 0x11, &rec_ops, &a, "x", NULL), -EEXIST);
	ck_assert_int_eq(iomap_add(&m, 0x0, 0x1000, &rec_ops, &a, "x", NULL), -EEXIST);
	ck_assert_int_eq(iomap_add(&m, 0xf0, 0x10, &rec_ops, &a, "below", NULL), 0);
	ck_assert_int_eq(iomap_add(&m, 0x110, 0x10, &rec_ops, &a, "above", NULL), 0);
	ck_assert_uint_eq(m.nr, 3);
	iomap_fini(&m);
}
END_TEST

START_TEST(test_iomap_rejects_empty_and_wrapping_ranges)
{
	struct iomap m;
	struct rec a = { 0 };
	uint8_t v;

	ck_assert_int_eq(iomap_init(&m, "mmio"), 0);
	ck_assert_int_eq(iomap_add(&m, 0x100, 0, &rec_ops, &a, "a", NULL), -EINVAL);
	ck_assert_int_eq(iomap_add(&m, UINT64_MAX, 2, &rec_ops, &a, "a", NULL), -EINVAL);
	/* The very top of the address space is fine. */
	ck_assert_int_eq(iomap_add(&m, UINT64_MAX - 0xff, 0x100, &rec_ops, &a, "top", NULL), 0);
	ck_assert_int_eq(iomap_read(&m, UINT64_MAX, &v, 1), 0);
	ck_assert_uint_eq(a.off, 0xff);
	iomap_fini(&m);
}
END_TEST

START_TEST(test_iomap_del_needs_owner)
{
	struct iomap m;
	struct rec a = { 0 }, b = { 0 };
	uint8_t v = 1;

	ck_assert_int_eq(iomap_init(&m, "pio"), 0);
	ck_assert_int_eq(iomap_add(&m, 0x20, 2, &rec_ops, &a, "a", NULL), 0);
	ck_assert_int_eq(iomap_del(&m, 0x20, &b), -ENOENT);
	ck_assert_int_eq(iomap_del(&m, 0x21, &a), -ENOENT);
	ck_assert_int_eq(iomap_del(&m, 0x20, &a), 0);
	ck_assert_int_eq(iomap_write(&m, 0x20, &v, 1), -ENOENT);
	ck_assert_int_eq(iomap_add(&m, 0x20, 2, &rec_ops, &b, "b", NULL), 0);
	iomap_fini(&m);
}
END_TEST

START_TEST(test_iomap_handler_may_remove_its_range)
{
	struct iomap m;
	struct rec a = { 0 };
	uint8_t v = 7;

	ck_assert_int_eq(iomap_init(&m, "mmio"), 0);
	a.m = &m;
	a.self_base = 0x5000;
	ck_assert_int_eq(iomap_add(&m, 0x5000, 0x10, &rec_ops, &a, "bar", NULL), 0);
	ck_assert_int_eq(iomap_write(&m, 0x5004, &v, 1), 0); /* no deadlock */
	ck_assert_uint_eq(a.writes, 1);
	ck_assert_int_eq(iomap_write(&m, 0x5004, &v, 1), -ENOENT);
	iomap_fini(&m);
}
END_TEST

START_TEST(test_iomap_many_ranges_sorted)
{
	struct iomap m;
	struct rec r[64];
	unsigned i;
	uint8_t v;

	memset(r, 0, sizeof(r));
	ck_assert_int_eq(iomap_init(&m, "pio"), 0);
	/* Insert in a scrambled order. */
	for (i = 0; i < 64; i++) {
		unsigned k = (i * 37) % 64;

		ck_assert_int_eq(iomap_add(&m, k * 0x10, 0x8, &rec_ops, &r[k], "r", NULL), 0);
	}
	for (i = 1; i < m.nr; i++)
		ck_assert(m.ranges[i - 1].base < m.ranges[i].base);
	for (i = 0; i < 64; i++) {
		ck_assert_int_eq(iomap_read(&m, i * 0x10 + 7, &v, 1), 0);
		ck_assert_uint_eq(r[i].reads, 1);
		ck_assert_int_eq(iomap_read(&m, i * 0x10 + 8, &v, 1), -ENOENT);
	}
	iomap_fini(&m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("iomap");
	TCase *tc = tcase_create("iomap");

	tcase_add_test(tc, test_iomap_dispatches_by_offset);
	tcase_add_test(tc, test_iomap_unclaimed_reads_all_ones);
	tcase_add_test(tc, test_iomap_rejects_overlap_naming_owner);
	tcase_add_test(tc, test_iomap_rejects_empty_and_wrapping_ranges);
	tcase_add_test(tc, test_iomap_del_needs_owner);
	tcase_add_test(tc, test_iomap_handler_may_remove_its_range);
	tcase_add_test(tc, test_iomap_many_ranges_sorted);
	suite_add_tcase(s, tc);
	return check_run(s);
}
