/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/virtio-net.c: the virtio-net device model (virtio 1.2 §5.1)
 * on lib/virtio and the netdev interface; no PCI here.
 *
 * Data path:
 *   TX: a kick on txN pops every chain, strips nothing when the backend
 *       carries the 12-byte virtio_net_hdr_v1 (else skips it) and sends the
 *       frame; the chain is returned with len 0. A frame the backend refuses
 *       (-EAGAIN) is dropped and counted (TODO(#net-tx-retry): wait for the
 *       backend to drain instead).
 *   RX: the I/O thread reads one frame into a host bounce buffer (header +
 *       up to 64 KiB), then scatters it into as many writable chains as it
 *       needs (MRG_RXBUF: num_buffers = chains used; otherwise one chain
 *       must hold it, else the frame is dropped). With no guest buffers the
 *       frame stays in the bounce buffer, the backend fd is no longer
 *       polled, and the next rx kick resumes.
 *   ctrl: RX/MAC/ANNOUNCE commands are acked, MQ VQ_PAIRS_SET within range
 *       too; everything else gets VIRTIO_NET_ERR.
 * Interrupts go through vio_notify_queue() (transport -> MSI-X -> irq sink).
 * ioeventfd/irqfd are a later optimisation: kicks take the vCPU exit today.
 *
 * Threads: vCPU threads run ops->queue_notify (TX and ctrl on the kicking
 * vCPU, RX kicks only wake the I/O thread), ops->reset and ops->driver_ok
 * (device lock held). One RX I/O thread per device (started at
 * vnet_init when the backend has an rx fd, "vnet-<name>"), polling an
 * eventfd (wake/stop) and the backend rx fd of every rx queue that wants
 * frames.
 * Locking: each queue's ->lock guards that vq's ring state (pop/push/
 * should_notify), ->active and the bounce buffer; two vCPUs kicking the same
 * tx queue serialise on it. Interrupts are raised after the queue lock is
 * dropped. Lock order: device lock -> queue lock (reset and driver_ok take
 * queue locks with the device lock held); the I/O thread never takes the
 * device lock. Reset quiesces by clearing ->active under each queue lock:
 * after that no thread touches the rings until the next DRIVER_OK.
 * Known limit: a guest error found inside vq_pop() raises a config
 * interrupt with a queue lock held; that can only deadlock against a
 * device reset written through the PCI_CFG window (func->lock -> device
 * lock -> queue lock), which no Linux driver does.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "virtio-net.h"

#define VNET_BOUNCE_SIZE (VNET_HDR_LEN + 65536u + 256u)
#define VNET_CONFIG_LEN (offsetof(struct virtio_net_config, mtu) + 2)
#define BIT(b) (1ull << (b))

/* Per rx queue host state (n->rx[pair]). */
struct vnet_rx {
	uint8_t *bounce;       /* VNET_BOUNCE_SIZE bytes; under queue lock */
	uint32_t pending;      /* bytes of a frame waiting, 0: none */
	int fd;                /* backend rx fd, -1 if none */
	unsigned first_cnt;    /* iovecs of the first chain, in iov2 */
	uint16_t *heads;       /* vq max_size entries */
	uint32_t *lens;
};

static struct vnet *to_vnet(struct vio_dev *d)
{
	return (struct vnet *)d; /* vdev is the first member */
}

/* ---- iovec helpers (bounds are the iovec's own) ---- */

/* Copy @len bytes between @buf and the iovec from byte @off on, towards the
 * iovec when @to_iov; returns the bytes copied (less at the iovec's end). */
static size_t iov_copy(const struct iovec *iov, unsigned cnt, size_t off,
		       void *buf, size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned i = 0; i < cnt && done < len; i++) {
		size_t l = iov[i].iov_len, n;
		uint8_t *p;

		if (off >= l) {
			off -= l;
			continue;
		}
		n = MIN(l - off, len - done);
		p = (uint8_t *)iov[i].iov_base + off;
		if (to_iov)
			memcpy(p, (uint8_t *)buf + done, n);
		else
			memcpy((uint8_t *)buf + done, p, n);
		done += n;
		off = 0;
	}
	return done;
}

static size_t iov_to_buf(const struct iovec *iov, unsigned cnt, size_t off,
			 void *buf, size_t len)
{
	return iov_copy(iov, cnt, off, buf, len, false);
}

static size_t iov_from_buf(const struct iovec *iov, unsigned cnt, size_t off,
			   const void *buf, size_t len)
{
	return iov_copy(iov, cnt, off, (void *)buf, len, true);
}

/* @dst (capacity @cap) = @src without its first @skip bytes. */
static unsigned iov_skip(const struct iovec *src, unsigned cnt, size_t skip,
			 struct iovec *dst, unsigned cap)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cnt && n < cap; i++) {
		size_t l = src[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		dst[n].iov_base = (uint8_t *)src[i].iov_base + skip;
		dst[n].iov_len = l - skip;
		skip = 0;
		n++;
	}
	return n;
}

/* ---- config (virtio 1.2 §5.1.4) ---- */

static void vnet_get_config(struct vio_dev *d, uint32_t off, void *buf,
			    uint32_t len)
{
	struct vnet *n = to_vnet(d);
	struct virtio_net_config c;

	memset(&c, 0, sizeof(c));
	memcpy(c.mac, n->mac, sizeof(c.mac));
	c.status = htole16(VIRTIO_NET_S_LINK_UP);
	c.max_virtqueue_pairs = htole16((uint16_t)n->pairs);
	c.mtu = htole16(n->mtu);
	memcpy(buf, (uint8_t *)&c + off, len);
}

/* ---- TX ---- */

static void vnet_tx(struct vnet *n, unsigned q)
{
	struct vio_dev *d = &n->vdev;
	struct vnet_queue *vqs = &n->q[q];
	struct vq *vq = &d->vqs[q];
	struct vq_elem e = { .iov = vqs->iov, .iov_cap = vq->max_size };
	const char *bad = NULL;
	bool notify = false;

	pthread_mutex_lock(&vqs->lock);
	while (vqs->active) {
		const struct iovec *iov = e.iov;
		unsigned cnt;
		ssize_t r;
		int rc = vq_pop(vq, n->gm, &e);

		if (rc == 0 && vq_set_notification(vq, true))
			continue;
		if (rc <= 0)
			break;
		/* virtio 1.2 §5.1.6.2: the driver MUST NOT make tx buffers
		 * device-writable, and every packet starts with the header. */
		if (e.in_num) {
			bad = "tx chain has device-writable buffers";
		} else if (e.out_len < VNET_HDR_LEN) {
			bad = "tx chain shorter than the virtio-net header";
		}
		if (bad) {
			vq->broken = true;
			break;
		}
		cnt = e.out_num;
		if (!n->backend_hdr) {
			cnt = iov_skip(e.iov, e.out_num, VNET_HDR_LEN, vqs->iov2,
				       vq->max_size);
			iov = vqs->iov2;
		}
		r = n->peer ? netdev_send(n->peer, q / 2, iov, (int)cnt) : 0;
		if (r < 0)
			__atomic_add_fetch(&vqs->dropped, 1, __ATOMIC_RELAXED);
		if (vq_push(vq, e.head, 0) == 0 && vq_should_notify(vq))
			notify = true;
	}
	pthread_mutex_unlock(&vqs->lock);
	if (bad)
		vio_dev_needs_reset(d, "queue %u: %s", q, bad);
	if (notify)
		vio_notify_queue(d, q);
}

/* ---- RX ---- */

/* Deliver the pending frame: 1 done, 0 not enough buffers (nothing
 * consumed), -1 a guest error (*bad says which) or a broken queue. */
static int vnet_rx_deliver(struct vnet *n, unsigned pair, struct vnet_rx *rx,
			   const char **bad)
{
	struct vio_dev *d = &n->vdev;
	unsigned q = vnet_rxq(pair);
	struct vnet_queue *vqs = &n->q[q];
	struct vq *vq = &d->vqs[q];
	bool mrg = vio_dev_has_feature(d, VIRTIO_NET_F_MRG_RXBUF);
	uint32_t total = rx->pending, off = 0;
	unsigned used = 0;
	uint16_t nb;

	while (off < total) {
		struct vq_elem e = { .iov = vqs->iov, .iov_cap = vq->max_size };
		int rc = vq_pop(vq, n->gm, &e);
		uint32_t l;

		if (rc < 0) {
			if (used)
				vq_unpop(vq, (uint16_t)used);
			return -1;
		}
		if (rc == 0) {
			if (used)
				vq_unpop(vq, (uint16_t)used);
			return 0;
		}
		/* virtio 1.2 §5.1.6.3.1: rx buffers are device-writable and
		 * hold at least the header. */
		if (e.out_num || e.in_len < VNET_HDR_LEN) {
			*bad = e.out_num ? "rx chain has device-readable buffers"
					 : "rx chain shorter than the virtio-net header";
			vq->broken = true;
			return -1;
		}
		if (!mrg && e.in_len < total) {
			/* Without MRG_RXBUF one chain holds the whole packet:
			 * this one cannot, so the frame is dropped and the
			 * buffer kept. */
			vq_unpop(vq, 1);
			__atomic_add_fetch(&vqs->dropped, 1, __ATOMIC_RELAXED);
			rx->pending = 0;
			return 1;
		}
		l = (uint32_t)MIN((uint64_t)(total - off), e.in_len);
		iov_from_buf(e.iov, e.in_num, 0, rx->bounce + off, l);
		if (!used) {
			memcpy(vqs->iov2, e.iov + e.out_num, e.in_num * sizeof(*e.iov));
			rx->first_cnt = e.in_num;
		}
		rx->heads[used] = e.head;
		rx->lens[used] = l;
		used++;
		off += l;
	}
	/* virtio 1.2 §5.1.6.4: num_buffers in the first buffer's header
	 * (1 without MRG_RXBUF); the bounce header said 1, patch it through
	 * the first chain's iovecs kept in ->iov2. */
	if (used > 1) {
		nb = htole16((uint16_t)used);
		iov_from_buf(vqs->iov2, rx->first_cnt, 10, &nb, sizeof(nb));
	}
	for (unsigned i = 0; i < used; i++)
		(void)vq_push(vq, rx->heads[i], rx->lens[i]);
	rx->pending = 0;
	return 1;
}

/* Move frames from the backend into rx queue of @pair until the backend is
 * empty or the guest has no buffers. I/O thread only. */
static void vnet_rx_flush(struct vnet *n, unsigned pair)
{
	struct vio_dev *d = &n->vdev;
	unsigned q = vnet_rxq(pair);
	struct vnet_queue *vqs = &n->q[q];
	struct vnet_rx *rx = &n->rx[pair];
	struct vq *vq = &d->vqs[q];
	const char *bad = NULL;
	bool notify = false, want = false;
	int r;

	pthread_mutex_lock(&vqs->lock);
	while (vqs->active && !vq->broken) {
		if (!rx->pending) {
			struct iovec iov;
			ssize_t got;

			if (n->backend_hdr) {
				iov.iov_base = rx->bounce;
				iov.iov_len = VNET_BOUNCE_SIZE;
			} else {
				memset(rx->bounce, 0, VNET_HDR_LEN);
				iov.iov_base = rx->bounce + VNET_HDR_LEN;
				iov.iov_len = VNET_BOUNCE_SIZE - VNET_HDR_LEN;
			}
			got = netdev_recv(n->peer, pair, &iov, 1);
			if (got == -EAGAIN || got == -EWOULDBLOCK) {
				want = true;  /* poll the backend again */
				break;
			}
			if (got < 0 || (n->backend_hdr && got < VNET_HDR_LEN)) {
				/* a backend hiccup: drop it, go on */
				__atomic_add_fetch(&vqs->dropped, 1,
						   __ATOMIC_RELAXED);
				continue;
			}
			rx->pending = (uint32_t)got +
				      (n->backend_hdr ? 0 : VNET_HDR_LEN);
			/* num_buffers (the backend leaves bytes 10..11). */
			rx->bounce[10] = 1;
			rx->bounce[11] = 0;
		}
		r = vnet_rx_deliver(n, pair, rx, &bad);
		if (r < 0)
			break;
		if (r == 0) {
			/* No (or too few) buffers: wait for a kick. rx
			 * notifications stay enabled, so the guest kicks
			 * for every buffer it adds after this. */
			want = false;
			break;
		}
		if (vq_should_notify(vq))
			notify = true;
	}
	__atomic_store_n(&vqs->want_rx, want, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vqs->lock);
	if (bad)
		vio_dev_needs_reset(d, "queue %u: %s", q, bad);
	if (notify)
		vio_notify_queue(d, q);
}

static void vnet_wake(struct vnet *n)
{
	uint64_t one = 1;

	if (n->wake_fd >= 0 && write(n->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the thread wakes up anyway */
	}
}

static void *vnet_thread(void *opaque)
{
	struct vnet *n = opaque;
	struct pollfd pfd[1 + NETDEV_MAX_QUEUES];
	unsigned map[1 + NETDEV_MAX_QUEUES];

	while (!__atomic_load_n(&n->stop, __ATOMIC_ACQUIRE)) {
		unsigned nfd = 1, i;

		pfd[0] = (struct pollfd){ .fd = n->wake_fd, .events = POLLIN };
		for (i = 0; i < n->pairs; i++) {
			if (n->rx[i].fd < 0 ||
			    !__atomic_load_n(&n->q[vnet_rxq(i)].want_rx,
					     __ATOMIC_ACQUIRE))
				continue;
			map[nfd] = i;
			pfd[nfd++] = (struct pollfd){ .fd = n->rx[i].fd,
						      .events = POLLIN };
		}
		if (poll(pfd, nfd, -1) < 0)
			continue; /* EINTR */
		if (pfd[0].revents & POLLIN) {
			uint64_t v;

			if (read(n->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: someone else drained it */
			}
			/* a kick or DRIVER_OK: try every queue */
			for (i = 0; i < n->pairs; i++)
				if (n->rx[i].fd >= 0)
					vnet_rx_flush(n, i);
			continue;
		}
		for (i = 1; i < nfd; i++)
			if (pfd[i].revents)
				vnet_rx_flush(n, map[i]);
	}
	return NULL;
}

/* ---- control queue (virtio 1.2 §5.1.6.5) ---- */

static uint8_t vnet_ctrl_cmd(struct vnet *n, const uint8_t *b, size_t len)
{
	uint16_t pairs;

	if (len < 2)
		return VIRTIO_NET_ERR;
	switch (b[0]) {
	case VIRTIO_NET_CTRL_RX:
		return b[1] <= VIRTIO_NET_CTRL_RX_NOBCAST ? VIRTIO_NET_OK
							  : VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_MAC:
		return b[1] == VIRTIO_NET_CTRL_MAC_TABLE_SET ||
		       b[1] == VIRTIO_NET_CTRL_MAC_ADDR_SET ? VIRTIO_NET_OK
							  : VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_ANNOUNCE:
		return b[1] == VIRTIO_NET_CTRL_ANNOUNCE_ACK ? VIRTIO_NET_OK
							     : VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_MQ:
		if (b[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || len < 4 ||
		    !vio_dev_has_feature(&n->vdev, VIRTIO_NET_F_MQ))
			return VIRTIO_NET_ERR;
		memcpy(&pairs, b + 2, sizeof(pairs));
		pairs = le16toh(pairs);
		/* §5.1.6.5.5: 1 ..= max_virtqueue_pairs. All pairs are
		 * served whatever the count, so nothing else changes. */
		return pairs >= 1 && pairs <= n->pairs ? VIRTIO_NET_OK
						       : VIRTIO_NET_ERR;
	default:
		return VIRTIO_NET_ERR;
	}
}

static void vnet_ctrl(struct vnet *n, unsigned q)
{
	struct vio_dev *d = &n->vdev;
	struct vnet_queue *vqs = &n->q[q];
	struct vq *vq = &d->vqs[q];
	struct vq_elem e = { .iov = vqs->iov, .iov_cap = vq->max_size };
	const char *bad = NULL;
	bool notify = false;

	pthread_mutex_lock(&vqs->lock);
	while (vqs->active) {
		uint8_t b[8];
		size_t len;
		uint8_t ack;
		int rc = vq_pop(vq, n->gm, &e);

		if (rc <= 0)
			break;
		/* §5.1.6.5: class, command, data (readable), ack (the
		 * last writable byte). */
		if (!e.in_len || e.out_len < 2) {
			bad = "control command without header or ack byte";
			vq->broken = true;
			break;
		}
		len = iov_to_buf(e.iov, e.out_num, 0, b, sizeof(b));
		ack = vnet_ctrl_cmd(n, b, len);
		iov_from_buf(e.iov + e.out_num, e.in_num, e.in_len - 1, &ack, 1);
		if (vq_push(vq, e.head, 1) == 0 && vq_should_notify(vq))
			notify = true;
	}
	pthread_mutex_unlock(&vqs->lock);
	if (bad)
		vio_dev_needs_reset(d, "queue %u: %s", q, bad);
	if (notify)
		vio_notify_queue(d, q);
}

/* ---- vio_dev_ops ---- */

static void vnet_queue_notify(struct vio_dev *d, unsigned q)
{
	struct vnet *n = to_vnet(d);

	if (q == n->ctrl_q) {
		vnet_ctrl(n, q);
	} else if (q & 1) {
		vnet_tx(n, q);
	} else {
		__atomic_store_n(&n->q[q].want_rx, 1, __ATOMIC_RELEASE);
		vnet_wake(n);
	}
}

/* Device lock held: stop every queue's data path (the I/O thread and
 * kicking vCPUs see !active under the queue lock and leave the rings). */
static void vnet_reset(struct vio_dev *d)
{
	struct vnet *n = to_vnet(d);

	for (unsigned q = 0; q < d->nr_queues; q++) {
		pthread_mutex_lock(&n->q[q].lock);
		n->q[q].active = false;
		__atomic_store_n(&n->q[q].want_rx, 0, __ATOMIC_RELEASE);
		if (q < 2 * n->pairs && !(q & 1))
			n->rx[q / 2].pending = 0; /* the frame is dropped */
		pthread_mutex_unlock(&n->q[q].lock);
	}
}

static void vnet_driver_ok(struct vio_dev *d)
{
	struct vnet *n = to_vnet(d);

	if (n->peer && (n->peer->caps & NETDEV_CAP_OFFLOAD) && n->backend_hdr) {
		const struct netdev_ops *ops = netdev_ops(n->peer);

		if (ops && ops->set_offload &&
		    ops->set_offload(n->peer, d->guest_features) < 0)
			vlog_warn(d->log, d->name,
				  "backend refused the guest's offloads");
	}
	for (unsigned q = 0; q < d->nr_queues; q++) {
		pthread_mutex_lock(&n->q[q].lock);
		n->q[q].active = vq_is_ready(&d->vqs[q]);
		pthread_mutex_unlock(&n->q[q].lock);
	}
	for (unsigned i = 0; i < n->pairs; i++)
		__atomic_store_n(&n->q[vnet_rxq(i)].want_rx, 1,
				 __ATOMIC_RELEASE);
	vnet_wake(n);
}

static const struct vio_dev_ops vnet_ops = {
	.get_config = vnet_get_config,
	.queue_notify = vnet_queue_notify,
	.reset = vnet_reset,
	.driver_ok = vnet_driver_ok,
};

/* ---- life cycle ---- */

static uint64_t vnet_features(const struct vnet *n, const struct vnet_config *c)
{
	uint64_t f = BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |
		     BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_CTRL_VQ) |
		     BIT(VIRTIO_RING_F_EVENT_IDX) |
		     BIT(VIRTIO_RING_F_INDIRECT_DESC);

	if (c->pairs > 1)
		f |= BIT(VIRTIO_NET_F_MQ);
	if (c->mtu)
		f |= BIT(VIRTIO_NET_F_MTU);
	/* Offloads only if the backend takes the header and can be told
	 * which offloads the guest accepted (tap: yes; null: no). */
	if (n->backend_hdr && (c->peer->caps & NETDEV_CAP_OFFLOAD))
		f |= BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
		     BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |
		     BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6);
	f &= c->allowed | BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |
	     BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_MTU);
	/* virtio 1.2 §5.1.3.1: dependencies. */
	if (!(f & BIT(VIRTIO_NET_F_CSUM)))
		f &= ~(BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6));
	if (!(f & BIT(VIRTIO_NET_F_GUEST_CSUM)))
		f &= ~(BIT(VIRTIO_NET_F_GUEST_TSO4) |
		       BIT(VIRTIO_NET_F_GUEST_TSO6));
	if (!(f & BIT(VIRTIO_NET_F_CTRL_VQ)))
		f &= ~BIT(VIRTIO_NET_F_MQ);
	return f;
}

int vnet_init(struct vnet *n, const struct vnet_config *c,
	      struct vm_error **errp)
{
	uint16_t sizes[2 * NETDEV_MAX_QUEUES + 1];
	unsigned nq, i;
	uint64_t f;
	int rc;

	memset(n, 0, sizeof(*n));
	n->wake_fd = -1;
	if (!c->pairs || c->pairs > NETDEV_MAX_QUEUES)
		return verr_set(errp, -EINVAL,
				"device '%s': %u queue pairs (1..%u)", c->name,
				c->pairs, NETDEV_MAX_QUEUES);
	n->gm = c->gm;
	n->peer = c->peer;
	memcpy(n->mac, c->mac, sizeof(n->mac));
	n->mtu = c->mtu;
	n->pairs = c->pairs;
	/* VERSION_1: the header is always the 12-byte one (§5.1.6). */
	n->backend_hdr = c->peer && (c->peer->caps & NETDEV_CAP_VNET_HDR) &&
			 netdev_set_vnet_hdr_len(c->peer, VNET_HDR_LEN) == 0;
	f = vnet_features(n, c);
	if (c->pairs > 1 && !(f & BIT(VIRTIO_NET_F_MQ)))
		return verr_set(errp, -EINVAL,
				"device '%s': %u queue pairs need ctrl_vq=on",
				c->name, c->pairs);
	nq = 2 * c->pairs;
	for (i = 0; i < c->pairs; i++) {
		sizes[vnet_rxq(i)] = c->rx_size;
		sizes[vnet_txq(i)] = c->tx_size;
	}
	n->ctrl_q = UINT32_MAX;
	if (f & BIT(VIRTIO_NET_F_CTRL_VQ)) {
		n->ctrl_q = nq;
		sizes[nq++] = VNET_CTRL_QUEUE_SIZE;
	}

	n->vdev.name = c->name;
	n->vdev.device_id = VIRTIO_ID_NET;
	n->vdev.host_features = f;
	n->vdev.config_len = VNET_CONFIG_LEN;
	n->vdev.ops = &vnet_ops;
	n->vdev.log = c->log;
	rc = vio_dev_init(&n->vdev, nq, sizes, errp);
	if (rc < 0) {
		verr_prefix(errp, "device '%s': ", c->name);
		memset(&n->vdev, 0, sizeof(n->vdev));
		return rc;
	}
	n->q = calloc(nq, sizeof(*n->q));
	n->rx = calloc(c->pairs, sizeof(*n->rx));
	if (!n->q || !n->rx)
		goto oom;
	for (i = 0; i < nq; i++)
		pthread_mutex_init(&n->q[i].lock, NULL);
	for (i = 0; i < nq; i++) {
		unsigned cap = n->vdev.vqs[i].max_size + 1u;

		n->q[i].iov = calloc(cap, sizeof(struct iovec));
		n->q[i].iov2 = calloc(cap, sizeof(struct iovec));
		if (!n->q[i].iov || !n->q[i].iov2)
			goto oom;
	}
	for (i = 0; i < c->pairs; i++) {
		struct vnet_rx *rx = &n->rx[i];

		rx->fd = -1;
		if (!c->peer || !(c->peer->caps & NETDEV_CAP_RX_FD))
			continue;
		rx->fd = netdev_rx_fd(c->peer, i);
		if (rx->fd < 0) {
			rc = verr_set(errp, rx->fd,
				      "device '%s': netdev '%s' has no rx fd for queue %u",
				      c->name, c->peer->obj.id, i);
			goto fail;
		}
		rx->bounce = malloc(VNET_BOUNCE_SIZE);
		rx->heads = calloc(c->rx_size, sizeof(*rx->heads));
		rx->lens = calloc(c->rx_size, sizeof(*rx->lens));
		if (!rx->bounce || !rx->heads || !rx->lens)
			goto oom;
	}
	if (c->peer && (c->peer->caps & NETDEV_CAP_RX_FD)) {
		n->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (n->wake_fd < 0) {
			rc = verr_set(errp, -errno, "device '%s': eventfd: %s",
				      c->name, strerror(errno));
			goto fail;
		}
		rc = -pthread_create(&n->thread, NULL, vnet_thread, n);
		if (rc < 0) {
			rc = verr_set(errp, rc, "device '%s': I/O thread: %s",
				      c->name, strerror(-rc));
			goto fail;
		}
		n->thread_started = true;
		{
			char tn[16];

			snprintf(tn, sizeof(tn), "vnet-%s", c->name);
			pthread_setname_np(n->thread, tn);
		}
	}
	return 0;
oom:
	rc = verr_set(errp, -ENOMEM, "device '%s': out of memory", c->name);
fail:
	vnet_fini(n);
	return rc;
}

void vnet_fini(struct vnet *n)
{
	unsigned i;

	if (n->thread_started) {
		__atomic_store_n(&n->stop, 1, __ATOMIC_RELEASE);
		vnet_wake(n);
		pthread_join(n->thread, NULL);
		n->thread_started = false;
	}
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	n->wake_fd = -1;
	if (n->rx) {
		for (i = 0; i < n->pairs; i++) {
			free(n->rx[i].bounce);
			free(n->rx[i].heads);
			free(n->rx[i].lens);
		}
		free(n->rx);
		n->rx = NULL;
	}
	if (n->q) {
		for (i = 0; i < n->vdev.nr_queues; i++) {
			pthread_mutex_destroy(&n->q[i].lock);
			free(n->q[i].iov);
			free(n->q[i].iov2);
		}
		free(n->q);
		n->q = NULL;
	}
	if (n->vdev.vqs)
		vio_dev_fini(&n->vdev);
}
