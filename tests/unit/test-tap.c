/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-tap.c: the "tap" netdev against the kernel's TUN/TAP
 * driver. Every test runs in its own forked child that first enters a new,
 * private network namespace (unshare(CLONE_NEWNET)): the taps it creates
 * and the frames it sends exist only there and vanish with the child.
 * Skips (77) only where that is impossible: not root or no /dev/net/tun.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <kvm-virtio.h>

#include "net/netdev.h"
#include "vm.h"
#include "check-main.h"

#define PROPS(...) ((const struct vm_prop[]){ __VA_ARGS__, { NULL, NULL } })

static struct vm *vm;

static void setup(void)
{
	struct vm_config cfg = VM_CONFIG_INIT;

	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	ck_assert_int_eq(vm_create(&cfg, &vm, NULL), 0);
}

static void teardown(void)
{
	vm_destroy(vm);
}

static struct netdev *add_tap(const struct vm_prop *props)
{
	struct vm_error *err = NULL;
	int rc;

	rc = vm_add_netdev(vm, "tap", "t0", props, &err);
	ck_assert_msg(rc == 0, "%s", vm_error_message(err));
	rc = vm_realize_objects(vm, &err);
	ck_assert_msg(rc == 0, "%s", vm_error_message(err));
	return to_netdev(vm_obj_find(vm, "t0"));
}

static void no_ipv6(const char *name);

/* Up, with IPv6 off on it when the host has IPv6: otherwise the kernel
 * sends its own MLD/RS frames on the new interface, whatever the host's
 * defaults, and a test reading "the next frame" reads one of those. */
static void link_up(const char *name)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	no_ipv6(name);
	ck_assert_int_ge(s, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ck_assert_int_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	ck_assert_int_eq(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
}

/* Keep the kernel's own IPv6 frames (MLD, router solicitations) off an
 * interface whose frames a test counts. No IPv6 at all is fine too. */
static void no_ipv6(const char *name)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 name);
	f = fopen(path, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
}

START_TEST(test_tap_creates_named_interface_and_removes_it)
{
	struct netdev *nd = add_tap(PROPS({ "ifname", "kvt0" }));

	ck_assert_uint_ne(if_nametoindex("kvt0"), 0);
	ck_assert_uint_eq(nd->queues, 1);
	ck_assert(nd->caps & NETDEV_CAP_VNET_HDR);
	ck_assert(nd->caps & NETDEV_CAP_RX_FD);
	/* offloads probed with TUNSETOFFLOAD: every kernel here takes
	 * checksum and TSO both ways */
	ck_assert(nd->offloads & (1ull << VIRTIO_NET_F_CSUM));
	ck_assert(nd->offloads & (1ull << VIRTIO_NET_F_HOST_TSO4));
	ck_assert(nd->offloads & (1ull << VIRTIO_NET_F_GUEST_CSUM));
	ck_assert(nd->offloads & (1ull << VIRTIO_NET_F_GUEST_TSO4));
	ck_assert_int_eq(netdev_set_offload(nd, nd->offloads), 0);
	ck_assert_int_ge(netdev_rx_fd(nd, 0), 0);
	ck_assert_int_eq(netdev_rx_fd(nd, 1), -EINVAL);
	vm_unrealize_objects(vm);
	/* Not persistent: the interface goes with its last fd. */
	ck_assert_uint_eq(if_nametoindex("kvt0"), 0);
}
END_TEST

START_TEST(test_tap_multiqueue_opens_one_fd_per_queue)
{
	struct netdev *nd = add_tap(PROPS({ "ifname", "kvt1" }, { "queues", "4" }));

	ck_assert_uint_eq(nd->queues, 4);
	/* the guest's VQ_PAIRS_SET: queues 2 and 3 detached, then back */
	ck_assert_int_eq(netdev_set_queues(nd, 2), 0);
	ck_assert_int_eq(netdev_set_queues(nd, 4), 0);
	ck_assert_int_eq(netdev_set_queues(nd, 5), -EINVAL);
	for (unsigned q = 0; q < 4; q++)
		ck_assert_int_ge(netdev_rx_fd(nd, q), 0);
	ck_assert_int_ne(netdev_rx_fd(nd, 0), netdev_rx_fd(nd, 3));
}
END_TEST

START_TEST(test_tap_kernel_picks_a_name_when_none_given)
{
	struct netdev *nd = add_tap(NULL);

	ck_assert_uint_eq(nd->queues, 1);
	ck_assert_uint_ne(if_nametoindex("tap0"), 0);
}
END_TEST

START_TEST(test_tap_rejects_long_ifname)
{
	struct vm_error *err = NULL;

	ck_assert_int_eq(vm_add_netdev(vm, "tap", "t0",
				       PROPS({ "ifname", "0123456789abcdefg" }),
				       NULL), 0);
	ck_assert_int_eq(vm_realize_objects(vm, &err), -EINVAL);
	ck_assert(strstr(vm_error_message(err),
			 "netdev 't0': ifname '0123456789abcdefg' is longer than 15 characters"));
	vm_error_free(err);
}
END_TEST

/* QEMU's "-netdev tap,...,script=no,downscript=no" works verbatim; a real
 * script is refused by name (below), since the library never runs one. */
START_TEST(test_tap_script_no_is_accepted)
{
	ck_assert_ptr_nonnull(add_tap(PROPS({ "script", "no" },
					    { "downscript", "no" })));
}
END_TEST

START_TEST(test_tap_script_other_than_no_is_refused)
{
	struct vm_error *err = NULL;

	ck_assert_int_eq(vm_add_netdev(vm, "tap", "t1",
				       PROPS({ "script", "/etc/qemu-ifup" }),
				       NULL), 0);
	ck_assert_int_eq(vm_realize_objects(vm, &err), -ENOTSUP);
	ck_assert_str_eq(vm_error_message(err),
			 "netdev 't1': script='/etc/qemu-ifup': the library never runs scripts (only script=no is accepted)");
	vm_error_free(err);
}
END_TEST

START_TEST(test_tap_downscript_other_than_no_is_refused)
{
	struct vm_error *err = NULL;

	ck_assert_int_eq(vm_add_netdev(vm, "tap", "t0",
				       PROPS({ "downscript", "yes" }), NULL), 0);
	ck_assert_int_eq(vm_realize_objects(vm, &err), -ENOTSUP);
	ck_assert(strstr(vm_error_message(err), "netdev 't0': downscript='yes'"));
	vm_error_free(err);
}
END_TEST

START_TEST(test_tap_takes_a_caller_fd_and_dups_it)
{
	struct ifreq ifr;
	char num[16];
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	struct netdev *nd;

	ck_assert_int_ge(fd, 0);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "kvt2");
	ck_assert_int_eq(ioctl(fd, TUNSETIFF, &ifr), 0);
	snprintf(num, sizeof(num), "%d", fd);
	nd = add_tap(PROPS({ "fd", num }));
	ck_assert_int_ne(netdev_rx_fd(nd, 0), fd);
	vm_unrealize_objects(vm);
	ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC); /* ours still open */
	close(fd);
}
END_TEST

START_TEST(test_tap_fd_with_queues_is_an_error)
{
	struct vm_error *err = NULL;

	ck_assert_int_eq(vm_add_netdev(vm, "tap", "t0",
				       PROPS({ "fd", "0" }, { "queues", "2" }), NULL),
			 0);
	ck_assert_int_eq(vm_realize_objects(vm, &err), -EINVAL);
	ck_assert(strstr(vm_error_message(err), "fd= gives one queue, queues=2 asked"));
	vm_error_free(err);
}
END_TEST

/* An fd opened with these TUNSETIFF flags (0: not set up at all). */
static int tun_fd(short flags, const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	if (!flags)
		return fd;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ck_assert_int_eq(ioctl(fd, TUNSETIFF, &ifr), 0);
	return fd;
}

/* realize of netdev "t0" with fd= @fd (and vnet_hdr= unless NULL) fails. */
static void expect_fd_refused(int fd, const char *vnet_hdr, const char *text)
{
	struct vm_error *err = NULL;
	char num[16];

	snprintf(num, sizeof(num), "%d", fd);
	if (vnet_hdr)
		ck_assert_int_eq(vm_add_netdev(vm, "tap", "t0",
					       PROPS({ "fd", num }, { "vnet_hdr", vnet_hdr }),
					       NULL), 0);
	else
		ck_assert_int_eq(vm_add_netdev(vm, "tap", "t0",
					       PROPS({ "fd", num }), NULL), 0);
	ck_assert_int_eq(vm_realize_objects(vm, &err), -EINVAL);
	ck_assert_msg(strstr(vm_error_message(err), text),
		      "message \"%s\" lacks \"%s\"", vm_error_message(err), text);
	vm_error_free(err);
}

START_TEST(test_tap_fd_that_is_a_pipe_is_refused)
{
	int p[2];
	char text[64];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	snprintf(text, sizeof(text), "netdev 't0': fd %d is not a TAP device", p[0]);
	expect_fd_refused(p[0], NULL, text);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_tap_fd_that_is_a_tun_is_refused)
{
	int fd = tun_fd(IFF_TUN | IFF_NO_PI, "kvtun0");

	expect_fd_refused(fd, NULL, "is a TUN device ('kvtun0'), not a TAP");
	close(fd);
}
END_TEST

START_TEST(test_tap_fd_not_attached_is_refused)
{
	int fd = tun_fd(0, NULL); /* /dev/net/tun, no TUNSETIFF yet */

	expect_fd_refused(fd, NULL, "is not a TAP device (TUNGETIFF:");
	close(fd);
}
END_TEST

START_TEST(test_tap_fd_vnet_hdr_follows_the_fd_unless_given)
{
	int fd = tun_fd(IFF_TAP | IFF_NO_PI, "kvt4"); /* no IFF_VNET_HDR */
	struct netdev *nd;
	char num[16], buf[8];

	snprintf(num, sizeof(num), "%d", fd);
	nd = add_tap(PROPS({ "fd", num }));
	ck_assert(!(nd->caps & NETDEV_CAP_VNET_HDR));
	vm_obj_get_prop(&nd->obj, "vnet_hdr", buf, sizeof(buf));
	ck_assert_str_eq(buf, "off");
	vm_destroy(vm);
	ck_assert_int_eq(vm_create(&(struct vm_config)VM_CONFIG_INIT, &vm, NULL), 0);
	expect_fd_refused(fd, "on", "TAP 'kvt4' was opened without IFF_VNET_HDR but vnet_hdr=on");
	close(fd);
}
END_TEST

/* A frame from the netdev reaches the interface, and one sent on the
 * interface comes back out of netdev_recv(), with the vnet header. */
START_TEST(test_tap_frames_flow_both_ways_with_vnet_header)
{
	struct netdev *nd = add_tap(PROPS({ "ifname", "kvt3" }));
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct sockaddr_ll sll;
	unsigned char frame[64], buf[2048];
	struct pollfd pfd;
	struct iovec iov[2];
	ssize_t n;
	int ps;

	ck_assert_int_eq(netdev_set_vnet_hdr_len(nd, sizeof(hdr)), 0);
	link_up("kvt3");
	ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(0x88b5));
	ck_assert_int_ge(ps, 0);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(0x88b5); /* local experimental ethertype */
	sll.sll_ifindex = (int)if_nametoindex("kvt3");
	ck_assert_int_eq(bind(ps, (struct sockaddr *)&sll, sizeof(sll)), 0);

	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, 6);                          /* broadcast */
	memcpy(frame + 6, "\x52\x54\x00\x12\x34\x56", 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	memcpy(frame + 14, "guest->host", 11);
	memset(&hdr, 0, sizeof(hdr));
	iov[0] = (struct iovec){ &hdr, sizeof(hdr) };
	iov[1] = (struct iovec){ frame, sizeof(frame) };
	ck_assert_int_eq(netdev_send(nd, 0, iov, 2), sizeof(hdr) + sizeof(frame));
	pfd = (struct pollfd){ .fd = ps, .events = POLLIN };
	ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	n = recv(ps, buf, sizeof(buf), 0);
	ck_assert_int_eq(n, sizeof(frame));
	ck_assert(!memcmp(buf + 14, "guest->host", 11));

	memcpy(frame + 14, "host->guest", 11);
	ck_assert_int_eq(sendto(ps, frame, sizeof(frame), 0,
				(struct sockaddr *)&sll, sizeof(sll)), sizeof(frame));
	/* Ours is the frame with our ethertype; anything the kernel sent on
	 * its own before IPv6 was off is skipped. */
	iov[1] = (struct iovec){ buf, sizeof(buf) };
	for (int tries = 0; tries < 20; tries++) {
		pfd = (struct pollfd){ .fd = netdev_rx_fd(nd, 0), .events = POLLIN };
		ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
		n = netdev_recv(nd, 0, iov, 2);
		if (n >= (ssize_t)sizeof(hdr) + 14 && buf[12] == 0x88 &&
		    buf[13] == 0xb5)
			break;
	}
	ck_assert_int_eq(n, sizeof(hdr) + sizeof(frame));
	ck_assert(!memcmp(buf + 14, "host->guest", 11));
	ck_assert_int_eq(netdev_recv(nd, 0, iov, 2), -EAGAIN); /* non-blocking */

	/* A batch goes out in order, one frame each. */
	{
		struct iovec b[3][2];
		struct netdev_frame f[3];
		unsigned char fr[3][64];

		for (int i = 0; i < 3; i++) {
			memcpy(fr[i], frame, sizeof(frame));
			fr[i][14] = (unsigned char)('a' + i);
			b[i][0] = (struct iovec){ &hdr, sizeof(hdr) };
			b[i][1] = (struct iovec){ fr[i], sizeof(fr[i]) };
			f[i] = (struct netdev_frame){ b[i], 2 };
		}
		ck_assert_int_eq(netdev_send_batch(nd, 0, f, 3), 3);
		for (int i = 0; i < 3; i++) {
			pfd = (struct pollfd){ .fd = ps, .events = POLLIN };
			ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
			ck_assert_int_eq(recv(ps, buf, sizeof(buf), 0), sizeof(frame));
			ck_assert_int_eq(buf[14], 'a' + i);
		}
	}
	close(ps);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tap");
	TCase *tc = tcase_create("tap");
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("1..0 # SKIP cannot open /dev/net/tun: %s\n", strerror(errno));
		return 77;
	}
	close(fd);
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root to create a network namespace\n");
		return 77;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_tap_creates_named_interface_and_removes_it);
	tcase_add_test(tc, test_tap_multiqueue_opens_one_fd_per_queue);
	tcase_add_test(tc, test_tap_kernel_picks_a_name_when_none_given);
	tcase_add_test(tc, test_tap_rejects_long_ifname);
	tcase_add_test(tc, test_tap_script_no_is_accepted);
	tcase_add_test(tc, test_tap_script_other_than_no_is_refused);
	tcase_add_test(tc, test_tap_downscript_other_than_no_is_refused);
	tcase_add_test(tc, test_tap_takes_a_caller_fd_and_dups_it);
	tcase_add_test(tc, test_tap_fd_with_queues_is_an_error);
	tcase_add_test(tc, test_tap_fd_that_is_a_pipe_is_refused);
	tcase_add_test(tc, test_tap_fd_that_is_a_tun_is_refused);
	tcase_add_test(tc, test_tap_fd_not_attached_is_refused);
	tcase_add_test(tc, test_tap_fd_vnet_hdr_follows_the_fd_unless_given);
	tcase_add_test(tc, test_tap_frames_flow_both_ways_with_vnet_header);
	suite_add_tcase(s, tc);
	return check_run(s);
}
