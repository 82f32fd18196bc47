/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/hugetlb-pool.c: see hugetlb-pool.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include "hugetlb-pool.h"

#define NR_PATH "/proc/sys/vm/nr_hugepages"

static long read_long(const char *path, const char *key)
{
	char line[128];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			v = strtol(line, NULL, 10);
			break;
		}
		if (!strncmp(line, key, strlen(key))) {
			v = strtol(line + strlen(key), NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static int write_nr(long nr)
{
	FILE *f = fopen(NR_PATH, "w");
	int rc;

	if (!f)
		return -errno;
	rc = fprintf(f, "%ld\n", nr) < 0 ? -EIO : 0;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

int hugetlb_pool_get(struct hugetlb_pool *p, unsigned pages,
		     const char **why)
{
	long free_before, free_now;
	int rc;

	memset(p, 0, sizeof(*p));
	p->old_nr = -1;
	p->lock_fd = open("/tmp/kvm-virtio-hugetlb.lock",
			  O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (p->lock_fd < 0 || flock(p->lock_fd, LOCK_EX) < 0) {
		rc = -errno;
		*why = "cannot lock /tmp/kvm-virtio-hugetlb.lock";
		hugetlb_pool_put(p);
		return rc;
	}
	if (read_long("/proc/meminfo", "Hugepagesize:") != 2048) {
		*why = "the default huge page size is not 2 MiB";
		hugetlb_pool_put(p);
		return -ENOTSUP;
	}
	p->old_nr = read_long(NR_PATH, NULL);
	free_before = read_long("/proc/meminfo", "HugePages_Free:");
	if (p->old_nr < 0 || free_before < 0) {
		*why = "cannot read " NR_PATH " or HugePages_Free";
		p->old_nr = -1;
		hugetlb_pool_put(p);
		return -ENOENT;
	}
	rc = write_nr(p->old_nr + (long)pages);
	if (rc < 0) {
		*why = "cannot write " NR_PATH " (not root?)";
		p->old_nr = -1;
		hugetlb_pool_put(p);
		return rc;
	}
	free_now = read_long("/proc/meminfo", "HugePages_Free:");
	if (free_now < free_before + (long)pages) {
		*why = "the kernel could not reserve that many 2 MiB pages";
		hugetlb_pool_put(p);
		return -ENOMEM;
	}
	snprintf(p->dir, sizeof(p->dir), "/tmp/kvm-virtio-huge.XXXXXX");
	if (!mkdtemp(p->dir)) {
		rc = -errno;
		*why = "mkdtemp failed";
		p->dir[0] = 0;
		hugetlb_pool_put(p);
		return rc;
	}
	if (mount("kvm-virtio-huge", p->dir, "hugetlbfs", MS_NOSUID | MS_NODEV,
		  "pagesize=2M") < 0) {
		rc = -errno;
		*why = "cannot mount hugetlbfs (no CAP_SYS_ADMIN?)";
		hugetlb_pool_put(p);
		return rc;
	}
	p->mounted = true;
	return 0;
}

void hugetlb_pool_put(struct hugetlb_pool *p)
{
	if (p->mounted)
		(void)umount2(p->dir, MNT_DETACH);
	p->mounted = false;
	if (p->dir[0])
		(void)rmdir(p->dir);
	p->dir[0] = 0;
	if (p->old_nr >= 0)
		(void)write_nr(p->old_nr);
	p->old_nr = -1;
	if (p->lock_fd >= 0)
		close(p->lock_fd); /* the flock goes with it */
	p->lock_fd = -1;
}
