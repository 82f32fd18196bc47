/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-host-netdev-mq.c: a "callback" netdev with queues=2
 * behind a virtio-net-pci with mq=on, driven by the mock guest
 * (tests/unit/mock/net-vm.h) after VQ_PAIRS_SET 2: each frame the guest
 * sends reaches ->send with the queue pair it was sent on; each frame the
 * host pushes to a pair lands in that pair's receive ring only; and the
 * queue numbers and counts are checked where they are given.
 */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "mock/net-vm.h"
#include "vm.h"
#include "check-main.h"

#define BIT(b) (1ull << (b))
#define HDR 12u
#define BUF 2048u
#define PROPS(...) ((const struct vm_prop[]){ __VA_ARGS__, { NULL, NULL } })
#define WANTED                                                                \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) |                    \
	 BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_CTRL_VQ) |               \
	 BIT(VIRTIO_NET_F_MQ))

static struct net_vm t;

/* What ->send saw: the queue and first byte of each frame, in order. */
static struct {
	unsigned n;
	unsigned queue[16];
	uint8_t first[16];
} sent;

static ssize_t mq_send(struct vm_obj *nd, void *opaque, unsigned q,
		       const struct iovec *iov, int iovcnt)
{
	unsigned i = __atomic_load_n(&sent.n, __ATOMIC_ACQUIRE);

	if (i < 16) {
		sent.queue[i] = q;
		sent.first[i] = *(const uint8_t *)iov[0].iov_base;
	}
	__atomic_store_n(&sent.n, i + 1, __ATOMIC_RELEASE);
	return (ssize_t)iov[0].iov_len;
}

static const struct vm_netdev_ops mq_ops = {
	.size = sizeof(mq_ops), .send = mq_send,
};

static void teardown(void)
{
	if (t.vm)
		net_vm_destroy(&t);
}

static void start_two_pairs(void)
{
	struct vm_error *err = NULL;
	int rc;

	memset(&sent, 0, sizeof(sent));
	net_vm_build(&t, "callback", PROPS({ "queues", "2" }),
		     PROPS({ "netdev", "v0" }, { "id", "net0" }, { "mq", "on" }));
	ck_assert_int_eq(vm_netdev_set_ops(vm_obj_find(t.vm, "v0"), &mq_ops,
					   NULL), 0);
	rc = vm_realize_objects(t.vm, &err);
	ck_assert_msg(rc == 0, "%s", vm_error_message(err));
	net_vm_find(&t);
	ck_assert(net_vm_probe(&t, WANTED, 5) & BIT(VIRTIO_NET_F_MQ));
	ck_assert_uint_eq(net_vm_ctrl(&t, 4, "\x04\x00\x02\x00", 4),
			  VIRTIO_NET_OK);
}

static void tx_on(unsigned pair, uint8_t first)
{
	struct vring_drv *tx = &t.ring[2 * pair + 1];
	uint64_t b = guest_alloc(&t.gm, HDR + 60, 16);
	uint8_t *p = guest_ptr(&t.gm, b, HDR + 60);

	memset(p, 0, HDR + 60);
	p[HDR] = first;
	vring_drv_publish(tx, vring_drv_add_chain(tx,
		(const struct vring_drv_buf[]){ { b, HDR + 60, false } }, 1));
	virtio_drv_kick(&t.vd, (uint16_t)(2 * pair + 1));
}

static uint64_t rx_post(unsigned pair)
{
	struct vring_drv *rx = &t.ring[2 * pair];
	uint64_t b = guest_alloc(&t.gm, BUF, 64);

	vring_drv_publish(rx, vring_drv_add_chain(rx,
		(const struct vring_drv_buf[]){ { b, BUF, true } }, 1));
	virtio_drv_kick(&t.vd, (uint16_t)(2 * pair));
	return b;
}

static bool wait_sent(unsigned n)
{
	for (int i = 0; i < 2000; i++) {
		if (__atomic_load_n(&sent.n, __ATOMIC_ACQUIRE) >= n)
			return true;
		usleep(1000);
	}
	return false;
}

START_TEST(test_send_reports_the_queue_pair)
{
	struct vm_net_stats st = VM_NET_STATS_INIT;

	start_two_pairs();
	tx_on(1, 0xb1);
	ck_assert(wait_sent(1));
	tx_on(0, 0xa0);
	ck_assert(wait_sent(2));
	ck_assert_uint_eq(sent.queue[0], 1);
	ck_assert_uint_eq(sent.first[0], 0xb1);
	ck_assert_uint_eq(sent.queue[1], 0);
	ck_assert_uint_eq(sent.first[1], 0xa0);
	ck_assert_int_eq(vm_net_get_stats(t.vm, "net0", &st, NULL), 0);
	ck_assert_uint_eq(st.active_pairs, 2);
	ck_assert_uint_eq(st.queue[0].tx_packets, 1);
	ck_assert_uint_eq(st.queue[1].tx_packets, 1);
}
END_TEST

START_TEST(test_push_lands_on_the_chosen_pair)
{
	struct vm_obj *nd;
	uint8_t f[60] = { 0xc1 };
	uint64_t b0, b1;
	uint32_t id, len;

	start_two_pairs();
	nd = vm_obj_find(t.vm, "v0");
	b0 = rx_post(0);
	b1 = rx_post(1);
	ck_assert_int_eq(vm_netdev_push(nd, 1, f, sizeof(f)), 0);
	ck_assert(net_vm_wait_used(&t.ring[2], &id, &len, 2000));
	ck_assert_uint_eq(len, HDR + 60);
	ck_assert_uint_eq(*(uint8_t *)guest_ptr(&t.gm, b1 + HDR, 1), 0xc1);
	ck_assert(!net_vm_wait_used(&t.ring[0], &id, &len, 20));
	f[0] = 0xc0;
	ck_assert_int_eq(vm_netdev_push(nd, 0, f, sizeof(f)), 0);
	ck_assert(net_vm_wait_used(&t.ring[0], &id, &len, 2000));
	ck_assert_uint_eq(*(uint8_t *)guest_ptr(&t.gm, b0 + HDR, 1), 0xc0);
	/* the netdev has 2 pairs: queue 2 does not exist */
	ck_assert_int_eq(vm_netdev_push(nd, 2, f, sizeof(f)), -EINVAL);
}
END_TEST

START_TEST(test_queue_counts_are_checked)
{
	struct vm_error *err = NULL;
	struct vm_obj *nd;
	char buf[8];

	net_vm_create(&t);
	ck_assert_int_eq(vm_add_netdev(t.vm, "callback", "big",
				       PROPS({ "queues", "17" }), &err), -ERANGE);
	ck_assert(strstr(vm_error_message(err), "netdev 'big': property 'queues'"));
	vm_error_free(err);
	err = NULL;
	ck_assert_int_eq(vm_add_netdev(t.vm, "callback", "one", NULL, &err), 0);
	nd = vm_obj_find(t.vm, "one");
	ck_assert_int_eq(vm_obj_get_prop(nd, "queues", buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "1");
	ck_assert_int_eq(vm_netdev_set_ops(nd, &mq_ops, NULL), 0);
	ck_assert_int_eq(vm_add_device(t.vm, "virtio-net-pci",
				       PROPS({ "netdev", "one" }, { "id", "net0" },
					     { "mq", "on" }, { "queues", "2" }),
				       &err), 0);
	net_vm_machine(&t);
	ck_assert_int_eq(vm_realize_objects(t.vm, &err), -EINVAL);
	ck_assert_msg(strstr(vm_error_message(err),
			     "device 'net0': queues=2 but netdev 'one' has 1"),
		      "%s", vm_error_message(err));
	vm_error_free(err);
	/* realized with one pair: queue 1 is out of range */
	ck_assert_int_eq(vm_netdev_push(nd, 1, buf, 1), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("host-netdev-mq");
	TCase *tc = tcase_create("queues");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_send_reports_the_queue_pair);
	tcase_add_test(tc, test_push_lands_on_the_chosen_pair);
	tcase_add_test(tc, test_queue_counts_are_checked);
	suite_add_tcase(s, tc);
	return check_run(s);
}
