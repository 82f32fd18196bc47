/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/stream.h: the "stream" netdev's state (stream.c) and its
 * reconnect thread (stream-reconnect.c), private to those two files.
 */
#ifndef LIB_NET_STREAM_H
#define LIB_NET_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "netdev.h"

#define STREAM_MAX_FRAME (65536u + 256u) /* what the device's buffer takes */
#define STREAM_CONNECT_MS 5000

struct stream_reconnect;

struct netdev_stream {
	struct netdev nd;
	/* properties */
	uint8_t server;
	char *addr_type, *addr_path, *addr_host, *addr_port;
	uint32_t fd;
	uint32_t reconnect;      /* client: seconds between attempts, 0: none */
	/* sockets */
	int lfd;                 /* listening socket (server), else -1 */
	int cfd;                 /* the connection, -1 while none */
	int epfd;                /* what the device polls: lfd or cfd */
	bool unlink_path;        /* we created addr.path */
	/* where a client connects (kept for reconnecting) */
	struct sockaddr_storage sa;
	socklen_t sa_len;
	int family;
	/* rx: a frame being read */
	uint8_t hdr[4];
	unsigned hdr_got;
	uint32_t flen, fgot;
	uint8_t *rbuf;           /* STREAM_MAX_FRAME */
	/* tx: the rest of a frame the socket took in part */
	uint8_t *tbuf;           /* 4 + STREAM_MAX_FRAME */
	size_t tlen, toff;
	bool tcut;               /* that frame was refused (-EAGAIN): the
				  * call that ends its rest takes it */
	struct stream_reconnect *rc; /* reconnect > 0 (a client), else NULL */
};

/* Connect non-blocking @fd to @sa, waiting up to STREAM_CONNECT_MS or
 * until @cancel_fd (-1: none) polls readable (-ECANCELED). */
int stream_connect_wait(int fd, const struct sockaddr *sa, socklen_t len,
			int cancel_fd);

/* stream-reconnect.c. API thread: start the thread once connected / stop
 * and join it (closing a connection it made that was not taken). */
int stream_reconnect_start(struct netdev_stream *s, struct vm_error **errp);
void stream_reconnect_stop(struct netdev_stream *s);
/* I/O thread: the connection was dropped (->cfd closed already). */
void stream_reconnect_lost(struct netdev_stream *s);
/* I/O thread: a connection the thread made since, or -1. */
int stream_reconnect_take(struct netdev_stream *s);

#endif
