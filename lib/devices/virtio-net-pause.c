/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/virtio-net-pause.c: quiescing virtio-net's I/O threads for
 * vm_pause(): each thread parks at the top of its loop, between two
 * wakeups, where it holds no queue lock and has no chain in hand (a burst
 * runs wholly under its queue's lock: virtio-net-io.c); the rings a
 * vhost-style backend serves are stopped in the backend (virtio-net-
 * vhost.c). The rings, the used indexes and the device state then stand
 * still until vnet_resume().
 *
 * Threads: vnet_pause()/vnet_resume() run on the thread that pauses the VM
 * (any thread but the device's I/O threads); vnet_pause_point() runs on
 * each I/O thread; vnet_pause_kick() on the thread stopping them.
 * Locking: ->pz.lock guards ->pz.parked and the writes of ->pz.on (read
 * without it as an atomic by the I/O threads' fast path); ->pz.cond is
 * broadcast whenever ->parked, ->on or ->stop changes.
 */
#include <stdbool.h>

#include "virtio-net.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

void vnet_pause_init(struct vnet *n)
{
	pthread_mutex_init(&n->pz.lock, NULL);
	pthread_cond_init(&n->pz.cond, NULL);
	n->pz.on = 0;
	n->pz.parked = 0;
}

void vnet_pause_fini(struct vnet *n)
{
	pthread_cond_destroy(&n->pz.cond);
	pthread_mutex_destroy(&n->pz.lock);
}

void vnet_pause_point(struct vnet *n)
{
	if (!LD(n->pz.on))
		return;
	pthread_mutex_lock(&n->pz.lock);
	n->pz.parked++;
	pthread_cond_broadcast(&n->pz.cond);
	while (LD(n->pz.on) && !LD(n->stop))
		pthread_cond_wait(&n->pz.cond, &n->pz.lock);
	n->pz.parked--;
	pthread_mutex_unlock(&n->pz.lock);
}

void vnet_pause_kick(struct vnet *n)
{
	pthread_mutex_lock(&n->pz.lock);
	pthread_cond_broadcast(&n->pz.cond);
	pthread_mutex_unlock(&n->pz.lock);
}

int vnet_pause(struct vnet *n)
{
	unsigned started = 0;

	if (!n->th) {
		vnet_vhost_pause(n);
		return 0; /* not realized, or no threads yet */
	}
	for (unsigned i = 0; i < n->nthreads; i++)
		started += n->th[i].started;
	pthread_mutex_lock(&n->pz.lock);
	ST(n->pz.on, 1);
	pthread_mutex_unlock(&n->pz.lock);
	/* Out of poll(); a thread in a burst finishes it first (bounded by
	 * VNET_BURST chains and a non-blocking backend). */
	vnet_io_wake(n, -1);
	pthread_mutex_lock(&n->pz.lock);
	while (n->pz.parked < started && !LD(n->stop))
		pthread_cond_wait(&n->pz.cond, &n->pz.lock);
	pthread_mutex_unlock(&n->pz.lock);
	/* A vhost-style backend's rings: it stops them itself. */
	vnet_vhost_pause(n);
	return 0;
}

void vnet_resume(struct vnet *n)
{
	vnet_vhost_resume(n);
	if (!n->th)
		return;
	pthread_mutex_lock(&n->pz.lock);
	ST(n->pz.on, 0);
	pthread_cond_broadcast(&n->pz.cond);
	pthread_mutex_unlock(&n->pz.lock);
	/* Serve every queue once: the backend may have data waiting. */
	vnet_io_wake(n, -1);
}
