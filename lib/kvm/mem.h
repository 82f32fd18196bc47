/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/mem.h: guest RAM and the only way to reach it.
 *
 * Guest RAM is one memfd (optionally MFD_HUGETLB, or a file in a hugetlbfs
 * directory), mapped MAP_SHARED once, so vhost-user backends can map it
 * too. Guest-physical layout on x86 (the 32-bit PCI hole):
 *   [0, min(size, 3 GiB))          -> memfd offset 0
 *   [4 GiB, 4 GiB + size - 3 GiB)  -> memfd offset 3 GiB (when size > 3 GiB)
 * Every guest-physical access goes through gmem_ptr()/gmem_read()/
 * gmem_write(), which check bounds without overflow; nothing else in the
 * library computes host pointers into guest RAM.
 *
 * Threads: created by the API thread; read by every thread afterwards.
 * Locking: none; the layout is fixed between gmem_init() and gmem_fini().
 */
#ifndef LIB_KVM_MEM_H
#define LIB_KVM_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"

#define GMEM_HOLE_START 0xC0000000ull /* 3 GiB */
/* Smallest RAM advised for transparent huge pages (mem.c says why). */
#define GMEM_THP_MIN (32ull << 20)
#define GMEM_HIGH_START 0x100000000ull /* 4 GiB */
#define GMEM_MAX_REGIONS 2

struct gmem_region {
	uint64_t gpa;     /* guest-physical start */
	uint64_t size;    /* bytes */
	uint64_t fd_off;  /* offset in the memfd */
	uint8_t *hva;     /* host address of gpa */
};

struct gmem {
	int fd;                  /* memfd or hugetlbfs file, -1 if anonymous */
	uint8_t *base;           /* whole mapping */
	uint64_t size;           /* total RAM bytes */
	unsigned nr;
	struct gmem_region r[GMEM_MAX_REGIONS];
};

#define GMEM_F_HUGETLB (1u << 0)
#define GMEM_F_PREALLOC (1u << 1)

int __must_check gmem_init(struct gmem *m, uint64_t size, const char *path,
			   unsigned flags, struct vm_error **errp);
/* A copy-on-write view of another RAM's file (vm_clone): @fd mapped
 * MAP_PRIVATE, so reads see the file until this RAM writes a page, which
 * then becomes its own. ->fd stays -1 (the mapping holds the file). */
int __must_check gmem_init_cow(struct gmem *m, int fd, uint64_t size,
			       struct vm_error **errp);
void gmem_fini(struct gmem *m);

/* Host pointer for [gpa, gpa + len) if it lies entirely inside one RAM
 * region, else NULL. len 0 is allowed (returns the pointer if gpa is in
 * RAM or at its end). Overflow-safe. */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);

/* Copy across region boundaries is not allowed either: -EFAULT. */
int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, size_t len);
int gmem_write(const struct gmem *m, uint64_t gpa, const void *src,
	       size_t len);

/* mem-state.c: RAM to snapshot records (pages never written or all zero
 * are left out) / back into a RAM of the same size (-EINVAL otherwise). */
struct snap_w;
struct snap_index;
void gmem_save(const struct gmem *m, struct snap_w *w);
int __must_check gmem_load(struct gmem *m, const struct snap_index *ix,
			   struct vm_error **errp);

#endif
