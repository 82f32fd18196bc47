/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/virtio-net-io.c: virtio-net's data path: the I/O threads and
 * the one loop that serves a queue, with TX, RX and control as the three
 * things it can do with a chain.
 *
 * Data path:
 *   TX: a chain is the 12-byte virtio_net_hdr_v1 and the frame. With a
 *       backend that carries the header (tap IFF_VNET_HDR) it goes as it
 *       is, so GSO and checksum-partial frames keep gso_type/gso_size and
 *       csum_start/csum_offset; otherwise the header is skipped. Backend
 *       full (-EAGAIN): the chain is given back, the queue waits for the
 *       backend's tx fd to poll writable (or 1 ms without one) and
 *       resumes there: nothing is dropped for that. A chain holding only
 *       the header is dropped and counted (never a 0-byte frame); one
 *       shorter than the header, or with writable buffers, is a guest
 *       error (§5.1.6.2).
 *   RX: one frame is read from the backend into a host bounce buffer
 *       (header + up to 64 KiB), then scattered into as many writable
 *       chains as it needs (MRG_RXBUF: num_buffers says how many, never
 *       more than the ring holds; otherwise one chain must hold it, else
 *       the frame is dropped and counted). With no guest buffers, or
 *       too few for the frame, the frame waits, the backend is no longer
 *       polled, and the guest's next rx kick resumes (asked for at the
 *       driver's next buffer: vq_notify_at_next). Receive errors back off exponentially; after
 *       VNET_RX_ERR_MAX in a row the link is reported down.
 *   ctrl: commands go to vnet_ctrl_cmd() (virtio-net.c).
 *
 * One loop for all three (vnet_serve): under the queue lock, with the
 * driver's notifications off (§2.7.10), handle at most VNET_BURST items;
 * when the ring is empty turn notifications back on and look once more
 * (a buffer may have come in between); then one interrupt for the whole
 * burst if the driver wants it (used_event / NO_INTERRUPT). A queue whose
 * burst ran out is served again after every other queue had its turn, so
 * one busy queue (or a guest that keeps publishing) cannot pin a thread.
 * poll-us (virtio-net-pci property, 0 by default): a transmit queue that
 * ran empty keeps the driver's kicks off for that long after its last
 * chain, and its thread looks at the ring on every turn (poll() with
 * timeout 0) instead of sleeping: a guest that sends again within the
 * window does so without a kick, i.e. without a vCPU exit (vhost-net's
 * busyloop_timeout, QEMU's poll-us, for the same trade: host CPU for
 * exits). The window closes, and kicks are asked for again, when it runs
 * out or a pause is asked for, so a paused or snapshotted queue always
 * has kicks on.
 *
 * Threads: the device has ->nthreads I/O threads "vnet-<id>-<t>" (one per
 * queue pair by default, fewer with iothreads=); thread t serves pair p
 * when p % nthreads == t, and thread 0 the control queue. Each waits in
 * poll() on its wake eventfd (activation, reset, link change, stop), the
 * kick eventfd of each of its active queues (an ioeventfd, or signalled
 * by the MMIO handler on the exit path), the backend's rx fd of each rx
 * queue with guest buffers, and the backend's tx fd of each blocked tx
 * queue; every wakeup serves each of its queues once.
 * Locking: each queue's ->lock guards its ring state, ->active, ->kind and
 * the rx bounce state; it is held for one burst at most. Interrupts and
 * NEEDS_RESET reports are raised after it is dropped (pci_msix_notify
 * takes func->lock, which is above the queue lock in the lock order:
 * func->lock -> device lock -> queue lock). ->kick_fd, ->thread,
 * ->rx_want, ->tx_blocked and ->backoff_ns are atomics the poll loop reads
 * without the lock; a stale value costs one spurious or one late wakeup,
 * never a lost kick, since every wakeup serves every queue.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "../kvm/eventfd.h"
#include "virtio-net.h"

enum {
	VNET_BAD = -1,   /* a guest error: the queue is broken */
	VNET_EMPTY = 0,  /* the guest's ring has nothing (more) for us */
	VNET_DID = 1,    /* one item done */
	VNET_WAIT = 2,   /* the backend is not ready (empty rx / full tx) */
	VNET_DID_WAIT = 3, /* items done, then the backend was full */
	VNET_SHORT = 4,  /* buffers posted, but too few for the rx frame */
};

#define LD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define INC(x, v) __atomic_add_fetch(&(x), (v), __ATOMIC_RELAXED)

static uint64_t vnet_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- iovec helpers (bounds are the iovec's own) ---- */

/* Copy @len bytes between @buf and the iovec from byte @off on, towards the
 * iovec when @to_iov; returns the bytes copied (less at the iovec's end). */
static size_t iov_copy(const struct iovec *iov, unsigned cnt, size_t off,
		       void *buf, size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned i = 0; i < cnt && done < len; i++) {
		size_t l = iov[i].iov_len, k;
		uint8_t *p;

		if (off >= l) {
			off -= l;
			continue;
		}
		k = MIN(l - off, len - done);
		p = (uint8_t *)iov[i].iov_base + off;
		if (to_iov)
			memcpy(p, (uint8_t *)buf + done, k);
		else
			memcpy((uint8_t *)buf + done, p, k);
		done += k;
		off = 0;
	}
	return done;
}

/* @dst (capacity @cap) = @src without its first @skip bytes. */
static unsigned iov_skip(const struct iovec *src, unsigned cnt, size_t skip,
			 struct iovec *dst, unsigned cap)
{
	unsigned k = 0;

	for (unsigned i = 0; i < cnt && k < cap; i++) {
		size_t l = src[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		dst[k].iov_base = (uint8_t *)src[i].iov_base + skip;
		dst[k].iov_len = l - skip;
		skip = 0;
		k++;
	}
	return k;
}

/* ---- the three handlers: one item each, queue lock held ---- */

struct vnet_burst {
	unsigned room;       /* chains the burst may still take */
	unsigned items;      /* chains the last handler call took (1) */
	const char *bad;     /* guest error to report after unlocking */
	bool pushed;         /* used entries were added */
	bool link_fail;      /* the backend keeps failing: link down */
	uint64_t packets, bytes; /* added to the counters once per burst */
};

/* The backend is full (not an error): keep the frame, wait for it. */
static bool vnet_tx_backpressure(ssize_t r)
{
	return r == -EAGAIN || r == -EWOULDBLOCK || r == -ENOBUFS;
}

static int vnet_tx_one(struct vnet *n, struct vnet_queue *vqs, struct vq *vq,
		       struct vnet_burst *b)
{
	struct vq_elem e = { .iov = vqs->iov, .iov_cap = vq->max_size };
	const struct iovec *iov = e.iov;
	unsigned cnt;
	ssize_t r;
	int rc = vq_pop(vq, n->gm, &e);

	if (rc <= 0)
		return rc == 0 ? VNET_EMPTY : VNET_BAD;
	/* virtio 1.2 §5.1.6.2: the driver MUST NOT make tx buffers
	 * device-writable, and every packet starts with the header. */
	if (e.in_num || e.out_len < VNET_HDR_LEN) {
		b->bad = e.in_num ? "tx chain has device-writable buffers"
				  : "tx chain shorter than the virtio-net header";
		INC(vqs->st.drop_malformed, 1);
		vq->broken = true;
		return VNET_BAD;
	}
	if (e.out_len == VNET_HDR_LEN) {
		INC(vqs->st.drop_malformed, 1); /* a header and no frame */
		goto done;
	}
	if (!LD(n->link_up) || !n->peer) {
		INC(vqs->st.drop_link, !n->peer ? 0 : 1);
		goto done;
	}
	cnt = e.out_num;
	if (!n->backend_hdr) {
		cnt = iov_skip(e.iov, e.out_num, VNET_HDR_LEN, vqs->iov2,
			       vq->max_size);
		iov = vqs->iov2;
	}
	r = netdev_send(n->peer, vqs->pair, iov, (int)cnt);
	if (vnet_tx_backpressure(r)) {
		/* Backpressure: keep the chain, wait for the backend. */
		vq_unpop(vq, 1);
		ST(vqs->tx_blocked, 1);
		return VNET_WAIT;
	}
	if (r < 0) {
		INC(vqs->st.drop_backend, 1);
	} else {
		b->packets++;
		b->bytes += e.out_len - VNET_HDR_LEN;
	}
done:
	if (vq_push(vq, e.head, 0) == 0)
		b->pushed = true;
	return VNET_DID;
}

/* Pop the chains of one batch into vqs->batch: sendable ones only, up to
 * @max, while the iovec pool holds a chain of any size. A chain that is
 * not sendable (malformed, header only) is given back and ends the batch,
 * so the chains gathered are always the last ones popped. Returns how
 * many were gathered; *@bad is set when the ring broke. */
static unsigned vnet_tx_gather(struct vnet *n, struct vnet_queue *vqs,
			       struct vq *vq, unsigned max, bool *bad)
{
	const unsigned pool = 2u * vq->max_size + 2u;
	unsigned k = 0, used = 0;

	while (k < max && pool - used >= vq->max_size + 1u) {
		struct vq_elem e = { .iov = vqs->batch_iov + used,
				     .iov_cap = vq->max_size };
		unsigned cnt;
		int rc = vq_pop(vq, n->gm, &e);

		if (rc <= 0) {
			*bad = rc < 0;
			break;
		}
		if (e.in_num || e.out_len <= VNET_HDR_LEN) {
			vq_unpop(vq, 1); /* vnet_tx_one's to judge */
			break;
		}
		cnt = e.out_num;
		if (!n->backend_hdr) /* in place: dst[k] is never past src[i] */
			cnt = iov_skip(e.iov, e.out_num, VNET_HDR_LEN, e.iov,
				       e.out_num);
		vqs->batch[k].iov = e.iov;
		vqs->batch[k].iovcnt = (int)cnt;
		vqs->batch_heads[k] = e.head;
		vqs->batch_lens[k] = e.out_len - VNET_HDR_LEN;
		used += e.out_num;
		k++;
	}
	return k;
}

/* TX to a backend that takes bursts (NETDEV_CAP_TX_BATCH): the gathered
 * chains go in one netdev_send_batch(); those it did not take are given
 * back and the queue waits as after -EAGAIN. A first chain that is not
 * sendable, or a link that is down, goes through vnet_tx_one. */
static int vnet_tx_batch(struct vnet *n, struct vnet_queue *vqs,
			 struct vq *vq, struct vnet_burst *b)
{
	unsigned k, done, i;
	bool bad = false;
	int r;

	if (!LD(n->link_up) || !n->peer)
		return vnet_tx_one(n, vqs, vq, b);
	k = vnet_tx_gather(n, vqs, vq, MIN(b->room, VNET_TX_BATCH), &bad);
	if (!k)
		return bad ? VNET_BAD : vnet_tx_one(n, vqs, vq, b);
	r = netdev_send_batch(n->peer, vqs->pair, vqs->batch, k);
	INC(vqs->st.batches, 1);
	if (r < 0 && !vnet_tx_backpressure(r)) {
		INC(vqs->st.drop_backend, 1); /* the first one */
		done = 1;
	} else {
		done = r < 0 ? 0 : MIN((unsigned)r, k);
		for (i = 0; i < done; i++) {
			b->packets++;
			b->bytes += vqs->batch_lens[i];
		}
	}
	for (i = 0; i < done; i++)
		if (vq_push(vq, vqs->batch_heads[i], 0) == 0)
			b->pushed = true;
	if (done < k)
		vq_unpop(vq, (uint16_t)(k - done));
	b->items = done;
	if (!done || (done < k && r >= 0)) {
		ST(vqs->tx_blocked, 1);
		return done ? VNET_DID_WAIT : VNET_WAIT;
	}
	return bad && done == k ? VNET_BAD : VNET_DID;
}

/* Put the pending frame into the guest's buffers: VNET_DID, VNET_EMPTY
 * (no buffer), VNET_SHORT (too few buffers: nothing consumed) or
 * VNET_BAD. */
static int vnet_rx_deliver(struct vnet *n, struct vnet_queue *vqs,
			   struct vq *vq, struct vnet_burst *b)
{
	bool mrg = vio_dev_has_feature(&n->vdev, VIRTIO_NET_F_MRG_RXBUF);
	uint32_t total = vqs->pending, off = 0, l;
	unsigned used = 0, first_cnt = 0;
	uint16_t nb;

	while (off < total) {
		struct vq_elem e = { .iov = vqs->iov, .iov_cap = vq->max_size };
		int rc;

		/* The used ring holds one ring's worth: a frame that needs
		 * more chains means the driver kept publishing while we
		 * delivered (or its buffers overlap its own avail ring). */
		if (used >= vq->size) {
			b->bad = "rx frame needs more buffers than the ring holds";
			vq->broken = true;
			return VNET_BAD;
		}
		rc = vq_pop(vq, n->gm, &e);
		if (rc <= 0) {
			if (used)
				vq_unpop(vq, (uint16_t)used);
			return rc < 0 ? VNET_BAD : used ? VNET_SHORT : VNET_EMPTY;
		}
		/* virtio 1.2 §5.1.6.3.1: rx buffers are device-writable and
		 * hold at least the header. */
		if (e.out_num || e.in_len < VNET_HDR_LEN) {
			b->bad = e.out_num ? "rx chain has device-readable buffers"
					   : "rx chain shorter than the virtio-net header";
			vq->broken = true;
			return VNET_BAD;
		}
		if (!mrg && e.in_len < total) {
			/* Without MRG_RXBUF one chain holds the whole packet:
			 * this one cannot, so the frame is dropped and the
			 * buffer kept. */
			vq_unpop(vq, 1);
			INC(vqs->st.drop_oversize, 1);
			vqs->pending = 0;
			return VNET_DID;
		}
		l = (uint32_t)MIN((uint64_t)(total - off), e.in_len);
		iov_copy(e.iov, e.in_num, 0, vqs->bounce + off, l, true);
		if (!used) {
			memcpy(vqs->iov2, e.iov, e.in_num * sizeof(*e.iov));
			first_cnt = e.in_num;
		}
		vqs->heads[used] = e.head;
		vqs->lens[used] = l;
		used++;
		off += l;
	}
	/* virtio 1.2 §5.1.6.4: num_buffers in the first buffer's header
	 * (1 without MRG_RXBUF); the bounce header said 1, patch it through
	 * the first chain's iovecs kept in ->iov2. */
	if (used > 1) {
		nb = htole16((uint16_t)used);
		iov_copy(vqs->iov2, first_cnt, 10, &nb, sizeof(nb), true);
	}
	for (unsigned i = 0; i < used; i++)
		(void)vq_push(vq, vqs->heads[i], vqs->lens[i]);
	b->packets++;
	b->bytes += total - VNET_HDR_LEN;
	vqs->pending = 0;
	b->pushed = true;
	return VNET_DID;
}

static int vnet_rx_one(struct vnet *n, struct vnet_queue *vqs, struct vq *vq,
		       struct vnet_burst *b)
{
	int r;

	if (!vqs->pending) {
		struct iovec iov;
		ssize_t got;

		if (!LD(n->link_up))
			return VNET_WAIT; /* the poll set leaves the fd out */
		if (n->backend_hdr) {
			iov.iov_base = vqs->bounce;
			iov.iov_len = VNET_BOUNCE_SIZE;
		} else {
			memset(vqs->bounce, 0, VNET_HDR_LEN);
			iov.iov_base = vqs->bounce + VNET_HDR_LEN;
			iov.iov_len = VNET_BOUNCE_SIZE - VNET_HDR_LEN;
		}
		got = netdev_recv(n->peer, vqs->pair, &iov, 1);
		if (got == -EAGAIN || got == -EWOULDBLOCK) {
			vqs->err_streak = 0;
			ST(vqs->rx_want, 1);
			return VNET_WAIT;
		}
		if (got < 0 || (n->backend_hdr && got < VNET_HDR_LEN)) {
			/* Count it, back off (1 ms doubling to 1 s), and after
			 * a run of them report the link down: never spin. */
			unsigned k = MIN(vqs->err_streak, 10u);

			INC(vqs->st.drop_backend, 1);
			ST(vqs->backoff_ns, vnet_now_ns() + (1000000ull << k));
			if (++vqs->err_streak == VNET_RX_ERR_MAX)
				b->link_fail = true;
			return VNET_WAIT;
		}
		vqs->err_streak = 0;
		vqs->pending = (uint32_t)got + (n->backend_hdr ? 0 : VNET_HDR_LEN);
		/* num_buffers (the backend leaves bytes 10..11 to us). */
		vqs->bounce[10] = 1;
		vqs->bounce[11] = 0;
	}
	r = vnet_rx_deliver(n, vqs, vq, b);
	if (r == VNET_EMPTY || r == VNET_SHORT)
		ST(vqs->rx_want, 0); /* no buffers: wait for the guest's kick */
	return r;
}

static int vnet_ctrl_one(struct vnet *n, struct vnet_queue *vqs,
			 struct vq *vq, struct vnet_burst *b)
{
	struct vq_elem e = { .iov = vqs->iov, .iov_cap = vq->max_size };
	uint8_t cmd[16], ack;
	size_t len;
	int rc = vq_pop(vq, n->gm, &e);

	if (rc <= 0)
		return rc == 0 ? VNET_EMPTY : VNET_BAD;
	/* §5.1.6.5: class, command, data (readable), ack (the last
	 * writable byte). */
	if (!e.in_len || e.out_len < 2) {
		b->bad = "control command without header or ack byte";
		vq->broken = true;
		return VNET_BAD;
	}
	len = iov_copy(e.iov, e.out_num, 0, cmd, sizeof(cmd), false);
	ack = vnet_ctrl_cmd(n, cmd, len);
	iov_copy(e.iov + e.out_num, e.in_num, e.in_len - 1, &ack, 1, true);
	INC(n->ctrl_cmds, 1);
	if (vq_push(vq, e.head, 1) == 0)
		b->pushed = true;
	return VNET_DID;
}

/* ---- the loop ---- */

/* Serve queue @q for one burst; true if it has work left. */
static bool vnet_serve(struct vnet *n, unsigned q)
{
	struct vnet_queue *vqs = &n->q[q];
	struct vq *vq = &n->vdev.vqs[q];
	struct vnet_burst b = { 0, 1, NULL, false, false, 0, 0 };
	int (*one)(struct vnet *, struct vnet_queue *, struct vq *,
		   struct vnet_burst *);
	bool notify = false, polling = false, waits = false;
	unsigned budget;

	pthread_mutex_lock(&vqs->lock);
	/* §5.1.6.5.5: only the first curr_pairs pairs are used; the others'
	 * backend queues are detached (a multiqueue tap's poll says EPOLLERR
	 * for those), so they are left alone. */
	if (!vqs->active || vq->broken || vqs->kind == VNET_Q_NONE ||
	    (vqs->kind == VNET_Q_RX && !vqs->bounce) ||
	    (vqs->kind != VNET_Q_CTRL && vqs->pair >= LD(n->curr_pairs))) {
		pthread_mutex_unlock(&vqs->lock);
		return false;
	}
	one = vqs->kind == VNET_Q_TX   ? (vqs->batch ? vnet_tx_batch
						     : vnet_tx_one)
	      : vqs->kind == VNET_Q_RX ? vnet_rx_one
				       : vnet_ctrl_one;
	if (vqs->kind == VNET_Q_TX)
		ST(vqs->tx_blocked, 0);
	/* §2.7.10: no kicks while we are at it. */
	(void)vq_set_notification(vq, false);
	for (budget = VNET_BURST; budget;) {
		int r;

		b.room = budget;
		b.items = 1;
		r = one(n, vqs, vq, &b);
		if (r == VNET_DID || r == VNET_DID_WAIT)
			budget -= MIN(budget, MAX(b.items, 1u));
		if (r == VNET_DID)
			continue;
		/* Too few rx buffers for the frame: kick at the next one
		 * (retrying now would spin until the driver posts more). */
		if (r == VNET_SHORT) {
			if (vq_notify_at_next(vq)) {
				budget--;
				continue;
			}
			break;
		}
		/* poll-us: a transmit queue that just had work keeps kicks
		 * off and is looked at again by the thread's next turn
		 * (poll() with timeout 0) until the window closes. */
		if (r == VNET_EMPTY && n->poll_ns && vqs->kind == VNET_Q_TX &&
		    !LD(n->pz.on)) {
			uint64_t now = vnet_now_ns();

			if (b.packets || !vqs->poll_until)
				vqs->poll_until = now + n->poll_ns;
			if (now < vqs->poll_until) {
				polling = true;
				break;
			}
		}
		vqs->poll_until = 0;
		/* Empty: ask for kicks again, then look once more, since a
		 * buffer may have come before the request was visible. */
		if (r == VNET_EMPTY && vq_set_notification(vq, true)) {
			budget--;
			continue;
		}
		waits = r == VNET_DID_WAIT;
		break;
	}
	if (b.pushed)
		notify = vq_should_notify(vq);
	pthread_mutex_unlock(&vqs->lock);
	if (b.packets) {
		INC(vqs->st.packets, b.packets);
		INC(vqs->st.bytes, b.bytes);
	}
	if (b.bad)
		vio_dev_needs_reset(&n->vdev, "queue %u: %s", q, b.bad);
	if (b.link_fail &&
	    !__atomic_exchange_n(&n->link_forced_down, 1, __ATOMIC_ACQ_REL)) {
		vlog_warn(n->vdev.log, n->name,
			  "netdev '%s': %u receive errors in a row: link down",
			  n->peer->obj.id, VNET_RX_ERR_MAX);
		vnet_set_link(n, false);
	}
	if (notify) {
		INC(vqs->st.interrupts, 1);
		vio_notify_queue(&n->vdev, q);
	}
	return (budget == 0 && !waits) || polling;
}

bool vnet_io_serve(struct vnet *n, unsigned t)
{
	bool more = false;

	for (unsigned q = 0; q < n->vdev.nr_queues; q++) {
		struct vnet_queue *vqs = &n->q[q];
		int kfd = LD(vqs->kick_fd);

		if (LD(vqs->thread) != t)
			continue;
		if (kfd >= 0) {
			int k = hv_eventfd_drain(kfd);

			if (k > 0)
				INC(vqs->st.kicks, (uint64_t)k);
		}
		more |= vnet_serve(n, q);
	}
	return more;
}

/* ---- I/O threads ---- */

#define VNET_MAX_PFD (1 + 2 * VIO_MAX_QUEUES)

/* The poll set of thread @t; *timeout_ms is lowered for queues that wait
 * on a clock (rx backoff, a blocked tx backend without an fd). */
static unsigned vnet_pollset(struct vnet *n, struct vnet_thread *t,
			     struct pollfd *pfd, int *timeout_ms)
{
	unsigned k = 0;
	uint64_t now = 0;
	bool link = LD(n->link_up);

	pfd[k++] = (struct pollfd){ .fd = t->wake_fd, .events = POLLIN };
	for (unsigned q = 0; q < n->vdev.nr_queues && k + 2 <= VNET_MAX_PFD; q++) {
		struct vnet_queue *vqs = &n->q[q];
		int kfd = LD(vqs->kick_fd), fd;
		uint8_t kind;

		if (LD(vqs->thread) != t->idx || kfd < 0)
			continue;
		pfd[k++] = (struct pollfd){ .fd = kfd, .events = POLLIN };
		kind = LD(vqs->kind);
		if (!n->peer || (kind != VNET_Q_CTRL && vqs->pair >= LD(n->curr_pairs)))
			continue; /* not in use: its backend queue is detached */
		if (kind == VNET_Q_RX && LD(vqs->rx_want) && link) {
			uint64_t bo = LD(vqs->backoff_ns);

			if (bo) {
				if (!now)
					now = vnet_now_ns();
				if (bo > now) {
					int ms = (int)((bo - now) / 1000000u) + 1;

					if (*timeout_ms < 0 || ms < *timeout_ms)
						*timeout_ms = ms;
					continue;
				}
			}
			fd = netdev_rx_fd(n->peer, vqs->pair);
			if (fd >= 0)
				pfd[k++] = (struct pollfd){ .fd = fd,
							    .events = POLLIN };
		} else if (kind == VNET_Q_TX && LD(vqs->tx_blocked)) {
			fd = netdev_tx_fd(n->peer, vqs->pair);
			if (fd >= 0)
				pfd[k++] = (struct pollfd){ .fd = fd,
							    .events = POLLOUT };
			else if (*timeout_ms < 0 || *timeout_ms > 1)
				*timeout_ms = 1;
		}
	}
	return k;
}

static void *vnet_thread_main(void *opaque)
{
	struct vnet_thread *t = opaque;
	struct vnet *n = t->n;
	struct pollfd pfd[VNET_MAX_PFD];
	bool more = false;
	char tn[32];

	/* Named by itself (prctl): its creator, a vCPU thread, may be under
	 * VM_CONFIG_F_SECCOMP, where naming another thread (an open of
	 * /proc/self/task/TID/comm) is refused. */
	snprintf(tn, sizeof(tn), "vnet-%.16s-%u", n->name, t->idx % 100u);
	tn[15] = '\0'; /* the kernel's limit */
	pthread_setname_np(pthread_self(), tn);
	while (!LD(n->stop)) {
		int timeout = more ? 0 : -1;
		unsigned k;

		if (more && LD(n->pz.on))
			(void)vnet_io_serve(n, t->idx); /* closes poll windows */
		if (LD(n->pz.on)) {
			vnet_pause_point(n); /* parks here while paused */
			timeout = 0;          /* then one turn for every queue */
		}
		k = vnet_pollset(n, t, pfd, &timeout);
		if (t->idx == 0) /* a vhost backend's used-index samples */
			vnet_vhost_stats_tick(n, &timeout);

		if (poll(pfd, k, timeout) < 0 && errno != EINTR)
			continue; /* EBADF cannot happen: fds outlive us */
		if (pfd[0].revents & POLLIN)
			(void)hv_eventfd_drain(t->wake_fd);
		more = vnet_io_serve(n, t->idx);
	}
	return NULL;
}

void vnet_io_wake(struct vnet *n, int t)
{
	for (unsigned i = 0; n->th && i < n->nthreads; i++)
		if ((t < 0 || (unsigned)t == i) && n->th[i].wake_fd >= 0)
			(void)hv_eventfd_signal(n->th[i].wake_fd);
}

int vnet_io_start(struct vnet *n, struct vm_error **errp)
{
	int rc;

	n->th = calloc(n->nthreads, sizeof(*n->th));
	if (!n->th)
		return verr_set(errp, -ENOMEM, "device '%s': out of memory",
				n->name);
	vnet_pause_init(n);
	for (unsigned i = 0; i < n->nthreads; i++) {
		n->th[i].n = n;
		n->th[i].idx = i;
		n->th[i].wake_fd = -1;
	}
	/* x-io-inline: the caller serves the queues (vnet_io_serve). */
	for (unsigned i = 0; i < n->nthreads && !n->inline_io; i++) {
		struct vnet_thread *t = &n->th[i];

		t->wake_fd = hv_eventfd_new();
		if (t->wake_fd < 0)
			return verr_set(errp, t->wake_fd,
					"device '%s': eventfd: %s", n->name,
					strerror(-t->wake_fd));
		rc = -pthread_create(&t->tid, NULL, vnet_thread_main, t);
		if (rc < 0)
			return verr_set(errp, rc, "device '%s': I/O thread: %s",
					n->name, strerror(-rc));
		t->started = true;
	}
	return 0;
}

void vnet_io_stop(struct vnet *n)
{
	if (!n->th)
		return;
	ST(n->stop, 1);
	vnet_io_wake(n, -1);
	vnet_pause_kick(n);
	for (unsigned i = 0; i < n->nthreads; i++) {
		struct vnet_thread *t = &n->th[i];

		if (t->started)
			pthread_join(t->tid, NULL);
		if (t->wake_fd >= 0)
			close(t->wake_fd);
	}
	vnet_pause_fini(n);
	free(n->th);
	n->th = NULL;
}
