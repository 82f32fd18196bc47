/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/null.c: netdev "null": swallows what it is sent, never receives.
 * Useful for guests that need a NIC but no traffic, and for tests.
 *
 * Threads: send runs on the device's I/O thread. Locking: the counters are
 * atomics read by anyone.
 */
#include <errno.h>

#include "netdev.h"
#include "backends.h"

struct netdev_null {
	struct netdev nd;
	uint64_t tx_frames; /* atomic */
};

static ssize_t null_send(struct netdev *nd, unsigned q,
			 const struct iovec *iov, int iovcnt)
{
	struct netdev_null *n = (struct netdev_null *)nd;
	ssize_t len = 0;

	for (int i = 0; i < iovcnt; i++)
		len += (ssize_t)iov[i].iov_len;
	__atomic_add_fetch(&n->tx_frames, 1, __ATOMIC_RELAXED);
	return len;
}

static int null_set_vnet_hdr_len(struct netdev *nd, unsigned len)
{
	return 0; /* any header is fine: frames are dropped */
}

static const struct netdev_ops null_ops = {
	.send = null_send,
	.set_vnet_hdr_len = null_set_vnet_hdr_len,
};

static void null_class_init(struct obj_class *k)
{
	((struct netdev_class *)k)->ops = &null_ops;
}

static int null_realize(struct vm_obj *o, struct vm_error **errp)
{
	struct netdev *nd = to_netdev(o);

	nd->caps = NETDEV_CAP_VNET_HDR;
	nd->queues = NETDEV_MAX_QUEUES;
	return 0;
}

const struct type netdev_null_type = {
	.name = "null",
	.parent = TYPE_NETDEV,
	.class_size = sizeof(struct netdev_class),
	.instance_size = sizeof(struct netdev_null),
	.class_init = null_class_init,
	.realize = null_realize,
};
