/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/iomap.h: sorted range map that routes PIO and MMIO exits to the
 * device that owns the address.
 *
 * A device registers [base, base + len) with an ops table; a vCPU exit at
 * address A calls ops->read/write(opaque, A - base, data, size). Unclaimed
 * reads return all-ones, unclaimed writes are dropped (as on real buses).
 *
 * Threads: ranges are added and removed by the API thread before vCPUs run,
 * and by vCPU threads later (PCI BAR moves). Lookups run on vCPU threads.
 * Locking: ->lock (rwlock) guards ->ranges and ->nr; lookup takes it for
 * reading, add/remove for writing. Handlers run without the map lock held
 * and must not add or remove ranges of the same map from inside a handler
 * except through iomap_*_locked variants documented in the .c file.
 */
#ifndef LIB_KVM_IOMAP_H
#define LIB_KVM_IOMAP_H

#include <pthread.h>
#include <stdint.h>

#include "../core/error.h"

struct iomap_ops {
	/* size is 1, 2, 4 or 8; data is little-endian, size bytes. */
	void (*read)(void *opaque, uint64_t off, void *data, unsigned size);
	void (*write)(void *opaque, uint64_t off, const void *data,
		      unsigned size);
};

struct iomap_range {
	uint64_t base, len;
	const struct iomap_ops *ops;
	void *opaque;
	const char *owner; /* for messages: "uart 'com1'" */
};

struct iomap {
	pthread_rwlock_t lock;
	struct iomap_range *ranges; /* sorted by base, non-overlapping */
	unsigned nr, cap;
	const char *name;           /* "pio" or "mmio" */
};

int iomap_init(struct iomap *m, const char *name);
void iomap_fini(struct iomap *m);

/* -EEXIST (naming both owners) if it overlaps; -EINVAL for len 0 or wrap. */
int __must_check iomap_add(struct iomap *m, uint64_t base, uint64_t len,
			   const struct iomap_ops *ops, void *opaque,
			   const char *owner, struct vm_error **errp);
/* Remove the range that starts at @base and belongs to @opaque. */
int iomap_del(struct iomap *m, uint64_t base, void *opaque);

/* Dispatch one access; returns 0 if a device handled it, -ENOENT if none
 * did (the read buffer is then filled with 0xff). An access that straddles
 * the end of a range is treated as unclaimed. */
int iomap_read(struct iomap *m, uint64_t addr, void *data, unsigned size);
int iomap_write(struct iomap *m, uint64_t addr, const void *data,
		unsigned size);

#endif
