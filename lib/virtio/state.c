/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/virtio/state.c: a virtio device's transport-neutral state as a
 * snapshot record "VIOD" (version 1): u64 guest features, u8 status, u8
 * needs_reset, u32 config_generation, u16 queue count, then per queue:
 * u16 size, u16 MSI-X vector, u64 desc/avail/used GPAs, u8 ready, u16
 * last_avail_idx, u16 used_idx, u16 signalled_used, u8 signalled_used_valid,
 * u8 notify_enabled, u8 broken.
 *
 * Load (virtio.h): the layout is checked against this device (queue count,
 * sizes within max_size), every ready queue is enabled again through
 * vq_enable() (so a hostile record cannot point a queue outside guest RAM:
 * the same checks as the guest's own enable) and gets its ring indexes;
 * the status is set as it was, without calling driver_ok (the caller
 * activates the device once the transport is restored).
 *
 * Threads: the API thread, device quiesced (VM paused or not started).
 * Locking: d->lock around reading and writing the fields it guards.
 */
#include <errno.h>
#include <string.h>

#include "../snapshot/format.h"
#include "virtio.h"

#define VIOD_TAG SNAP_TAG('V', 'I', 'O', 'D')
#define VIOD_VERSION 1

void vio_dev_save(struct vio_dev *d, struct snap_w *w, uint16_t inst)
{
	pthread_mutex_lock(&d->lock);
	snap_w_begin(w, VIOD_TAG, VIOD_VERSION, inst);
	snap_put_u64(w, d->guest_features);
	snap_put_u8(w, __atomic_load_n(&d->status, __ATOMIC_ACQUIRE));
	snap_put_u8(w, __atomic_load_n(&d->needs_reset, __ATOMIC_ACQUIRE));
	snap_put_u32(w, __atomic_load_n(&d->config_generation, __ATOMIC_ACQUIRE));
	snap_put_u16(w, (uint16_t)d->nr_queues);
	for (unsigned q = 0; q < d->nr_queues; q++) {
		const struct vq *vq = &d->vqs[q];

		snap_put_u16(w, vq->size);
		snap_put_u16(w, vq->msix_vector);
		snap_put_u64(w, vq->desc_gpa);
		snap_put_u64(w, vq->avail_gpa);
		snap_put_u64(w, vq->used_gpa);
		snap_put_u8(w, vq_is_ready(vq));
		snap_put_u16(w, vq->last_avail_idx);
		snap_put_u16(w, vq->used_idx);
		snap_put_u16(w, vq->signalled_used);
		snap_put_u8(w, vq->signalled_used_valid);
		snap_put_u8(w, vq->notify_enabled);
		snap_put_u8(w, vq->broken);
	}
	snap_w_end(w);
	pthread_mutex_unlock(&d->lock);
}

struct viod_queue {
	uint16_t size, vector, last_avail, used, signalled;
	uint64_t desc, avail, usedg;
	uint8_t ready, sig_valid, notify, broken;
};

static void get_queue(struct snap_cur *c, struct viod_queue *s)
{
	s->size = snap_get_u16(c);
	s->vector = snap_get_u16(c);
	s->desc = snap_get_u64(c);
	s->avail = snap_get_u64(c);
	s->usedg = snap_get_u64(c);
	s->ready = snap_get_u8(c);
	s->last_avail = snap_get_u16(c);
	s->used = snap_get_u16(c);
	s->signalled = snap_get_u16(c);
	s->sig_valid = snap_get_u8(c);
	s->notify = snap_get_u8(c);
	s->broken = snap_get_u8(c);
}

int vio_dev_load(struct vio_dev *d, const struct snap_rec *rec,
		 const struct gmem *gm, struct vm_error **errp)
{
	struct viod_queue qs[VIO_MAX_QUEUES];
	struct snap_cur c;
	uint64_t features;
	uint32_t gen;
	uint16_t nq;
	uint8_t status, nr;
	int rc = snap_rec_check(rec, VIOD_VERSION, "virtio device", errp);

	if (rc < 0)
		return rc;
	snap_cur_init(&c, rec);
	features = snap_get_u64(&c);
	status = snap_get_u8(&c);
	nr = snap_get_u8(&c);
	gen = snap_get_u32(&c);
	nq = snap_get_u16(&c);
	if (c.bad || nq != d->nr_queues)
		return verr_set(errp, -EINVAL,
				"snapshot: virtio device '%s': %u queues saved, this device has %u",
				d->name, nq, d->nr_queues);
	for (unsigned q = 0; q < nq; q++) {
		get_queue(&c, &qs[q]);
		if (qs[q].size > d->vqs[q].max_size)
			return verr_set(errp, -EINVAL,
					"snapshot: virtio device '%s': queue %u of size %u, at most %u here",
					d->name, q, qs[q].size, d->vqs[q].max_size);
	}
	rc = snap_cur_done(&c, rec, "virtio device", errp);
	if (rc < 0)
		return rc;
	if (features & ~d->host_features)
		return verr_set(errp, -EINVAL,
				"snapshot: virtio device '%s': features 0x%llx were accepted, this device offers 0x%llx",
				d->name, (unsigned long long)features,
				(unsigned long long)d->host_features);
	pthread_mutex_lock(&d->lock);
	d->guest_features = features;
	__atomic_store_n(&d->config_generation, gen, __ATOMIC_RELEASE);
	for (unsigned q = 0; q < nq && rc == 0; q++) {
		struct vq *vq = &d->vqs[q];

		vq_reset(vq);
		vq->size = qs[q].size;
		vq->msix_vector = qs[q].vector;
		vq->desc_gpa = qs[q].desc;
		vq->avail_gpa = qs[q].avail;
		vq->used_gpa = qs[q].usedg;
		if (!qs[q].ready)
			continue;
		vq->event_idx = vio_dev_has_feature(d, VIRTIO_RING_F_EVENT_IDX);
		vq->indirect = vio_dev_has_feature(d, VIRTIO_RING_F_INDIRECT_DESC);
		rc = vq_enable(vq, gm);
		if (rc < 0) {
			rc = verr_set(errp, -EINVAL,
				      "snapshot: virtio device '%s': queue %u does not fit guest RAM",
				      d->name, q);
			break;
		}
		vq->last_avail_idx = qs[q].last_avail;
		vq->used_idx = qs[q].used;
		vq->signalled_used = qs[q].signalled;
		vq->signalled_used_valid = qs[q].sig_valid;
		vq->notify_enabled = qs[q].notify;
		vq->broken = qs[q].broken;
	}
	if (rc < 0) { /* leave the device as after a reset */
		for (unsigned q = 0; q < nq; q++)
			vq_reset(&d->vqs[q]);
		d->guest_features = 0;
		status = 0;
		nr = 0;
	}
	__atomic_store_n(&d->needs_reset, nr, __ATOMIC_RELEASE);
	__atomic_store_n(&d->status, status, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->lock);
	return rc;
}
