/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/mock/pci-driver.c: the guest PCI driver of the unit tests
 * (see pci-driver.h); the sequences follow Linux's drivers/pci/probe.c
 * and arch/x86/pci/direct.c.
 * Threads: the test's thread only. Locking: none.
 */
#include <linux/pci_regs.h>
#include <string.h>

#include "pci-driver.h"

static uint32_t cf8(unsigned slot, unsigned off)
{
	return 0x80000000u | slot << 11 | (off & 0xfc);
}

uint32_t mock_pci_cfg_read(struct mock_pci *d, unsigned slot, unsigned off,
			   unsigned size)
{
	uint32_t v = 0, a;

	if (d->ecam) {
		iomap_read(d->mmio, d->ecam + (slot << 15) + off, &v, size);
		return v;
	}
	a = cf8(slot, off);
	iomap_write(d->pio, 0xcf8, &a, 4);
	iomap_read(d->pio, 0xcfc + (off & 3), &v, size);
	return v;
}

void mock_pci_cfg_write(struct mock_pci *d, unsigned slot, unsigned off,
			uint32_t val, unsigned size)
{
	uint32_t a;

	if (d->ecam) {
		iomap_write(d->mmio, d->ecam + (slot << 15) + off, &val, size);
		return;
	}
	a = cf8(slot, off);
	iomap_write(d->pio, 0xcf8, &a, 4);
	iomap_write(d->pio, 0xcfc + (off & 3), &val, size);
}

unsigned mock_pci_find_cap(struct mock_pci *d, unsigned slot, uint8_t id,
			   unsigned nth)
{
	unsigned pos, ttl = 48;

	if (!(mock_pci_cfg_read(d, slot, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = mock_pci_cfg_read(d, slot, PCI_CAPABILITY_LIST, 1);
	while (ttl-- && pos >= 0x40) {
		pos &= ~3u;
		if (mock_pci_cfg_read(d, slot, pos + PCI_CAP_LIST_ID, 1) == id &&
		    nth-- == 0)
			return pos;
		pos = mock_pci_cfg_read(d, slot, pos + PCI_CAP_LIST_NEXT, 1);
	}
	return 0;
}

uint64_t mock_pci_bar_size(struct mock_pci *d, unsigned slot, unsigned idx,
			   uint32_t *flags)
{
	unsigned off = PCI_BASE_ADDRESS_0 + 4 * idx;
	uint16_t cmd = (uint16_t)mock_pci_cfg_read(d, slot, PCI_COMMAND, 2);
	uint32_t orig, lo, hi = 0xffffffffu, orig_hi = 0;
	uint64_t mask;

	mock_pci_cfg_write(d, slot, PCI_COMMAND,
			   cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY), 2);
	orig = mock_pci_cfg_read(d, slot, off, 4);
	mock_pci_cfg_write(d, slot, off, 0xffffffffu, 4);
	lo = mock_pci_cfg_read(d, slot, off, 4);
	mock_pci_cfg_write(d, slot, off, orig, 4);
	*flags = lo & (orig & PCI_BASE_ADDRESS_SPACE_IO ? 0x3u : 0xfu);
	if ((orig & PCI_BASE_ADDRESS_SPACE_IO) == 0 &&
	    (orig & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
		    PCI_BASE_ADDRESS_MEM_TYPE_64) {
		orig_hi = mock_pci_cfg_read(d, slot, off + 4, 4);
		mock_pci_cfg_write(d, slot, off + 4, 0xffffffffu, 4);
		hi = mock_pci_cfg_read(d, slot, off + 4, 4);
		mock_pci_cfg_write(d, slot, off + 4, orig_hi, 4);
	}
	mock_pci_cfg_write(d, slot, PCI_COMMAND, cmd, 2);
	if ((lo & ~*flags) == 0)
		return 0;
	if (orig & PCI_BASE_ADDRESS_SPACE_IO)
		return (uint32_t)(~(lo & PCI_BASE_ADDRESS_IO_MASK) + 1) & 0xffff;
	if (hi == 0xffffffffu && (orig & PCI_BASE_ADDRESS_MEM_TYPE_MASK) !=
				     PCI_BASE_ADDRESS_MEM_TYPE_64)
		return (uint32_t)(~(lo & PCI_BASE_ADDRESS_MEM_MASK) + 1);
	mask = (uint64_t)hi << 32 | (lo & PCI_BASE_ADDRESS_MEM_MASK);
	return ~mask + 1;
}

void mock_pci_bar_set(struct mock_pci *d, unsigned slot, unsigned idx,
		      uint64_t addr)
{
	unsigned off = PCI_BASE_ADDRESS_0 + 4 * idx;
	uint32_t lo = mock_pci_cfg_read(d, slot, off, 4);

	mock_pci_cfg_write(d, slot, off, (uint32_t)addr, 4);
	if (!(lo & PCI_BASE_ADDRESS_SPACE_IO) &&
	    (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64)
		mock_pci_cfg_write(d, slot, off + 4, (uint32_t)(addr >> 32), 4);
}

uint64_t mock_pci_bar_get(struct mock_pci *d, unsigned slot, unsigned idx)
{
	unsigned off = PCI_BASE_ADDRESS_0 + 4 * idx;
	uint32_t lo = mock_pci_cfg_read(d, slot, off, 4);

	if (lo & PCI_BASE_ADDRESS_SPACE_IO)
		return lo & PCI_BASE_ADDRESS_IO_MASK;
	if ((lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64)
		return (uint64_t)mock_pci_cfg_read(d, slot, off + 4, 4) << 32 |
		       (lo & PCI_BASE_ADDRESS_MEM_MASK);
	return lo & PCI_BASE_ADDRESS_MEM_MASK;
}

void mock_pci_command(struct mock_pci *d, unsigned slot, uint16_t bits,
		      uint16_t clear)
{
	uint16_t cmd = (uint16_t)mock_pci_cfg_read(d, slot, PCI_COMMAND, 2);

	mock_pci_cfg_write(d, slot, PCI_COMMAND, (cmd & ~clear) | bits, 2);
}

uint32_t mock_mmio_read32(struct mock_pci *d, uint64_t addr)
{
	uint32_t v = 0;

	iomap_read(d->mmio, addr, &v, 4);
	return v;
}

void mock_mmio_write32(struct mock_pci *d, uint64_t addr, uint32_t v)
{
	iomap_write(d->mmio, addr, &v, 4);
}

void mock_pci_msix_set(struct mock_pci *d, unsigned slot, unsigned vec,
		       uint64_t addr, uint32_t data, int masked)
{
	unsigned cap = mock_pci_find_cap(d, slot, PCI_CAP_ID_MSIX, 0);
	uint32_t t = mock_pci_cfg_read(d, slot, cap + PCI_MSIX_TABLE, 4);
	uint64_t base = mock_pci_bar_get(d, slot, t & PCI_MSIX_TABLE_BIR) +
			(t & PCI_MSIX_TABLE_OFFSET) + 16ull * vec;

	mock_mmio_write32(d, base + PCI_MSIX_ENTRY_LOWER_ADDR, (uint32_t)addr);
	mock_mmio_write32(d, base + PCI_MSIX_ENTRY_UPPER_ADDR,
			  (uint32_t)(addr >> 32));
	mock_mmio_write32(d, base + PCI_MSIX_ENTRY_DATA, data);
	mock_mmio_write32(d, base + PCI_MSIX_ENTRY_VECTOR_CTRL,
			  masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}
