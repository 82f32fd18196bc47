/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/mock/net-vm.h: a VM with one netdev and one virtio-net-pci,
 * realized without KVM (tests/unit/vm-fixture.h) and probed by the mock
 * guest the way Linux's virtio_pci + virtio_net do: MSI-X on, features,
 * queues of 256, DRIVER_OK. Kicks take the MMIO exit (the transport then
 * signals the queue's kick eventfd); interrupts are recorded MSIs. Used
 * by the vhost-user tests, whose backend serves the data queues.
 * Single-threaded test use only (one net_vm per process).
 */
#ifndef TESTS_UNIT_MOCK_NET_VM_H
#define TESTS_UNIT_MOCK_NET_VM_H

#include <stdbool.h>
#include <stdint.h>

#include <kvm-virtio.h>

#include "fake-kvm.h"
#include "guest-mem.h"
#include "pci-driver.h"
#include "virtio-driver.h"
#include "virtio-pci-bar.h"

#define NET_VM_MAX_Q 5
#define NET_VM_QSIZE 256

struct net_vm {
	struct vm *vm;
	struct machine *mach;
	struct msi_rec rec;
	struct mock_pci drv;
	struct guest_mem gm;   /* bump allocator over the machine's RAM */
	unsigned slot;
	struct virtio_bar vbar;
	struct virtio_drv vd;
	struct vring_drv ring[NET_VM_MAX_Q];
	/* set after net_vm_create, before the machine: RAM in a file there
	 * (hugetlbfs) with these GMEM_F_* flags; NULL: a memfd */
	const char *mem_path;
	unsigned mem_flags;
};

/* Only vm_create (for tests that add objects of their own first). */
void net_vm_create(struct net_vm *t);
/* vm_create (unless net_vm_create ran), netdev @nd_type "v0" with
 * @nd_props, a virtio-net-pci on it with @dev_props, and a 64 MiB
 * machine. Not realized. */
void net_vm_build(struct net_vm *t, const char *nd_type,
		  const struct vm_prop *nd_props, const struct vm_prop *dev_props);
/* The machine (64 MiB) and the MSI recorder on its bus. */
void net_vm_machine(struct net_vm *t);
/* After realize: find the device on the bus and enable it. */
void net_vm_find(struct net_vm *t);
/* Probe with the offered features & @wanted and @nq queues; returns the
 * negotiated features. */
uint64_t net_vm_probe(struct net_vm *t, uint64_t wanted, uint16_t nq);
/* A control command on queue @q; returns the ack byte (0xee: none). */
uint8_t net_vm_ctrl(struct net_vm *t, uint16_t q, const void *cmd,
		    unsigned len);
/* Poll ring @r's used ring for up to @ms. */
bool net_vm_wait_used(struct vring_drv *r, uint32_t *id, uint32_t *len,
		      int ms);
/* The link bit of the device config, as the guest reads it, becomes @up
 * within @ms. */
bool net_vm_link_is(struct net_vm *t, bool up, int ms);
void net_vm_destroy(struct net_vm *t);

#endif
