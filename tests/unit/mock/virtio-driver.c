/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/mock/virtio-driver.c: Linux's virtio probe order, mocked. */
#include <errno.h>
#include <stddef.h>

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "virtio-driver.h"

#define CC(f) offsetof(struct virtio_pci_common_cfg, f)

static uint32_t rd(struct virtio_drv *d, uint32_t off, unsigned size)
{
	return d->ops->rd(d->opaque, off, size);
}

static void wr(struct virtio_drv *d, uint32_t off, uint32_t val, unsigned size)
{
	d->ops->wr(d->opaque, off, val, size);
}

uint8_t virtio_drv_get_status(struct virtio_drv *d)
{
	return (uint8_t)rd(d, CC(device_status), 1);
}

void virtio_drv_set_status(struct virtio_drv *d, uint8_t s)
{
	wr(d, CC(device_status), s, 1);
}

void virtio_drv_add_status(struct virtio_drv *d, uint8_t bit)
{
	virtio_drv_set_status(d, (uint8_t)(virtio_drv_get_status(d) | bit));
}

uint64_t virtio_drv_device_features(struct virtio_drv *d)
{
	uint64_t f;

	wr(d, CC(device_feature_select), 0, 4);
	f = rd(d, CC(device_feature), 4);
	wr(d, CC(device_feature_select), 1, 4);
	f |= (uint64_t)rd(d, CC(device_feature), 4) << 32;
	return f;
}

void virtio_drv_write_features(struct virtio_drv *d, uint64_t f)
{
	wr(d, CC(guest_feature_select), 0, 4);
	wr(d, CC(guest_feature), (uint32_t)f, 4);
	wr(d, CC(guest_feature_select), 1, 4);
	wr(d, CC(guest_feature), (uint32_t)(f >> 32), 4);
}

static void reset_and_ack(struct virtio_drv *d)
{
	/* vp_reset(): write 0, then wait until it reads back 0. */
	virtio_drv_set_status(d, 0);
	while (virtio_drv_get_status(d))
		;
	virtio_drv_add_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_drv_add_status(d, VIRTIO_CONFIG_S_DRIVER);
}

uint8_t virtio_drv_try_features(struct virtio_drv *d, uint64_t f)
{
	reset_and_ack(d);
	virtio_drv_write_features(d, f);
	virtio_drv_add_status(d, VIRTIO_CONFIG_S_FEATURES_OK);
	return virtio_drv_get_status(d);
}

int virtio_drv_probe(struct virtio_drv *d, uint64_t wanted)
{
	uint64_t f;

	reset_and_ack(d);
	f = virtio_drv_device_features(d) & wanted;
	d->features = f;
	virtio_drv_write_features(d, f);
	virtio_drv_add_status(d, VIRTIO_CONFIG_S_FEATURES_OK);
	/* virtio_features_ok(): "device refuses features" */
	if (!(virtio_drv_get_status(d) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		virtio_drv_add_status(d, VIRTIO_CONFIG_S_FAILED);
		return -ENODEV;
	}
	return 0;
}

int virtio_drv_setup_queue(struct virtio_drv *d, struct guest_mem *m,
			   uint16_t q, uint16_t size, uint16_t vec,
			   struct vring_drv *r)
{
	uint16_t max;

	/* vp_modern_create_virtqueue() / vp_active_vq() order */
	if (q >= rd(d, CC(num_queues), 2))
		return -ENOENT;
	wr(d, CC(queue_select), q, 2);
	max = (uint16_t)rd(d, CC(queue_size), 2);
	if (!max || rd(d, CC(queue_enable), 2))
		return -ENOENT;
	if (size > max)
		size = max;
	vring_drv_init(r, m, size);
	wr(d, CC(queue_size), size, 2);
	wr(d, CC(queue_desc_lo), (uint32_t)r->desc, 4);
	wr(d, CC(queue_desc_hi), (uint32_t)(r->desc >> 32), 4);
	wr(d, CC(queue_avail_lo), (uint32_t)r->avail, 4);
	wr(d, CC(queue_avail_hi), (uint32_t)(r->avail >> 32), 4);
	wr(d, CC(queue_used_lo), (uint32_t)r->used, 4);
	wr(d, CC(queue_used_hi), (uint32_t)(r->used >> 32), 4);
	wr(d, CC(queue_msix_vector), vec, 2);
	return (int)rd(d, CC(queue_msix_vector), 2);
}

void virtio_drv_enable_queue(struct virtio_drv *d, uint16_t q)
{
	wr(d, CC(queue_select), q, 2);
	wr(d, CC(queue_enable), 1, 2);
}

void virtio_drv_driver_ok(struct virtio_drv *d)
{
	virtio_drv_add_status(d, VIRTIO_CONFIG_S_DRIVER_OK);
}

void virtio_drv_kick(struct virtio_drv *d, uint16_t q)
{
	uint16_t off;

	wr(d, CC(queue_select), q, 2);
	off = (uint16_t)rd(d, CC(queue_notify_off), 2);
	d->ops->notify(d->opaque, q, off);
}
