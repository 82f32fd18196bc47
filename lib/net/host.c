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
 * Queues: property queues=N (1..NETDEV_MAX_QUEUES) gives N queue pairs;
 * each has its own FIFO and eventfd, the guest's frames reach the host
 * with the queue they came from, and the host pushes to the queue it
 * chooses (a device with fewer pairs, or a guest that uses fewer, leaves
 * the other queues' frames waiting: -EAGAIN once full).
 *
 * Backpressure: each FIFO holds VM_NETDEV_RX_FRAMES frames. A push that
 * finds it full returns -EAGAIN and leaves its ->want_ready set; the next
 * recv on that queue that makes room calls ->rx_ready once. The device
 * stops pulling while the guest has no receive buffers (virtio-net-io.c),
 * so "full" means the guest is not taking frames. A queue's eventfd is
 * readable exactly while its FIFO is not empty (written when it becomes
 * non-empty, drained when it becomes empty, both under ->lock): it is the
 * rx fd the device polls.
 *
 * Threads: instance_init, set_ops, base_realize, base_unrealize and
 * finalize on the API thread; send, send_batch, recv and rx_fd on the
 * device's I/O threads (one queue, one thread); vm_netdev_push[v] on any
 * host thread. The host's callbacks run on the I/O thread with no lock of
 * ours held.
 * Locking: ->lock guards ->open, each queue's eventfd counter, FIFO
 * (->fifo, ->head, ->count) and ->want_ready. ->ops, ->opaque, ->nq, ->q
 * (the array) and the eventfd numbers are written on the API thread
 * before realize returns (->q and the fds are freed after unrealize,
 * when the device no longer calls in), read-only in between.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../core/obj.h"
#include "../core/prop.h"
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

struct host_queue {
	int efd;             /* readable while the FIFO is not empty */
	bool want_ready;     /* a push was refused: call ->rx_ready */
	unsigned head, count;
	struct host_frame *fifo[VM_NETDEV_RX_FRAMES];
};

struct netdev_host {
	struct netdev nd;
	const struct vm_netdev_ops *ops;
	void *opaque;
	bool inst_ops;       /* ops given by vm_netdev_set_ops() */
	uint32_t nq;         /* property "queues" */
	pthread_mutex_t lock;
	bool open;           /* between base_realize and base_unrealize */
	struct host_queue *q; /* nq entries while realized */
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
	struct host_queue *hq;
	struct host_frame *f;
	bool ready;
	size_t off = 0;
	uint64_t v;

	pthread_mutex_lock(&h->lock);
	hq = h->open && q < h->nq ? &h->q[q] : NULL;
	if (!hq || !hq->count) {
		pthread_mutex_unlock(&h->lock);
		return -EAGAIN;
	}
	f = hq->fifo[hq->head];
	hq->fifo[hq->head] = NULL;
	hq->head = (hq->head + 1) % VM_NETDEV_RX_FRAMES;
	if (--hq->count == 0)
		(void)!read(hq->efd, &v, sizeof(v));
	ready = hq->want_ready;
	hq->want_ready = false;
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
	struct netdev_host *h = to_host(nd);

	return h->q && q < h->nq ? h->q[q].efd : -ENOTSUP;
}

int vm_netdev_pushv(struct vm_obj *netdev, unsigned queue,
		    const struct iovec *iov, int iovcnt)
{
	struct netdev_host *h = host_of(netdev);
	struct host_queue *hq;
	struct host_frame *f;
	size_t len = 0, off = 0;
	uint64_t one = 1;
	int rc = 0;

	if (!h || queue >= h->nq || iovcnt < 0 || (iovcnt && !iov))
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
	hq = h->open ? &h->q[queue] : NULL;
	if (!hq) {
		rc = -ENODEV;
	} else if (hq->count == VM_NETDEV_RX_FRAMES) {
		hq->want_ready = true;
		rc = -EAGAIN;
	} else {
		hq->fifo[(hq->head + hq->count) % VM_NETDEV_RX_FRAMES] = f;
		if (hq->count++ == 0)
			(void)!write(hq->efd, &one, sizeof(one));
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
	pthread_mutex_init(&((struct netdev_host *)o)->lock, NULL);
}

/* Close and free what host_queues_open() made (API thread, not open). */
static void host_queues_free(struct netdev_host *h)
{
	for (unsigned i = 0; h->q && i < h->nq; i++) {
		struct host_queue *hq = &h->q[i];

		for (; hq->count; hq->count--) {
			free(hq->fifo[hq->head]);
			hq->head = (hq->head + 1) % VM_NETDEV_RX_FRAMES;
		}
		if (hq->efd >= 0)
			close(hq->efd);
	}
	free(h->q);
	h->q = NULL;
}

static int host_queues_open(struct netdev_host *h, struct vm_error **errp)
{
	h->q = calloc(h->nq, sizeof(*h->q));
	if (!h->q)
		return verr_set(errp, -ENOMEM, "netdev '%s': out of memory",
				h->nd.obj.id);
	for (unsigned i = 0; i < h->nq; i++)
		h->q[i].efd = -1;
	for (unsigned i = 0; i < h->nq; i++) {
		h->q[i].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (h->q[i].efd < 0) {
			int rc = -errno;

			host_queues_free(h);
			return verr_set_errno(errp, rc,
					      "netdev '%s': eventfd",
					      h->nd.obj.id);
		}
	}
	return 0;
}

static void host_finalize(struct vm_obj *o)
{
	pthread_mutex_destroy(&((struct netdev_host *)o)->lock);
}

static int host_base_realize(struct vm_obj *o, struct vm_error **errp)
{
	struct netdev_host *h = (struct netdev_host *)o;
	int rc;

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
	rc = host_queues_open(h, errp);
	if (rc < 0)
		return rc;
	h->nd.caps = NETDEV_CAP_RX_FD |
		     (h->ops && OPS_HAS(h->ops, send_batch) ? NETDEV_CAP_TX_BATCH
							    : 0);
	h->nd.queues = h->nq;
	pthread_mutex_lock(&h->lock);
	h->open = true;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static void host_base_unrealize(struct vm_obj *o)
{
	struct netdev_host *h = (struct netdev_host *)o;

	pthread_mutex_lock(&h->lock);
	h->open = false;
	pthread_mutex_unlock(&h->lock);
	host_queues_free(h);
}

static const struct netdev_ops host_ops = {
	.send = host_send,
	.send_batch = host_send_batch,
	.recv = host_recv,
	.rx_fd = host_rx_fd,
};

#define S struct netdev_host
static const struct vm_prop_desc host_props[] = {
	PROP_U32("queues", S, nq, 0, "1", 1, NETDEV_MAX_QUEUES,
		 "queue pairs (each with its own frames both ways)"),
	PROP_END,
};
#undef S

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
	.props = host_props,
};
