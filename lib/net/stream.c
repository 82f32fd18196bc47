/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/stream.c: netdev "stream": Ethernet frames over a stream socket
 * with QEMU's -netdev stream (and -netdev socket) framing: each frame is a
 * 4-byte big-endian length, then that many bytes. This is what passt (its
 * default "qemu" mode), gvproxy and libkrun speak.
 *
 * Properties follow QEMU's -netdev stream: addr.type=unix with addr.path,
 * or addr.type=inet with addr.host (a numeric address, default 127.0.0.1)
 * and addr.port;
 * server=on listens (one peer at a time, as QEMU), off connects at
 * vm_start (up to STREAM_CONNECT_MS; with reconnect=N a first connect
 * that fails does not fail vm_start: the link starts down and the
 * reconnect thread keeps trying every N seconds); or fd= an already
 * connected stream socket (dup'ed, e.g. one end of a socketpair given to
 * passt --fd).
 *
 * Data path: recv reads the length, then exactly the frame, never beyond,
 * so whatever follows stays in the socket and keeps it readable; a partial
 * frame waits in ->rbuf. send writes length and frame in one sendmsg; a
 * short write keeps the rest in ->tbuf and returns -EAGAIN: the device
 * keeps the frame and polls the socket writable (netdev.h), so the rest
 * goes as soon as the socket takes it, not only when the guest sends
 * again (a peer such as passt waits for the whole frame before it reads
 * on). The rest is sent before anything else; the call that sends its
 * last byte takes the frame the device offers again (the same one, after
 * -EAGAIN) as sent. The socket never sees a frame cut or restarted. Not connected (a server with no peer yet, a peer that
 * left): frames from the guest are refused and counted (tx_drop_backend),
 * as QEMU drops them. A peer that closes, or sends a length of 0 or above
 * STREAM_MAX_FRAME, is disconnected (one receive error counted); a server
 * then accepts the next peer, a client stays disconnected, or with
 * reconnect=N connects again every N seconds on a thread of its own
 * (stream-reconnect.c), the device's link down meanwhile.
 *
 * The device polls ->epfd, an epoll set holding the listening socket
 * until a peer is accepted and the connection afterwards, so the fd it
 * polls never changes while the socket underneath does.
 *
 * Threads: realize/unrealize on the API thread; send, recv, rx_fd, tx_fd
 * on the device's I/O thread of queue pair 0, which serves both its rx and
 * its tx queue (virtio-net-io.c): one thread, so no lock. The socket fds
 * change only on that thread after realize (a reconnecting client's new
 * socket is handed over through an atomic, see stream-reconnect.c).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../core/prop.h"
#include "backends.h"
#include "stream.h"

static struct netdev_stream *to_stream(struct netdev *nd)
{
	return (struct netdev_stream *)nd;
}

/* Make @fd what the device polls (replacing @old in the epoll set). */
static void poll_swap(struct netdev_stream *s, int old, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (old >= 0)
		(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, old, NULL);
	if (fd >= 0) {
		ev.data.fd = fd;
		(void)epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* Drop the connection: a server listens again, a client with reconnect=
 * has its thread reconnect. */
static void stream_disconnect(struct netdev_stream *s)
{
	if (s->cfd < 0)
		return;
	poll_swap(s, s->cfd, s->lfd);
	close(s->cfd);
	s->cfd = -1;
	s->hdr_got = 0;
	s->flen = s->fgot = 0;
	s->tlen = s->toff = 0;
	s->tcut = false;
	if (s->rc)
		stream_reconnect_lost(s);
}

static void stream_accept(struct netdev_stream *s)
{
	int fd;

	if (s->cfd >= 0 || s->lfd < 0)
		return;
	fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	s->cfd = fd;
	poll_swap(s, s->lfd, fd);
}

/* No connection: a server accepts one, a reconnecting client takes the
 * one its thread made. */
static void stream_reopen(struct netdev_stream *s)
{
	int fd;

	if (s->cfd >= 0)
		return;
	if (!s->rc) {
		stream_accept(s);
		return;
	}
	fd = stream_reconnect_take(s);
	if (fd >= 0) {
		s->cfd = fd;
		poll_swap(s, -1, fd);
	}
}

/* Read up to @len bytes: > 0 read, 0 nothing yet, < 0 the peer is gone
 * or broken (disconnected). */
static ssize_t stream_read(struct netdev_stream *s, void *buf, size_t len)
{
	ssize_t r = recv(s->cfd, buf, len, MSG_DONTWAIT);

	if (r > 0)
		return r;
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	stream_disconnect(s);
	return -ECONNRESET;
}

static ssize_t stream_recv(struct netdev *nd, unsigned q,
			   const struct iovec *iov, int iovcnt)
{
	struct netdev_stream *s = to_stream(nd);
	size_t off = 0;
	ssize_t r;

	stream_reopen(s);
	if (s->cfd < 0)
		return -EAGAIN;
	while (s->hdr_got < 4) {
		r = stream_read(s, s->hdr + s->hdr_got, 4 - s->hdr_got);
		if (r <= 0)
			return r ? r : -EAGAIN;
		s->hdr_got += (unsigned)r;
		if (s->hdr_got == 4) {
			memcpy(&s->flen, s->hdr, 4);
			s->flen = be32toh(s->flen);
			s->fgot = 0;
			if (!s->flen || s->flen > STREAM_MAX_FRAME) {
				stream_disconnect(s);
				return -EPROTO;
			}
		}
	}
	while (s->fgot < s->flen) {
		r = stream_read(s, s->rbuf + s->fgot, s->flen - s->fgot);
		if (r <= 0)
			return r ? r : -EAGAIN;
		s->fgot += (uint32_t)r;
	}
	for (int i = 0; i < iovcnt && off < s->flen; i++) {
		size_t k = MIN(iov[i].iov_len, s->flen - off);

		memcpy(iov[i].iov_base, s->rbuf + off, k);
		off += k;
	}
	s->hdr_got = 0;
	return (ssize_t)off;
}

/* Send what is left of a partly sent frame: 0 when nothing is left. */
static int stream_flush(struct netdev_stream *s)
{
	ssize_t r;

	while (s->toff < s->tlen) {
		r = send(s->cfd, s->tbuf + s->toff, s->tlen - s->toff,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return -EAGAIN;
			r = -errno;
			stream_disconnect(s);
			return (int)r;
		}
		s->toff += (size_t)r;
	}
	s->tlen = s->toff = 0;
	return 0;
}

static ssize_t stream_send(struct netdev *nd, unsigned q,
			   const struct iovec *iov, int iovcnt)
{
	struct netdev_stream *s = to_stream(nd);
	struct iovec v[1 + 64];
	struct msghdr mh = { .msg_iov = v };
	uint32_t be;
	size_t len = 0, done;
	ssize_t r;
	int rc;

	stream_reopen(s);
	if (s->cfd < 0)
		return -ENOTCONN;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (!len || len > STREAM_MAX_FRAME)
		return -EMSGSIZE;
	rc = stream_flush(s);
	if (rc < 0)
		return rc;
	if (s->tcut) {
		/* the rest of this frame (offered again) just went */
		s->tcut = false;
		return (ssize_t)len;
	}
	be = htobe32((uint32_t)len);
	v[0] = (struct iovec){ &be, 4 };
	if (iovcnt < (int)ARRAY_SIZE(v)) {
		memcpy(v + 1, iov, (size_t)iovcnt * sizeof(*iov));
		mh.msg_iovlen = (size_t)iovcnt + 1;
	} else { /* many small pieces: one copy */
		done = 0;
		for (int i = 0; i < iovcnt; i++) {
			memcpy(s->tbuf + 4 + done, iov[i].iov_base, iov[i].iov_len);
			done += iov[i].iov_len;
		}
		v[1] = (struct iovec){ s->tbuf + 4, len };
		mh.msg_iovlen = 2;
	}
	r = sendmsg(s->cfd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return -EAGAIN;
		r = -errno;
		stream_disconnect(s);
		return r;
	}
	if ((size_t)r < 4 + len) {
		/* Keep the rest (moving it within tbuf if it came from there). */
		size_t skip = (size_t)r, k = 0;

		for (size_t i = 0; i < mh.msg_iovlen; i++) {
			size_t l = v[i].iov_len;

			if (skip >= l) {
				skip -= l;
				continue;
			}
			memmove(s->tbuf + k, (uint8_t *)v[i].iov_base + skip,
				l - skip);
			k += l - skip;
			skip = 0;
		}
		s->tlen = k;
		s->toff = 0;
		s->tcut = true;
		return -EAGAIN; /* the device polls writable, offers it again */
	}
	return (ssize_t)len;
}

static int stream_rx_fd(struct netdev *nd, unsigned q)
{
	return to_stream(nd)->epfd;
}

static int stream_tx_fd(struct netdev *nd, unsigned q)
{
	struct netdev_stream *s = to_stream(nd);

	return s->cfd >= 0 ? s->cfd : -ENOTSUP;
}

static const struct netdev_ops stream_ops = {
	.send = stream_send,
	.recv = stream_recv,
	.rx_fd = stream_rx_fd,
	.tx_fd = stream_tx_fd,
};

/* ---- realize (API thread) ---- */

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

int stream_connect_wait(int fd, const struct sockaddr *sa, socklen_t len,
			int cancel_fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLOUT },
			       { .fd = cancel_fd, .events = POLLIN } };
	int err = 0;
	socklen_t el = sizeof(err);

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	if (poll(p, cancel_fd >= 0 ? 2 : 1, STREAM_CONNECT_MS) == 0)
		return -ETIMEDOUT;
	if (p[1].revents)
		return -ECANCELED;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		return -errno;
	return -err;
}

/* Listen on or connect to @sa; the socket is left in ->lfd or ->cfd. */
static int stream_open_addr(struct netdev_stream *s, int family,
			    const struct sockaddr *sa, socklen_t len,
			    const char *what, struct vm_error **errp)
{
	const char *id = s->nd.obj.id;
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, rc;

	if (fd < 0)
		return verr_set_errno(errp, -errno, "netdev '%s': socket", id);
	if (s->server) {
		if (family != AF_UNIX)
			(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
					 sizeof(one));
		if (bind(fd, sa, len) < 0 || listen(fd, 1) < 0) {
			rc = -errno;
			close(fd);
			return verr_set_errno(errp, rc,
					      "netdev '%s': listen on %s", id,
					      what);
		}
		s->lfd = fd;
		s->unlink_path = family == AF_UNIX;
		return 0;
	}
	memcpy(&s->sa, sa, len);
	s->sa_len = len;
	s->family = family;
	rc = stream_connect_wait(fd, sa, len, -1);
	if (rc < 0) {
		close(fd);
		if (s->reconnect)
			return 0; /* no peer yet: the thread keeps trying */
		return verr_set_errno(errp, rc, "netdev '%s': connect to %s",
				      id, what);
	}
	s->cfd = fd;
	return 0;
}

static int stream_open_unix(struct netdev_stream *s, struct vm_error **errp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (!s->addr_path || !*s->addr_path)
		return verr_set(errp, -EINVAL,
				"netdev '%s': addr.type=unix needs addr.path",
				s->nd.obj.id);
	if (strlen(s->addr_path) >= sizeof(sa.sun_path))
		return verr_set(errp, -ENAMETOOLONG,
				"netdev '%s': socket path '%s' is longer than %zu bytes",
				s->nd.obj.id, s->addr_path,
				sizeof(sa.sun_path) - 1);
	strcpy(sa.sun_path, s->addr_path);
	return stream_open_addr(s, AF_UNIX, (struct sockaddr *)&sa, sizeof(sa),
				s->addr_path, errp);
}

/* addr.host (a numeric IPv4 or IPv6 address: no name lookup, which could
 * hang vm_start) and addr.port. */
static int stream_open_inet(struct netdev_stream *s, struct vm_error **errp)
{
	const char *id = s->nd.obj.id;
	const char *host = s->addr_host && *s->addr_host ? s->addr_host
							 : "127.0.0.1";
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} a;
	char what[300], *end;
	unsigned long port;
	socklen_t len;

	if (!s->addr_port || !*s->addr_port)
		return verr_set(errp, -EINVAL,
				"netdev '%s': addr.type=inet needs addr.port",
				id);
	errno = 0;
	port = strtoul(s->addr_port, &end, 10);
	if (errno || *end || port > 65535 || (!s->server && !port))
		return verr_set(errp, -EINVAL,
				"netdev '%s': addr.port '%s' is not a port number",
				id, s->addr_port);
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, host, &a.in.sin_addr) == 1) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons((uint16_t)port);
		len = sizeof(a.in);
	} else if (inet_pton(AF_INET6, host, &a.in6.sin6_addr) == 1) {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons((uint16_t)port);
		len = sizeof(a.in6);
	} else {
		return verr_set(errp, -EINVAL,
				"netdev '%s': addr.host '%s' is not an IPv4 or IPv6 address",
				id, host);
	}
	snprintf(what, sizeof(what), "%s port %lu", host, port);
	return stream_open_addr(s, a.sa.sa_family, &a.sa, len, what, errp);
}

static int stream_open_fd(struct netdev_stream *s, struct vm_error **errp)
{
	const char *id = s->nd.obj.id;
	int type = 0, fd, rc;
	socklen_t tl = sizeof(type);

	if (getsockopt((int)s->fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
	    type != SOCK_STREAM)
		return verr_set(errp, -EINVAL,
				"netdev '%s': fd %u is not a stream socket", id,
				s->fd);
	fd = fcntl((int)s->fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return verr_set_errno(errp, -errno, "netdev '%s': fd %u", id,
				      s->fd);
	rc = set_nonblock(fd);
	if (rc < 0) {
		close(fd);
		return verr_set_errno(errp, rc, "netdev '%s': fd %u", id,
				      s->fd);
	}
	s->cfd = fd;
	return 0;
}

static void stream_close(struct netdev_stream *s)
{
	stream_reconnect_stop(s);
	if (s->cfd >= 0)
		close(s->cfd);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->unlink_path)
		(void)unlink(s->addr_path);
	free(s->rbuf);
	free(s->tbuf);
	s->cfd = s->lfd = s->epfd = -1;
	s->unlink_path = false;
	s->rbuf = s->tbuf = NULL;
}

static int stream_realize(struct vm_obj *o, struct vm_error **errp)
{
	struct netdev_stream *s = (struct netdev_stream *)o;
	bool by_fd = prop_is_set(o, "fd");
	int rc;

	s->cfd = s->lfd = -1;
	s->unlink_path = false;
	s->hdr_got = 0;
	s->tlen = s->toff = 0;
	s->tcut = false;
	if (by_fd && (prop_is_set(o, "addr.type") || s->server))
		return verr_set(errp, -EINVAL,
				"netdev '%s': fd= excludes addr.type and server",
				o->id);
	if (s->reconnect && (by_fd || s->server))
		return verr_set(errp, -EINVAL,
				"netdev '%s': reconnect= is for a client (not with %s)",
				o->id, by_fd ? "fd=" : "server=on");
	s->rbuf = malloc(STREAM_MAX_FRAME);
	s->tbuf = malloc(4 + STREAM_MAX_FRAME);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!s->rbuf || !s->tbuf || s->epfd < 0) {
		rc = s->epfd < 0 ? verr_set_errno(errp, -errno,
						  "netdev '%s': epoll", o->id)
				 : verr_set(errp, -ENOMEM,
					    "netdev '%s': out of memory", o->id);
		stream_close(s);
		return rc;
	}
	if (by_fd)
		rc = stream_open_fd(s, errp);
	else if (!s->addr_type)
		rc = verr_set(errp, -EINVAL,
			      "netdev '%s': give addr.type (unix or inet) or fd",
			      o->id);
	else if (!strcmp(s->addr_type, "unix"))
		rc = stream_open_unix(s, errp);
	else if (!strcmp(s->addr_type, "inet"))
		rc = stream_open_inet(s, errp);
	else
		rc = verr_set(errp, -EINVAL,
			      "netdev '%s': addr.type '%s' is not unix or inet",
			      o->id, s->addr_type);
	if (rc < 0) {
		stream_close(s);
		return rc;
	}
	poll_swap(s, -1, s->cfd >= 0 ? s->cfd : s->lfd);
	s->nd.caps = NETDEV_CAP_RX_FD;
	s->nd.queues = 1;
	if (s->reconnect) {
		/* Not connected: the link starts down (the device, set up
		 * later, learns it from netdev_set_link_notify). */
		if (s->cfd < 0)
			netdev_link_changed(&s->nd, false);
		rc = stream_reconnect_start(s, errp);
		if (rc < 0) {
			stream_close(s);
			return rc;
		}
		s->nd.caps |= NETDEV_CAP_LINK;
	}
	return 0;
}

static void stream_unrealize(struct vm_obj *o)
{
	stream_close((struct netdev_stream *)o);
}

static void stream_instance_init(struct vm_obj *o)
{
	struct netdev_stream *s = (struct netdev_stream *)o;

	s->cfd = s->lfd = s->epfd = -1;
}

static void stream_class_init(struct obj_class *k)
{
	((struct netdev_class *)k)->ops = &stream_ops;
}

static const struct vm_prop_desc stream_props[] = {
	PROP_BOOL("server", struct netdev_stream, server, 0, "off",
		  "listen (one peer at a time) instead of connecting"),
	PROP_STR("addr.type", struct netdev_stream, addr_type, 0, NULL,
		 "unix or inet"),
	PROP_STR("addr.path", struct netdev_stream, addr_path, 0, NULL,
		 "UNIX socket path (addr.type=unix)"),
	PROP_STR("addr.host", struct netdev_stream, addr_host, 0, NULL,
		 "numeric IPv4/IPv6 address (addr.type=inet; default 127.0.0.1)"),
	PROP_STR("addr.port", struct netdev_stream, addr_port, 0, NULL,
		 "TCP port (addr.type=inet)"),
	PROP_U32("fd", struct netdev_stream, fd, 0, NULL, 0, INT32_MAX,
		 "a connected stream socket to use (dup'ed)"),
	PROP_U32("reconnect", struct netdev_stream, reconnect, 0, "0", 0, 3600,
		 "client: seconds between reconnect attempts once the peer "
		 "left (0: stay disconnected); the link is down meanwhile"),
	PROP_END,
};

const struct type netdev_stream_type = {
	.name = "stream",
	.parent = TYPE_NETDEV,
	.class_size = sizeof(struct netdev_class),
	.instance_size = sizeof(struct netdev_stream),
	.class_init = stream_class_init,
	.instance_init = stream_instance_init,
	.realize = stream_realize,
	.unrealize = stream_unrealize,
	.props = stream_props,
};
