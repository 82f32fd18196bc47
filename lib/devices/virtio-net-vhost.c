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
 * timeout once (the netdev then refuses further requests at once).
 * Locking: ->vhost_started is guarded by the device lock.
 */
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
	 BIT(VIRTIO_NET_F_MTU))

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

void vnet_vhost_start(struct vnet *n, const struct vio_activation *a,
		      unsigned pairs)
{
	struct netdev_vring vr[2 * NETDEV_MAX_QUEUES];
	struct vio_dev *d = &n->vdev;
	struct netdev_vhost_start s = {
		.features = d->guest_features,
		.gm = n->gm,
		.vr = vr,
		.mtu = vio_dev_has_feature(d, VIRTIO_NET_F_MTU) ? n->mtu : 0,
	};
	struct vm_error *err = NULL;

	if (!a) {
		(void)verr_set(&err, -ENOTSUP,
			       "device '%s': no eventfds for the backend's rings",
			       n->name);
		vnet_vhost_fail(n, err);
		return;
	}
	for (unsigned q = 0; q < 2 * pairs && q < d->nr_queues; q++) {
		struct vq *vq = &d->vqs[q];

		if (!vq_is_ready(vq))
			continue; /* the guest left it off */
		vr[s.nr_rings++] = (struct netdev_vring){
			.index = q, .size = vq->size,
			.desc = vq->desc, .avail = vq->avail, .used = vq->used,
			.base = 0, /* fresh after the reset before DRIVER_OK */
			.kick_fd = a->q[q].kick_fd, .call_fd = a->q[q].call_fd,
		};
	}
	n->vhost_started = true;
	if (netdev_vhost_start(n->peer, &s, &err) < 0)
		vnet_vhost_fail(n, err);
}

void vnet_vhost_stop(struct vnet *n)
{
	struct vm_error *err = NULL;

	if (!n->vhost_started)
		return;
	n->vhost_started = false;
	if (netdev_vhost_stop(n->peer, &err) < 0) {
		vlog_warn(n->vdev.log, n->name, "%s", vm_error_message(err));
		vm_error_free(err);
	}
}
