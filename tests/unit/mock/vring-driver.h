/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/mock/vring-driver.h: the driver side of a split virtqueue in
 * mock guest RAM (rust-vmm MockSplitQueue, libqos QVirtQueue): allocate
 * the rings, write chains (direct or through an indirect table) and raw
 * hostile descriptors, publish heads, read the used ring. Every access is
 * a guest-RAM access the device can see, with the driver's barriers.
 */
#ifndef TESTS_UNIT_MOCK_VRING_DRIVER_H
#define TESTS_UNIT_MOCK_VRING_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "guest-mem.h"

struct vring_drv_buf {
	uint64_t addr;
	uint32_t len;
	bool write;              /* device-writable */
};

struct vring_drv {
	struct guest_mem *m;
	uint16_t size;
	uint64_t desc, avail, used;  /* GPAs */
	uint16_t next_desc;          /* next free descriptor (wraps) */
	uint16_t avail_idx;          /* driver's shadow of avail->idx */
	uint16_t last_used;
};

/* Allocate and zero the three ring parts for @size entries. */
void vring_drv_init(struct vring_drv *r, struct guest_mem *m, uint16_t size);
/* Write descriptor @i as is (hostile tests). */
void vring_drv_set_desc(struct vring_drv *r, uint16_t i, uint64_t addr,
			uint32_t len, uint16_t flags, uint16_t next);
/* Chain @n buffers in consecutive descriptors; returns the head. */
uint16_t vring_drv_add_chain(struct vring_drv *r,
			     const struct vring_drv_buf *b, unsigned n);
/* Write @n buffers into a new indirect table and one descriptor that
 * points to it; returns that descriptor (the head). *table gets its GPA. */
uint16_t vring_drv_add_indirect(struct vring_drv *r,
				const struct vring_drv_buf *b, unsigned n,
				uint64_t *table);
/* Put @head in the avail ring and publish it (release store of idx). */
void vring_drv_publish(struct vring_drv *r, uint16_t head);
/* Put @n heads in the avail ring and publish them with one idx store:
 * the device sees all of them or none. */
void vring_drv_publish_n(struct vring_drv *r, const uint16_t *heads,
			 unsigned n);
/* Store avail->idx directly (hostile tests). */
void vring_drv_set_avail_idx(struct vring_drv *r, uint16_t idx);
/* Next used element, if any: returns true and fills @id and @len. */
bool vring_drv_get_used(struct vring_drv *r, uint32_t *id, uint32_t *len);
void vring_drv_set_avail_flags(struct vring_drv *r, uint16_t flags);
void vring_drv_set_used_event(struct vring_drv *r, uint16_t v);
uint16_t vring_drv_avail_event(struct vring_drv *r);
/* used->idx as the device last published it. */
uint16_t vring_drv_used_idx(struct vring_drv *r);
uint16_t vring_drv_used_flags(struct vring_drv *r);

#endif
