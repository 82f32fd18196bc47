/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/mock/virtio-driver.h: a mock virtio driver following Linux's
 * probe order (ARCHITECTURE.md): register_virtio_device() resets and sets
 * ACKNOWLEDGE; virtio_dev_probe() sets DRIVER, negotiates features, sets
 * FEATURES_OK and reads it back; the device driver sets up its queues the
 * way vp_modern_find_vqs() does (size, addresses, vector read-back, then
 * queue_enable for every queue) and virtio_device_ready() sets DRIVER_OK.
 *
 * Transport-neutral in the libqos QVirtioBus sense: it speaks the virtio
 * 1.x common configuration layout (struct virtio_pci_common_cfg offsets)
 * through @rd/@wr, which a test points at BAR MMIO accesses (or at the
 * transport's common-cfg handlers directly).
 */
#ifndef TESTS_UNIT_MOCK_VIRTIO_DRIVER_H
#define TESTS_UNIT_MOCK_VIRTIO_DRIVER_H

#include <stdint.h>

#include "vring-driver.h"

struct virtio_drv_ops {
	uint32_t (*rd)(void *opaque, uint32_t off, unsigned size);
	void (*wr)(void *opaque, uint32_t off, uint32_t val, unsigned size);
	/* Available-buffer notification for queue @q (its notify_off). */
	void (*notify)(void *opaque, uint16_t q, uint16_t notify_off);
};

struct virtio_drv {
	const struct virtio_drv_ops *ops;
	void *opaque;
	uint64_t features;       /* negotiated */
};

uint8_t virtio_drv_get_status(struct virtio_drv *d);
void virtio_drv_set_status(struct virtio_drv *d, uint8_t s);
/* OR @bit into the status (virtio_add_status). */
void virtio_drv_add_status(struct virtio_drv *d, uint8_t bit);
uint64_t virtio_drv_device_features(struct virtio_drv *d);
void virtio_drv_write_features(struct virtio_drv *d, uint64_t f);
/* Reset (wait for 0), ACKNOWLEDGE, DRIVER, features (offered & @wanted),
 * FEATURES_OK and its read-back. Returns 0, or -ENODEV if FEATURES_OK did
 * not stick (FAILED is then set, like virtio_dev_probe). */
int virtio_drv_probe(struct virtio_drv *d, uint64_t wanted);
/* Accept exactly @f (no masking) and try FEATURES_OK; returns the status
 * read back. For tests of bad feature sets. */
uint8_t virtio_drv_try_features(struct virtio_drv *d, uint64_t f);
/* Program queue @q with ring @r of @size (allocated here) and MSI-X vector
 * @vec (read back: returns it, VIRTIO_MSI_NO_VECTOR on refusal). Does not
 * enable it. Returns -ENOENT if the queue does not exist or is enabled. */
int virtio_drv_setup_queue(struct virtio_drv *d, struct guest_mem *m,
			   uint16_t q, uint16_t size, uint16_t vec,
			   struct vring_drv *r);
void virtio_drv_enable_queue(struct virtio_drv *d, uint16_t q);
void virtio_drv_driver_ok(struct virtio_drv *d);
/* Kick queue @q the way vp_notify() does (through its notify_off). */
void virtio_drv_kick(struct virtio_drv *d, uint16_t q);

#endif
