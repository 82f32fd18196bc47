/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-vhost-user-dpdk.c: netdev "vhost-user" against a real
 * backend no one here wrote: DPDK's testpmd with a net_vhost port doing
 * macswap forwarding (tests/unit/dpdk-peer.h). The mock guest driver
 * brings virtio-net-pci to DRIVER_OK with 2 queue pairs, turns the second
 * pair on with VQ_PAIRS_SET (which becomes SET_VRING_ENABLE), puts frames
 * on both tx rings and buffers on both rx rings in memfd guest RAM;
 * testpmd takes the frames from our rings and puts them back with the MAC
 * addresses swapped; every byte is checked. No VMM thread touches those
 * rings: the kicks reach testpmd through the transport's kick eventfds.
 * Both socket roles, each with testpmd killed and restarted mid-run
 * (link down, reconnect, rings resumed, traffic checked again), and the
 * seed's -chardev/-netdev/-device strings verbatim; vm_pause stops the
 * rings in testpmd and vm_resume starts them again, nothing lost or
 * corrupted across it; a server with wait=off that testpmd connects to
 * only after the guest is up; guest RAM on hugetlbfs (mem_path) where 2
 * MiB pages can be reserved; vm_net_get_stats counts what testpmd moved
 * on each queue (packets from the used indexes, bytes from the used
 * elements and the chains they name: exact here). About 20 s, testpmd
 * busy-polling one core meanwhile. Skips (77) when dpdk-testpmd is not
 * installed.
 */
#include <check.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "devices/device.h"
#include "dpdk-peer.h"
#include "hugetlb-pool.h"
#include "kvm/mem.h"
#include "mock/net-vm.h"
#include "net/vhost-user.h"
#include "virtio/pci-modern.h"
#include "vm.h"
#include "check-main.h"

#define BIT(b) (1ull << (b))
#define HDR 12u
#define PAIRS 2u
#define FRAMES 48u  /* per pair, below the ring size */
#define BUF 2048u
#define PROPS(...) ((const struct vm_prop[]){ __VA_ARGS__, { NULL, NULL } })

/* What the mock driver accepts (no offloads: the headers are zero). */
#define WANTED                                                                \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) |                    \
	 BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_CTRL_VQ) |               \
	 BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_MRG_RXBUF) |                 \
	 BIT(VIRTIO_RING_F_INDIRECT_DESC))

static struct net_vm t;
static struct dpdk_peer pmd;
static char dir[64], sock[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kvm-virtio-vu.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/vhost.sock", dir);
}

static void teardown(void)
{
	char log[160];

	if (t.vm)
		net_vm_destroy(&t);
	dpdk_peer_stop(&pmd);
	snprintf(log, sizeof(log), "%s.log", sock);
	if (!getenv("KEEP_LOG")) { /* KEEP_LOG=1: keep testpmd's log */
		unlink(log);
		rmdir(dir);
	}
}

static void frame_fill(uint8_t *f, uint32_t len, unsigned pair, unsigned seq)
{
	static const uint8_t dst[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t src[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x02 };

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;
	f[13] = 0xb5; /* local experimental ethertype */
	for (uint32_t i = 14; i < len; i++)
		f[i] = (uint8_t)(pair * 131 + seq * 7 + i);
}

static uint32_t frame_len(unsigned seq)
{
	return 60 + (seq * 37) % 1400;
}

static uint64_t rxbuf[PAIRS][NET_VM_QSIZE]; /* by descriptor head */

/* Buffers on both rx rings, frames on both tx rings, kicks. */
static void traffic_post(unsigned pairs)
{
	for (unsigned p = 0; p < pairs; p++) {
		struct vring_drv *rx = &t.ring[2 * p], *tx = &t.ring[2 * p + 1];

		for (unsigned i = 0; i < FRAMES; i++) {
			uint64_t b = guest_alloc(&t.gm, BUF, 64);
			uint16_t head = vring_drv_add_chain(rx,
				(const struct vring_drv_buf[]){ { b, BUF, true } }, 1);

			rxbuf[p][head] = b;
			vring_drv_publish(rx, head);
		}
		virtio_drv_kick(&t.vd, (uint16_t)(2 * p));
		for (unsigned i = 0; i < FRAMES; i++) {
			uint32_t len = frame_len(i);
			uint64_t h = guest_alloc(&t.gm, HDR, 16);
			uint64_t f = guest_alloc(&t.gm, len, 16);

			frame_fill(guest_ptr(&t.gm, f, len), len, p, i);
			vring_drv_publish(tx, vring_drv_add_chain(tx,
				(const struct vring_drv_buf[]){
					{ h, HDR, false }, { f, len, false } },
				2));
		}
		virtio_drv_kick(&t.vd, (uint16_t)(2 * p + 1));
	}
}

/* Every frame traffic_post() sent must come back, MACs swapped, on the
 * rx ring of its pair. */
static void traffic_check(unsigned pairs)
{
	unsigned got[PAIRS] = { 0 };
	uint8_t want[BUF];

	for (unsigned p = 0; p < pairs; p++) {
		for (unsigned i = 0; i < FRAMES; i++) {
			uint32_t id, len, flen = frame_len(i);
			const uint8_t *b;
			struct virtio_net_hdr_v1 h;

			ck_assert_msg(net_vm_wait_used(&t.ring[2 * p], &id, &len, 5000),
				      "pair %u: %u of %u frames came back", p,
				      got[p], FRAMES);
			ck_assert_uint_eq(len, HDR + flen); /* in order per queue */
			ck_assert_uint_lt(id, NET_VM_QSIZE);
			b = guest_ptr(&t.gm, rxbuf[p][id], BUF);
			memcpy(&h, b, sizeof(h));
			ck_assert_uint_eq(le16toh(h.num_buffers), 1);
			frame_fill(want, flen, p, i);
			ck_assert_mem_eq(b + HDR, want + 6, 6); /* swapped */
			ck_assert_mem_eq(b + HDR + 6, want, 6);
			ck_assert_mem_eq(b + HDR + 12, want + 12, flen - 12);
			got[p]++;
		}
		for (unsigned i = 0; i < FRAMES; i++) {
			uint32_t id, len;

			ck_assert(net_vm_wait_used(&t.ring[2 * p + 1], &id, &len,
						   5000));
		}
	}
}

static void traffic(unsigned pairs)
{
	traffic_post(pairs);
	traffic_check(pairs);
}

/* vm_net_get_stats: @n frames each way on each of @pairs pairs so far
 * (traffic() rounds of FRAMES), counted from the used indexes testpmd
 * moved (one rx buffer per frame: all are smaller than BUF), their bytes
 * from the used elements' lengths (rx) and the chains they name (tx),
 * exact: fewer than half a ring per round, chains not reused before. */
static void counts_are(unsigned pairs, uint64_t n)
{
	struct vm_net_stats st = VM_NET_STATS_INIT;
	uint64_t bytes = 0;

	for (unsigned i = 0; i < FRAMES; i++)
		bytes += frame_len(i);
	bytes *= n / FRAMES;
	ck_assert_int_eq(vm_net_get_stats(t.vm, "net0", &st, NULL), 0);
	for (unsigned p = 0; p < pairs; p++) {
		ck_assert_uint_eq(st.queue[p].rx_packets, n);
		ck_assert_uint_eq(st.queue[p].tx_packets, n);
		ck_assert_uint_eq(st.queue[p].rx_bytes, bytes);
		ck_assert_uint_eq(st.queue[p].tx_bytes, bytes);
	}
	ck_assert_uint_eq(st.rx_packets, pairs * n);
	ck_assert_uint_eq(st.tx_packets, pairs * n);
	ck_assert_uint_eq(st.rx_bytes, pairs * bytes);
	ck_assert_uint_eq(st.tx_bytes, pairs * bytes);
}

/* The guest's link becomes @up within 10 s. */
static bool link_is(bool up)
{
	return net_vm_link_is(&t, up, 10000);
}

/* What was negotiated with testpmd, once per run (a TAP comment). */
static void print_negotiated(void)
{
	static bool done;
	struct vm_obj *o = vm_obj_find(t.vm, "v0");
	struct netdev_vhost_user *v;

	if (done || !o)
		return;
	v = (struct netdev_vhost_user *)o;
	pthread_mutex_lock(&v->lock);
	printf("# testpmd: virtio features 0x%llx, protocol features 0x%llx offered, 0x%llx negotiated, %u queue pairs\n",
	       (unsigned long long)v->features,
	       (unsigned long long)v->backend_protocol,
	       (unsigned long long)v->protocol, v->backend_queues);
	pthread_mutex_unlock(&v->lock);
	done = true;
}

/* The VM on netdev "v0" with @nd (already made: net_vm_create, chardevs),
 * probed to DRIVER_OK with 2 pairs, both turned on. */
static void start_vm_with(const struct vm_prop *nd)
{
	struct vm_error *err = NULL;
	uint64_t f;
	int rc;

	net_vm_build(&t, "vhost-user", nd,
		     PROPS({ "netdev", "v0" }, { "id", "net0" }, { "mq", "on" },
			   { "queues", "2" }));
	rc = vm_realize_objects(t.vm, &err);
	ck_assert_msg(rc == 0, "%s (testpmd log: %s)", vm_error_message(err),
		      pmd.log);
	net_vm_find(&t);
	f = net_vm_probe(&t, WANTED, 2 * PAIRS + 1);
	ck_assert(f & BIT(VIRTIO_NET_F_MQ));
	ck_assert(f & BIT(VIRTIO_NET_F_MRG_RXBUF));
	/* ethtool -L eth0 combined 2 */
	ck_assert_uint_eq(net_vm_ctrl(&t, 2 * PAIRS, "\x04\x00\x02\x00", 4),
			  VIRTIO_NET_OK);
}

static void start_vm(bool server)
{
	start_vm_with(PROPS({ "path", sock }, { "queues", "2" },
			    { "server", server ? "on" : "off" },
			    { "reconnect", "1" }));
	print_negotiated();
}

/* testpmd killed mid-run: the guest sees link down; restarted, we
 * reconnect (reconnect=1), the rings resume from their used index, the
 * link comes back and traffic flows again with every byte right. */
static void restart(bool server)
{
	dpdk_peer_start(&pmd, sock, PAIRS, server);
	start_vm(server);
	traffic(PAIRS);
	counts_are(PAIRS, FRAMES);
	dpdk_peer_stop(&pmd);
	ck_assert_msg(link_is(false), "link still up after testpmd exited");
	dpdk_peer_start(&pmd, sock, PAIRS, server);
	ck_assert_msg(link_is(true), "link not back after testpmd restarted (log %s)",
		      pmd.log);
	traffic(PAIRS);
	counts_are(PAIRS, 2 * FRAMES); /* across the restart */
	/* the guest's reset takes the rings back (GET_VRING_BASE) */
	virtio_drv_set_status(&t.vd, 0);
	ck_assert_uint_eq(virtio_drv_get_status(&t.vd), 0);
}

/* We connect to testpmd's socket (QEMU's default client role). */
START_TEST(test_vu_dpdk_client_two_pairs_and_restart)
{
	restart(false);
}
END_TEST

/* We listen (the seed's "server"), testpmd connects (client=1). */
START_TEST(test_vu_dpdk_server_two_pairs_and_restart)
{
	restart(true);
}
END_TEST

/*
 * The seed's strings, through vm_props_parse() (only the socket path is
 * ours): -chardev socket,id=char1,path=...,server
 * -netdev type=vhost-user,id=mynet3,chardev=char1,vhostforce,queues=2
 * -device virtio-net-pci,netdev=mynet3,id=net1,mac=00:00:00:00:00:03,
 *         disable-legacy=on
 * give a VM that starts against testpmd (connecting as client=1) and
 * carries traffic (one pair: the seed's device line has no mq=on).
 */
START_TEST(test_vu_dpdk_seed_strings)
{
	struct vm_prop *chr, *nd, *dev;
	struct vm_error *err = NULL;
	char text[200];
	int rc;

	dpdk_peer_start(&pmd, sock, PAIRS, true);
	snprintf(text, sizeof(text), "socket,id=char1,path=%s,server", sock);
	ck_assert_int_eq(vm_props_parse(text, &chr, &err), 4);
	ck_assert_int_eq(vm_props_parse("type=vhost-user,id=mynet3,chardev=char1,vhostforce,queues=2",
					&nd, &err), 5);
	ck_assert_int_eq(vm_props_parse("virtio-net-pci,netdev=mynet3,id=net1,mac=00:00:00:00:00:03,disable-legacy=on",
					&dev, &err), 5);
	net_vm_create(&t);
	ck_assert_int_eq(vm_add_chardev(t.vm, "socket", "char1", chr, &err), 0);
	ck_assert_int_eq(vm_add_netdev(t.vm, vm_props_get(nd, "type", NULL),
				       "mynet3", nd, &err), 0);
	/* the device type is the text's first word (valueless) */
	ck_assert_int_eq(vm_add_device(t.vm, dev[0].key, dev + 1, &err), 0);
	vm_props_free(chr);
	vm_props_free(nd);
	vm_props_free(dev);
	net_vm_machine(&t);
	rc = vm_realize_objects(t.vm, &err);
	ck_assert_msg(rc == 0, "%s (testpmd log: %s)", vm_error_message(err),
		      pmd.log);
	net_vm_find(&t);
	ck_assert_uint_eq(net_vm_probe(&t, WANTED, 3) & BIT(VIRTIO_NET_F_MQ), 0);
	traffic(1);
}
END_TEST

/* The used index of ring @q, as the guest reads it. */
static uint16_t used_idx(unsigned q)
{
	return le16toh(__atomic_load_n((uint16_t *)guest_ptr(&t.gm,
					t.ring[q].used + 2, 2), __ATOMIC_ACQUIRE));
}

/* vm_pause with testpmd attached (the device's pause hook, as vm_pause
 * calls it): testpmd stops every ring (GET_VRING_BASE); frames and
 * buffers the guest puts on its rings while paused stay there (no used
 * entry in 300 ms); after vm_resume testpmd goes on from where it
 * stopped: those frames come back, then more, every byte checked. Twice,
 * the second time with nothing posted meanwhile. */
START_TEST(test_vu_dpdk_pause_resume_keeps_every_byte)
{
	uint16_t used[2 * PAIRS];
	struct vm_obj *dev;

	dpdk_peer_start(&pmd, sock, PAIRS, false);
	start_vm(false);
	traffic(PAIRS);
	dev = vm_obj_find(t.vm, "net0");
	ck_assert_ptr_nonnull(dev);
	ck_assert_int_eq(device_pause(dev), 0);
	for (unsigned q = 0; q < 2 * PAIRS; q++)
		used[q] = used_idx(q);
	traffic_post(PAIRS);
	usleep(300000);
	for (unsigned q = 0; q < 2 * PAIRS; q++)
		ck_assert_msg(used_idx(q) == used[q],
			      "ring %u: used index %u -> %u while paused", q,
			      used[q], used_idx(q));
	device_resume(dev);
	traffic_check(PAIRS);
	traffic(PAIRS);
	ck_assert_int_eq(device_pause(dev), 0);
	device_resume(dev);
	traffic(PAIRS);
}
END_TEST

/* A server with wait=off (QEMU's nowait): vm_start does not wait for
 * testpmd; the guest gets to DRIVER_OK with both pairs on and sees link
 * down; testpmd (client=1) starts only then and connects: link up,
 * traffic on both pairs, every byte checked. */
START_TEST(test_vu_dpdk_server_wait_off_testpmd_connects_late)
{
	struct vm_error *err = NULL;

	net_vm_create(&t);
	ck_assert_int_eq(vm_add_chardev(t.vm, "socket", "char1",
					PROPS({ "path", sock }, { "server", NULL },
					      { "wait", "off" }),
					&err), 0);
	start_vm_with(PROPS({ "chardev", "char1" }, { "queues", "2" }));
	ck_assert_msg(link_is(false), "link up with no backend");
	dpdk_peer_start(&pmd, sock, PAIRS, true);
	ck_assert_msg(link_is(true), "link not up after testpmd connected (log %s)",
		      pmd.log);
	traffic(PAIRS);
}
END_TEST

/* 64 MiB of 2 MiB pages for the guest RAM, plus slack. */
#define HUGE_PAGES 33u
static struct hugetlb_pool huge = HUGETLB_POOL_INIT;

/*
 * Guest RAM on hugetlbfs (the seed's memory-backend-file,mem-path=
 * /dev/hugepages,share=on with -mem-prealloc): mem_path in a hugetlbfs
 * this test mounts, preallocated; testpmd maps it from SET_MEM_TABLE's
 * fd (a hugetlbfs file, 2 MiB pages) and macswaps on both pairs. main()
 * runs it only if the pages can be reserved (it says why not otherwise).
 */
START_TEST(test_vu_dpdk_hugetlbfs_ram)
{
	const char *why = NULL;
	struct statfs sfs;
	const struct gmem *gm;

	ck_assert_msg(hugetlb_pool_get(&huge, HUGE_PAGES, &why) == 0, "%s", why);
	dpdk_peer_start(&pmd, sock, PAIRS, false);
	net_vm_create(&t);
	t.mem_path = huge.dir;
	t.mem_flags = GMEM_F_PREALLOC;
	start_vm(false);
	gm = machine_mem(t.mach);
	ck_assert_int_eq(fstatfs(gm->fd, &sfs), 0);
	ck_assert(sfs.f_type == (typeof(sfs.f_type))HUGETLBFS_MAGIC);
	ck_assert_int_eq(sfs.f_bsize, 2 << 20);
	traffic(PAIRS);
	traffic(PAIRS);
}
END_TEST

static void huge_teardown(void)
{
	teardown();
	hugetlb_pool_put(&huge);
}

int main(void)
{
	Suite *s = suite_create("vhost-user-dpdk");
	TCase *tc = tcase_create("testpmd"), *hp;
	const char *why = NULL;

	if (!dpdk_peer_binary()) {
		printf("1..0 # SKIP dpdk-testpmd is not installed (Debian package dpdk-dev)\n");
		return 77;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_vu_dpdk_client_two_pairs_and_restart);
	tcase_add_test(tc, test_vu_dpdk_server_two_pairs_and_restart);
	tcase_add_test(tc, test_vu_dpdk_seed_strings);
	tcase_add_test(tc, test_vu_dpdk_pause_resume_keeps_every_byte);
	tcase_add_test(tc, test_vu_dpdk_server_wait_off_testpmd_connects_late);
	suite_add_tcase(s, tc);
	/* hugetlbfs RAM only where the pages can be had: a try now, undone */
	if (hugetlb_pool_get(&huge, HUGE_PAGES, &why) == 0) {
		hugetlb_pool_put(&huge);
		hp = tcase_create("hugetlbfs");
		tcase_add_checked_fixture(hp, setup, huge_teardown);
		tcase_set_timeout(hp, 60);
		tcase_add_test(hp, test_vu_dpdk_hugetlbfs_ram);
		suite_add_tcase(s, hp);
	} else {
		printf("# SKIP test_vu_dpdk_hugetlbfs_ram: %u huge pages: %s\n",
		       HUGE_PAGES, why);
	}
	return check_run(s);
}
