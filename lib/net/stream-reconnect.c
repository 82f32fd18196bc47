/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/stream-reconnect.c: the "stream" netdev's reconnect thread
 * "st-<id>", for a client with reconnect=N (QEMU's -netdev stream
 * reconnect=): when the I/O thread drops the connection (the peer closed
 * or broke it), this thread tells the device (link down: the guest sees
 * its carrier go and its frames are dropped, counted in
 * tx_drop_link_down), then tries to connect every N seconds; a connection
 * it makes is handed to the I/O thread, which takes it at its next send
 * or receive, and the device is told (link up). A client whose first
 * connect at realize failed starts here as if its peer had just left
 * (realize already reported the link down).
 *
 * Threads: this thread, from realize to unrealize; stream_reconnect_lost()
 * and _take() on the device's I/O thread; start/stop on the API thread
 * (stop returns once the thread ended: it waits at most for its poll,
 * which the stop wakes). netdev_link_changed() is called from this thread
 * only, with no lock of ours held (the device's handler takes its own).
 * Locking: none; ->lost, ->stop and ->pending are atomics, ->evfd (an
 * eventfd: "lost" or "stop") is written by both and read by this thread;
 * ->start_down is written before the thread is created.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../kvm/eventfd.h"
#include "stream.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define XCHG(x, v) __atomic_exchange_n(&(x), (v), __ATOMIC_ACQ_REL)

struct stream_reconnect {
	pthread_t tid;
	int evfd;
	uint8_t stop, lost;
	bool start_down;     /* not connected at realize (set before start) */
	int pending;         /* a connected socket not yet taken, or -1 */
};

/* Wait up to @ms (-1: forever) for the eventfd; false once stopping. */
static bool rc_wait(struct stream_reconnect *r, int ms)
{
	struct pollfd p = { .fd = r->evfd, .events = POLLIN };

	if (poll(&p, 1, ms) > 0)
		(void)hv_eventfd_drain(r->evfd);
	return !LD(r->stop);
}

static int rc_try(struct netdev_stream *s)
{
	int fd = socket(s->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);

	if (fd < 0)
		return -1;
	if (stream_connect_wait(fd, (const struct sockaddr *)&s->sa, s->sa_len,
				s->rc->evfd) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *rc_main(void *opaque)
{
	struct netdev_stream *s = opaque;
	struct stream_reconnect *r = s->rc;
	bool down = r->start_down; /* realize said so already */

	while (rc_wait(r, -1)) {
		int fd = -1;

		if (!XCHG(r->lost, 0))
			continue;
		if (!down)
			netdev_link_changed(&s->nd, false);
		down = false;
		while (fd < 0 && rc_wait(r, (int)s->reconnect * 1000))
			fd = rc_try(s);
		if (fd < 0)
			break; /* stopping */
		ST(r->pending, fd);
		netdev_link_changed(&s->nd, true);
	}
	return NULL;
}

int stream_reconnect_start(struct netdev_stream *s, struct vm_error **errp)
{
	struct stream_reconnect *r = calloc(1, sizeof(*r));
	sigset_t all, old;
	int rc;

	if (!r)
		return verr_set(errp, -ENOMEM, "netdev '%s': out of memory",
				s->nd.obj.id);
	r->pending = -1;
	r->evfd = hv_eventfd_new();
	if (r->evfd < 0) {
		rc = r->evfd;
		free(r);
		return verr_set_errno(errp, rc, "netdev '%s': eventfd",
				      s->nd.obj.id);
	}
	if (s->cfd < 0) { /* no peer yet: start retrying at once */
		r->start_down = true;
		r->lost = 1;
		(void)hv_eventfd_signal(r->evfd);
	}
	s->rc = r;
	/* The thread takes no signal meant for the host's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&r->tid, NULL, rc_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0) {
		close(r->evfd);
		free(r);
		s->rc = NULL;
		return verr_set_errno(errp, rc,
				      "netdev '%s': reconnect thread",
				      s->nd.obj.id);
	}
	{
		char name[16];

		snprintf(name, sizeof(name), "st-%s", s->nd.obj.id);
		(void)pthread_setname_np(r->tid, name);
	}
	return 0;
}

void stream_reconnect_stop(struct netdev_stream *s)
{
	struct stream_reconnect *r = s->rc;

	if (!r)
		return;
	ST(r->stop, 1);
	(void)hv_eventfd_signal(r->evfd);
	pthread_join(r->tid, NULL);
	if (r->pending >= 0)
		close(r->pending);
	close(r->evfd);
	free(r);
	s->rc = NULL;
}

void stream_reconnect_lost(struct netdev_stream *s)
{
	ST(s->rc->lost, 1);
	(void)hv_eventfd_signal(s->rc->evfd);
}

int stream_reconnect_take(struct netdev_stream *s)
{
	return XCHG(s->rc->pending, -1);
}
