/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/mock/guest-mem.h: the mock guest's RAM: a real struct gmem
 * (memfd-backed, as the VM's) plus a bump allocator for rings and buffers
 * (libqos guest_alloc). Single-threaded test use only.
 */
#ifndef TESTS_UNIT_MOCK_GUEST_MEM_H
#define TESTS_UNIT_MOCK_GUEST_MEM_H

#include <stdint.h>

#include "kvm/mem.h"

struct guest_mem {
	struct gmem gm;
	uint64_t next, end;
};

/* RAM of @size bytes; allocations start at 1 MiB (below is "firmware"). */
int guest_mem_init(struct guest_mem *m, uint64_t size);
void guest_mem_fini(struct guest_mem *m);
/* @len bytes aligned to @align (power of 2), zeroed; the test fails if RAM
 * runs out. */
uint64_t guest_alloc(struct guest_mem *m, uint64_t len, uint64_t align);
/* Host view of guest bytes, for filling and checking buffers. */
void *guest_ptr(struct guest_mem *m, uint64_t gpa, uint64_t len);

#endif
