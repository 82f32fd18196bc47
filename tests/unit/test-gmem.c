/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/test-gmem.c: guest RAM layout and bounds checks (lib/kvm/mem.c). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/mem.h"
#include "check-main.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

START_TEST(test_gmem_small_is_one_region)
{
	struct gmem m;
	uint8_t b[4] = { 1, 2, 3, 4 }, c[4];

	ck_assert_int_eq(gmem_init(&m, 16 * MiB, NULL, 0, NULL), 0);
	ck_assert_uint_eq(m.nr, 1);
	ck_assert_uint_eq(m.r[0].gpa, 0);
	ck_assert_uint_eq(m.r[0].size, 16 * MiB);
	ck_assert_int_ge(m.fd, 0);
	ck_assert_int_eq(fcntl(m.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(gmem_write(&m, 16 * MiB - 4, b, 4), 0);
	ck_assert_int_eq(gmem_read(&m, 16 * MiB - 4, c, 4), 0);
	ck_assert_mem_eq(b, c, 4);
	ck_assert_int_eq(gmem_write(&m, 16 * MiB - 3, b, 4), -EFAULT);
	ck_assert_int_eq(gmem_read(&m, 16 * MiB, c, 1), -EFAULT);
	gmem_fini(&m);
	ck_assert_int_eq(m.fd, -1);
}
END_TEST

START_TEST(test_gmem_ptr_edges_and_overflow)
{
	struct gmem m;

	ck_assert_int_eq(gmem_init(&m, 2 * MiB, NULL, 0, NULL), 0);
	ck_assert_ptr_eq(gmem_ptr(&m, 0, 0), m.base);
	ck_assert_ptr_eq(gmem_ptr(&m, 0, 2 * MiB), m.base);
	ck_assert_ptr_null(gmem_ptr(&m, 0, 2 * MiB + 1));
	ck_assert_ptr_eq(gmem_ptr(&m, 2 * MiB, 0), m.base + 2 * MiB); /* end */
	ck_assert_ptr_null(gmem_ptr(&m, 2 * MiB, 1));
	ck_assert_ptr_null(gmem_ptr(&m, 2 * MiB + 1, 0));
	ck_assert_ptr_null(gmem_ptr(&m, 1, UINT64_MAX));
	ck_assert_ptr_null(gmem_ptr(&m, UINT64_MAX, 2));
	ck_assert_ptr_null(gmem_ptr(&m, UINT64_MAX - 1, 2));
	ck_assert_ptr_null(gmem_ptr(&m, 4096, UINT64_MAX - 4095));
	gmem_fini(&m);
}
END_TEST

START_TEST(test_gmem_split_around_pci_hole)
{
	struct gmem m;
	uint64_t v = 0x1122334455667788ull, w = 0;

	/* 3 GiB + 64 MiB: low region up to the hole, 64 MiB above 4 GiB.
	 * Nothing is touched but a few pages, so this needs no real RAM. */
	ck_assert_int_eq(gmem_init(&m, 3 * GiB + 64 * MiB, NULL, 0, NULL), 0);
	ck_assert_uint_eq(m.nr, 2);
	ck_assert_uint_eq(m.r[0].size, GMEM_HOLE_START);
	ck_assert_uint_eq(m.r[1].gpa, GMEM_HIGH_START);
	ck_assert_uint_eq(m.r[1].size, 64 * MiB);
	ck_assert_uint_eq(m.r[1].fd_off, GMEM_HOLE_START);
	/* The hole is not RAM. */
	ck_assert_ptr_null(gmem_ptr(&m, GMEM_HOLE_START, 1));
	ck_assert_ptr_null(gmem_ptr(&m, GMEM_HIGH_START - 8, 8));
	ck_assert_ptr_null(gmem_ptr(&m, 0xfee00000, 4)); /* LAPIC */
	/* An access may not cross from low RAM into the hole ... */
	ck_assert_int_eq(gmem_write(&m, GMEM_HOLE_START - 4, &v, 8), -EFAULT);
	ck_assert_int_eq(gmem_write(&m, GMEM_HOLE_START - 8, &v, 8), 0);
	/* ... high RAM starts at 4 GiB, backed right after low RAM. */
	ck_assert_int_eq(gmem_write(&m, GMEM_HIGH_START, &v, 8), 0);
	ck_assert_ptr_eq(gmem_ptr(&m, GMEM_HIGH_START, 8),
			 m.base + GMEM_HOLE_START);
	ck_assert_int_eq(gmem_read(&m, GMEM_HIGH_START, &w, 8), 0);
	ck_assert_uint_eq(w, v);
	ck_assert_int_eq(gmem_read(&m, GMEM_HIGH_START + 64 * MiB - 8, &w, 8), 0);
	ck_assert_int_eq(gmem_read(&m, GMEM_HIGH_START + 64 * MiB - 4, &w, 8), -EFAULT);
	ck_assert_ptr_null(gmem_ptr(&m, GMEM_HIGH_START + 64 * MiB, 1));
	gmem_fini(&m);
}
END_TEST

START_TEST(test_gmem_exactly_3g_has_no_high_region)
{
	struct gmem m;

	ck_assert_int_eq(gmem_init(&m, 3 * GiB, NULL, 0, NULL), 0);
	ck_assert_uint_eq(m.nr, 1);
	ck_assert_ptr_null(gmem_ptr(&m, GMEM_HIGH_START, 1));
	gmem_fini(&m);
}
END_TEST

START_TEST(test_gmem_memory_is_shared_memfd)
{
	struct gmem m;
	uint32_t v = 0xdeadbeef, w = 0;

	ck_assert_int_eq(gmem_init(&m, 1 * MiB, NULL, 0, NULL), 0);
	ck_assert_int_eq(gmem_write(&m, 0x1000, &v, 4), 0);
	/* A second mapping of the fd (what a vhost-user backend does) sees it. */
	ck_assert_int_eq(pread(m.fd, &w, 4, 0x1000), 4);
	ck_assert_uint_eq(w, v);
	gmem_fini(&m);
}
END_TEST

START_TEST(test_gmem_bad_inputs)
{
	struct gmem m;
	struct vm_error *err = NULL;

	ck_assert_int_eq(gmem_init(&m, 0, NULL, 0, &err), -EINVAL);
	ck_assert_ptr_nonnull(err);
	vm_error_free(err);
	err = NULL;
	ck_assert_int_eq(gmem_init(&m, 4097, NULL, 0, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "page size"));
	vm_error_free(err);
	err = NULL;
	ck_assert_int_eq(gmem_init(&m, 1ull << 50, NULL, 0, &err), -E2BIG);
	vm_error_free(err);
	err = NULL;
	ck_assert_int_eq(gmem_init(&m, 1 * MiB, "/nonexistent-dir", 0, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "/nonexistent-dir"));
	vm_error_free(err);
	err = NULL;
	ck_assert_int_eq(gmem_init(&m, 1 * MiB, NULL, 0x80, &err), -EINVAL);
	vm_error_free(err);
}
END_TEST

START_TEST(test_gmem_path_and_prealloc)
{
	struct gmem m;
	uint8_t b = 9;

	/* A plain directory stands in for hugetlbfs: same code path. */
	ck_assert_int_eq(gmem_init(&m, 1 * MiB, "/tmp", GMEM_F_PREALLOC, NULL), 0);
	ck_assert_int_eq(gmem_write(&m, 1 * MiB - 1, &b, 1), 0);
	gmem_fini(&m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gmem");
	TCase *tc = tcase_create("gmem");

	tcase_add_test(tc, test_gmem_small_is_one_region);
	tcase_add_test(tc, test_gmem_ptr_edges_and_overflow);
	tcase_add_test(tc, test_gmem_split_around_pci_hole);
	tcase_add_test(tc, test_gmem_exactly_3g_has_no_high_region);
	tcase_add_test(tc, test_gmem_memory_is_shared_memfd);
	tcase_add_test(tc, test_gmem_bad_inputs);
	tcase_add_test(tc, test_gmem_path_and_prealloc);
	suite_add_tcase(s, tc);
	return check_run(s);
}
