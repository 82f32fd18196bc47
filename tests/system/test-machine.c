/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/system/test-machine.c: the machine through the public API only:
 * each test guest of tests/guests runs on /dev/kvm and reports through the
 * debug-exit port; vm_stop() interrupts a busy guest quickly; nothing leaks;
 * bad inputs give clear errors.
 *
 * Guests are looked up in $GUEST_DIR, else in ../guests next to this
 * program (the build tree layout). Without /dev/kvm every test that needs
 * it is skipped by the whole program exiting 77 (kvm-tests.sh runs it
 * where a /dev/kvm exists, nesting if needed).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <kvm-virtio.h>
#include "../unit/check-main.h"
#include "sys-util.h"

static char guest_dir[8192];

static const char *guest(const char *name)
{
	static char path[8300];

	snprintf(path, sizeof(path), "%s/%s.elf", guest_dir, name);
	return path;
}

/* A started VM whose COM1 output goes to a pipe. */
struct run {
	struct vm *vm;
	int out[2];     /* console: guest -> [1] ... [0] -> test */
	int in[2];      /* console input: test -> [1] ... [0] -> guest */
	char text[65536];
	size_t len;
};

static void log_to_stderr(void *opaque, int level, const char *object,
			  const char *message)
{
	(void)opaque;
	fprintf(stderr, "# [%d] %s: %s\n", level, object, message);
}

static int run_start(struct run *r, const char *kernel, uint32_t vcpus,
		     uint32_t mem_mib, int with_input, struct vm_error **errp)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	int rc;

	memset(r, 0, sizeof(*r));
	r->in[0] = r->in[1] = -1;
	ck_assert_int_eq(pipe2(r->out, O_CLOEXEC), 0);
	if (with_input)
		ck_assert_int_eq(pipe2(r->in, O_CLOEXEC), 0);
	cfg.vcpus = vcpus;
	cfg.mem_mib = mem_mib;
	cfg.kernel = kernel;
	cfg.console_fd = r->out[1];
	cfg.console_in_fd = r->in[0];
	rc = vm_create(&cfg, &r->vm, errp);
	if (rc < 0)
		return rc;
	if (getenv("VERBOSE"))
		vm_set_log_fn(r->vm, log_to_stderr, NULL, VM_LOG_DEBUG);
	return vm_start(r->vm, errp);
}

/* The flood guest with its console on a PIPE_SZ pipe we read only when we
 * want to (blocking write end, as a host's stdout would be). */
#define PIPE_SZ 4096
static int run_start_fd(struct run *r, const char *kernel,
			struct vm_error **errp)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	int rc;

	ck_assert_int_eq(pipe2(r->out, O_CLOEXEC), 0);
	ck_assert_int_eq(fcntl(r->out[1], F_SETPIPE_SZ, PIPE_SZ), PIPE_SZ);
	cfg.mem_mib = 64;
	cfg.kernel = kernel;
	cfg.console_fd = r->out[1];
	rc = vm_create(&cfg, &r->vm, errp);
	if (rc < 0)
		return rc;
	return vm_start(r->vm, errp);
}

/* Read console output until @want appears or @ms pass. */
static int run_read_until(struct run *r, const char *want, int ms)
{
	double end = now_ms() + ms;

	for (;;) {
		struct pollfd p = { .fd = r->out[0], .events = POLLIN };
		int left = (int)(end - now_ms());
		ssize_t n;

		r->text[r->len] = '\0';
		if (want && strstr(r->text, want))
			return 1;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return 0;
		n = read(r->out[0], r->text + r->len,
			 sizeof(r->text) - 1 - r->len);
		if (n <= 0)
			return 0;
		r->len += (size_t)n;
	}
}

static void run_drain(struct run *r)
{
	int fl = fcntl(r->out[0], F_GETFL);
	ssize_t n;

	fcntl(r->out[0], F_SETFL, fl | O_NONBLOCK);
	while ((n = read(r->out[0], r->text + r->len,
			 sizeof(r->text) - 1 - r->len)) > 0)
		r->len += (size_t)n;
	r->text[r->len] = '\0';
}

static void run_end(struct run *r)
{
	vm_destroy(r->vm);
	close(r->out[0]);
	close(r->out[1]);
	if (r->in[0] >= 0) {
		close(r->in[0]);
		close(r->in[1]);
	}
}

static struct vm_status run_guest(struct run *r, const char *name,
				  uint32_t vcpus, uint32_t mem_mib)
{
	struct vm_status st = VM_STATUS_INIT;
	struct vm_error *err = NULL;
	int rc;

	rc = run_start(r, guest(name), vcpus, mem_mib, 0, &err);
	ck_assert_msg(rc == 0, "%s: vm_start: %d %s", name, rc,
		      vm_error_message(err));
	ck_assert_int_eq(vm_wait(r->vm, &st, 120000), 0);
	run_drain(r);
	printf("# %s: reason %d code 0x%x vcpu %u, console: %s\n", name,
	       st.reason, st.code, st.vcpu, r->text);
	return st;
}

START_TEST(test_hello_prints_and_exits_via_debug_port)
{
	struct run r;
	struct vm_status st = run_guest(&r, "hello", 1, 64);

	ck_assert_int_eq(st.reason, VM_EXIT_DEBUG);
	ck_assert_int_eq(st.code, 0x42);
	ck_assert_ptr_nonnull(strstr(r.text, "hello from the guest\n"));
	run_end(&r);
}
END_TEST

START_TEST(test_triple_fault_reports_shutdown)
{
	struct run r;
	struct vm_status st = run_guest(&r, "triple-fault", 1, 64);

	/* The PVM backend does not run the guest's faulting instructions
	 * natively: its instruction emulator gives up on them, and KVM
	 * reports an emulation failure (internal error, suberror 1) instead
	 * of the triple fault. Hardware KVM (and nested L1) report it. */
	if (vm_host_kvm() == VM_HOST_KVM_PVM && st.reason == VM_EXIT_INTERNAL) {
		printf("# triple-fault: PVM host: KVM internal error %d instead of a shutdown (PVM emulator limit)\n",
		       st.code);
		run_end(&r);
		return;
	}
	ck_assert_int_eq(st.reason, VM_EXIT_SHUTDOWN);
	run_end(&r);
}
END_TEST

START_TEST(test_smp_each_vcpu_reports_its_apic_id)
{
	struct run r;
	struct vm_status st = run_guest(&r, "smp", 2, 64);

	ck_assert_int_eq(st.reason, VM_EXIT_DEBUG);
	ck_assert_int_eq(st.code, 0x3);
	ck_assert_uint_eq(st.vcpu, 0);
	ck_assert_ptr_nonnull(strstr(r.text, "apic 0\n"));
	ck_assert_ptr_nonnull(strstr(r.text, "apic 1\n"));
	run_end(&r);
}
END_TEST

START_TEST(test_high_mem_above_4g_is_ram)
{
	struct run r;
	/* 3 GiB below the PCI hole + 64 MiB at 4 GiB; only touched pages
	 * are ever allocated. */
	struct vm_status st = run_guest(&r, "high-mem", 1, 3072 + 64);

	ck_assert_int_eq(st.reason, VM_EXIT_DEBUG);
	ck_assert_int_eq(st.code, 0x600);
	ck_assert_ptr_nonnull(strstr(r.text, "size 0x0000000004000000"));
	run_end(&r);
}
END_TEST

START_TEST(test_uart_interrupts_thre_and_rx)
{
	struct vm_status st = VM_STATUS_INIT;
	struct vm_error *err = NULL;
	struct run r;
	int rc;

	rc = run_start(&r, guest("uart-irq"), 1, 64, 1, &err);
	ck_assert_msg(rc == 0, "vm_start: %s", vm_error_message(err));
	ck_assert_int_eq(write(r.in[1], "x", 1), 1);
	ck_assert_int_eq(vm_wait(r.vm, &st, 120000), 0);
	run_drain(&r);
	printf("# uart-irq: reason %d code 0x%x, console: %s\n", st.reason,
	       st.code, r.text);
	ck_assert_int_eq(st.reason, VM_EXIT_DEBUG);
	ck_assert_int_eq(st.code, (3 << 8) | 'x');
	ck_assert_ptr_nonnull(strstr(r.text, "TT\nirq ok"));
	run_end(&r);
}
END_TEST

START_TEST(test_stop_interrupts_busy_guest_fast)
{
	struct vm_status st = VM_STATUS_INIT;
	struct vm_error *err = NULL;
	struct run r;
	double t0, ms;
	int rc;

	rc = run_start(&r, guest("spin"), 2, 64, 0, &err);
	ck_assert_msg(rc == 0, "vm_start: %s", vm_error_message(err));
	ck_assert(run_read_until(&r, "spinning", 60000));
	ck_assert_int_eq(vm_wait(r.vm, &st, 50), -ETIMEDOUT);
	t0 = now_ms();
	vm_stop(r.vm);
	rc = vm_wait(r.vm, &st, 5000);
	ms = now_ms() - t0;
	printf("# vm_stop -> vm_wait returned after %.2f ms\n", ms);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(st.reason, VM_EXIT_STOPPED);
	ck_assert_msg(ms < 100.0, "stop took %.2f ms", ms);
	vm_stop(r.vm); /* again: harmless */
	run_end(&r);
}
END_TEST

START_TEST(test_no_fd_or_thread_leak)
{
	struct usage u0 = usage_now();
	unsigned i;

	for (i = 0; i < 3; i++) {
		struct vm_status st = VM_STATUS_INIT;
		struct vm_error *err = NULL;
		struct run r;
		int rc;

		/* One that finishes by itself, with console input (input
		 * thread), and one stopped while running. */
		rc = run_start(&r, guest(i == 1 ? "spin" : "hello"), 2, 64, 1,
			       &err);
		ck_assert_msg(rc == 0, "vm_start: %s", vm_error_message(err));
		if (i == 1) {
			ck_assert(run_read_until(&r, "spinning", 60000));
			vm_stop(r.vm);
		}
		ck_assert_int_eq(vm_wait(r.vm, &st, 60000), 0);
		run_end(&r);
	}
	/* Destroyed without vm_wait: vm_destroy stops and joins. */
	{
		struct vm_error *err = NULL;
		struct run r;

		ck_assert_int_eq(run_start(&r, guest("spin"), 1, 64, 0, &err), 0);
		run_end(&r);
	}
	usage_check("4 VMs", u0);
}
END_TEST

/* Bytes waiting in the pipe behind @fd (its read end). */
static int pipe_bytes(int fd)
{
	int n = 0;

	ck_assert_int_eq(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

/* Wait until the pipe holds @want bytes (the guest filled it). */
static int wait_pipe_bytes(int fd, int want, int ms)
{
	double end = now_ms() + ms;

	while (pipe_bytes(fd) < want) {
		if (now_ms() > end)
			return 0;
		nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	}
	return 1;
}

/* A console fd that nobody reads must not wedge the VM: the guest is held
 * by THRE (backpressure), vm_stop and vm_destroy return at once, the
 * output that got out is in order, and it resumes when the host reads. */
START_TEST(test_console_pipe_nobody_reads_never_wedges)
{
	struct vm_status st = VM_STATUS_INIT;
	struct vm_error *err = NULL;
	char buf[PIPE_SZ];
	double t0, stop_ms, destroy_ms;
	struct run r;
	int rc, n, i;

	for (int round = 0; round < 2; round++) {
		memset(&r, 0, sizeof(r));
		r.in[0] = r.in[1] = -1;
		rc = run_start_fd(&r, guest("flood"), &err);
		ck_assert_msg(rc == 0, "vm_start: %s", vm_error_message(err));
		/* Full: the guest now spins on LSR.THRE. */
		ck_assert_msg(wait_pipe_bytes(r.out[0], PIPE_SZ, 120000),
			      "the guest never filled the %d-byte pipe", PIPE_SZ);
		ck_assert_int_eq(vm_wait(r.vm, &st, 100), -ETIMEDOUT);
		ck_assert_int_eq(pipe_bytes(r.out[0]), PIPE_SZ);
		if (round == 0) {
			/* Reading lets it go on: THRE comes back by itself. */
			n = (int)read(r.out[0], buf, sizeof(buf));
			ck_assert_int_eq(n, PIPE_SZ);
			for (i = 0; i < n; i++)
				ck_assert_int_eq(buf[i], "0123456789abcdef"[i % 16]);
			ck_assert_msg(wait_pipe_bytes(r.out[0], PIPE_SZ, 120000),
				      "output did not resume after the host read");
			t0 = now_ms();
			vm_stop(r.vm);
			rc = vm_wait(r.vm, &st, 5000);
			stop_ms = now_ms() - t0;
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(st.reason, VM_EXIT_STOPPED);
		} else {
			stop_ms = 0;
		}
		t0 = now_ms();
		vm_destroy(r.vm); /* round 1: still running, pipe full */
		destroy_ms = now_ms() - t0;
		printf("# console pipe full (round %d): vm_stop -> vm_wait %.2f ms, vm_destroy %.3f ms\n",
		       round, stop_ms, destroy_ms);
		ck_assert_msg(stop_ms < 1000.0, "vm_stop took %.2f ms", stop_ms);
		ck_assert_msg(destroy_ms < 100.0, "vm_destroy took %.2f ms",
			      destroy_ms);
		/* Nothing is written after vm_destroy returned. */
		n = pipe_bytes(r.out[0]);
		ck_assert_int_eq(vm_release_wait(10000), 0);
		ck_assert_int_eq(pipe_bytes(r.out[0]), n);
		close(r.out[0]);
		close(r.out[1]);
	}
}
END_TEST

START_TEST(test_bad_vcpu_counts)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;

	cfg.kernel = guest("hello");
	cfg.vcpus = 0;
	ck_assert_int_eq(vm_create(&cfg, &vm, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "vcpus"));
	vm_error_free(err);
	err = NULL;
	cfg.vcpus = 100000;
	ck_assert_int_eq(vm_create(&cfg, &vm, &err), -E2BIG);
	printf("# too many vCPUs: %s\n", vm_error_message(err));
	vm_error_free(err);
}
END_TEST

static void expect_start_error(const char *kernel, int code, const char *text)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;
	int rc;

	cfg.kernel = kernel;
	cfg.mem_mib = 64;
	ck_assert_int_eq(vm_create(&cfg, &vm, &err), 0);
	rc = vm_start(vm, &err);
	printf("# kernel %s: %d %s\n", kernel ? kernel : "(none)", rc,
	       vm_error_message(err));
	ck_assert_int_eq(rc, code);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), text));
	vm_error_free(err);
	vm_destroy(vm);
}

START_TEST(test_bad_kernels)
{
	char tmp[] = "/tmp/not-a-kernel.XXXXXX";
	int fd = mkstemp(tmp);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "just some text, no kernel here\n", 31), 31);
	close(fd);
	expect_start_error(NULL, -EINVAL, "kernel");
	expect_start_error("/nonexistent/bzImage", -ENOENT, "/nonexistent/bzImage");
	expect_start_error(tmp, -ENOEXEC, tmp);
	unlink(tmp);
}
END_TEST


int main(void)
{
	Suite *s = suite_create("machine");
	TCase *tc = tcase_create("machine");

	sys_find_guests(guest_dir, sizeof(guest_dir));
	if (!sys_kvm_or_skip())
		return 77;
	printf("# guests in %s; host KVM %s\n", guest_dir,
	       access("/sys/module/kvm_pvm", F_OK) == 0 ? "is PVM" : "is not PVM");
	fflush(stdout);

	tcase_set_timeout(tc, 300); /* nested under TCG everything is slow */
	tcase_add_test(tc, test_hello_prints_and_exits_via_debug_port);
	tcase_add_test(tc, test_triple_fault_reports_shutdown);
	tcase_add_test(tc, test_smp_each_vcpu_reports_its_apic_id);
	tcase_add_test(tc, test_high_mem_above_4g_is_ram);
	tcase_add_test(tc, test_uart_interrupts_thre_and_rx);
	tcase_add_test(tc, test_stop_interrupts_busy_guest_fast);
	tcase_add_test(tc, test_no_fd_or_thread_leak);
	tcase_add_test(tc, test_console_pipe_nobody_reads_never_wedges);
	tcase_add_test(tc, test_bad_vcpu_counts);
	tcase_add_test(tc, test_bad_kernels);
	suite_add_tcase(s, tc);
	return check_run(s);
}
