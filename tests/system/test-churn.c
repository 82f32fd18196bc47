/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/system/test-churn.c: a VM per request, through the public API:
 * - 1000 create/add/start/wait/destroy cycles of the exit guest with a
 *   null netdev and a virtio-net-pci: open fds, threads and RSS before,
 *   after 100 and after 1000 cycles (nested: 100 cycles, checkpoint at 10);
 * - 64 VMs at once (63 halting, 1 spinning), vm_stop on one leaves the
 *   others running, then all destroyed from 4 host threads, some running;
 *   half of them kick their vCPUs with a host-chosen signal, and the
 *   process's signal disposition and mask are untouched;
 * - vm_destroy of a running VM from another thread than the starter;
 * - a process that destroys 10 VMs and returns from main at once exits
 *   cleanly (status 0; under ASan, LeakSanitizer would make it 23);
 * - vm_prewarm(): its errors; VMs of the prewarmed shape take a KVM VM
 *   made in advance (the realize log says so), others do not, nor one
 *   younger than 30 ms; the replacement is made; vm_prewarm(…, 0) gives
 *   every fd back; a forked child makes its own.
 *
 * Guests come from $GUEST_DIR, else ../guests next to this program.
 * Without /dev/kvm the program exits 77 (kvm-tests.sh runs it where KVM
 * runs the tiny guests: this host, PVM included, else a nested L1).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kvm-virtio.h>
#include "../unit/check-main.h"
#include "sys-util.h"

static char guest_dir[8192];
static int nested;

static const char *guest(const char *name)
{
	static __thread char path[8300];

	snprintf(path, sizeof(path), "%s/%s.elf", guest_dir, name);
	return path;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld %ld", &pages, &rss), 2);
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static struct vm *start_vm(const char *name, uint32_t mem_mib, int net,
			   int kick_signal)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;
	int rc;

	cfg.mem_mib = mem_mib;
	cfg.kernel = guest(name);
	cfg.kick_signal = kick_signal;
	rc = vm_create(&cfg, &vm, &err);
	if (rc == 0 && net)
		rc = vm_add_netdev(vm, "null", "n0", NULL, &err);
	if (rc == 0 && net)
		rc = vm_add_device(vm, "virtio-net-pci", (const struct vm_prop[]){
					   { "netdev", "n0" }, { "id", "net0" },
					   { NULL, NULL } }, &err);
	if (rc == 0)
		rc = vm_start(vm, &err);
	ck_assert_msg(rc == 0, "%s: %d %s", name, rc, vm_error_message(err));
	return vm;
}

static void cycle(void)
{
	struct vm_status st = VM_STATUS_INIT;
	struct vm *vm = start_vm("exit", 64, 1, 0);

	ck_assert_int_eq(vm_wait(vm, &st, 30000), 0);
	ck_assert_int_eq(st.reason, VM_EXIT_DEBUG);
	ck_assert_int_eq(st.code, 0x2a);
	vm_destroy(vm);
}

/* Caches warm up during the first cycles (malloc arenas of the vCPU and
 * release threads, glibc's cache of thread stacks): that is the first
 * checkpoint. From there to the end, the heap in use (mallinfo2, every
 * arena, glibc's tcache off: see tcache_off()) may grow by HEAP_BOUND_B
 * at most: a leak of 20 bytes per cycle would exceed it over 900 cycles
 * (nested, 90 cycles: 200 bytes); measured here, the heap moves by 3.5 KiB
 * at most, up and down, over 3000 cycles. RSS
 * also counts free pages kept by those arenas and stacks, which vary with
 * scheduling and load (measured on this host: between 2.6 and 6.1 MiB
 * over 4000 cycles, up and down, not growing; +2.3 MiB once from cycle 100
 * to 1000 under load): it may grow by RSS_BOUND_KIB at most, 1/16 of one
 * of these VMs' 64 MiB. */
#define HEAP_BOUND_B (16u << 10)
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif
#define RSS_BOUND_KIB 4096

/* mallinfo2 counts the chunks a thread keeps in its tcache as in use, and
 * the main thread's tcache goes on filling for thousands of cycles (this
 * host: +22 KiB from cycle 100 to 1000, +8 KiB per 500 cycles after 2000;
 * with the tcache off, flat from cycle 1000 to 5000). The program runs
 * itself again with glibc's tcache off, so that the bound measures the
 * heap and not glibc's cache. */
static void tcache_off(char **argv)
{
	const char *t = getenv("GLIBC_TUNABLES");
	char buf[1024];

	if (getenv("CHURN_TCACHE_OFF"))
		return;
	snprintf(buf, sizeof(buf), "%s%sglibc.malloc.tcache_count=0",
		 t ? t : "", t && *t ? ":" : "");
	setenv("GLIBC_TUNABLES", buf, 1);
	setenv("CHURN_TCACHE_OFF", "1", 1);
	execv("/proc/self/exe", argv);
	/* Could not: go on with the tcache; the bound may then be loose. */
	printf("# could not run again with the tcache off: %s\n",
	       strerror(errno));
}

START_TEST(test_1000_cycles_nothing_grows)
{
	unsigned total = nested ? 100 : 1000, mark = total / 10, i;
	struct usage u0, u1, u2;
	long r0, r1, r2;
	size_t h1, h2;
	double t0 = now_ms();

	ck_assert_int_eq(vm_release_wait(10000), 0);
	u0 = usage_now();
	r0 = rss_kib();
	for (i = 0; i < mark; i++)
		cycle();
	ck_assert_int_eq(vm_release_wait(10000), 0);
	usage_check("after the first cycles", u0);
	u1 = usage_now();
	r1 = rss_kib();
	h1 = mallinfo2().uordblks;
	for (; i < total; i++)
		cycle();
	ck_assert_int_eq(vm_release_wait(10000), 0);
	usage_check("after all cycles", u0);
	u2 = usage_now();
	r2 = rss_kib();
	h2 = mallinfo2().uordblks;
	printf("# %u cycles%s in %.0f ms: fds %u/%u/%u, threads %u/%u/%u, RSS %ld/%ld/%ld KiB (before/after %u/after %u), heap in use %zu -> %zu bytes\n",
	       total, nested ? " (nested: 1000 scaled down to 100)" : "",
	       now_ms() - t0, u0.fds, u1.fds, u2.fds, u0.threads, u1.threads,
	       u2.threads, r0, r1, r2, mark, total, h1, h2);
	if (UNDER_ASAN) {
		/* ASan keeps freed memory in quarantine and has its own heap:
		 * RSS and mallinfo say nothing here; LeakSanitizer checks
		 * every allocation at exit instead. */
		printf("# ASan build: RSS and heap bounds not checked (quarantine); LeakSanitizer checks leaks\n");
		return;
	}
	ck_assert_msg(h2 <= h1 + HEAP_BOUND_B,
		      "heap in use grew %zu bytes between cycle %u and %u (bound %u)",
		      h2 - h1, mark, total, HEAP_BOUND_B);
	ck_assert_msg(r2 - r1 <= RSS_BOUND_KIB,
		      "RSS grew %ld KiB between cycle %u and %u (bound %d KiB)",
		      r2 - r1, mark, total, RSS_BOUND_KIB);
}
END_TEST

#define NVMS 64
#define NTHREADS 4

struct destroyer {
	pthread_t t;
	struct vm **vms;
	unsigned first, n;
	double worst_ms;
};

static void *destroy_some(void *arg)
{
	struct destroyer *d = arg;

	for (unsigned i = d->first; i < d->first + d->n; i++) {
		struct vm_status st = VM_STATUS_INIT;
		double t0;

		if (i % 2) { /* half stopped and waited for, half destroyed running */
			vm_stop(d->vms[i]);
			if (vm_wait(d->vms[i], &st, 10000) != 0 ||
			    st.reason != VM_EXIT_STOPPED)
				return (void *)1;
		}
		t0 = now_ms();
		vm_destroy(d->vms[i]);
		t0 = now_ms() - t0;
		if (t0 > d->worst_ms)
			d->worst_ms = t0;
	}
	return NULL;
}

START_TEST(test_64_vms_stopped_and_destroyed_independently)
{
	struct vm_status st = VM_STATUS_INIT;
	struct destroyer d[NTHREADS];
	struct vm *vms[NVMS];
	struct sigaction sa0, sa1;
	sigset_t m0, m1;
	int sig = SIGRTMIN + 2;
	struct usage u0;
	double t0, worst = 0;
	unsigned i;

	ck_assert_int_eq(vm_release_wait(10000), 0);
	u0 = usage_now();
	ck_assert_int_eq(sigaction(SIGRTMAX - 3, NULL, &sa0), 0);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, NULL, &m0), 0);
	t0 = now_ms();
	for (i = 0; i < NVMS; i++)
		vms[i] = start_vm(i == 0 ? "spin" : "halt", 2, 0,
				  i % 2 ? sig : 0);
	printf("# %u VMs started in %.1f ms; %u threads\n", NVMS,
	       now_ms() - t0, usage_now().threads);
	/* All running; stopping one leaves the others running. */
	for (i = 0; i < NVMS; i++)
		ck_assert_int_eq(vm_wait(vms[i], &st, 0), -ETIMEDOUT);
	vm_stop(vms[5]);
	ck_assert_int_eq(vm_wait(vms[5], &st, 10000), 0);
	ck_assert_int_eq(st.reason, VM_EXIT_STOPPED);
	for (i = 0; i < NVMS; i++)
		if (i != 5)
			ck_assert_int_eq(vm_wait(vms[i], &st, 0), -ETIMEDOUT);
	/* No process-wide side effect of the kick signals. */
	ck_assert_int_eq(sigaction(SIGRTMAX - 3, NULL, &sa1), 0);
	ck_assert_ptr_eq((void *)sa1.sa_handler, (void *)sa0.sa_handler);
	ck_assert_int_eq(sigaction(sig, NULL, &sa1), 0);
	ck_assert_ptr_eq((void *)sa1.sa_handler, (void *)SIG_DFL);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, NULL, &m1), 0);
	ck_assert_int_eq(sigismember(&m1, sig), sigismember(&m0, sig));
	ck_assert_int_eq(sigismember(&m1, SIGRTMAX - 3),
			 sigismember(&m0, SIGRTMAX - 3));

	for (i = 0; i < NTHREADS; i++) {
		d[i] = (struct destroyer){ .vms = vms, .first = i * (NVMS / NTHREADS),
					   .n = NVMS / NTHREADS };
		ck_assert_int_eq(pthread_create(&d[i].t, NULL, destroy_some, &d[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		void *ret;

		ck_assert_int_eq(pthread_join(d[i].t, &ret), 0);
		ck_assert_ptr_null(ret);
		if (d[i].worst_ms > worst)
			worst = d[i].worst_ms;
	}
	t0 = now_ms();
	ck_assert_int_eq(vm_release_wait(30000), 0);
	printf("# %u VMs destroyed from %u threads: slowest vm_destroy %.3f ms; all released %.1f ms later\n",
	       NVMS, NTHREADS, worst, now_ms() - t0);
	usage_check("64 VMs", u0);
}
END_TEST

struct other {
	struct vm *vm;
	double ms;
};

static void *destroy_other(void *arg)
{
	struct other *o = arg;
	double t0 = now_ms();

	vm_destroy(o->vm);
	o->ms = now_ms() - t0;
	return NULL;
}

START_TEST(test_destroy_running_vm_from_another_thread)
{
	struct usage u0;
	struct other o;
	pthread_t t;

	ck_assert_int_eq(vm_release_wait(10000), 0);
	u0 = usage_now();
	for (int i = 0; i < 3; i++) {
		o.vm = start_vm(i == 1 ? "halt" : "spin", 64, i == 2, 0);
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL); /* running */
		ck_assert_int_eq(pthread_create(&t, NULL, destroy_other, &o), 0);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		printf("# vm_destroy of a running %s VM from another thread: %.3f ms\n",
		       i == 1 ? "halting" : i == 2 ? "spinning (with a NIC)" :
			       "spinning", o.ms);
		ck_assert_msg(o.ms < (nested ? 100.0 : 10.0), "took %.3f ms", o.ms);
	}
	usage_check("destroy from another thread", u0);
}
END_TEST

/* The child: 10 VMs running, destroyed, main returns at once. */
static int destroy_and_return(void)
{
	struct vm *vms[10];
	int i;

	for (i = 0; i < 10; i++) {
		struct vm_config cfg = VM_CONFIG_INIT;
		struct vm_error *err = NULL;

		cfg.mem_mib = 16;
		cfg.kernel = guest(i % 2 ? "spin" : "halt");
		if (vm_create(&cfg, &vms[i], &err) < 0 ||
		    vm_start(vms[i], &err) < 0) {
			fprintf(stderr, "child: %s\n", vm_error_message(err));
			return 1;
		}
	}
	for (i = 0; i < 10; i++)
		vm_destroy(vms[i]);
	return 0; /* the library's destructor finishes the releases */
}

START_TEST(test_exit_right_after_destroy_is_clean)
{
	double t0 = now_ms();
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl("/proc/self/exe", "test-churn", "--destroy-and-return",
		      (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	printf("# child: 10 VMs destroyed, main returned: %s %d after %.1f ms\n",
	       WIFEXITED(status) ? "exit status" : "signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
	       now_ms() - t0);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_kick_signal_must_be_real_time)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;

	cfg.kernel = guest("halt");
	cfg.kick_signal = SIGUSR1;
	ck_assert_int_eq(vm_create(&cfg, &vm, &err), -EINVAL);
	printf("# kick_signal SIGUSR1: %s\n", vm_error_message(err));
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "kick_signal"));
	vm_error_free(err);
}
END_TEST


/* ---- vm_prewarm(): KVM VMs made before they are asked for ---- */

static int prewarm_seen; /* atomic: a log line said "prewarmed" */

static void prewarm_log(void *opaque, int level, const char *object,
			const char *message)
{
	(void)opaque;
	(void)level;
	(void)object;
	if (strstr(message, "on a prewarmed KVM VM"))
		__atomic_store_n(&prewarm_seen, 1, __ATOMIC_RELEASE);
}

/* Runs @name (an exit guest: "exit" says 0x2a, "smp" 0x5a from each vCPU
 * then exits) with @vcpus and @flags; returns whether it ran on a
 * prewarmed VM. */
static int run_prewarm(const char *name, uint32_t vcpus, uint32_t flags)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_status st = VM_STATUS_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;
	int rc;

	cfg.mem_mib = 64;
	cfg.vcpus = vcpus;
	cfg.flags = flags;
	cfg.kernel = guest(name);
	__atomic_store_n(&prewarm_seen, 0, __ATOMIC_RELEASE);
	rc = vm_create(&cfg, &vm, &err);
	if (rc == 0)
		vm_set_log_fn(vm, prewarm_log, NULL, VM_LOG_DEBUG);
	if (rc == 0)
		rc = vm_start(vm, &err);
	ck_assert_msg(rc == 0, "%s: %d %s", name, rc, vm_error_message(err));
	ck_assert_int_eq(vm_wait(vm, &st, 30000), 0);
	ck_assert_int_eq(st.reason, VM_EXIT_DEBUG);
	vm_destroy(vm);
	return __atomic_load_n(&prewarm_seen, __ATOMIC_ACQUIRE);
}

static struct vm_config prewarm_cfg(uint32_t vcpus, uint32_t flags)
{
	struct vm_config cfg = VM_CONFIG_INIT;

	cfg.mem_mib = 1; /* not part of the shape */
	cfg.vcpus = vcpus;
	cfg.flags = flags;
	return cfg;
}

/* What the header documents: the shape (vCPUs, irqchip, PIT) decides;
 * a VM of that shape runs on a prewarmed VM once one is 30 ms old, one of
 * another shape does not; the replacement comes behind it; another shape
 * or 0 drops them, and every fd is back. */
START_TEST(test_prewarm_takes_matching_vms_only)
{
	struct vm_config one = prewarm_cfg(1, 0), two = prewarm_cfg(2, 0);
	struct usage u0 = usage_now(), u1;
	struct vm_error *err = NULL;
	double t0;

	ck_assert_int_eq(vm_prewarm(&one, 2, &err), 2);
	u1 = usage_now();
	ck_assert_uint_eq(u1.fds, u0.fds + 2 * 3); /* /dev/kvm, VM, vCPU */
	usleep(60000);
	ck_assert_msg(run_prewarm("exit", 1, 0), "a matching VM was not taken");
	ck_assert_msg(!run_prewarm("exit", 1, VM_CONFIG_F_NO_IRQCHIP),
		      "a VM without irqchip took a shell with one");
	ck_assert_msg(!run_prewarm("smp", 2, 0), "2 vCPUs took a 1-vCPU shell");
	/* the replacement: made behind the start, by a release thread */
	ck_assert_int_eq(vm_release_wait(10000), 0);
	ck_assert_uint_eq(usage_now().fds, u1.fds);
	/* a shell younger than 30 ms is left where it is */
	ck_assert_int_eq(vm_prewarm(&two, 1, &err), 1);
	t0 = now_ms();
	if (!run_prewarm("smp", 2, 0) || now_ms() - t0 >= 30.0)
		usleep(60000);
	else
		ck_abort_msg("a shell younger than 30 ms was taken");
	ck_assert_msg(run_prewarm("smp", 2, 0), "a 2-vCPU VM did not take its shell");
	ck_assert_int_eq(vm_release_wait(10000), 0);
	ck_assert_int_eq(vm_prewarm(&two, 0, &err), 0);
	usage_check("after vm_prewarm(0)", u0);
}
END_TEST

START_TEST(test_prewarm_errors)
{
	struct vm_config cfg = prewarm_cfg(1, VM_CONFIG_F_PIT | VM_CONFIG_F_NO_IRQCHIP);
	struct vm_error *err = NULL;

	ck_assert_int_eq(vm_prewarm(NULL, 1, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "vm_prewarm"));
	vm_error_free(err);
	err = NULL;
	ck_assert_int_eq(vm_prewarm(&cfg, 1, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "PIT"));
	vm_error_free(err);
	err = NULL;
	cfg = prewarm_cfg(1, 0);
	ck_assert_int_eq(vm_prewarm(&cfg, 65, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "at most 64"));
	vm_error_free(err);
	err = NULL;
	cfg.vcpus = 0;
	ck_assert_int_eq(vm_prewarm(&cfg, 1, &err), -EINVAL);
	vm_error_free(err);
}
END_TEST

/* A forked child has none of its parent's prewarmed VMs (KVM would
 * refuse them to another process) and starts its own. */
START_TEST(test_prewarm_fork_child_makes_its_own)
{
	struct vm_config cfg = prewarm_cfg(1, 0);
	struct vm_error *err = NULL;
	int status;
	pid_t pid;

	ck_assert_int_eq(vm_prewarm(&cfg, 1, &err), 1);
	usleep(60000);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(run_prewarm("exit", 1, 0) ? 3 : 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child: status 0x%x (3: it took a shell of its parent)",
		      status);
	ck_assert_msg(run_prewarm("exit", 1, 0), "the parent's shell is gone");
	ck_assert_int_eq(vm_prewarm(&cfg, 0, &err), 0);
}
END_TEST

int main(int argc, char **argv)
{
	const char *ran = getenv("KVM_TEST_PATH_RAN");
	Suite *s;
	TCase *tc;

	tcache_off(argv);
	sys_find_guests(guest_dir, sizeof(guest_dir));
	if (argc > 1 && !strcmp(argv[1], "--destroy-and-return"))
		return destroy_and_return();
	if (!sys_kvm_or_skip())
		return 77;
	s = suite_create("churn");
	tc = tcase_create("churn");
	nested = ran && !strcmp(ran, "nested");
	printf("# guests in %s; path %s\n", guest_dir, ran ? ran : "(not said)");
	fflush(stdout);

	tcase_set_timeout(tc, 600); /* nested under TCG everything is slow */
	tcase_add_test(tc, test_1000_cycles_nothing_grows);
	tcase_add_test(tc, test_64_vms_stopped_and_destroyed_independently);
	tcase_add_test(tc, test_destroy_running_vm_from_another_thread);
	tcase_add_test(tc, test_exit_right_after_destroy_is_clean);
	tcase_add_test(tc, test_kick_signal_must_be_real_time);
	tcase_add_test(tc, test_prewarm_errors);
	tcase_add_test(tc, test_prewarm_takes_matching_vms_only);
	tcase_add_test(tc, test_prewarm_fork_child_makes_its_own);
	suite_add_tcase(s, tc);
	return check_run(s);
}
