/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/virtio-net.c: the virtio-net device model (virtio 1.2 §5.1)
 * on lib/virtio and the netdev interface; no PCI here. This file: device
 * config, offered features, activation at DRIVER_OK and reset, control
 * commands, the host's link and counters. The data path (I/O threads, TX,
 * RX) is virtio-net-io.c.
 *
 * Threads: vCPU threads run the vio_dev_ops (config reads, ->reset,
 * ->driver_ok) with the device lock held; the control queue's I/O thread
 * runs vnet_ctrl_cmd(); any host thread calls vnet_set_link(),
 * vnet_set_mac(), vnet_announce() and vnet_get_stats().
 * Locking: ->mac_lock (a leaf: taken under the device lock by config
 * reads, under a queue lock by MAC_ADDR_SET) guards ->mac; ->link_up,
 * ->curr_pairs and the counters are atomics; ->announce is an atomic set
 * under the device lock (vnet_announce(), so that a reset, which clears
 * it under that lock, cannot be overtaken) and cleared by ANNOUNCE_ACK.
 * Activation and reset take each queue's lock (lock order: device lock
 * -> queue lock) to publish a queue's role and ->active, so an I/O thread
 * that holds a queue lock sees a consistent queue; reset returns only when no I/O thread is
 * inside a queue (it waits for the queue lock, held for one bounded
 * burst at most).
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "virtio-net.h"

#define VNET_CONFIG_LEN (offsetof(struct virtio_net_config, mtu) + 2)
#define BIT(b) (1ull << (b))

/* The offload bits a backend may honour (netdev.h ->offloads). */
#define VNET_HOST_OFFLOADS                                                    \
	(BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |               \
	 BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN))
#define VNET_GUEST_OFFLOADS                                                   \
	(BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4) |        \
	 BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_NET_F_GUEST_ECN))

static struct vnet *to_vnet(struct vio_dev *d)
{
	return (struct vnet *)d; /* vdev is the first member */
}

/* ---- config (virtio 1.2 §5.1.4) ---- */

static void vnet_get_config(struct vio_dev *d, uint32_t off, void *buf,
			    uint32_t len)
{
	struct vnet *n = to_vnet(d);
	struct virtio_net_config c;

	memset(&c, 0, sizeof(c));
	pthread_mutex_lock(&n->mac_lock);
	memcpy(c.mac, n->mac, sizeof(c.mac));
	pthread_mutex_unlock(&n->mac_lock);
	if (__atomic_load_n(&n->link_up, __ATOMIC_ACQUIRE))
		c.status |= VIRTIO_NET_S_LINK_UP;
	if (__atomic_load_n(&n->announce, __ATOMIC_ACQUIRE))
		c.status |= VIRTIO_NET_S_ANNOUNCE;
	c.status = htole16(c.status);
	c.max_virtqueue_pairs = htole16((uint16_t)n->pairs);
	c.mtu = htole16(n->mtu);
	memcpy(buf, (uint8_t *)&c + off, len);
}

/* ---- control queue (virtio 1.2 §5.1.6.5) ---- */

/* The GUEST_* offloads the backend may use: the accepted ones, further
 * limited by a GUEST_OFFLOADS_SET. */
static int vnet_apply_offloads(struct vnet *n, uint64_t want)
{
	uint64_t f = want & n->vdev.guest_features & VNET_GUEST_OFFLOADS;

	if (!n->peer || !n->backend_hdr)
		return 0;
	return netdev_set_offload(n->peer, f);
}

uint8_t vnet_ctrl_cmd(struct vnet *n, const uint8_t *b, size_t len)
{
	struct vio_dev *d = &n->vdev;
	uint16_t pairs;
	uint64_t offl;

	if (len < 2)
		return VIRTIO_NET_ERR;
	switch (b[0]) {
	case VIRTIO_NET_CTRL_RX:
		/* Filtering is the backend's business (a tap is promiscuous
		 * towards us already): the modes are accepted, as QEMU's
		 * tap-backed device does in effect. */
		return b[1] <= VIRTIO_NET_CTRL_RX_NOBCAST ? VIRTIO_NET_OK
							  : VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_MAC:
		if (b[1] == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
			/* §5.1.6.5.2: the device's MAC becomes this one. */
			if (len < 2 + ETH_ALEN)
				return VIRTIO_NET_ERR;
			pthread_mutex_lock(&n->mac_lock);
			memcpy(n->mac, b + 2, ETH_ALEN);
			pthread_mutex_unlock(&n->mac_lock);
			return VIRTIO_NET_OK;
		}
		return b[1] == VIRTIO_NET_CTRL_MAC_TABLE_SET ? VIRTIO_NET_OK
							     : VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_ANNOUNCE:
		/* §5.1.6.5.4: the ack clears the bit; as QEMU, an ack with
		 * no announcement asked for is an error. */
		if (b[1] != VIRTIO_NET_CTRL_ANNOUNCE_ACK ||
		    !__atomic_exchange_n(&n->announce, 0, __ATOMIC_ACQ_REL))
			return VIRTIO_NET_ERR;
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MQ:
		if (b[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || len < 4 ||
		    !vio_dev_has_feature(d, VIRTIO_NET_F_MQ))
			return VIRTIO_NET_ERR;
		memcpy(&pairs, b + 2, sizeof(pairs));
		pairs = le16toh(pairs);
		/* §5.1.6.5.5: 1 ..= max_virtqueue_pairs. The backend's
		 * queues follow (a multiqueue tap detaches the others). */
		if (pairs < 1 || pairs > n->pairs)
			return VIRTIO_NET_ERR;
		if (n->peer && netdev_set_queues(n->peer, pairs) < 0)
			return VIRTIO_NET_ERR;
		__atomic_store_n(&n->curr_pairs, pairs, __ATOMIC_RELEASE);
		vnet_io_wake(n, -1); /* every thread: its poll set changed */
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		/* §5.1.6.5.6.2: only offloads that were negotiated. */
		if (b[1] != VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET || len < 10 ||
		    !vio_dev_has_feature(d, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS))
			return VIRTIO_NET_ERR;
		memcpy(&offl, b + 2, sizeof(offl));
		offl = le64toh(offl);
		if (offl & ~(d->guest_features & VNET_GUEST_OFFLOADS))
			return VIRTIO_NET_ERR;
		return vnet_apply_offloads(n, offl) < 0 ? VIRTIO_NET_ERR
							: VIRTIO_NET_OK;
	default:
		return VIRTIO_NET_ERR;
	}
}

/* ---- activation and reset ---- */

/* Device lock held: stop every queue's data path. An I/O thread inside a
 * queue holds its lock; taking it waits for the end of that burst. */
static void vnet_reset(struct vio_dev *d)
{
	struct vnet *n = to_vnet(d);

	for (unsigned q = 0; q < d->nr_queues; q++) {
		struct vnet_queue *vqs = &n->q[q];

		pthread_mutex_lock(&vqs->lock);
		vqs->active = false;
		__atomic_store_n(&vqs->kind, VNET_Q_NONE, __ATOMIC_RELEASE);
		__atomic_store_n(&vqs->kick_fd, -1, __ATOMIC_RELEASE);
		__atomic_store_n(&vqs->rx_want, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&vqs->tx_blocked, 0, __ATOMIC_RELEASE);
		vqs->pending = 0; /* a waiting rx frame is dropped */
		vqs->err_streak = 0;
		pthread_mutex_unlock(&vqs->lock);
	}
	__atomic_store_n(&n->curr_pairs, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&n->announce, 0, __ATOMIC_RELEASE);
	vnet_vhost_stop(n);
	pthread_mutex_lock(&n->mac_lock);
	memcpy(n->mac, n->cfg_mac, sizeof(n->mac)); /* as QEMU's reset */
	pthread_mutex_unlock(&n->mac_lock);
	(void)vnet_apply_offloads(n, 0);
	vnet_io_wake(n, -1); /* drop the kick fds from the poll sets */
}

/*
 * DRIVER_OK: give each queue its role in the negotiated layout and its
 * kick fd, then wake the I/O threads. §5.1.2: without VIRTIO_NET_F_MQ
 * there is one pair and the control queue is queue 2, whatever
 * max_virtqueue_pairs says.
 */
static void vnet_driver_ok(struct vio_dev *d, const struct vio_activation *a)
{
	struct vnet *n = to_vnet(d);
	bool mq = vio_dev_has_feature(d, VIRTIO_NET_F_MQ);
	unsigned pairs = mq ? n->pairs : 1, ctrl = UINT32_MAX;

	if (vio_dev_has_feature(d, VIRTIO_NET_F_CTRL_VQ))
		ctrl = 2 * pairs;
	if (n->peer)
		(void)netdev_set_queues(n->peer, 1);
	/* §5.1.6.5.6: the accepted GUEST_* offloads apply until the driver
	 * narrows them with GUEST_OFFLOADS_SET. */
	if (vnet_apply_offloads(n, ~0ull) < 0)
		vlog_warn(d->log, d->name,
			  "backend refused the guest's offloads");
	for (unsigned q = 0; q < d->nr_queues; q++) {
		struct vnet_queue *vqs = &n->q[q];
		uint8_t kind = VNET_Q_NONE;

		if (q == ctrl)
			kind = VNET_Q_CTRL;
		else if (q < 2 * pairs && !n->vhost) /* else the backend's */
			kind = (q & 1) ? VNET_Q_TX : VNET_Q_RX;
		pthread_mutex_lock(&vqs->lock);
		__atomic_store_n(&vqs->kind, kind, __ATOMIC_RELEASE);
		vqs->pair = q / 2;
		__atomic_store_n(&vqs->thread,
				 kind == VNET_Q_CTRL ? 0 : (q / 2) % n->nthreads,
				 __ATOMIC_RELEASE);
		vqs->active = kind != VNET_Q_NONE && vq_is_ready(&d->vqs[q]);
		vqs->err_streak = 0;
		__atomic_store_n(&vqs->rx_want, kind == VNET_Q_RX,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&vqs->kick_fd,
				 vqs->active && a ? a->q[q].kick_fd : -1,
				 __ATOMIC_RELEASE);
		pthread_mutex_unlock(&vqs->lock);
	}
	/* The guest starts with one pair (§5.1.6.5.5) when MQ is on. */
	__atomic_store_n(&n->curr_pairs, 1, __ATOMIC_RELEASE);
	if (n->vhost)
		vnet_vhost_start(n, a, pairs);
	vnet_io_wake(n, -1);
}

static const struct vio_dev_ops vnet_ops = {
	.get_config = vnet_get_config,
	.reset = vnet_reset,
	.driver_ok = vnet_driver_ok,
};

/* ---- host API ---- */

void vnet_set_link(struct vnet *n, bool up)
{
	uint8_t v = up ? 1 : 0;

	if (up)
		__atomic_store_n(&n->link_forced_down, 0, __ATOMIC_RELEASE);
	if (__atomic_exchange_n(&n->link_up, v, __ATOMIC_ACQ_REL) == v)
		return;
	/* §5.1.4.2: a status change is a config change the driver sees. */
	vio_dev_config_changed(&n->vdev);
	vnet_io_wake(n, -1); /* rx resumes or stops reading the backend */
}

void vnet_link_lost(struct vnet *n, const char *what)
{
	__atomic_store_n(&n->link_forced_down, 1, __ATOMIC_RELEASE);
	vlog_warn(n->vdev.log, n->name, "netdev '%s': %s: link down",
		  n->peer->obj.id, what);
	vnet_set_link(n, false);
}

/* netdev_link_changed() of a NETDEV_CAP_LINK backend (a reconnecting
 * stream), on the backend's thread, or at vnet_init (the backend has no
 * peer yet): the link follows its peer. */
static void vnet_peer_link(void *opaque, bool up)
{
	struct vnet *n = opaque;

	if (!up) {
		vnet_link_lost(n, "no peer");
		return;
	}
	vlog_info(n->vdev.log, n->name, "netdev '%s': peer back: link up",
		  n->peer->obj.id);
	vnet_set_link(n, true);
}

void vnet_set_mac(struct vnet *n, const uint8_t mac[6])
{
	pthread_mutex_lock(&n->mac_lock);
	memcpy(n->mac, mac, sizeof(n->mac));
	memcpy(n->cfg_mac, mac, sizeof(n->cfg_mac));
	pthread_mutex_unlock(&n->mac_lock);
	if (!vnet_announce(n))
		vio_dev_config_changed(&n->vdev);
}

bool vnet_announce(struct vnet *n)
{
	struct vio_dev *d = &n->vdev;
	bool on;

	/* Under the device lock: not between a reset (which clears the bit)
	 * and the features it saw; §5.1.6.5.4 needs both features. */
	pthread_mutex_lock(&d->lock);
	on = (vio_dev_get_status(d) & VIRTIO_CONFIG_S_DRIVER_OK) &&
	     vio_dev_has_feature(d, VIRTIO_NET_F_GUEST_ANNOUNCE) &&
	     vio_dev_has_feature(d, VIRTIO_NET_F_CTRL_VQ);
	if (on)
		__atomic_store_n(&n->announce, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->lock);
	if (on)
		vio_dev_config_changed(d);
	return on;
}

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

void vnet_get_stats(struct vnet *n, struct vm_net_stats *out)
{
	struct vm_net_stats st;
	size_t sz = out->size < sizeof(st) ? out->size : sizeof(st);

	vnet_vhost_stats_sample(n); /* the backend's queues, up to now */
	memset(&st, 0, sizeof(st));
	st.size = sz;
	st.queue_pairs = n->pairs;
	st.active_pairs = LD(n->curr_pairs);
	st.link_up = LD(n->link_up);
	st.ctrl_commands = LD(n->ctrl_cmds);
	for (unsigned q = 0; q < n->vdev.nr_queues; q++) {
		const struct vnet_qstats *s = &n->q[q].st;
		unsigned pair = q / 2;

		st.kicks += LD(s->kicks);
		st.interrupts += LD(s->interrupts);
		st.rx_drop_oversize += LD(s->drop_oversize);
		st.tx_drop_malformed += LD(s->drop_malformed);
		st.tx_drop_link_down += LD(s->drop_link);
		if (q >= 2 * n->pairs || LD(n->q[q].kind) == VNET_Q_CTRL)
			continue;
		if (q & 1) {
			st.tx_batches += LD(s->batches);
			st.tx_packets += LD(s->packets);
			st.tx_bytes += LD(s->bytes);
			st.tx_drop_backend += LD(s->drop_backend);
		} else {
			st.rx_packets += LD(s->packets);
			st.rx_bytes += LD(s->bytes);
			st.rx_drop_backend += LD(s->drop_backend);
		}
		if (pair >= VM_NET_MAX_QUEUE_PAIRS)
			continue;
		if (q & 1) {
			st.queue[pair].tx_packets = LD(s->packets);
			st.queue[pair].tx_bytes = LD(s->bytes);
			st.queue[pair].tx_kicks = LD(s->kicks);
			st.queue[pair].tx_interrupts = LD(s->interrupts);
		} else {
			st.queue[pair].rx_packets = LD(s->packets);
			st.queue[pair].rx_bytes = LD(s->bytes);
			st.queue[pair].rx_kicks = LD(s->kicks);
			st.queue[pair].rx_interrupts = LD(s->interrupts);
		}
	}
	memcpy(out, &st, sz);
}

#undef LD

/* ---- life cycle ---- */

static uint64_t vnet_features(const struct vnet *n, const struct vnet_config *c)
{
	uint64_t f = BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |
		     BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_CTRL_VQ) |
		     BIT(VIRTIO_RING_F_EVENT_IDX) |
		     BIT(VIRTIO_RING_F_INDIRECT_DESC) |
		     BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
		     BIT(VIRTIO_NET_F_GUEST_ANNOUNCE);

	if (c->pairs > 1)
		f |= BIT(VIRTIO_NET_F_MQ);
	if (c->mtu)
		f |= BIT(VIRTIO_NET_F_MTU);
	/* Offloads only as far as the backend honours them with the
	 * header it carries (tap: probed at its realize; null: none). */
	if (n->backend_hdr)
		f |= c->peer->offloads & (VNET_HOST_OFFLOADS | VNET_GUEST_OFFLOADS);
	f = vnet_vhost_offer(c->peer, f);
	f &= c->allowed | BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |
	     BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_MTU);
	/* virtio 1.2 §5.1.3.1: dependencies. */
	if (!(f & BIT(VIRTIO_NET_F_CSUM)))
		f &= ~(BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |
		       BIT(VIRTIO_NET_F_HOST_ECN));
	if (!(f & (BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6))))
		f &= ~BIT(VIRTIO_NET_F_HOST_ECN);
	if (!(f & BIT(VIRTIO_NET_F_GUEST_CSUM)))
		f &= ~(BIT(VIRTIO_NET_F_GUEST_TSO4) |
		       BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_NET_F_GUEST_ECN));
	if (!(f & (BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6))))
		f &= ~BIT(VIRTIO_NET_F_GUEST_ECN);
	if (!(f & BIT(VIRTIO_NET_F_CTRL_VQ)))
		f &= ~(BIT(VIRTIO_NET_F_MQ) |
		       BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
		       BIT(VIRTIO_NET_F_GUEST_ANNOUNCE));
	if (!(f & VNET_GUEST_OFFLOADS))
		f &= ~BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS);
	return f;
}

static int vnet_queues_init(struct vnet *n, const struct vnet_config *c)
{
	unsigned nq = n->vdev.nr_queues;

	n->q = calloc(nq, sizeof(*n->q));
	if (!n->q)
		return -ENOMEM;
	for (unsigned i = 0; i < nq; i++) {
		struct vnet_queue *vqs = &n->q[i];
		unsigned cap = n->vdev.vqs[i].max_size + 1u;

		pthread_mutex_init(&vqs->lock, NULL);
		vqs->kick_fd = -1;
		vqs->iov = calloc(cap, sizeof(struct iovec));
		vqs->iov2 = calloc(cap, sizeof(struct iovec));
		if (!vqs->iov || !vqs->iov2)
			return -ENOMEM;
		if (i < 2 * c->pairs && (i & 1) && c->peer &&
		    (c->peer->caps & NETDEV_CAP_TX_BATCH)) {
			vqs->batch = calloc(VNET_TX_BATCH, sizeof(*vqs->batch));
			vqs->batch_heads = calloc(VNET_TX_BATCH,
						  sizeof(*vqs->batch_heads));
			vqs->batch_lens = calloc(VNET_TX_BATCH,
						 sizeof(*vqs->batch_lens));
			vqs->batch_iov = calloc(2 * cap, sizeof(struct iovec));
			if (!vqs->batch || !vqs->batch_heads ||
			    !vqs->batch_lens || !vqs->batch_iov)
				return -ENOMEM;
		}
		/* every even queue below 2 * pairs may serve rx */
		if (i >= 2 * c->pairs || (i & 1) || !c->peer)
			continue;
		vqs->bounce = malloc(VNET_BOUNCE_SIZE);
		vqs->heads = calloc(c->rx_size, sizeof(*vqs->heads));
		vqs->lens = calloc(c->rx_size, sizeof(*vqs->lens));
		if (!vqs->bounce || !vqs->heads || !vqs->lens)
			return -ENOMEM;
	}
	return 0;
}

int vnet_init(struct vnet *n, const struct vnet_config *c,
	      struct vm_error **errp)
{
	uint16_t sizes[2 * NETDEV_MAX_QUEUES + 1];
	unsigned nq, i;
	uint64_t f;
	int rc;

	memset(n, 0, sizeof(*n));
	if (!c->pairs || c->pairs > NETDEV_MAX_QUEUES)
		return verr_set(errp, -EINVAL,
				"device '%s': %u queue pairs (1..%u)", c->name,
				c->pairs, NETDEV_MAX_QUEUES);
	n->gm = c->gm;
	n->peer = c->peer;
	n->name = c->name;
	pthread_mutex_init(&n->mac_lock, NULL);
	pthread_mutex_init(&n->vh_lock, NULL);
	memcpy(n->mac, c->mac, sizeof(n->mac));
	memcpy(n->cfg_mac, c->mac, sizeof(n->cfg_mac));
	n->mtu = c->mtu;
	n->pairs = c->pairs;
	n->link_up = 1;
	n->vhost = c->peer && (c->peer->caps & NETDEV_CAP_VHOST);
	if (n->vhost && (!c->gm || c->gm->fd < 0))
		return verr_set(errp, -EINVAL,
				"device '%s': netdev '%s' maps guest RAM, which is not shareable here (no memfd or mem_path)",
				c->name, c->peer->obj.id);
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
	/* Queue 2N: the control queue with every feature on; with MQ
	 * refused the guest uses queue 2 as its control queue (§5.1.2),
	 * which is then the ctrl's size as Linux allocates it anyway. */
	if (f & BIT(VIRTIO_NET_F_CTRL_VQ)) {
		n->has_ctrl = true;
		sizes[nq++] = VNET_CTRL_QUEUE_SIZE;
	}
	n->nthreads = c->iothreads && c->iothreads < c->pairs ? c->iothreads
							      : c->pairs;
	if (n->vhost)
		n->nthreads = 1; /* the control queue only */
	n->inline_io = c->inline_io;
	n->poll_ns = (uint64_t)c->poll_us * 1000u;

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
	rc = vnet_queues_init(n, c);
	if (rc < 0) {
		rc = verr_set(errp, rc, "device '%s': out of memory", c->name);
		goto fail;
	}
	rc = vnet_io_start(n, errp);
	if (rc < 0)
		goto fail;
	vnet_vhost_init(n);
	if (!n->vhost && c->peer && (c->peer->caps & NETDEV_CAP_LINK))
		netdev_set_link_notify(c->peer, vnet_peer_link, n);
	return 0;
fail:
	vnet_fini(n);
	return rc;
}

void vnet_fini(struct vnet *n)
{
	if (n->vdev.vqs) {
		vnet_vhost_fini(n);
		if (!n->vhost && n->peer &&
		    (n->peer->caps & NETDEV_CAP_LINK))
			netdev_set_link_notify(n->peer, NULL, NULL);
	}
	vnet_io_stop(n);
	if (n->q) {
		for (unsigned i = 0; i < n->vdev.nr_queues; i++) {
			struct vnet_queue *vqs = &n->q[i];

			pthread_mutex_destroy(&vqs->lock);
			free(vqs->iov);
			free(vqs->iov2);
			free(vqs->bounce);
			free(vqs->heads);
			free(vqs->lens);
			free(vqs->batch);
			free(vqs->batch_heads);
			free(vqs->batch_lens);
			free(vqs->batch_iov);
		}
		free(n->q);
		n->q = NULL;
	}
	if (n->vdev.vqs) {
		vio_dev_fini(&n->vdev);
		pthread_mutex_destroy(&n->mac_lock);
		pthread_mutex_destroy(&n->vh_lock);
	}
}
