/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/fuzz/fuzz.h: what every libFuzzer target in tests/fuzz shares:
 * a reader that turns the input into a stream of small integers (reading
 * past the end gives zeros, so every input is a valid program), guest RAM
 * made of exactly-sized regions fenced by inaccessible pages, and a check
 * macro that turns a broken invariant into a crash libFuzzer records.
 *
 * Why fenced RAM: the library's own RAM is one memfd mapping, in which an
 * access a few bytes past a region's end is still mapped and goes
 * unnoticed. Here each region ends exactly at a PROT_NONE page (and starts
 * right after one), so anything that reaches guest RAM without the
 * bounds-checked gmem_ptr() faults at once, and ASan reports it.
 *
 * Threads: one (the fuzzer's). Locking: none.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/mem.h"

/* libFuzzer's entry points (defined by each target). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken invariant: say which and crash, so libFuzzer keeps the input.
 * Test code only; the library itself never aborts. */
#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",      \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

/* ---- input stream ---- */

struct fin {
	const uint8_t *p;
	size_t n;
};

static inline int fin_empty(const struct fin *f)
{
	return f->n == 0;
}

static inline uint8_t fin_u8(struct fin *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint16_t fin_u16(struct fin *f)
{
	uint16_t v = fin_u8(f);

	return (uint16_t)(v | fin_u8(f) << 8);
}

static inline uint32_t fin_u32(struct fin *f)
{
	uint32_t v = fin_u16(f);

	return v | (uint32_t)fin_u16(f) << 16;
}

static inline uint64_t fin_u64(struct fin *f)
{
	uint64_t v = fin_u32(f);

	return v | (uint64_t)fin_u32(f) << 32;
}

/* Copy up to @max bytes; returns how many the input still had. */
static inline size_t fin_bytes(struct fin *f, void *dst, size_t max)
{
	size_t n = f->n < max ? f->n : max;

	memcpy(dst, f->p, n);
	f->p += n;
	f->n -= n;
	return n;
}

/* ---- fenced guest RAM ---- */

struct fuzz_ram_region {
	uint64_t gpa, size;      /* size: a multiple of 64 */
};

struct fuzz_ram {
	struct gmem gm;          /* what the library is given */
	void *map[GMEM_MAX_REGIONS];
	size_t map_len[GMEM_MAX_REGIONS];
};

/* Regions in ascending, non-overlapping gpa order. Returns 0 or -errno. */
int fuzz_ram_init(struct fuzz_ram *r, const struct fuzz_ram_region *reg,
		  unsigned nr);
void fuzz_ram_fini(struct fuzz_ram *r);
/* Zero every region (between inputs, so runs do not depend on history). */
void fuzz_ram_clear(struct fuzz_ram *r);

/* True if host range [p, p + len) lies inside one region. */
int fuzz_ram_has(const struct fuzz_ram *r, const void *p, size_t len);

/* A guest-physical address a driver might write into a ring: mostly
 * inside or at the edges of RAM, sometimes anything at all. */
uint64_t fuzz_gpa(struct fin *f, const struct gmem *gm);

#endif
