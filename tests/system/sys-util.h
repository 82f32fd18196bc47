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
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <string.h>
#include <stdlib.h>

#include <kvm-virtio.h>

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

/* After vm_release_wait(): vm_destroy() leaves the release of a started
 * VM (fds, RAM, threads) to the library's release threads. */
static inline void usage_check(const char *what, struct usage before)
{
	struct usage after;

	ck_assert_int_eq(vm_release_wait(10000), 0);
	/* A joined thread can still be listed in /proc/self/task for a
	 * moment: pthread_join() returns when the kernel clears its tid,
	 * before the task is gone. Give it up to 2 s (nested: slow). */
	for (int i = 0; i < 2000; i++) {
		after = usage_now();
		if (after.threads <= before.threads)
			break;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}

	printf("# %s: fds %u -> %u, threads %u -> %u\n", what, before.fds,
	       after.fds, before.threads, after.threads);
	ck_assert_uint_eq(after.fds, before.fds);
	ck_assert_uint_eq(after.threads, before.threads);
}

/* Where the project's tiny guests are: $GUEST_DIR, else ../guests beside
 * the running program (the build tree's tests/system -> tests/guests),
 * else tests/guests. */
static inline void sys_find_guests(char *dir, size_t len)
{
	const char *env = getenv("GUEST_DIR");
	char exe[4096];
	ssize_t n;
	char *slash;

	if (env) {
		snprintf(dir, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(dir, len, "tests/guests");
		return;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(dir, len, "%s/../guests", exe);
}

/* 1 when /dev/kvm opens; else prints the TAP skip line (the program then
 * exits 77). */
static inline int sys_kvm_or_skip(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("1..0 # SKIP cannot open /dev/kvm: %s\n", strerror(errno));
		return 0;
	}
	close(fd);
	return 1;
}

#endif
