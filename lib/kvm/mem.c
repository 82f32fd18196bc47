/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/mem.c: guest RAM (memfd or hugetlbfs file, mapped shared) and the
 * bounds-checked guest-physical accessors.
 *
 * Threads: gmem_init()/gmem_fini() on the API thread; the accessors from any
 * thread. Locking: none, the layout never changes between init and fini;
 * the bytes themselves are shared with the guest and are the callers'
 * business (rings use explicit acquire/release ordering).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "mem.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

#define GMEM_HUGE_SIZE (2ull << 20)

/* A file in the hugetlbfs (or any) directory @dir, unlinked at once. */
static int gmem_open_path(const char *dir, uint64_t *align,
			  struct vm_error **errp)
{
	struct statfs sfs;
	char *tmpl = NULL;
	int fd, e;

	if (asprintf(&tmpl, "%s/kvm-virtio-ram.XXXXXX", dir) < 0)
		return verr_set(errp, -ENOMEM, "guest RAM: out of memory");
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		verr_set_errno(errp, e, "guest RAM: cannot create a file in '%s'",
			       dir);
		free(tmpl);
		return e;
	}
	unlink(tmpl);
	free(tmpl);
	if (fstatfs(fd, &sfs) == 0 && sfs.f_type == (typeof(sfs.f_type))HUGETLBFS_MAGIC)
		*align = (uint64_t)sfs.f_bsize;
	return fd;
}

/* The x86 layout of mem.h over the mapping @base of @size bytes. */
static void gmem_set_layout(struct gmem *m, uint8_t *base, uint64_t size)
{
	uint64_t low = size < GMEM_HOLE_START ? size : GMEM_HOLE_START;

	m->base = base;
	m->size = size;
	m->r[0] = (struct gmem_region){ 0, low, 0, m->base };
	m->nr = 1;
	if (size > low) {
		m->r[1] = (struct gmem_region){ GMEM_HIGH_START, size - low,
						low, m->base + low };
		m->nr = 2;
	}
}

int gmem_init(struct gmem *m, uint64_t size, const char *path,
	      unsigned flags, struct vm_error **errp)
{
	uint64_t align = (uint64_t)sysconf(_SC_PAGESIZE);
	void *p;
	int fd, e;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (size == 0)
		return verr_set(errp, -EINVAL, "guest RAM: size is 0");
	/* 1 TiB keeps every gpa + len computation far from wrapping and is
	 * far beyond what KVM on x86 accepts with 4-level paging anyway. */
	if (size > (1ull << 40))
		return verr_set(errp, -E2BIG,
				"guest RAM: %llu MiB is more than the 1 TiB supported",
				(unsigned long long)(size >> 20));
	if (flags & ~(GMEM_F_HUGETLB | GMEM_F_PREALLOC))
		return verr_set(errp, -EINVAL, "guest RAM: unknown flags 0x%x",
				flags);

	if (path) {
		fd = gmem_open_path(path, &align, errp);
		if (fd < 0)
			return fd;
	} else {
		unsigned mfd = MFD_CLOEXEC;

		if (flags & GMEM_F_HUGETLB) {
			mfd |= MFD_HUGETLB;
			align = GMEM_HUGE_SIZE;
		}
		fd = memfd_create("kvm-virtio-ram", mfd);
		if (fd < 0)
			return verr_set_errno(errp, -errno,
					      "guest RAM: memfd_create%s failed",
					      (flags & GMEM_F_HUGETLB) ?
						      " (MFD_HUGETLB)" : "");
	}
	if (size % align) {
		close(fd);
		return verr_set(errp, -EINVAL,
				"guest RAM: %llu bytes is not a multiple of the page size %llu",
				(unsigned long long)size,
				(unsigned long long)align);
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		e = -errno;
		close(fd);
		return verr_set_errno(errp, e,
				      "guest RAM: cannot size the backing file to %llu MiB",
				      (unsigned long long)(size >> 20));
	}
	if (flags & GMEM_F_PREALLOC) {
		/* Allocate now so a short hugetlb pool fails here with a
		 * message rather than as SIGBUS when the guest touches it. */
		e = posix_fallocate(fd, 0, (off_t)size);
		if (e) {
			close(fd);
			return verr_set_errno(errp, -e,
					      "guest RAM: cannot preallocate %llu MiB",
					      (unsigned long long)(size >> 20));
		}
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | ((flags & GMEM_F_PREALLOC) ? MAP_POPULATE : 0),
		 fd, 0);
	if (p == MAP_FAILED) {
		e = -errno;
		close(fd);
		return verr_set_errno(errp, e, "guest RAM: cannot map %llu MiB",
				      (unsigned long long)(size >> 20));
	}
	/* Transparent huge pages cut nested-paging faults, by far the main
	 * cost of a boot (measured: 25,000 of 29,000 exits). As QEMU does for
	 * its RAM; for a memfd the kernel honours it only where
	 * transparent_hugepage/shmem_enabled is "advise" or "always", so a
	 * failure here is not an error. Not below GMEM_THP_MIN: a guest that
	 * small touches a few 4 KiB pages (a VM per request: page tables,
	 * boot data, its code), and one huge page there is 2 MiB zeroed
	 * instead. */
	if (!(flags & GMEM_F_HUGETLB) && size >= GMEM_THP_MIN)
		(void)madvise(p, size, MADV_HUGEPAGE);
	m->fd = fd;
	gmem_set_layout(m, p, size);
	return 0;
}

int gmem_init_cow(struct gmem *m, int fd, uint64_t size,
		  struct vm_error **errp)
{
	void *p;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (fd < 0 || size == 0 || size > (1ull << 40))
		return verr_set(errp, -EINVAL,
				"guest RAM: no file to map copy-on-write");
	/* NORESERVE: a clone's private pages are only the ones it writes. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED)
		return verr_set_errno(errp, -errno,
				      "guest RAM: cannot map %llu MiB copy-on-write",
				      (unsigned long long)(size >> 20));
	gmem_set_layout(m, p, size);
	return 0;
}

void gmem_fini(struct gmem *m)
{
	if (m->base)
		munmap(m->base, m->size);
	if (m->fd >= 0)
		close(m->fd);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	unsigned i;

	for (i = 0; i < m->nr; i++) {
		const struct gmem_region *r = &m->r[i];

		/* gpa - r->gpa cannot wrap once gpa >= r->gpa; compare the
		 * length against what is left instead of adding. */
		if (gpa >= r->gpa && gpa - r->gpa <= r->size &&
		    len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, size_t len)
{
	const void *p = gmem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int gmem_write(const struct gmem *m, uint64_t gpa, const void *src,
	       size_t len)
{
	void *p = gmem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}
