/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/virtio-net.h: the virtio-net device model (prefix vnet_),
 * virtio 1.2 §5.1, on top of lib/virtio and lib/net only (never PCI): the
 * device config, the offered features, queues rx0, tx0, ..., rxN-1, txN-1
 * and (with ctrl_vq) the control queue, served by the device's own I/O
 * threads from the kick eventfds the transport hands over at DRIVER_OK.
 * A transport (lib/devices/virtio-net-pci.c) embeds a struct vnet and
 * binds its ->vdev.
 *
 * Files: virtio-net.c (config, features, control commands, activation and
 * reset, host API), virtio-net-io.c (I/O threads, the queue-serving loop,
 * TX and RX), virtio-net-vhost.c (data queues handed to a vhost-style
 * netdev such as vhost-user instead).
 *
 * Threads: see the file header of virtio-net-io.c.
 */
#ifndef LIB_DEVICES_VIRTIO_NET_H
#define LIB_DEVICES_VIRTIO_NET_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <kvm-virtio.h>

#include "../net/netdev.h"
#include "../virtio/virtio.h"

#define VNET_HDR_LEN 12u /* struct virtio_net_hdr_v1 (VERSION_1) */
#define VNET_CTRL_QUEUE_SIZE 64u
/* Chains one wakeup serves per queue before the others get their turn. */
#define VNET_BURST 64u
/* Most frames one netdev_send_batch() call gets (NETDEV_CAP_TX_BATCH). */
#define VNET_TX_BATCH 32u
/* Consecutive backend receive errors before the link is reported down. */
#define VNET_RX_ERR_MAX 8u
/* RX bounce buffer: the header and the largest frame a backend gives. */
#define VNET_BOUNCE_SIZE (VNET_HDR_LEN + 65536u + 256u)

enum vnet_qkind {
	VNET_Q_NONE = 0,  /* not used by the negotiated layout */
	VNET_Q_RX,
	VNET_Q_TX,
	VNET_Q_CTRL,
};

/* Counters of one queue: atomics (relaxed), read by vnet_get_stats(). */
struct vnet_qstats {
	uint64_t packets, bytes;
	uint64_t kicks, interrupts;
	uint64_t drop_malformed;  /* tx: header-only/short chains */
	uint64_t drop_backend;    /* tx: backend error; rx: receive error */
	uint64_t drop_oversize;   /* rx: frame larger than the guest's buffers */
	uint64_t drop_link;       /* tx: sent while the link was down */
	uint64_t batches;         /* tx: netdev_send_batch() calls */
};

/* One virtqueue's data-path state. */
struct vnet_queue {
	pthread_mutex_t lock;   /* guards the vq ring state and fields below */
	bool active;            /* DRIVER_OK and not reset since */
	uint8_t kind;           /* enum vnet_qkind; under ->lock */
	unsigned pair;          /* rx/tx: its queue pair */
	unsigned thread;        /* index of the I/O thread serving it */
	int kick_fd;            /* transport's; -1 while inactive (atomic) */
	struct iovec *iov;      /* vq max_size + 1 entries */
	struct iovec *iov2;     /* scratch copy, same size */
	/* tx */
	uint8_t tx_blocked;     /* atomic: backend said -EAGAIN, wait for it */
	uint64_t poll_until;    /* poll-us window: kicks stay off until then
				 * (monotonic ns; 0: not polling); ->lock */
	/* tx to a backend with NETDEV_CAP_TX_BATCH (else NULL): the chains
	 * of one burst, their iovecs from a pool of 2 * max_size + 1 */
	struct netdev_frame *batch;  /* VNET_TX_BATCH entries */
	uint16_t *batch_heads;
	uint32_t *batch_lens;        /* frame bytes without the header */
	struct iovec *batch_iov;
	/* rx */
	uint8_t rx_want;        /* atomic: guest has buffers, poll backend */
	uint8_t *bounce;        /* VNET_BOUNCE_SIZE bytes */
	uint32_t pending;       /* bytes of a frame waiting, 0: none */
	uint16_t *heads;        /* vq max_size entries */
	uint32_t *lens;
	unsigned err_streak;    /* consecutive backend receive errors */
	uint64_t backoff_ns;    /* atomic: don't read the backend before this */
	/* vhost: the used index at the last sample (the vnet's ->vh_lock) */
	uint16_t vh_last;
	struct vnet_qstats st;
};

/* What the transport glue passes to vnet_init(); all borrowed. */
struct vnet_config {
	const char *name;              /* "net0", outlives the device */
	const struct vlog *log;        /* may be NULL */
	const struct gmem *gm;
	struct netdev *peer;           /* may be NULL: no backend */
	uint8_t mac[6];
	uint32_t pairs;                /* queue pairs, 1..NETDEV_MAX_QUEUES */
	uint32_t iothreads;            /* I/O threads, 0: one per pair */
	bool inline_io;                /* no threads: vnet_io_serve() only */
	uint32_t poll_us;              /* tx kick-free polling window, 0: off */
	uint16_t rx_size, tx_size;     /* powers of two */
	uint16_t mtu;                  /* 0: VIRTIO_NET_F_MTU not offered */
	/* Features the device properties allow (VIRTIO_NET_F_* bits); the
	 * offer is this intersected with what the backend can do. */
	uint64_t allowed;
};

struct vnet_thread {
	struct vnet *n;
	unsigned idx;
	int wake_fd;                   /* eventfd: activation, reset, stop */
	bool started;
	pthread_t tid;
};

/* virtio-net-pause.c: the I/O threads parked at a queue boundary. */
struct vnet_pause {
	pthread_mutex_t lock;
	pthread_cond_t cond;           /* ->parked changed, resumed, stopped */
	uint8_t on;                    /* atomic; written under ->lock */
	unsigned parked;               /* guarded by ->lock */
};

struct vnet {
	struct vio_dev vdev;           /* first: container_of from vio_dev */
	const struct gmem *gm;
	struct netdev *peer;
	const char *name;
	uint16_t mtu;
	uint32_t pairs;                /* max_virtqueue_pairs */
	bool backend_hdr;              /* the backend carries the 12-byte header */
	bool has_ctrl;                 /* CTRL_VQ offered */
	struct vnet_queue *q;          /* vdev.nr_queues entries */
	/* negotiated layout, set at DRIVER_OK under the device lock and read
	 * by the I/O threads under the queue locks */
	uint32_t curr_pairs;           /* atomic: pairs in use (VQ_PAIRS_SET) */
	pthread_mutex_t mac_lock;      /* leaf lock: guards ->mac */
	uint8_t mac[6];                /* guarded by ->mac_lock */
	uint8_t cfg_mac[6];            /* the configured one, back at reset;
					* ->mac_lock once realized */
	uint8_t link_up;               /* atomic: VIRTIO_NET_S_LINK_UP */
	uint8_t link_forced_down;      /* atomic: the backend failed */
	uint8_t announce;              /* atomic: VIRTIO_NET_S_ANNOUNCE shown
					  until the driver's ANNOUNCE_ACK or a
					  reset; set under the device lock */
	uint64_t ctrl_cmds;            /* atomic: control commands served */
	/* vhost-style backend (NETDEV_CAP_VHOST): it serves the data queues */
	bool vhost;
	bool vhost_started;            /* guarded by the device lock */
	bool vhost_paused;             /* taken back by vm_pause; same lock */
	bool vhost_loading;            /* device_load (vm_restore) runs: the
					  rings start from their used index;
					  set before the vCPUs run */
	/* the backend's used-index samples (virtio-net-vhost-stats.c) */
	pthread_mutex_t vh_lock;       /* leaf lock: guards ->vh_on,
					  ->vh_fold_ms and each queue's
					  ->vh_last */
	bool vh_on;                    /* sampled; read unlocked (atomic) for
					  I/O thread 0's poll timeout */
	uint64_t vh_fold_ms;           /* the last sample, ms */
	uint64_t vh_next_ms;           /* I/O thread 0's: next sample, ms */
	/* I/O threads */
	unsigned nthreads;
	bool inline_io;                /* no threads started (x-io-inline) */
	uint64_t poll_ns;              /* poll-us in ns; read-only after init */
	struct vnet_thread *th;
	uint8_t stop;                  /* atomic */
	struct vnet_pause pz;          /* set up with the threads (vnet_io_start) */
};

/* Set up @n from @c: features, config, queues, and the I/O threads (idle
 * until DRIVER_OK). Fails cleanly; messages name the device. */
int __must_check vnet_init(struct vnet *n, const struct vnet_config *c,
			   struct vm_error **errp);
/* Stop the threads and free. Safe on a zeroed @n and after a failed init. */
void vnet_fini(struct vnet *n);

/* Host API (any thread): the link as the guest sees it, and counters. */
void vnet_set_link(struct vnet *n, bool up);
/* The backend lost its peer (its own thread, no device lock held): link
 * down, logged once with @what. */
void vnet_link_lost(struct vnet *n, const char *what);
/* Any host thread: the MAC the config shows, now and after a reset, and a
 * config-change interrupt. */
void vnet_set_mac(struct vnet *n, const uint8_t mac[6]);
/* Any host thread, no device lock held: if the driver is at DRIVER_OK
 * and took VIRTIO_NET_F_GUEST_ANNOUNCE, show VIRTIO_NET_S_ANNOUNCE and
 * raise a config-change interrupt (the guest then announces itself:
 * gratuitous ARP, unsolicited NA; §5.1.6.5.4). Returns whether it did. */
bool vnet_announce(struct vnet *n);
void vnet_get_stats(struct vnet *n, struct vm_net_stats *st);

/* virtio-net-io.c: start/stop the I/O threads; wake thread @t (or all
 * with -1) to rebuild its poll set. */
int __must_check vnet_io_start(struct vnet *n, struct vm_error **errp);
void vnet_io_stop(struct vnet *n);
void vnet_io_wake(struct vnet *n, int t);
/* Serve every queue of thread @t once (what a wakeup does); returns true
 * if a queue has work left. For unit tests and fuzzers that run the data
 * path on their own thread, with no I/O thread started. */
bool vnet_io_serve(struct vnet *n, unsigned t);

/* virtio-net-pause.c. vnet_pause(): every I/O thread parked between two
 * bursts (no chain half-processed, no queue lock held), so the rings and
 * the device state stand still; returns at once without threads (inline
 * I/O). vnet_resume(): they run again. Any thread but an I/O thread;
 * pause and resume of one device must not overlap (the VM serializes
 * them). The _init/_point/_kick/_fini hooks are the I/O threads' side,
 * called by virtio-net-io.c only. */
int vnet_pause(struct vnet *n);
void vnet_resume(struct vnet *n);
void vnet_pause_init(struct vnet *n);
void vnet_pause_point(struct vnet *n);
void vnet_pause_kick(struct vnet *n);
void vnet_pause_fini(struct vnet *n);

/* virtio-net-state.c: MAC, link and pairs in use as a "VNET" snapshot
 * record / back, after the transport's load activated the device. */
struct snap_w;
struct snap_index;
void vnet_save(struct vnet *n, struct snap_w *w, uint16_t inst);
int __must_check vnet_load(struct vnet *n, const struct snap_index *ix,
			   uint16_t inst, struct vm_error **errp);

/* virtio-net.c: a control command (class, command, data), VIRTIO_NET_OK
 * or VIRTIO_NET_ERR. I/O thread of the control queue. */
uint8_t vnet_ctrl_cmd(struct vnet *n, const uint8_t *b, size_t len);

/* virtio-net-vhost.c: the offer @f limited to what a vhost-style @peer
 * can do (unchanged for other peers); hand the data queues of the first
 * @pairs pairs to it / take them back (device lock held; failures are
 * logged and take the link down). */
uint64_t vnet_vhost_offer(const struct netdev *peer, uint64_t f);
void vnet_vhost_start(struct vnet *n, const struct vio_activation *a,
		      unsigned pairs);
void vnet_vhost_stop(struct vnet *n);
/* vm_pause / vm_resume (vCPUs parked, device lock not held): the backend
 * stops every started ring and gives its index back / starts them again
 * from there. No-ops without a vhost-style backend or started rings. */
void vnet_vhost_pause(struct vnet *n);
void vnet_vhost_resume(struct vnet *n);
/* virtio-net-vhost-stats.c: packet counts of the backend's data queues
 * from their used indexes: start and end (device lock held: the rings
 * are handed over / taken back), fold the progress in (device lock held,
 * the rings still the backend's), sample (any thread: vm_net_get_stats),
 * and I/O thread 0's periodic sample (lowers *timeout_ms to the next). */
void vnet_vhost_stats_begin(struct vnet *n);
void vnet_vhost_stats_fold(struct vnet *n);
void vnet_vhost_stats_end(struct vnet *n);
void vnet_vhost_stats_sample(struct vnet *n);
void vnet_vhost_stats_tick(struct vnet *n, int *timeout_ms);
/* Register / drop the backend-loss handler (vnet_init / vnet_fini). */
void vnet_vhost_init(struct vnet *n);
void vnet_vhost_fini(struct vnet *n);

/* Queue numbering (virtio 1.2 §5.1.2). */
static inline unsigned vnet_rxq(unsigned pair)
{
	return 2 * pair;
}

static inline unsigned vnet_txq(unsigned pair)
{
	return 2 * pair + 1;
}

#endif
