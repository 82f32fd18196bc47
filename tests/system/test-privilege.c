/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/system/test-privilege.c: VM_CONFIG_F_DROP_CAPS and
 * VM_CONFIG_F_SECCOMP with the project's tiny guests, as the header says:
 * - with DROP_CAPS every vCPU thread and the UART's input thread have
 *   empty CapEff/CapPrm/CapInh (read from /proc/self/task/N/status) while
 *   the thread that called vm_start keeps its capabilities; without the
 *   flag the vCPU threads have the host's (the check can fail); release
 *   threads have none either way;
 * - with SECCOMP a syscall outside the allow-list (open, socket) made on
 *   a vCPU thread (from the console callback) fails with EPERM, one inside
 *   it (write) works, the guest keeps running and vm_stop stops it; the
 *   vCPU threads report "Seccomp: 2", the host's thread 0 and its own open
 *   still works; the console still reaches a pipe;
 * - a tap passed by fd= works in a process that holds no capability at
 *   all (a private network namespace; the guest does not drive the NIC:
 *   what is checked is realize, start and stop with fd= and no
 *   capability), and a tap created by ifname= in such a process fails
 *   naming the reason.
 * The capability checks need a process that has capabilities to lose (root):
 * they skip, saying so, otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cap-ng.h>
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

/* One line of /proc/self/task/TID/status ("CapEff:", "Seccomp:"...). */
static int task_field(const char *tid, const char *key, char *out,
		      size_t len)
{
	char path[300], line[256];
	size_t kl = strlen(key);
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
	f = fopen(path, "r");
	if (!f)
		return 0; /* the thread ended meanwhile */
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl))
			continue;
		snprintf(out, len, "%s", line + kl + strspn(line + kl, " \t"));
		out[strcspn(out, "\n")] = '\0';
		found = 1;
	}
	fclose(f);
	return found;
}

static int task_comm(const char *tid, char *out, size_t len)
{
	return task_field(tid, "Name:", out, len);
}

static void self_field(const char *key, char *out, size_t len)
{
	char tid[32];

	snprintf(tid, sizeof(tid), "%d", gettid());
	ck_assert(task_field(tid, key, out, len));
}

static int have_caps(void)
{
	char eff[64];

	self_field("CapEff:", eff, sizeof(eff));
	return strspn(eff, "0") != strlen(eff);
}

/* For every thread whose name starts with @prefix: its @key must be (or,
 * with @equal 0, must not be) @want. Returns how many were seen. */
static unsigned check_threads(const char *prefix, const char *key,
			      const char *want, int equal)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		char comm[64], val[64];

		if (e->d_name[0] == '.' || !task_comm(e->d_name, comm, sizeof(comm)) ||
		    strncmp(comm, prefix, strlen(prefix)) ||
		    !task_field(e->d_name, key, val, sizeof(val)))
			continue;
		printf("# thread %s (%s): %s %s\n", e->d_name, comm, key, val);
		if (equal)
			ck_assert_msg(!strcmp(val, want), "%s %s: %s %s, want %s",
				      comm, e->d_name, key, val, want);
		else
			ck_assert_msg(strcmp(val, want), "%s %s: %s %s", comm,
				      e->d_name, key, val);
		n++;
	}
	closedir(d);
	return n;
}

/* Threads name themselves when they start: wait until @n threads named
 * @prefix... exist (a thread that has not run yet has not run guest code
 * either: it drops its privileges before it does). */
static void wait_threads(const char *prefix, unsigned n)
{
	double dl = now_ms() + 30000;

	for (;;) {
		DIR *d = opendir("/proc/self/task");
		struct dirent *e;
		unsigned k = 0;
		char comm[64];

		ck_assert_ptr_nonnull(d);
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' &&
			    task_comm(e->d_name, comm, sizeof(comm)) &&
			    !strncmp(comm, prefix, strlen(prefix)))
				k++;
		closedir(d);
		if (k >= n)
			return;
		ck_assert_msg(now_ms() < dl, "%u of %u '%s' threads after 30 s",
			      k, n, prefix);
		usleep(1000);
	}
}

/* What the console callback saw, on the vCPU thread that called it. */
struct seen {
	char text[256];
	size_t len;
	int open_errno, socket_errno, write_ok, calls;
	int pipe_w;
};

static void console_cb(void *opaque, const char *buf, size_t len)
{
	struct seen *s = opaque;
	int fd;

	if (__atomic_load_n(&s->calls, __ATOMIC_ACQUIRE) == 0) {
		fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
		s->open_errno = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		s->socket_errno = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		s->write_ok = write(s->pipe_w, "x", 1) == 1;
	}
	if (s->len + len < sizeof(s->text)) {
		memcpy(s->text + s->len, buf, len);
		__atomic_store_n(&s->len, s->len + len, __ATOMIC_RELEASE);
	}
	__atomic_add_fetch(&s->calls, 1, __ATOMIC_RELEASE);
}

static struct vm *start_spin(uint32_t flags, struct seen *seen, int in_fd)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;
	int rc;

	cfg.vcpus = 2;
	cfg.mem_mib = 16;
	cfg.kernel = guest("spin");
	cfg.flags = flags;
	cfg.console_in_fd = in_fd;
	rc = vm_create(&cfg, &vm, &err);
	if (rc == 0 && seen)
		rc = vm_set_console_fn(vm, console_cb, seen);
	if (rc == 0)
		rc = vm_start(vm, &err);
	ck_assert_msg(rc == 0, "vm_start: %d %s", rc, vm_error_message(err));
	return vm;
}

static void wait_spinning(struct seen *s)
{
	double dl = now_ms() + 30000;

	while (!memmem(s->text, __atomic_load_n(&s->len, __ATOMIC_ACQUIRE),
		       "spinning", 8)) {
		ck_assert_msg(now_ms() < dl, "the spin guest never spoke");
		usleep(1000);
	}
}

static void stop_and_destroy(struct vm *vm)
{
	struct vm_status st = VM_STATUS_INIT;

	ck_assert_int_eq(vm_wait(vm, &st, 50), -ETIMEDOUT); /* still running */
	vm_stop(vm);
	ck_assert_int_eq(vm_wait(vm, &st, 10000), 0);
	ck_assert_int_eq(st.reason, VM_EXIT_STOPPED);
	vm_destroy(vm);
}

#define NO_CAPS "0000000000000000"

START_TEST(test_vm_threads_keep_no_capabilities)
{
	struct seen seen = { .pipe_w = -1 };
	char before[64], after[64];
	struct vm *vm;
	int in[2];

	if (!have_caps()) {
		printf("# SKIP: this process has no capability to drop\n");
		return;
	}
	self_field("CapEff:", before, sizeof(before));
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0); /* starts the UART thread */
	vm = start_spin(VM_CONFIG_F_DROP_CAPS, &seen, in[0]);
	wait_spinning(&seen);
	wait_threads("kvm-vcpu", 2);
	wait_threads("kvm-uart", 1);
	ck_assert_uint_eq(check_threads("kvm-vcpu", "CapEff:", NO_CAPS, 1), 2);
	ck_assert_uint_eq(check_threads("kvm-vcpu", "CapPrm:", NO_CAPS, 1), 2);
	ck_assert_uint_eq(check_threads("kvm-vcpu", "CapInh:", NO_CAPS, 1), 2);
	ck_assert_uint_eq(check_threads("kvm-uart", "CapEff:", NO_CAPS, 1), 1);
	ck_assert_uint_eq(check_threads("kvm-uart", "CapPrm:", NO_CAPS, 1), 1);
	self_field("CapEff:", after, sizeof(after));
	ck_assert_str_eq(after, before); /* the host's thread: untouched */
	stop_and_destroy(vm);
	/* The release thread, while it lives (it ends when idle). */
	check_threads("kvm-release", "CapEff:", NO_CAPS, 1);
	ck_assert_int_eq(vm_release_wait(10000), 0);
	close(in[0]);
	close(in[1]);
}
END_TEST

START_TEST(test_without_the_flag_vcpus_keep_the_hosts_capabilities)
{
	struct seen seen = { .pipe_w = -1 };
	char eff[64];
	struct vm *vm;

	if (!have_caps()) {
		printf("# SKIP: this process has no capability to drop\n");
		return;
	}
	self_field("CapEff:", eff, sizeof(eff));
	vm = start_spin(0, &seen, -1);
	wait_spinning(&seen);
	wait_threads("kvm-vcpu", 2);
	ck_assert_uint_eq(check_threads("kvm-vcpu", "CapEff:", eff, 1), 2);
	ck_assert_uint_eq(check_threads("kvm-vcpu", "Seccomp:", "0", 1), 2);
	stop_and_destroy(vm);
	ck_assert_int_eq(vm_release_wait(10000), 0);
}
END_TEST

START_TEST(test_seccomp_refuses_outside_the_list_and_the_guest_runs_on)
{
	struct seen seen = { 0 };
	char mode[16];
	struct vm *vm;
	int p[2], fd;
	char c;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	seen.pipe_w = p[1];
	vm = start_spin(VM_CONFIG_F_SECCOMP | VM_CONFIG_F_DROP_CAPS, &seen, -1);
	wait_spinning(&seen);
	wait_threads("kvm-vcpu", 2);
	printf("# on a vCPU thread: open %s, socket %s, write %s\n",
	       strerror(seen.open_errno), strerror(seen.socket_errno),
	       seen.write_ok ? "ok" : "failed");
	ck_assert_int_eq(seen.open_errno, EPERM);
	ck_assert_int_eq(seen.socket_errno, EPERM);
	ck_assert(seen.write_ok);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_uint_eq(check_threads("kvm-vcpu", "Seccomp:", "2", 1), 2);
	if (have_caps())
		ck_assert_uint_eq(check_threads("kvm-vcpu", "CapEff:", NO_CAPS, 1), 2);
	self_field("Seccomp:", mode, sizeof(mode));
	ck_assert_str_eq(mode, "0");
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC); /* the host's */
	ck_assert_int_ge(fd, 0);
	close(fd);
	stop_and_destroy(vm); /* the guest ran on; vm_stop still works */
	ck_assert_int_eq(vm_release_wait(10000), 0);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* The console as a pipe: the UART writes it without blocking
 * (pwritev2 RWF_NOWAIT, from the vCPU thread and the UART's thread). */
START_TEST(test_seccomp_console_to_a_pipe)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_status st = VM_STATUS_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;
	char buf[64] = "";
	int p[2], rc;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	cfg.mem_mib = 16;
	cfg.kernel = guest("hello");
	cfg.console_fd = p[1];
	cfg.flags = VM_CONFIG_F_SECCOMP | VM_CONFIG_F_DROP_CAPS;
	rc = vm_create(&cfg, &vm, &err);
	if (rc == 0)
		rc = vm_start(vm, &err);
	ck_assert_msg(rc == 0, "vm_start: %d %s", rc, vm_error_message(err));
	ck_assert_int_eq(vm_wait(vm, &st, 30000), 0);
	ck_assert_int_eq(st.reason, VM_EXIT_DEBUG);
	vm_destroy(vm);
	ck_assert_int_eq(vm_release_wait(10000), 0);
	ck_assert_int_gt(read(p[0], buf, sizeof(buf) - 1), 0);
	ck_assert_str_eq(buf, "hello from the guest\n");
	close(p[0]);
	close(p[1]);
}
END_TEST

/* A private network namespace, a tap in it, then no capability at all. */
static int tap_then_no_caps(void)
{
	struct ifreq ifr = { 0 };
	int fd;

	if (unshare(CLONE_NEWNET) < 0) {
		printf("# SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("# SKIP: /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "kvtap0");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	ck_assert_msg(ioctl(fd, TUNSETIFF, &ifr) == 0, "TUNSETIFF: %s",
		      strerror(errno));
	capng_clear(CAPNG_SELECT_BOTH);
	ck_assert_int_eq(capng_apply(CAPNG_SELECT_BOTH), 0);
	ck_assert(!have_caps());
	return fd;
}

START_TEST(test_tap_by_fd_with_no_capability_at_all)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;
	char fdstr[16];
	int fd, rc;

	if (!have_caps()) {
		printf("# SKIP: needs root to make the tap it then gives up\n");
		return;
	}
	fd = tap_then_no_caps();
	if (fd < 0)
		return;
	snprintf(fdstr, sizeof(fdstr), "%d", fd);
	cfg.mem_mib = 16;
	cfg.kernel = guest("spin");
	cfg.flags = VM_CONFIG_F_DROP_CAPS | VM_CONFIG_F_SECCOMP;
	ck_assert_int_eq(vm_create(&cfg, &vm, &err), 0);
	rc = vm_add_netdev(vm, "tap", "t0",
			   (const struct vm_prop[]){ { "fd", fdstr },
						     { NULL, NULL } }, &err);
	if (rc == 0)
		rc = vm_add_device(vm, "virtio-net-pci", (const struct vm_prop[]){
					   { "netdev", "t0" },
					   { "disable-legacy", "on" },
					   { NULL, NULL } }, &err);
	if (rc == 0)
		rc = vm_start(vm, &err);
	ck_assert_msg(rc == 0, "tap fd=%s, no capability: %d %s", fdstr, rc,
		      vm_error_message(err));
	stop_and_destroy(vm);
	ck_assert_int_eq(vm_release_wait(10000), 0);
	close(fd);
}
END_TEST

START_TEST(test_tap_by_name_needs_cap_net_admin)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;
	int fd, rc;

	if (!have_caps()) {
		printf("# SKIP: needs root to make the tap it then gives up\n");
		return;
	}
	fd = tap_then_no_caps();
	if (fd < 0)
		return;
	cfg.mem_mib = 16;
	cfg.kernel = guest("spin");
	ck_assert_int_eq(vm_create(&cfg, &vm, &err), 0);
	ck_assert_int_eq(vm_add_netdev(vm, "tap", "t0", (const struct vm_prop[]){
					       { "ifname", "kvtap1" },
					       { NULL, NULL } }, &err), 0);
	rc = vm_start(vm, &err);
	printf("# tap ifname=kvtap1 with no capability: %d %s\n", rc,
	       vm_error_message(err));
	ck_assert_int_eq(rc, -EPERM);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "t0"));
	vm_error_free(err);
	vm_destroy(vm);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;
	int fd;

	sys_find_guests(guest_dir, sizeof(guest_dir));
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("1..0 # SKIP cannot open /dev/kvm: %s\n", strerror(errno));
		return 77;
	}
	close(fd);
	s = suite_create("privilege");
	tc = tcase_create("privilege");
	tcase_set_timeout(tc, 300); /* nested under TCG everything is slow */
	tcase_add_test(tc, test_vm_threads_keep_no_capabilities);
	tcase_add_test(tc, test_without_the_flag_vcpus_keep_the_hosts_capabilities);
	tcase_add_test(tc, test_seccomp_refuses_outside_the_list_and_the_guest_runs_on);
	tcase_add_test(tc, test_seccomp_console_to_a_pipe);
	tcase_add_test(tc, test_tap_by_fd_with_no_capability_at_all);
	tcase_add_test(tc, test_tap_by_name_needs_cap_net_admin);
	suite_add_tcase(s, tc);
	return check_run(s);
}
