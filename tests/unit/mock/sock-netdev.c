/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/mock/sock-netdev.c: the socketpair netdev of sock-netdev.h,
 * shared by tests/unit/test-virtio-net.c and tests/fuzz/fuzz-virtio-net.c.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/error.h"
#include "core/obj.h"
#include "net/netdev.h"
#include "sock-netdev.h"

struct sock_knob sock_knob;

static ssize_t sock_send(struct netdev *nd, unsigned q, const struct iovec *iov,
			 int iovcnt)
{
	struct sock_priv *p = vm_obj_priv(&nd->obj);
	ssize_t r;

	(void)q;
	__atomic_add_fetch(&sock_knob.sends, 1, __ATOMIC_ACQ_REL);
	if (__atomic_load_n(&sock_knob.eagain, __ATOMIC_ACQUIRE) > 0) {
		__atomic_sub_fetch(&sock_knob.eagain, 1, __ATOMIC_ACQ_REL);
		return -EAGAIN;
	}
	r = writev(p->fd[0], iov, iovcnt);
	return r < 0 ? -errno : r;
}

static ssize_t sock_recv(struct netdev *nd, unsigned q, const struct iovec *iov,
			 int iovcnt)
{
	struct sock_priv *p = vm_obj_priv(&nd->obj);
	ssize_t r;

	(void)q;
	__atomic_add_fetch(&sock_knob.recv_calls, 1, __ATOMIC_ACQ_REL);
	if (sock_knob.recv_err)
		return -EIO;
	r = readv(p->fd[0], iov, iovcnt);
	return r < 0 ? -errno : r;
}

static int sock_set_vnet_hdr_len(struct netdev *nd, unsigned len)
{
	(void)nd;
	(void)len;
	return 0;
}

static int sock_set_offload(struct netdev *nd, uint64_t f)
{
	(void)nd;
	__atomic_store_n(&sock_knob.offl_set, f, __ATOMIC_RELEASE);
	return 0;
}

static int sock_rx_fd(struct netdev *nd, unsigned q)
{
	struct sock_priv *p = vm_obj_priv(&nd->obj);

	(void)q;
	return p->fd[0];
}

static const struct netdev_ops sock_ops = {
	.send = sock_send, .recv = sock_recv, .rx_fd = sock_rx_fd,
	.set_vnet_hdr_len = sock_set_vnet_hdr_len,
	.set_offload = sock_set_offload,
};

static int sock_realize(struct vm_obj *o, struct vm_error **errp)
{
	struct sock_priv *p = vm_obj_priv(o);
	struct netdev *nd = to_netdev(o);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0, p->fd) < 0)
		return vm_error_set(errp, -errno, "socketpair");
	/* Test-only: plug our ops into the type's class (a copy of
	 * "netdev"'s), as a built-in netdev has them. */
	((struct netdev_class *)o->klass)->ops = &sock_ops;
	/* no vnet header by default: the device makes it */
	nd->caps = NETDEV_CAP_RX_FD | (sock_knob.vnet_hdr ? NETDEV_CAP_VNET_HDR : 0);
	nd->offloads = sock_knob.offloads;
	nd->queues = sock_knob.queues ? sock_knob.queues : 1;
	return 0;
}

static void sock_unrealize(struct vm_obj *o)
{
	struct sock_priv *p = vm_obj_priv(o);

	close(p->fd[0]);
	close(p->fd[1]);
}

const struct vm_type_info sock_netdev_type = {
	.size = sizeof(struct vm_type_info),
	.name = "test-sock",
	.parent = "netdev",
	.priv_size = sizeof(struct sock_priv),
	.realize = sock_realize,
	.unrealize = sock_unrealize,
};

int sock_netdev_wire(struct vm *vm, const char *id)
{
	return ((struct sock_priv *)vm_obj_priv(vm_obj_find(vm, id)))->fd[1];
}
