/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-virtio-pci.c: the virtio-pci modern transport
 * (lib/virtio/pci-modern.c) on a PC-like bus, driven the way Linux's
 * virtio_pci_modern driver drives it: config space and BAR accesses through
 * the PIO/MMIO maps (tests/unit/mock/pci-driver.c), the virtio probe order
 * over BAR 4 (tests/unit/mock/virtio-driver.c), rings in mock guest RAM,
 * MSI-X delivery recorded by the irq sink. Each row cites virtio 1.2.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "pci-fixture.h"
#include "virtio/pci-modern.h"
#include "mock/guest-mem.h"
#include "mock/virtio-driver.h"
#include "check-main.h"

#define MiB (1ull << 20)
#define CC(f) offsetof(struct virtio_pci_common_cfg, f)

/* echo device: one queue, copies readable bytes into writable buffers */
static struct guest_mem gm;
static struct vio_dev vdev;
static struct vio_pci vp;
static uint8_t echo_cfg[6] = { 1, 2, 3, 4, 5, 6 };
static uint64_t bar4;
static unsigned slot;

static void echo_get_config(struct vio_dev *d, uint32_t off, void *buf,
			    uint32_t len)
{
	(void)d;
	memcpy(buf, echo_cfg + off, len);
}

static void echo_queue_notify(struct vio_dev *d, unsigned q)
{
	struct iovec iov[256];
	struct vq_elem el = { .iov = iov, .iov_cap = 256 };

	while (vq_pop(&d->vqs[q], &gm.gm, &el) == 1) {
		size_t n = MIN(iov[0].iov_len, iov[el.out_num].iov_len);

		ck_assert_uint_eq(el.out_num, 1);
		memcpy(iov[el.out_num].iov_base, iov[0].iov_base, n);
		ck_assert_int_eq(vio_queue_push_notify(d, q, el.head,
						       (uint32_t)n), 0);
	}
}

static const struct vio_dev_ops echo_ops = {
	.get_config = echo_get_config,
	.queue_notify = echo_queue_notify,
};

static uint32_t bar_rd(void *o, uint32_t off, unsigned size)
{
	uint32_t v = 0;

	(void)o;
	ck_assert_int_eq(iomap_read(&mmio, bar4 + off, &v, size), 0);
	return v;
}

static void bar_wr(void *o, uint32_t off, uint32_t val, unsigned size)
{
	(void)o;
	ck_assert_int_eq(iomap_write(&mmio, bar4 + off, &val, size), 0);
}

static void notify(void *o, uint16_t q, uint16_t noff)
{
	/* vp_notify(): iowrite16(queue index, notify base + off * mult) */
	bar_wr(o, VIO_PCI_NOTIFY_OFF + noff * VIO_PCI_NOTIFY_MULT, q, 2);
}

static const struct virtio_drv_ops bar_ops = { bar_rd, bar_wr, notify };
static struct virtio_drv vd = { &bar_ops, NULL, 0 };

static void setup(void)
{
	const uint16_t max[1] = { 256 };

	bus_setup();
	ck_assert_int_eq(guest_mem_init(&gm, 16 * MiB), 0);
	memset(&vdev, 0, sizeof(vdev));
	vdev.name = "echo0";
	vdev.device_id = VIRTIO_ID_NET; /* identity only; the model is echo */
	vdev.host_features = 1ull << VIRTIO_RING_F_EVENT_IDX;
	vdev.config_len = sizeof(echo_cfg);
	vdev.ops = &echo_ops;
	ck_assert_int_eq(vio_dev_init(&vdev, 1, max, NULL), 0);
	ck_assert_int_eq(vio_pci_init(&vp, &vdev, &gm.gm, 2, NULL), 0);
	ck_assert_int_eq(pci_bus_plug(&bus, &vp.func, -1, NULL), 0);
	slot = (unsigned)vp.func.slot;
	bar4 = mock_pci_bar_get(&drv, slot, VIO_PCI_BAR);
	ck_assert_uint_ne(bar4, 0);
	mock_pci_command(&drv, slot, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
}

static void teardown(void)
{
	pci_bus_unplug(&bus, &vp.func);
	vio_pci_fini(&vp);
	vio_dev_fini(&vdev);
	guest_mem_fini(&gm);
	bus_teardown();
}

static void msix_enable(void)
{
	unsigned cap = mock_pci_find_cap(&drv, slot, PCI_CAP_ID_MSIX, 0);

	ck_assert_uint_ne(cap, 0);
	mock_pci_cfg_write(&drv, slot, cap + PCI_MSIX_FLAGS,
			   PCI_MSIX_FLAGS_ENABLE, 2);
	mock_pci_msix_set(&drv, slot, 0, 0xfee00000, 0x40, 0);
	mock_pci_msix_set(&drv, slot, 1, 0xfee00000, 0x41, 0);
}

/* §4.1.2: IDs of a non-transitional device; §4.1.4: the capabilities
 * virtio_pci_modern_probe() looks for, each in BAR 4 at QEMU's offsets. */
START_TEST(test_pci_identity_and_capabilities)
{
	static const struct { uint8_t type; uint32_t off; } want[] = {
		{ VIRTIO_PCI_CAP_COMMON_CFG, VIO_PCI_COMMON_OFF },
		{ VIRTIO_PCI_CAP_ISR_CFG, VIO_PCI_ISR_OFF },
		{ VIRTIO_PCI_CAP_DEVICE_CFG, VIO_PCI_DEVICE_OFF },
		{ VIRTIO_PCI_CAP_NOTIFY_CFG, VIO_PCI_NOTIFY_OFF },
		{ VIRTIO_PCI_CAP_PCI_CFG, 0 },
	};
	unsigned i, cap;
	uint32_t flags;

	ck_assert_uint_eq(mock_pci_cfg_read(&drv, slot, PCI_VENDOR_ID, 2), 0x1af4);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, slot, PCI_DEVICE_ID, 2), 0x1041);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, slot, PCI_REVISION_ID, 1), 1);
	ck_assert_uint_ge(mock_pci_cfg_read(&drv, slot, PCI_SUBSYSTEM_ID, 2), 0x40);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, slot, PCI_CLASS_REVISION, 4) >> 8,
			  0x020000);
	ck_assert_uint_eq(mock_pci_bar_size(&drv, slot, VIO_PCI_BAR, &flags),
			  VIO_PCI_BAR_SIZE);
	ck_assert(flags & PCI_BASE_ADDRESS_MEM_TYPE_64);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		cap = mock_pci_find_cap(&drv, slot, PCI_CAP_ID_VNDR, i);
		ck_assert_uint_ne(cap, 0);
		ck_assert_uint_eq(mock_pci_cfg_read(&drv, slot, cap + 3, 1),
				  want[i].type);
		if (want[i].type == VIRTIO_PCI_CAP_PCI_CFG)
			continue;
		ck_assert_uint_eq(mock_pci_cfg_read(&drv, slot, cap + 4, 1),
				  VIO_PCI_BAR);
		ck_assert_uint_eq(mock_pci_cfg_read(&drv, slot, cap + 8, 4),
				  want[i].off);
		ck_assert_uint_eq(mock_pci_cfg_read(&drv, slot, cap + 12, 4),
				  VIO_PCI_REGION_SIZE);
		/* §4.1.4.4.1: an even power of 2 multiplier */
		if (want[i].type == VIRTIO_PCI_CAP_NOTIFY_CFG)
			ck_assert_uint_eq(mock_pci_cfg_read(&drv, slot, cap + 16, 4),
					  VIO_PCI_NOTIFY_MULT);
	}
	ck_assert_uint_eq(mock_pci_find_cap(&drv, slot, PCI_CAP_ID_VNDR, 5), 0);
	ck_assert_uint_ne(mock_pci_find_cap(&drv, slot, PCI_CAP_ID_MSIX, 0), 0);
}
END_TEST

/* §3.1.1 + §4.1.4.3 + §4.1.5.1.2: Linux's probe, queue set-up, DRIVER_OK,
 * then a round trip with its MSI-X interrupt. */
START_TEST(test_common_cfg_probe_like_linux)
{
	uint64_t in = guest_alloc(&gm, 4, 8), out = guest_alloc(&gm, 4, 8);
	struct vring_drv_buf b[2] = { { in, 4, false }, { out, 4, true } };
	struct vring_drv r;
	uint32_t id, len;

	msix_enable();
	ck_assert_int_eq(virtio_drv_probe(&vd, (1ull << VIRTIO_F_VERSION_1) |
					       (1ull << VIRTIO_RING_F_EVENT_IDX)), 0);
	ck_assert_uint_eq(vd.features, (1ull << VIRTIO_F_VERSION_1) |
					(1ull << VIRTIO_RING_F_EVENT_IDX));
	/* vp_modern_config_vector(): write, read back */
	bar_wr(NULL, CC(msix_config), 0, 2);
	ck_assert_uint_eq(bar_rd(NULL, CC(msix_config), 2), 0);
	ck_assert_uint_eq(bar_rd(NULL, CC(num_queues), 2), 1);
	ck_assert_int_eq(virtio_drv_setup_queue(&vd, &gm, 0, 64, 1, &r), 1);
	ck_assert_uint_eq(bar_rd(NULL, CC(queue_size), 2), 64);
	ck_assert_uint_eq(bar_rd(NULL, CC(queue_desc_lo), 4), (uint32_t)r.desc);
	ck_assert_uint_eq(bar_rd(NULL, CC(queue_enable), 2), 0);
	virtio_drv_enable_queue(&vd, 0);
	ck_assert_uint_eq(bar_rd(NULL, CC(queue_enable), 2), 1);
	virtio_drv_driver_ok(&vd);
	ck_assert_uint_eq(virtio_drv_get_status(&vd),
			  VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			  VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	/* device config through BAR 4 + 0x2000; past config_len reads 0 */
	ck_assert_uint_eq(bar_rd(NULL, VIO_PCI_DEVICE_OFF + 2, 2), 0x0403);
	ck_assert_uint_eq(bar_rd(NULL, VIO_PCI_DEVICE_OFF + 6, 1), 0);

	memcpy(guest_ptr(&gm, in, 4), "ping", 4);
	vring_drv_publish(&r, vring_drv_add_chain(&r, b, 2));
	virtio_drv_kick(&vd, 0);
	ck_assert(vring_drv_get_used(&r, &id, &len));
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(guest_ptr(&gm, out, 4), "ping", 4);
	ck_assert_uint_eq(irq.msis, 1);
	ck_assert_uint_eq(irq.msi_addr, 0xfee00000);
	ck_assert_uint_eq(irq.msi_data, 0x41);
	/* with MSI-X enabled the queue bit is not set in ISR (§4.1.4.5.1) */
	ck_assert_uint_eq(bar_rd(NULL, VIO_PCI_ISR_OFF, 1), 0);
}
END_TEST

/* §4.1.5.1.2: a mapping to a vector the device lacks reads NO_VECTOR; a
 * reset unmaps every event. */
START_TEST(test_msix_vector_out_of_range_reads_no_vector)
{
	struct vring_drv r;

	ck_assert_int_eq(virtio_drv_probe(&vd, 1ull << VIRTIO_F_VERSION_1), 0);
	bar_wr(NULL, CC(msix_config), 2, 2); /* only vectors 0 and 1 */
	ck_assert_uint_eq(bar_rd(NULL, CC(msix_config), 2), VIRTIO_MSI_NO_VECTOR);
	ck_assert_int_eq(virtio_drv_setup_queue(&vd, &gm, 0, 64, 7, &r),
			 VIRTIO_MSI_NO_VECTOR);
	bar_wr(NULL, CC(queue_msix_vector), 1, 2);
	ck_assert_uint_eq(bar_rd(NULL, CC(queue_msix_vector), 2), 1);
	virtio_drv_set_status(&vd, 0);
	ck_assert_uint_eq(bar_rd(NULL, CC(queue_msix_vector), 2),
			  VIRTIO_MSI_NO_VECTOR);
	ck_assert_uint_eq(bar_rd(NULL, CC(msix_config), 2), VIRTIO_MSI_NO_VECTOR);
}
END_TEST

/* Linux virtio_dev_probe(): FEATURES_OK is read back and must be clear
 * without VERSION_1 (§6.1), then FAILED is set. */
START_TEST(test_features_ok_does_not_stick_without_version_1)
{
	ck_assert_int_eq(virtio_drv_probe(&vd, 1ull << VIRTIO_RING_F_EVENT_IDX),
			 -ENODEV);
	ck_assert(virtio_drv_get_status(&vd) & VIRTIO_CONFIG_S_FAILED);
	ck_assert(!(virtio_drv_try_features(&vd, (1ull << VIRTIO_F_VERSION_1) |
						     (1ull << VIRTIO_F_RING_PACKED)) &
		    VIRTIO_CONFIG_S_FEATURES_OK));
}
END_TEST

/* §4.1.4.3.2: read-only fields ignore writes; undefined offsets and wrong
 * widths read 0 (§4.1.3.1); an absent queue has size 0. */
START_TEST(test_common_cfg_read_only_and_undefined)
{
	bar_wr(NULL, CC(num_queues), 9, 2);
	ck_assert_uint_eq(bar_rd(NULL, CC(num_queues), 2), 1);
	bar_wr(NULL, CC(queue_notify_off), 9, 2);
	ck_assert_uint_eq(bar_rd(NULL, CC(queue_notify_off), 2), 0);
	bar_wr(NULL, CC(device_feature), 0, 4);
	ck_assert_uint_eq(bar_rd(NULL, CC(device_feature), 4),
			  1u << VIRTIO_RING_F_EVENT_IDX);
	ck_assert_uint_eq(bar_rd(NULL, CC(num_queues), 4), 0);  /* width */
	ck_assert_uint_eq(bar_rd(NULL, 0x800, 4), 0);
	ck_assert_uint_eq(bar_rd(NULL, VIO_PCI_NOTIFY_OFF, 2), 0);
	bar_wr(NULL, CC(queue_select), 3, 2);
	ck_assert_uint_eq(bar_rd(NULL, CC(queue_size), 2), 0);
	ck_assert_uint_eq(bar_rd(NULL, CC(queue_msix_vector), 2),
			  VIRTIO_MSI_NO_VECTOR);
	bar_wr(NULL, CC(queue_enable), 1, 2); /* no crash, no queue */
	ck_assert_uint_eq(bar_rd(NULL, CC(queue_enable), 2), 0);
	/* §4.1.4.3.1: device_feature_select 2 reads 0 */
	bar_wr(NULL, CC(device_feature_select), 2, 4);
	ck_assert_uint_eq(bar_rd(NULL, CC(device_feature), 4), 0);
}
END_TEST

/* §2.7 + §4.1.4.3: a queue size that is not a power of 2 is refused at
 * queue_enable and the device asks for a reset. */
START_TEST(test_queue_size_must_be_power_of_two)
{
	struct vring_drv r;

	ck_assert_int_eq(virtio_drv_probe(&vd, 1ull << VIRTIO_F_VERSION_1), 0);
	ck_assert_int_ge(virtio_drv_setup_queue(&vd, &gm, 0, 64, 0, &r), 0);
	bar_wr(NULL, CC(queue_size), 48, 2);
	virtio_drv_enable_queue(&vd, 0);
	ck_assert_uint_eq(bar_rd(NULL, CC(queue_enable), 2), 0);
	ck_assert(virtio_drv_get_status(&vd) & VIRTIO_CONFIG_S_NEEDS_RESET);
}
END_TEST

/* §4.1.4.9: the PCI_CFG window reaches BAR 4 through config space. */
START_TEST(test_pci_cfg_window_reaches_bar)
{
	unsigned cap = mock_pci_find_cap(&drv, slot, PCI_CAP_ID_VNDR, 4);

	ck_assert_uint_eq(mock_pci_cfg_read(&drv, slot, cap + 3, 1),
			  VIRTIO_PCI_CAP_PCI_CFG);
	mock_pci_cfg_write(&drv, slot, cap + 4, VIO_PCI_BAR, 1);
	mock_pci_cfg_write(&drv, slot, cap + 8, CC(num_queues), 4);
	mock_pci_cfg_write(&drv, slot, cap + 12, 2, 4);
	ck_assert_uint_eq(mock_pci_cfg_read(&drv, slot, cap + 16, 4) & 0xffff, 1);
	/* a write through the window: device_status = ACKNOWLEDGE */
	mock_pci_cfg_write(&drv, slot, cap + 8, CC(device_status), 4);
	mock_pci_cfg_write(&drv, slot, cap + 12, 1, 4);
	mock_pci_cfg_write(&drv, slot, cap + 16, VIRTIO_CONFIG_S_ACKNOWLEDGE, 4);
	ck_assert_uint_eq(virtio_drv_get_status(&vd), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	/* a bad length or another BAR: nothing happens */
	mock_pci_cfg_write(&drv, slot, cap + 12, 3, 4);
	mock_pci_cfg_write(&drv, slot, cap + 16, 0, 4);
	ck_assert_uint_eq(virtio_drv_get_status(&vd), VIRTIO_CONFIG_S_ACKNOWLEDGE);
}
END_TEST

/* §2.1.2 + §4.1.4.5: NEEDS_RESET sets the ISR config bit and raises the
 * config vector; reading ISR clears it. */
START_TEST(test_needs_reset_raises_config_vector)
{
	struct vring_drv r;

	msix_enable();
	ck_assert_int_eq(virtio_drv_probe(&vd, 1ull << VIRTIO_F_VERSION_1), 0);
	bar_wr(NULL, CC(msix_config), 0, 2);
	ck_assert_int_eq(virtio_drv_setup_queue(&vd, &gm, 0, 16, 1, &r), 1);
	virtio_drv_enable_queue(&vd, 0);
	virtio_drv_driver_ok(&vd);
	vring_drv_set_desc(&r, 0, 0, 8, VRING_DESC_F_NEXT, 0); /* self loop */
	vring_drv_publish(&r, 0);
	virtio_drv_kick(&vd, 0);
	ck_assert(virtio_drv_get_status(&vd) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_eq(irq.msis, 1);
	ck_assert_uint_eq(irq.msi_data, 0x40);
	ck_assert_uint_eq(bar_rd(NULL, VIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_CONFIG);
	ck_assert_uint_eq(bar_rd(NULL, VIO_PCI_ISR_OFF, 1), 0);
	/* reset recovers the device */
	virtio_drv_set_status(&vd, 0);
	ck_assert_uint_eq(virtio_drv_get_status(&vd), 0);
}
END_TEST

/* A register write that breaks a queue under the device lock still gets
 * its config interrupt out (deferred until the lock is dropped). */
START_TEST(test_enable_failure_interrupt_is_delivered)
{
	struct vring_drv r;

	msix_enable();
	ck_assert_int_eq(virtio_drv_probe(&vd, 1ull << VIRTIO_F_VERSION_1), 0);
	bar_wr(NULL, CC(msix_config), 0, 2);
	ck_assert_int_ge(virtio_drv_setup_queue(&vd, &gm, 0, 16, 1, &r), 0);
	virtio_drv_driver_ok(&vd); /* queue not yet enabled: still legal */
	bar_wr(NULL, CC(queue_used_lo), 0x3ffffff0, 4); /* outside RAM */
	virtio_drv_enable_queue(&vd, 0);
	ck_assert(virtio_drv_get_status(&vd) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_eq(irq.msis, 1);
	ck_assert_uint_eq(irq.msi_data, 0x40);
}
END_TEST

static Suite *virtio_pci_suite(void)
{
	Suite *s = suite_create("virtio-pci");
	TCase *t = tcase_create("modern");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_pci_identity_and_capabilities);
	tcase_add_test(t, test_common_cfg_probe_like_linux);
	tcase_add_test(t, test_msix_vector_out_of_range_reads_no_vector);
	tcase_add_test(t, test_features_ok_does_not_stick_without_version_1);
	tcase_add_test(t, test_common_cfg_read_only_and_undefined);
	tcase_add_test(t, test_queue_size_must_be_power_of_two);
	tcase_add_test(t, test_pci_cfg_window_reaches_bar);
	tcase_add_test(t, test_needs_reset_raises_config_vector);
	tcase_add_test(t, test_enable_failure_interrupt_is_delivered);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return check_run(virtio_pci_suite());
}
