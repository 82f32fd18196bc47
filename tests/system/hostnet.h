/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/system/hostnet.h: the host side of test-linux's host netdev test,
 * in the test's own network namespace (nothing here reaches another):
 *   - a "callback" netdev whose host answers ARP and ICMP echo for
 *     HOSTNET_CB_IP itself (tests/unit/echo-host.h), counting answers;
 *   - passt (Debian's, started here with --fd on a socketpair whose other
 *     end is a "stream" netdev's fd=) in the namespace, whose template
 *     interface is a tap "kvpst0" with HOSTNET_GUEST_IP/24 and a default
 *     route via HOSTNET_GW: the guest gets that address by DHCP, and
 *     passt opens its TCP connections to HOSTNET_GW (--no-map-gw) from
 *     this namespace;
 *   - HOSTNET_GW itself: a second namespace, made by the server thread
 *     for itself, with a tap "kvsrv0" holding HOSTNET_GW/24, and a bridge
 *     thread copying frames between the two taps' fds; there a server
 *     sends HOSTNET_FETCH_BYTES of xorshift data to the first client and
 *     keeps their sha256.
 * Debian 12's passt (0.0~git20230309.7c7625d, "passt unknown version")
 * mishandles a connection the guest has half-closed: once the guest's
 * FIN came, it takes the guest's ACKs only as sequence numbers, neither
 * dequeuing the data they acknowledge from its socket nor following
 * their window, so it sends beyond the window and then old data again
 * under new sequence numbers (a capture at the stream netdev showed
 * every frame intact both ways, the guest's FIN right after the
 * handshake, passt sending past the window the guest advertised; the
 * server, whose data passt never dequeued, stopped after 512 KiB while
 * the guest took 144 MB). busybox nc half-closes when its stdin ends,
 * so linux-guest.sh gives it a stdin that does not;
 * tests/system/passt-tcp-repro.sh -h shows passt's fault without a VM.
 * Threads: the callback runs on the NIC's I/O thread (counters are
 * atomics); the server and the bridge on their own threads (the server's
 * in its own network namespace: unshare() is per thread), joined by
 * hostnet_fini().
 */
#ifndef TESTS_SYSTEM_HOSTNET_H
#define TESTS_SYSTEM_HOSTNET_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/route.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kvm-virtio.h>

#include "../unit/echo-host.h"
#include "sha256.h"

#define HOSTNET_CB_IP "10.0.3.1"      /* the callback host */
#define HOSTNET_GUEST_IP "10.0.2.15"  /* passt's template address */
#define HOSTNET_GW "10.0.2.2"
#define HOSTNET_FETCH_BYTES (1u << 20)

struct hostnet {
	/* callback host (atomics) */
	unsigned arp_answers, echo_answers, refused;
	/* passt */
	pid_t passt;
	int passt_status;     /* waitpid() status, set by hostnet_fini() */
	int stream_fd;        /* our end of the socketpair, for fd= */
	int tap_fd;           /* the template interface, kept open */
	/* fetch server, behind kvsrv0, and the bridge */
	int ls;
	int srv_tap_fd;       /* kvsrv0, in the server's namespace */
	int ready[2];         /* the server thread says its port (or 0) */
	unsigned port;
	pthread_t tid, bridge;
	bool started, bridged;
	int stop;             /* atomic: hostnet_fini() wants the thread */
	uint64_t sent;
	char sha[65];
	const char *fail;
};

static inline ssize_t hostnet_cb_send(struct vm_obj *nd, void *opaque,
				      unsigned q, const struct iovec *iov,
				      int iovcnt)
{
	struct hostnet *h = opaque;
	uint8_t in[1514], out[1514];
	size_t len = 0, total = 0, n;
	uint32_t ip;

	for (int i = 0; i < iovcnt; i++) {
		size_t k = iov[i].iov_len;

		total += k;
		if (k > sizeof(in) - len)
			k = sizeof(in) - len;
		memcpy(in + len, iov[i].iov_base, k);
		len += k;
	}
	inet_pton(AF_INET, HOSTNET_CB_IP, &ip);
	n = total <= sizeof(in) ? echo_answer(ip, in, len, out) : 0;
	if (n) {
		if (vm_netdev_push(nd, q, out, n) != 0)
			__atomic_add_fetch(&h->refused, 1, __ATOMIC_RELAXED);
		else if (echo_get16(out + 12) == 0x0806)
			__atomic_add_fetch(&h->arp_answers, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&h->echo_answers, 1, __ATOMIC_RELAXED);
	}
	return (ssize_t)total;
}

static const struct vm_netdev_ops hostnet_cb_ops = {
	.size = sizeof(struct vm_netdev_ops),
	.send = hostnet_cb_send,
};

static inline int hostnet_ifup(int s, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static inline void hostnet_set_in(struct sockaddr *sa, const char *addr)
{
	struct sockaddr_in *in = (struct sockaddr_in *)sa;

	memset(in, 0, sizeof(*in));
	in->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &in->sin_addr);
}

/* A tap @name with @addr/24, up (and lo up), in the calling thread's
 * namespace; its fd in *@fd. NULL or what failed. */
static inline const char *hostnet_tap(const char *name, const char *addr,
				      int *fd)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	const char *fail = NULL;

	*fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (s < 0 || *fd < 0)
		fail = "socket or /dev/net/tun";
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (!fail && (hostnet_ifup(s, "lo") < 0 ||
		      ioctl(*fd, TUNSETIFF, &ifr) < 0))
		fail = "lo up, TUNSETIFF";
	hostnet_set_in(&ifr.ifr_addr, addr);
	if (!fail && ioctl(s, SIOCSIFADDR, &ifr) < 0)
		fail = "SIOCSIFADDR";
	hostnet_set_in(&ifr.ifr_netmask, "255.255.255.0");
	if (!fail && (ioctl(s, SIOCSIFNETMASK, &ifr) < 0 ||
		      hostnet_ifup(s, name) < 0))
		fail = "netmask, up";
	if (s >= 0)
		close(s);
	return fail;
}

/* Tap "kvpst0" with HOSTNET_GUEST_IP/24, default via HOSTNET_GW: what
 * passt copies for its guest. In the caller's own namespace. */
static inline const char *hostnet_netns(struct hostnet *h)
{
	struct rtentry rt;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	const char *fail = hostnet_tap("kvpst0", HOSTNET_GUEST_IP, &h->tap_fd);

	if (!fail && s < 0)
		fail = "socket";
	memset(&rt, 0, sizeof(rt));
	hostnet_set_in(&rt.rt_dst, "0.0.0.0");
	hostnet_set_in(&rt.rt_genmask, "0.0.0.0");
	hostnet_set_in(&rt.rt_gateway, HOSTNET_GW);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	if (!fail && ioctl(s, SIOCADDRT, &rt) < 0)
		fail = "SIOCADDRT";
	if (s >= 0)
		close(s);
	return fail;
}

/* The server's side: its own namespace (this thread only), kvsrv0 with
 * HOSTNET_GW, a listener on HOSTNET_GW; the port goes to ->ready. */
static inline const char *hostnet_server_setup(struct hostnet *h)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	const char *fail;

	if (unshare(CLONE_NEWNET) < 0)
		return "unshare (server)";
	fail = hostnet_tap("kvsrv0", HOSTNET_GW, &h->srv_tap_fd);
	if (fail)
		return fail;
	inet_pton(AF_INET, HOSTNET_GW, &a.sin_addr);
	h->ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->ls < 0 || bind(h->ls, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(h->ls, 1) < 0 ||
	    getsockname(h->ls, (struct sockaddr *)&a, &al) < 0)
		return "fetch server";
	h->port = ntohs(a.sin_port);
	return NULL;
}

static void *hostnet_server(void *arg)
{
	struct hostnet *h = arg;
	static uint64_t buf[4096];
	uint64_t seed = 0x2545f4914f6cdd1dull;
	struct sha256 s;
	struct pollfd p;
	int fd, r = 0;

	h->fail = hostnet_server_setup(h);
	(void)!write(h->ready[1], "x", 1);
	if (h->fail)
		return NULL;
	p = (struct pollfd){ .fd = h->ls, .events = POLLIN };

	for (int i = 0; i < 300 && r == 0 &&
			!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE); i++)
		r = poll(&p, 1, 1000);
	if (r != 1 || (fd = accept4(h->ls, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		h->fail = "no connection to the fetch server";
		return NULL;
	}
	sha256_init(&s);
	while (h->sent < HOSTNET_FETCH_BYTES) {
		for (size_t i = 0; i < sizeof(buf) / 8; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			buf[i] = seed;
		}
		sha256_update(&s, buf, sizeof(buf));
		for (size_t off = 0; off < sizeof(buf);) {
			/* a connection the peer reset must fail the send, not
			 * kill the test with SIGPIPE */
			ssize_t n = send(fd, (char *)buf + off, sizeof(buf) - off,
					 MSG_NOSIGNAL);

			if (n <= 0) {
				h->fail = "send to the guest";
				close(fd);
				return NULL;
			}
			off += (size_t)n;
		}
		h->sent += sizeof(buf);
	}
	sha256_hex(&s, h->sha);
	close(fd);
	return NULL;
}

/* Frames between kvpst0 (passt's namespace) and kvsrv0 (the server's). */
static void *hostnet_bridge(void *arg)
{
	struct hostnet *h = arg;
	static uint8_t frame[65536];

	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p[2] = { { .fd = h->tap_fd, .events = POLLIN },
				       { .fd = h->srv_tap_fd, .events = POLLIN } };

		if (poll(p, 2, 200) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!(p[i].revents & POLLIN))
				continue;
			n = read(p[i].fd, frame, sizeof(frame));
			if (n > 0)
				(void)!write(p[1 - i].fd, frame, (size_t)n);
		}
	}
	return NULL;
}

/* passt sandboxes itself with pivot_root(), which fails when / is the
 * initramfs (rootfs, as in the nested path's L1), and with a user
 * namespace, which a chroot cannot create. So when / is a ramfs or tmpfs,
 * passt's child moves a bind mount of / over / in a mount namespace of its
 * own and makes it its root (what switch_root does): that root has a
 * parent, and is the namespace's root as the kernel sees it. Best effort:
 * anything failing leaves passt to try as it is. */
#define HOSTNET_ROOT "/tmp/kv-hostnet-root"
static inline void hostnet_passt_root(void)
{
	struct statfs sf;

	if (statfs("/", &sf) < 0 ||
	    (sf.f_type != RAMFS_MAGIC && sf.f_type != TMPFS_MAGIC))
		return;
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("/", HOSTNET_ROOT, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    chdir(HOSTNET_ROOT) < 0 ||
	    mount(HOSTNET_ROOT, "/", NULL, MS_MOVE, NULL) < 0)
		return;
	if (chroot(".") == 0)
		(void)!chdir("/");
}

/* Everything above; NULL or what failed. */
static inline const char *hostnet_init(struct hostnet *h)
{
	int sp[2];
	char c;
	const char *fail;

	memset(h, 0, sizeof(*h));
	h->passt = -1;
	h->stream_fd = h->tap_fd = h->ls = h->srv_tap_fd = -1;
	h->ready[0] = h->ready[1] = -1;
	fail = hostnet_netns(h);
	if (fail)
		return fail;
	if (pipe2(h->ready, O_CLOEXEC) < 0 ||
	    pthread_create(&h->tid, NULL, hostnet_server, h) != 0)
		return "fetch server thread";
	h->started = true;
	if (read(h->ready[0], &c, 1) != 1 || h->fail)
		return h->fail ? h->fail : "fetch server setup";
	if (pthread_create(&h->bridge, NULL, hostnet_bridge, h) != 0)
		return "bridge thread";
	h->bridged = true;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return "socketpair";
	h->stream_fd = sp[0];
	(void)mkdir(HOSTNET_ROOT, 0755);
	h->passt = fork();
	if (h->passt == 0) {
		char fd[16];

		hostnet_passt_root();
		fcntl(sp[1], F_SETFD, 0);
		snprintf(fd, sizeof(fd), "%d", sp[1]);
		execlp("passt", "passt", "-f", "-q", "-1", "-4", "--no-map-gw",
		       "--no-dhcp-dns", "--no-dhcp-search", "-F", fd,
		       (char *)NULL);
		_exit(127);
	}
	close(sp[1]);
	return h->passt < 0 ? "fork passt" : NULL;
}

static inline void hostnet_fini(struct hostnet *h)
{
	if (h->passt > 0) {
		/* a passt that died on its own (a crash) says so here */
		if (waitpid(h->passt, &h->passt_status, WNOHANG) == 0) {
			kill(h->passt, SIGTERM);
			waitpid(h->passt, NULL, 0);
			h->passt_status = 0;
		}
	}
	__atomic_store_n(&h->stop, 1, __ATOMIC_RELEASE);
	if (h->started)
		pthread_join(h->tid, NULL);
	if (h->bridged)
		pthread_join(h->bridge, NULL);
	for (int i = 0; i < 2; i++)
		if (h->ready[i] >= 0)
			close(h->ready[i]);
	if (h->srv_tap_fd >= 0)
		close(h->srv_tap_fd);
	if (h->ls >= 0)
		close(h->ls);
	if (h->stream_fd >= 0)
		close(h->stream_fd);
	if (h->tap_fd >= 0)
		close(h->tap_fd);
	(void)rmdir(HOSTNET_ROOT);
}

#endif
