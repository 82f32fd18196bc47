/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/vhost-user-proto.c: vhost-user message encoding, sending with
 * fds, and bounded, checked reception of replies. See vhost-user-proto.h.
 *
 * Threads/Locking: none (the caller's socket and message only).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vhost-user-proto.h"

static const char *const vhu_names[] = {
	[VHU_GET_FEATURES] = "GET_FEATURES",
	[VHU_SET_FEATURES] = "SET_FEATURES",
	[VHU_SET_OWNER] = "SET_OWNER",
	[VHU_RESET_OWNER] = "RESET_OWNER",
	[VHU_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VHU_SET_LOG_BASE] = "SET_LOG_BASE",
	[VHU_SET_LOG_FD] = "SET_LOG_FD",
	[VHU_SET_VRING_NUM] = "SET_VRING_NUM",
	[VHU_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VHU_SET_VRING_BASE] = "SET_VRING_BASE",
	[VHU_GET_VRING_BASE] = "GET_VRING_BASE",
	[VHU_SET_VRING_KICK] = "SET_VRING_KICK",
	[VHU_SET_VRING_CALL] = "SET_VRING_CALL",
	[VHU_SET_VRING_ERR] = "SET_VRING_ERR",
	[VHU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VHU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VHU_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VHU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VHU_NET_SET_MTU] = "NET_SET_MTU",
};

const char *vhu_request_name(uint32_t req, char buf[24])
{
	if (req < sizeof(vhu_names) / sizeof(vhu_names[0]) && vhu_names[req])
		return vhu_names[req];
	snprintf(buf, 24, "request %u", req);
	return buf;
}

void vhu_msg_u64(struct vhu_msg *m, uint32_t req, uint64_t v, bool has_v)
{
	memset(m, 0, sizeof(*m));
	m->request = req;
	m->flags = VHU_VERSION;
	m->size = has_v ? sizeof(m->p.u64) : 0;
	m->p.u64 = v;
}

void vhu_msg_state(struct vhu_msg *m, uint32_t req, uint32_t index,
		   uint32_t num)
{
	memset(m, 0, sizeof(*m));
	m->request = req;
	m->flags = VHU_VERSION;
	m->size = sizeof(m->p.state);
	m->p.state.index = index;
	m->p.state.num = num;
}

size_t vhu_reply_size(uint32_t req)
{
	switch (req) {
	case VHU_GET_FEATURES:
	case VHU_GET_PROTOCOL_FEATURES:
	case VHU_GET_QUEUE_NUM:
		return sizeof(uint64_t);
	case VHU_GET_VRING_BASE:
		return sizeof(struct vhu_vring_state);
	default:
		return 0;
	}
}

const char *vhu_check_reply(const struct vhu_msg *m, size_t got,
			    unsigned nfds, uint32_t req, size_t want,
			    char *buf, size_t buflen)
{
	char a[24], b[24];

	if (got < VHU_HDR_SIZE || got < VHU_HDR_SIZE + m->size)
		return "short reply";
	if (nfds)
		return "reply carries file descriptors";
	if ((m->flags & VHU_VERSION_MASK) != VHU_VERSION ||
	    !(m->flags & VHU_FLAG_REPLY))
		return "reply without the reply flag or of another version";
	if (m->request != req) {
		snprintf(buf, buflen, "reply to %s expected, got %s",
			 vhu_request_name(req, a),
			 vhu_request_name(m->request, b));
		return buf;
	}
	if (m->size != want) {
		snprintf(buf, buflen, "reply to %s has %u payload bytes, %zu expected",
			 vhu_request_name(req, a), m->size, want);
		return buf;
	}
	return NULL;
}

int vhu_send(int sock, const struct vhu_msg *m, const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHU_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)m, VHU_HDR_SIZE + m->size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t r;

	if (nfds > VHU_MAX_FDS || m->size > sizeof(m->p))
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	/* A blocking stream socket takes a message this small whole. */
	return (size_t)r == iov.iov_len ? 0 : -EIO;
}

static int64_t vhu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until @sock is readable before @deadline: 0, -ETIMEDOUT,
 * -ECANCELED (@cancel readable), -errno. */
static int vhu_wait(int sock, int cancel, int64_t deadline)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
				       { .fd = cancel, .events = POLLIN } };
		int64_t left = deadline - vhu_now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(p, cancel >= 0 ? 2 : 1,
			 (int)(left > 60000 ? 60000 : left));
		if (r > 0 && cancel >= 0 && (p[1].revents & POLLIN))
			return -ECANCELED;
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* Close the fds of every SCM_RIGHTS block in @mh; returns how many. */
static unsigned vhu_close_fds(struct msghdr *mh)
{
	unsigned n = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			close(fd);
			n++;
		}
	}
	return n;
}

/* Read exactly @len bytes into @p before @deadline (fds closed and
 * counted in *nfds). Returns @len, or -errno; -ECONNRESET on EOF. */
static ssize_t vhu_read_all(int sock, int cancel, void *p, size_t len,
			    int64_t deadline, unsigned *nfds)
{
	size_t done = 0;

	while (done < len) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * VHU_MAX_FDS)];
			struct cmsghdr align;
		} u;
		struct iovec iov = { (char *)p + done, len - done };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		ssize_t r;
		int w = vhu_wait(sock, cancel, deadline);

		if (w < 0)
			return w;
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -errno;
		*nfds += vhu_close_fds(&mh);
		if (mh.msg_flags & MSG_CTRUNC)
			*nfds += 1; /* more fds than room: also a fault */
		if (r == 0)
			return -ECONNRESET;
		done += (size_t)r;
	}
	return (ssize_t)len;
}

ssize_t vhu_recv(int sock, struct vhu_msg *m, int timeout_ms, int cancel_fd,
		 unsigned *nfds)
{
	int64_t deadline = vhu_now_ms() + timeout_ms;
	ssize_t r;

	*nfds = 0;
	memset(m, 0, sizeof(*m));
	r = vhu_read_all(sock, cancel_fd, m, VHU_HDR_SIZE, deadline, nfds);
	if (r < 0)
		return r;
	if (m->size > sizeof(m->p))
		return -EMSGSIZE;
	if (m->size) {
		r = vhu_read_all(sock, cancel_fd, &m->p, m->size, deadline,
				 nfds);
		if (r < 0)
			return r;
	}
	return (ssize_t)(VHU_HDR_SIZE + m->size);
}
