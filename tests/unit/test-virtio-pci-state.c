/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-virtio-pci-state.c: a virtio-pci function's snapshot
 * state (vio_pci_save/vio_pci_load). The mock guest driver probes an echo
 * device on bus A (features, MSI-X, queue 0 on vector 1, config on
 * vector 0, DRIVER_OK) and has one chain echoed; the state is loaded into
 * a fresh function on bus B over the same guest RAM. B's common
 * configuration reads back as A's, the device was activated again, and a
 * kick on B's BAR is served by B's device with the used index going on
 * and the interrupt sent with the vector the guest programmed on A.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "check-main.h"
#include "irq-rec.h"
#include "mock/guest-mem.h"
#include "mock/pci-driver.h"
#include "mock/virtio-driver.h"
#include "mock/virtio-pci-bar.h"
#include "mock/vring-driver.h"
#include "snapshot/format.h"
#include "virtio/pci-modern.h"

#define CC(f) offsetof(struct virtio_pci_common_cfg, f)

static struct guest_mem gm;

struct rig {
	struct iomap pio, mmio;
	struct irq_rec irq;
	struct pci_bus bus;
	struct vio_dev vdev;
	struct vio_pci vp;
	struct mock_pci drv;
	struct virtio_bar bar;
	struct virtio_drv vd;
	unsigned slot, served, driver_oks;
};

static void echo_notify(struct vio_dev *d, unsigned q)
{
	struct rig *g = container_of(d, struct rig, vdev);
	struct iovec iov[8];
	struct vq_elem el = { .iov = iov, .iov_cap = 8 };

	while (vq_pop(&d->vqs[q], &gm.gm, &el) == 1) {
		g->served++;
		ck_assert_int_eq(vio_queue_push_notify(d, q, el.head, 5), 0);
	}
}

static void echo_driver_ok(struct vio_dev *d, const struct vio_activation *a)
{
	(void)a;
	container_of(d, struct rig, vdev)->driver_oks++;
}

static void echo_config(struct vio_dev *d, uint32_t off, void *buf,
			uint32_t len)
{
	(void)d;
	(void)off;
	memset(buf, 0x5a, len);
}

static const struct vio_dev_ops echo_ops = {
	.get_config = echo_config,
	.queue_notify = echo_notify,
	.driver_ok = echo_driver_ok,
};

static struct rig *rig_new(void)
{
	const uint16_t max[1] = { 256 };
	struct rig *g = calloc(1, sizeof(*g));
	struct pci_bus_config c = {
		.irq = NULL, .legacy_cfg = 1,
		.mmio32_base = 0xc0000000ull, .mmio32_size = 0x10000000,
		.mmio64_base = 1ull << 34, .mmio64_size = 1ull << 32,
		.io_base = 0xc000, .io_size = 0x4000,
	};

	ck_assert_ptr_nonnull(g);
	c.pio = &g->pio;
	c.mmio = &g->mmio;
	c.irq = &g->irq.sink;
	ck_assert_int_eq(iomap_init(&g->pio, "pio"), 0);
	ck_assert_int_eq(iomap_init(&g->mmio, "mmio"), 0);
	irq_rec_init(&g->irq);
	ck_assert_int_eq(pci_bus_init(&g->bus, &c, NULL), 0);
	g->vdev.name = "echo0";
	g->vdev.device_id = 1;
	g->vdev.host_features = 1ull << VIRTIO_RING_F_EVENT_IDX;
	g->vdev.config_len = 4;
	g->vdev.ops = &echo_ops;
	ck_assert_int_eq(vio_dev_init(&g->vdev, 1, max, NULL), 0);
	ck_assert_int_eq(vio_pci_init(&g->vp, &g->vdev, &gm.gm, 2, NULL), 0);
	ck_assert_int_eq(pci_bus_plug(&g->bus, &g->vp.func, 3, NULL), 0);
	g->slot = 3;
	g->drv = (struct mock_pci){ &g->pio, &g->mmio, 0 };
	g->bar = (struct virtio_bar){ &g->mmio, 0, 1 };
	g->vd = (struct virtio_drv){ &virtio_bar_ops, &g->bar, 0 };
	return g;
}

static void rig_free(struct rig *g)
{
	pci_bus_unplug(&g->bus, &g->vp.func);
	vio_pci_fini(&g->vp);
	vio_dev_fini(&g->vdev);
	pci_bus_fini(&g->bus);
	iomap_fini(&g->pio);
	iomap_fini(&g->mmio);
	free(g);
}

static uint32_t cc(struct rig *g, uint32_t off, unsigned size)
{
	return virtio_bar_rd(&g->bar, VIO_PCI_COMMON_OFF + off, size);
}

/* Linux's probe on A: BAR 4 placed, MSI-X on, config on vector 0, queue
 * 0 on vector 1, DRIVER_OK; then one chain echoed. */
static void probe(struct rig *g, struct vring_drv *r)
{
	unsigned cap = mock_pci_find_cap(&g->drv, g->slot, PCI_CAP_ID_MSIX, 0);

	mock_pci_bar_set(&g->drv, g->slot, VIO_PCI_BAR, (1ull << 34) + 0x100000);
	mock_pci_command(&g->drv, g->slot,
			 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
	g->bar.base = mock_pci_bar_get(&g->drv, g->slot, VIO_PCI_BAR);
	mock_pci_cfg_write(&g->drv, g->slot, cap + PCI_MSIX_FLAGS,
			   PCI_MSIX_FLAGS_ENABLE, 2);
	mock_pci_msix_set(&g->drv, g->slot, 0, 0xfee00000, 0x40, 0);
	mock_pci_msix_set(&g->drv, g->slot, 1, 0xfee00000, 0x41, 0);
	ck_assert_int_eq(virtio_drv_probe(&g->vd, (1ull << VIRTIO_F_VERSION_1) |
					  (1ull << VIRTIO_RING_F_EVENT_IDX)), 0);
	virtio_bar_wr(&g->bar, VIO_PCI_COMMON_OFF + CC(msix_config), 0, 2);
	ck_assert_int_eq(virtio_drv_setup_queue(&g->vd, &gm, 0, 64, 1, r), 1);
	virtio_drv_enable_queue(&g->vd, 0);
	virtio_drv_driver_ok(&g->vd);
}

static void kick_one(struct rig *g, struct vring_drv *r)
{
	struct vring_drv_buf b[2] = {
		{ guest_alloc(&gm, 16, 8), 16, false },
		{ guest_alloc(&gm, 16, 8), 16, true },
	};

	vring_drv_publish(r, vring_drv_add_chain(r, b, 2));
	virtio_drv_kick(&g->vd, 0);
}

START_TEST(test_virtio_pci_round_trip)
{
	static const uint32_t regs[][2] = {
		{ CC(msix_config), 2 }, { CC(device_status), 1 },
		{ CC(config_generation), 1 }, { CC(queue_size), 2 },
		{ CC(queue_msix_vector), 2 }, { CC(queue_enable), 2 },
		{ CC(queue_desc_lo), 4 }, { CC(queue_avail_lo), 4 },
		{ CC(queue_used_lo), 4 }, { CC(guest_feature), 4 },
	};
	struct rig *a, *b;
	struct snap_index ix;
	struct vring_drv r;
	struct snap_w w;
	const struct snap_hdr h = { 0 };
	uint32_t id, len;

	ck_assert_int_eq(guest_mem_init(&gm, 16u << 20), 0);
	a = rig_new();
	b = rig_new();
	probe(a, &r);
	kick_one(a, &r);
	ck_assert_uint_eq(a->served, 1);
	ck_assert_uint_eq(a->irq.msis, 1);
	ck_assert(vring_drv_get_used(&r, &id, &len));

	snap_w_init(&w, &h);
	vio_pci_save(&a->vp, &w, 0);
	ck_assert_int_eq(snap_w_finish(&w), 0);
	ck_assert_int_eq(snap_index_build(&ix, w.buf, w.len, NULL), 0);
	ck_assert_int_eq(vio_pci_load(&b->vp, &ix, 0, NULL), 0);
	ck_assert_uint_eq(b->driver_oks, 1);
	b->bar.base = mock_pci_bar_get(&b->drv, b->slot, VIO_PCI_BAR);
	ck_assert_uint_eq(b->bar.base, a->bar.base);
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		ck_assert_msg(cc(a, regs[i][0], regs[i][1]) ==
			      cc(b, regs[i][0], regs[i][1]),
			      "common config at 0x%x differs", regs[i][0]);

	/* The guest goes on on B: its next chain is B's to serve, and it
	 * wants an interrupt for it (EVENT_IDX: used_event = 1). */
	b->vd.features = a->vd.features;
	vring_drv_set_used_event(&r, 1);
	kick_one(b, &r);
	ck_assert_uint_eq(b->served, 1);
	ck_assert_uint_eq(a->served, 1);
	ck_assert(vring_drv_get_used(&r, &id, &len) && len == 5);
	ck_assert_uint_eq(vring_drv_used_idx(&r), 2);
	ck_assert_uint_eq(b->irq.msis, 1);
	ck_assert_uint_eq(b->irq.msi_data, 0x41); /* queue 0's vector */

	snap_index_fini(&ix);
	snap_w_fini(&w);
	rig_free(a);
	rig_free(b);
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(test_virtio_pci_missing_record_refused)
{
	struct rig *a, *b;
	struct snap_index ix;
	struct vm_error *err = NULL;
	struct snap_w w;
	const struct snap_hdr h = { 0 };

	ck_assert_int_eq(guest_mem_init(&gm, 16u << 20), 0);
	a = rig_new();
	b = rig_new();
	snap_w_init(&w, &h);
	pci_func_save(&a->vp.func, &w, 0); /* no VIOD/VPCI records */
	ck_assert_int_eq(snap_w_finish(&w), 0);
	ck_assert_int_eq(snap_index_build(&ix, w.buf, w.len, NULL), 0);
	ck_assert_int_eq(vio_pci_load(&b->vp, &ix, 0, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "virtio device"));
	vm_error_free(err);
	ck_assert_uint_eq(b->driver_oks, 0);
	snap_index_fini(&ix);
	snap_w_fini(&w);
	rig_free(a);
	rig_free(b);
	guest_mem_fini(&gm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio-pci-state");
	TCase *tc = tcase_create("virtio-pci-state");

	tcase_add_test(tc, test_virtio_pci_round_trip);
	tcase_add_test(tc, test_virtio_pci_missing_record_refused);
	suite_add_tcase(s, tc);
	return check_run(s);
}
