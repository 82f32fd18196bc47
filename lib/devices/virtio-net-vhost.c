/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/virtio-net-vhost.c: virtio-net on a vhost-style netdev
 * (NETDEV_CAP_VHOST, e.g. vhost-user): the data queues are handed to the
 * backend at DRIVER_OK with the transport's kick (ioeventfd) and call
 * (irqfd) eventfds and taken back at reset; the device's own I/O thread
 * serves only the control queue, whose VQ_PAIRS_SET reaches the backend
 * through netdev_set_queues(). The offer is limited to what the backend
 * can do for the ring and data-path features.
 *
 * Threads: vnet_vhost_start/stop run on the vCPU thread that wrote the
 * device status (->driver_ok, ->reset), device lock held; the netdev
 * bounds each exchange with its backend, so a dead backend costs one
 * timeout once (the netdev then refuses further requests at once). The
 * backend's own thread calls vnet_vhost_link() when it goes away (link
 * down) or comes back (the rings are handed over again, under the device
 * lock, from their used index; then link up; so do the rings of a device
 * that vm_restore loads, ->vhost_loading), and vnet_vhost_ring_error()
 * when the backend reports a ring error (NEEDS_RESET, link down). vnet_vhost_pause/resume
 * run on the thread in vm_pause/vm_resume, the vCPUs parked: the backend
 * stops every ring (GET_VRING_BASE) and starts them again from where it
 * stopped, so guest RAM and the rings stand still while the VM is paused
 * (a snapshot is consistent).
 * Locking: ->vhost_started and ->vhost_paused are guarded by the device
 * lock. Lock order: the
 * netdev's notify_lock -> device lock -> the netdev's own lock; the link
 * is changed (a config interrupt) only with the device lock dropped.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>

#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "virtio-net.h"

#define BIT(b) (1ull << (b))

/* Features the device itself implements, whatever the backend says. */
#define VNET_DEVICE_FEATURES                                                  \
	(BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |                   \
	 BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MQ) |                   \
	 BIT(VIRTIO_NET_F_MTU) | BIT(VIRTIO_NET_F_GUEST_ANNOUNCE))

uint64_t vnet_vhost_offer(const struct netdev *peer, uint64_t f)
{
	if (!peer || !(peer->caps & NETDEV_CAP_VHOST))
		return f;
	/* The backend cannot change offloads later (no message for it). */
	f &= ~BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS);
	return f & (VNET_DEVICE_FEATURES | peer->vhost_features);
}

static void vnet_vhost_fail(struct vnet *n, struct vm_error *err)
{
	vlog_warn(n->vdev.log, n->name, "%s: link down",
		  vm_error_message(err));
	vm_error_free(err);
	__atomic_store_n(&n->link_forced_down, 1, __ATOMIC_RELEASE);
	vnet_set_link(n, false);
}

/* Where the rings start when they are handed over. */
enum vnet_vhost_from {
	VNET_VHOST_FRESH,     /* index 0: the reset before DRIVER_OK */
	VNET_VHOST_USED,      /* a new connection: the used index */
	VNET_VHOST_RESUME,    /* vm_resume: where the backend stopped */
};

/* Device lock held: hand the ready data rings of the first @pairs pairs
 * to the backend, each from index 0 (fresh after the reset before
 * DRIVER_OK), or from the used index the guest last saw (a new
 * connection to a backend that went away: in-flight buffers are lost as
 * on a wire, the ring stays consistent), or from the index the backend
 * gave back at vm_pause (the used index if it gave none). */
static int vnet_vhost_hand_over(struct vnet *n, const struct vio_activation *a,
				unsigned pairs, enum vnet_vhost_from from,
				struct vm_error **errp)
{
	struct netdev_vring vr[2 * NETDEV_MAX_QUEUES];
	struct vio_dev *d = &n->vdev;
	struct netdev_vhost_start s = {
		.features = d->guest_features,
		.gm = n->gm,
		.vr = vr,
		.mtu = vio_dev_has_feature(d, VIRTIO_NET_F_MTU) ? n->mtu : 0,
		.resume = from == VNET_VHOST_RESUME,
	};

	if (!a)
		return verr_set(errp, -ENOTSUP,
				"device '%s': no eventfds for the backend's rings",
				n->name);
	for (unsigned q = 0; q < 2 * pairs && q < d->nr_queues; q++) {
		struct vq *vq = &d->vqs[q];
		uint16_t base = 0;

		if (!vq_is_ready(vq))
			continue; /* the guest left it off */
		if (from != VNET_VHOST_FRESH)
			base = le16toh(__atomic_load_n(&vq->used->idx,
						       __ATOMIC_ACQUIRE));
		vr[s.nr_rings++] = (struct netdev_vring){
			.index = q, .size = vq->size,
			.desc = vq->desc, .avail = vq->avail, .used = vq->used,
			.base = base,
			.kick_fd = a->q[q].kick_fd, .call_fd = a->q[q].call_fd,
		};
	}
	return netdev_vhost_start(n->peer, &s, errp);
}

static unsigned vnet_vhost_pairs(struct vnet *n)
{
	return vio_dev_has_feature(&n->vdev, VIRTIO_NET_F_MQ) ? n->pairs : 1;
}

void vnet_vhost_start(struct vnet *n, const struct vio_activation *a,
		      unsigned pairs)
{
	struct vm_error *err = NULL;

	n->vhost_started = true;
	vnet_vhost_stats_begin(n);
	/* a restored guest's rings go on from where the snapshot left them
	 * (the backend was stopped by the pause before the save) */
	if (vnet_vhost_hand_over(n, a, pairs,
				 n->vhost_loading ? VNET_VHOST_USED
						  : VNET_VHOST_FRESH, &err) < 0)
		vnet_vhost_fail(n, err);
	else if (__atomic_load_n(&n->link_forced_down, __ATOMIC_ACQUIRE))
		vnet_set_link(n, true); /* the backend runs the rings again
					   (after a ring error and reset) */
}

/* netdev_link_changed(), on the backend's thread (no device lock). */
static void vnet_vhost_link(void *opaque, bool up)
{
	struct vnet *n = opaque;
	struct vm_error *err = NULL;
	int rc = 0;

	if (!up) {
		vnet_link_lost(n, "no backend");
		return;
	}
	pthread_mutex_lock(&n->vdev.lock);
	if (n->vhost_started) { /* the guest is running: its rings go back */
		vnet_vhost_stats_fold(n);
		rc = vnet_vhost_hand_over(n, n->vdev.act, vnet_vhost_pairs(n),
					  VNET_VHOST_USED, &err);
	}
	pthread_mutex_unlock(&n->vdev.lock);
	/* interrupts (config change) only once the device lock is dropped */
	if (rc < 0)
		vnet_vhost_fail(n, err);
	else
		vnet_set_link(n, true);
}

/* netdev_ring_error(), on the backend's thread (no device lock): the
 * backend cannot go on with ring @ring (vhost-user's SET_VRING_ERR
 * eventfd). The guest sees NEEDS_RESET and link down; its reset takes the
 * rings back and DRIVER_OK hands them over again. */
static void vnet_vhost_ring_error(void *opaque, unsigned ring)
{
	struct vnet *n = opaque;

	vio_dev_backend_failed(&n->vdev,
			       "netdev '%s': ring %u: the backend reported an error (its SET_VRING_ERR eventfd): link down",
			       n->peer->obj.id, ring);
	__atomic_store_n(&n->link_forced_down, 1, __ATOMIC_RELEASE);
	vnet_set_link(n, false);
}

void vnet_vhost_init(struct vnet *n)
{
	if (!n->vhost)
		return;
	/* a backend that starts without its peer (vhost-user wait=off)
	 * calls vnet_vhost_link(false) at once: link down until it has one */
	netdev_set_link_notify(n->peer, vnet_vhost_link, n);
	netdev_set_ring_err_notify(n->peer, vnet_vhost_ring_error, n);
}

void vnet_vhost_fini(struct vnet *n)
{
	if (!n->vhost)
		return;
	netdev_set_ring_err_notify(n->peer, NULL, NULL);
	netdev_set_link_notify(n->peer, NULL, NULL);
}

/* Device lock held: the backend gives the rings back (and stops). */
static void vnet_vhost_take_back(struct vnet *n)
{
	struct vm_error *err = NULL;

	n->vhost_started = false;
	if (netdev_vhost_stop(n->peer, &err) < 0) {
		vlog_warn(n->vdev.log, n->name, "%s", vm_error_message(err));
		vm_error_free(err);
	}
	vnet_vhost_stats_end(n); /* where the backend stopped */
}

void vnet_vhost_stop(struct vnet *n)
{
	n->vhost_paused = false; /* a reset: nothing to resume */
	if (n->vhost_started)
		vnet_vhost_take_back(n);
}

void vnet_vhost_pause(struct vnet *n)
{
	if (!n->vhost)
		return;
	pthread_mutex_lock(&n->vdev.lock);
	if (n->vhost_started) {
		vnet_vhost_take_back(n);
		n->vhost_paused = true;
	}
	pthread_mutex_unlock(&n->vdev.lock);
}

void vnet_vhost_resume(struct vnet *n)
{
	struct vm_error *err = NULL;
	int rc = 0;

	if (!n->vhost)
		return;
	pthread_mutex_lock(&n->vdev.lock);
	if (n->vhost_paused) {
		n->vhost_paused = false;
		n->vhost_started = true;
		vnet_vhost_stats_begin(n); /* from where the pause left them */
		rc = vnet_vhost_hand_over(n, n->vdev.act, vnet_vhost_pairs(n),
					  VNET_VHOST_RESUME, &err);
	}
	pthread_mutex_unlock(&n->vdev.lock);
	if (rc < 0) /* the config interrupt with the device lock dropped */
		vnet_vhost_fail(n, err);
}
