/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/virtio/pci-modern.h: the virtio-pci modern transport (virtio 1.2
 * §4.1), non-transitional: vendor 0x1af4, device 0x1040 + type, revision 1.
 *
 * Layout (QEMU's): BAR 4, 64-bit prefetchable memory, 16 KiB:
 *   0x0000 common cfg   0x1000 ISR   0x2000 device cfg   0x3000 notify
 * (notify_off_multiplier 4, queue_notify_off = queue index), MSI-X table
 * at BAR 1 + 0 and PBA at BAR 1 + 0x800, and the PCI_CFG access window
 * capability (virtio 1.2 §4.1.4.9).
 *
 * Doorbells (the activation seam, Cloud Hypervisor's ActivationContext):
 * the transport owns one *kick* eventfd per queue and one *call* eventfd
 * per queue plus one for config changes, made at init and kept for the
 * device's life. At DRIVER_OK the device model gets them all in one
 * struct vio_activation and serves its queues from its own threads (or
 * hands the fds to a backend process); it never learns about PCI.
 *   - Kick: while BAR 4 is mapped, each queue's notify address is bound
 *     to its kick fd with an ioeventfd (through the bus's irq sink), so a
 *     guest notify never leaves the kernel. If KVM refuses, the MMIO
 *     handler signals the same fd (and counts a kick exit): the exit path
 *     is the fallback, with the same result for the device.
 *   - Call: each source (queue or config) whose MSI-X vector is usable
 *     (MSI-X on, function and vector unmasked) has its call fd bound to
 *     the vector's MSI route with an irqfd; vio_notify_queue() then costs
 *     one eventfd write. A masked vector's sources are unbound: their
 *     interrupts set the PBA bit (pci_msix_notify), an event that raced
 *     the mask is moved into the PBA, and the unmask delivers it once. A
 *     vector rewrite updates its route; a queue_msix_vector rewrite
 *     rebinds the queue's fd. Without route support (unit tests, KVM
 *     lacking it) every interrupt goes through pci_msix_notify().
 *
 * Threads: BAR and config accesses come from vCPU threads (and unit tests);
 * vio_pci_kick() from a vCPU thread; interrupts from any thread; the
 * bar_map and msix_vector hooks on the vCPU thread making the access.
 * Locking: common and device config accesses run under the device lock
 * (vdev->lock), taken by the BAR handler. Lock order, following pci.h:
 * func->lock -> device lock -> ->route_lock -> the irq sink's lock.
 * ->route_lock guards ->src[].vec/bound and ->vec[]; ->src[].routed is an
 * atomic copy of bound that the notify path reads without a lock.
 * Interrupts go through pci_msix_notify(), which takes func->lock, so an
 * interrupt raised while this thread holds the device lock or func->lock
 * (a register write that breaks a queue, the PCI_CFG window) is recorded
 * as pending and delivered when the outermost BAR access returns, or at
 * the next BAR access or kick if the access came through the PCI_CFG
 * window (func->lock is then still held by the caller).
 */
#ifndef LIB_VIRTIO_PCI_MODERN_H
#define LIB_VIRTIO_PCI_MODERN_H

#include <stdint.h>

#include "../pci/pci.h"
#include "virtio.h"

#define VIO_PCI_VENDOR 0x1af4u
#define VIO_PCI_DEVICE_BASE 0x1040u   /* + virtio device type */
#define VIO_PCI_SUBSYS_ID 0x1100u     /* QEMU's; >= 0x40 (§4.1.2.1) */
#define VIO_PCI_BAR 4u
#define VIO_PCI_BAR_SIZE 0x4000u
#define VIO_PCI_COMMON_OFF 0x0000u
#define VIO_PCI_ISR_OFF 0x1000u
#define VIO_PCI_DEVICE_OFF 0x2000u
#define VIO_PCI_NOTIFY_OFF 0x3000u
#define VIO_PCI_REGION_SIZE 0x1000u
#define VIO_PCI_NOTIFY_MULT 4u
#define VIO_PCI_MSIX_BAR 1u
#define VIO_PCI_MSIX_PBA_OFF 0x800u
#define VIO_PCI_MAX_VECTORS 128u      /* the table fits below the PBA */
#define VIO_PCI_ISR_QUEUE 0x1u        /* §4.1.4.5: bit 0 (uapi has only CONFIG) */

/* An interrupt source: queue q (index q) or config (index nr_queues). */
struct vio_pci_src {
	int call_fd;                   /* eventfd, owned */
	uint16_t vec;                  /* vector its fd is bound to; route_lock */
	uint8_t bound;                 /* irqfd bound; route_lock */
	uint8_t routed;                /* atomic copy of bound */
};

/* What the transport knows of one MSI-X vector (route_lock). */
struct vio_pci_vec {
	uint64_t addr;
	uint32_t data;
	uint8_t usable;                /* enabled, unmasked */
	uint8_t has_route;
	uint32_t route;                /* irq sink route handle */
};

/* Counters, atomics, read by anyone. */
struct vio_pci_stats {
	uint64_t kick_exits;           /* notifies that took the MMIO exit */
	uint64_t irqfd_calls;          /* interrupts sent as eventfd writes */
	uint64_t msi_calls;            /* interrupts through pci_msix_notify */
};

struct vio_pci {
	struct pci_func func;          /* plug this into the bus */
	struct vio_dev *vdev;          /* borrowed; outlives the transport */
	const struct gmem *gm;         /* borrowed */
	unsigned nvec;                 /* MSI-X vectors, 0: none */
	uint8_t cfg_cap;               /* config offset of the PCI_CFG cap */
	uint8_t no_ioeventfd;          /* set before plugging: kicks always exit */
	/* doorbells: fixed between init and fini */
	struct vio_queue_fds *qfds;    /* nr_queues: kick and call fds */
	struct vio_activation act;     /* handed to the device at DRIVER_OK */
	uint64_t notify_base;          /* where ioeventfds are bound (func->lock),
					  PCIBAR_UNMAPPED if none */
	uint8_t log_once;              /* VIO_PCI_LOGGED_*; route_lock */
	pthread_mutex_t route_lock;
	uint8_t route_lock_init;
	struct irq_sink *sink;         /* the bus's, kept past unplug; atomic */
	struct vio_pci_src *src;       /* nr_queues + 1 */
	struct vio_pci_vec *vec;       /* nvec */
	struct vio_pci_stats stats;
	/* guarded by vdev->lock */
	uint32_t dfselect, gfselect;
	uint16_t queue_sel;
	uint16_t msix_config;
	/* atomics */
	uint8_t isr;                   /* read clears (§4.1.4.5) */
	uint8_t pending_config;
	uint64_t pending_queues;       /* bit q: interrupt owed for queue q */
};

extern const struct iomap_ops vio_pci_bar_ops;

/*
 * Set up @p as the PCI function of @vdev (vio_dev_init() done): IDs, BARs,
 * capabilities, MSI-X with @nvec vectors (0..128; Linux wants nr_queues + 1
 * for one vector per queue). The caller plugs &p->func into its bus.
 * Returns 0 or a negative errno with a message.
 */
int __must_check vio_pci_init(struct vio_pci *p, struct vio_dev *vdev,
			      const struct gmem *gm, unsigned nvec,
			      struct vm_error **errp);
/* Unplug first. Safe after a failed init on a zeroed @p. */
void vio_pci_fini(struct vio_pci *p);

/* The driver notified queue @q through the MMIO exit (no ioeventfd):
 * signals its kick fd (and runs ops->queue_notify for devices that want
 * kicks on the vCPU thread). */
void vio_pci_kick(struct vio_pci *p, unsigned q);

/* pci-state.c: the function's snapshot state (PCI function, virtio
 * device, transport registers; records and load order there). Load
 * re-creates the ioeventfds, MSI routes and irqfds and, after DRIVER_OK,
 * activates the device. Plugged, vCPUs paused or not started. */
struct snap_w;
struct snap_index;
void vio_pci_save(struct vio_pci *p, struct snap_w *w, uint16_t inst);
int __must_check vio_pci_load(struct vio_pci *p, const struct snap_index *ix,
			      uint16_t inst, struct vm_error **errp);

#endif
