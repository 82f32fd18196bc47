/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/system/sys-util.h: what the system tests share: a monotonic clock
 * in milliseconds and the process's fd and thread counts, compared before
 * and after a VM to prove nothing leaked.
 */
#ifndef TESTS_SYSTEM_SYS_UTIL_H
#define TESTS_SYSTEM_SYS_UTIL_H

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <time.h>

static inline double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static inline unsigned count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* fds and threads of this process, to compare before and after a VM. */
struct usage {
	unsigned fds, threads;
};

static inline struct usage usage_now(void)
{
	struct usage u = { count_dir("/proc/self/fd"),
			   count_dir("/proc/self/task") };

	return u;
}

static inline void usage_check(const char *what, struct usage before)
{
	struct usage after = usage_now();

	printf("# %s: fds %u -> %u, threads %u -> %u\n", what, before.fds,
	       after.fds, before.threads, after.threads);
	ck_assert_uint_eq(after.fds, before.fds);
	ck_assert_uint_eq(after.threads, before.threads);
}

#endif
