/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/check-main.h: how every Check test program runs its suite:
 * each test in its own process (CK_FORK, unless CK_FORK=no is set to debug),
 * results as TAP on stdout for automake's TAP driver, exit 1 on failure.
 */
#ifndef TESTS_UNIT_CHECK_MAIN_H
#define TESTS_UNIT_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
