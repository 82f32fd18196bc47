/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/netdev.h: the network backend interface (QEMU's NetClientState,
 * much smaller). Backends are types derived from "netdev"; the device that
 * links to one (its "peer") drives it through this interface only. The
 * netdev layer knows nothing of PCI or virtio rings.
 *
 * Data path contract:
 *   - guest -> backend: netdev_send() one frame as an iovec; when the
 *     backend was told a vnet header length (netdev_set_vnet_hdr_len), the
 *     frame starts with that header.
 *   - send may return -EAGAIN (backend full): the device keeps the frame
 *     and waits for netdev_tx_fd() to poll writable (or retries after a
 *     short sleep when the backend has no such fd); nothing is dropped
 *     for that reason.
 *   - backend -> guest: pull model. The backend gives a readiness fd per
 *     queue (netdev_rx_fd) that the device's I/O thread polls; when it is
 *     readable the device calls netdev_recv() into guest buffers.
 *   - vhost-style backends (NETDEV_CAP_VHOST) take whole rings instead
 *     (vhost_start / vhost_stop): the device hands over ring addresses and
 *     the transport's eventfds and never touches those rings itself.
 *   Capabilities are read once at realize (->caps, ->queues), not asked
 *   through one hook each.
 *
 * Threads: realize/unrealize on the API thread; send/recv on the device's
 * I/O thread(s), one thread per queue pair at most. Locking: ->peer is
 * written only by the API thread before vCPUs run; ops are called for one
 * queue from one thread at a time, so backends need no lock per queue.
 */
#ifndef LIB_NET_NETDEV_H
#define LIB_NET_NETDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "../core/obj.h"

#define TYPE_NETDEV "netdev"
/* The host netdev adapter (host.c), base of host types with parent
 * "netdev". */
#define TYPE_NETDEV_HOST "callback"

#define NETDEV_CAP_VNET_HDR (1u << 0) /* can carry a virtio-net header */
#define NETDEV_CAP_VHOST (1u << 2)    /* can take whole queues */
#define NETDEV_CAP_RX_FD (1u << 3)    /* netdev_rx_fd() works */
/* ->send_batch takes a burst in one call (not a loop over ->send): the
 * device hands its TX bursts over with netdev_send_batch(). */
#define NETDEV_CAP_TX_BATCH (1u << 4)
/* The backend reports losing and regaining its peer with
 * netdev_link_changed() (the device's link follows). */
#define NETDEV_CAP_LINK (1u << 5)

#define NETDEV_MAX_QUEUES 16

struct netdev;

/* One ring handed to a vhost-style backend: its virtqueue number, size,
 * host addresses of its three parts (inside guest RAM, already checked),
 * the index to start from, and the transport's kick and call eventfds. */
struct netdev_vring {
	uint32_t index, size;
	void *desc, *avail, *used;
	uint16_t base;
	int kick_fd, call_fd;
};

struct gmem;

/* What a vhost-style backend gets at the guest's DRIVER_OK. */
struct netdev_vhost_start {
	uint64_t features;            /* the guest's accepted VIRTIO_* bits */
	const struct gmem *gm;        /* guest RAM (fd-backed) */
	unsigned nr_rings;
	const struct netdev_vring *vr;
	uint16_t mtu;                 /* 0: none configured */
	/* vm_resume after vm_pause: each ring starts again from the index
	 * the backend gave back when it stopped (GET_VRING_BASE at the
	 * pause), where it gave one; vr[].base otherwise. */
	bool resume;
};

/* One frame of a batch. */
struct netdev_frame {
	const struct iovec *iov;
	int iovcnt;
};

struct netdev_ops {
	/* Send one frame; returns bytes sent, -EAGAIN when full. */
	ssize_t (*send)(struct netdev *nd, unsigned queue,
			const struct iovec *iov, int iovcnt);
	/* Optional: send up to @n frames at once (e.g. one sendmmsg or one
	 * vhost kick); returns how many were taken, or -errno if none. */
	int (*send_batch)(struct netdev *nd, unsigned queue,
			  const struct netdev_frame *f, unsigned n);
	/* Receive one frame into iov; bytes, or -EAGAIN when empty. */
	ssize_t (*recv)(struct netdev *nd, unsigned queue,
			const struct iovec *iov, int iovcnt);
	/* fd that polls readable when recv() has a frame; -ENOTSUP. */
	int (*rx_fd)(struct netdev *nd, unsigned queue);
	/* Optional: fd that polls writable when send() may take a frame
	 * again after -EAGAIN; -ENOTSUP (the device then retries). */
	int (*tx_fd)(struct netdev *nd, unsigned queue);
	/* Optional: only queues [0, n) carry traffic (the guest's
	 * VQ_PAIRS_SET); a multiqueue tap detaches the others. */
	int (*set_queues)(struct netdev *nd, unsigned n);
	/* Use a vnet header of @len bytes (0: none); -ENOTSUP. */
	int (*set_vnet_hdr_len)(struct netdev *nd, unsigned len);
	/* Apply the VIRTIO_NET_F_GUEST_* offloads the guest accepted (bits
	 * of @guest_features; 0 turns them all off). */
	int (*set_offload)(struct netdev *nd, uint64_t guest_features);
	/* NETDEV_CAP_VHOST: take the rings (the guest's DRIVER_OK) and give
	 * them back (its reset); stop returns promptly even when the
	 * backend does not answer (each exchange is time-bounded). */
	int (*vhost_start)(struct netdev *nd, const struct netdev_vhost_start *s,
			   struct vm_error **errp);
	int (*vhost_stop)(struct netdev *nd, struct vm_error **errp);
	/* Optional: the VM is stopping (vm_stop, any thread): an exchange
	 * with the backend in progress ends now and none starts again, so
	 * no vCPU waits for an unresponsive backend. Must not block. */
	void (*cancel)(struct netdev *nd);
};

struct netdev_class {
	struct obj_class parent;
	const struct netdev_ops *ops;
};

struct netdev {
	struct vm_obj obj;
	struct vm_obj *peer; /* the device that links to us, NULL if none */
	uint32_t caps;       /* NETDEV_CAP_*, valid after realize */
	uint32_t queues;     /* queue pairs, valid after realize */
	/* VIRTIO_NET_F_* offload bits the backend honours with a vnet
	 * header (CSUM, HOST_TSO4/6, HOST_ECN: frames it takes; GUEST_CSUM,
	 * GUEST_TSO4/6, GUEST_ECN: frames it may give once set_offload
	 * allows them), probed at realize. */
	uint64_t offloads;
	/* NETDEV_CAP_VHOST: the VIRTIO_* feature bits the backend offers
	 * (the device offers the ring and offload ones only if set here). */
	uint64_t vhost_features;
	/* A vhost-style backend went away (false) or came back (true):
	 * called from the backend's own thread with ->notify_lock held;
	 * set by the peer device through netdev_set_link_notify(). */
	pthread_mutex_t notify_lock;
	void (*link_notify)(void *opaque, bool up);
	void *link_opaque;
	/* The backend reported an error on ring @ring (vhost-user's
	 * SET_VRING_ERR eventfd): same thread and lock as link_notify. */
	void (*ring_err_notify)(void *opaque, unsigned ring);
	void *ring_err_opaque;
	/* Guarded by ->notify_lock: the last netdev_link_changed() said
	 * down, or the backend starts without its peer (set before realize
	 * returns, e.g. a vhost-user server with wait=off). */
	bool link_down;
};

static inline struct netdev *to_netdev(struct vm_obj *o)
{
	return OBJ_CHECK(struct netdev, o, TYPE_NETDEV);
}

static inline const struct netdev_ops *netdev_ops(struct netdev *nd)
{
	return ((struct netdev_class *)nd->obj.klass)->ops;
}

extern const struct type netdev_type;

/* Bind @dev as the peer of @nd; -EBUSY naming the other device. */
int __must_check netdev_attach(struct netdev *nd, struct vm_obj *dev,
			       struct vm_error **errp);
void netdev_detach(struct netdev *nd, struct vm_obj *dev);

ssize_t netdev_send(struct netdev *nd, unsigned q, const struct iovec *iov,
		    int iovcnt);
/* Send frames in order until one does not go; returns how many went, or
 * the first frame's -errno. Uses ->send_batch when the backend has one. */
int netdev_send_batch(struct netdev *nd, unsigned q,
		      const struct netdev_frame *f, unsigned n);
ssize_t netdev_recv(struct netdev *nd, unsigned q, const struct iovec *iov,
		    int iovcnt);
int netdev_rx_fd(struct netdev *nd, unsigned q);
int netdev_tx_fd(struct netdev *nd, unsigned q);
int netdev_set_vnet_hdr_len(struct netdev *nd, unsigned len);
int netdev_set_offload(struct netdev *nd, uint64_t guest_features);
int netdev_set_queues(struct netdev *nd, unsigned n);
int netdev_vhost_start(struct netdev *nd, const struct netdev_vhost_start *s,
		       struct vm_error **errp);
int netdev_vhost_stop(struct netdev *nd, struct vm_error **errp);
void netdev_cancel(struct netdev *nd);
/* The peer device's handler for backend loss and return (NULL: none).
 * Once this returns with NULL, the handler is not running and will not
 * be called again. If the link is down now (->link_down), @fn is called
 * with false before this returns, so the device starts with the link the
 * backend has. Any thread but the handler's. */
void netdev_set_link_notify(struct netdev *nd, void (*fn)(void *, bool),
			    void *opaque);
/* The backend's thread: tell the peer device (no lock of ours held).
 * Also before the device exists (a backend that starts without its
 * peer): the state is kept, and netdev_set_link_notify() hands a down
 * link to the handler it sets. */
void netdev_link_changed(struct netdev *nd, bool up);
/* The peer device's handler for ring errors (NULL: none), as
 * netdev_set_link_notify; netdev_ring_error() calls it from the
 * backend's thread. */
void netdev_set_ring_err_notify(struct netdev *nd,
				void (*fn)(void *, unsigned), void *opaque);
void netdev_ring_error(struct netdev *nd, unsigned ring);

/* host.c: can @ops serve as a host netdev's callbacks (size, ->send)? */
bool netdev_host_ops_valid(const struct vm_netdev_ops *ops);

#endif
