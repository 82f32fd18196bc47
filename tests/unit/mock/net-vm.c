/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/mock/net-vm.c: see net-vm.h. */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>

#include "net-vm.h"
#include "pci/pci.h"
#include "virtio/pci-modern.h"
#include "vm-fixture.h"

#define MiB (1ull << 20)
#define CC(f) offsetof(struct virtio_pci_common_cfg, f)

void net_vm_create(struct net_vm *t)
{
	struct vm_config cfg = VM_CONFIG_INIT;

	memset(t, 0, sizeof(*t));
	cfg.kernel = "/nonexistent";
	ck_assert_int_eq(vm_create(&cfg, &t->vm, NULL), 0);
}

void net_vm_build(struct net_vm *t, const char *nd_type,
		  const struct vm_prop *nd_props, const struct vm_prop *dev_props)
{
	struct vm_error *err = NULL;

	if (!t->vm)
		net_vm_create(t);
	ck_assert_int_eq(vm_add_netdev(t->vm, nd_type, "v0", nd_props, &err), 0);
	ck_assert_msg(vm_add_device(t->vm, "virtio-net-pci", dev_props, &err) == 0,
		      "%s", vm_error_message(err));
	net_vm_machine(t);
}

void net_vm_machine(struct net_vm *t)
{
	t->mach = test_vm_add_machine_ram(t->vm, 64 * MiB, t->mem_path,
					  t->mem_flags);
	t->rec.sink.ops = &msi_rec_ops;
	pthread_mutex_init(&t->rec.lock, NULL);
	machine_pci(t->mach)->cfg.irq = &t->rec.sink;
}

void net_vm_find(struct net_vm *t)
{
	uint64_t bar4;

	t->drv = (struct mock_pci){ machine_pio(t->mach), machine_mmio(t->mach), 0 };
	for (t->slot = 1; t->slot < 32; t->slot++)
		if (mock_pci_cfg_read(&t->drv, t->slot, PCI_VENDOR_ID, 4) ==
		    (0x1041u << 16 | 0x1af4u))
			break;
	ck_assert_uint_lt(t->slot, 32);
	bar4 = mock_pci_bar_get(&t->drv, t->slot, VIO_PCI_BAR);
	ck_assert_uint_ne(bar4, 0);
	t->vbar = (struct virtio_bar){ .mmio = t->drv.mmio, .base = bar4,
				       .strict = 1 };
	t->vd = (struct virtio_drv){ &virtio_bar_ops, &t->vbar, 0 };
	mock_pci_command(&t->drv, t->slot,
			 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
	t->gm.gm = *machine_mem(t->mach); /* shared mapping, not owned */
	t->gm.next = 1 * MiB;
	t->gm.end = 64 * MiB;
}

uint64_t net_vm_probe(struct net_vm *t, uint64_t wanted, uint16_t nq)
{
	unsigned cap = mock_pci_find_cap(&t->drv, t->slot, PCI_CAP_ID_MSIX, 0);

	ck_assert_uint_ne(cap, 0);
	ck_assert_uint_le(nq, NET_VM_MAX_Q);
	mock_pci_cfg_write(&t->drv, t->slot, cap + PCI_MSIX_FLAGS,
			   PCI_MSIX_FLAGS_ENABLE, 2);
	for (unsigned v = 0; v <= nq; v++)
		mock_pci_msix_set(&t->drv, t->slot, v, 0xfee00000, 0x40 + v, 0);
	ck_assert_int_eq(virtio_drv_probe(&t->vd, wanted), 0);
	virtio_bar_wr(&t->vbar, CC(msix_config), 0, 2);
	for (uint16_t q = 0; q < nq; q++)
		ck_assert_int_eq(virtio_drv_setup_queue(&t->vd, &t->gm, q,
							NET_VM_QSIZE,
							(uint16_t)(q + 1),
							&t->ring[q]),
				 q + 1);
	for (uint16_t q = 0; q < nq; q++)
		virtio_drv_enable_queue(&t->vd, q);
	virtio_drv_driver_ok(&t->vd);
	return t->vd.features;
}

bool net_vm_wait_used(struct vring_drv *r, uint32_t *id, uint32_t *len,
		      int ms)
{
	for (int i = 0; i < ms; i++) {
		if (vring_drv_get_used(r, id, len))
			return true;
		usleep(1000);
	}
	return false;
}

uint8_t net_vm_ctrl(struct net_vm *t, uint16_t q, const void *cmd,
		    unsigned len)
{
	uint64_t c = guest_alloc(&t->gm, len, 8), a = guest_alloc(&t->gm, 1, 8);
	uint32_t id, l;

	memcpy(guest_ptr(&t->gm, c, len), cmd, len);
	*(uint8_t *)guest_ptr(&t->gm, a, 1) = 0xee;
	vring_drv_publish(&t->ring[q], vring_drv_add_chain(&t->ring[q],
		(const struct vring_drv_buf[]){ { c, len, false },
						{ a, 1, true } }, 2));
	virtio_drv_kick(&t->vd, q);
	if (!net_vm_wait_used(&t->ring[q], &id, &l, 5000))
		return 0xee;
	return *(uint8_t *)guest_ptr(&t->gm, a, 1);
}

bool net_vm_link_is(struct net_vm *t, bool up, int ms)
{
	for (int i = 0; i < ms; i++) {
		uint32_t st = virtio_bar_rd(&t->vbar, VIO_PCI_DEVICE_OFF +
					    offsetof(struct virtio_net_config, status), 2);

		if (!!(st & VIRTIO_NET_S_LINK_UP) == up)
			return true;
		usleep(1000);
	}
	return false;
}

void net_vm_destroy(struct net_vm *t)
{
	vm_destroy(t->vm);
	t->vm = NULL;
}
