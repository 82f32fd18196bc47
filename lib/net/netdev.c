/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/netdev.c: the abstract "netdev" type and the calls devices use.
 *
 * Threads/Locking: see netdev.h.
 */
#include <errno.h>

#include "netdev.h"

static void netdev_class_init(struct obj_class *k)
{
	k->kind = VM_OBJ_NETDEV;
}

static void netdev_instance_init(struct vm_obj *o)
{
	pthread_mutex_init(&to_netdev(o)->notify_lock, NULL);
}

static void netdev_finalize(struct vm_obj *o)
{
	pthread_mutex_destroy(&to_netdev(o)->notify_lock);
}

const struct type netdev_type = {
	.name = TYPE_NETDEV,
	.class_size = sizeof(struct netdev_class),
	.instance_size = sizeof(struct netdev),
	.abstract = true,
	.class_init = netdev_class_init,
	.instance_init = netdev_instance_init,
	.finalize = netdev_finalize,
};

int netdev_attach(struct netdev *nd, struct vm_obj *dev,
		  struct vm_error **errp)
{
	if (nd->peer && nd->peer != dev)
		return verr_set(errp, -EBUSY,
				"netdev '%s' is already used by device '%s'",
				nd->obj.id, nd->peer->id);
	nd->peer = dev;
	return 0;
}

void netdev_detach(struct netdev *nd, struct vm_obj *dev)
{
	if (nd->peer == dev)
		nd->peer = NULL;
}

ssize_t netdev_send(struct netdev *nd, unsigned q, const struct iovec *iov,
		    int iovcnt)
{
	const struct netdev_ops *ops = netdev_ops(nd);

	if (!ops || !ops->send)
		return -ENOTSUP;
	return ops->send(nd, q, iov, iovcnt);
}

int netdev_send_batch(struct netdev *nd, unsigned q,
		      const struct netdev_frame *f, unsigned n)
{
	const struct netdev_ops *ops = netdev_ops(nd);
	unsigned i;

	if (!ops || !ops->send)
		return -ENOTSUP;
	if (ops->send_batch)
		return ops->send_batch(nd, q, f, n);
	for (i = 0; i < n; i++) {
		ssize_t r = ops->send(nd, q, f[i].iov, f[i].iovcnt);

		if (r < 0)
			return i ? (int)i : (int)r;
	}
	return (int)i;
}

ssize_t netdev_recv(struct netdev *nd, unsigned q, const struct iovec *iov,
		    int iovcnt)
{
	const struct netdev_ops *ops = netdev_ops(nd);

	if (!ops || !ops->recv)
		return -EAGAIN;
	return ops->recv(nd, q, iov, iovcnt);
}

int netdev_rx_fd(struct netdev *nd, unsigned q)
{
	const struct netdev_ops *ops = netdev_ops(nd);

	if (!ops || !ops->rx_fd)
		return -ENOTSUP;
	return ops->rx_fd(nd, q);
}

int netdev_tx_fd(struct netdev *nd, unsigned q)
{
	const struct netdev_ops *ops = netdev_ops(nd);

	if (!ops || !ops->tx_fd)
		return -ENOTSUP;
	return ops->tx_fd(nd, q);
}

int netdev_set_offload(struct netdev *nd, uint64_t guest_features)
{
	const struct netdev_ops *ops = netdev_ops(nd);

	if (!ops || !ops->set_offload)
		return guest_features ? -ENOTSUP : 0;
	return ops->set_offload(nd, guest_features);
}

int netdev_set_queues(struct netdev *nd, unsigned n)
{
	const struct netdev_ops *ops = netdev_ops(nd);

	if (!ops || !ops->set_queues)
		return 0; /* every queue stays usable */
	return ops->set_queues(nd, n);
}

int netdev_set_vnet_hdr_len(struct netdev *nd, unsigned len)
{
	const struct netdev_ops *ops = netdev_ops(nd);

	if (!ops || !ops->set_vnet_hdr_len)
		return len ? -ENOTSUP : 0;
	return ops->set_vnet_hdr_len(nd, len);
}

int netdev_vhost_start(struct netdev *nd, const struct netdev_vhost_start *s,
		       struct vm_error **errp)
{
	const struct netdev_ops *ops = netdev_ops(nd);

	if (!ops || !ops->vhost_start)
		return verr_set(errp, -ENOTSUP,
				"netdev '%s' cannot take whole rings",
				nd->obj.id);
	return ops->vhost_start(nd, s, errp);
}

int netdev_vhost_stop(struct netdev *nd, struct vm_error **errp)
{
	const struct netdev_ops *ops = netdev_ops(nd);

	return ops && ops->vhost_stop ? ops->vhost_stop(nd, errp) : 0;
}

void netdev_set_link_notify(struct netdev *nd, void (*fn)(void *, bool),
			    void *opaque)
{
	pthread_mutex_lock(&nd->notify_lock);
	nd->link_notify = fn;
	nd->link_opaque = opaque;
	if (fn && nd->link_down)
		fn(opaque, false);
	pthread_mutex_unlock(&nd->notify_lock);
}

void netdev_link_changed(struct netdev *nd, bool up)
{
	pthread_mutex_lock(&nd->notify_lock);
	nd->link_down = !up;
	if (nd->link_notify)
		nd->link_notify(nd->link_opaque, up);
	pthread_mutex_unlock(&nd->notify_lock);
}

void netdev_cancel(struct netdev *nd)
{
	const struct netdev_ops *ops = netdev_ops(nd);

	if (ops && ops->cancel)
		ops->cancel(nd);
}
