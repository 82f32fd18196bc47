/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/eventfd.h: eventfds, ioeventfds (guest write -> eventfd, no exit
 * to user space) and irqfds (eventfd -> GSI, no ioctl per interrupt).
 *
 * A virtio device registers one ioeventfd per queue-notify address and
 * serves it from the I/O loop; the same kick function is reachable from the
 * MMIO handler, so the device works with or without ioeventfds (and in unit
 * tests).
 *
 * Threads: any. Locking: none here (KVM serialises its own lists).
 */
#ifndef LIB_KVM_EVENTFD_H
#define LIB_KVM_EVENTFD_H

#include <stdint.h>

#include "../core/error.h"

struct hv;

/* A non-blocking, close-on-exec eventfd, or -errno. */
int hv_eventfd_new(void);
/* Add 1 to the counter; 0 or -errno. */
int hv_eventfd_signal(int fd);
/* Read and reset the counter: > 0 if it had been signalled, 0 if not,
 * -errno on error. */
int hv_eventfd_drain(int fd);

#define HV_IOEVENTFD_PIO       (1u << 0) /* port I/O (else MMIO) */
#define HV_IOEVENTFD_DATAMATCH (1u << 1) /* only when the value == datamatch */

/* Make a guest write of @len bytes (0 = any length, MMIO only) at @addr
 * signal @fd instead of exiting. */
int __must_check hv_ioeventfd_assign(struct hv *hv, int fd, uint64_t addr,
				     uint32_t len, uint64_t datamatch,
				     unsigned flags, struct vm_error **errp);
int hv_ioeventfd_deassign(struct hv *hv, int fd, uint64_t addr,
			  uint32_t len, uint64_t datamatch, unsigned flags);

/* Signalling @fd raises @gsi (an MSI route from hv_irq_route_msi(), or a
 * line GSI; @resample_fd >= 0 makes a level-triggered line irqfd). */
int __must_check hv_irqfd_assign(struct hv *hv, int fd, uint32_t gsi,
				 int resample_fd, struct vm_error **errp);
int hv_irqfd_deassign(struct hv *hv, int fd, uint32_t gsi);

#endif
