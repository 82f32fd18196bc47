/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/host.c: netdev "callback", the adapter between the internal
 * netdev interface (netdev.h, a pull model) and the public host netdev
 * calls (include/kvm-virtio.h, "Host netdevs"): frames the guest sends go
 * to the host's vm_netdev_ops; frames the host pushes wait in a bounded
 * FIFO until the device pulls them with recv.
 *
 * Host types registered with parent "netdev" are built on this type (see
 * type_register_host()), so a host type and a "callback" instance are the
 * same thing with the ops coming from the type or from vm_netdev_set_ops().
 *
 * Backpressure: the FIFO holds VM_NETDEV_RX_FRAMES frames. A push that
 * finds it full returns -EAGAIN and leaves ->want_ready set; the next recv
 * that makes room calls ->rx_ready once. The device stops pulling while
 * the guest has no receive buffers (virtio-net-io.c), so "full" means the
 * guest is not taking frames. The eventfd is readable exactly while the
 * FIFO is not empty (written when it becomes non-empty, drained when it
 * becomes empty, both under ->lock): it is the rx fd the device polls.
 *
 * Threads: instance_init, set_ops, base_realize, base_unrealize and
 * finalize on the API thread; send, send_batch, recv and rx_fd on the
 * device's I/O thread (one queue, one thread); vm_netdev_push[v] on any
 * host thread. The host's callbacks run on the I/O thread with no lock of
 * ours held.
 * Locking: ->lock guards ->open, ->efd's counter, the FIFO (->fifo, ->head,
 * ->count) and ->want_ready. ->ops, ->opaque and ->efd (the number) are
 * written on the API thread before realize returns, read-only afterwards.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../core/obj.h"
#include "backends.h"
#include "netdev.h"

/* struct netdev_frame and the public struct vm_netdev_frame are one. */
_Static_assert(sizeof(struct netdev_frame) == sizeof(struct vm_netdev_frame) &&
		       offsetof(struct netdev_frame, iovcnt) ==
			       offsetof(struct vm_netdev_frame, iovcnt),
	       "netdev_frame layout");

/* Does the caller's (possibly older, smaller) ops struct have @f set? */
#define OPS_HAS(ops, f)                                                       \
	((ops)->size >= offsetof(struct vm_netdev_ops, f) + sizeof((ops)->f) && \
	 (ops)->f)

struct host_frame {
	size_t len;
	uint8_t data[];
};

struct netdev_host {
	struct netdev nd;
	const struct vm_netdev_ops *ops;
	void *opaque;
	bool inst_ops;       /* ops given by vm_netdev_set_ops() */
	int efd;             /* readable while the FIFO is not empty */
	pthread_mutex_t lock;
	bool open;           /* between base_realize and base_unrealize */
	bool want_ready;     /* a push was refused: call ->rx_ready */
	unsigned head, count;
	struct host_frame *fifo[VM_NETDEV_RX_FRAMES];
};

static struct netdev_host *to_host(struct netdev *nd)
{
	return (struct netdev_host *)nd;
}

/* @o as a host netdev, or NULL if it is not one. */
static struct netdev_host *host_of(struct vm_obj *o)
{
	if (!o || obj_kind(o) != VM_OBJ_NETDEV || !obj_is_a(o, TYPE_NETDEV_HOST))
		return NULL;
	return (struct netdev_host *)o;
}

/* ---- guest -> host (I/O thread) ---- */

static ssize_t host_send(struct netdev *nd, unsigned q,
			 const struct iovec *iov, int iovcnt)
{
	struct netdev_host *h = to_host(nd);

	if (!h->ops)
		return -ENOTSUP;
	return h->ops->send(&nd->obj, h->opaque, q, iov, iovcnt);
}

static int host_send_batch(struct netdev *nd, unsigned q,
			   const struct netdev_frame *f, unsigned n)
{
	struct netdev_host *h = to_host(nd);
	unsigned i;

	if (h->ops && OPS_HAS(h->ops, send_batch))
		return h->ops->send_batch(&nd->obj, h->opaque, q,
					  (const struct vm_netdev_frame *)f, n);
	for (i = 0; i < n; i++) {
		ssize_t r = host_send(nd, q, f[i].iov, f[i].iovcnt);

		if (r < 0)
			return i ? (int)i : (int)r;
	}
	return (int)i;
}

/* ---- host -> guest ---- */

static ssize_t host_recv(struct netdev *nd, unsigned q,
			 const struct iovec *iov, int iovcnt)
{
	struct netdev_host *h = to_host(nd);
	struct host_frame *f;
	bool ready;
	size_t off = 0;
	uint64_t v;

	pthread_mutex_lock(&h->lock);
	if (!h->open || !h->count) {
		pthread_mutex_unlock(&h->lock);
		return -EAGAIN;
	}
	f = h->fifo[h->head];
	h->fifo[h->head] = NULL;
	h->head = (h->head + 1) % VM_NETDEV_RX_FRAMES;
	if (--h->count == 0)
		(void)!read(h->efd, &v, sizeof(v));
	ready = h->want_ready;
	h->want_ready = false;
	pthread_mutex_unlock(&h->lock);

	for (int i = 0; i < iovcnt && off < f->len; i++) {
		size_t k = MIN(iov[i].iov_len, f->len - off);

		memcpy(iov[i].iov_base, f->data + off, k);
		off += k;
	}
	free(f);
	if (ready && h->ops && OPS_HAS(h->ops, rx_ready))
		h->ops->rx_ready(&nd->obj, h->opaque, q);
	/* The device's buffer always holds VM_NETDEV_MAX_FRAME bytes. */
	return off;
}

static int host_rx_fd(struct netdev *nd, unsigned q)
{
	return to_host(nd)->efd;
}

int vm_netdev_pushv(struct vm_obj *netdev, unsigned queue,
		    const struct iovec *iov, int iovcnt)
{
	struct netdev_host *h = host_of(netdev);
	struct host_frame *f;
	size_t len = 0, off = 0;
	uint64_t one = 1;
	int rc = 0;

	if (!h || queue != 0 || iovcnt < 0 || (iovcnt && !iov))
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > VM_NETDEV_MAX_FRAME - len)
			return -EMSGSIZE;
		len += iov[i].iov_len;
	}
	if (!len)
		return -EMSGSIZE;
	f = malloc(sizeof(*f) + len);
	if (!f)
		return -ENOMEM;
	f->len = len;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(f->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	pthread_mutex_lock(&h->lock);
	if (!h->open) {
		rc = -ENODEV;
	} else if (h->count == VM_NETDEV_RX_FRAMES) {
		h->want_ready = true;
		rc = -EAGAIN;
	} else {
		h->fifo[(h->head + h->count) % VM_NETDEV_RX_FRAMES] = f;
		if (h->count++ == 0)
			(void)!write(h->efd, &one, sizeof(one));
		f = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	free(f);
	return rc;
}

int vm_netdev_push(struct vm_obj *netdev, unsigned queue, const void *frame,
		   size_t len)
{
	struct iovec iov = { (void *)frame, len };

	if (!frame)
		return -EINVAL;
	return vm_netdev_pushv(netdev, queue, &iov, 1);
}

/* ---- life cycle (API thread) ---- */

static bool ops_valid(const struct vm_netdev_ops *ops)
{
	return ops && ops->size >= offsetof(struct vm_netdev_ops, send) +
					   sizeof(ops->send) &&
	       ops->send;
}

bool netdev_host_ops_valid(const struct vm_netdev_ops *ops)
{
	return ops_valid(ops);
}

int vm_netdev_set_ops(struct vm_obj *netdev, const struct vm_netdev_ops *ops,
		      void *opaque)
{
	struct netdev_host *h = host_of(netdev);

	if (!h || !ops_valid(ops))
		return -EINVAL;
	if (netdev->realized)
		return -EBUSY;
	h->ops = ops;
	h->opaque = opaque;
	h->inst_ops = true;
	return 0;
}

static void host_instance_init(struct vm_obj *o)
{
	struct netdev_host *h = (struct netdev_host *)o;

	h->efd = -1;
	pthread_mutex_init(&h->lock, NULL);
}

static void host_finalize(struct vm_obj *o)
{
	pthread_mutex_destroy(&((struct netdev_host *)o)->lock);
}

static int host_base_realize(struct vm_obj *o, struct vm_error **errp)
{
	struct netdev_host *h = (struct netdev_host *)o;
	int fd;

	if (!h->inst_ops) {
		/* The most derived host level that brings ops. */
		h->ops = NULL;
		for (const struct obj_class *k = o->klass; k && !h->ops;
		     k = k->parent) {
			if (k->host && k->host->netdev_ops) {
				h->ops = k->host->netdev_ops;
				h->opaque = k->host->opaque;
			}
		}
	}
	/* A host type may do without (the guest's frames are then refused
	 * and counted); a "callback" netdev without callbacks is a mistake. */
	if (!h->ops && o->klass->type == &netdev_host_type)
		return verr_set(errp, -EINVAL,
				"netdev '%s': no frame callbacks: call vm_netdev_set_ops() before vm_start()",
				o->id);
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return verr_set_errno(errp, -errno, "netdev '%s': eventfd",
				      o->id);
	h->efd = fd;
	h->nd.caps = NETDEV_CAP_RX_FD |
		     (h->ops && OPS_HAS(h->ops, send_batch) ? NETDEV_CAP_TX_BATCH
							    : 0);
	h->nd.queues = 1;
	pthread_mutex_lock(&h->lock);
	h->open = true;
	h->head = h->count = 0;
	h->want_ready = false;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static void host_base_unrealize(struct vm_obj *o)
{
	struct netdev_host *h = (struct netdev_host *)o;

	pthread_mutex_lock(&h->lock);
	h->open = false;
	for (; h->count; h->count--) {
		free(h->fifo[h->head]);
		h->fifo[h->head] = NULL;
		h->head = (h->head + 1) % VM_NETDEV_RX_FRAMES;
	}
	pthread_mutex_unlock(&h->lock);
	if (h->efd >= 0)
		close(h->efd);
	h->efd = -1;
}

static const struct netdev_ops host_ops = {
	.send = host_send,
	.send_batch = host_send_batch,
	.recv = host_recv,
	.rx_fd = host_rx_fd,
};

static void host_class_init(struct obj_class *k)
{
	((struct netdev_class *)k)->ops = &host_ops;
}

const struct type netdev_host_type = {
	.name = TYPE_NETDEV_HOST,
	.parent = TYPE_NETDEV,
	.class_size = sizeof(struct netdev_class),
	.instance_size = sizeof(struct netdev_host),
	.class_init = host_class_init,
	.instance_init = host_instance_init,
	.base_realize = host_base_realize,
	.base_unrealize = host_base_unrealize,
	.finalize = host_finalize,
};
