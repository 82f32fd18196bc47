/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/fake-kvm.h: an interrupt sink that records MSIs (what
 * KVM_SIGNAL_MSI would inject) and, with fake_kvm_ops, also plays KVM's
 * data-path bindings: MSI routes, irqfds and ioeventfds are kept in
 * tables that a test (or bench/net-device) reads to find the eventfd KVM
 * would signal for a notify address, or the one it would turn into an
 * interrupt. Safe for the device's I/O threads (->lock; counters atomic).
 */
#ifndef TESTS_UNIT_FAKE_KVM_H
#define TESTS_UNIT_FAKE_KVM_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvm/irq.h"

#define FAKE_MAX 64

struct msi_rec {
	struct irq_sink sink;
	unsigned msis;         /* atomic */
	uint32_t last_data;    /* atomic */
	/* fake KVM state, under ->lock */
	pthread_mutex_t lock;
	struct { uint64_t addr; uint32_t data; bool used; } route[FAKE_MAX];
	struct { int fd; uint32_t route; bool bound; } irqfd[FAKE_MAX];
	struct { int fd; uint64_t addr; unsigned len; bool on; } ioev[FAKE_MAX];
	unsigned route_updates;
};

static inline int rec_line(struct irq_sink *s, uint32_t gsi, int level)
{
	return 0;
}

static inline int rec_msi(struct irq_sink *s, uint64_t addr, uint32_t data)
{
	struct msi_rec *r = (struct msi_rec *)s;

	__atomic_store_n(&r->last_data, data, __ATOMIC_RELEASE);
	__atomic_add_fetch(&r->msis, 1, __ATOMIC_ACQ_REL);
	return 0;
}

static inline int fake_route_add(struct irq_sink *s, uint64_t addr, uint32_t data,
			  uint32_t *route)
{
	struct msi_rec *r = (struct msi_rec *)s;
	int rc = -ENOSPC;

	pthread_mutex_lock(&r->lock);
	for (uint32_t i = 0; i < FAKE_MAX; i++) {
		if (r->route[i].used)
			continue;
		r->route[i].used = true;
		r->route[i].addr = addr;
		r->route[i].data = data;
		*route = 100 + i;
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static inline int fake_route_update(struct irq_sink *s, uint32_t route, uint64_t addr,
			     uint32_t data)
{
	struct msi_rec *r = (struct msi_rec *)s;

	pthread_mutex_lock(&r->lock);
	r->route[route - 100].addr = addr;
	r->route[route - 100].data = data;
	r->route_updates++;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static inline void fake_route_del(struct irq_sink *s, uint32_t route)
{
	struct msi_rec *r = (struct msi_rec *)s;

	pthread_mutex_lock(&r->lock);
	r->route[route - 100].used = false;
	pthread_mutex_unlock(&r->lock);
}

static inline int fake_irqfd(struct irq_sink *s, int fd, uint32_t route, int bind)
{
	struct msi_rec *r = (struct msi_rec *)s;
	int rc = bind ? -ENOSPC : -ENOENT;

	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < FAKE_MAX; i++) {
		if (bind && !r->irqfd[i].bound) {
			r->irqfd[i].fd = fd;
			r->irqfd[i].route = route;
			r->irqfd[i].bound = true;
			rc = 0;
			break;
		}
		if (!bind && r->irqfd[i].bound && r->irqfd[i].fd == fd &&
		    r->irqfd[i].route == route) {
			r->irqfd[i].bound = false;
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static inline int fake_ioeventfd(struct irq_sink *s, int fd, uint64_t addr,
			  unsigned len, int assign)
{
	struct msi_rec *r = (struct msi_rec *)s;
	int rc = assign ? -ENOSPC : -ENOENT;

	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < FAKE_MAX; i++) {
		if (assign && !r->ioev[i].on) {
			r->ioev[i].fd = fd;
			r->ioev[i].addr = addr;
			r->ioev[i].len = len;
			r->ioev[i].on = true;
			rc = 0;
			break;
		}
		if (!assign && r->ioev[i].on && r->ioev[i].fd == fd &&
		    r->ioev[i].addr == addr) {
			r->ioev[i].on = false;
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}


static const struct irq_sink_ops fake_kvm_ops __attribute__((unused)) = {
	.set_line = rec_line,
	.msi = rec_msi,
	.route_add = fake_route_add,
	.route_update = fake_route_update,
	.route_del = fake_route_del,
	.irqfd = fake_irqfd,
	.ioeventfd = fake_ioeventfd,
};

static const struct irq_sink_ops msi_rec_ops __attribute__((unused)) = {
	.set_line = rec_line,
	.msi = rec_msi,
};

/* The eventfd signalled for a guest write of 2 bytes at @addr, or -1. */
static inline int fake_kick_fd(struct msi_rec *r, uint64_t addr)
{
	int fd = -1;

	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < FAKE_MAX; i++)
		if (r->ioev[i].on && r->ioev[i].addr == addr &&
		    r->ioev[i].len == 2)
			fd = r->ioev[i].fd;
	pthread_mutex_unlock(&r->lock);
	return fd;
}

#endif
