/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/mock/sock-netdev.h: a netdev type whose backend is one end of
 * a SOCK_SEQPACKET socketpair (a frame per message); the test or fuzzer
 * holds the other end, "the wire". Registered through the public type API
 * (vm_type_register(vm, &sock_netdev_type, ...), type name "test-sock");
 * its ops are plugged into the type's class, as a built-in netdev's are.
 * Threads: send/recv run on the device's I/O thread (or the caller's with
 * x-io-inline=on); the knobs are set before realize or read atomically.
 */
#ifndef TESTS_MOCK_SOCK_NETDEV_H
#define TESTS_MOCK_SOCK_NETDEV_H

#include <stdint.h>

#include <kvm-virtio.h>

struct sock_priv {
	int fd[2];   /* [0] the backend's end, [1] the wire */
};

/* Knobs set before realize (each unit test runs in its own process). */
struct sock_knob {
	int eagain;          /* send: -EAGAIN this many times first (atomic) */
	int recv_err;        /* recv: always -EIO */
	int vnet_hdr;        /* carry the header (NETDEV_CAP_VNET_HDR) */
	uint64_t offloads;   /* nd->offloads */
	uint64_t offl_set;   /* last set_offload() argument (atomic) */
	unsigned queues;     /* nd->queues (0: 1) */
	unsigned sends, recv_calls; /* atomic */
};

extern struct sock_knob sock_knob;
extern const struct vm_type_info sock_netdev_type;

/* The wire of netdev @id (the test's end of its socketpair). */
int sock_netdev_wire(struct vm *vm, const char *id);

#endif
