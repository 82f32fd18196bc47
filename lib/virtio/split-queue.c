/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/virtio/split-queue.c: device side of the split virtqueue (virtio 1.2
 * §2.7): bounded descriptor walk, used ring, notification suppression.
 *
 * Threads: vq_enable()/vq_reset() run on a vCPU thread under the device
 * lock while no thread serves the queue; vq_pop()/vq_push()/
 * vq_should_notify()/vq_set_notification() run on the one thread serving
 * the queue. Locking: none on the data path; guest-shared ring fields are
 * accessed with __atomic builtins with the orderings noted at each access.
 * Descriptors are copied into a local before they are checked or used, so
 * a guest rewriting them concurrently cannot get past a check.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <linux/virtio_pci.h>

#include "split-queue.h"
#include "virtio.h"

/* The event words after each ring (virtio 1.2 §2.7.6, §2.7.8); the uapi
 * vring_used_event()/vring_avail_event() macros need a struct vring. */
static inline __virtio16 *vq_used_event(const struct vq *vq)
{
	return &vq->avail->ring[vq->size];
}

static inline __virtio16 *vq_avail_event(const struct vq *vq)
{
	return (__virtio16 *)(void *)((uint8_t *)vq->used +
				      offsetof(struct vring_used, ring) +
				      sizeof(struct vring_used_elem) * vq->size);
}

void vq_reset(struct vq *vq)
{
	__atomic_store_n(&vq->ready, 0, __ATOMIC_RELEASE);
	vq->size = vq->max_size;
	vq->msix_vector = VIRTIO_MSI_NO_VECTOR;
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->event_idx = vq->indirect = false;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->last_avail_idx = vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_used_valid = false;
	vq->notify_enabled = true;
	vq->broken = false;
}

int vq_enable(struct vq *vq, const struct gmem *gm)
{
	uint64_t n = vq->size;

	__atomic_store_n(&vq->ready, 0, __ATOMIC_RELEASE);
	/* virtio 1.2 §2.7: Queue Size is a power of 2, at most 32768; §4.1.4.3:
	 * the driver may only lower queue_size from the maximum offered. */
	if (n == 0 || (n & (n - 1)) || n > vq->max_size)
		return -EINVAL;
	/* virtio 1.2 §2.7 alignment table: descriptors 16, avail 2, used 4. */
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return -EINVAL;
	/* Sizes from the same table; the event words are always included. */
	vq->desc = gmem_ptr(gm, vq->desc_gpa, 16 * n);
	vq->avail = gmem_ptr(gm, vq->avail_gpa, 6 + 2 * n);
	vq->used = gmem_ptr(gm, vq->used_gpa, 6 + 8 * n);
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return -EFAULT;
	}
	vq->last_avail_idx = vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_used_valid = false;
	vq->notify_enabled = true;
	vq->broken = false;
	__atomic_store_n(&vq->ready, 1, __ATOMIC_RELEASE);
	return 0;
}

/* A guest error: break the queue, mark the device. */
static int __printf(2, 3) vq_fail(struct vq *vq, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	vq->broken = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (vq->vdev)
		vio_dev_needs_reset(vq->vdev, "queue %u: %s", vq->index, msg);
	return -EIO;
}

static inline uint16_t vq_avail_idx(const struct vq *vq)
{
	/* Acquire: ring entries and descriptors are read after this. */
	return le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE));
}

bool vq_has_avail(struct vq *vq)
{
	if (!vq_is_ready(vq) || vq->broken)
		return false;
	return vq_avail_idx(vq) != vq->last_avail_idx;
}

int vq_pop(struct vq *vq, const struct gmem *gm, struct vq_elem *e)
{
	const struct vring_desc *table;
	uint32_t table_size, count = 0;
	uint16_t avail_idx, pending, head, idx;
	uint64_t total = 0;
	bool in_indirect = false;

	if (!vq_is_ready(vq))
		return 0;
	if (vq->broken)
		return -EIO;
	avail_idx = vq_avail_idx(vq);
	pending = (uint16_t)(avail_idx - vq->last_avail_idx);
	/* virtio 1.2 §2.7.6: idx counts the driver's additions; it can never
	 * be more than Queue Size ahead of what the device has consumed. */
	if (pending > vq->size)
		return vq_fail(vq, "avail idx %u is %u ahead of %u (size %u)",
			       avail_idx, pending, vq->last_avail_idx, vq->size);
	if (pending == 0)
		return 0;
	head = le16toh(__atomic_load_n(
		&vq->avail->ring[vq->last_avail_idx & (vq->size - 1)],
		__ATOMIC_RELAXED));
	if (head >= vq->size)
		return vq_fail(vq, "head %u >= size %u", head, vq->size);

	e->head = head;
	e->out_num = e->in_num = 0;
	e->out_len = e->in_len = 0;
	table = vq->desc;
	table_size = vq->size;
	idx = head;
	for (;;) {
		struct vring_desc d;
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
		void *p;

		memcpy(&d, &table[idx], sizeof(d)); /* one snapshot */
		addr = le64toh(d.addr);
		len = le32toh(d.len);
		flags = le16toh(d.flags);

		if (flags & VRING_DESC_F_INDIRECT) {
			/* virtio 1.2 §2.7.5.3.1 */
			if (!vq->indirect)
				return vq_fail(vq, "indirect descriptor %u without VIRTIO_RING_F_INDIRECT_DESC",
					       idx);
			if (in_indirect)
				return vq_fail(vq, "indirect descriptor inside an indirect table");
			if (flags & VRING_DESC_F_NEXT)
				return vq_fail(vq, "indirect descriptor %u has NEXT set",
					       idx);
			/* §2.7.5.3: len is a multiple of 16; a table never
			 * holds more than Queue Size entries (chain limit). */
			if (len == 0 || len % sizeof(struct vring_desc) ||
			    len / sizeof(struct vring_desc) > vq->size)
				return vq_fail(vq, "indirect table length %u invalid",
					       len);
			table = gmem_ptr(gm, addr, len);
			if (!table)
				return vq_fail(vq, "indirect table 0x%llx+%u outside RAM",
					       (unsigned long long)addr, len);
			table_size = len / sizeof(struct vring_desc);
			in_indirect = true;
			idx = 0;
			continue;
		}
		/* virtio 1.2 §2.7.5.3.1: a chain is never longer than Queue
		 * Size; this TTL also ends any loop (§2.7.5.2). */
		if (++count > vq->size)
			return vq_fail(vq, "chain from head %u longer than %u (loop?)",
				       head, vq->size);
		/* virtio 1.2 §2.7.5.2: at most 2^32 bytes in total. */
		total += len;
		if (total > (1ull << 32))
			return vq_fail(vq, "chain from head %u over 2^32 bytes",
				       head);
		/* Every buffer lies inside one RAM region (overflow-safe). */
		p = gmem_ptr(gm, addr, len);
		if (!p)
			return vq_fail(vq, "buffer 0x%llx+%u outside RAM",
				       (unsigned long long)addr, len);
		if (flags & VRING_DESC_F_WRITE) {
			e->in_num++;
			e->in_len += len;
		} else {
			/* virtio 1.2 §2.7.4.2: device-writable elements come
			 * after every device-readable one. */
			if (e->in_num)
				return vq_fail(vq, "readable descriptor %u after a writable one",
					       idx);
			e->out_num++;
			e->out_len += len;
		}
		if (count > e->iov_cap)
			return -ENOBUFS; /* nothing consumed, queue intact */
		e->iov[count - 1].iov_base = p;
		e->iov[count - 1].iov_len = len;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		if (le16toh(d.next) >= table_size)
			return vq_fail(vq, "next %u >= %u", le16toh(d.next),
				       table_size);
		idx = le16toh(d.next);
	}

	vq->last_avail_idx++;
	/* virtio 1.2 §2.7.10: with EVENT_IDX, ask to be kicked when the driver
	 * goes past what we have consumed. */
	if (vq->event_idx && vq->notify_enabled)
		__atomic_store_n(vq_avail_event(vq),
				 htole16(vq->last_avail_idx), __ATOMIC_RELAXED);
	return 1;
}

void vq_unpop(struct vq *vq, uint16_t n)
{
	vq->last_avail_idx -= n;
}

int vq_push(struct vq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *ue;

	if (!vq_is_ready(vq) || head >= vq->size)
		return -EINVAL;
	if (vq->broken)
		return -EIO;
	ue = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	__atomic_store_n(&ue->id, htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n(&ue->len, htole32(len), __ATOMIC_RELAXED);
	vq->used_idx++;
	/* Release: the element is visible before the index that covers it
	 * (virtio 1.2 §2.7.8, §2.7.14). */
	__atomic_store_n(&vq->used->idx, htole16(vq->used_idx),
			 __ATOMIC_RELEASE);
	return 0;
}

bool vq_should_notify(struct vq *vq)
{
	uint16_t old, new, event;
	bool valid;

	if (!vq_is_ready(vq) || vq->broken)
		return false;
	/* Full fence: used->idx store before reading flags / used_event
	 * (pairs with the driver's barrier in virtqueue_enable_cb). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx) {
		/* virtio 1.2 §2.7.7.2 without EVENT_IDX */
		uint16_t f = le16toh(__atomic_load_n(&vq->avail->flags,
						     __ATOMIC_RELAXED));
		return !(f & VRING_AVAIL_F_NO_INTERRUPT);
	}
	/* virtio 1.2 §2.7.7.2 with EVENT_IDX: notify when used idx passes
	 * used_event, counted from the last notification. */
	old = vq->signalled_used;
	new = vq->used_idx;
	valid = vq->signalled_used_valid;
	vq->signalled_used = new;
	vq->signalled_used_valid = true;
	event = le16toh(__atomic_load_n(vq_used_event(vq), __ATOMIC_RELAXED));
	return !valid || vring_need_event(event, new, old);
}

bool vq_set_notification(struct vq *vq, bool enable)
{
	if (!vq_is_ready(vq) || vq->broken)
		return false;
	vq->notify_enabled = enable;
	if (vq->event_idx) {
		if (enable)
			__atomic_store_n(vq_avail_event(vq),
					 htole16(vq->last_avail_idx),
					 __ATOMIC_RELAXED);
	} else {
		uint16_t f = le16toh(__atomic_load_n(&vq->used->flags,
						     __ATOMIC_RELAXED));

		f = enable ? (uint16_t)(f & ~VRING_USED_F_NO_NOTIFY)
			   : (uint16_t)(f | VRING_USED_F_NO_NOTIFY);
		__atomic_store_n(&vq->used->flags, htole16(f), __ATOMIC_RELAXED);
	}
	if (!enable)
		return false;
	/* Publish the request before re-checking, or a buffer added in
	 * between would wait for a kick that never comes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq_avail_idx(vq) != vq->last_avail_idx;
}

bool vq_notify_at_next(struct vq *vq)
{
	uint16_t seen;

	if (!vq_is_ready(vq) || vq->broken)
		return false;
	seen = vq_avail_idx(vq);
	vq->notify_enabled = true;
	if (vq->event_idx) {
		__atomic_store_n(vq_avail_event(vq), htole16(seen),
				 __ATOMIC_RELAXED);
	} else {
		uint16_t f = le16toh(__atomic_load_n(&vq->used->flags,
						     __ATOMIC_RELAXED));

		__atomic_store_n(&vq->used->flags,
				 htole16((uint16_t)(f & ~VRING_USED_F_NO_NOTIFY)),
				 __ATOMIC_RELAXED);
	}
	/* As in vq_set_notification(): the request is visible before the
	 * second look. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq_avail_idx(vq) != seen;
}
