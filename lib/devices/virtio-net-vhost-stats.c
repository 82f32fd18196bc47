/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/virtio-net-vhost-stats.c: packet counts for the data queues
 * that a vhost-style backend serves (vhost-user). No VMM thread sees
 * those packets; what the VMM can see is each used ring's 16-bit index,
 * which the backend advances by one per buffer it gives back. Sampling
 * adds the index's progress since the last sample to the queue's
 * ->st.packets, which vm_net_get_stats() reports as rx/tx_packets like
 * any queue's.
 *
 * What that counts: tx, frames the backend took from the guest (one
 * chain each); rx, buffers it filled: frames, except that a frame spread
 * over several mergeable rx buffers counts once per buffer. As the used
 * index says: the guest could write it too, so a hostile guest gets
 * nonsense counts of its own (at most 65535 per sample).
 * What it cannot count: bytes (the lengths are in used elements that the
 * guest recycles before anyone could read them), drops inside the
 * backend, kicks and interrupts (eventfds between the guest and the
 * backend), and more than 65535 buffers on one ring between two samples:
 * I/O thread 0 samples every VNET_VHOST_SAMPLE_MS while the rings run, so
 * a ring faster than 65535 per that period (3.2 million per second)
 * counts short.
 *
 * Threads: vnet_vhost_stats_begin/fold on the threads that hand the rings
 * over or take them back (device lock held); vnet_vhost_stats_tick on I/O
 * thread 0; vnet_vhost_stats_sample on the API thread in
 * vm_net_get_stats(). Locking: the device lock guards ->vh_last of every
 * queue; the tick and vm_net_get_stats only try it (a busy device lock,
 * e.g. a vCPU waiting on the backend's reply, skips that sample, the next
 * one catches up). ->vh_sample and ->vh_next_ms: atomic / thread 0's.
 */
#include <endian.h>
#include <time.h>

#include "virtio-net.h"

#define VNET_VHOST_SAMPLE_MS 20

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

/* Device lock held: the data queues' counters start from their used
 * index now (a fresh ring's 0, a restored ring's saved index). */
void vnet_vhost_stats_begin(struct vnet *n)
{
	for (unsigned q = 0; q < 2 * n->pairs && q < n->vdev.nr_queues; q++)
		n->q[q].vh_last = vnet_vhost_data_q(n, q)
					  ? vnet_used_idx(&n->vdev.vqs[q])
					  : 0;
	__atomic_store_n(&n->vh_sample, 1, __ATOMIC_RELEASE);
}

/* Device lock held: add each data queue's progress since the last
 * sample. */
void vnet_vhost_stats_fold(struct vnet *n)
{
	for (unsigned q = 0; q < 2 * n->pairs && q < n->vdev.nr_queues; q++) {
		struct vnet_queue *vqs = &n->q[q];
		uint16_t idx;

		if (!vnet_vhost_data_q(n, q))
			continue;
		idx = vnet_used_idx(&n->vdev.vqs[q]);
		__atomic_add_fetch(&vqs->st.packets, (uint16_t)(idx - vqs->vh_last),
				   __ATOMIC_RELAXED);
		vqs->vh_last = idx;
	}
}

void vnet_vhost_stats_sample(struct vnet *n)
{
	if (!n->vhost || !__atomic_load_n(&n->vh_sample, __ATOMIC_ACQUIRE))
		return;
	if (pthread_mutex_trylock(&n->vdev.lock) != 0)
		return;
	if (n->vhost_started)
		vnet_vhost_stats_fold(n);
	pthread_mutex_unlock(&n->vdev.lock);
}

static uint64_t vnet_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void vnet_vhost_stats_tick(struct vnet *n, int *timeout_ms)
{
	uint64_t now;
	int left;

	if (!n->vhost || !__atomic_load_n(&n->vh_sample, __ATOMIC_ACQUIRE))
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
