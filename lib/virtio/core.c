/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/virtio/core.c: transport-neutral virtio device: status state machine
 * (virtio 1.2 §2.1, §3.1.1), feature negotiation (§2.2), device config and
 * its generation (§2.5), queue array, guest-error handling.
 *
 * Threads: register-driven calls (status, features, config, queue enable)
 * come from vCPU threads; vio_dev_kick() from a vCPU thread or the ioeventfd
 * handler; vio_dev_needs_reset(), vio_dev_config_changed() and the
 * vio_notify_*() calls from any thread.
 * Locking: the transport holds d->lock around every register access, so
 * status/features/queue configuration change under it. ->status is also
 * stored and loaded atomically so that a lock-free reader (kick, notify)
 * sees a whole byte. ->needs_reset, ->needs_reset_logged and
 * ->config_generation are atomics and never need the lock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "virtio.h"

int vio_dev_init(struct vio_dev *d, unsigned nr_queues,
		 const uint16_t *max_sizes, struct vm_error **errp)
{
	unsigned i;
	int rc;

	if (nr_queues == 0 || nr_queues > VIO_MAX_QUEUES)
		return verr_set(errp, -EINVAL,
				"virtio device '%s': %u queues (1..%u)",
				d->name, nr_queues, VIO_MAX_QUEUES);
	for (i = 0; i < nr_queues; i++) {
		uint32_t s = max_sizes[i];

		if (s == 0 || (s & (s - 1)) || s > VQ_MAX_SIZE)
			return verr_set(errp, -EINVAL,
					"virtio device '%s': queue %u size %u is not a power of 2 in 1..%u",
					d->name, i, s, VQ_MAX_SIZE);
	}
	d->vqs = calloc(nr_queues, sizeof(*d->vqs));
	if (!d->vqs)
		return verr_set(errp, -ENOMEM, "virtio device '%s': out of memory",
				d->name);
	rc = pthread_mutex_init(&d->lock, NULL);
	if (rc) {
		free(d->vqs);
		d->vqs = NULL;
		return verr_set(errp, -rc, "virtio device '%s': mutex: %s",
				d->name, strerror(rc));
	}
	d->nr_queues = nr_queues;
	/* virtio 1.2 §6.1: a non-transitional device offers VERSION_1. */
	d->host_features |= 1ull << VIRTIO_F_VERSION_1;
	d->guest_features = 0;
	d->status = 0;
	d->needs_reset = d->needs_reset_logged = 0;
	d->config_generation = 0;
	for (i = 0; i < nr_queues; i++) {
		d->vqs[i].max_size = max_sizes[i];
		d->vqs[i].index = (uint16_t)i;
		d->vqs[i].vdev = d;
		vq_reset(&d->vqs[i]);
	}
	return 0;
}

void vio_dev_fini(struct vio_dev *d)
{
	if (!d->vqs)
		return;
	pthread_mutex_destroy(&d->lock);
	free(d->vqs);
	d->vqs = NULL;
	d->nr_queues = 0;
}

static inline uint8_t vio_status(const struct vio_dev *d)
{
	return __atomic_load_n(&d->status, __ATOMIC_ACQUIRE);
}

uint8_t vio_dev_get_status(struct vio_dev *d)
{
	uint8_t s = vio_status(d);

	if (__atomic_load_n(&d->needs_reset, __ATOMIC_ACQUIRE))
		s |= VIRTIO_CONFIG_S_NEEDS_RESET;
	return s;
}

/* virtio 1.2 §2.4.1: after a reset the device is as new; status reads 0. */
static void vio_dev_reset(struct vio_dev *d)
{
	unsigned i;

	if (d->ops && d->ops->reset)
		d->ops->reset(d); /* quiesces the queue-serving threads */
	for (i = 0; i < d->nr_queues; i++)
		vq_reset(&d->vqs[i]);
	d->guest_features = 0;
	__atomic_store_n(&d->status, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&d->needs_reset, 0, __ATOMIC_RELEASE);
}

static bool vio_features_acceptable(const struct vio_dev *d)
{
	/* virtio 1.2 §2.2.1: the driver accepts only offered bits; §6.1 /
	 * Linux virtio_features_ok(): a modern-only device needs VERSION_1. */
	return !(d->guest_features & ~d->host_features) &&
	       (d->guest_features >> VIRTIO_F_VERSION_1) & 1;
}

bool vio_dev_set_status(struct vio_dev *d, uint8_t val)
{
	uint8_t old = vio_status(d), new;

	if (val == 0) {
		vio_dev_reset(d);
		return true;
	}
	/* NEEDS_RESET is the device's bit; §2.1.1: the driver never clears
	 * a bit it set, so a write that tries keeps the old bits. */
	new = (uint8_t)((val & VIO_STATUS_DRIVER_BITS) | old);

	/* virtio 1.2 §2.2.2: FEATURES_OK fails to stick unless the accepted
	 * set is valid; §3.1.1: it follows ACKNOWLEDGE and DRIVER. */
	if ((new & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		if (!(new & VIRTIO_CONFIG_S_ACKNOWLEDGE) ||
		    !(new & VIRTIO_CONFIG_S_DRIVER) ||
		    !vio_features_acceptable(d))
			new &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	/* virtio 1.2 §3.1.1 step 8: DRIVER_OK only after FEATURES_OK. */
	if ((new & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(new & VIRTIO_CONFIG_S_FEATURES_OK))
		new &= (uint8_t)~VIRTIO_CONFIG_S_DRIVER_OK;

	__atomic_store_n(&d->status, new, __ATOMIC_RELEASE);
	if ((new & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(old & VIRTIO_CONFIG_S_DRIVER_OK) && d->ops && d->ops->driver_ok)
		d->ops->driver_ok(d, d->act);
	return false;
}

uint32_t vio_dev_get_host_features(const struct vio_dev *d, uint32_t sel)
{
	/* virtio 1.2 §4.1.4.3.1: 0 for any select other than 0 or 1. */
	return sel < 2 ? (uint32_t)(d->host_features >> (32 * sel)) : 0;
}

uint32_t vio_dev_get_guest_features(const struct vio_dev *d, uint32_t sel)
{
	return sel < 2 ? (uint32_t)(d->guest_features >> (32 * sel)) : 0;
}

void vio_dev_set_guest_features(struct vio_dev *d, uint32_t sel, uint32_t val)
{
	uint64_t mask;

	/* virtio 1.2 §3.1.1: features are fixed once FEATURES_OK is set. */
	if (sel >= 2 || (vio_status(d) & VIRTIO_CONFIG_S_FEATURES_OK))
		return;
	mask = 0xffffffffull << (32 * sel);
	/* Stored as written: bits outside the offered set make FEATURES_OK
	 * fail rather than vanish silently (virtio 1.2 §2.2.2). */
	d->guest_features = (d->guest_features & ~mask) |
			    ((uint64_t)val << (32 * sel));
}

static bool vio_config_range_ok(const struct vio_dev *d, uint32_t off,
				uint32_t len)
{
	return off <= d->config_len && len <= d->config_len - off;
}

void vio_dev_read_config(struct vio_dev *d, uint32_t off, void *buf,
			 uint32_t len)
{
	memset(buf, 0, len);
	if (len && vio_config_range_ok(d, off, len) && d->ops &&
	    d->ops->get_config)
		d->ops->get_config(d, off, buf, len);
}

void vio_dev_write_config(struct vio_dev *d, uint32_t off, const void *buf,
			  uint32_t len)
{
	if (len && vio_config_range_ok(d, off, len) && d->ops &&
	    d->ops->set_config)
		d->ops->set_config(d, off, buf, len);
}

void vio_dev_config_changed(struct vio_dev *d)
{
	/* virtio 1.2 §2.5.1: a changed value shows a new generation. */
	__atomic_fetch_add(&d->config_generation, 1, __ATOMIC_ACQ_REL);
	if (vio_status(d) & VIRTIO_CONFIG_S_DRIVER_OK)
		vio_notify_config(d);
}

int vio_dev_enable_queue(struct vio_dev *d, unsigned q, const struct gmem *gm)
{
	struct vq *vq;
	int rc;

	if (q >= d->nr_queues)
		return -EINVAL;
	vq = &d->vqs[q];
	vq->event_idx = vio_dev_has_feature(d, VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = vio_dev_has_feature(d, VIRTIO_RING_F_INDIRECT_DESC);
	rc = vq_enable(vq, gm);
	if (rc)
		vio_dev_needs_reset(d,
				    "queue %u: size %u desc 0x%llx avail 0x%llx used 0x%llx rejected: %s",
				    q, vq->size, (unsigned long long)vq->desc_gpa,
				    (unsigned long long)vq->avail_gpa,
				    (unsigned long long)vq->used_gpa,
				    rc == -EFAULT ? "not in RAM" : "size or alignment");
	return rc;
}

void vio_dev_kick(struct vio_dev *d, unsigned q)
{
	/* virtio 1.2 §2.1.2: no buffers are consumed before DRIVER_OK. */
	if (q >= d->nr_queues || !vq_is_ready(&d->vqs[q]) ||
	    !(vio_status(d) & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	if (d->ops && d->ops->queue_notify)
		d->ops->queue_notify(d, q);
}

static __printf(3, 0) void vio_needs_reset_v(struct vio_dev *d,
					     const char *whose,
					     const char *fmt, va_list ap)
{
	char msg[256];

	if (__atomic_exchange_n(&d->needs_reset, 1, __ATOMIC_ACQ_REL))
		return; /* already signalled this reset cycle */
	/* Logged once per device, so a guest that breaks and resets the
	 * device in a loop cannot flood the host's log (STYLE §3.7). */
	if (!__atomic_exchange_n(&d->needs_reset_logged, 1, __ATOMIC_ACQ_REL)) {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		vlog_warn(d->log, d->name, "%s error, device needs reset: %s",
			  whose, msg);
	}
	/* virtio 1.2 §2.1.2: after setting NEEDS_RESET with DRIVER_OK set,
	 * the device MUST send a configuration change notification. */
	if (vio_status(d) & VIRTIO_CONFIG_S_DRIVER_OK)
		vio_notify_config(d);
}

void vio_dev_needs_reset(struct vio_dev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vio_needs_reset_v(d, "guest", fmt, ap);
	va_end(ap);
}

void vio_dev_backend_failed(struct vio_dev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vio_needs_reset_v(d, "backend", fmt, ap);
	va_end(ap);
}

void vio_notify_queue(struct vio_dev *d, unsigned q)
{
	if (d->tops && d->tops->notify_queue)
		d->tops->notify_queue(d, q);
}

void vio_notify_config(struct vio_dev *d)
{
	if (d->tops && d->tops->notify_config)
		d->tops->notify_config(d);
}

int vio_queue_push_notify(struct vio_dev *d, unsigned q, uint16_t head,
			  uint32_t len)
{
	int rc;

	if (q >= d->nr_queues)
		return -EINVAL;
	rc = vq_push(&d->vqs[q], head, len);
	if (rc == 0 && vq_should_notify(&d->vqs[q]))
		vio_notify_queue(d, q);
	return rc;
}
