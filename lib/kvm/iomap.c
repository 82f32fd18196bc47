/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/iomap.c: sorted range map that routes PIO and MMIO exits.
 *
 * A sorted array searched by bisection: a PC has a few dozen ranges, so an
 * array beats a tree on both size and cache behaviour.
 *
 * Threads: iomap_add()/iomap_del() from the API thread (machine and device
 * realize) and from vCPU threads (a guest moving a PCI BAR); iomap_read()/
 * iomap_write() from vCPU threads and from unit tests.
 * Locking: ->lock (rwlock) guards ->ranges, ->nr and ->cap. A lookup copies
 * the matching range under the read lock and calls the handler after
 * dropping it, so a handler may add or remove ranges of the same map (a BAR
 * write moving the BAR) without deadlock. The price: a range removed while
 * another vCPU is inside its handler still sees that one call; owners keep
 * their opaque alive until the vCPUs have stopped (devices are freed only
 * after machine_unrealize()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iomap.h"

int iomap_init(struct iomap *m, const char *name)
{
	int r;

	memset(m, 0, sizeof(*m));
	m->name = name;
	r = pthread_rwlock_init(&m->lock, NULL);
	return -r;
}

void iomap_fini(struct iomap *m)
{
	free(m->ranges);
	m->ranges = NULL;
	m->nr = m->cap = 0;
	pthread_rwlock_destroy(&m->lock);
}

/* Index of the first range whose base is > addr. Caller holds the lock. */
static unsigned iomap_upper(const struct iomap *m, uint64_t addr)
{
	unsigned lo = 0, hi = m->nr;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (m->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int iomap_add(struct iomap *m, uint64_t base, uint64_t len,
	      const struct iomap_ops *ops, void *opaque, const char *owner,
	      struct vm_error **errp)
{
	const char *who = owner ? owner : "device";
	struct iomap_range *r;
	unsigned i;

	if (len == 0 || base + len - 1 < base)
		return verr_set(errp, -EINVAL,
				"%s: bad %s range 0x%llx+0x%llx", who,
				m->name, (unsigned long long)base,
				(unsigned long long)len);
	if (!ops || !ops->read || !ops->write)
		return verr_set(errp, -EINVAL, "%s: %s range without handlers",
				who, m->name);

	pthread_rwlock_wrlock(&m->lock);
	i = iomap_upper(m, base);
	/* Overlap with the predecessor (base <= ours) or the successor. */
	r = NULL;
	if (i > 0 && m->ranges[i - 1].base + (m->ranges[i - 1].len - 1) >= base)
		r = &m->ranges[i - 1];
	else if (i < m->nr && m->ranges[i].base <= base + (len - 1))
		r = &m->ranges[i];
	if (r) {
		int e = verr_set(errp, -EEXIST,
				 "%s: %s range 0x%llx+0x%llx overlaps "
				 "0x%llx+0x%llx of %s",
				 who, m->name, (unsigned long long)base,
				 (unsigned long long)len,
				 (unsigned long long)r->base,
				 (unsigned long long)r->len,
				 r->owner ? r->owner : "another device");
		pthread_rwlock_unlock(&m->lock);
		return e;
	}
	if (m->nr == m->cap) {
		unsigned cap = m->cap ? m->cap * 2 : 16;
		struct iomap_range *n = realloc(m->ranges, cap * sizeof(*n));

		if (!n) {
			pthread_rwlock_unlock(&m->lock);
			return verr_set(errp, -ENOMEM, "%s: out of memory",
					who);
		}
		m->ranges = n;
		m->cap = cap;
	}
	memmove(&m->ranges[i + 1], &m->ranges[i],
		(m->nr - i) * sizeof(m->ranges[0]));
	m->ranges[i] = (struct iomap_range){ base, len, ops, opaque, owner };
	m->nr++;
	pthread_rwlock_unlock(&m->lock);
	return 0;
}

int iomap_del(struct iomap *m, uint64_t base, void *opaque)
{
	unsigned i;
	int r = -ENOENT;

	pthread_rwlock_wrlock(&m->lock);
	i = iomap_upper(m, base);
	if (i > 0 && m->ranges[i - 1].base == base &&
	    m->ranges[i - 1].opaque == opaque) {
		memmove(&m->ranges[i - 1], &m->ranges[i],
			(m->nr - i) * sizeof(m->ranges[0]));
		m->nr--;
		r = 0;
	}
	pthread_rwlock_unlock(&m->lock);
	return r;
}

/* Copy the range that fully contains [addr, addr + size) into *out. */
static int iomap_find(struct iomap *m, uint64_t addr, unsigned size,
		      struct iomap_range *out)
{
	const struct iomap_range *r;
	unsigned i;
	int found = 0;

	pthread_rwlock_rdlock(&m->lock);
	i = iomap_upper(m, addr);
	if (i > 0) {
		r = &m->ranges[i - 1];
		/* addr >= r->base here; check the end without overflow. */
		if (addr - r->base < r->len && size <= r->len - (addr - r->base)) {
			*out = *r;
			found = 1;
		}
	}
	pthread_rwlock_unlock(&m->lock);
	return found;
}

static int iomap_size_ok(unsigned size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

int iomap_read(struct iomap *m, uint64_t addr, void *data, unsigned size)
{
	struct iomap_range r;

	if (!iomap_size_ok(size))
		return -EINVAL;
	if (!iomap_find(m, addr, size, &r)) {
		memset(data, 0xff, size);
		return -ENOENT;
	}
	r.ops->read(r.opaque, addr - r.base, data, size);
	return 0;
}

int iomap_write(struct iomap *m, uint64_t addr, const void *data,
		unsigned size)
{
	struct iomap_range r;

	if (!iomap_size_ok(size))
		return -EINVAL;
	if (!iomap_find(m, addr, size, &r))
		return -ENOENT;
	r.ops->write(r.opaque, addr - r.base, data, size);
	return 0;
}
