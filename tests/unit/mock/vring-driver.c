/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/mock/vring-driver.c: driver side of a split virtqueue. */
#include <check.h>
#include <endian.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "vring-driver.h"

void vring_drv_init(struct vring_drv *r, struct guest_mem *m, uint16_t size)
{
	r->m = m;
	r->size = size;
	r->desc = guest_alloc(m, 16ull * size, 16);
	r->avail = guest_alloc(m, 6 + 2ull * size, 2);
	r->used = guest_alloc(m, 6 + 8ull * size, 4);
	r->next_desc = 0;
	r->avail_idx = 0;
	r->last_used = 0;
}

static struct vring_avail *avail(struct vring_drv *r)
{
	return guest_ptr(r->m, r->avail, 6 + 2ull * r->size);
}

static struct vring_used *used(struct vring_drv *r)
{
	return guest_ptr(r->m, r->used, 6 + 8ull * r->size);
}

static void put_desc(struct vring_desc *d, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

void vring_drv_set_desc(struct vring_drv *r, uint16_t i, uint64_t addr,
			uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc *t = guest_ptr(r->m, r->desc, 16ull * r->size);

	ck_assert_uint_lt(i, r->size);
	put_desc(&t[i], addr, len, flags, next);
}

uint16_t vring_drv_add_chain(struct vring_drv *r,
			     const struct vring_drv_buf *b, unsigned n)
{
	uint16_t head = r->next_desc, i = head;
	unsigned k;

	for (k = 0; k < n; k++) {
		uint16_t next = (uint16_t)((i + 1) % r->size);
		uint16_t flags = (uint16_t)((b[k].write ? VRING_DESC_F_WRITE : 0) |
					    (k + 1 < n ? VRING_DESC_F_NEXT : 0));

		vring_drv_set_desc(r, i, b[k].addr, b[k].len, flags,
				   k + 1 < n ? next : 0);
		i = next;
	}
	r->next_desc = i;
	return head;
}

uint16_t vring_drv_add_indirect(struct vring_drv *r,
				const struct vring_drv_buf *b, unsigned n,
				uint64_t *table)
{
	uint64_t t = guest_alloc(r->m, 16ull * n, 16);
	struct vring_desc *d = guest_ptr(r->m, t, 16ull * n);
	uint16_t head = r->next_desc;
	unsigned k;

	for (k = 0; k < n; k++)
		put_desc(&d[k], b[k].addr, b[k].len,
			 (uint16_t)((b[k].write ? VRING_DESC_F_WRITE : 0) |
				    (k + 1 < n ? VRING_DESC_F_NEXT : 0)),
			 (uint16_t)(k + 1 < n ? k + 1 : 0));
	vring_drv_set_desc(r, head, t, 16 * n, VRING_DESC_F_INDIRECT, 0);
	r->next_desc = (uint16_t)((head + 1) % r->size);
	if (table)
		*table = t;
	return head;
}

void vring_drv_publish(struct vring_drv *r, uint16_t head)
{
	struct vring_avail *a = avail(r);

	a->ring[r->avail_idx % r->size] = htole16(head);
	r->avail_idx++;
	/* Linux: virtio_wmb() before the idx update. */
	__atomic_store_n(&a->idx, htole16(r->avail_idx), __ATOMIC_RELEASE);
}

void vring_drv_publish_n(struct vring_drv *r, const uint16_t *heads,
			 unsigned n)
{
	struct vring_avail *a = avail(r);

	for (unsigned i = 0; i < n; i++)
		a->ring[(uint16_t)(r->avail_idx + i) % r->size] = htole16(heads[i]);
	r->avail_idx = (uint16_t)(r->avail_idx + n);
	__atomic_store_n(&a->idx, htole16(r->avail_idx), __ATOMIC_RELEASE);
}

void vring_drv_set_avail_idx(struct vring_drv *r, uint16_t idx)
{
	r->avail_idx = idx;
	__atomic_store_n(&avail(r)->idx, htole16(idx), __ATOMIC_RELEASE);
}

bool vring_drv_get_used(struct vring_drv *r, uint32_t *id, uint32_t *len)
{
	struct vring_used *u = used(r);
	uint16_t idx = le16toh(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE));
	struct vring_used_elem *e;

	if (idx == r->last_used)
		return false;
	e = &u->ring[r->last_used % r->size];
	*id = le32toh(e->id);
	*len = le32toh(e->len);
	r->last_used++;
	return true;
}

void vring_drv_set_avail_flags(struct vring_drv *r, uint16_t flags)
{
	avail(r)->flags = htole16(flags);
}

void vring_drv_set_used_event(struct vring_drv *r, uint16_t v)
{
	avail(r)->ring[r->size] = htole16(v);
}

uint16_t vring_drv_avail_event(struct vring_drv *r)
{
	uint16_t v;

	memcpy(&v, &used(r)->ring[r->size], 2);
	return le16toh(v);
}

uint16_t vring_drv_used_idx(struct vring_drv *r)
{
	return le16toh(__atomic_load_n(&used(r)->idx, __ATOMIC_ACQUIRE));
}

uint16_t vring_drv_used_flags(struct vring_drv *r)
{
	return le16toh(used(r)->flags);
}
