/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/virtio-net.h: the virtio-net device model (prefix vnet_),
 * virtio 1.2 §5.1, on top of lib/virtio and lib/net only (never PCI): the
 * device config, the offered features, queues rx0, tx0, ..., rxN-1, txN-1
 * and (with ctrl_vq) the control queue, the TX path, the RX I/O thread and
 * the control commands. A transport (lib/devices/virtio-net-pci.c) embeds
 * a struct vnet and binds its ->vdev.
 *
 * Threads/Locking: see the file header of virtio-net.c.
 */
#ifndef LIB_DEVICES_VIRTIO_NET_H
#define LIB_DEVICES_VIRTIO_NET_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../net/netdev.h"
#include "../virtio/virtio.h"

#define VNET_HDR_LEN 12u /* struct virtio_net_hdr_v1 (VERSION_1) */
#define VNET_CTRL_QUEUE_SIZE 64u

struct vnet_rx;

/* One virtqueue's data-path state. */
struct vnet_queue {
	pthread_mutex_t lock;   /* guards the vq ring state and ->active */
	bool active;            /* guarded by ->lock: DRIVER_OK, no reset */
	struct iovec *iov;      /* vq max_size + 1 entries; under ->lock */
	struct iovec *iov2;     /* scratch copy, same size; under ->lock */
	uint8_t want_rx;        /* atomic: poll the backend fd (rx only) */
	uint64_t dropped;       /* atomic: frames dropped (backend full) */
};

/* What the transport glue passes to vnet_init(); all borrowed. */
struct vnet_config {
	const char *name;              /* "net0", outlives the device */
	const struct vlog *log;        /* may be NULL */
	const struct gmem *gm;
	struct netdev *peer;           /* may be NULL: no backend */
	uint8_t mac[6];
	uint32_t pairs;                /* queue pairs, 1..NETDEV_MAX_QUEUES */
	uint16_t rx_size, tx_size;     /* powers of two */
	uint16_t mtu;                  /* 0: VIRTIO_NET_F_MTU not offered */
	/* Features the device properties allow (VIRTIO_NET_F_* bits); the
	 * offer is this intersected with what the backend can do. */
	uint64_t allowed;
};

struct vnet {
	struct vio_dev vdev;           /* first: container_of from vio_dev */
	const struct gmem *gm;
	struct netdev *peer;
	uint8_t mac[6];
	uint16_t mtu;
	uint32_t pairs;                /* max_virtqueue_pairs */
	uint32_t ctrl_q;               /* index of the ctrl queue, or UINT32_MAX */
	bool backend_hdr;              /* the backend carries the 12-byte header */
	struct vnet_queue *q;          /* vdev.nr_queues entries */
	struct vnet_rx *rx;            /* ->pairs entries (virtio-net.c) */
	/* RX I/O thread */
	int wake_fd;                   /* eventfd, -1 if no thread */
	bool thread_started;
	uint8_t stop;                  /* atomic */
	pthread_t thread;
};

/* Set up @n from @c: features, config, queues, and (if the backend has an
 * rx fd) the RX I/O thread. Fails cleanly; messages name the device. */
int __must_check vnet_init(struct vnet *n, const struct vnet_config *c,
			   struct vm_error **errp);
/* Stop the thread and free. Safe on a zeroed @n and after a failed init. */
void vnet_fini(struct vnet *n);

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
