/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/irq.c: the KVM-backed interrupt sink and the GSI route table.
 *
 * Threads: lines and MSIs are raised from vCPU threads (device register
 * writes), the UART input thread and I/O threads; routes change on the API
 * thread or on vCPU threads (MSI-X table writes).
 * Locking: ->lock guards ->table/->cap/->next_gsi and serialises
 * KVM_SET_GSI_ROUTING; raising takes no lock (->vm_fd is fixed while
 * anything can raise: set before vCPUs start, cleared after they stop).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "irq.h"

static int hv_irq_set_line(struct irq_sink *s, uint32_t gsi, int level)
{
	struct hv_irq *q = container_of(s, struct hv_irq, sink);
	struct kvm_irq_level l = { .irq = gsi, .level = level ? 1 : 0 };
	int r;

	if (q->vm_fd < 0)
		return -ENODEV;
	if (gsi >= HV_IRQ_NR_PINS)
		return -EINVAL;
	r = hv_ioctl(q->vm_fd, KVM_IRQ_LINE, &l);
	return r < 0 ? r : 0;
}

static int hv_irq_msi(struct irq_sink *s, uint64_t addr, uint32_t data)
{
	struct hv_irq *q = container_of(s, struct hv_irq, sink);
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};
	int r;

	if (q->vm_fd < 0)
		return -ENODEV;
	r = hv_ioctl(q->vm_fd, KVM_SIGNAL_MSI, &msi);
	/* 0 means "blocked by the guest" (masked): not an error. */
	return r < 0 ? r : 0;
}

static int hv_irq_sink_route_add(struct irq_sink *s, uint64_t addr,
				 uint32_t data, uint32_t *route)
{
	return hv_irq_route_msi(container_of(s, struct hv_irq, sink), addr,
				data, route, NULL);
}

static int hv_irq_sink_route_update(struct irq_sink *s, uint32_t route,
				    uint64_t addr, uint32_t data)
{
	return hv_irq_route_update(container_of(s, struct hv_irq, sink), route,
				   addr, data);
}

static void hv_irq_sink_route_del(struct irq_sink *s, uint32_t route)
{
	(void)hv_irq_route_del(container_of(s, struct hv_irq, sink), route);
}

static int hv_irq_sink_irqfd(struct irq_sink *s, int fd, uint32_t route,
			     int bind)
{
	struct hv_irq *q = container_of(s, struct hv_irq, sink);
	struct kvm_irqfd f = {
		.fd = (uint32_t)fd,
		.gsi = route,
		.flags = bind ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};
	int r;

	if (q->vm_fd < 0)
		return -ENODEV;
	r = hv_ioctl(q->vm_fd, KVM_IRQFD, &f);
	return r < 0 ? r : 0;
}

static int hv_irq_sink_ioeventfd(struct irq_sink *s, int fd, uint64_t addr,
				 unsigned len, int assign)
{
	struct hv_irq *q = container_of(s, struct hv_irq, sink);
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};
	int r;

	if (q->vm_fd < 0)
		return -ENODEV;
	r = hv_ioctl(q->vm_fd, KVM_IOEVENTFD, &io);
	return r < 0 ? r : 0;
}

static const struct irq_sink_ops hv_irq_ops = {
	.set_line = hv_irq_set_line,
	.msi = hv_irq_msi,
	.route_add = hv_irq_sink_route_add,
	.route_update = hv_irq_sink_route_update,
	.route_del = hv_irq_sink_route_del,
	.irqfd = hv_irq_sink_irqfd,
	.ioeventfd = hv_irq_sink_ioeventfd,
};

void hv_irq_preinit(struct hv_irq *q)
{
	memset(q, 0, sizeof(*q));
	q->sink.ops = &hv_irq_ops;
	q->vm_fd = -1;
	pthread_mutex_init(&q->lock, NULL);
}

static int hv_irq_commit(struct hv_irq *q)
{
	return hv_ioctl(q->vm_fd, KVM_SET_GSI_ROUTING, q->table);
}

static struct kvm_irq_routing_entry *hv_irq_push(struct hv_irq *q)
{
	struct kvm_irq_routing *t;

	if (q->table->nr == q->cap) {
		unsigned cap = q->cap * 2;

		t = realloc(q->table, sizeof(*t) + cap * sizeof(t->entries[0]));
		if (!t)
			return NULL;
		q->table = t;
		q->cap = cap;
	}
	t = q->table;
	memset(&t->entries[t->nr], 0, sizeof(t->entries[0]));
	return &t->entries[t->nr++];
}

int hv_irq_init(struct hv_irq *q, struct hv *hv, struct vm_error **errp)
{
	struct kvm_irq_routing_entry *e;
	uint32_t gsi;

	q->cap = 64;
	q->table = calloc(1, sizeof(*q->table) +
				     q->cap * sizeof(q->table->entries[0]));
	if (!q->table)
		return verr_set(errp, -ENOMEM, "irq routes: out of memory");
	q->vm_fd = hv->vm_fd;
	/* KVM's own default table (kvm_setup_default_irq_routing): GSI 0-15
	 * go to the PIC and the IOAPIC, 16-23 to the IOAPIC only. */
	for (gsi = 0; gsi < HV_IRQ_NR_PINS; gsi++) {
		if (gsi < 16) {
			e = hv_irq_push(q); /* cap 64 > 40 defaults: no NULL */
			e->gsi = gsi;
			e->type = KVM_IRQ_ROUTING_IRQCHIP;
			e->u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
							 KVM_IRQCHIP_PIC_SLAVE;
			e->u.irqchip.pin = gsi % 8;
		}
		e = hv_irq_push(q);
		if (!e)
			break;
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e->u.irqchip.pin = gsi;
	}
	q->next_gsi = HV_IRQ_NR_PINS;
	q->max_gsi = hv->max_gsi ? hv->max_gsi : 1024;
	/* No KVM_SET_GSI_ROUTING here: KVM_CREATE_IRQCHIP has installed
	 * this very table (kvm_setup_default_irq_routing()), and each
	 * KVM_SET_GSI_ROUTING waits for an SRCU grace period
	 * (synchronize_srcu_expedited), which is costly nested. The first
	 * MSI route commits the whole table, defaults included. */
	return 0;
}

void hv_irq_fini(struct hv_irq *q)
{
	pthread_mutex_lock(&q->lock);
	free(q->table);
	q->table = NULL;
	q->cap = 0;
	q->vm_fd = -1;
	pthread_mutex_unlock(&q->lock);
}

static struct kvm_irq_routing_entry *hv_irq_find(struct hv_irq *q,
						 uint32_t gsi)
{
	unsigned i;

	for (i = 0; i < q->table->nr; i++)
		if (q->table->entries[i].gsi == gsi &&
		    q->table->entries[i].type == KVM_IRQ_ROUTING_MSI)
			return &q->table->entries[i];
	return NULL;
}

static void hv_irq_fill_msi(struct kvm_irq_routing_entry *e, uint32_t gsi,
			    uint64_t addr, uint32_t data)
{
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
}

int hv_irq_route_msi(struct hv_irq *q, uint64_t addr, uint32_t data,
		     uint32_t *gsi, struct vm_error **errp)
{
	struct kvm_irq_routing_entry *e;
	uint32_t g;
	int r;

	pthread_mutex_lock(&q->lock);
	if (q->vm_fd < 0 || !q->table) {
		pthread_mutex_unlock(&q->lock);
		return verr_set(errp, -ENODEV, "irq routes: no KVM VM yet");
	}
	/* Lowest GSI above the pins not in use. */
	for (g = HV_IRQ_NR_PINS; g < q->max_gsi && hv_irq_find(q, g); g++)
		;
	if (g >= q->max_gsi) {
		pthread_mutex_unlock(&q->lock);
		return verr_set(errp, -ENOSPC, "irq routes: all %u GSIs in use",
				q->max_gsi);
	}
	e = hv_irq_push(q);
	if (!e) {
		pthread_mutex_unlock(&q->lock);
		return verr_set(errp, -ENOMEM, "irq routes: out of memory");
	}
	hv_irq_fill_msi(e, g, addr, data);
	r = hv_irq_commit(q);
	if (r < 0) {
		q->table->nr--;
		pthread_mutex_unlock(&q->lock);
		return verr_set_errno(errp, r, "KVM_SET_GSI_ROUTING (GSI %u)", g);
	}
	pthread_mutex_unlock(&q->lock);
	*gsi = g;
	return 0;
}

int hv_irq_route_update(struct hv_irq *q, uint32_t gsi, uint64_t addr,
			uint32_t data)
{
	struct kvm_irq_routing_entry *e, old;
	int r = -ENOENT;

	pthread_mutex_lock(&q->lock);
	e = q->table ? hv_irq_find(q, gsi) : NULL;
	if (e) {
		old = *e;
		hv_irq_fill_msi(e, gsi, addr, data);
		r = hv_irq_commit(q);
		if (r < 0)
			*e = old;
	}
	pthread_mutex_unlock(&q->lock);
	return r < 0 ? r : 0;
}

int hv_irq_route_del(struct hv_irq *q, uint32_t gsi)
{
	struct kvm_irq_routing_entry *e;
	int r = -ENOENT;

	pthread_mutex_lock(&q->lock);
	e = q->table ? hv_irq_find(q, gsi) : NULL;
	if (e) {
		*e = q->table->entries[q->table->nr - 1];
		q->table->nr--;
		r = hv_irq_commit(q);
	}
	pthread_mutex_unlock(&q->lock);
	return r < 0 ? r : 0;
}
