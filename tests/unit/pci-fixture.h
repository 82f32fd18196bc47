/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/pci-fixture.h: a bus like the PC's (pc-pci.h) on private
 * PIO/MMIO maps, a recording irq sink, and a device with register-file
 * BARs, shared by test-pci.c and test-msix.c.
 */
#ifndef TESTS_UNIT_PCI_FIXTURE_H
#define TESTS_UNIT_PCI_FIXTURE_H

#include <check.h>
#include <string.h>

#include "irq-rec.h"
#include "mock/pci-driver.h"
#include "pci/pci.h"

#define ECAM 0xe0000000ull
#define W32 0xc0000000ull
#define W32_SIZE 0x20000000ull
#define W64 0x100000000ull
#define W64_SIZE 0x100000000ull

struct regfile {
	uint8_t r[0x4000];
	unsigned reads, writes;
};

static void rf_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct regfile *rf = o;

	rf->reads++;
	memcpy(data, &rf->r[off], size);
}

static void rf_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct regfile *rf = o;

	rf->writes++;
	memcpy(&rf->r[off], data, size);
}

static const struct iomap_ops rf_ops = { rf_read, rf_write };

static struct iomap pio, mmio;
static struct irq_rec irq;
static struct pci_bus bus;
static struct pci_func dev;
static struct regfile rf0 __unused, rf2 __unused, rf4 __unused;
static struct mock_pci drv;
static unsigned cf9_writes;
static uint8_t cf9_last;

static uint8_t cf9_read(void *o)
{
	(void)o;
	return 0x5a;
}

static void cf9_write(void *o, uint8_t v)
{
	(void)o;
	cf9_writes++;
	cf9_last = v;
}

static void bus_setup(void)
{
	const struct pci_bus_config c = {
		.pio = &pio, .mmio = &mmio, .irq = &irq.sink,
		.legacy_cfg = 1, .ecam_base = ECAM,
		.ecam_size = PCIBUS_ECAM_BUS_SIZE,
		.mmio32_base = W32, .mmio32_size = W32_SIZE,
		.mmio64_base = W64, .mmio64_size = W64_SIZE,
		.io_base = 0xc000, .io_size = 0x4000,
		.cf9_read = cf9_read, .cf9_write = cf9_write,
	};

	ck_assert_int_eq(iomap_init(&pio, "pio"), 0);
	ck_assert_int_eq(iomap_init(&mmio, "mmio"), 0);
	irq_rec_init(&irq);
	ck_assert_int_eq(pci_bus_init(&bus, &c, NULL), 0);
	ck_assert_int_eq(pci_bus_add_host(&bus, 0x8086, 0x29c0, NULL), 0);
	drv = (struct mock_pci){ &pio, &mmio, 0 };
	cf9_writes = 0;
}

static void bus_teardown(void)
{
	pci_bus_fini(&bus);
	pci_func_fini(&dev);
	iomap_fini(&pio);
	iomap_fini(&mmio);
}

#endif
