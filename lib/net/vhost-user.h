/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/vhost-user.h: the "vhost-user" netdev's state, shared by its two
 * files: vhost-user.c (type, properties, connection, feature handshake,
 * the request/reply helper) and vhost-user-rings.c (handing the rings to
 * the backend at the guest's DRIVER_OK, taking them back at reset,
 * VQ_PAIRS_SET as SET_VRING_ENABLE).
 *
 * and vhost-user-monitor.c (the thread that notices the backend going
 * away, reconnects or accepts the next connection, and tells the device).
 *
 * Threads: realize/unrealize on the API thread; vhost_start/vhost_stop on
 * the vCPU thread that wrote the device status (device lock held), or on
 * the monitor thread when the device restores its rings after a
 * reconnect; set_queues on the I/O thread serving the device's control
 * queue; the monitor thread "vu-<id>" from realize to unrealize.
 * Locking: ->lock guards the socket (one request/reply at a time), ->ring[],
 * ->err_fd[], ->started, ->conn_gen, ->rings_conn, ->want_pairs,
 * ->broken, ->features and ->protocol; ->need is fixed before the monitor starts. It is a
 * leaf below the device and queue locks, held for one exchange bounded by
 * ->reply_timeout each; the monitor never holds it while it calls the
 * device (netdev_link_changed).
 */
#ifndef LIB_NET_VHOST_USER_H
#define LIB_NET_VHOST_USER_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/un.h>

#include "netdev.h"
#include "vhost-user-proto.h"

#define VU_MAX_RINGS (2 * NETDEV_MAX_QUEUES)

struct vu_ring {
	uint32_t index;  /* virtqueue number */
	uint16_t base;   /* last avail index the backend gave back */
	bool base_valid; /* ->base came from GET_VRING_BASE at the last stop */
	bool started;
};

struct netdev_vhost_user {
	struct netdev nd;
	/* properties */
	char *chardev;          /* socket path (chardev objects: later) */
	char *path;             /* the same, QEMU-less spelling */
	uint8_t server;
	uint8_t wait;           /* server: wait for the backend at realize */
	uint32_t queues;
	uint8_t vhostforce;     /* accepted, no effect */
	uint32_t reconnect;
	uint32_t reply_timeout; /* ms, x-reply-timeout */
	uint32_t wait_timeout;  /* ms, x-connect-timeout */
	/* state */
	pthread_mutex_t lock;
	bool lock_init;
	int sock;               /* the connection, -1 if none */
	int listen_fd;          /* server: kept to accept the next one */
	int wake_fd;            /* eventfd: a fault was seen, or stop */
	int cancel_fd;          /* eventfd, instance_init to finalize: the VM
				   stops (vm_stop); readable for good */
	uint8_t stop;           /* atomic: the monitor ends */
	bool monitor_started;
	pthread_t monitor;
	char sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint64_t features;      /* the backend's virtio features */
	uint64_t need;          /* fixed at realize: what every connection
				   must offer (the device's offer rests on
				   them) */
	uint64_t protocol;      /* negotiated protocol features */
	uint64_t backend_protocol; /* all the backend offered */
	uint32_t backend_queues;
	bool broken;            /* a fault was seen: no more requests */
	bool started;
	uint64_t conn_gen;      /* counts the connections negotiated */
	uint64_t rings_conn;    /* ->conn_gen whose handover of the rings
				   succeeded, 0 after a stop: a second
				   start on it (the guest's DRIVER_OK and
				   the monitor's link-up racing) is a no-op */
	unsigned nr_rings;
	unsigned want_pairs;    /* VQ_PAIRS_SET, 1 at DRIVER_OK */
	struct vu_ring ring[VU_MAX_RINGS];
	/* SET_VRING_ERR eventfds by virtqueue number, -1 until a ring first
	 * starts; kept until unrealize (the monitor polls them) */
	int err_fd[VU_MAX_RINGS];
};

static inline struct netdev_vhost_user *to_vu(struct netdev *nd)
{
	return (struct netdev_vhost_user *)nd;
}

static inline bool vu_has_protocol(const struct netdev_vhost_user *v,
				   unsigned bit)
{
	return (v->protocol >> bit) & 1;
}

/*
 * One request (->lock held): send @m with @nfds fds; if @reply, receive
 * and check its reply (vhu_reply_size(m->request) bytes); otherwise, with
 * REPLY_ACK negotiated, ask for and check the ack. A fault marks the
 * connection broken and sets an error naming the netdev and the request.
 */
/* ->lock held or before the monitor runs: connect (client) or accept one
 * connection within @wait_ms (server), then negotiate; on failure nothing
 * stays open but the listening socket. */
int __must_check vu_open(struct netdev_vhost_user *v, int wait_ms,
			 struct vm_error **errp);
void vu_close_conn(struct netdev_vhost_user *v);

/* vhost-user-monitor.c */
int __must_check vu_monitor_start(struct netdev_vhost_user *v,
				  struct vm_error **errp);
void vu_monitor_stop(struct netdev_vhost_user *v);

int __must_check vu_request(struct netdev_vhost_user *v, struct vhu_msg *m,
			    const int *fds, unsigned nfds,
			    struct vhu_msg *reply, struct vm_error **errp);

/* vhost-user-rings.c: the netdev ops on rings. */
int vu_vhost_start(struct netdev *nd, const struct netdev_vhost_start *s,
		   struct vm_error **errp);
int vu_vhost_stop(struct netdev *nd, struct vm_error **errp);
int vu_set_queues(struct netdev *nd, unsigned n);

#endif
