/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-msix.c: MSI-X (PCI 3.0 §6.8.2) programmed by the mock
 * guest driver through config space and the table BAR, delivered to a
 * recording irq sink; plus hostile table/PBA accesses.
 */
#include <check.h>
#include <errno.h>

#include "check-main.h"
#include "pci-fixture.h"

#define SLOT 5
#define NVEC 3
static unsigned hook_calls, hook_vec;
static int hook_usable;
static uint32_t hook_data;

static void dev_msix_vector(struct pci_func *f, unsigned vec, int usable,
			    uint64_t addr, uint32_t data)
{
	(void)f;
	(void)addr;
	hook_calls++;
	hook_vec = vec;
	hook_usable = usable;
	hook_data = data;
}

static const struct pci_func_ops dev_ops = { .msix_vector = dev_msix_vector };
static unsigned cap;
static uint64_t tbl, pba;

static void setup(void)
{
	uint32_t t, p;

	bus_setup();
	hook_calls = 0;
	ck_assert_int_eq(pci_func_init(&dev, "device 'net0'", &dev_ops, NULL),
			 0);
	pci_func_set_ids(&dev, 0x1af4, 0x1041, 1, 0x020000);
	/* Device registers and MSI-X share BAR 0 (table at 0x2000). */
	ck_assert_int_eq(pci_func_add_bar(&dev, 0, 0x4000, PCIBAR_MEM32,
					  &rf_ops, &rf0, NULL), 0);
	ck_assert_int_eq(pci_msix_init(&dev, NVEC, 0, 0x2000, 0x3000, NULL), 0);
	ck_assert_int_eq(pci_bus_plug(&bus, &dev, SLOT, NULL), 0);
	mock_pci_command(&drv, SLOT, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
	cap = mock_pci_find_cap(&drv, SLOT, PCI_CAP_ID_MSIX, 0);
	ck_assert_uint_ne(cap, 0);
	t = mock_pci_cfg_read(&drv, SLOT, cap + PCI_MSIX_TABLE, 4);
	p = mock_pci_cfg_read(&drv, SLOT, cap + PCI_MSIX_PBA, 4);
	tbl = mock_pci_bar_get(&drv, SLOT, t & PCI_MSIX_TABLE_BIR) +
	      (t & PCI_MSIX_TABLE_OFFSET);
	pba = mock_pci_bar_get(&drv, SLOT, p & PCI_MSIX_PBA_BIR) +
	      (p & PCI_MSIX_PBA_OFFSET);
}

static void msix_ctrl(uint16_t set, uint16_t clear)
{
	uint16_t c = (uint16_t)mock_pci_cfg_read(&drv, SLOT, cap + PCI_MSIX_FLAGS,
						 2);

	mock_pci_cfg_write(&drv, SLOT, cap + PCI_MSIX_FLAGS, (c & ~clear) | set,
			   2);
}

START_TEST(test_msix_capability_layout)
{
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, cap + PCI_MSIX_FLAGS, 2),
			  NVEC - 1);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, cap + PCI_MSIX_TABLE, 4),
			  0x2000);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, cap + PCI_MSIX_PBA, 4),
			  0x3000);
	/* Table size is read-only; only ENABLE and MASKALL are writable. */
	mock_pci_cfg_write(&drv, SLOT, cap + PCI_MSIX_FLAGS, 0xffff, 2);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, cap + PCI_MSIX_FLAGS, 2),
			  PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL |
			  (NVEC - 1));
	mock_pci_cfg_write(&drv, SLOT, cap + PCI_MSIX_TABLE, 0, 4);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, SLOT, cap + PCI_MSIX_TABLE, 4),
			  0x2000);
	/* Every vector starts masked. */
	ck_assert_uint_eq(mock_mmio_read32(&drv, tbl + 16 + 12), 1);
	/* The device's own registers in the same BAR still reach it. */
	mock_mmio_write32(&drv, mock_pci_bar_get(&drv, SLOT, 0) + 0x10, 42);
	ck_assert_uint_eq(rf0.r[0x10], 42);
	mock_mmio_write32(&drv, tbl, 0x1234);
	ck_assert_uint_eq(rf0.r[0x2000], 0);
}
END_TEST

START_TEST(test_msix_delivers_programmed_message)
{
	ck_assert_int_eq(pci_msix_notify(&dev, 1), -ENOENT); /* disabled */
	ck_assert_uint_eq(mock_mmio_read32(&drv, pba), 0);
	mock_pci_msix_set(&drv, SLOT, 1, 0xfee01000, 0x4041, 0);
	msix_ctrl(PCI_MSIX_FLAGS_ENABLE, 0);
	ck_assert_int_eq(pci_msix_is_enabled(&dev), 1);
	ck_assert_int_eq(pci_msix_notify(&dev, 1), 0);
	ck_assert_uint_eq(irq.msis, 1);
	ck_assert_uint_eq(irq.msi_addr, 0xfee01000);
	ck_assert_uint_eq(irq.msi_data, 0x4041);
	ck_assert_int_eq(pci_msix_notify(&dev, NVEC), -EINVAL);
	ck_assert_uint_eq(hook_vec, 1);
	ck_assert_int_eq(hook_usable, 1);
	ck_assert_uint_eq(hook_data, 0x4041);
	{
		uint64_t a;
		uint32_t d;

		ck_assert_int_eq(pci_msix_get_msg(&dev, 1, &a, &d), 1);
		ck_assert_uint_eq(a, 0xfee01000);
		ck_assert_int_eq(pci_msix_get_msg(&dev, 0, &a, &d), 0);
	}
}
END_TEST

START_TEST(test_msix_masked_vector_pends_and_fires_on_unmask)
{
	mock_pci_msix_set(&drv, SLOT, 2, 0xfee00000, 0x31, 1);
	msix_ctrl(PCI_MSIX_FLAGS_ENABLE, 0);
	ck_assert_int_eq(pci_msix_notify(&dev, 2), 1);
	ck_assert_uint_eq(irq.msis, 0);
	ck_assert_uint_eq(mock_mmio_read32(&drv, pba), 1u << 2);
	/* Unmask: delivered once, PBA bit cleared (§6.8.3.5). */
	mock_mmio_write32(&drv, tbl + 2 * 16 + 12, 0);
	ck_assert_uint_eq(irq.msis, 1);
	ck_assert_uint_eq(irq.msi_data, 0x31);
	ck_assert_uint_eq(mock_mmio_read32(&drv, pba), 0);
	ck_assert_int_eq(hook_usable, 1);
}
END_TEST

START_TEST(test_msix_function_mask)
{
	mock_pci_msix_set(&drv, SLOT, 0, 0xfee00000, 0x22, 0);
	msix_ctrl(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 0);
	ck_assert_int_eq(pci_msix_notify(&dev, 0), 1);
	ck_assert_int_eq(pci_msix_notify(&dev, 0), 1);
	ck_assert_uint_eq(irq.msis, 0);
	msix_ctrl(0, PCI_MSIX_FLAGS_MASKALL);
	ck_assert_uint_eq(irq.msis, 1); /* one pending bit, one message */
	ck_assert_uint_eq(mock_mmio_read32(&drv, pba), 0);
	/* Disabling MSI-X tells the device the vector is unusable. */
	msix_ctrl(0, PCI_MSIX_FLAGS_ENABLE);
	ck_assert_int_eq(hook_usable, 0);
	ck_assert_int_eq(pci_msix_notify(&dev, 0), -ENOENT);
}
END_TEST

START_TEST(test_msix_hostile_table_and_pba_accesses)
{
	uint64_t q = 0;
	uint16_t w = 0xffff;
	uint8_t b = 0xff;

	msix_ctrl(PCI_MSIX_FLAGS_ENABLE, 0);
	/* Past nvec but inside the BAR: the device's registers, not ours;
	 * the table region proper ends at nvec. */
	mock_mmio_write32(&drv, tbl + NVEC * 16, 0xdead);
	ck_assert_uint_eq(mock_mmio_read32(&drv, tbl + NVEC * 16), 0xdead);
	ck_assert_uint_eq(rf0.r[0x2000 + NVEC * 16], 0xad);
	/* PBA writes are ignored. */
	ck_assert_int_eq(pci_msix_notify(&dev, 1), 1);
	mock_mmio_write32(&drv, pba, 0);
	ck_assert_uint_eq(mock_mmio_read32(&drv, pba), 2);
	/* Odd sizes: reads 0, writes dropped. */
	iomap_write(&mmio, tbl + 8, &w, 2);
	iomap_write(&mmio, tbl + 9, &b, 1);
	ck_assert_uint_eq(mock_mmio_read32(&drv, tbl + 8), 0);
	iomap_read(&mmio, tbl + 12, &w, 2);
	ck_assert_uint_eq(w, 0);
	/* Reserved Vector Control bits read back 0. */
	mock_mmio_write32(&drv, tbl + 12, 0xfffffffe);
	ck_assert_uint_eq(mock_mmio_read32(&drv, tbl + 12), 0);
	/* QWORD access of an entry works. */
	q = 0xfee02000ull;
	iomap_write(&mmio, tbl + 16, &q, 8);
	q = 0;
	iomap_read(&mmio, tbl + 16, &q, 8);
	ck_assert_uint_eq(q, 0xfee02000ull);
	/* The table through the unmapped BAR: nothing, no crash. */
	mock_pci_command(&drv, SLOT, 0, PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(mock_mmio_read32(&drv, tbl), 0xffffffff);
	ck_assert_int_eq(pci_msix_notify(&dev, 1), 1);
}
END_TEST

START_TEST(test_msix_own_bar_and_init_errors)
{
	struct pci_func g;
	struct vm_error *err = NULL;

	ck_assert_int_eq(pci_func_init(&g, "device 'm'", NULL, NULL), 0);
	ck_assert_int_eq(pci_msix_init(&g, 0, 1, 0, 0x800, NULL), -EINVAL);
	ck_assert_int_eq(pci_msix_init(&g, 4, 6, 0, 0x800, NULL), -EINVAL);
	ck_assert_int_eq(pci_msix_init(&g, 4, 1, 0, 0x20, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "MSI-X"));
	vm_error_free(err);
	ck_assert_int_eq(pci_msix_init(&g, 4, 1, 0, 0x800, NULL), 0);
	ck_assert_uint_eq(g.bars[1].size, 0x1000);
	ck_assert_int_eq(pci_msix_init(&g, 4, 1, 0, 0x800, NULL), -EBUSY);
	ck_assert_int_eq(pci_bus_plug(&bus, &g, -1, NULL), 0);
	ck_assert_int_eq(pci_msix_notify(&g, 0), -ENOENT);
	pci_bus_unplug(&bus, &g);
	pci_func_fini(&g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msix");
	TCase *tc = tcase_create("msix");

	tcase_add_checked_fixture(tc, setup, bus_teardown);
	tcase_add_test(tc, test_msix_capability_layout);
	tcase_add_test(tc, test_msix_delivers_programmed_message);
	tcase_add_test(tc, test_msix_masked_vector_pends_and_fires_on_unmask);
	tcase_add_test(tc, test_msix_function_mask);
	tcase_add_test(tc, test_msix_hostile_table_and_pba_accesses);
	tcase_add_test(tc, test_msix_own_bar_and_init_errors);
	suite_add_tcase(s, tc);
	return check_run(s);
}
