/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/vnet-fixture.h: the mock guest's side of a virtio-net-pci
 * device on a machine without KVM, for the device's tests: the driver
 * state (one device per test process), finding the function on the bus,
 * Linux's probe order, waiting for used buffers. The test builds the VM
 * (its netdev and device) and then calls vnet_fixture_machine().
 * Include after vm-fixture.h, fake-kvm.h and the mock/ headers.
 */
#ifndef TESTS_UNIT_VNET_FIXTURE_H
#define TESTS_UNIT_VNET_FIXTURE_H

#define MiB (1ull << 20)
#define CC(f) offsetof(struct virtio_pci_common_cfg, f)
#define BIT(b) (1ull << (b))
#define MAC "52:54:00:ab:cd:ef"
#define HDR 12u
#define RXQ 0
#define TXQ 1
#define CTRLQ 2

static struct vm *vm;
static struct machine *mach;
static struct msi_rec rec;
static struct mock_pci drv;
static struct guest_mem gm;   /* a bump allocator over the machine's RAM */
static unsigned slot;
static uint64_t bar4;
static struct vring_drv ring[5];

static struct virtio_bar vbar = { .strict = 1 };
static struct virtio_drv vd = { &virtio_bar_ops, &vbar, 0 };

/* Use the fake KVM sink (ioeventfds, irqfds) instead of the plain one. */
static bool fast_sink __attribute__((unused));

/* The machine vm_start() would create, with the recording irq sink. */
static inline void vnet_fixture_machine(void)
{
	mach = test_vm_add_machine(vm, 64 * MiB);
	memset(&rec, 0, sizeof(rec));
	rec.sink.ops = fast_sink ? &fake_kvm_ops : &msi_rec_ops;
	pthread_mutex_init(&rec.lock, NULL);
	machine_pci(mach)->cfg.irq = &rec.sink;
}

static inline void find_device(void)
{
	drv = (struct mock_pci){ machine_pio(mach), machine_mmio(mach), 0 };
	vbar.mmio = drv.mmio;
	for (slot = 1; slot < 32; slot++)
		if (mock_pci_cfg_read(&drv, slot, PCI_VENDOR_ID, 4) ==
		    (0x1041u << 16 | 0x1af4u))
			break;
	ck_assert_uint_lt(slot, 32);
	bar4 = mock_pci_bar_get(&drv, slot, VIO_PCI_BAR);
	vbar.base = bar4;
	ck_assert_uint_ne(bar4, 0);
	mock_pci_command(&drv, slot, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
	gm.gm = *machine_mem(mach); /* shared mapping, not owned */
	gm.next = 1 * MiB;
	gm.end = 64 * MiB;
}

/* virtio_pci_modern_probe + virtnet_probe: MSI-X on (vector 0 config,
 * 1.. per queue), features, queues, DRIVER_OK. */
static inline void linux_probe_n(uint64_t wanted, uint16_t nq)
{
	unsigned cap = mock_pci_find_cap(&drv, slot, PCI_CAP_ID_MSIX, 0);
	uint16_t q;

	ck_assert_uint_ne(cap, 0);
	mock_pci_cfg_write(&drv, slot, cap + PCI_MSIX_FLAGS,
			   PCI_MSIX_FLAGS_ENABLE, 2);
	for (unsigned v = 0; v <= nq; v++)
		mock_pci_msix_set(&drv, slot, v, 0xfee00000, 0x40 + v, 0);
	ck_assert_int_eq(virtio_drv_probe(&vd, wanted), 0);
	virtio_bar_wr(&vbar, CC(msix_config), 0, 2);
	ck_assert_uint_eq(virtio_bar_rd(&vbar, CC(msix_config), 2), 0);
	for (q = 0; q < nq; q++)
		ck_assert_int_eq(virtio_drv_setup_queue(&vd, &gm, q, 64,
							(uint16_t)(q + 1),
							&ring[q]),
				 q + 1);
	for (q = 0; q < nq; q++)
		virtio_drv_enable_queue(&vd, q);
	virtio_drv_driver_ok(&vd);
	ck_assert_uint_eq(virtio_drv_get_status(&vd) & 0xf,
			  VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				  VIRTIO_CONFIG_S_FEATURES_OK |
				  VIRTIO_CONFIG_S_DRIVER_OK);
}

static inline void linux_probe(uint64_t wanted)
{
	linux_probe_n(wanted, 3);
}

#define LINUX_FEATURES (~0ull)

static inline unsigned msis(void)
{
	return __atomic_load_n(&rec.msis, __ATOMIC_ACQUIRE);
}

/* Poll the used ring of @r (filled by the I/O thread) for up to 2 s. */
static inline bool wait_used(struct vring_drv *r, uint32_t *id, uint32_t *len)
{
	for (int i = 0; i < 2000; i++) {
		if (vring_drv_get_used(r, id, len))
			return true;
		usleep(1000);
	}
	return false;
}

#endif
