/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/mock/virtio-pci-bar.h: the mock virtio driver's register
 * access for the modern virtio-pci transport: common config at the BAR's
 * start, notifications at VIO_PCI_NOTIFY_OFF + notify_off x multiplier
 * (lib/virtio/pci-modern.h), every access through the MMIO map a vCPU exit
 * uses. Shared by the device unit test, its fuzz target and
 * bench/net-device. Threads: the test's thread only.
 */
#ifndef TESTS_UNIT_MOCK_VIRTIO_PCI_BAR_H
#define TESTS_UNIT_MOCK_VIRTIO_PCI_BAR_H

#include <stdint.h>

#include "kvm/iomap.h"
#include "virtio-driver.h"

struct virtio_bar {
	struct iomap *mmio;
	uint64_t base;   /* BAR 4's address; the test updates it if it moves */
	int strict;      /* an access nothing answers fails the test */
};

uint32_t virtio_bar_rd(struct virtio_bar *b, uint32_t off, unsigned size);
void virtio_bar_wr(struct virtio_bar *b, uint32_t off, uint32_t val,
		   unsigned size);

/* virtio_drv ops whose opaque is a struct virtio_bar. */
extern const struct virtio_drv_ops virtio_bar_ops;

#endif
