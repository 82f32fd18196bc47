/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/dpdk-peer.h: DPDK's testpmd (Debian package dpdk-dev) as a
 * vhost-user backend no one here wrote: one net_vhost port on a UNIX
 * socket, macswap forwarding (every frame taken from a tx ring comes back
 * on the rx ring of the same queue with its MAC addresses swapped), no
 * hugepages, no PCI. Or, with ->port2 set, a second port (e.g. a net_tap
 * the kernel sees) and ->fwd (e.g. "io") between the two. testpmd
 * busy-polls one core while it runs, so tests keep it short.
 * The benchmark's peer uses the rest: ->vdev replaces the first port
 * (e.g. DPDK's own vhost-user frontend, net_virtio_user), ->lcores and
 * ->main_lcore place its threads, ->extra adds application arguments and
 * ->interactive leaves forwarding to dpdk_peer_cmd() ("start", "stop").
 */
#ifndef TESTS_UNIT_DPDK_PEER_H
#define TESTS_UNIT_DPDK_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct dpdk_peer {
	pid_t pid;
	int stdin_fd;        /* testpmd exits when this closes */
	bool client;         /* testpmd connects to our socket */
	char sock[108];
	char log[128];
	const char *port2;   /* NULL, or a second --vdev */
	const char *fwd;     /* NULL: macswap */
	const char *vdev;    /* NULL: net_vhost0 on @sock */
	const char *lcores;  /* NULL: "0,1" (EAL -l) */
	const char *main_lcore;       /* NULL: EAL's default (the first) */
	const char *const *extra;     /* NULL, or NULL-terminated args */
	bool interactive;    /* -i: forwarding waits for "start" */
};

/* Path of dpdk-testpmd, or NULL if it is not installed. */
const char *dpdk_peer_binary(void);
/* Start testpmd on @sock with @queues queue pairs (->port2 and ->fwd as
 * the caller set them); @client: testpmd connects to our socket
 * (net_vhost client=1, retrying until it is there), else it listens.
 * Waits (up to 120 s) until it forwards (->interactive: until it takes
 * commands); if it exits or does not get
 * there, its log is printed (TAP comments) and the test fails. */
void dpdk_peer_start(struct dpdk_peer *p, const char *sock, unsigned queues,
		     bool client);
/* Send @line to an interactive testpmd and wait (up to 10 s) until
 * its log shows @expect after it; returns the log from @line on in @out
 * (NUL-terminated), or false (testpmd gone, or no @expect in time). */
bool dpdk_peer_cmd(struct dpdk_peer *p, const char *line, const char *expect,
		   char *out, size_t size);
/* Stop it (SIGTERM, then SIGKILL after 5 s); its own socket is removed. */
void dpdk_peer_stop(struct dpdk_peer *p);

#endif
