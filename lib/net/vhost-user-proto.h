/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/vhost-user-proto.h: the vhost-user wire format (QEMU's
 * docs/interop/vhost-user.rst), frontend side (prefix vhu_): message
 * layout, encoding, sending with fds, and receiving a reply with every
 * check a hostile or broken backend needs (short, oversized, wrong
 * request, wrong flags, fds where none belong), within a time bound.
 *
 * Nothing here knows netdevs: lib/net/vhost-user.c drives the protocol.
 *
 * Threads/Locking: none; every call works on the caller's socket and
 * message. The caller serialises request/reply pairs on one socket.
 */
#ifndef LIB_NET_VHOST_USER_PROTO_H
#define LIB_NET_VHOST_USER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../core/compiler.h"

enum vhu_request {
	VHU_GET_FEATURES = 1,
	VHU_SET_FEATURES = 2,
	VHU_SET_OWNER = 3,
	VHU_RESET_OWNER = 4,
	VHU_SET_MEM_TABLE = 5,
	VHU_SET_LOG_BASE = 6, /* LOG_*: not used (no migration) */
	VHU_SET_LOG_FD = 7,
	VHU_SET_VRING_NUM = 8,
	VHU_SET_VRING_ADDR = 9,
	VHU_SET_VRING_BASE = 10,
	VHU_GET_VRING_BASE = 11,
	VHU_SET_VRING_KICK = 12,
	VHU_SET_VRING_CALL = 13,
	VHU_SET_VRING_ERR = 14,
	VHU_GET_PROTOCOL_FEATURES = 15,
	VHU_SET_PROTOCOL_FEATURES = 16,
	VHU_GET_QUEUE_NUM = 17,
	VHU_SET_VRING_ENABLE = 18,
	VHU_NET_SET_MTU = 20,
};

/* Virtio feature bit that says the backend has protocol features. */
#define VHU_F_PROTOCOL_FEATURES 30

/* Protocol feature bits. */
#define VHU_PROTOCOL_F_MQ 0
#define VHU_PROTOCOL_F_LOG_SHMFD 1
#define VHU_PROTOCOL_F_REPLY_ACK 3
#define VHU_PROTOCOL_F_NET_MTU 4

/* Header flags: version 1 in bits 0..1, reply, need_reply. */
#define VHU_VERSION 0x1u
#define VHU_VERSION_MASK 0x3u
#define VHU_FLAG_REPLY (1u << 2)
#define VHU_FLAG_NEED_REPLY (1u << 3)

/* The spec's VHOST_USER_MAX_RAM_SLOTS for SET_MEM_TABLE. */
#define VHU_MAX_REGIONS 8u
/* fds in one message (SET_MEM_TABLE: one per region). */
#define VHU_MAX_FDS VHU_MAX_REGIONS
/* In SET_VRING_KICK/CALL/ERR: no fd follows, polling mode. */
#define VHU_VRING_NOFD (1ull << 8)

struct vhu_vring_state {
	uint32_t index, num;
};

struct vhu_vring_addr {
	uint32_t index, flags;
	uint64_t desc, used, avail, log;
};

struct vhu_region {
	uint64_t gpa, size, uaddr, mmap_offset;
};

struct vhu_mem {
	uint32_t nregions, padding;
	struct vhu_region r[VHU_MAX_REGIONS];
};

#define VHU_HDR_SIZE 12u

struct vhu_msg {
	uint32_t request, flags, size; /* size: payload bytes */
	union {
		uint64_t u64;
		struct vhu_vring_state state;
		struct vhu_vring_addr addr;
		struct vhu_mem mem;
	} p;
} __attribute__((packed));

/* Name of a request for messages ("GET_FEATURES"), "request N" if unknown
 * (the buffer is the caller's, 24 bytes). */
const char *vhu_request_name(uint32_t req, char buf[24]);

/* A request with no payload / a u64 / a vring state / ring addresses. */
void vhu_msg_u64(struct vhu_msg *m, uint32_t req, uint64_t v, bool has_v);
void vhu_msg_state(struct vhu_msg *m, uint32_t req, uint32_t index,
		   uint32_t num);

/* Payload size the reply to @req must have; 0 if @req has no reply of its
 * own (only the REPLY_ACK u64, when asked). */
size_t vhu_reply_size(uint32_t req);

/*
 * Check a received reply @m (@got bytes in all, @nfds fds came with it)
 * against the request @req it answers, expecting a payload of @want bytes.
 * Returns NULL, or a static description of the fault for the caller's
 * message: "short reply", "reply to GET_FEATURES expected, got ...".
 */
const char *vhu_check_reply(const struct vhu_msg *m, size_t got,
			    unsigned nfds, uint32_t req, size_t want,
			    char *buf, size_t buflen);

/*
 * Send @m (header + m->size bytes) with @nfds fds (SCM_RIGHTS). Returns 0
 * or -errno (-EPIPE when the backend is gone; never SIGPIPE).
 */
int __must_check vhu_send(int sock, const struct vhu_msg *m, const int *fds,
			  unsigned nfds);

/*
 * Receive one message into @m within @timeout_ms: the header, then its
 * payload if it fits in struct vhu_msg. Returns the bytes received (the
 * header and payload read) and sets *nfds to the fds that came with it
 * (closed here: a reply never carries fds we keep); -ETIMEDOUT,
 * -ECONNRESET (EOF: the backend closed the connection), -EMSGSIZE
 * (payload larger than any reply; the stream is then unusable),
 * -ECANCELED (@cancel_fd, unless -1, polls readable), -errno.
 */
ssize_t __must_check vhu_recv(int sock, struct vhu_msg *m, int timeout_ms,
			      int cancel_fd, unsigned *nfds);

#endif
