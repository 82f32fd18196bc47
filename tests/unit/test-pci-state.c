/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-pci-state.c: a PCI function's snapshot state
 * (pci_func_save/pci_func_load): a function programmed by the mock guest
 * driver (BARs placed and decoding, MSI-X enabled, vectors set, one
 * pending) is saved, loaded into a fresh function on a second bus, and
 * reads back the same through config space and its BAR: the BAR decodes
 * at the same place, the table and PBA match, the msix_vector hook
 * re-created the usable vectors' routes, and unmasking the pending vector
 * delivers it there. Records of another function, or short/long/newer
 * ones, are refused and change nothing.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check-main.h"
#include "irq-rec.h"
#include "mock/pci-driver.h"
#include "pci/pci.h"
#include "snap-util.h"

#define SLOT 4
#define NVEC 4
#define W32 0xc0000000ull

struct rig {
	struct iomap pio, mmio;
	struct irq_rec irq;
	struct pci_bus bus;
	struct pci_func f;
	struct mock_pci drv;
	uint8_t regs[0x1000];
	unsigned hooks, usable_hooks;
};

static void rf_read(void *o, uint64_t off, void *data, unsigned size)
{
	memcpy(data, (uint8_t *)o + off, size);
}

static void rf_write(void *o, uint64_t off, const void *data, unsigned size)
{
	memcpy((uint8_t *)o + off, data, size);
}

static const struct iomap_ops rf_ops = { rf_read, rf_write };

static void on_vector(struct pci_func *f, unsigned vec, int usable,
		      uint64_t addr, uint32_t data)
{
	struct rig *g = (struct rig *)((char *)f - offsetof(struct rig, f));

	(void)vec;
	(void)addr;
	(void)data;
	g->hooks++;
	g->usable_hooks += usable != 0;
}

static const struct pci_func_ops ops = { .msix_vector = on_vector };

static struct rig *rig_new(uint16_t device)
{
	struct rig *g = calloc(1, sizeof(*g));
	struct pci_bus_config c = {
		.pio = &g->pio, .mmio = &g->mmio, .irq = &g->irq.sink,
		.legacy_cfg = 1, .mmio32_base = W32, .mmio32_size = 0x10000000,
		.io_base = 0xc000, .io_size = 0x4000,
	};

	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(iomap_init(&g->pio, "pio"), 0);
	ck_assert_int_eq(iomap_init(&g->mmio, "mmio"), 0);
	irq_rec_init(&g->irq);
	ck_assert_int_eq(pci_bus_init(&g->bus, &c, NULL), 0);
	ck_assert_int_eq(pci_func_init(&g->f, "device 'net0'", &ops, NULL), 0);
	pci_func_set_ids(&g->f, 0x1af4, device, 1, 0x020000);
	ck_assert_int_eq(pci_func_add_bar(&g->f, 0, 0x1000, PCIBAR_MEM32,
					  &rf_ops, g->regs, NULL), 0);
	ck_assert_int_eq(pci_msix_init(&g->f, NVEC, 1, 0, 0x800, NULL), 0);
	ck_assert_int_eq(pci_bus_plug(&g->bus, &g->f, SLOT, NULL), 0);
	g->drv = (struct mock_pci){ &g->pio, &g->mmio, 0 };
	return g;
}

static void rig_free(struct rig *g)
{
	pci_bus_fini(&g->bus);
	pci_func_fini(&g->f);
	iomap_fini(&g->pio);
	iomap_fini(&g->mmio);
	free(g);
}

static unsigned msix_cap(struct rig *g)
{
	return mock_pci_find_cap(&g->drv, SLOT, PCI_CAP_ID_MSIX, 0);
}

/* What a guest driver does: place BAR 0 and 1 elsewhere than firmware
 * did, decode, enable MSI-X, program the vectors (vector 3 masked), and a
 * device event on the masked vector leaves it pending. */
static void program(struct rig *g)
{
	unsigned cap = msix_cap(g);

	mock_pci_bar_set(&g->drv, SLOT, 0, W32 + 0x200000);
	mock_pci_bar_set(&g->drv, SLOT, 1, W32 + 0x300000);
	mock_pci_command(&g->drv, SLOT, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
			 0);
	mock_pci_cfg_write(&g->drv, SLOT, cap + PCI_MSIX_FLAGS,
			   PCI_MSIX_FLAGS_ENABLE, 2);
	for (unsigned v = 0; v < NVEC; v++)
		mock_pci_msix_set(&g->drv, SLOT, v, 0xfee00000u + 0x1000 * v,
				  0x40 + v, v == 3);
	mock_mmio_write32(&g->drv, W32 + 0x200000 + 0x10, 0xdeadbeef);
	ck_assert_int_eq(pci_msix_notify(&g->f, 3), 1); /* pending */
	mock_pci_cfg_write(&g->drv, SLOT, PCI_INTERRUPT_LINE, 11, 1);
}

static void save(struct rig *g, struct snap_w *w, struct snap_rec *rec)
{
	const struct snap_hdr h = { 0 };

	snap_w_init(w, &h);
	pci_func_save(&g->f, w, SLOT);
	snap_test_first(w, rec);
	ck_assert_uint_eq(rec->instance, SLOT);
}

static void same_view(struct rig *a, struct rig *b)
{
	uint64_t base = W32 + 0x300000; /* BAR 1: table at 0, PBA at 0x800 */

	for (unsigned off = 0; off < 256; off += 4)
		ck_assert_msg(mock_pci_cfg_read(&a->drv, SLOT, off, 4) ==
			      mock_pci_cfg_read(&b->drv, SLOT, off, 4),
			      "config dword 0x%x differs", off);
	for (unsigned off = 0; off < NVEC * 16; off += 4)
		ck_assert_uint_eq(mock_mmio_read32(&a->drv, base + off),
				  mock_mmio_read32(&b->drv, base + off));
	ck_assert_uint_eq(mock_mmio_read32(&b->drv, base + 0x800), 1u << 3);
	ck_assert_uint_eq(mock_pci_bar_get(&b->drv, SLOT, 0), W32 + 0x200000);
}

START_TEST(test_pci_function_round_trip)
{
	struct rig *a = rig_new(0x1041), *b = rig_new(0x1041);
	struct snap_rec rec;
	struct snap_w w;

	program(a);
	save(a, &w, &rec);
	b->hooks = b->usable_hooks = 0;
	ck_assert_int_eq(pci_func_load(&b->f, &rec, NULL), 0);
	same_view(a, b);
	/* Routes re-created: the three unmasked vectors are usable. */
	ck_assert_uint_eq(b->usable_hooks, 3);
	/* BAR 0 decodes at its restored place and reaches B's device. */
	mock_mmio_write32(&b->drv, W32 + 0x200000 + 0x20, 0x12345678);
	ck_assert_uint_eq(*(uint32_t *)&b->regs[0x20], 0x12345678);
	ck_assert_uint_eq(*(uint32_t *)&a->regs[0x20], 0);
	/* The pending vector is delivered on B when the guest unmasks it. */
	ck_assert_uint_eq(b->irq.msis, 0);
	mock_pci_msix_set(&b->drv, SLOT, 3, 0xfee03000u, 0x43, 0);
	ck_assert_uint_eq(b->irq.msis, 1);
	ck_assert_uint_eq(b->irq.msi_data, 0x43);
	ck_assert_uint_eq(mock_mmio_read32(&b->drv, W32 + 0x300000 + 0x800), 0);
	snap_w_fini(&w);
	rig_free(a);
	rig_free(b);
}
END_TEST

START_TEST(test_pci_function_refuses_bad_records)
{
	struct rig *a = rig_new(0x1041), *b = rig_new(0x1042);
	struct vm_error *err = NULL;
	struct snap_rec rec, r2;
	struct snap_w w;
	uint8_t *more;

	program(a);
	save(a, &w, &rec);
	/* Another device id: refused, B untouched (its BARs still where
	 * firmware put them, MSI-X off). */
	ck_assert_int_eq(pci_func_load(&b->f, &rec, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "1af4:1041"));
	vm_error_free(err);
	err = NULL;
	ck_assert_uint_ne(mock_pci_bar_get(&b->drv, SLOT, 0), W32 + 0x200000);
	ck_assert_uint_eq(mock_pci_cfg_read(&b->drv, SLOT,
					    msix_cap(b) + PCI_MSIX_FLAGS, 2) &
				  PCI_MSIX_FLAGS_ENABLE, 0);
	rig_free(b);
	b = rig_new(0x1041);
	r2 = rec;
	r2.len = rec.len - 1;
	ck_assert_int_eq(pci_func_load(&b->f, &r2, &err), -EBADMSG);
	vm_error_free(err);
	err = NULL;
	more = calloc(1, rec.len + 8);
	memcpy(more, rec.data, rec.len);
	r2.data = more;
	r2.len = rec.len + 8;
	ck_assert_int_eq(pci_func_load(&b->f, &r2, &err), -EBADMSG);
	vm_error_free(err);
	err = NULL;
	r2 = rec;
	r2.version = 2;
	ck_assert_int_eq(pci_func_load(&b->f, &r2, &err), -ENOTSUP);
	vm_error_free(err);
	ck_assert_uint_ne(mock_pci_bar_get(&b->drv, SLOT, 0), W32 + 0x200000);
	free(more);
	snap_w_fini(&w);
	rig_free(a);
	rig_free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pci-state");
	TCase *tc = tcase_create("pci-state");

	tcase_add_test(tc, test_pci_function_round_trip);
	tcase_add_test(tc, test_pci_function_refuses_bad_records);
	suite_add_tcase(s, tc);
	return check_run(s);
}
