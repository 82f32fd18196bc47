/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/snap-util.h: for the state round-trip tests: finish a
 * snapshot writer and hand back its first record, read through the
 * reader as a restore would.
 */
#ifndef TESTS_UNIT_SNAP_UTIL_H
#define TESTS_UNIT_SNAP_UTIL_H

#include <check.h>

#include "snapshot/format.h"

static inline void snap_test_first(struct snap_w *w, struct snap_rec *rec)
{
	struct snap_hdr h;
	struct snap_r r;

	ck_assert_int_eq(snap_w_finish(w), 0);
	ck_assert_int_eq(snap_r_open(&r, w->buf, w->len, &h, NULL), 0);
	ck_assert_int_eq(snap_r_next(&r, rec, NULL), 1);
}

#endif
