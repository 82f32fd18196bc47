/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/mock/guest-mem.c: mock guest RAM and its bump allocator. */
#include <check.h>
#include <string.h>

#include "guest-mem.h"

int guest_mem_init(struct guest_mem *m, uint64_t size)
{
	int rc = gmem_init(&m->gm, size, NULL, 0, NULL);

	m->next = 1ull << 20;
	m->end = size < GMEM_HOLE_START ? size : GMEM_HOLE_START;
	return rc;
}

void guest_mem_fini(struct guest_mem *m)
{
	gmem_fini(&m->gm);
}

uint64_t guest_alloc(struct guest_mem *m, uint64_t len, uint64_t align)
{
	uint64_t gpa = (m->next + align - 1) & ~(align - 1);
	void *p;

	ck_assert_msg(gpa + len <= m->end, "mock guest RAM exhausted");
	m->next = gpa + len;
	p = gmem_ptr(&m->gm, gpa, len);
	ck_assert_ptr_nonnull(p);
	memset(p, 0, len);
	return gpa;
}

void *guest_ptr(struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	void *p = gmem_ptr(&m->gm, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}
