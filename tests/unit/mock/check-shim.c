/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/mock/check-shim.c: the two Check entry points the mock guest
 * (tests/unit/mock/) calls, for programs that drive it outside a Check
 * test runner: the fuzz targets and bench/net-device.
 *
 * The mocks assert their own preconditions with ck_assert*(), which calls
 * _mark_point() on success and _ck_assert_failed() on failure; the real
 * ones report every passing assertion to the runner (a write to its
 * message file: the cost that dominated a benchmark's "guest") and exit
 * when there is none. Here a passing assertion does nothing and a failing
 * one prints and aborts, so libFuzzer keeps the input (a failing mock
 * assertion is a harness bug or a device that broke the mock's
 * expectations).
 * Threads: any. Locking: none.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void _mark_point(const char *file, int line)
{
	(void)file;
	(void)line;
}

void _ck_assert_failed(const char *file, int line, const char *expr,
		       const char *msg, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: mock guest: %s", file, line, expr);
	if (msg) {
		fputs(": ", stderr);
		va_start(ap, msg);
		vfprintf(stderr, msg, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	abort();
}
