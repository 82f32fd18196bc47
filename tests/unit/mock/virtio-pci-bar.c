/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/mock/virtio-pci-bar.c: see virtio-pci-bar.h. */
#include <check.h>

#include "virtio/pci-modern.h"
#include "virtio-pci-bar.h"

uint32_t virtio_bar_rd(struct virtio_bar *b, uint32_t off, unsigned size)
{
	uint32_t v = 0;
	int r = iomap_read(b->mmio, b->base + off, &v, size);

	if (b->strict)
		ck_assert_int_eq(r, 0);
	return v;
}

void virtio_bar_wr(struct virtio_bar *b, uint32_t off, uint32_t val,
		   unsigned size)
{
	int r = iomap_write(b->mmio, b->base + off, &val, size);

	if (b->strict)
		ck_assert_int_eq(r, 0);
}

static uint32_t ops_rd(void *o, uint32_t off, unsigned size)
{
	return virtio_bar_rd(o, off, size);
}

static void ops_wr(void *o, uint32_t off, uint32_t val, unsigned size)
{
	virtio_bar_wr(o, off, val, size);
}

static void ops_notify(void *o, uint16_t q, uint16_t noff)
{
	virtio_bar_wr(o, VIO_PCI_NOTIFY_OFF + (uint32_t)noff * VIO_PCI_NOTIFY_MULT,
		      q, 2);
}

const struct virtio_drv_ops virtio_bar_ops = { ops_rd, ops_wr, ops_notify };
