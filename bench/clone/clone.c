/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/clone/clone.c: how fast a VM that never boots starts.
 *
 *   clone GUEST_ELF [CLONES] [RUNS]
 *   clone -linux KERNEL INITRD [CLONES] [RUNS]
 *
 * GUEST_ELF is tests/guests/tick.elf (vCPU 0 prints "t\n" forever, every
 * instruction a step to its next port write: a guest with a busy loop
 * between lines would make a resumed VM's first byte wait for the rest
 * of the loop, which on the PVM backend is emulated and takes ms).
 * A template (1 vCPU, 64 MiB, the default irqchip, a virtio-net-pci on a
 * "null" netdev: the NIC travels, though this guest has no driver for it)
 * runs until it printed 20 lines and is paused. Every VM below has the
 * same NIC (clones and restored VMs get a new null netdev of the same id). Then, in this order, in one process:
 *   clone    CLONES times (default 100): vm_clone() + vm_start(); each
 *            clone stays alive (paused once measured, so 100 clones do
 *            not share 2 cores spinning) until all were made
 *   restore  RUNS times (default 20): vm_restore() + vm_start() from a
 *            snapshot of the template in $TMPDIR (page cache warm)
 *   cold     RUNS times: vm_create() + vm_start() of the same guest and
 *            configuration
 *   clone+pw, cold+pw  RUNS times each, alternating, with vm_prewarm() of
 *            4 KVM VMs of this shape and one VM every 40 ms (a prewarmed
 *            VM is handed out once 30 ms old; its replacement is made
 *            behind each start); each destroyed once measured
 * For each: the time from the call to its return ("call": vm_clone(),
 * vm_restore() or vm_create(), the netdev added), to vm_start()'s return
 * ("start"), to the first console byte the new VM's
 * guest writes (its first instruction that reaches the host: a port
 * write on the vCPU thread) and to the first whole line ("marker": the
 * guest resumed and printed after its resume). Memory: the process's RSS
 * with all clones alive minus before them, per clone (KVM objects, vCPU
 * stacks and the pages each clone wrote, an upper bound of its private
 * pages), and the template's RAM residency before and after (it must not
 * grow: clones copy, they do not touch the template).
 *
 * Prints a table and, as the LAST line,
 *   RESULT clone p50_us=<x> p99_us=<x> clone_over_cold=<x>
 *          clone_over_restore=<x> kib_per_clone=<x> prewarmed_p50_us=<x>
 *          prewarmed_p99_us=<x>
 * p50/p99: clone call -> marker; clone_over_cold and clone_over_restore:
 * the clone's p50 over the peer's p50 (lower is better; the issue's
 * target for a booted Linux template is <= 0.01 of a cold start). With
 * this tiny guest a cold start boots nothing, so clone_over_cold is near
 * 1 by construction; a Linux template needs the nested path.
 *
 * -linux: the template is a stock Linux kernel booted to userspace (256
 * MiB, "console=ttyS0 quiet panic=-1" or $BENCH_CLONE_CMDLINE; INITRD from bench/clone/run.sh:
 * tests/system/l2-initramfs.sh around bench/clone/linux-tick.sh, which
 * brings eth0 up on the virtio-net-pci and then prints "@@T" lines
 * forever). Lines count only when they are "@@T": the template waits for
 * 20 of them, and every VM's marker is its first whole "@@T" line, so a
 * cold VM's marker is its boot to userspace and a clone's is the first
 * line its guest printed whole after resuming (the rest of a line the
 * template was pausing in does not count). Here clone_over_cold is the
 * figure the target (<= 0.01) is about. run.sh runs it nested
 * when the host's KVM cannot boot Linux.
 * Exit 0, 1 when a VM failed (message on stderr), 77 without /dev/kvm.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kvm-virtio.h>

struct probe {
	struct vm *vm;
	uint64_t t0;                 /* before the call */
	uint64_t made, started;      /* vm_clone/restore/create, vm_start returned */
	uint64_t first, marker;      /* atomics: ns, 0 = not yet */
	unsigned lines;              /* atomic: marker lines seen */
	unsigned long bytes;         /* atomic: console bytes */
	char lb[120];                /* the line being received (-linux) */
	bool echo;                   /* other lines to stderr (-linux template) */
	unsigned lbn;                /* its length; > sizeof(lb): too long */
};

/* What a VM is: the tiny guest (GUEST_ELF) or -linux's kernel. */
static struct {
	const char *kernel, *initrd, *cmdline;
	uint32_t mem_mib;
	const char *marker;          /* a line that counts; NULL: any line */
	uint64_t wait_ns;            /* how long a VM may take to its marker */
	bool template_ready;         /* after it: no more console echo */
} G = { NULL, NULL, NULL, 64, NULL, 30000000000ull, false };

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void on_console(void *opaque, const char *buf, size_t len)
{
	struct probe *p = opaque;
	uint64_t t = now_ns(), zero = 0;

	__atomic_compare_exchange_n(&p->first, &zero, t, 0, __ATOMIC_RELEASE,
				    __ATOMIC_RELAXED);
	__atomic_add_fetch(&p->bytes, len, __ATOMIC_RELAXED);
	for (size_t i = 0; i < len; i++) {
		bool counts;

		if (buf[i] != '\n') {
			if (p->lbn < sizeof(p->lb))
				p->lb[p->lbn] = buf[i];
			p->lbn += p->lbn <= sizeof(p->lb);
			continue;
		}
		if (p->lbn && p->lbn <= sizeof(p->lb) &&
		    p->lb[p->lbn - 1] == '\r')
			p->lbn--; /* the guest's tty sends "\r\n" */
		counts = !G.marker || (p->lbn == strlen(G.marker) &&
				       !memcmp(p->lb, G.marker, p->lbn));
		if (!counts && p->echo)
			fprintf(stderr, "clone: template: %.*s\n",
				(int)(p->lbn < sizeof(p->lb) ? p->lbn : sizeof(p->lb)),
				p->lb);
		p->lbn = 0;
		if (counts &&
		    __atomic_add_fetch(&p->lines, 1, __ATOMIC_ACQ_REL) == 1)
			__atomic_store_n(&p->marker, t, __ATOMIC_RELEASE);
	}
}

/* -linux, nested, takes minutes: a line now and then (l1-run.sh's stall
 * watchdog wants one at least every 150 s), on stderr. */
static void progress(const char *what, unsigned i, unsigned n)
{
	if (G.marker)
		fprintf(stderr, "clone: %s %u/%u\n", what, i, n);
}

static int fail(const char *what, struct vm_error *err, int rc)
{
	fprintf(stderr, "clone: %s: %d %s\n", what, rc, vm_error_message(err));
	vm_error_free(err);
	return 1;
}

/* Wait (sleeping) until @p has @lines marker lines; 0, or -ETIMEDOUT
 * after G.wait_ns. */
static int wait_lines(struct probe *p, unsigned lines)
{
	uint64_t end = now_ns() + G.wait_ns;

	uint64_t beat = now_ns() + 30000000000ull;

	while (__atomic_load_n(&p->lines, __ATOMIC_ACQUIRE) < lines) {
		uint64_t t = now_ns();

		if (t > end)
			return -ETIMEDOUT;
		if (t > beat) { /* a nested boot: say it is not wedged */
			if (G.marker)
				fprintf(stderr, "clone: waiting: %u of %u marker lines, %lu console bytes so far\n",
					__atomic_load_n(&p->lines, __ATOMIC_ACQUIRE),
					lines,
					__atomic_load_n(&p->bytes, __ATOMIC_RELAXED));
			beat = t + 30000000000ull;
		}
		/* The times are taken by on_console(); this only notices.
		 * Nested, a 20 us sleep loop (an L1 timer interrupt each) left
		 * the emulated L2 next to no time: 1 ms there. */
		nanosleep(&(struct timespec){ 0, G.marker ? 1000000 : 20000 },
			  NULL);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Percentile @q (0..100) of @n samples, sorted in place, in µs. */
static double pct_us(uint64_t *v, unsigned n, unsigned q)
{
	unsigned i;

	qsort(v, n, sizeof(*v), cmp_u64);
	i = (unsigned)(((uint64_t)q * (n - 1) + 50) / 100);
	return (double)v[i] / 1000.0;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	if (f) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Resident KiB of the mapping holding the template's RAM (the largest
 * shared mapping of a memfd named kvm-virtio-ram). */
static long template_ram_kib(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0;
	long best = 0, kib;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strstr(line, " rw-s ")) {
			in = strstr(line, "kvm-virtio-ram") != NULL;
			continue;
		}
		if (in && sscanf(line, "Rss: %ld kB", &kib) == 1 && kib > best)
			best = kib;
	}
	fclose(f);
	return best;
}

/* One new VM through @how ('c' clone, 'r' restore, 'k' cold). */
static int one(int how, struct vm *tmpl, const char *snap, struct probe *p)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	int rc;

	memset(p, 0, sizeof(*p));
	cfg.mem_mib = G.mem_mib;
	cfg.kernel = G.kernel;
	cfg.initrd = G.initrd;
	cfg.cmdline = G.cmdline;
	p->echo = G.marker && !G.template_ready;
	p->t0 = now_ns();
	if (how == 'c')
		rc = vm_clone(tmpl, NULL, &p->vm, &err);
	else if (how == 'r')
		rc = vm_restore(&cfg, snap, -1, &p->vm, &err);
	else
		rc = vm_create(&cfg, &p->vm, &err);
	if (rc == 0)
		rc = vm_add_netdev(p->vm, "null", "n0", NULL, &err);
	if (rc == 0 && how == 'k')
		rc = vm_add_device(p->vm, "virtio-net-pci",
				   (const struct vm_prop[]){ { "netdev", "n0" },
							     { "id", "net0" },
							     { NULL, NULL } },
				   &err);
	p->made = now_ns();
	if (rc == 0)
		rc = vm_set_console_fn(p->vm, on_console, p);
	if (rc == 0)
		rc = vm_start(p->vm, &err);
	p->started = now_ns();
	if (rc < 0)
		return fail(how == 'c' ? "clone" : how == 'r' ? "restore" : "cold",
			    err, rc);
	if (wait_lines(p, 1) < 0)
		return fail("no marker from the new VM", NULL, -ETIMEDOUT);
	return 0;
}

struct series {
	const char *name;
	unsigned n;
	uint64_t *first, *marker, *made, *started;
	double p50, p99, f50;
};

static void series_add(struct series *s, const struct probe *p)
{
	s->first[s->n] = __atomic_load_n(&p->first, __ATOMIC_ACQUIRE) - p->t0;
	s->marker[s->n] = __atomic_load_n(&p->marker, __ATOMIC_ACQUIRE) - p->t0;
	s->made[s->n] = p->made - p->t0;
	s->started[s->n] = p->started - p->t0;
	s->n++;
}

static void series_print(struct series *s)
{
	s->f50 = pct_us(s->first, s->n, 50);
	s->p50 = pct_us(s->marker, s->n, 50);
	s->p99 = pct_us(s->marker, s->n, 99);
	printf("%-8s %5u %12.1f %12.1f %12.1f %12.1f %10.1f %10.1f\n", s->name,
	       s->n, s->f50, pct_us(s->first, s->n, 99), s->p50, s->p99,
	       pct_us(s->made, s->n, 50), pct_us(s->started, s->n, 50));
}

static int series_init(struct series *s, const char *name, unsigned n)
{
	s->name = name;
	s->n = 0;
	s->first = calloc(n, sizeof(uint64_t));
	s->marker = calloc(n, sizeof(uint64_t));
	s->made = calloc(n, sizeof(uint64_t));
	s->started = calloc(n, sizeof(uint64_t));
	return s->first && s->marker && s->made && s->started ? 0 : -ENOMEM;
}

static void series_free(struct series *s)
{
	free(s->first);
	free(s->marker);
	free(s->made);
	free(s->started);
}

#define PREWARM_N 4
#define PACE_US 40000

int main(int argc, char **argv)
{
	int a = argc > 1 && !strcmp(argv[1], "-linux") ? 3 : 1;
	unsigned clones = argc > a + 1 ? (unsigned)atoi(argv[a + 1]) : 100;
	unsigned runs = argc > a + 2 ? (unsigned)atoi(argv[a + 2]) : 20;
	struct series sc, sr, sk, scp, skp;
	struct probe tp, *cp, p;
	struct vm_error *err = NULL;
	char snap[4200];
	const char *tmp = getenv("TMPDIR");
	long rss0, rss1, tram0, tram1;
	int fd, rc;

	G.kernel = argc > a ? argv[a == 3 ? 2 : 1] : NULL;
	if (a == 3) {
		G.initrd = argv[3];
		G.cmdline = getenv("BENCH_CLONE_CMDLINE") ? getenv("BENCH_CLONE_CMDLINE")
						       : "console=ttyS0 quiet panic=-1";
		G.mem_mib = 256;
		G.marker = "@@T";
		G.wait_ns = 600000000000ull; /* a nested boot under load */
	}
	if (!G.kernel || (a == 3 && !G.initrd) || clones == 0 || runs == 0) {
		fprintf(stderr, "usage: clone GUEST_ELF [CLONES] [RUNS]\n"
				"       clone -linux KERNEL INITRD [CLONES] [RUNS]\n");
		return 2;
	}
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("clone: SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		return 77;
	}
	close(fd);
	cp = calloc(clones, sizeof(*cp));
	if (!cp || series_init(&sc, "clone", clones) ||
	    series_init(&sr, "restore", runs) || series_init(&sk, "cold", runs) ||
	    series_init(&scp, "clone+pw", runs) ||
	    series_init(&skp, "cold+pw", runs))
		return fail("out of memory", NULL, -ENOMEM);
	snprintf(snap, sizeof(snap), "%s/bench-clone-%d.snap", tmp ? tmp : "/tmp",
		 (int)getpid());

	/* The template, paused mid-count, and its snapshot. */
	if (one('k', NULL, NULL, &tp) || wait_lines(&tp, 20) < 0)
		return 1;
	rc = vm_pause(tp.vm, &err);
	if (rc == 0)
		rc = vm_snapshot(tp.vm, snap, -1, 0, &err);
	if (rc < 0)
		return fail("template pause/snapshot", err, rc);
	G.template_ready = true;
	progress("template paused and saved", 1, 1);

	rss0 = rss_kib();
	tram0 = template_ram_kib();
	for (unsigned i = 0; i < clones; i++) {
		if (one('c', tp.vm, NULL, &cp[i]))
			return 1;
		series_add(&sc, &cp[i]);
		if ((i + 1) % 10 == 0 || i + 1 == clones)
			progress("clones", i + 1, clones);
		rc = vm_pause(cp[i].vm, &err);
		if (rc < 0)
			return fail("pause a clone", err, rc);
	}
	rss1 = rss_kib();
	tram1 = template_ram_kib();
	for (unsigned i = 0; i < clones; i++)
		vm_destroy(cp[i].vm);
	vm_release_wait(-1);

	for (unsigned i = 0; i < runs; i++) {
		if (one('r', NULL, snap, &p))
			return 1;
		series_add(&sr, &p);
		vm_destroy(p.vm);
		if (one('k', NULL, NULL, &p))
			return 1;
		series_add(&sk, &p);
		vm_destroy(p.vm);
		vm_release_wait(-1);
		progress("restore + cold", i + 1, runs);
	}
	/* The same with vm_prewarm(): KVM VMs of this shape made in advance,
	 * one VM every PACE_US (a prewarmed VM is handed out once it is
	 * 30 ms old, and its replacement is made behind each start). */
	{
		struct vm_config pw = VM_CONFIG_INIT;

		rc = vm_prewarm(&pw, PREWARM_N, &err);
		if (rc < 0)
			return fail("vm_prewarm", err, rc);
		for (unsigned i = 0; i < runs; i++) {
			usleep(PACE_US);
			if (one('c', tp.vm, NULL, &p))
				return 1;
			series_add(&scp, &p);
			vm_destroy(p.vm);
			usleep(PACE_US);
			if (one('k', NULL, NULL, &p))
				return 1;
			series_add(&skp, &p);
			vm_destroy(p.vm);
			progress("prewarmed clone + cold", i + 1, runs);
		}
		(void)vm_prewarm(&pw, 0, NULL);
	}
	unlink(snap);
	vm_destroy(tp.vm);
	vm_release_wait(-1);

	printf("host KVM: %s; guest %s%s, 1 vCPU, %u MiB, virtio-net-pci on null\n",
	       vm_host_kvm() == VM_HOST_KVM_PVM ? "PVM" : "hardware",
	       G.initrd ? "Linux " : "", G.kernel, G.mem_mib);
	printf("%-8s %5s %12s %12s %12s %12s %10s %10s\n", "peer", "n",
	       "first p50 us", "first p99 us", "marker p50", "marker p99",
	       "call p50", "start p50");
	series_print(&sc);
	series_print(&sr);
	series_print(&sk);
	series_print(&scp);
	series_print(&skp);
	printf("memory: RSS +%ld KiB for %u live clones (%.1f KiB each); template RAM resident %ld -> %ld KiB\n",
	       rss1 - rss0, clones, (double)(rss1 - rss0) / clones, tram0, tram1);
	printf("RESULT clone p50_us=%.1f p99_us=%.1f clone_over_cold=%.3f clone_over_restore=%.3f kib_per_clone=%.1f prewarmed_p50_us=%.1f prewarmed_p99_us=%.1f\n",
	       sc.p50, sc.p99, sc.p50 / sk.p50, sc.p50 / sr.p50,
	       (double)(rss1 - rss0) / clones, scp.p50, scp.p99);
	free(cp);
	series_free(&sc);
	series_free(&sr);
	series_free(&sk);
	series_free(&scp);
	series_free(&skp);
	return 0;
}
