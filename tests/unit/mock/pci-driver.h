/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/mock/pci-driver.h: a guest PCI driver for unit tests. Every
 * access goes through the PIO/MMIO iomap dispatch a vCPU exit uses:
 * configuration mechanism #1 (0xcf8/0xcfc) or ECAM, BARs by address.
 * Threads: the test's thread only. Locking: none.
 */
#ifndef TESTS_UNIT_MOCK_PCI_DRIVER_H
#define TESTS_UNIT_MOCK_PCI_DRIVER_H

#include <stdint.h>

#include "kvm/iomap.h"

struct mock_pci {
	struct iomap *pio, *mmio;
	uint64_t ecam;   /* 0: use 0xcf8/0xcfc */
};

uint32_t mock_pci_cfg_read(struct mock_pci *d, unsigned slot, unsigned off,
			   unsigned size);
void mock_pci_cfg_write(struct mock_pci *d, unsigned slot, unsigned off,
			uint32_t val, unsigned size);
/* Walk the capability list: offset of the @nth (0-based) cap with @id,
 * 0 if none. Stops after 48 hops (a looping list). */
unsigned mock_pci_find_cap(struct mock_pci *d, unsigned slot, uint8_t id,
			   unsigned nth);
/* Linux's __pci_read_base(): decoding off, write all-ones, read back,
 * restore; returns the size (0: BAR absent); *flags gets the low bits. */
uint64_t mock_pci_bar_size(struct mock_pci *d, unsigned slot, unsigned idx,
			   uint32_t *flags);
/* Program BAR @idx (64-bit aware) to @addr. */
void mock_pci_bar_set(struct mock_pci *d, unsigned slot, unsigned idx,
		      uint64_t addr);
uint64_t mock_pci_bar_get(struct mock_pci *d, unsigned slot, unsigned idx);
/* Set @bits in PCI_COMMAND (and clear @clear). */
void mock_pci_command(struct mock_pci *d, unsigned slot, uint16_t bits,
		      uint16_t clear);
uint32_t mock_mmio_read32(struct mock_pci *d, uint64_t addr);
void mock_mmio_write32(struct mock_pci *d, uint64_t addr, uint32_t v);
/* Program MSI-X entry @vec of the function (table BAR must be mapped). */
void mock_pci_msix_set(struct mock_pci *d, unsigned slot, unsigned vec,
		       uint64_t addr, uint32_t data, int masked);

#endif
