/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/fuzz/fuzz-ram.c: guest RAM for the fuzz targets, each region an
 * exact-size window between two PROT_NONE pages (see fuzz.h).
 * Threads: one. Locking: none.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

int fuzz_ram_init(struct fuzz_ram *r, const struct fuzz_ram_region *reg,
		  unsigned nr)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->gm.fd = -1;
	if (nr == 0 || nr > GMEM_MAX_REGIONS)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		size_t body = (reg[i].size + page - 1) / page * page;
		uint8_t *p;

		if (reg[i].size == 0 || reg[i].size % 64)
			return -EINVAL;
		p = mmap(NULL, body + 2 * page, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		if (mprotect(p + page, body, PROT_READ | PROT_WRITE) < 0) {
			munmap(p, body + 2 * page);
			return -errno;
		}
		r->map[i] = p;
		r->map_len[i] = body + 2 * page;
		/* The region's last byte is the one before the upper fence. */
		r->gm.r[i] = (struct gmem_region){
			reg[i].gpa, reg[i].size, r->gm.size,
			p + page + body - reg[i].size };
		r->gm.size += reg[i].size;
		r->gm.nr = i + 1;
	}
	return 0;
}

void fuzz_ram_fini(struct fuzz_ram *r)
{
	unsigned i;

	for (i = 0; i < GMEM_MAX_REGIONS; i++)
		if (r->map[i])
			munmap(r->map[i], r->map_len[i]);
	memset(r, 0, sizeof(*r));
}

void fuzz_ram_clear(struct fuzz_ram *r)
{
	unsigned i;

	for (i = 0; i < r->gm.nr; i++)
		memset(r->gm.r[i].hva, 0, r->gm.r[i].size);
}

int fuzz_ram_has(const struct fuzz_ram *r, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p;
	unsigned i;

	for (i = 0; i < r->gm.nr; i++) {
		uintptr_t b = (uintptr_t)r->gm.r[i].hva;

		if (a >= b && a - b <= r->gm.r[i].size &&
		    len <= r->gm.r[i].size - (a - b))
			return 1;
	}
	return 0;
}

uint64_t fuzz_gpa(struct fin *f, const struct gmem *gm)
{
	uint8_t how = fin_u8(f);
	const struct gmem_region *g = &gm->r[(how >> 2) % gm->nr];

	switch (how & 3) {
	case 0: /* inside a region, 16-byte aligned */
		return g->gpa + (fin_u16(f) % g->size & ~15ull);
	case 1: /* inside, any alignment */
		return g->gpa + fin_u16(f) % g->size;
	case 2: /* near the end of a region, either side */
		return g->gpa + g->size - 128 + fin_u8(f);
	default: /* anything */
		return fin_u64(f);
	}
}
