/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/irq.h: the interrupt sink devices raise interrupts through.
 *
 * Devices never call KVM directly: they hold a struct irq_sink. In
 * production it is backed by KVM_IRQ_LINE / irqfd and MSI routes; in unit
 * tests by a recording stub. Both are thread-safe: any vCPU or I/O thread
 * may raise an interrupt.
 */
#ifndef LIB_KVM_IRQ_H
#define LIB_KVM_IRQ_H

#include <errno.h>
#include <stdint.h>

struct irq_sink;

struct irq_sink_ops {
	/* Drive GSI @gsi (IOAPIC pin / ISA IRQ) to @level (0 or 1). */
	int (*set_line)(struct irq_sink *s, uint32_t gsi, int level);
	/* Deliver one MSI message. */
	int (*msi)(struct irq_sink *s, uint64_t addr, uint32_t data);

	/* The data-path bindings, all optional (NULL: -ENOTSUP, and the
	 * device falls back to ->msi and to vCPU exits). */
	/* A route for MSI (@addr, @data); *route receives its handle. */
	int (*route_add)(struct irq_sink *s, uint64_t addr, uint32_t data,
			 uint32_t *route);
	int (*route_update)(struct irq_sink *s, uint32_t route, uint64_t addr,
			    uint32_t data);
	void (*route_del)(struct irq_sink *s, uint32_t route);
	/* Bind (@bind 1) or unbind (0) eventfd @fd to @route: signalling
	 * it raises the route's MSI without leaving the kernel (irqfd). An
	 * event signalled while unbound stays in the eventfd's counter and
	 * is delivered when it is bound again. */
	int (*irqfd)(struct irq_sink *s, int fd, uint32_t route, int bind);
	/* A guest write of @len bytes at guest-physical MMIO @addr signals
	 * @fd instead of exiting to user space (@assign 1), or no longer
	 * (0). */
	int (*ioeventfd)(struct irq_sink *s, int fd, uint64_t addr,
			 unsigned len, int assign);
};

struct irq_sink {
	const struct irq_sink_ops *ops;
};

static inline int irq_set_line(struct irq_sink *s, uint32_t gsi, int level)
{
	return s->ops->set_line(s, gsi, level);
}

static inline int irq_msi(struct irq_sink *s, uint64_t addr, uint32_t data)
{
	return s->ops->msi(s, addr, data);
}

static inline int irq_route_add(struct irq_sink *s, uint64_t addr,
				uint32_t data, uint32_t *route)
{
	return s->ops->route_add ? s->ops->route_add(s, addr, data, route)
				 : -ENOTSUP;
}

static inline int irq_route_update(struct irq_sink *s, uint32_t route,
				   uint64_t addr, uint32_t data)
{
	return s->ops->route_update ? s->ops->route_update(s, route, addr, data)
				    : -ENOTSUP;
}

static inline void irq_route_del(struct irq_sink *s, uint32_t route)
{
	if (s->ops->route_del)
		s->ops->route_del(s, route);
}

static inline int irq_irqfd(struct irq_sink *s, int fd, uint32_t route,
			    int bind)
{
	return s->ops->irqfd ? s->ops->irqfd(s, fd, route, bind) : -ENOTSUP;
}

static inline int irq_ioeventfd(struct irq_sink *s, int fd, uint64_t addr,
				unsigned len, int assign)
{
	return s->ops->ioeventfd ? s->ops->ioeventfd(s, fd, addr, len, assign)
				 : -ENOTSUP;
}

/*
 * The KVM-backed sink (lib/kvm/irq.c).
 *
 * Lines: KVM_IRQ_LINE on GSI 0-23 (the in-kernel PIC sees GSI 0-15, the
 * IOAPIC 0-23). MSIs: KVM_SIGNAL_MSI for a message raised from user space;
 * for the data path a device allocates a GSI route to its MSI message
 * (->route_add: hv_irq_route_msi) and binds an eventfd to it (->irqfd:
 * KVM_IRQFD), after which the interrupt never leaves the kernel; queue
 * kicks bind an eventfd to a notify address (->ioeventfd: KVM_IOEVENTFD).
 * KVM_SET_GSI_ROUTING replaces the whole table, so the table kept here
 * always starts with the default irqchip routes KVM itself installs.
 *
 * Before hv_irq_init() (no KVM VM yet) every op fails with -ENODEV.
 *
 * Threads: any vCPU or I/O thread raises interrupts; routes are changed by
 * the API thread or by vCPU threads (a guest programming MSI-X).
 * Locking: ->lock guards the route table; raising an interrupt takes no
 * lock (one ioctl).
 */
#include <pthread.h>

#include "../core/error.h"

struct hv;
struct kvm_irq_routing;

#define HV_IRQ_NR_PINS 24 /* IOAPIC pins: GSIs below this are lines */

struct hv_irq {
	struct irq_sink sink;
	int vm_fd;                       /* -1 until hv_irq_init() */
	pthread_mutex_t lock;
	struct kvm_irq_routing *table;   /* guarded by ->lock */
	unsigned cap;                    /* guarded by ->lock */
	uint32_t next_gsi;               /* guarded by ->lock */
	uint32_t max_gsi;
};

/* Set up the sink with no VM: every op returns -ENODEV. */
void hv_irq_preinit(struct hv_irq *q);
/* Bind to a VM whose irqchip exists (after KVM_CREATE_IRQCHIP, which
 * installs the default routes in KVM; they are mirrored here, not sent
 * again) and read the GSI limit from @hv. */
int __must_check hv_irq_init(struct hv_irq *q, struct hv *hv,
			     struct vm_error **errp);
/* Back to the -ENODEV state. */
void hv_irq_fini(struct hv_irq *q);

/* Allocate a GSI routed to MSI (@addr, @data); *gsi receives it. */
int __must_check hv_irq_route_msi(struct hv_irq *q, uint64_t addr,
				  uint32_t data, uint32_t *gsi,
				  struct vm_error **errp);
/* Change the message of a GSI from hv_irq_route_msi(). */
int hv_irq_route_update(struct hv_irq *q, uint32_t gsi, uint64_t addr,
			uint32_t data);
/* Drop a GSI from hv_irq_route_msi() (its irqfd must be deassigned). */
int hv_irq_route_del(struct hv_irq *q, uint32_t gsi);

#endif
