/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/vhost-user-monitor.c: the "vhost-user" netdev's monitor thread
 * "vu-<id>". It watches the connection for the backend going away (EOF,
 * or a fault another thread saw: a reply that never came, a malformed
 * one), drops it and tells the device (link down); then, as QEMU does, a
 * client reconnects every reconnect= seconds (none with reconnect=0) and
 * a server accepts the next connection on the socket it kept listening
 * on. A new connection is negotiated again and must offer the features
 * the device was built on (->need); then the device is told (link up)
 * and hands the rings over again from the used index it last saw. A
 * server with wait=off starts here with no connection at all. It also
 * polls each ring's SET_VRING_ERR eventfd: a backend that signals one
 * for a running ring has the device marked NEEDS_RESET, link down.
 *
 * Threads: this thread, from realize to unrealize; vu_monitor_stop() on
 * the API thread returns once it ended (at most one bounded exchange).
 * Locking: ->lock while it touches the connection, never while it calls
 * netdev_link_changed() (the device takes its own lock, then ours).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/log.h"
#include "../kvm/eventfd.h"
#include "../vm.h"
#include "vhost-user.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)

/* ->lock held: forget the connection and the rings it carried. */
static void vu_drop(struct netdev_vhost_user *v)
{
	vu_close_conn(v);
	v->broken = true;
	v->started = false;
	for (unsigned i = 0; i < v->nr_rings; i++)
		v->ring[i].started = false;
}

/* One attempt; true if a connection that offers every feature the
 * device was built on (->need) is up. A backend that connected and failed
 * is logged (a client's refused connect is not: it retries). */
static bool vu_try_reopen(struct netdev_vhost_user *v)
{
	uint64_t had = v->features;
	struct vm_error *err = NULL;
	int rc;

	pthread_mutex_lock(&v->lock);
	rc = vu_open(v, 0, &err);
	if (rc == 0 && (v->features & v->need) != v->need)
		rc = verr_set(&err, -ENOTSUP,
			      "netdev '%s': the backend lacks features 0x%llx the device offers: connection dropped",
			      v->nd.obj.id,
			      (unsigned long long)(v->need & ~v->features));
	if (rc < 0) {
		vu_drop(v);
		v->features = had;
	}
	pthread_mutex_unlock(&v->lock);
	if (rc < 0 && (v->server || (rc != -ECONNREFUSED && rc != -ENOENT)))
		vlog_warn(vm_log(v->nd.obj.vm), v->nd.obj.id, "%s",
			  vm_error_message(err));
	vm_error_free(err);
	return rc == 0;
}

/* ->lock held: add the ring error eventfds to @p from @n on. */
static int vu_poll_err_fds(const struct netdev_vhost_user *v,
			   struct pollfd *p, int n)
{
	for (unsigned i = 0; i < VU_MAX_RINGS; i++)
		if (v->err_fd[i] >= 0)
			p[n++] = (struct pollfd){ .fd = v->err_fd[i],
						  .events = POLLIN };
	return n;
}

/* Ring error eventfds that polled readable: each ring still running in
 * the backend is reported to the device (NEEDS_RESET, link down). */
static void vu_ring_errors(struct netdev_vhost_user *v,
			   const struct pollfd *p, int from, int n)
{
	for (int k = from; k < n; k++) {
		unsigned ring = VU_MAX_RINGS;

		if (!(p[k].revents & POLLIN))
			continue;
		pthread_mutex_lock(&v->lock);
		(void)hv_eventfd_drain(p[k].fd);
		for (unsigned i = 0; i < v->nr_rings; i++)
			if (v->ring[i].started && v->err_fd[v->ring[i].index] ==
							  p[k].fd)
				ring = v->ring[i].index;
		pthread_mutex_unlock(&v->lock);
		if (ring < VU_MAX_RINGS)
			netdev_ring_error(&v->nd, ring);
	}
}

static void *vu_monitor_main(void *opaque)
{
	struct netdev_vhost_user *v = opaque;
	unsigned backoff_ms = 100;

	while (!LD(v->stop)) {
		struct pollfd p[2 + VU_MAX_RINGS] = {
			{ .fd = v->wake_fd, .events = POLLIN }
		};
		int n = 1, nall, timeout = -1, sock;
		bool broken;

		pthread_mutex_lock(&v->lock);
		sock = v->sock;
		broken = v->broken;
		pthread_mutex_unlock(&v->lock);
		if (sock >= 0 && broken) {
			/* a fault on the connection: drop it */
			pthread_mutex_lock(&v->lock);
			vu_drop(v);
			pthread_mutex_unlock(&v->lock);
			netdev_link_changed(&v->nd, false);
			continue;
		}
		if (sock >= 0) {
			p[n++] = (struct pollfd){ .fd = sock, .events = POLLRDHUP };
		} else if (v->server) {
			p[n++] = (struct pollfd){ .fd = v->listen_fd,
						  .events = POLLIN };
		} else if (v->reconnect) {
			timeout = (int)backoff_ms;
		}
		pthread_mutex_lock(&v->lock); /* the error fds follow */
		nall = vu_poll_err_fds(v, p, n);
		pthread_mutex_unlock(&v->lock);
		if (poll(p, (nfds_t)nall, timeout) < 0 && errno != EINTR)
			continue;
		if (p[0].revents & POLLIN)
			(void)hv_eventfd_drain(v->wake_fd);
		if (LD(v->stop))
			break;
		vu_ring_errors(v, p, n, nall);
		if (sock >= 0) {
			if (!(p[1].revents & (POLLRDHUP | POLLHUP | POLLERR)))
				continue;
			pthread_mutex_lock(&v->lock);
			vu_drop(v);
			pthread_mutex_unlock(&v->lock);
			backoff_ms = 100;
			netdev_link_changed(&v->nd, false);
			continue;
		}
		if (v->server ? !(p[1].revents & POLLIN) : (!v->reconnect || n > 1))
			continue;
		if (vu_try_reopen(v)) {
			backoff_ms = 100;
			netdev_link_changed(&v->nd, true);
		} else if (!v->server) {
			/* 0.1 s doubling up to reconnect= seconds */
			backoff_ms = backoff_ms * 2 > v->reconnect * 1000u
					     ? v->reconnect * 1000u
					     : backoff_ms * 2;
		}
	}
	return NULL;
}

int vu_monitor_start(struct netdev_vhost_user *v, struct vm_error **errp)
{
	char name[16];
	int rc;

	v->wake_fd = hv_eventfd_new();
	if (v->wake_fd < 0)
		return verr_set(errp, v->wake_fd, "netdev '%s': eventfd: %s",
				v->nd.obj.id, strerror(-v->wake_fd));
	__atomic_store_n(&v->stop, 0, __ATOMIC_RELEASE);
	rc = -pthread_create(&v->monitor, NULL, vu_monitor_main, v);
	if (rc < 0)
		return verr_set(errp, rc, "netdev '%s': monitor thread: %s",
				v->nd.obj.id, strerror(-rc));
	v->monitor_started = true;
	snprintf(name, sizeof(name), "vu-%.12s", v->nd.obj.id);
	pthread_setname_np(v->monitor, name);
	return 0;
}

void vu_monitor_stop(struct netdev_vhost_user *v)
{
	if (!v->monitor_started)
		return;
	__atomic_store_n(&v->stop, 1, __ATOMIC_RELEASE);
	(void)hv_eventfd_signal(v->wake_fd);
	pthread_join(v->monitor, NULL);
	v->monitor_started = false;
}
