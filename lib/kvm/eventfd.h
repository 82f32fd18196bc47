/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/eventfd.h: eventfds, the doorbells of the data path.
 *
 * A virtio transport gives each queue a kick eventfd (bound to its notify
 * address with an ioeventfd, or signalled by the MMIO handler when KVM
 * cannot) and a call eventfd (bound to its MSI route with an irqfd); the
 * bindings are made through the interrupt sink (lib/kvm/irq.h), so unit
 * tests need no KVM.
 *
 * Threads: any. Locking: none here (KVM serialises its own lists).
 */
#ifndef LIB_KVM_EVENTFD_H
#define LIB_KVM_EVENTFD_H

#include <stdint.h>

/* A non-blocking, close-on-exec eventfd, or -errno. */
int hv_eventfd_new(void);
/* Add 1 to the counter; 0 or -errno. */
int hv_eventfd_signal(int fd);
/* Read and reset the counter: how many times it was signalled (clamped to
 * INT_MAX), 0 if not, -errno on error. */
int hv_eventfd_drain(int fd);

#endif
