/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/vhost-user/vhost-user.c: (a) packets/s through a vhost-user
 * netdev, no guest and no KVM, against DPDK's own vhost-user frontend on
 * the same backend, interleaved round by round:
 *  - ours: the mock guest driver (tests/unit/mock/) keeps the rx ring of
 *    virtio-net-pci full of buffers and the tx ring full of 64 B frames in
 *    memfd guest RAM; testpmd takes them from our rings and puts them back
 *    (macswap) on the rx ring; counted: frames back on the rx ring.
 *  - peer: a second testpmd whose port is net_virtio_user (DPDK's
 *    vhost-user frontend, --no-huge: its memory is a memfd it passes in
 *    SET_MEM_TABLE) in flowgen mode (64 B frames out, every frame that
 *    comes back received and freed); counted: its port's RX-packets.
 * The backend is one testpmd (macswap, --port-topology=loop: each port
 * forwards to itself) with two vhost ports, one per frontend, polled by
 * one forwarding lcore on CPU 1. The producer is on CPU 0 on both sides:
 * this program's thread, pinned while it measures, or the peer's
 * forwarding lcore (-l 0,1 --main-lcore 1). One queue pair, 256 entries,
 * 12 B virtio-net header + 64 B frame on both. The library's threads are
 * not on our path: kicks are the queues' eventfds, taken only when the
 * backend asks (testpmd sets NO_NOTIFY), interrupts suppressed
 * (NO_INTERRUPT). The idle frontend's port costs the backend an empty
 * poll per burst in both halves of a round.
 *
 *   vhost-user [--seconds S] [--rounds N] [--tcp-over-qemu X]
 *
 * (b), a stock Linux guest's iperf3 TCP through testpmd, ours against
 * QEMU's vhost-user frontend, is bench/net-guest/run.sh --backend
 * vhost-user (nested, one L1, interleaved); `make bench-vhost-user` runs
 * it first (unless BENCH_VU_GUEST=0) and hands its tcp_over_qemu here.
 * Last line:
 *   RESULT vhost-user mpps_mock_64B=<x> mpps_peer_64B=<y>
 *     mock_over_peer=<x/y> tcp_over_qemu=<x|na> peer=dpdk-virtio-user
 * (the medians of N rounds; mock_over_peer is the median of the rounds'
 * ratios). Exits 77 without dpdk-testpmd. Nothing is asserted. Runs two
 * busy-polling testpmds for S * N * 2 seconds plus their start: on a
 * 2-core host both cores are busy meanwhile. BENCH_KEEP_LOG=1 keeps the
 * testpmds' logs in /tmp/kvm-virtio-vub.*.
 * No libcheck: the mock guest's and dpdk-peer's assertions go to
 * tests/unit/mock/check-shim.c (a failing one aborts; the testpmds exit
 * when their stdin, our pipe, closes).
 */
#include <check.h>
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "dpdk-peer.h"
#include "task-walk.h"
#include "mock/net-vm.h"
#include "vm.h"

#define BIT(b) (1ull << (b))
#define HDR 12u
#define FRAME 64u
#define BUF 2048u
#define MAX_ROUNDS 32
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
static const char *tcp_over_qemu; /* (b)'s ratio, measured by run.sh */

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The peer's RX-packets counter and when it was read (the command's
 * send time: testpmd's command line thread answers within its slice). */
static bool peer_rx(struct dpdk_peer *pmd, uint64_t *rx, double *when)
{
	static char out[8192];
	const char *p;

	*when = now_s();
	if (!dpdk_peer_cmd(pmd, "show port stats 0", "Tx-bps:", out, sizeof(out)))
		return false;
	p = strstr(out, "RX-packets:");
	return p && sscanf(p, "RX-packets: %" SCNu64, rx) == 1;
}

/* The peer's frames back in @secs, in Mpps (0: it did not answer). */
static double peer_round_mpps(struct dpdk_peer *pmd, double dur)
{
	char out[4096];
	uint64_t rx0, rx1;
	double t0, t1;
	bool ok;

	if (!dpdk_peer_cmd(pmd, "start", "testpmd> ", out, sizeof(out)))
		return 0;
	usleep(200000); /* its rings filled, as ours are at a round's start */
	ok = peer_rx(pmd, &rx0, &t0);
	usleep((useconds_t)(dur * 1e6));
	ok = ok && peer_rx(pmd, &rx1, &t1);
	(void)dpdk_peer_cmd(pmd, "stop", "Done.", out, sizeof(out));
	return ok ? (double)(rx1 - rx0) / (t1 - t0) / 1e6 : 0;
}

/* "negotiated Virtio features: 0x..." for @sock in the backend's log. */
static void print_features(const struct dpdk_peer *be, const char *sock,
			   const char *who)
{
	char line[512], want[200];
	FILE *f = fopen(be->log, "r");

	snprintf(want, sizeof(want), "(%s) negotiated Virtio features:", sock);
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, want))
			printf("%-5s features %s", who, strstr(line, "0x"));
	if (f)
		fclose(f);
}

/* CPU time (ns) so far of this process's threads whose name starts with
 * "vnet-": the device's I/O threads; with a vhost-user netdev only I/O
 * thread 0 runs, to sample the rings' counters every 20 ms. */
static void add_schedstat(const char *tid, const char *comm, void *arg)
{
	char path[300];
	unsigned long long run = 0;
	FILE *f;

	(void)comm;
	snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", tid);
	f = fopen(path, "r");
	if (f && fscanf(f, "%llu", &run) == 1)
		*(uint64_t *)arg += run;
	if (f)
		fclose(f);
}

static uint64_t vnet_threads_ns(void)
{
	static const char *const vnet[] = { "vnet-", NULL };
	uint64_t ns = 0;

	(void)task_each(vnet, add_schedstat, &ns);
	return ns;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

static void setup_ours(struct net_vm *t, struct ring_bufs *rxb,
		       struct ring_bufs *txb)
{
	net_vm_find(t);
	(void)net_vm_probe(t, BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) |
				      BIT(VIRTIO_NET_F_MRG_RXBUF), 2);
	for (unsigned q = 0; q < 2; q++)
		vring_drv_set_avail_flags(&t->ring[q], VRING_AVAIL_F_NO_INTERRUPT);
	for (unsigned i = 0; i < NET_VM_QSIZE; i++) {
		uint8_t *f;

		rxb->gpa[i] = guest_alloc(&t->gm, BUF, 64);
		txb->gpa[i] = guest_alloc(&t->gm, HDR + FRAME, 64);
		f = guest_ptr(&t->gm, txb->gpa[i], HDR + FRAME);
		memset(f, 0, HDR);
		memcpy(f + HDR, "\x52\x54\x00\x00\x00\x01\x52\x54\x00\x00\x00\x02\x88\xb5", 14);
		post(t, 0, rxb, (uint16_t)i, true);
		post(t, 1, txb, (uint16_t)i, false);
	}
	virtio_drv_kick(&t->vd, 0);
	virtio_drv_kick(&t->vd, 1);
}

static int run(void)
{
	static struct net_vm t;
	static struct ring_bufs rxb, txb;
	static const char *const be_extra[] = { "--port-topology=loop", NULL };
	static const char *const fe_extra[] = { "--txpkts=64", NULL };
	char dir[64], sock[128], psock[128], port2[200], vdev[200];
	struct dpdk_peer be = { .port2 = port2 };
	struct dpdk_peer fe = { .vdev = vdev, .fwd = "flowgen",
				.main_lcore = "1", .extra = fe_extra,
				.interactive = true };
	struct vm_error *err = NULL;
	double ours[MAX_ROUNDS], peer[MAX_ROUNDS], ratio[MAX_ROUNDS];
	double ours_s = 0;
	uint64_t sampler_ns = 0;
	int rc = 0;

	be.extra = be_extra;
	snprintf(dir, sizeof(dir), "/tmp/kvm-virtio-vub.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(sock, sizeof(sock), "%s/ours.sock", dir);
	snprintf(psock, sizeof(psock), "%s/peer.sock", dir);
	snprintf(port2, sizeof(port2), "net_vhost1,iface=%s,queues=1", psock);
	snprintf(vdev, sizeof(vdev),
		 "net_virtio_user0,path=%s,queues=1,queue_size=%u,in_order=0",
		 psock,
		 NET_VM_QSIZE);
	dpdk_peer_start(&be, sock, 1, false);
	dpdk_peer_start(&fe, psock, 1, true);
	net_vm_build(&t, "vhost-user",
		     PROPS({ "path", sock }, { "x-reply-timeout", "30000" }),
		     PROPS({ "netdev", "v0" }, { "id", "net0" }));
	if (vm_realize_objects(t.vm, &err) < 0) {
		fprintf(stderr, "%s\n", vm_error_message(err));
		vm_error_free(err);
		rc = 1;
		goto out;
	}
	setup_ours(&t, &rxb, &txb);
	pin_self(0);
	(void)round_mpps(&t, &rxb, &txb, 0.2); /* warm-up */
	print_features(&be, sock, "ours");
	print_features(&be, psock, "peer");
	printf("%-6s %12s %12s %8s\n", "round", "ours Mpps", "peer Mpps",
	       "ours/peer");
	for (unsigned r = 0; r < rounds; r++) {
		uint64_t ns0 = vnet_threads_ns();
		double t0 = now_s();

		ours[r] = round_mpps(&t, &rxb, &txb, secs);
		ours_s += now_s() - t0;
		sampler_ns += vnet_threads_ns() - ns0;
		peer[r] = peer_round_mpps(&fe, secs);
		ratio[r] = peer[r] > 0 ? ours[r] / peer[r] : 0;
		printf("%-6u %12.3f %12.3f %8.2f\n", r, ours[r], peer[r], ratio[r]);
		fflush(stdout);
	}
	printf("median %12.3f %12.3f %8.2f  (64 B, 1 queue pair, 256 entries; ours: mock driver, peer: DPDK net_virtio_user flowgen; backend: one testpmd, macswap)\n",
	       median(ours, rounds), median(peer, rounds), median(ratio, rounds));
	printf("sampler: the I/O thread that samples the counters used %.3f%% of a core during our rounds\n",
	       (double)sampler_ns / 1e9 / ours_s * 100);
	printf("RESULT vhost-user mpps_mock_64B=%.3f mpps_peer_64B=%.3f mock_over_peer=%.2f tcp_over_qemu=%s peer=dpdk-virtio-user\n",
	       median(ours, rounds), median(peer, rounds), median(ratio, rounds),
	       tcp_over_qemu ? tcp_over_qemu : "na");
	fflush(stdout);
out:
	net_vm_destroy(&t);
	dpdk_peer_stop(&fe);
	dpdk_peer_stop(&be);
	if (!getenv("BENCH_KEEP_LOG")) { /* the testpmds' logs, to look into */
		unlink(be.log);
		unlink(fe.log);
		rmdir(dir);
	}
	return rc;
}

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			secs = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--tcp-over-qemu"))
			tcp_over_qemu = argv[i + 1];
	}
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 5;
	if (secs <= 0 || secs > 60)
		secs = 1;
	if (!dpdk_peer_binary()) {
		printf("SKIP: dpdk-testpmd is not installed (Debian package dpdk-dev)\n");
		return 77;
	}
	return run();
}
