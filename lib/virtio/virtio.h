/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/virtio/virtio.h: the transport-neutral virtio device (prefix vio_).
 *
 * A device model (virtio-net, ...) embeds a struct vio_dev, fills in its
 * identity, offered features and queue sizes, and supplies a small const
 * ops table. The core owns the status state machine (virtio 1.2 §2.1,
 * §3.1.1), feature negotiation (§2.2), the config generation counter
 * (§2.5) and the queue array. A transport (lib/virtio/pci-modern.c) maps
 * its registers onto vio_* calls and delivers interrupts through
 * struct vio_transport_ops, so the device model never sees PCI.
 *
 * Threads: transport register accesses (status, features, queue setup)
 * come from vCPU threads. Queue ring state belongs to the thread serving
 * the queue (lib/virtio/split-queue.h). vio_dev_needs_reset() and
 * vio_notify_*() may be called from any thread.
 * Locking: ->lock (the device lock) guards every field marked so; the
 * transport takes it around each register access and calls the
 * vio_dev_*() setters with it held. ops->reset and ops->driver_ok run with
 * it held, so they must not wait for a thread that could take it. The
 * NEEDS_RESET bit is a separate atomic so that a queue-serving thread can
 * raise it without the device lock (no lock-order inversion with ->reset,
 * which quiesces those threads). Lock order: VM -> device -> queue.
 */
#ifndef LIB_VIRTIO_VIRTIO_H
#define LIB_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_config.h>

#include "../core/compiler.h"
#include "../core/error.h"
#include "../core/log.h"
#include "../kvm/mem.h"
#include "split-queue.h"

#define VIO_MAX_QUEUES 64u

/* The four bits the driver may set; NEEDS_RESET is the device's. */
#define VIO_STATUS_DRIVER_BITS                                                \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |               \
	 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK |            \
	 VIRTIO_CONFIG_S_FAILED)

struct vio_dev;

/* One queue's doorbells, owned by the transport (valid until its fini). */
struct vio_queue_fds {
	int kick_fd;   /* readable when the driver notified the queue */
	int call_fd;   /* write 1: used-buffer interrupt (vhost backends) */
};

/*
 * What a device gets at DRIVER_OK (Cloud Hypervisor's ActivationContext):
 * every queue's doorbells plus the config-change call fd and guest RAM.
 * Queue sizes and ring addresses are in d->vqs[]. An in-process device
 * polls kick_fd and raises interrupts with vio_notify_queue() (which uses
 * call_fd when it is routed); a vhost-style backend takes the fds as they
 * are. NULL when the transport has no doorbells (core unit tests).
 */
struct vio_activation {
	unsigned nr_queues;
	const struct vio_queue_fds *q;
	int config_call_fd;
	const struct gmem *gm;
};

/* The device model's hooks. All are optional except get_config when
 * config_len > 0. All run on a vCPU thread with the device lock held. */
struct vio_dev_ops {
	/* Copy @len bytes of device config at @off (already bounds-checked
	 * against config_len) into @buf. */
	void (*get_config)(struct vio_dev *d, uint32_t off, void *buf,
			   uint32_t len);
	/* Driver wrote @len bytes at @off (bounds-checked). */
	void (*set_config)(struct vio_dev *d, uint32_t off, const void *buf,
			   uint32_t len);
	/* Driver notified queue @q (ready, DRIVER_OK set), on the vCPU
	 * thread that took the exit. Only for devices served on the exit
	 * path; a device with kick fds (driver_ok's @act) leaves it NULL,
	 * since an ioeventfd kick never reaches user space here. */
	void (*queue_notify)(struct vio_dev *d, unsigned q);
	/* Device reset (status write of 0): quiesce every thread serving a
	 * queue before returning; the core then resets the queues. */
	void (*reset)(struct vio_dev *d);
	/* DRIVER_OK was just set: queues may be served from now on; @act
	 * (may be NULL) holds the doorbells, valid until the next reset. */
	void (*driver_ok)(struct vio_dev *d, const struct vio_activation *act);
};

/* The transport's hooks; may be called from any thread. */
struct vio_transport_ops {
	/* Used-buffer notification for queue @q (MSI-X vector or ISR+INTx). */
	void (*notify_queue)(struct vio_dev *d, unsigned q);
	/* Configuration change notification. */
	void (*notify_config)(struct vio_dev *d);
};

struct vio_dev {
	/* Identity: set before vio_dev_init(), read-only afterwards. */
	const char *name;             /* for messages: "net0" */
	uint16_t device_id;           /* VIRTIO_ID_* */
	uint64_t host_features;       /* offered; VERSION_1 is added */
	uint32_t config_len;          /* bytes of device-specific config */
	const struct vio_dev_ops *ops;
	const struct vlog *log;       /* may be NULL */

	/* Transport, set by the transport at its init. */
	const struct vio_transport_ops *tops;
	void *transport;
	const struct vio_activation *act;  /* the transport's doorbells */

	pthread_mutex_t lock;         /* the device lock */
	uint64_t guest_features;      /* guarded by ->lock */
	uint8_t status;               /* guarded by ->lock; w/o NEEDS_RESET */
	uint8_t needs_reset;          /* atomic; cleared by reset */
	uint8_t needs_reset_logged;   /* atomic; log once per device */
	uint32_t config_generation;   /* guarded by ->lock */
	unsigned nr_queues;
	struct vq *vqs;               /* nr_queues entries, owned */
};

/*
 * Set up @d whose identity fields are filled: allocate @nr_queues queues
 * with the given maximum sizes (powers of 2, 1..32768). Returns 0,
 * -EINVAL (bad size or count) or -ENOMEM.
 */
int __must_check vio_dev_init(struct vio_dev *d, unsigned nr_queues,
			      const uint16_t *max_sizes,
			      struct vm_error **errp);
void vio_dev_fini(struct vio_dev *d);

/* Status byte as the driver reads it (NEEDS_RESET included). */
uint8_t vio_dev_get_status(struct vio_dev *d);
/*
 * Driver writes @val to device_status (device lock held). 0 resets the
 * device (ops->reset, queues, features, vectors are the transport's).
 * FEATURES_OK sticks only if the accepted features are a subset of the
 * offered ones and include VERSION_1; DRIVER_OK only after FEATURES_OK.
 * Returns true if the write was a reset (the transport then resets its
 * own per-queue state).
 */
bool vio_dev_set_status(struct vio_dev *d, uint8_t val);

/* Features: 32-bit windows selected by @sel (0 or 1; others read 0). */
uint32_t vio_dev_get_host_features(const struct vio_dev *d, uint32_t sel);
uint32_t vio_dev_get_guest_features(const struct vio_dev *d, uint32_t sel);
/* Ignored once FEATURES_OK is set (virtio 1.2 §3.1.1 step 5/6). */
void vio_dev_set_guest_features(struct vio_dev *d, uint32_t sel,
				uint32_t val);
static inline bool vio_dev_has_feature(const struct vio_dev *d, unsigned bit)
{
	return bit < 64 && (d->guest_features >> bit) & 1;
}

/* Device config window; out-of-range bytes read 0 / writes dropped. */
void vio_dev_read_config(struct vio_dev *d, uint32_t off, void *buf,
			 uint32_t len);
void vio_dev_write_config(struct vio_dev *d, uint32_t off, const void *buf,
			  uint32_t len);
/* Device model changed its config: bump the generation and notify the
 * driver (if DRIVER_OK). Takes the device lock. */
void vio_dev_config_changed(struct vio_dev *d);

/*
 * Enable queue @q whose size/GPAs the transport has copied into
 * d->vqs[q]. Returns 0 or the vq_enable() error; a failure is a guest
 * error and marks the device NEEDS_RESET.
 */
int vio_dev_enable_queue(struct vio_dev *d, unsigned q, const struct gmem *gm);

/* Driver kicked queue @q: calls ops->queue_notify if the queue is ready and
 * DRIVER_OK is set; otherwise ignored. Called by the transport's notify
 * handler and later by the ioeventfd handler. */
void vio_dev_kick(struct vio_dev *d, unsigned q);

/*
 * A guest error: set DEVICE_NEEDS_RESET (virtio 1.2 §2.1.2), log the
 * first one per device, and send a configuration change notification if
 * DRIVER_OK is set. Any thread, no lock needed.
 */
void vio_dev_needs_reset(struct vio_dev *d, const char *fmt, ...)
	__printf(2, 3);
/* The same for a backend that cannot go on (a vhost-user ring error):
 * logged as the backend's error, not the guest's. */
void vio_dev_backend_failed(struct vio_dev *d, const char *fmt, ...)
	__printf(2, 3);

/* Interrupts to the driver through the transport. */
void vio_notify_queue(struct vio_dev *d, unsigned q);
void vio_notify_config(struct vio_dev *d);

/* Push and, if the driver wants it, notify (vq_push + vq_should_notify). */
int vio_queue_push_notify(struct vio_dev *d, unsigned q, uint16_t head,
			  uint32_t len);

/* Snapshot state (state.c, record "VIOD", instance @inst): features,
 * status, config_generation and every queue's layout, enable and ring
 * indexes. Load checks the record against @d (queue count and sizes,
 * offered features) and re-enables ready queues on @gm with the guest's
 * own checks; it does not call driver_ok (the transport activates the
 * device after its own state). On failure @d is as after a reset.
 * Device quiesced; takes d->lock. */
struct snap_w;
struct snap_rec;
void vio_dev_save(struct vio_dev *d, struct snap_w *w, uint16_t inst);
int __must_check vio_dev_load(struct vio_dev *d, const struct snap_rec *rec,
			      const struct gmem *gm, struct vm_error **errp);

#endif
