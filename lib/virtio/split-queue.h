/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/virtio/split-queue.h: the device side of a split virtqueue
 * (virtio 1.2 §2.7).
 *
 * The transport copies the guest-written ring addresses into a struct vq
 * and calls vq_enable(), which validates them (alignment, size, inside one
 * RAM region) and keeps host pointers to the three ring parts. Guest RAM
 * never moves between gmem_init() and gmem_fini() (lib/kvm/mem.h), so those
 * pointers stay valid while the queue is enabled. Everything the guest can
 * write afterwards (avail idx, ring entries, descriptors) is read once into
 * host variables and checked before it bounds anything.
 *
 * A guest error (descriptor loop, index out of range, buffer outside RAM,
 * chain over 2^32 bytes, ...) breaks the queue: vq_pop() returns -EIO, the
 * device is marked DEVICE_NEEDS_RESET through vio_dev_needs_reset(), one
 * message is logged, and every later vq_pop() returns -EIO until the driver
 * resets the device. It is never an API error and never crashes the host.
 *
 * Threads: the queue's ring state (last_avail_idx, used_idx, event-idx
 * state, broken) is owned by the one thread that serves the queue (a vCPU
 * thread on a notify exit in unit tests, the I/O thread in production). The
 * configuration fields (size, GPAs, features) are written by a vCPU thread
 * under the device lock (lib/virtio/core.c) while ->ready is 0; ->ready is
 * published with a release store and read with an acquire load.
 * Locking: no lock on the data path. The guest shares the rings: avail->idx
 * is read with acquire ordering before ring entries and descriptors are
 * read; used->idx is written with release ordering after the used element;
 * a full fence separates used->idx from reading the driver's suppression
 * fields (the same pairing Linux's virtio_ring.c expects).
 */
#ifndef LIB_VIRTIO_SPLIT_QUEUE_H
#define LIB_VIRTIO_SPLIT_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_ring.h>

#include "../core/compiler.h"
#include "../kvm/mem.h"

struct vio_dev;

#define VQ_MAX_SIZE 32768u /* virtio 1.2 §2.7: Queue Size is at most 32768 */

struct vq {
	/* Configuration: vCPU thread under the device lock, while !ready. */
	uint16_t max_size;       /* offered to the driver (power of 2) */
	uint16_t size;           /* driver's queue_size at enable time */
	uint16_t msix_vector;    /* transport's; VIRTIO_MSI_NO_VECTOR if none */
	uint16_t index;          /* queue number in its device */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool event_idx;          /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;           /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	struct vio_dev *vdev;    /* for NEEDS_RESET; NULL in bare tests */
	uint8_t ready;           /* release store / acquire load */

	/* Host pointers into guest RAM, set by vq_enable(). */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;

	/* Ring state: owned by the thread that serves the queue. */
	uint16_t last_avail_idx; /* next avail ring slot to pop */
	uint16_t used_idx;       /* shadow of used->idx */
	uint16_t signalled_used; /* used_idx at the last notification */
	bool signalled_used_valid;
	bool notify_enabled;     /* device wants available-buffer notifications */
	bool broken;             /* a guest error was seen; until reset */
};

/*
 * One popped chain. The caller provides ->iov with ->iov_cap entries;
 * vq_pop() fills iov[0, out_num) with the device-readable buffers and
 * iov[out_num, out_num + in_num) with the device-writable ones. A chain
 * has at most vq->size buffers (virtio 1.2 §2.7.5.3.1), so iov_cap >=
 * vq->size never runs short.
 */
struct vq_elem {
	struct iovec *iov;
	unsigned iov_cap;
	uint16_t head;           /* descriptor index to hand to vq_push() */
	unsigned out_num, in_num;
	uint64_t out_len, in_len; /* bytes readable / writable */
};

/* Reset to the post-reset state (not ready, size = max_size, GPAs 0,
 * no vector); keeps max_size, index and vdev. */
void vq_reset(struct vq *vq);

/*
 * Validate the ring addresses and sizes already copied into @vq and make
 * it ready. Returns 0, or -EINVAL (size not a power of 2 or above
 * max_size, misaligned ring: virtio 1.2 §2.7 alignment table) or -EFAULT
 * (a ring part not inside one RAM region). A failure leaves it not ready;
 * the caller treats it as a guest error.
 */
int __must_check vq_enable(struct vq *vq, const struct gmem *gm);

static inline bool vq_is_ready(const struct vq *vq)
{
	return __atomic_load_n(&vq->ready, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Pop one chain. Returns 1 with @e filled, 0 if the ring is empty (or the
 * queue not ready), -EIO if the queue is broken by a guest error (the
 * device is then marked NEEDS_RESET), -ENOBUFS if @e->iov_cap is too small
 * for this chain (nothing consumed; a host error).
 */
int vq_pop(struct vq *vq, const struct gmem *gm, struct vq_elem *e);

/* Give back the last @n popped chains without using them (they will be
 * popped again). */
void vq_unpop(struct vq *vq, uint16_t n);

/* True if the driver has made buffers available that are not popped yet. */
bool vq_has_avail(struct vq *vq);

/*
 * Return chain @head with @len bytes written into its writable buffers.
 * The used element is stored before used->idx (release). Returns 0, or
 * -EINVAL if @head is not a descriptor index (a device-model bug) or the
 * queue is not ready.
 */
int vq_push(struct vq *vq, uint16_t head, uint32_t len);

/*
 * Whether the driver wants a used-buffer notification now, for the used
 * entries pushed since the last call that returned true (virtio 1.2
 * §2.7.7.2, §2.7.10): used_event with VIRTIO_RING_F_EVENT_IDX, otherwise
 * VRING_AVAIL_F_NO_INTERRUPT.
 */
bool vq_should_notify(struct vq *vq);

/*
 * Ask for (or stop asking for) available-buffer notifications: sets
 * avail_event (EVENT_IDX) or VRING_USED_F_NO_NOTIFY. When enabling, returns
 * true if buffers arrived meanwhile (the caller must then pop again rather
 * than wait for a kick).
 */
bool vq_set_notification(struct vq *vq, bool enable);

/*
 * Ask for a notification at the driver's next addition, when what it has
 * made available is not enough (a receive frame that needs more buffers
 * than are posted): EVENT_IDX's avail_event is set to the current avail
 * index, not to last_avail_idx, which the driver may already have passed
 * and so would never notify for. Returns true if the driver added buffers
 * meanwhile (the caller tries again rather than wait).
 */
bool vq_notify_at_next(struct vq *vq);

#endif
