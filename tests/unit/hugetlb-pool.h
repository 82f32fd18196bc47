/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/hugetlb-pool.h: a few 2 MiB huge pages for one test, and a
 * hugetlbfs mounted in a private temporary directory: the test raises
 * /proc/sys/vm/nr_hugepages by what it needs, mounts, and undoes both
 * (unmount, the old page count back). For guest RAM on hugetlbfs
 * (mem_path, the seed's memory-backend-file,mem-path=/dev/hugepages).
 * Needs root; nothing else on the host is touched. Two runs at once (two
 * builds' tests) take turns: the pool is held under an flock on
 * /tmp/kvm-virtio-hugetlb.lock from get to put, so each puts back the
 * count it found.
 */
#ifndef TESTS_UNIT_HUGETLB_POOL_H
#define TESTS_UNIT_HUGETLB_POOL_H

#include <stdbool.h>

struct hugetlb_pool {
	long old_nr;     /* nr_hugepages before, -1 if untouched */
	int lock_fd;     /* the flock, -1 if not held */
	bool mounted;
	char dir[64];    /* the mount point */
};

/* A pool that holds nothing (what put leaves). */
#define HUGETLB_POOL_INIT { .old_nr = -1, .lock_fd = -1 }

/* Reserve @pages free 2 MiB pages and mount hugetlbfs (pagesize=2M) in a
 * fresh directory. 0, or -errno with *why saying what failed (static
 * text); on failure everything done is undone. */
int hugetlb_pool_get(struct hugetlb_pool *p, unsigned pages,
		     const char **why);
/* Unmount, remove the directory, put the old page count back. */
void hugetlb_pool_put(struct hugetlb_pool *p);

#endif
