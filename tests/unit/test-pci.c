/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-pci.c: PCI bus 0, config space, capabilities and BARs,
 * driven by the mock guest driver through 0xcf8/0xcfc and ECAM, plus a
 * hostile-guest table.
 */
#include <check.h>
#include <errno.h>

#include "check-main.h"
#include "pci-fixture.h"

#define SLOT 3
static unsigned bar_map_calls;
static uint64_t bar_map_last[PCI_STD_NUM_BARS];

static void dev_bar_map(struct pci_func *f, unsigned idx, uint64_t addr)
{
	(void)f;
	bar_map_calls++;
	bar_map_last[idx] = addr;
}

static const struct pci_func_ops dev_ops = { .bar_map = dev_bar_map };
static uint8_t vcap0, vcap1;

static void setup(void)
{
	bus_setup();
	bar_map_calls = 0;
	ck_assert_int_eq(pci_func_init(&dev, "device 'net0'", &dev_ops, NULL),
			 0);
	pci_func_set_ids(&dev, 0x1af4, 0x1041, 1, 0x020000);
	pci_func_set_subsys(&dev, 0x1af4, 0x1100);
	pci_func_set_irq_pin(&dev, 1);
	ck_assert_int_eq(pci_func_add_bar(&dev, 0, 0x1000, PCIBAR_MEM32,
					  &rf_ops, &rf0, NULL), 0);
	ck_assert_int_eq(pci_func_add_bar(&dev, 2, 0x4000,
					  PCIBAR_MEM64 | PCIBAR_PREFETCH,
					  &rf_ops, &rf2, NULL), 0);
	ck_assert_int_eq(pci_func_add_bar(&dev, 4, 0x20, PCIBAR_IO, &rf_ops,
					  &rf4, NULL), 0);
	ck_assert_int_eq(pci_func_add_cap(&dev, PCI_CAP_ID_VNDR, 16, &vcap0,
					  NULL), 0);
	ck_assert_int_eq(pci_func_add_cap(&dev, PCI_CAP_ID_VNDR, 20, &vcap1,
					  NULL), 0);
	pci_cfg_set(&dev, vcap0 + 2, 16, 1);
	pci_func_set_wmask(&dev, vcap1 + 4, 0xffffffff, 4);
	ck_assert_int_eq(pci_bus_plug(&bus, &dev, SLOT, NULL), 0);
}

START_TEST(test_pci_enumerates_host_bridge_and_device)
{
	int ecam;

	for (ecam = 0; ecam < 2; ecam++) {
		drv.ecam = ecam ? ECAM : 0;
		ck_assert_uint_eq(mock_pci_cfg_read(&drv, 0, PCI_VENDOR_ID, 2),
				  0x8086);
		ck_assert_uint_eq(mock_pci_cfg_read(&drv, 0, PCI_DEVICE_ID, 2),
				  0x29c0);
		ck_assert_uint_eq(mock_pci_cfg_read(&drv, 0, PCI_CLASS_DEVICE, 2),
				  0x0600);
		ck_assert_uint_eq(mock_pci_cfg_read(&drv, 0, PCI_HEADER_TYPE, 1),
				  0);
		ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, PCI_VENDOR_ID, 4),
				  0x10411af4);
		ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT,
						    PCI_CLASS_REVISION, 4),
				  0x02000001);
		ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT,
						    PCI_SUBSYSTEM_ID, 2), 0x1100);
		ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT,
						    PCI_INTERRUPT_PIN, 1), 1);
		/* Empty slot and function 1: master abort. */
		ck_assert_uint_eq(mock_pci_cfg_read(&drv, 7, PCI_VENDOR_ID, 2),
				  0xffff);
	}
	/* devfn 3.1 through ECAM, bus 1 through 0xcf8. */
	drv.ecam = ECAM;
	ck_assert_uint_eq(mock_mmio_read32(&drv, ECAM + (SLOT << 15) + (1 << 12)),
			  0xffffffff);
	{
		uint32_t a = 0x80010000u, v;

		iomap_write(&pio, 0xcf8, &a, 4);
		iomap_read(&pio, 0xcfc, &v, 4);
		ck_assert_uint_eq(v, 0xffffffff);
	}
}
END_TEST

START_TEST(test_pci_cf8_latch_and_cf9_forwarding)
{
	uint32_t a = 0x80001810u | 0x7f000003u, v;
	uint8_t b = 0x06;

	iomap_write(&pio, 0xcf8, &a, 4);
	iomap_read(&pio, 0xcf8, &v, 4);
	ck_assert_uint_eq(v, a & 0x80fffffc);
	/* A byte at 0xcf9 is the reset register, not the latch. */
	iomap_write(&pio, 0xcf9, &b, 1);
	ck_assert_uint_eq(cf9_writes, 1);
	ck_assert_uint_eq(cf9_last, 0x06);
	iomap_read(&pio, 0xcf9, &b, 1);
	ck_assert_uint_eq(b, 0x5a);
	iomap_read(&pio, 0xcf8, &v, 4);
	ck_assert_uint_eq(v, a & 0x80fffffc);
	/* Linux's pci_check_type1(): the latch reads back what was written. */
	a = 0x80000000u;
	iomap_write(&pio, 0xcf8, &a, 4);
	iomap_read(&pio, 0xcf8, &v, 4);
	ck_assert_uint_eq(v, 0x80000000u);
}
END_TEST

START_TEST(test_pci_cap_walk_and_masks)
{
	unsigned c0 = mock_pci_find_cap(&drv, SLOT, PCI_CAP_ID_VNDR, 0);
	unsigned c1 = mock_pci_find_cap(&drv, SLOT, PCI_CAP_ID_VNDR, 1);

	ck_assert_uint_eq(c0, vcap0);
	ck_assert_uint_eq(c1, vcap1);
	ck_assert_uint_eq(mock_pci_find_cap(&drv, SLOT, PCI_CAP_ID_VNDR, 2), 0);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, c0 + 2, 1), 16);
	/* Read-only body, then the writable dword of cap 1. */
	mock_pci_cfg_write(&drv, SLOT, c0 + 4, 0x12345678, 4);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, c0 + 4, 4), 0);
	mock_pci_cfg_write(&drv, SLOT, c0 + PCI_CAP_LIST_NEXT, 0, 1);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, c0 + 1, 1), c1);
	mock_pci_cfg_write(&drv, SLOT, c1 + 4, 0xcafef00d, 4);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, c1 + 4, 4), 0xcafef00d);
	mock_pci_cfg_write(&drv, SLOT, c1 + 6, 0xbeef, 2);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, c1 + 4, 4), 0xbeeff00d);
}
END_TEST

START_TEST(test_pci_bar_sizing_assignment_and_decode)
{
	uint32_t fl;
	uint64_t a0, a2, a4;

	ck_assert_uint_eq(mock_pci_bar_size(&drv, SLOT, 0, &fl), 0x1000);
	ck_assert_uint_eq(fl, 0);
	ck_assert_uint_eq(mock_pci_bar_size(&drv, SLOT, 2, &fl), 0x4000);
	ck_assert_uint_eq(fl, PCI_BASE_ADDRESS_MEM_TYPE_64 |
			      PCI_BASE_ADDRESS_MEM_PREFETCH);
	ck_assert_uint_eq(mock_pci_bar_size(&drv, SLOT, 4, &fl), 0x20);
	ck_assert_uint_eq(fl, PCI_BASE_ADDRESS_SPACE_IO);
	ck_assert_uint_eq(mock_pci_bar_size(&drv, SLOT, 1, &fl), 0);
	ck_assert_uint_eq(mock_pci_bar_size(&drv, SLOT, 5, &fl), 0);
	/* Assigned at plug, like firmware, naturally aligned in the windows. */
	a0 = mock_pci_bar_get(&drv, SLOT, 0);
	a2 = mock_pci_bar_get(&drv, SLOT, 2);
	a4 = mock_pci_bar_get(&drv, SLOT, 4);
	ck_assert(a0 >= W32 && a0 + 0x1000 <= W32 + W32_SIZE && !(a0 & 0xfff));
	ck_assert(a2 >= W64 && !(a2 & 0x3fff));
	ck_assert(a4 >= 0xc000 && !(a4 & 0x1f));
	/* Decoding off: nothing mapped. */
	ck_assert_uint_eq(mock_mmio_read32(&drv, a0), 0xffffffff);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 0), PCIBAR_UNMAPPED);
	mock_pci_command(&drv, SLOT, PCI_COMMAND_MEMORY, 0);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 0), a0);
	ck_assert_uint_eq(bar_map_last[0], a0);
	ck_assert_uint_eq(bar_map_last[2], a2);
	mock_mmio_write32(&drv, a0 + 8, 0xabcd1234);
	ck_assert_uint_eq(mock_mmio_read32(&drv, a0 + 8), 0xabcd1234);
	ck_assert_uint_eq(rf0.r[8], 0x34);
	mock_mmio_write32(&drv, a2 + 0x3ffc, 7);
	ck_assert_uint_eq(rf2.r[0x3ffc], 7);
	/* I/O needs PCI_COMMAND_IO. */
	{
		uint8_t v = 0x99;

		ck_assert_int_eq(iomap_write(&pio, a4 + 1, &v, 1), -ENOENT);
		mock_pci_command(&drv, SLOT, PCI_COMMAND_IO, 0);
		ck_assert_int_eq(iomap_write(&pio, a4 + 1, &v, 1), 0);
		ck_assert_uint_eq(rf4.r[1], 0x99);
	}
	/* Move BAR 0 while decoding: the old range goes, the new one works. */
	mock_pci_bar_set(&drv, SLOT, 0, W32 + 0x100000);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 0), W32 + 0x100000);
	ck_assert_uint_eq(mock_mmio_read32(&drv, a0 + 8), 0xffffffff);
	ck_assert_uint_eq(mock_mmio_read32(&drv, W32 + 0x100008), 0xabcd1234);
	/* Decoding off unmaps. */
	mock_pci_command(&drv, SLOT, 0, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 0), PCIBAR_UNMAPPED);
	ck_assert_uint_eq(bar_map_last[0], PCIBAR_UNMAPPED);
	ck_assert_uint_eq(mock_mmio_read32(&drv, W32 + 0x100008), 0xffffffff);
}
END_TEST

/* Hostile guest: each row must leave the host standing and the bus sane. */
START_TEST(test_pci_hostile_config_accesses)
{
	uint32_t v, a;
	uint64_t q = 0;
	uint16_t ven;

	drv.ecam = ECAM;
	/* Extended space of a conventional function: zeros, writes dropped. */
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, 0x100, 4), 0);
	mock_pci_cfg_write(&drv, SLOT, 0xffc, 0xffffffff, 4);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, 0xffc, 4), 0);
	/* Unaligned: all-ones, writes dropped. */
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, 0x2, 4), 0xffffffff);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, 0x1, 2), 0xffff);
	mock_pci_cfg_write(&drv, SLOT, PCI_COMMAND + 1, 0xffff, 2);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, PCI_COMMAND, 2), 0);
	/* 8-byte ECAM access: all-ones. */
	ck_assert_int_eq(iomap_read(&mmio, ECAM + (SLOT << 15), &q, 8), 0);
	ck_assert_uint_eq(q, UINT64_MAX);
	/* ECAM past bus 0 is not ours at all. */
	ck_assert_int_eq(iomap_read(&mmio, ECAM + PCIBUS_ECAM_BUS_SIZE, &v, 4),
			 -ENOENT);
	/* 0xcfc + 1 dword straddles the range end: unclaimed; odd sizes at
	 * the latch are ignored. */
	ck_assert_int_eq(iomap_read(&pio, 0xcfd, &v, 4), -ENOENT);
	a = 0x12;
	iomap_write(&pio, 0xcf8, &a, 2);
	iomap_write(&pio, 0xcfa, &a, 1);
	drv.ecam = 0;
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, PCI_VENDOR_ID, 2),
			  0x1af4);
	/* Byte and word reads at odd data-port offsets work (Linux does
	 * them for PCI_INTERRUPT_PIN etc.). */
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, PCI_CLASS_DEVICE + 1, 1),
			  0x02);
	/* Read-only header bits. */
	mock_pci_cfg_write(&drv, SLOT, PCI_VENDOR_ID, 0xdeadbeef, 4);
	mock_pci_cfg_write(&drv, SLOT, PCI_CLASS_REVISION, 0, 4);
	mock_pci_cfg_write(&drv, SLOT, PCI_HEADER_TYPE, 0x80, 1);
	mock_pci_cfg_write(&drv, SLOT, PCI_INTERRUPT_PIN, 4, 1);
	mock_pci_cfg_write(&drv, SLOT, PCI_ROM_ADDRESS, 0xffffffff, 4);
	ven = (uint16_t)mock_pci_cfg_read(&drv, SLOT, PCI_VENDOR_ID, 2);
	ck_assert_uint_eq(ven, 0x1af4);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, PCI_CLASS_REVISION, 4),
			  0x02000001);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, PCI_HEADER_TYPE, 1), 0);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, PCI_INTERRUPT_PIN, 1), 1);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, PCI_ROM_ADDRESS, 4), 0);
	/* Status: CAP_LIST is read-only, error bits are write-1-to-clear. */
	mock_pci_cfg_write(&drv, SLOT, PCI_STATUS, 0xffff, 2);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, PCI_STATUS, 2),
			  PCI_STATUS_CAP_LIST);
	/* Reserved COMMAND bits stay 0; the documented ones stick. */
	mock_pci_cfg_write(&drv, SLOT, PCI_COMMAND, 0xffff, 2);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, PCI_COMMAND, 2),
			  PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
			  PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |
			  PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	/* Direct API: bad sizes are rejected the same way. */
	ck_assert_uint_eq(pci_func_cfg_read(&dev, 0, 3), 0xffffff);
	ck_assert_uint_eq(pci_func_cfg_read(&dev, 0x1000, 4), 0xffffffff);
	ck_assert_uint_eq(pci_bus_cfg_read(&bus, 999, 0, 4), 0xffffffff);
}
END_TEST

START_TEST(test_pci_hostile_bar_placement)
{
	uint64_t a0 = mock_pci_bar_get(&drv, SLOT, 0);
	uint64_t a2 = mock_pci_bar_get(&drv, SLOT, 2);

	mock_pci_command(&drv, SLOT, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 0);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 0), a0);
	/* Over RAM (outside every window): unmapped, no crash. */
	mock_pci_bar_set(&drv, SLOT, 0, 0x100000);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 0), PCIBAR_UNMAPPED);
	/* Over the ECAM window: unmapped; ECAM still answers. */
	mock_pci_bar_set(&drv, SLOT, 0, ECAM);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 0), PCIBAR_UNMAPPED);
	drv.ecam = ECAM;
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, PCI_VENDOR_ID, 2),
			  0x1af4);
	drv.ecam = 0;
	/* Over another BAR of the same function (64-bit BAR 2 moved into
	 * the 32-bit window on top of BAR 0): iomap_add fails, unmapped. */
	mock_pci_bar_set(&drv, SLOT, 0, W32);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 0), W32);
	mock_pci_bar_set(&drv, SLOT, 2, W32);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 2), PCIBAR_UNMAPPED);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 0), W32);
	/* Unaligned, straddling the window end: the read-only low bits
	 * align it down, so it lands inside (what hardware does). */
	mock_pci_bar_set(&drv, SLOT, 2, W32 + W32_SIZE - 0x1000);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 2), W32 + W32_SIZE - 0x4000);
	/* Over the host's high 64-bit addresses: not in a window. */
	mock_pci_bar_set(&drv, SLOT, 2, 0xffffffffffffc000ull);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 2), PCIBAR_UNMAPPED);
	/* I/O BAR over the config ports themselves. */
	mock_pci_bar_set(&drv, SLOT, 4, 0xce0);
	{
		uint32_t v;

		iomap_read(&pio, 0xcf8, &v, 4);
	}
	/* Back to sane places: everything maps again. */
	mock_pci_bar_set(&drv, SLOT, 2, a2);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 2), a2);
	mock_pci_bar_set(&drv, SLOT, 4, 0xc100);
	ck_assert_uint_eq(pci_func_bar_addr(&dev, 4), 0xc100);
}
END_TEST

START_TEST(test_pci_plug_errors)
{
	struct pci_func g, h, *fill[29];
	struct vm_error *err = NULL;
	int i;

	ck_assert_int_eq(pci_func_init(&g, "device 'x'", NULL, NULL), 0);
	ck_assert_int_eq(pci_bus_plug(&bus, &g, SLOT, &err), -EBUSY);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "00:03.0"));
	vm_error_free(err);
	err = NULL;
	ck_assert_int_eq(pci_bus_plug(&bus, &g, 32, NULL), -EINVAL);
	ck_assert_int_eq(pci_func_add_bar(&g, 0, 0x1001, 0, &rf_ops, &rf0,
					  &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "BAR 0"));
	vm_error_free(err);
	ck_assert_int_eq(pci_func_add_bar(&g, 5, 0x1000, PCIBAR_MEM64, &rf_ops,
					  &rf0, NULL), -EINVAL);
	ck_assert_int_eq(pci_func_add_bar(&g, 1, 0x1000, PCIBAR_MEM64, &rf_ops,
					  &rf0, NULL), 0);
	ck_assert_int_eq(pci_func_add_bar(&g, 2, 0x1000, 0, &rf_ops, &rf0,
					  NULL), -EBUSY);
	ck_assert_int_eq(pci_func_add_bar(&g, 0, 0x400, PCIBAR_IO, &rf_ops,
					  &rf0, NULL), -EINVAL);
	ck_assert_int_eq(pci_bus_plug(&bus, &g, -1, NULL), 0);
	ck_assert_int_eq(g.slot, 1);
	ck_assert_int_eq(pci_func_add_bar(&g, 4, 0x1000, 0, &rf_ops, &rf0,
					  NULL), -EBUSY);
	/* Fill the bus: slots 2, 4..31, then no room. */
	for (i = 0; i < 29; i++) {
		fill[i] = calloc(1, sizeof(*fill[i]));
		ck_assert_int_eq(pci_func_init(fill[i], "filler", NULL, NULL),
				 0);
		ck_assert_int_eq(pci_bus_plug(&bus, fill[i], -1, NULL), 0);
	}
	ck_assert_int_eq(pci_func_init(&h, "device 'y'", NULL, NULL), 0);
	ck_assert_int_eq(pci_bus_plug(&bus, &h, -1, NULL), -ENOSPC);
	pci_bus_unplug(&bus, &g);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, 1, PCI_VENDOR_ID, 2), 0xffff);
	ck_assert_int_eq(pci_bus_plug(&bus, &h, -1, NULL), 0);
	ck_assert_int_eq(h.slot, 1);
	pci_bus_unplug(&bus, &h);
	pci_func_fini(&h);
	pci_func_fini(&g);
	for (i = 0; i < 29; i++) {
		pci_bus_unplug(&bus, fill[i]);
		pci_func_fini(fill[i]);
		free(fill[i]);
	}
}
END_TEST

START_TEST(test_pci_cap_space_runs_out)
{
	struct pci_func g;
	uint8_t off;
	int i, r = 0;

	ck_assert_int_eq(pci_func_init(&g, "device 'caps'", NULL, NULL), 0);
	for (i = 0; i < 20 && r == 0; i++)
		r = pci_func_add_cap(&g, PCI_CAP_ID_VNDR, 20, &off, NULL);
	ck_assert_int_eq(r, -ENOSPC);
	ck_assert_int_eq(i, 10); /* 0x40 + 9 * 20 = 0xf4; the 10th fails */
	pci_func_fini(&g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("pci");

	tcase_add_checked_fixture(tc, setup, bus_teardown);
	tcase_add_test(tc, test_pci_enumerates_host_bridge_and_device);
	tcase_add_test(tc, test_pci_cf8_latch_and_cf9_forwarding);
	tcase_add_test(tc, test_pci_cap_walk_and_masks);
	tcase_add_test(tc, test_pci_bar_sizing_assignment_and_decode);
	tcase_add_test(tc, test_pci_hostile_config_accesses);
	tcase_add_test(tc, test_pci_hostile_bar_placement);
	tcase_add_test(tc, test_pci_plug_errors);
	tcase_add_test(tc, test_pci_cap_space_runs_out);
	suite_add_tcase(s, tc);
	return check_run(s);
}
