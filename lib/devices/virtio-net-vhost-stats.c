/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/virtio-net-vhost-stats.c: packet and byte counts for the
 * data queues that a vhost-style backend serves (vhost-user). No VMM
 * thread sees those packets; what the VMM can see is each used ring: its
 * 16-bit index, which the backend advances by one per buffer it gives
 * back, and the used elements (id, len) it writes before that. Sampling
 * adds the index's progress since the last sample to the queue's
 * ->st.packets and the used elements' bytes to ->st.bytes, which
 * vm_net_get_stats() reports as rx/tx_packets and rx/tx_bytes like any
 * queue's.
 *
 * What that counts: tx, frames the backend took from the guest (one
 * chain each); rx, buffers it filled: frames, except that a frame spread
 * over several mergeable rx buffers counts once per buffer. Bytes, less
 * the 12-byte virtio-net header per used element: rx, the len the backend
 * wrote in the element; tx, the length of the descriptor chain the
 * element's id names (backends write len 0 there), walked in guest RAM
 * (bounds-checked, at most the ring's size descriptors, one indirect
 * table). Where those are not exact:
 *  - a used slot is rewritten when the backend uses the buffer one ring
 *    later. A sample reads the elements since the last one, newest
 *    first, and stops at the first that may have been rewritten before it
 *    was read: one that the driver has made a ring's worth of buffers
 *    available beyond (so the backend could have used the slot again) and
 *    that is more than half a ring behind the published index (a backend
 *    writes its batch of elements before publishing; DPDK's batch is 32,
 *    vhost-net's 64). The elements not read count as the mean of those
 *    read (or of the queue so far): at more than half a ring per sample
 *    period with the driver keeping the ring full (a busy Linux rx ring)
 *    bytes are an estimate from the newest half ring, exact for frames of
 *    one size.
 *  - tx: the guest may reuse a chain's descriptors for its next frame as
 *    soon as it sees the used element, possibly before the sample reads
 *    them; that frame's length is then counted instead (or a half-written
 *    chain's). Exact when the driver reclaims used buffers only after the
 *    sample (the tests' mock driver), an estimate of the same traffic with
 *    Linux's.
 *  - a frame over several mergeable rx buffers loses one header per
 *    buffer after its first (12 bytes each).
 * All of it is read from guest RAM, which the guest can write: a hostile
 * guest gets nonsense counts of its own (at most a ring's elements, each
 * a 32-bit len or a chain of at most the ring's size descriptors, per
 * sample).
 * What it cannot count: drops inside the backend, kicks and interrupts
 * (eventfds between the guest and the backend), and more than 65535
 * buffers on one ring between two samples: I/O thread 0 samples every
 * VNET_VHOST_SAMPLE_MS while the rings run, so a ring faster than 65535
 * per that period (3.2 million per second) counts short.
 * Cost: per sample and data queue, at most a ring's size used elements
 * (half a ring when it is kept full) and, for tx, their chains'
 * descriptors.
 *
 * Threads: vnet_vhost_stats_begin/fold/end on the threads that hand the
 * rings over or take them back (device lock held, so the rings stay as
 * they are); vnet_vhost_stats_tick on I/O thread 0;
 * vnet_vhost_stats_sample on the API thread in vm_net_get_stats().
 * Locking: ->vh_lock, a leaf, guards ->vh_on, ->vh_fold_ms and every
 * queue's ->vh_last. A sample takes it and nothing else: a vCPU holding
 * the device lock (waiting on the backend's reply, say) no longer makes
 * samples be skipped, and a sample reads the rings only while ->vh_on
 * says they are the backend's (vnet_vhost_stats_end clears it, under
 * both locks, before a reset or a pause changes them). Samples further
 * apart than VNET_VHOST_GAP_MS (the I/O thread did not run) are logged:
 * the packet counts may then be short by multiples of 65536.
 * ->vh_next_ms: I/O thread 0's.
 */
#include <endian.h>
#include <string.h>
#include <time.h>

#include "virtio-net.h"

#define VNET_VHOST_SAMPLE_MS 20
#define VNET_VHOST_GAP_MS 1000

static uint16_t vnet_used_idx(const struct vq *vq)
{
	return le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE));
}

/* Queue @q is a data queue the backend runs (without MQ, queue 2 is the
 * control queue, which the device serves itself). */
static bool vnet_vhost_data_q(struct vnet *n, unsigned q)
{
	return vq_is_ready(&n->vdev.vqs[q]) &&
	       __atomic_load_n(&n->q[q].kind, __ATOMIC_ACQUIRE) != VNET_Q_CTRL;
}

static uint64_t vnet_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Device lock held: the data queues' counters start from their used
 * index now (a fresh ring's 0, a restored ring's saved index). */
void vnet_vhost_stats_begin(struct vnet *n)
{
	pthread_mutex_lock(&n->vh_lock);
	for (unsigned q = 0; q < 2 * n->pairs && q < n->vdev.nr_queues; q++)
		n->q[q].vh_last = vnet_vhost_data_q(n, q)
					  ? vnet_used_idx(&n->vdev.vqs[q])
					  : 0;
	n->vh_fold_ms = vnet_ms_now();
	__atomic_store_n(&n->vh_on, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&n->vh_lock);
}

/* The length of the chain at descriptor @head as it is in guest RAM now:
 * at most the ring's size descriptors, one indirect table (if negotiated)
 * that must lie in RAM; whatever does not fit ends the walk. */
static uint64_t vnet_vhost_chain_len(const struct gmem *gm, const struct vq *vq,
				     uint32_t head)
{
	const uint8_t *tbl = (const uint8_t *)vq->desc;
	uint32_t num = vq->size, i = head;
	uint64_t len = 0;

	for (unsigned hops = 0; i < num && hops < vq->size; hops++) {
		struct vring_desc d;
		uint16_t flags;

		memcpy(&d, tbl + (size_t)i * sizeof(d), sizeof(d));
		flags = le16toh(d.flags);
		if (flags & VRING_DESC_F_INDIRECT) {
			uint32_t l = le32toh(d.len);

			if (!vq->indirect || tbl != (const uint8_t *)vq->desc ||
			    l == 0 || l % sizeof(d))
				break;
			tbl = gmem_ptr(gm, le64toh(d.addr), l);
			if (!tbl)
				break;
			num = l / sizeof(d);
			i = 0;
			continue;
		}
		len += le32toh(d.len);
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = le16toh(d.next);
	}
	return len;
}

/* Used element @j, just read, was not rewritten for a later buffer
 * before: see the file comment. */
static bool vnet_vhost_elem_intact(const struct vq *vq, uint16_t j)
{
	uint16_t avail = le16toh(__atomic_load_n(&vq->avail->idx,
						 __ATOMIC_ACQUIRE));

	return (uint16_t)(avail - j) <= vq->size ||
	       (uint16_t)(vnet_used_idx(vq) - j) <= vq->size / 2;
}

/* Bytes of queue @q's buffers used from index @from to @to: see the file
 * comment. */
static uint64_t vnet_vhost_bytes(const struct vnet *n, unsigned q,
				 uint16_t from, uint16_t to)
{
	const struct vq *vq = &n->vdev.vqs[q];
	const struct vnet_qstats *st = &n->q[q].st;
	uint16_t todo = (uint16_t)(to - from);
	unsigned max = todo < vq->size ? todo : vq->size, got = 0;
	uint64_t sum = 0, packets;

	for (; got < max; got++) {
		uint16_t j = (uint16_t)(to - 1 - got);
		struct vring_used_elem e;
		uint64_t len;

		memcpy(&e, &vq->used->ring[j & (vq->size - 1)], sizeof(e));
		/* the element before the indexes that say it was intact */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (!vnet_vhost_elem_intact(vq, j))
			break;
		len = (q & 1) ? vnet_vhost_chain_len(n->gm, vq, le32toh(e.id))
			      : le32toh(e.len);
		sum += len > VNET_HDR_LEN ? len - VNET_HDR_LEN : 0;
	}
	if (got == todo)
		return sum;
	if (got)
		return sum * todo / got;
	packets = __atomic_load_n(&st->packets, __ATOMIC_RELAXED);
	return packets ? __atomic_load_n(&st->bytes, __ATOMIC_RELAXED) /
				 packets * todo
		       : 0;
}

/* ->vh_lock held, ->vh_on: add each data queue's progress since the last
 * sample. */
static void vnet_vhost_fold_locked(struct vnet *n)
{
	uint64_t now = vnet_ms_now();

	if (now - n->vh_fold_ms > VNET_VHOST_GAP_MS)
		vlog_warn(n->vdev.log, n->name,
			  "the vhost backend's used rings were last sampled %llu ms ago (more than %u ms): their packet counts may be short by multiples of 65536",
			  (unsigned long long)(now - n->vh_fold_ms),
			  VNET_VHOST_GAP_MS);
	n->vh_fold_ms = now;
	for (unsigned q = 0; q < 2 * n->pairs && q < n->vdev.nr_queues; q++) {
		struct vnet_queue *vqs = &n->q[q];
		uint16_t idx;

		if (!vnet_vhost_data_q(n, q))
			continue;
		idx = vnet_used_idx(&n->vdev.vqs[q]);
		if (idx == vqs->vh_last)
			continue;
		__atomic_add_fetch(&vqs->st.bytes,
				   vnet_vhost_bytes(n, q, vqs->vh_last, idx),
				   __ATOMIC_RELAXED);
		__atomic_add_fetch(&vqs->st.packets, (uint16_t)(idx - vqs->vh_last),
				   __ATOMIC_RELAXED);
		vqs->vh_last = idx;
	}
}

/* Device lock held, the rings still the backend's (it reconnected). */
void vnet_vhost_stats_fold(struct vnet *n)
{
	pthread_mutex_lock(&n->vh_lock);
	if (n->vh_on)
		vnet_vhost_fold_locked(n);
	pthread_mutex_unlock(&n->vh_lock);
}

/* Device lock held: the backend gave the rings back; count up to where
 * it stopped, then no more samples until the next begin. */
void vnet_vhost_stats_end(struct vnet *n)
{
	pthread_mutex_lock(&n->vh_lock);
	if (n->vh_on)
		vnet_vhost_fold_locked(n);
	__atomic_store_n(&n->vh_on, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&n->vh_lock);
}

void vnet_vhost_stats_sample(struct vnet *n)
{
	if (!n->vhost)
		return;
	vnet_vhost_stats_fold(n);
}

void vnet_vhost_stats_tick(struct vnet *n, int *timeout_ms)
{
	uint64_t now;
	int left;

	if (!n->vhost || !__atomic_load_n(&n->vh_on, __ATOMIC_ACQUIRE))
		return;
	now = vnet_ms_now();
	if (now >= n->vh_next_ms) {
		vnet_vhost_stats_sample(n);
		n->vh_next_ms = now + VNET_VHOST_SAMPLE_MS;
	}
	left = (int)(n->vh_next_ms - now);
	if (left > VNET_VHOST_SAMPLE_MS)
		left = VNET_VHOST_SAMPLE_MS;
	if (*timeout_ms < 0 || left < *timeout_ms)
		*timeout_ms = left;
}
