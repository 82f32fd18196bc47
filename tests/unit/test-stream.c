/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-stream.c: the "stream" netdev against real sockets:
 * QEMU's framing (4-byte big-endian length, then the frame) both ways,
 * frames split across reads, several in one write, a short write that
 * keeps the rest (and sends it once the socket is writable, with no
 * further frame), a peer that leaves or lies about a length; a socketpair
 * (fd=), a UNIX server, a TCP client to a listener of the test's on
 * 127.0.0.1, a UNIX client that reconnects (reconnect=) to a server that
 * went away and came back; and every configuration error. The netdev is realized with
 * vm_realize_objects() and driven through the internal netdev calls, as
 * virtio-net-pci drives it.
 */
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <kvm-virtio.h>

#include "net/netdev.h"
#include "vm.h"
#include "check-main.h"

#define PROPS(...) ((const struct vm_prop[]){ __VA_ARGS__, { NULL, NULL } })

static struct vm *vm;
static char dir[64];

static void setup(void)
{
	struct vm_config cfg = VM_CONFIG_INIT;

	ck_assert_int_eq(vm_create(&cfg, &vm, NULL), 0);
	snprintf(dir, sizeof(dir), "/tmp/kv-stream-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char p[128];

	vm_destroy(vm);
	snprintf(p, sizeof(p), "%s/s", dir);
	unlink(p);
	rmdir(dir);
}

static struct netdev *add_stream(const struct vm_prop *props)
{
	struct vm_error *err = NULL;
	int rc;

	rc = vm_add_netdev(vm, "stream", "s0", props, &err);
	ck_assert_msg(rc == 0, "%s", vm_error_message(err));
	rc = vm_realize_objects(vm, &err);
	ck_assert_msg(rc == 0, "%s", vm_error_message(err));
	return to_netdev(vm_obj_find(vm, "s0"));
}

static void expect_realize_err(const struct vm_prop *props, int code,
			       const char *text)
{
	struct vm_error *err = NULL;

	ck_assert_int_eq(vm_add_netdev(vm, "stream", "s0", props, &err), 0);
	ck_assert_int_eq(vm_realize_objects(vm, &err), code);
	ck_assert_msg(strstr(vm_error_message(err), text),
		      "message \"%s\" lacks \"%s\"", vm_error_message(err),
		      text);
	vm_error_free(err);
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* Receive one frame, waiting up to 2 s for the rx fd between tries. */
static ssize_t recv_wait(struct netdev *nd, void *buf, size_t len)
{
	struct iovec iov = { buf, len };
	ssize_t r = -EAGAIN;

	for (int i = 0; i < 20 && r == -EAGAIN; i++) {
		r = netdev_recv(nd, 0, &iov, 1);
		if (r == -EAGAIN)
			readable(netdev_rx_fd(nd, 0), 100);
	}
	return r;
}

static ssize_t send1(struct netdev *nd, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	return netdev_send(nd, 0, &iov, 1);
}

/* Read exactly @len bytes from @fd (blocking, 2 s at most). */
static void read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r;

		ck_assert(readable(fd, 2000));
		r = read(fd, (char *)buf + got, len - got);
		ck_assert_int_gt(r, 0);
		got += (size_t)r;
	}
}

/* The peer's side: expect one framed frame equal to @f. */
static void peer_expect(int fd, const void *f, uint32_t len)
{
	uint8_t buf[2048];
	uint32_t be;

	read_all(fd, &be, 4);
	ck_assert_uint_eq(be32toh(be), len);
	ck_assert_uint_le(len, sizeof(buf));
	read_all(fd, buf, len);
	ck_assert_mem_eq(buf, f, len);
}

static void peer_send(int fd, const void *f, uint32_t len)
{
	uint32_t be = htobe32(len);

	ck_assert_int_eq(write(fd, &be, 4), 4);
	ck_assert_int_eq(write(fd, f, len), (ssize_t)len);
}

static void fd_prop(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "%d", fd);
}

/* ---- rows ---- */

START_TEST(test_fd_frames_both_ways)
{
	int sp[2];
	char fds[16];
	uint8_t f[100], got[2048];
	uint32_t be;
	struct netdev *nd;
	struct iovec two[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	fd_prop(sp[0], fds, sizeof(fds));
	nd = add_stream(PROPS({ "fd", fds }));
	close(sp[0]); /* dup'ed */
	ck_assert_uint_eq(nd->queues, 1);
	ck_assert(nd->caps & NETDEV_CAP_RX_FD);
	for (unsigned i = 0; i < sizeof(f); i++)
		f[i] = (uint8_t)(i + 1);
	/* guest -> peer, from two iovecs */
	two[0] = (struct iovec){ f, 30 };
	two[1] = (struct iovec){ f + 30, 70 };
	ck_assert_int_eq(netdev_send(nd, 0, two, 2), 100);
	peer_expect(sp[1], f, 100);
	/* peer -> guest, the length split and the frame in two writes */
	be = htobe32(100);
	ck_assert_int_eq(write(sp[1], &be, 2), 2);
	ck_assert_int_eq(recv_wait(nd, got, sizeof(got)), -EAGAIN);
	ck_assert_int_eq(write(sp[1], (uint8_t *)&be + 2, 2), 2);
	ck_assert_int_eq(write(sp[1], f, 40), 40);
	ck_assert_int_eq(netdev_recv(nd, 0, &(struct iovec){ got, sizeof(got) }, 1),
			 -EAGAIN);
	ck_assert_int_eq(write(sp[1], f + 40, 60), 60);
	ck_assert_int_eq(recv_wait(nd, got, sizeof(got)), 100);
	ck_assert_mem_eq(got, f, 100);
	/* two frames in one go: the second is still readable after the
	 * first is taken (nothing read ahead) */
	peer_send(sp[1], f, 10);
	peer_send(sp[1], f + 10, 20);
	ck_assert_int_eq(recv_wait(nd, got, sizeof(got)), 10);
	ck_assert(readable(netdev_rx_fd(nd, 0), 0));
	ck_assert_int_eq(recv_wait(nd, got, sizeof(got)), 20);
	ck_assert_mem_eq(got, f + 10, 20);
	ck_assert(!readable(netdev_rx_fd(nd, 0), 0));
	close(sp[1]);
}
END_TEST

/* A length of 0 (or above the largest frame) disconnects: one receive
 * error, then the guest's frames are refused. */
START_TEST(test_bad_length_and_eof_disconnect)
{
	int sp[2];
	char fds[16];
	uint8_t got[64];
	uint32_t zero = 0;
	struct netdev *nd;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	fd_prop(sp[0], fds, sizeof(fds));
	nd = add_stream(PROPS({ "fd", fds }));
	close(sp[0]);
	ck_assert_int_eq(write(sp[1], &zero, 4), 4);
	ck_assert_int_eq(recv_wait(nd, got, sizeof(got)), -EPROTO);
	ck_assert_int_eq(send1(nd, got, 60), -ENOTCONN);
	ck_assert_int_eq(netdev_tx_fd(nd, 0), -ENOTSUP);
	close(sp[1]);
}
END_TEST

/* A peer that leaves: one receive error, then quiet. */
START_TEST(test_eof_counts_one_error)
{
	int sp[2];
	char fds[16];
	uint8_t got[64];
	struct netdev *nd;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	fd_prop(sp[0], fds, sizeof(fds));
	nd = add_stream(PROPS({ "fd", fds }));
	close(sp[0]);
	close(sp[1]);
	ck_assert_int_eq(recv_wait(nd, got, sizeof(got)), -ECONNRESET);
	/* nothing left to poll: the device is not woken again */
	ck_assert(!readable(netdev_rx_fd(nd, 0), 0));
	ck_assert_int_eq(send1(nd, got, 60), -ENOTCONN);
}
END_TEST

/* A socket that takes only part of a frame: the rest is kept and sent
 * first, later frames wait (-EAGAIN); every frame arrives whole, in
 * order, none lost. */
START_TEST(test_short_writes_lose_nothing)
{
	enum { N = 400, LEN = 1500 };
	int sp[2], sz = 4096;
	char fds[16];
	static uint8_t f[LEN], got[LEN];
	struct netdev *nd;
	unsigned sent = 0, recvd = 0, eagain = 0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz,
				    sizeof(sz)), 0);
	ck_assert_int_eq(setsockopt(sp[1], SOL_SOCKET, SO_RCVBUF, &sz,
				    sizeof(sz)), 0);
	fd_prop(sp[0], fds, sizeof(fds));
	nd = add_stream(PROPS({ "fd", fds }));
	close(sp[0]);
	while (recvd < N) {
		while (sent < N) {
			ssize_t r;

			memset(f, (int)(sent & 0xff), LEN);
			memcpy(f, &sent, sizeof(sent));
			r = send1(nd, f, LEN);
			if (r == -EAGAIN) {
				eagain++;
				break;
			}
			ck_assert_int_eq(r, LEN);
			sent++;
		}
		/* the peer reads one frame */
		if (recvd < sent) {
			uint32_t be, v;

			read_all(sp[1], &be, 4);
			ck_assert_uint_eq(be32toh(be), LEN);
			read_all(sp[1], got, LEN);
			memcpy(&v, got, sizeof(v));
			ck_assert_uint_eq(v, recvd);
			ck_assert_uint_eq(got[LEN - 1], recvd & 0xff);
			recvd++;
		} else if (sent < N) {
			/* everything sent was read: the rest must go now */
			ck_assert(poll(&(struct pollfd){ netdev_tx_fd(nd, 0),
							 POLLOUT, 0 }, 1, 2000) == 1);
		}
	}
	ck_assert_uint_gt(eagain, 0); /* the buffer did fill */
	close(sp[1]);
}
END_TEST

/* The last frame of a burst taken in part: the rest must reach the peer
 * with no further frame from the guest (passt, say, waits for the whole
 * frame; the guest waits for its answer). The netdev says -EAGAIN, the
 * device polls the tx fd writable and offers the same frame again, and
 * that call sends the rest and takes it: the peer gets it whole, once. */
START_TEST(test_short_write_rest_goes_without_another_frame)
{
	enum { LEN = 60000 };
	int sp[2], sz = 4096, tries = 0;
	char fds[16];
	static uint8_t f[LEN], got[4 + LEN + 1];
	size_t have = 0;
	struct netdev *nd;
	ssize_t r;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz,
				    sizeof(sz)), 0);
	fd_prop(sp[0], fds, sizeof(fds));
	nd = add_stream(PROPS({ "fd", fds }));
	close(sp[0]);
	for (size_t i = 0; i < LEN; i++)
		f[i] = (uint8_t)(i * 7);
	r = send1(nd, f, LEN); /* a 4 KiB send buffer takes part of it */
	/* the device: wait for the tx fd, offer the frame again; the peer
	 * reads what came meanwhile */
	while (r == -EAGAIN && tries++ < 1000) {
		ssize_t n = recv(sp[1], got + have, sizeof(got) - have,
				 MSG_DONTWAIT);

		if (n > 0)
			have += (size_t)n;
		if (poll(&(struct pollfd){ netdev_tx_fd(nd, 0), POLLOUT, 0 },
			 1, 100) == 1)
			r = send1(nd, f, LEN);
	}
	ck_assert_int_eq(r, LEN);
	while (have < 4 + LEN && readable(sp[1], 2000)) {
		ssize_t n = recv(sp[1], got + have, sizeof(got) - have, 0);

		ck_assert_int_gt(n, 0);
		have += (size_t)n;
	}
	ck_assert_uint_eq(have, 4 + LEN); /* whole, and nothing more */
	ck_assert_uint_eq(be32toh(*(uint32_t *)got), LEN);
	ck_assert(!memcmp(got + 4, f, LEN));
	ck_assert(!readable(sp[1], 100));
	ck_assert_int_gt(tries, 0); /* it did not go in one write */
	close(sp[1]);
}
END_TEST

/* server=on over UNIX: listens at addr.path, takes one peer, takes the
 * next once it left, removes the path at unrealize. */
START_TEST(test_unix_server_accepts_again)
{
	char path[128];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t f[60], got[2048];
	struct netdev *nd;
	struct stat st;
	int c;

	snprintf(path, sizeof(path), "%s/s", dir);
	nd = add_stream(PROPS({ "server", "on" }, { "addr.type", "unix" },
			      { "addr.path", path }));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	memset(f, 0x42, sizeof(f));
	ck_assert_int_eq(send1(nd, f, 60), -ENOTCONN); /* no peer yet */
	strcpy(sa.sun_path, path);
	for (int round = 0; round < 2; round++) {
		c = socket(AF_UNIX, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
		ck_assert(readable(netdev_rx_fd(nd, 0), 2000)); /* the accept */
		peer_send(c, f, 60);
		ck_assert_int_eq(recv_wait(nd, got, sizeof(got)), 60);
		ck_assert_int_eq(send1(nd, f, 60), 60);
		peer_expect(c, f, 60);
		close(c);
		ck_assert_int_eq(recv_wait(nd, got, sizeof(got)), -ECONNRESET);
	}
	vm_unrealize_objects(vm);
	ck_assert_int_ne(stat(path, &st), 0);
}
END_TEST

/* ---- reconnect= ---- */

static unsigned link_downs, link_ups;

static void link_rec(void *opaque, bool up)
{
	__atomic_add_fetch(up ? &link_ups : &link_downs, 1, __ATOMIC_ACQ_REL);
}

static bool wait_count(unsigned *c, unsigned want, int ms)
{
	for (int i = 0; i < ms && __atomic_load_n(c, __ATOMIC_ACQUIRE) < want;
	     i++)
		usleep(1000);
	return __atomic_load_n(c, __ATOMIC_ACQUIRE) >= want;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(l, 0);
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	return l;
}

/* One frame each way between the netdev and peer @c. */
static void both_ways(struct netdev *nd, int c, uint8_t tag)
{
	uint8_t f[60], got[2048];

	memset(f, tag, sizeof(f));
	ck_assert_int_eq(send1(nd, f, 60), 60);
	peer_expect(c, f, 60);
	peer_send(c, f, 60);
	ck_assert_int_eq(recv_wait(nd, got, sizeof(got)), 60);
	ck_assert_mem_eq(got, f, 60);
}

/* reconnect=1 (a client): the UNIX server goes away, the link goes down
 * and frames are refused; attempts against nobody change nothing; the
 * server comes back on the same path, the client is connected again
 * within about a second, the link comes up and frames flow both ways. */
START_TEST(test_unix_client_reconnects)
{
	char path[128];
	uint8_t f[60] = { 0 }, got[2048];
	struct netdev *nd;
	int l, c;

	link_downs = link_ups = 0;
	snprintf(path, sizeof(path), "%s/s", dir);
	l = listen_unix(path);
	nd = add_stream(PROPS({ "addr.type", "unix" }, { "addr.path", path },
			      { "reconnect", "1" }));
	ck_assert(nd->caps & NETDEV_CAP_LINK);
	netdev_set_link_notify(nd, link_rec, NULL);
	c = accept(l, NULL, NULL);
	ck_assert_int_ge(c, 0);
	both_ways(nd, c, 0x11);
	/* the server goes away */
	close(c);
	close(l);
	unlink(path);
	ck_assert_int_eq(recv_wait(nd, got, sizeof(got)), -ECONNRESET);
	ck_assert(wait_count(&link_downs, 1, 2000));
	ck_assert_int_eq(send1(nd, f, 60), -ENOTCONN);
	usleep(1300 * 1000); /* at least one attempt finds no one */
	ck_assert_uint_eq(__atomic_load_n(&link_ups, __ATOMIC_ACQUIRE), 0);
	/* ... and comes back */
	l = listen_unix(path);
	ck_assert_msg(readable(l, 5000), "no reconnect within 5 s");
	c = accept(l, NULL, NULL);
	ck_assert_int_ge(c, 0);
	ck_assert(wait_count(&link_ups, 1, 2000));
	both_ways(nd, c, 0x22);
	ck_assert_uint_eq(link_downs, 1);
	netdev_set_link_notify(nd, NULL, NULL);
	vm_unrealize_objects(vm); /* joins the reconnect thread */
	close(c);
	close(l);
}
END_TEST

/* server=off over TCP: connects to a listener of the test's on
 * 127.0.0.1 (addr.host defaults to it). */
START_TEST(test_inet_client)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	char port[16];
	uint8_t f[80], got[2048];
	struct netdev *nd;
	int l = socket(AF_INET, SOCK_STREAM, 0), c;

	ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sa, &sl), 0);
	snprintf(port, sizeof(port), "%u", ntohs(sa.sin_port));
	nd = add_stream(PROPS({ "addr.type", "inet" }, { "addr.port", port }));
	c = accept(l, NULL, NULL);
	ck_assert_int_ge(c, 0);
	memset(f, 0x17, sizeof(f));
	ck_assert_int_eq(send1(nd, f, sizeof(f)), sizeof(f));
	peer_expect(c, f, sizeof(f));
	peer_send(c, f, 33);
	ck_assert_int_eq(recv_wait(nd, got, sizeof(got)), 33);
	close(c);
	close(l);
}
END_TEST

START_TEST(test_config_errors)
{
	int p[2];
	char fds[16], path[128];
	const struct {
		struct vm_prop props[5];
		int code;
		const char *text;
	} rows[] = {
		{ { { "server", "off" } }, -EINVAL,
		  "netdev 's0': give addr.type (unix or inet) or fd" },
		{ { { "addr.type", "vsock" } }, -EINVAL,
		  "addr.type 'vsock' is not unix or inet" },
		{ { { "addr.type", "unix" } }, -EINVAL,
		  "addr.type=unix needs addr.path" },
		{ { { "addr.type", "inet" } }, -EINVAL,
		  "addr.type=inet needs addr.port" },
		{ { { "addr.type", "inet" }, { "addr.port", "http" } }, -EINVAL,
		  "addr.port 'http' is not a port number" },
		{ { { "addr.type", "inet" }, { "addr.host", "localhost" },
		    { "addr.port", "1" } },
		  -EINVAL, "'localhost' is not an IPv4 or IPv6 address" },
		{ { { "addr.type", "unix" }, { "addr.path", path } }, -ENOENT,
		  "connect to" },
		{ { { "fd", fds } }, -EINVAL, "is not a stream socket" },
		{ { { "fd", fds }, { "server", "on" } }, -EINVAL,
		  "fd= excludes addr.type and server" },
		{ { { "addr.type", "unix" }, { "addr.path", path },
		    { "server", "on" }, { "reconnect", "1" } },
		  -EINVAL, "reconnect= is for a client (not with server=on)" },
		{ { { "fd", fds }, { "reconnect", "1" } }, -EINVAL,
		  "reconnect= is for a client (not with fd=)" },
	};

	snprintf(path, sizeof(path), "%s/nobody-here", dir);
	ck_assert_int_eq(pipe(p), 0);
	fd_prop(p[0], fds, sizeof(fds));
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vm_config cfg = VM_CONFIG_INIT;

		expect_realize_err(rows[i].props, rows[i].code, rows[i].text);
		vm_destroy(vm);
		ck_assert_int_eq(vm_create(&cfg, &vm, NULL), 0);
	}
	close(p[0]);
	close(p[1]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("stream");
	TCase *tc = tcase_create("stream");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fd_frames_both_ways);
	tcase_add_test(tc, test_bad_length_and_eof_disconnect);
	tcase_add_test(tc, test_eof_counts_one_error);
	tcase_add_test(tc, test_short_writes_lose_nothing);
	tcase_add_test(tc, test_short_write_rest_goes_without_another_frame);
	tcase_add_test(tc, test_unix_server_accepts_again);
	tcase_add_test(tc, test_inet_client);
	tcase_add_test(tc, test_unix_client_reconnects);
	tcase_add_test(tc, test_config_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
