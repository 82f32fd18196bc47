/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/virtio/pci-modern.c: virtio-pci modern transport (virtio 1.2 §4.1):
 * PCI identity, the five virtio capabilities, common/ISR/device/notify
 * regions in BAR 4, MSI-X in BAR 1, the PCI_CFG access window.
 *
 * Threads: vCPU threads run the BAR handlers and the config hooks (and
 * vio_pci_kick() on the exit path); any thread raises interrupts through
 * the vio_transport_ops below.
 * Locking: see pci-modern.h. The BAR handler takes vdev->lock around common
 * and device config accesses; ISR and notify accesses take no lock (ISR is
 * an atomic, a kick reads only atomics). Interrupts raised while this
 * thread holds vdev->lock or func->lock are deferred (thread-local depth
 * counter) and flushed once both are released; routed interrupts (an
 * eventfd write) take no lock and are never deferred.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>

#include "../kvm/eventfd.h"
#include "pci-modern.h"

#define CC(f) offsetof(struct virtio_pci_common_cfg, f)

/* >0 while this thread holds a lock pci_msix_notify() might need. */
static __thread unsigned vio_pci_defer;

static struct vio_pci *to_pci(struct vio_dev *d)
{
	return d->transport;
}

static void vio_pci_doorbells_fini(struct vio_pci *p);

#define VIO_PCI_LOGGED_IOEVENTFD 0x1u
#define VIO_PCI_LOGGED_IRQFD 0x2u

/* Say once per device that a fast path is unavailable and what is used. */
static void vio_pci_log_once(struct vio_pci *p, uint8_t bit, const char *what,
			     int err, const char *instead)
{
	if (!(__atomic_fetch_or(&p->log_once, bit, __ATOMIC_RELAXED) & bit))
		vlog_info(p->vdev->log, p->vdev->name, "%s: %s: %s", what,
			  strerror(-err), instead);
}

/* ---- interrupts ---- */

/* Source @s's interrupt as an eventfd write, if its fd is routed. */
static bool vio_pci_call_routed(struct vio_pci *p, unsigned s)
{
	if (!__atomic_load_n(&p->src[s].routed, __ATOMIC_ACQUIRE) ||
	    hv_eventfd_signal(p->src[s].call_fd) < 0)
		return false;
	__atomic_add_fetch(&p->stats.irqfd_calls, 1, __ATOMIC_RELAXED);
	return true;
}

static void vio_pci_deliver_queue(struct vio_pci *p, unsigned q)
{
	uint16_t vec = __atomic_load_n(&p->vdev->vqs[q].msix_vector,
				       __ATOMIC_RELAXED);

	if (vio_pci_call_routed(p, q))
		return;
	__atomic_add_fetch(&p->stats.msi_calls, 1, __ATOMIC_RELAXED);
	if (p->nvec && pci_msix_is_enabled(&p->func) == 1) {
		/* §4.1.5.1.2: NO_VECTOR means no notification for it. */
		if (vec != VIRTIO_MSI_NO_VECTOR)
			(void)pci_msix_notify(&p->func, vec);
		return;
	}
	/* §4.1.4.5.1: without MSI-X the queue bit is set in ISR. INTx
	 * assertion needs a pci_func INTx call that lib/pci lacks so far. */
	__atomic_fetch_or(&p->isr, VIO_PCI_ISR_QUEUE, __ATOMIC_ACQ_REL);
}

static void vio_pci_deliver_config(struct vio_pci *p)
{
	uint16_t vec;

	/* §4.1.4.5.1: the config bit is set before the notification. */
	__atomic_fetch_or(&p->isr, VIRTIO_PCI_ISR_CONFIG, __ATOMIC_ACQ_REL);
	if (vio_pci_call_routed(p, p->vdev->nr_queues))
		return;
	__atomic_add_fetch(&p->stats.msi_calls, 1, __ATOMIC_RELAXED);
	vec = __atomic_load_n(&p->msix_config, __ATOMIC_RELAXED);
	if (p->nvec && vec != VIRTIO_MSI_NO_VECTOR &&
	    pci_msix_is_enabled(&p->func) == 1)
		(void)pci_msix_notify(&p->func, vec);
}

static void vio_pci_flush(struct vio_pci *p)
{
	uint64_t qs;
	unsigned q;

	if (vio_pci_defer)
		return;
	if (__atomic_exchange_n(&p->pending_config, 0, __ATOMIC_ACQ_REL))
		vio_pci_deliver_config(p);
	qs = __atomic_exchange_n(&p->pending_queues, 0, __ATOMIC_ACQ_REL);
	for (q = 0; qs; q++, qs >>= 1)
		if (qs & 1)
			vio_pci_deliver_queue(p, q);
}

static void vio_pci_notify_queue(struct vio_dev *d, unsigned q)
{
	struct vio_pci *p = to_pci(d);

	if (q >= d->nr_queues)
		return;
	if (vio_pci_defer) {
		__atomic_fetch_or(&p->pending_queues, 1ull << q, __ATOMIC_ACQ_REL);
		return;
	}
	vio_pci_flush(p);
	vio_pci_deliver_queue(p, q);
}

static void vio_pci_notify_config(struct vio_dev *d)
{
	struct vio_pci *p = to_pci(d);

	if (vio_pci_defer) {
		__atomic_store_n(&p->pending_config, 1, __ATOMIC_RELEASE);
		return;
	}
	vio_pci_flush(p);
	vio_pci_deliver_config(p);
}

static const struct vio_transport_ops vio_pci_tops = {
	.notify_queue = vio_pci_notify_queue,
	.notify_config = vio_pci_notify_config,
};

/* ---- call routing (irqfd on MSI routes), route_lock held ---- */

/* The bus's sink, remembered so that fini can unbind after unplug. */
static struct irq_sink *vio_pci_sink(struct vio_pci *p)
{
	if (p->func.bus)
		__atomic_store_n(&p->sink, p->func.bus->cfg.irq,
				 __ATOMIC_RELAXED);
	return __atomic_load_n(&p->sink, __ATOMIC_RELAXED);
}

static uint16_t vio_pci_src_vector(struct vio_pci *p, unsigned s)
{
	return s < p->vdev->nr_queues
		       ? __atomic_load_n(&p->vdev->vqs[s].msix_vector,
					 __ATOMIC_RELAXED)
		       : __atomic_load_n(&p->msix_config, __ATOMIC_RELAXED);
}

/*
 * Bind or unbind source @s so that its call fd is routed exactly when its
 * vector is usable. An event that reached the fd while it was being
 * unbound is not lost: with @func_locked (the msix_vector hook, the vector
 * just became unusable) it goes to the PBA; otherwise it is delivered as a
 * deferred interrupt on the source's current vector.
 */
static void vio_pci_src_sync(struct vio_pci *p, unsigned s, bool func_locked)
{
	struct irq_sink *sink = vio_pci_sink(p);
	struct vio_pci_src *src = &p->src[s];
	uint16_t v = vio_pci_src_vector(p, s);
	bool want = sink && v < p->nvec && p->vec[v].usable;
	struct vio_pci_vec *pv;
	int r;

	if (src->bound && (!want || src->vec != v)) {
		__atomic_store_n(&src->routed, 0, __ATOMIC_RELEASE);
		(void)irq_irqfd(sink, src->call_fd, p->vec[src->vec].route, 0);
		src->bound = 0;
		if (hv_eventfd_drain(src->call_fd) > 0) {
			if (func_locked)
				pci_msix_pend_locked(&p->func, src->vec);
			else if (s == p->vdev->nr_queues)
				__atomic_store_n(&p->pending_config, 1,
						 __ATOMIC_RELEASE);
			else
				__atomic_fetch_or(&p->pending_queues, 1ull << s,
						  __ATOMIC_ACQ_REL);
		}
	}
	if (!want || src->bound)
		return;
	pv = &p->vec[v];
	if (!pv->has_route) {
		r = irq_route_add(sink, pv->addr, pv->data, &pv->route);
		if (r < 0) {
			vio_pci_log_once(p, VIO_PCI_LOGGED_IRQFD, "MSI routes",
					 r, "interrupts take KVM_SIGNAL_MSI");
			return;
		}
		pv->has_route = 1;
	}
	r = irq_irqfd(sink, src->call_fd, pv->route, 1);
	if (r < 0) {
		vio_pci_log_once(p, VIO_PCI_LOGGED_IRQFD, "irqfd", r,
				 "interrupts take KVM_SIGNAL_MSI");
		return;
	}
	src->vec = v;
	src->bound = 1;
	__atomic_store_n(&src->routed, 1, __ATOMIC_RELEASE);
}

static void vio_pci_src_resync(struct vio_pci *p, unsigned s)
{
	pthread_mutex_lock(&p->route_lock);
	vio_pci_src_sync(p, s, false);
	pthread_mutex_unlock(&p->route_lock);
}

/* pci_func_ops.msix_vector, func->lock held: keep routes and bindings in
 * step with the guest's table and masks. */
static void vio_pci_msix_vector(struct pci_func *f, unsigned vec, int usable,
				uint64_t addr, uint32_t data)
{
	struct vio_pci *p = container_of(f, struct vio_pci, func);
	struct irq_sink *sink = vio_pci_sink(p);
	struct vio_pci_vec *pv;
	unsigned s;

	if (vec >= p->nvec)
		return;
	pthread_mutex_lock(&p->route_lock);
	pv = &p->vec[vec];
	pv->usable = (uint8_t)(usable == 1);
	if (pv->usable && (pv->addr != addr || pv->data != data)) {
		pv->addr = addr;
		pv->data = data;
		if (pv->has_route && sink &&
		    irq_route_update(sink, pv->route, addr, data) < 0) {
			/* stale route: unbind everyone, resync recreates */
			pv->usable = 0;
			for (s = 0; s <= p->vdev->nr_queues; s++)
				if (p->src[s].bound && p->src[s].vec == vec)
					vio_pci_src_sync(p, s, true);
			irq_route_del(sink, pv->route);
			pv->has_route = 0;
			pv->usable = 1;
		}
	}
	for (s = 0; s <= p->vdev->nr_queues; s++)
		if ((p->src[s].bound && p->src[s].vec == vec) ||
		    vio_pci_src_vector(p, s) == vec)
			vio_pci_src_sync(p, s, true);
	pthread_mutex_unlock(&p->route_lock);
}

/* pci_func_ops.msix_pba_read, func->lock held. A source whose vector is
 * masked has no irqfd bound; only a vhost-style backend writes its call
 * fd then (in-process queues set the PBA bit themselves), and that event
 * becomes the vector's pending bit here, where the guest looks. (At
 * unmask an event still in the fd is injected when the irqfd is bound
 * again.) */
static void vio_pci_msix_pba_read(struct pci_func *f)
{
	struct vio_pci *p = container_of(f, struct vio_pci, func);

	if (!p->src)
		return;
	pthread_mutex_lock(&p->route_lock);
	for (unsigned s = 0; s <= p->vdev->nr_queues; s++) {
		uint16_t v = vio_pci_src_vector(p, s);

		if (p->src[s].bound || v >= p->nvec || p->vec[v].usable)
			continue;
		if (hv_eventfd_drain(p->src[s].call_fd) > 0)
			pci_msix_pend_locked(&p->func, v);
	}
	pthread_mutex_unlock(&p->route_lock);
}

/* ---- kicks (ioeventfd on the notify region) ---- */

static void vio_pci_kicks_unbind(struct vio_pci *p, struct irq_sink *sink,
				 unsigned n)
{
	for (unsigned q = 0; q < n; q++)
		(void)irq_ioeventfd(sink, p->qfds[q].kick_fd,
				    p->notify_base + q * VIO_PCI_NOTIFY_MULT, 2,
				    0);
}

/* pci_func_ops.bar_map, func->lock held: BAR 4 moved. */
static void vio_pci_bar_map(struct pci_func *f, unsigned idx, uint64_t addr)
{
	struct vio_pci *p = container_of(f, struct vio_pci, func);
	struct irq_sink *sink = vio_pci_sink(p);
	unsigned q, nq = p->vdev->nr_queues;
	int r = 0;

	if (idx != VIO_PCI_BAR || !sink || p->no_ioeventfd)
		return;
	if (p->notify_base != PCIBAR_UNMAPPED)
		vio_pci_kicks_unbind(p, sink, nq);
	p->notify_base = PCIBAR_UNMAPPED;
	if (addr == PCIBAR_UNMAPPED)
		return;
	p->notify_base = addr + VIO_PCI_NOTIFY_OFF;
	/* §4.1.4.4: queue q notifies at queue_notify_off (= q) times the
	 * multiplier; Linux's vp_notify writes 16 bits there. */
	for (q = 0; q < nq && r == 0; q++)
		r = irq_ioeventfd(sink, p->qfds[q].kick_fd,
				  p->notify_base + q * VIO_PCI_NOTIFY_MULT, 2, 1);
	if (r < 0) {
		vio_pci_kicks_unbind(p, sink, q - 1);
		p->notify_base = PCIBAR_UNMAPPED;
		vio_pci_log_once(p, VIO_PCI_LOGGED_IOEVENTFD, "ioeventfd", r,
				 "queue kicks take the MMIO exit");
	}
}

/* ---- common configuration (§4.1.4.3), vdev->lock held ---- */

static struct vq *vio_pci_sel_vq(struct vio_pci *p)
{
	return p->queue_sel < p->vdev->nr_queues ? &p->vdev->vqs[p->queue_sel]
						 : NULL;
}

static uint16_t vio_pci_vector(const struct vio_pci *p, uint16_t v)
{
	/* §4.1.5.1.2: a mapping that cannot be honoured reads NO_VECTOR. */
	return v < p->nvec ? v : VIRTIO_MSI_NO_VECTOR;
}

static uint32_t vio_pci_common_read(struct vio_pci *p, uint32_t off,
				    unsigned size)
{
	struct vio_dev *d = p->vdev;
	struct vq *vq = vio_pci_sel_vq(p);

	/* §4.1.3.1: fields are accessed at their own width; anything else
	 * (and undefined offsets) reads 0. */
#define FIELD(f, sz) (off == CC(f) && size == (sz))
	if (FIELD(device_feature_select, 4))
		return p->dfselect;
	if (FIELD(device_feature, 4))
		return vio_dev_get_host_features(d, p->dfselect);
	if (FIELD(guest_feature_select, 4))
		return p->gfselect;
	if (FIELD(guest_feature, 4))
		return vio_dev_get_guest_features(d, p->gfselect);
	if (FIELD(msix_config, 2))
		return p->msix_config;
	if (FIELD(num_queues, 2))
		return d->nr_queues;
	if (FIELD(device_status, 1))
		return vio_dev_get_status(d);
	if (FIELD(config_generation, 1))
		return (uint8_t)__atomic_load_n(&d->config_generation,
						__ATOMIC_ACQUIRE);
	if (FIELD(queue_select, 2))
		return p->queue_sel;
	if (!vq)
		/* §4.1.4.3.1: an absent queue has size 0; its vector reads
		 * NO_VECTOR like an unmapped one. */
		return FIELD(queue_msix_vector, 2) ? VIRTIO_MSI_NO_VECTOR : 0;
	if (FIELD(queue_size, 2))
		return vq->size;
	if (FIELD(queue_msix_vector, 2))
		return vq->msix_vector;
	if (FIELD(queue_enable, 2))
		return vq_is_ready(vq);
	if (FIELD(queue_notify_off, 2))
		return p->queue_sel; /* × VIO_PCI_NOTIFY_MULT in the region */
	if (FIELD(queue_desc_lo, 4))
		return (uint32_t)vq->desc_gpa;
	if (FIELD(queue_desc_hi, 4))
		return (uint32_t)(vq->desc_gpa >> 32);
	if (FIELD(queue_avail_lo, 4))
		return (uint32_t)vq->avail_gpa;
	if (FIELD(queue_avail_hi, 4))
		return (uint32_t)(vq->avail_gpa >> 32);
	if (FIELD(queue_used_lo, 4))
		return (uint32_t)vq->used_gpa;
	if (FIELD(queue_used_hi, 4))
		return (uint32_t)(vq->used_gpa >> 32);
	return 0;
}

static void set_lo(uint64_t *v, uint32_t lo)
{
	*v = (*v & ~0xffffffffull) | lo;
}

static void set_hi(uint64_t *v, uint32_t hi)
{
	*v = (*v & 0xffffffffull) | ((uint64_t)hi << 32);
}

static void vio_pci_common_write(struct vio_pci *p, uint32_t off,
				 unsigned size, uint32_t val)
{
	struct vio_dev *d = p->vdev;
	struct vq *vq = vio_pci_sel_vq(p);

	/* §4.1.4.3.2: device_feature, num_queues, config_generation and
	 * queue_notify_off are read-only: not matched below, so ignored. */
	if (FIELD(device_feature_select, 4)) {
		p->dfselect = val;
	} else if (FIELD(guest_feature_select, 4)) {
		p->gfselect = val;
	} else if (FIELD(guest_feature, 4)) {
		vio_dev_set_guest_features(d, p->gfselect, val);
	} else if (FIELD(msix_config, 2)) {
		__atomic_store_n(&p->msix_config,
				 vio_pci_vector(p, (uint16_t)val),
				 __ATOMIC_RELAXED);
		vio_pci_src_resync(p, d->nr_queues);
	} else if (FIELD(device_status, 1)) {
		if (vio_dev_set_status(d, (uint8_t)val)) {
			/* reset: the transport's own state too (§4.1.5.1.2:
			 * all events unmapped) */
			p->dfselect = p->gfselect = 0;
			p->queue_sel = 0;
			__atomic_store_n(&p->msix_config, VIRTIO_MSI_NO_VECTOR,
					 __ATOMIC_RELAXED);
			pthread_mutex_lock(&p->route_lock);
			for (unsigned s = 0; s <= d->nr_queues; s++)
				vio_pci_src_sync(p, s, false);
			pthread_mutex_unlock(&p->route_lock);
			__atomic_store_n(&p->isr, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&p->pending_queues, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&p->pending_config, 0, __ATOMIC_RELEASE);
		}
	} else if (FIELD(queue_select, 2)) {
		p->queue_sel = (uint16_t)val;
	} else if (!vq) {
		return;
	} else if (FIELD(queue_msix_vector, 2)) {
		__atomic_store_n(&vq->msix_vector,
				 vio_pci_vector(p, (uint16_t)val),
				 __ATOMIC_RELAXED);
		vio_pci_src_resync(p, p->queue_sel);
	} else if (FIELD(queue_enable, 2)) {
		/* §4.1.4.3.2: the driver never writes 0; 1 on an enabled
		 * queue changes nothing. */
		if (val == 1 && !vq_is_ready(vq))
			(void)vio_dev_enable_queue(d, p->queue_sel, p->gm);
	} else if (vq_is_ready(vq)) {
		/* §4.1.4.3.2: configured before enabling; later writes to
		 * an enabled queue's layout are ignored. */
		return;
	} else if (FIELD(queue_size, 2)) {
		vq->size = (uint16_t)val; /* checked at enable (§2.7) */
	} else if (FIELD(queue_desc_lo, 4)) {
		set_lo(&vq->desc_gpa, val);
	} else if (FIELD(queue_desc_hi, 4)) {
		set_hi(&vq->desc_gpa, val);
	} else if (FIELD(queue_avail_lo, 4)) {
		set_lo(&vq->avail_gpa, val);
	} else if (FIELD(queue_avail_hi, 4)) {
		set_hi(&vq->avail_gpa, val);
	} else if (FIELD(queue_used_lo, 4)) {
		set_lo(&vq->used_gpa, val);
	} else if (FIELD(queue_used_hi, 4)) {
		set_hi(&vq->used_gpa, val);
	}
#undef FIELD
}

/* ---- BAR 4 ---- */

static uint32_t le_get(const void *data, unsigned size)
{
	const uint8_t *b = data;
	uint32_t v = 0;
	unsigned i;

	for (i = 0; i < size && i < 4; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static void le_put(void *data, unsigned size, uint64_t v)
{
	uint8_t *b = data;
	unsigned i;

	for (i = 0; i < size; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t vio_pci_bar_rd(struct vio_pci *p, uint64_t off, unsigned size)
{
	struct vio_dev *d = p->vdev;
	uint32_t v = 0;

	if (size > 4)
		return 0; /* §4.1.3.1: no 64-bit accesses */
	if (off < VIO_PCI_COMMON_OFF + VIO_PCI_REGION_SIZE) {
		vio_pci_defer++;
		pthread_mutex_lock(&d->lock);
		v = vio_pci_common_read(p, (uint32_t)off, size);
		pthread_mutex_unlock(&d->lock);
		vio_pci_defer--;
	} else if (off == VIO_PCI_ISR_OFF && size == 1) {
		/* §4.1.4.5: reading ISR status clears it. */
		v = __atomic_exchange_n(&p->isr, 0, __ATOMIC_ACQ_REL);
	} else if (off >= VIO_PCI_DEVICE_OFF &&
		   off < VIO_PCI_DEVICE_OFF + VIO_PCI_REGION_SIZE) {
		uint8_t b[4];

		vio_pci_defer++;
		pthread_mutex_lock(&d->lock);
		vio_dev_read_config(d, (uint32_t)(off - VIO_PCI_DEVICE_OFF), b,
				    size);
		pthread_mutex_unlock(&d->lock);
		vio_pci_defer--;
		v = le_get(b, size);
	}
	vio_pci_flush(p);
	return v;
}

static void vio_pci_bar_wr(struct vio_pci *p, uint64_t off, unsigned size,
			   uint32_t v)
{
	struct vio_dev *d = p->vdev;

	if (size > 4)
		return;
	if (off < VIO_PCI_COMMON_OFF + VIO_PCI_REGION_SIZE) {
		vio_pci_defer++;
		pthread_mutex_lock(&d->lock);
		vio_pci_common_write(p, (uint32_t)off, size, v);
		pthread_mutex_unlock(&d->lock);
		vio_pci_defer--;
	} else if (off >= VIO_PCI_DEVICE_OFF &&
		   off < VIO_PCI_DEVICE_OFF + VIO_PCI_REGION_SIZE) {
		uint8_t b[4];

		le_put(b, size, v);
		vio_pci_defer++;
		pthread_mutex_lock(&d->lock);
		vio_dev_write_config(d, (uint32_t)(off - VIO_PCI_DEVICE_OFF), b,
				     size);
		pthread_mutex_unlock(&d->lock);
		vio_pci_defer--;
	} else if (off >= VIO_PCI_NOTIFY_OFF &&
		   off < VIO_PCI_NOTIFY_OFF + VIO_PCI_REGION_SIZE) {
		uint64_t n = off - VIO_PCI_NOTIFY_OFF;

		/* §4.1.4.4: the queue is the address (queue_notify_off ×
		 * multiplier), not the value, which Linux sets to the
		 * queue index anyway. */
		if (n % VIO_PCI_NOTIFY_MULT == 0 && size <= 4)
			vio_pci_kick(p, (unsigned)(n / VIO_PCI_NOTIFY_MULT));
	}
	/* ISR is read-only; other offsets are undefined: ignored. */
	vio_pci_flush(p);
}

static void vio_pci_bar_read(void *opaque, uint64_t off, void *data,
			     unsigned size)
{
	le_put(data, size, vio_pci_bar_rd(opaque, off, size));
}

static void vio_pci_bar_write(void *opaque, uint64_t off, const void *data,
			      unsigned size)
{
	vio_pci_bar_wr(opaque, off, size, le_get(data, size));
}

const struct iomap_ops vio_pci_bar_ops = {
	.read = vio_pci_bar_read,
	.write = vio_pci_bar_write,
};

void vio_pci_kick(struct vio_pci *p, unsigned q)
{
	vio_pci_flush(p);
	if (q >= p->vdev->nr_queues)
		return;
	__atomic_add_fetch(&p->stats.kick_exits, 1, __ATOMIC_RELAXED);
	(void)hv_eventfd_signal(p->qfds[q].kick_fd);
	if (p->vdev->ops && p->vdev->ops->queue_notify)
		vio_dev_kick(p->vdev, q);
}

/* ---- PCI_CFG access window (§4.1.4.9), func->lock held ---- */

#define CFG_BAR (offsetof(struct virtio_pci_cap, bar))
#define CFG_OFFSET (offsetof(struct virtio_pci_cap, offset))
#define CFG_LENGTH (offsetof(struct virtio_pci_cap, length))
#define CFG_DATA (offsetof(struct virtio_pci_cfg_cap, pci_cfg_data))

static bool vio_pci_window(struct pci_func *f, uint32_t off, unsigned size,
			   uint32_t *boff, unsigned *blen)
{
	struct vio_pci *p = container_of(f, struct vio_pci, func);
	uint32_t data = p->cfg_cap + CFG_DATA;
	uint32_t len, o;

	if (!p->cfg_cap || off + size <= data || off >= data + 4)
		return false;
	len = pci_cfg_get(f, p->cfg_cap + CFG_LENGTH, 4);
	o = pci_cfg_get(f, p->cfg_cap + CFG_OFFSET, 4);
	/* §4.1.4.9: length 1, 2 or 4, offset aligned to it, inside the
	 * BAR named by bar. */
	if (pci_cfg_get(f, p->cfg_cap + CFG_BAR, 1) != VIO_PCI_BAR ||
	    (len != 1 && len != 2 && len != 4) || o % len ||
	    o > VIO_PCI_BAR_SIZE - len)
		return false;
	*boff = o;
	*blen = len;
	return true;
}

static void vio_pci_cfg_read(struct pci_func *f, uint32_t off, unsigned size)
{
	struct vio_pci *p = container_of(f, struct vio_pci, func);
	uint32_t o;
	unsigned len;
	uint64_t v;

	if (!vio_pci_window(f, off, size, &o, &len))
		return;
	vio_pci_defer++; /* func->lock is held: deliver later */
	v = vio_pci_bar_rd(p, o, len);
	vio_pci_defer--;
	pci_cfg_set(f, p->cfg_cap + CFG_DATA, (uint32_t)v, 4);
}

static void vio_pci_cfg_write(struct pci_func *f, uint32_t off, uint32_t val,
			      unsigned size)
{
	struct vio_pci *p = container_of(f, struct vio_pci, func);
	uint32_t o;
	unsigned len;

	(void)val;
	if (!vio_pci_window(f, off, size, &o, &len))
		return;
	vio_pci_defer++;
	vio_pci_bar_wr(p, o, len, pci_cfg_get(f, p->cfg_cap + CFG_DATA, 4));
	vio_pci_defer--;
}

static const struct pci_func_ops vio_pci_func_ops = {
	.cfg_read = vio_pci_cfg_read,
	.cfg_write = vio_pci_cfg_write,
	.bar_map = vio_pci_bar_map,
	.msix_vector = vio_pci_msix_vector,
	.msix_pba_read = vio_pci_msix_pba_read,
};

/* ---- set-up ---- */

static uint32_t vio_pci_class(uint16_t type)
{
	switch (type) {
	case VIRTIO_ID_NET:
		return 0x020000;  /* network, ethernet */
	case VIRTIO_ID_BLOCK:
		return 0x010000;  /* mass storage, SCSI (as QEMU) */
	case VIRTIO_ID_CONSOLE:
		return 0x078000;  /* communication, other */
	default:
		return 0xff0000;  /* unassigned class */
	}
}

static int vio_pci_add_cap(struct vio_pci *p, uint8_t type, uint8_t len,
			   uint32_t offset, uint32_t length, uint8_t *at,
			   struct vm_error **errp)
{
	struct pci_func *f = &p->func;
	uint8_t o;
	int rc;

	rc = pci_func_add_cap(f, PCI_CAP_ID_VNDR, len, &o, errp);
	if (rc)
		return rc;
	pci_cfg_set(f, o + offsetof(struct virtio_pci_cap, cap_len), len, 1);
	pci_cfg_set(f, o + offsetof(struct virtio_pci_cap, cfg_type), type, 1);
	pci_cfg_set(f, o + CFG_BAR, type == VIRTIO_PCI_CAP_PCI_CFG ? 0 : VIO_PCI_BAR, 1);
	pci_cfg_set(f, o + CFG_OFFSET, offset, 4);
	pci_cfg_set(f, o + CFG_LENGTH, length, 4);
	if (at)
		*at = o;
	return 0;
}

/* Kick and call eventfds for every queue and config, and the routing
 * tables; undone by vio_pci_doorbells_fini(). */
static int vio_pci_doorbells_init(struct vio_pci *p, struct vm_error **errp)
{
	unsigned nq = p->vdev->nr_queues, i;
	int fd;

	pthread_mutex_init(&p->route_lock, NULL);
	p->route_lock_init = 1;
	p->qfds = calloc(nq, sizeof(*p->qfds));
	p->src = calloc(nq + 1, sizeof(*p->src));
	p->vec = calloc(p->nvec ? p->nvec : 1, sizeof(*p->vec));
	if (!p->qfds || !p->src || !p->vec) {
		vio_pci_doorbells_fini(p);
		return verr_set(errp, -ENOMEM, "virtio-pci '%s': out of memory",
				p->vdev->name);
	}
	for (i = 0; i < nq; i++)
		p->qfds[i].kick_fd = p->qfds[i].call_fd = -1;
	for (i = 0; i <= nq; i++)
		p->src[i].call_fd = -1;
	for (i = 0; i <= nq; i++) {
		fd = hv_eventfd_new();
		if (fd >= 0 && i < nq) {
			p->qfds[i].kick_fd = fd;
			fd = hv_eventfd_new();
		}
		if (fd < 0) {
			vio_pci_doorbells_fini(p);
			return verr_set(errp, fd, "virtio-pci '%s': eventfd: %s",
					p->vdev->name, strerror(-fd));
		}
		p->src[i].call_fd = fd;
		if (i < nq)
			p->qfds[i].call_fd = fd;
	}
	p->act = (struct vio_activation){
		.nr_queues = nq,
		.q = p->qfds,
		.config_call_fd = p->src[nq].call_fd,
		.gm = p->gm,
	};
	return 0;
}

/* Unbind every call fd, drop the routes, close the fds (kicks were
 * unbound when BAR 4 was unmapped at unplug). */
static void vio_pci_doorbells_fini(struct vio_pci *p)
{
	struct irq_sink *sink = vio_pci_sink(p);
	unsigned nq = p->vdev ? p->vdev->nr_queues : 0, i;

	if (p->src) {
		for (i = 0; i <= nq; i++) {
			if (p->src[i].bound && sink)
				(void)irq_irqfd(sink, p->src[i].call_fd,
						p->vec[p->src[i].vec].route, 0);
			if (p->src[i].call_fd >= 0)
				close(p->src[i].call_fd);
		}
	}
	if (p->vec && sink)
		for (i = 0; i < p->nvec; i++)
			if (p->vec[i].has_route)
				irq_route_del(sink, p->vec[i].route);
	if (p->qfds)
		for (i = 0; i < nq; i++)
			if (p->qfds[i].kick_fd >= 0)
				close(p->qfds[i].kick_fd);
	free(p->qfds);
	free(p->src);
	free(p->vec);
	p->qfds = NULL;
	p->src = NULL;
	p->vec = NULL;
	if (p->route_lock_init)
		pthread_mutex_destroy(&p->route_lock);
	p->route_lock_init = 0;
}

int vio_pci_init(struct vio_pci *p, struct vio_dev *vdev,
		 const struct gmem *gm, unsigned nvec, struct vm_error **errp)
{
	struct pci_func *f = &p->func;
	uint8_t o;
	int rc;

	memset(p, 0, sizeof(*p));
	if (nvec > VIO_PCI_MAX_VECTORS)
		return verr_set(errp, -EINVAL,
				"virtio-pci '%s': %u MSI-X vectors (at most %u)",
				vdev->name, nvec, VIO_PCI_MAX_VECTORS);
	if (vdev->nr_queues > 64)
		return verr_set(errp, -EINVAL, "virtio-pci '%s': %u queues",
				vdev->name, vdev->nr_queues);
	p->vdev = vdev;
	p->gm = gm;
	p->nvec = nvec;
	p->msix_config = VIRTIO_MSI_NO_VECTOR;
	p->notify_base = PCIBAR_UNMAPPED;
	rc = vio_pci_doorbells_init(p, errp);
	if (rc)
		return rc;
	rc = pci_func_init(f, vdev->name, &vio_pci_func_ops, errp);
	if (rc) {
		vio_pci_doorbells_fini(p);
		return rc;
	}
	/* §4.1.2: 0x1040 + type, revision 1, subsystem ID >= 0x40. */
	pci_func_set_ids(f, VIO_PCI_VENDOR,
			 (uint16_t)(VIO_PCI_DEVICE_BASE + vdev->device_id), 1,
			 vio_pci_class(vdev->device_id));
	pci_func_set_subsys(f, VIO_PCI_VENDOR, VIO_PCI_SUBSYS_ID);
	/* No INTx: the bus has no _PRT or lines yet, so advertise none (pin
	 * 0) and let drivers use MSI-X, rather than an INTA nobody routes.
	 * TODO(#intx): INTA once lib/pci drives IOAPIC lines. */
	pci_func_set_irq_pin(f, 0);
	rc = pci_func_add_bar(f, VIO_PCI_BAR, VIO_PCI_BAR_SIZE,
			      PCIBAR_MEM64 | PCIBAR_PREFETCH, &vio_pci_bar_ops,
			      p, errp);
	if (rc)
		goto fail;
	if (nvec) {
		rc = pci_msix_init(f, nvec, VIO_PCI_MSIX_BAR, 0,
				   VIO_PCI_MSIX_PBA_OFF, errp);
		if (rc)
			goto fail;
	}
	/* §4.1.4: the capabilities Linux's virtio_pci_modern_probe maps. */
	rc = vio_pci_add_cap(p, VIRTIO_PCI_CAP_COMMON_CFG,
			     sizeof(struct virtio_pci_cap), VIO_PCI_COMMON_OFF,
			     VIO_PCI_REGION_SIZE, NULL, errp);
	if (!rc)
		rc = vio_pci_add_cap(p, VIRTIO_PCI_CAP_ISR_CFG,
				     sizeof(struct virtio_pci_cap),
				     VIO_PCI_ISR_OFF, VIO_PCI_REGION_SIZE, NULL,
				     errp);
	if (!rc)
		rc = vio_pci_add_cap(p, VIRTIO_PCI_CAP_DEVICE_CFG,
				     sizeof(struct virtio_pci_cap),
				     VIO_PCI_DEVICE_OFF, VIO_PCI_REGION_SIZE,
				     NULL, errp);
	/* §4.1.4.4.1: the multiplier is an even power of 2; cap.length
	 * covers every queue's notify address. */
	if (!rc)
		rc = vio_pci_add_cap(p, VIRTIO_PCI_CAP_NOTIFY_CFG,
				     sizeof(struct virtio_pci_notify_cap),
				     VIO_PCI_NOTIFY_OFF, VIO_PCI_REGION_SIZE,
				     &o, errp);
	if (!rc)
		pci_cfg_set(f, o + offsetof(struct virtio_pci_notify_cap,
					    notify_off_multiplier),
			    VIO_PCI_NOTIFY_MULT, 4);
	/* §4.1.4.9: the PCI configuration access capability; bar, offset,
	 * length and data are the driver's to write. */
	if (!rc)
		rc = vio_pci_add_cap(p, VIRTIO_PCI_CAP_PCI_CFG,
				     sizeof(struct virtio_pci_cfg_cap), 0, 0,
				     &p->cfg_cap, errp);
	if (rc)
		goto fail;
	pci_func_set_wmask(f, p->cfg_cap + CFG_BAR, 0xff, 1);
	pci_func_set_wmask(f, p->cfg_cap + CFG_OFFSET, 0xffffffff, 4);
	pci_func_set_wmask(f, p->cfg_cap + CFG_LENGTH, 0xffffffff, 4);
	pci_func_set_wmask(f, p->cfg_cap + CFG_DATA, 0xffffffff, 4);
	vdev->tops = &vio_pci_tops;
	vdev->transport = p;
	vdev->act = &p->act;
	return 0;
fail:
	verr_prefix(errp, "virtio-pci '%s': ", vdev->name);
	pci_func_fini(f);
	vio_pci_doorbells_fini(p);
	return rc;
}

void vio_pci_fini(struct vio_pci *p)
{
	if (p->vdev && p->vdev->transport == p) {
		p->vdev->tops = NULL;
		p->vdev->transport = NULL;
		p->vdev->act = NULL;
	}
	pci_func_fini(&p->func);
	vio_pci_doorbells_fini(p);
	p->vdev = NULL;
}
