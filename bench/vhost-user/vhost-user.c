/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/vhost-user/vhost-user.c: packets/s through a vhost-user netdev,
 * no guest and no KVM: the mock guest driver (tests/unit/mock/) keeps the
 * rx ring of virtio-net-pci full of buffers and the tx ring full of 64 B
 * frames in memfd guest RAM; DPDK's testpmd (tests/unit/dpdk-peer.h)
 * takes them from our rings and puts them back (macswap) on the rx ring.
 * The library's threads are not on that path: this measures the rings as
 * we set them up for the backend (memory table, ring addresses, kick and
 * call fds, feature set). Interrupts are suppressed (NO_INTERRUPT) and the
 * driver kicks only when the backend asks (no NO_NOTIFY in used flags).
 *
 *   vhost-user [--seconds S] [--rounds N] [--tcp-over-qemu X]
 *
 * (a) has no peer: testpmd's own figure between two of its vhost ports
 * needs a second busy-polling DPDK process (virtio-user) that this 2-core
 * CI host cannot give fairly, so it is reported alone. (b), a stock Linux
 * guest's iperf3 TCP through testpmd, ours against QEMU's vhost-user
 * frontend, is bench/net-guest/run.sh --backend vhost-user (nested, one
 * L1, interleaved); `make bench-vhost-user` runs it first and hands its
 * tcp_over_qemu here (--tcp-over-qemu), which then names the peer qemu.
 * Last line:
 *   RESULT vhost-user mpps_mock_64B=<x> tcp_over_qemu=<x|na> peer=qemu|none
 * Exits 77 without dpdk-testpmd. Nothing is asserted. On a shared 2-core
 * host the figure is scheduling noise: testpmd's polling core and this
 * loop take turns through the scheduler (each side empties what the other
 * posted, then waits for the other's next time slice), so run it on an
 * idle host with a core each. BENCH_KEEP_LOG=1 keeps testpmd's log (its
 * forward statistics) in /tmp/kvm-virtio-vub.*.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "dpdk-peer.h"
#include "mock/net-vm.h"
#include "vm.h"

#define BIT(b) (1ull << (b))
#define HDR 12u
#define FRAME 64u
#define BUF 2048u
#define PROPS(...) ((const struct vm_prop[]){ __VA_ARGS__, { NULL, NULL } })

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One buffer per descriptor, reposted in place as it comes back. */
struct ring_bufs {
	uint64_t gpa[NET_VM_QSIZE];
};

static void post(struct net_vm *t, unsigned q, struct ring_bufs *b,
		 uint16_t head, bool rx)
{
	struct vring_drv *r = &t->ring[q];

	(void)vring_drv_add_chain(r, (const struct vring_drv_buf[]){
		{ b->gpa[head], rx ? BUF : HDR + FRAME, rx } }, 1);
	vring_drv_publish(r, head);
}

static void kick_if_asked(struct net_vm *t, unsigned q)
{
	if (!(vring_drv_used_flags(&t->ring[q]) & VRING_USED_F_NO_NOTIFY))
		virtio_drv_kick(&t->vd, (uint16_t)q);
}

/* Frames back on the rx ring in @secs, in Mpps. */
static double round_mpps(struct net_vm *t, struct ring_bufs *rxb,
			 struct ring_bufs *txb, double secs)
{
	uint64_t got = 0;
	double t0 = now_s(), end = t0 + secs;
	uint32_t id, len;

	while (now_s() < end) {
		unsigned k = 0;

		for (; k < 256 && vring_drv_get_used(&t->ring[0], &id, &len); k++)
			post(t, 0, rxb, (uint16_t)id, true);
		got += k;
		if (k)
			kick_if_asked(t, 0);
		for (k = 0; k < 256 && vring_drv_get_used(&t->ring[1], &id, &len); k++)
			post(t, 1, txb, (uint16_t)id, false);
		if (k)
			kick_if_asked(t, 1);
	}
	return (double)got / (now_s() - t0) / 1e6;
}

static double secs = 1;
static unsigned rounds = 5;
static int status = 1;
static const char *tcp_over_qemu; /* (b)'s ratio, measured by run.sh */

/* Runs as a Check test (not forked): the mock driver's helpers assert. */
START_TEST(bench_vhost_user)
{
	static struct net_vm t;
	static struct ring_bufs rxb, txb;
	struct dpdk_peer pmd = { 0 };
	struct vm_error *err = NULL;
	double mpps[32];
	char dir[64], sock[128];

	snprintf(dir, sizeof(dir), "/tmp/kvm-virtio-vub.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/vhost.sock", dir);
	dpdk_peer_start(&pmd, sock, 1, false);
	net_vm_build(&t, "vhost-user",
		     PROPS({ "path", sock }, { "x-reply-timeout", "30000" }),
		     PROPS({ "netdev", "v0" }, { "id", "net0" }));
	if (vm_realize_objects(t.vm, &err) < 0) {
		fprintf(stderr, "%s\n", vm_error_message(err));
		dpdk_peer_stop(&pmd);
		return;
	}
	net_vm_find(&t);
	(void)net_vm_probe(&t, BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) |
				      BIT(VIRTIO_NET_F_MRG_RXBUF), 2);
	for (unsigned q = 0; q < 2; q++)
		vring_drv_set_avail_flags(&t.ring[q], VRING_AVAIL_F_NO_INTERRUPT);
	for (unsigned i = 0; i < NET_VM_QSIZE; i++) {
		uint8_t *f;

		rxb.gpa[i] = guest_alloc(&t.gm, BUF, 64);
		txb.gpa[i] = guest_alloc(&t.gm, HDR + FRAME, 64);
		f = guest_ptr(&t.gm, txb.gpa[i], HDR + FRAME);
		memset(f, 0, HDR);
		memcpy(f + HDR, "\x52\x54\x00\x00\x00\x01\x52\x54\x00\x00\x00\x02\x88\xb5", 14);
		post(&t, 0, &rxb, (uint16_t)i, true);
		post(&t, 1, &txb, (uint16_t)i, false);
	}
	virtio_drv_kick(&t.vd, 0);
	virtio_drv_kick(&t.vd, 1);
	(void)round_mpps(&t, &rxb, &txb, 0.2); /* warm-up */
	printf("%-8s %10s\n", "round", "Mpps(64B)");
	for (unsigned r = 0; r < rounds; r++) {
		mpps[r] = round_mpps(&t, &rxb, &txb, secs);
		printf("%-8u %10.3f\n", r, mpps[r]);
	}
	qsort(mpps, rounds, sizeof(mpps[0]), cmp_double);
	printf("median   %10.3f  (mock driver <-> testpmd macswap, 1 queue pair; peer: none, see the file header)\n",
	       mpps[rounds / 2]);
	net_vm_destroy(&t);
	dpdk_peer_stop(&pmd);
	if (!getenv("BENCH_KEEP_LOG")) { /* testpmd's log, to look into */
		unlink(pmd.log);
		rmdir(dir);
	}
	printf("RESULT vhost-user mpps_mock_64B=%.3f tcp_over_qemu=%s peer=%s\n",
	       mpps[rounds / 2], tcp_over_qemu ? tcp_over_qemu : "na",
	       tcp_over_qemu ? "qemu" : "none");
	fflush(stdout);
	status = 0;
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("bench");
	TCase *tc = tcase_create("vhost-user");
	SRunner *sr;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			secs = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--tcp-over-qemu"))
			tcp_over_qemu = argv[i + 1];
	}
	if (rounds < 1 || rounds > 32)
		rounds = 5;
	if (!dpdk_peer_binary()) {
		printf("SKIP: dpdk-testpmd is not installed (Debian package dpdk-dev)\n");
		return 77;
	}
	tcase_set_timeout(tc, 60 + secs * (rounds + 1) * 2);
	tcase_add_test(tc, bench_vhost_user);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_SILENT);
	if (srunner_ntests_failed(sr))
		status = 1;
	srunner_free(sr);
	return status;
}
