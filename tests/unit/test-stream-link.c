/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-stream-link.c: virtio-net-pci's link follows a
 * reconnecting "stream" netdev (reconnect=1): with the mock guest driving
 * the NIC (tests/unit/mock/net-vm.h) and a UNIX server of the test's, the
 * server going away takes the guest's link down (config interrupt, the
 * guest's frames dropped and counted as link-down drops), and its return
 * brings the link up with the guest's next frame reaching the new peer;
 * and a client whose server is not there yet at realize: it starts (link
 * down from the first, the guest's frames dropped) and the link comes up
 * when the server appears.
 */
#include <check.h>
#include <endian.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "mock/net-vm.h"
#include "virtio/pci-modern.h"
#include "vm.h"
#include "check-main.h"

#define BIT(b) (1ull << (b))
#define HDR 12u
#define PROPS(...) ((const struct vm_prop[]){ __VA_ARGS__, { NULL, NULL } })
#define WANTED                                                                \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) |                    \
	 BIT(VIRTIO_NET_F_STATUS))

static struct net_vm t;
static char dir[64], path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kv-stlink-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
}

static void teardown(void)
{
	if (t.vm)
		net_vm_destroy(&t);
	unlink(path);
	rmdir(dir);
}

static int listen_at(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, path);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	return l;
}

static struct vm_net_stats stats(void)
{
	struct vm_net_stats st = VM_NET_STATS_INIT;

	ck_assert_int_eq(vm_net_get_stats(t.vm, "net0", &st, NULL), 0);
	return st;
}

static bool link_becomes(uint32_t up)
{
	for (int i = 0; i < 3000; i++) {
		if (stats().link_up == up)
			return true;
		usleep(1000);
	}
	return false;
}

/* The status field of the device's config, as the guest reads it. */
static unsigned guest_status(void)
{
	return virtio_bar_rd(&t.vbar, VIO_PCI_DEVICE_OFF +
			     offsetof(struct virtio_net_config, status), 2);
}

/* The guest sends one 60-byte frame whose first byte is @tag. */
static void guest_tx(uint8_t tag)
{
	uint64_t b = guest_alloc(&t.gm, HDR + 60, 16);
	uint8_t *p = guest_ptr(&t.gm, b, HDR + 60);

	memset(p, 0, HDR + 60);
	p[HDR] = tag;
	vring_drv_publish(&t.ring[1], vring_drv_add_chain(&t.ring[1],
		(const struct vring_drv_buf[]){ { b, HDR + 60, false } }, 1));
	virtio_drv_kick(&t.vd, 1);
}

/* The peer reads one framed frame and returns its first byte. */
static int peer_read(int c)
{
	struct pollfd p = { .fd = c, .events = POLLIN };
	uint8_t buf[4 + 60];
	size_t got = 0;

	while (got < sizeof(buf)) {
		ssize_t r;

		if (poll(&p, 1, 2000) != 1)
			return -1;
		r = read(c, buf + got, sizeof(buf) - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	ck_assert_uint_eq(be32toh(*(uint32_t *)buf), 60);
	return buf[4];
}

/* A server appears at the path: the netdev connects within 5 s, the link
 * comes up (the guest's status too), a frame of @byte from the guest
 * reaches it and tx_packets reaches @tx_total; then all is torn down. */
static void server_appears_and_carries(int byte, uint64_t tx_total)
{
	struct pollfd p = { .events = POLLIN };
	int l = listen_at(), c;

	p.fd = l;
	ck_assert_msg(poll(&p, 1, 5000) == 1, "no connect within 5 s");
	c = accept(l, NULL, NULL);
	ck_assert_msg(link_becomes(1), "link not up");
	ck_assert_uint_eq(guest_status() & VIRTIO_NET_S_LINK_UP,
			  VIRTIO_NET_S_LINK_UP);
	guest_tx(byte);
	ck_assert_int_eq(peer_read(c), byte);
	/* counted once the burst is done, just after the peer has it */
	for (int i = 0; i < 2000 && stats().tx_packets < tx_total; i++)
		usleep(1000);
	ck_assert_uint_eq(stats().tx_packets, tx_total);
	net_vm_destroy(&t);
	close(c);
	close(l);
}

/* The guest's frame of @tag is dropped while the link is down. */
static void guest_tx_dropped(uint8_t tag)
{
	guest_tx(tag);
	for (int i = 0; i < 2000 && stats().tx_drop_link_down < 1; i++)
		usleep(1000);
	ck_assert_uint_eq(stats().tx_drop_link_down, 1);
}

/* The VM both reconnect tests use: a stream client of @path with
 * reconnect=1 and a virtio-net-pci on it, realized. */
static void build_reconnecting_vm(void)
{
	struct vm_error *err = NULL;
	int rc;

	net_vm_build(&t, "stream",
		     PROPS({ "addr.type", "unix" }, { "addr.path", path },
			   { "reconnect", "1" }),
		     PROPS({ "netdev", "v0" }, { "id", "net0" }));
	rc = vm_realize_objects(t.vm, &err);
	ck_assert_msg(rc == 0, "%s", vm_error_message(err));
}

START_TEST(test_link_follows_the_peer)
{
	unsigned msis;
	int l, c;

	l = listen_at();
	build_reconnecting_vm();
	c = accept(l, NULL, NULL);
	net_vm_find(&t);
	net_vm_probe(&t, WANTED, 2);
	/* rx buffers: the device reads the socket (and sees it close) */
	for (int i = 0; i < 8; i++) {
		uint64_t b = guest_alloc(&t.gm, 2048, 64);

		vring_drv_publish(&t.ring[0], vring_drv_add_chain(&t.ring[0],
			(const struct vring_drv_buf[]){ { b, 2048, true } }, 1));
	}
	virtio_drv_kick(&t.vd, 0);
	ck_assert_uint_eq(stats().link_up, 1);
	guest_tx(0x11);
	ck_assert_int_eq(peer_read(c), 0x11);

	msis = __atomic_load_n(&t.rec.msis, __ATOMIC_ACQUIRE);
	close(c);
	close(l);
	unlink(path);
	ck_assert_msg(link_becomes(0), "link still up with the server gone");
	ck_assert_uint_gt(__atomic_load_n(&t.rec.msis, __ATOMIC_ACQUIRE),
			  msis); /* the config interrupt */
	guest_tx_dropped(0x22); /* link down */

	server_appears_and_carries(0x33, 2);
}
END_TEST

/* No server at realize: realize succeeds, the link is down from the
 * start, and comes up once a server appears (reconnect=1: within ~1 s). */
START_TEST(test_first_connect_fails_link_starts_down)
{
	build_reconnecting_vm();
	net_vm_find(&t);
	net_vm_probe(&t, WANTED, 2);
	ck_assert_uint_eq(stats().link_up, 0);
	ck_assert_uint_eq(guest_status() & VIRTIO_NET_S_LINK_UP, 0);
	guest_tx_dropped(0x44); /* no peer */

	/* the server appears late: the netdev has tried (and failed) at
	 * least once more meanwhile */
	usleep(1200 * 1000);
	ck_assert_uint_eq(stats().link_up, 0);
	server_appears_and_carries(0x55, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stream-link");
	TCase *tc = tcase_create("reconnect");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_link_follows_the_peer);
	tcase_add_test(tc, test_first_connect_fails_link_starts_down);
	suite_add_tcase(s, tc);
	return check_run(s);
}
