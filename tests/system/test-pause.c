/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/system/test-pause.c: vm_pause()/vm_resume() through the public API
 * with the counting guest (tests/guests/count.c): a paused guest prints
 * nothing, vm_wait() does not take the pause for a stop, the resumed guest
 * goes on with the next number (no gap, no repeat), from any thread, with
 * 2 vCPUs and with a virtio-net-pci's I/O threads; vm_stop()/vm_destroy()
 * end a paused VM without leaks; the errors the header lists. Snapshot
 * and restore: a paused guest written to a file, destroyed, restored in a
 * new process (fork) goes on counting where it was (the two consoles
 * together are one unbroken sequence); a corrupted, truncated, foreign or
 * other-host snapshot is refused with its message, nothing leaks; two
 * snapshots of one pause, 300 ms apart, are the same bytes (the clocks
 * stand still at the pause). Clone:
 * clones of a paused template each go on from the template's last number
 * on their own while the template stays frozen; the template cannot be
 * resumed while they live and can afterwards; a vhost-user netdev is
 * refused with its message.
 *
 * Runs on /dev/kvm directly (tiny guests, also on the PVM backend);
 * without /dev/kvm the program exits 77. Guests come from $GUEST_DIR or
 * ../guests beside the program.
 */
#include <check.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kvm-virtio.h>
#include "../unit/check-main.h"
#include "sys-util.h"

static char guest_dir[8192];

/* A started counting guest whose console goes to ->text. */
struct counter {
	struct vm *vm;
	pthread_mutex_t lock;   /* guards text/len (console_fn, vCPU thread) */
	char text[1 << 20];
	size_t len;
	int pause_rc;           /* vm_pause() from the console callback */
	int try_pause;
};

static void on_console(void *opaque, const char *buf, size_t len)
{
	struct counter *c = opaque;

	pthread_mutex_lock(&c->lock);
	if (len > sizeof(c->text) - 1 - c->len)
		len = sizeof(c->text) - 1 - c->len;
	memcpy(c->text + c->len, buf, len);
	c->len += len;
	c->text[c->len] = '\0';
	pthread_mutex_unlock(&c->lock);
	if (__atomic_exchange_n(&c->try_pause, 0, __ATOMIC_ACQ_REL))
		__atomic_store_n(&c->pause_rc, vm_pause(c->vm, NULL),
				 __ATOMIC_RELEASE);
}

static size_t counter_len(struct counter *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->len;
	pthread_mutex_unlock(&c->lock);
	return n;
}

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

/* Wait until the console holds @lines more complete lines than at @from. */
static void counter_wait_lines(struct counter *c, size_t from, unsigned lines)
{
	double end = now_ms() + 60000;

	for (;;) {
		unsigned n = 0;

		pthread_mutex_lock(&c->lock);
		for (size_t i = from; i < c->len; i++)
			n += c->text[i] == '\n';
		pthread_mutex_unlock(&c->lock);
		if (n >= lines)
			return;
		ck_assert_msg(now_ms() < end, "guest printed %u of %u lines", n,
			      lines);
		sleep_ms(1);
	}
}

/* Every complete line is "c<n>" with n = 0, 1, 2, ...: returns the count. */
static unsigned counter_check_sequence(struct counter *c)
{
	unsigned long expect = 0;
	char *p, *nl;

	pthread_mutex_lock(&c->lock);
	for (p = c->text; (nl = strchr(p, '\n')); p = nl + 1) {
		char *end;
		unsigned long v;

		ck_assert_msg(p[0] == 'c', "bad line at %ld", (long)(p - c->text));
		v = strtoul(p + 1, &end, 10);
		ck_assert_msg(end == nl && v == expect,
			      "line %lu says '%.*s': a gap or a repeat", expect,
			      (int)(nl - p), p);
		expect++;
	}
	pthread_mutex_unlock(&c->lock);
	return (unsigned)expect;
}

static struct counter *counter_new(void)
{
	struct counter *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static struct counter *counter_start(uint32_t vcpus, int with_nic)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct counter *c = counter_new();
	static char path[8300];
	int rc;

	snprintf(path, sizeof(path), "%s/count.elf", guest_dir);
	cfg.vcpus = vcpus;
	cfg.mem_mib = 64;
	cfg.kernel = path;
	ck_assert_int_eq(vm_create(&cfg, &c->vm, &err), 0);
	ck_assert_int_eq(vm_set_console_fn(c->vm, on_console, c), 0);
	if (with_nic) {
		ck_assert_int_eq(vm_add_netdev(c->vm, "null", "n0", NULL, &err), 0);
		ck_assert_int_eq(vm_add_device(c->vm, "virtio-net-pci",
					       (const struct vm_prop[]){
						       { "netdev", "n0" },
						       { "id", "net0" },
						       { NULL, NULL } },
					       &err), 0);
	}
	rc = vm_start(c->vm, &err);
	ck_assert_msg(rc == 0, "vm_start: %d %s", rc, vm_error_message(err));
	return c;
}

static void counter_end(struct counter *c)
{
	vm_destroy(c->vm);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void pause_ok(struct vm *vm)
{
	struct vm_error *err = NULL;
	int rc = vm_pause(vm, &err);

	ck_assert_msg(rc == 0, "vm_pause: %d %s", rc, vm_error_message(err));
	ck_assert_int_eq(vm_paused(vm), 1);
}

/* Paused: nothing more printed for a while, and vm_wait() times out. */
static void check_frozen(struct counter *c)
{
	struct vm_status st = VM_STATUS_INIT;
	size_t len = counter_len(c);

	ck_assert_int_eq(vm_wait(c->vm, &st, 100), -ETIMEDOUT);
	sleep_ms(50);
	ck_assert_uint_eq(counter_len(c), len);
}

START_TEST(test_pause_freezes_and_resume_continues)
{
	struct counter *c = counter_start(1, 0);
	struct vm_status st = VM_STATUS_INIT;
	size_t len;

	counter_wait_lines(c, 0, 20);
	pause_ok(c->vm);
	pause_ok(c->vm); /* a second pause is a no-op */
	check_frozen(c);
	len = counter_len(c);
	ck_assert_int_eq(vm_resume(c->vm, NULL), 0);
	ck_assert_int_eq(vm_paused(c->vm), 0);
	ck_assert_int_eq(vm_resume(c->vm, NULL), 0); /* not paused: no-op */
	counter_wait_lines(c, len, 20);
	printf("# %u lines in sequence across the pause\n",
	       counter_check_sequence(c));
	vm_stop(c->vm);
	ck_assert_int_eq(vm_wait(c->vm, &st, 10000), 0);
	ck_assert_int_eq(st.reason, VM_EXIT_STOPPED);
	counter_end(c);
}
END_TEST

struct cycler {
	struct vm *vm;
	int rounds;
	double worst_ms;
};

static void *cycle_thread(void *arg)
{
	struct cycler *y = arg;

	for (int i = 0; i < y->rounds; i++) {
		double t0 = now_ms(), dt;

		if (vm_pause(y->vm, NULL) != 0)
			return (void *)1;
		dt = now_ms() - t0;
		if (dt > y->worst_ms)
			y->worst_ms = dt;
		if (vm_resume(y->vm, NULL) != 0)
			return (void *)2;
		sleep_ms(2);
	}
	return NULL;
}

/* Two vCPUs (one spinning without exits) and a NIC's I/O threads,
 * paused and resumed many times from another thread. */
static void cycle_from_thread(int with_nic)
{
	struct counter *c = counter_start(2, with_nic);
	struct cycler y = { c->vm, 30, 0 };
	pthread_t t;
	void *ret;
	size_t len;

	counter_wait_lines(c, 0, 10);
	ck_assert_int_eq(pthread_create(&t, NULL, cycle_thread, &y), 0);
	ck_assert_int_eq(pthread_join(t, &ret), 0);
	ck_assert_ptr_null(ret);
	printf("# %d pauses from another thread, the slowest took %.3f ms\n",
	       y.rounds, y.worst_ms);
	ck_assert_msg(y.worst_ms < 5000, "a pause took %.0f ms", y.worst_ms);
	pause_ok(c->vm);
	check_frozen(c);
	len = counter_len(c);
	ck_assert_int_eq(vm_resume(c->vm, NULL), 0);
	counter_wait_lines(c, len, 10);
	counter_check_sequence(c);
	counter_end(c);
}

START_TEST(test_pause_two_vcpus_from_another_thread)
{
	cycle_from_thread(0);
}
END_TEST

START_TEST(test_pause_quiesces_nic_io_threads)
{
	cycle_from_thread(1);
}
END_TEST

START_TEST(test_stop_and_destroy_while_paused)
{
	struct usage before = usage_now();
	struct vm_status st = VM_STATUS_INIT;
	struct vm_error *err = NULL;
	struct counter *c = counter_start(2, 1);
	double t0;

	counter_wait_lines(c, 0, 5);
	pause_ok(c->vm);
	t0 = now_ms();
	vm_stop(c->vm);
	ck_assert_int_eq(vm_wait(c->vm, &st, 10000), 0);
	ck_assert_int_eq(st.reason, VM_EXIT_STOPPED);
	printf("# vm_stop of a paused VM: vm_wait returned after %.3f ms\n",
	       now_ms() - t0);
	ck_assert_int_eq(vm_resume(c->vm, NULL), 0); /* stopped: no-op */
	ck_assert_int_eq(vm_pause(c->vm, &err), -ESHUTDOWN);
	printf("# %s\n", vm_error_message(err));
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "stopped"));
	vm_error_free(err);
	counter_end(c);

	c = counter_start(2, 1);
	counter_wait_lines(c, 0, 5);
	pause_ok(c->vm);
	counter_end(c); /* destroyed while paused */
	usage_check("stop/destroy while paused", before);
}
END_TEST

START_TEST(test_pause_errors)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct counter *c;
	struct vm *vm;

	ck_assert_int_eq(vm_pause(NULL, NULL), -EINVAL);
	ck_assert_int_eq(vm_resume(NULL, NULL), -EINVAL);
	ck_assert_int_eq(vm_paused(NULL), 0);
	cfg.kernel = "none";
	ck_assert_int_eq(vm_create(&cfg, &vm, NULL), 0);
	ck_assert_int_eq(vm_pause(vm, &err), -ENODEV);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "not started"));
	vm_error_free(err);
	ck_assert_int_eq(vm_resume(vm, NULL), -ENODEV);
	vm_destroy(vm);

	/* From the console callback, i.e. on a vCPU thread. */
	c = counter_start(1, 0);
	counter_wait_lines(c, 0, 2);
	__atomic_store_n(&c->pause_rc, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&c->try_pause, 1, __ATOMIC_RELEASE);
	counter_wait_lines(c, counter_len(c), 3);
	ck_assert_int_eq(__atomic_load_n(&c->pause_rc, __ATOMIC_ACQUIRE),
			 -EDEADLK);
	ck_assert_int_eq(vm_paused(c->vm), 0);
	counter_end(c);
}
END_TEST

/* ---- snapshot and restore ---- */

static void snap_path(char *buf, size_t len, const char *what)
{
	const char *dir = getenv("TMPDIR");

	snprintf(buf, len, "%s/test-pause-%d-%s.snap", dir ? dir : "/tmp",
		 (int)getpid(), what);
}

/* Restore @path in this process, run until @lines lines, write the
 * console to @out_fd; returns 0 or the failing step's negative errno. */
static int restore_and_run(const char *path, unsigned lines, int out_fd)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct counter *c = counter_new();
	int rc = vm_restore(&cfg, path, -1, &c->vm, &err);

	if (rc == 0)
		rc = vm_set_console_fn(c->vm, on_console, c);
	if (rc == 0)
		rc = vm_start(c->vm, &err);
	if (rc < 0) {
		fprintf(stderr, "# restore: %s\n", vm_error_message(err));
		vm_error_free(err);
		counter_end(c);
		return rc;
	}
	counter_wait_lines(c, 0, lines);
	vm_stop(c->vm);
	pthread_mutex_lock(&c->lock);
	rc = write(out_fd, c->text, c->len) == (ssize_t)c->len ? 0 : -EIO;
	pthread_mutex_unlock(&c->lock);
	counter_end(c);
	return rc;
}

static void snapshot_ok(struct vm *vm, const char *path)
{
	struct vm_error *err = NULL;
	double t0 = now_ms();
	struct stat st;
	int rc = vm_snapshot(vm, path, -1, 0, &err);

	ck_assert_msg(rc == 0, "vm_snapshot: %d %s", rc, vm_error_message(err));
	ck_assert_int_eq(stat(path, &st), 0);
	printf("# snapshot of %s: %lld bytes in %.3f ms\n", path,
	       (long long)st.st_size, now_ms() - t0);
}

static void snapshot_restore_in_child(uint32_t vcpus)
{
	struct counter *c = counter_start(vcpus, 0);
	char path[4200], *all;
	int p[2], status;
	size_t len;
	ssize_t n;
	pid_t pid;

	snap_path(path, sizeof(path), "child");
	counter_wait_lines(c, 0, 20);
	pause_ok(c->vm);
	snapshot_ok(c->vm, path);
	all = malloc(sizeof(c->text) * 2);
	ck_assert_ptr_nonnull(all);
	pthread_mutex_lock(&c->lock);
	memcpy(all, c->text, c->len);
	len = c->len;
	pthread_mutex_unlock(&c->lock);
	counter_end(c);
	ck_assert_int_eq(vm_release_wait(10000), 0);

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		_exit(restore_and_run(path, 20, p[1]) == 0 ? 0 : 1);
	}
	close(p[1]);
	while ((n = read(p[0], all + len, sizeof(c->text) - 1)) > 0)
		len += (size_t)n;
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	unlink(path);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the restoring process failed (status 0x%x)", status);
	/* Before + after the snapshot: one sequence without a gap. */
	c = counter_new();
	memcpy(c->text, all, len);
	c->len = len;
	c->text[len] = '\0';
	free(all);
	printf("# %u lines in sequence across snapshot and restore\n",
	       counter_check_sequence(c));
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* The whole file at @path, into a malloc'd buffer (*len bytes). */
static char *read_whole(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* A paused VM stands still, its clocks too: two snapshots of it, 300 ms
 * apart, are the same bytes (the KVM clock and each vCPU's TSC as they
 * were when it paused), so a clone made late in a pause does not see
 * its guest's time leap by the time the template sat paused. */
static void snapshots_of_one_pause_match(uint32_t vcpus)
{
	struct counter *c = counter_start(vcpus, 0);
	char path[2][4200], *a, *b;
	size_t la, lb, at = 0;

	snap_path(path[0], sizeof(path[0]), "pause-a");
	snap_path(path[1], sizeof(path[1]), "pause-b");
	counter_wait_lines(c, 0, 5);
	pause_ok(c->vm);
	snapshot_ok(c->vm, path[0]);
	usleep(300 * 1000);
	snapshot_ok(c->vm, path[1]);
	a = read_whole(path[0], &la);
	b = read_whole(path[1], &lb);
	unlink(path[0]);
	unlink(path[1]);
	while (at < la && at < lb && a[at] == b[at])
		at++;
	ck_assert_msg(la == lb && at == la,
		      "two snapshots of one pause differ (%zu and %zu bytes, first difference at byte %zu)",
		      la, lb, at);
	free(a);
	free(b);
	counter_end(c);
}

START_TEST(test_snapshots_of_one_pause_match)
{
	snapshots_of_one_pause_match(2);
}
END_TEST

START_TEST(test_snapshot_restore_in_new_process)
{
	snapshot_restore_in_child(1);
}
END_TEST

START_TEST(test_snapshot_restore_two_vcpus)
{
	snapshot_restore_in_child(2);
}
END_TEST

/* vm_restore() (and, if that passes, vm_start()) of @path must fail with
 * @code and a message holding @words. */
static void restore_refused(const char *path, int code, const char *words)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;
	int rc = vm_restore(&cfg, path, -1, &vm, &err);

	if (rc == 0) {
		rc = vm_start(vm, &err);
		vm_destroy(vm);
	}
	ck_assert_msg(rc == code, "restore gave %d (%s), not %d", rc,
		      vm_error_message(err), code);
	printf("# refused: %s\n", vm_error_message(err));
	ck_assert_msg(strstr(vm_error_message(err), words), "'%s' lacks '%s'",
		      vm_error_message(err), words);
	vm_error_free(err);
}

/* Copy @from to @to, flipping byte @flip (if >= 0), keeping @keep bytes. */
static void copy_file(const char *from, const char *to, long flip, long keep)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	long i = 0;
	int ch;

	ck_assert(in && out);
	while ((ch = fgetc(in)) != EOF && (keep < 0 || i < keep)) {
		fputc(i == flip ? ch ^ 0x10 : ch, out);
		i++;
	}
	fclose(in);
	fclose(out);
}

START_TEST(test_snapshot_errors)
{
	struct usage before = usage_now();
	struct vm_error *err = NULL;
	struct counter *c = counter_start(1, 0);
	char path[4200], bad[4200];
	struct stat st;
	uint8_t hdr[64];
	uint32_t crc;
	FILE *f;

	snap_path(path, sizeof(path), "good");
	snap_path(bad, sizeof(bad), "bad");
	counter_wait_lines(c, 0, 2);
	ck_assert_int_eq(vm_snapshot(c->vm, path, -1, 0, &err), -EBUSY);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "not paused"));
	vm_error_free(err);
	err = NULL;
	pause_ok(c->vm);
	ck_assert_int_eq(vm_snapshot(c->vm, path, 1, 0, NULL), -EINVAL);
	ck_assert_int_eq(vm_snapshot(c->vm, NULL, -1, 0, NULL), -EINVAL);
	ck_assert_int_eq(vm_snapshot(c->vm, path, -1, 8, NULL), -EINVAL);
	ck_assert_int_eq(vm_snapshot(c->vm, "/nonexistent/dir/x", -1, 0, &err),
			 -ENOENT);
	vm_error_free(err);
	err = NULL;
	snapshot_ok(c->vm, path);
	counter_end(c);

	ck_assert_int_eq(stat(path, &st), 0);
	copy_file(path, bad, st.st_size / 2, -1);
	restore_refused(bad, -EBADMSG, "checksum");
	copy_file(path, bad, -1, st.st_size - 100);
	restore_refused(bad, -EBADMSG, "truncated");
	copy_file(path, bad, 0, -1);
	restore_refused(bad, -EINVAL, "not a libkvm-virtio snapshot");
	restore_refused("/nonexistent-snapshot", -ENOENT, "cannot open");
	/* Another host: same file, another CPUID hash, header checksum
	 * redone (the library's own CRC32C through a second snapshot would
	 * do too; this keeps the test independent of it). */
	copy_file(path, bad, -1, -1);
	f = fopen(bad, "r+b");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
	hdr[24] ^= 1;
	crc = 0xffffffffu;
	for (int i = 0; i < 60; i++) {
		crc ^= hdr[i];
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
	}
	crc = ~crc;
	memcpy(hdr + 60, &crc, 4);
	rewind(f);
	ck_assert_uint_eq(fwrite(hdr, 1, sizeof(hdr), f), sizeof(hdr));
	fclose(f);
	restore_refused(bad, -EXDEV, "another CPU feature set");
	unlink(bad);
	unlink(path);
	usage_check("snapshot errors", before);
}
END_TEST

/* A copy of @c's console so far, as a fresh counter. */
static struct counter *counter_copy(struct counter *c)
{
	struct counter *d = counter_new();

	pthread_mutex_lock(&c->lock);
	memcpy(d->text, c->text, c->len + 1);
	d->len = c->len;
	pthread_mutex_unlock(&c->lock);
	return d;
}

/* A VM with a virtio-net-pci (the tiny guest has no driver for it: the
 * device is in its reset state): the snapshot records the device and its
 * netdev link; the restored VM gets the device back, its netdev from the
 * caller, and goes on counting; without the netdev vm_start says which. */
START_TEST(test_snapshot_restore_with_nic)
{
	struct usage before = usage_now();
	struct counter *c = counter_start(1, 1), *r;
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	char path[4200], buf[64];
	struct vm *vm;
	size_t len;
	int rc;

	snap_path(path, sizeof(path), "nic");
	counter_wait_lines(c, 0, 10);
	pause_ok(c->vm);
	snapshot_ok(c->vm, path);
	r = counter_copy(c);
	counter_end(c);

	ck_assert_int_eq(vm_restore(&cfg, path, -1, &vm, &err), 0);
	ck_assert_ptr_nonnull(vm_obj_find(vm, "net0"));
	ck_assert_int_ge(vm_obj_get_prop(vm_obj_find(vm, "net0"), "netdev", buf,
					 sizeof(buf)), 0);
	ck_assert_str_eq(buf, "n0");
	ck_assert_int_eq(vm_start(vm, &err), -ENOENT);
	printf("# without its netdev: %s\n", vm_error_message(err));
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "n0"));
	vm_error_free(err);
	err = NULL;
	vm_destroy(vm);

	ck_assert_int_eq(vm_restore(&cfg, path, -1, &r->vm, &err), 0);
	ck_assert_int_eq(vm_add_netdev(r->vm, "null", "n0", NULL, &err), 0);
	ck_assert_int_eq(vm_set_console_fn(r->vm, on_console, r), 0);
	rc = vm_start(r->vm, &err);
	ck_assert_msg(rc == 0, "vm_start: %d %s", rc, vm_error_message(err));
	len = counter_len(r);
	counter_wait_lines(r, len, 10);
	counter_check_sequence(r);
	/* The NIC answers on the restored VM's side too. */
	ck_assert_int_eq(vm_net_set_link(r->vm, "net0", 0, NULL), 0);
	counter_end(r);
	unlink(path);
	usage_check("snapshot with a NIC", before);
}
END_TEST

/* ---- clone ---- */

static void clone_from(uint32_t vcpus, unsigned nclones, int with_nic)
{
	struct usage before = usage_now();
	struct counter *t = counter_start(vcpus, with_nic), *cl[8];
	struct vm_error *err = NULL;
	size_t tlen;

	ck_assert_uint_le(nclones, 8);
	counter_wait_lines(t, 0, 20);
	pause_ok(t->vm);
	tlen = counter_len(t);
	for (unsigned i = 0; i < nclones; i++) {
		double t0 = now_ms();
		int rc;

		/* Each clone's console starts with the template's text, so
		 * its whole text must be one sequence. */
		cl[i] = counter_copy(t);
		rc = vm_clone(t->vm, NULL, &cl[i]->vm, &err);
		ck_assert_msg(rc == 0, "vm_clone: %d %s", rc,
			      vm_error_message(err));
		if (with_nic) /* each clone its own backend, same id */
			ck_assert_int_eq(vm_add_netdev(cl[i]->vm, "null", "n0",
						       NULL, &err), 0);
		ck_assert_int_eq(vm_set_console_fn(cl[i]->vm, on_console, cl[i]),
				 0);
		rc = vm_start(cl[i]->vm, &err);
		ck_assert_msg(rc == 0, "clone vm_start: %d %s", rc,
			      vm_error_message(err));
		printf("# clone %u: vm_clone + vm_start %.3f ms\n", i,
		       now_ms() - t0);
	}
	for (unsigned i = 0; i < nclones; i++) {
		counter_wait_lines(cl[i], tlen, 20);
		counter_check_sequence(cl[i]);
	}
	ck_assert_uint_eq(counter_len(t), tlen); /* the template stood still */
	ck_assert_int_eq(vm_resume(t->vm, &err), -EBUSY);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "clone"));
	vm_error_free(err);
	for (unsigned i = 0; i < nclones; i++)
		counter_end(cl[i]);
	ck_assert_int_eq(vm_resume(t->vm, NULL), 0);
	counter_wait_lines(t, tlen, 10);
	counter_check_sequence(t);
	counter_end(t);
	usage_check("clones", before);
}

START_TEST(test_clone_goes_on_from_the_template)
{
	clone_from(1, 4, 0);
}
END_TEST

START_TEST(test_clone_two_vcpus)
{
	clone_from(2, 2, 0);
}
END_TEST

START_TEST(test_clone_with_nic)
{
	clone_from(1, 3, 1);
}
END_TEST

/* A clone outlives its template: its RAM mapping holds the file. */
START_TEST(test_clone_outlives_template)
{
	struct usage before = usage_now();
	struct counter *t = counter_start(1, 0), *cl;
	struct vm_error *err = NULL;
	size_t len;
	int rc;

	counter_wait_lines(t, 0, 10);
	pause_ok(t->vm);
	cl = counter_copy(t);
	rc = vm_clone(t->vm, NULL, &cl->vm, &err);
	ck_assert_msg(rc == 0, "vm_clone: %s", vm_error_message(err));
	counter_end(t); /* before the clone even starts */
	ck_assert_int_eq(vm_set_console_fn(cl->vm, on_console, cl), 0);
	rc = vm_start(cl->vm, &err);
	ck_assert_msg(rc == 0, "vm_start: %s", vm_error_message(err));
	len = counter_len(cl);
	counter_wait_lines(cl, len, 20);
	counter_check_sequence(cl);
	counter_end(cl);
	usage_check("clone after its template", before);
}
END_TEST

START_TEST(test_clone_refusals)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct counter *c;
	struct vm *vm, *cl;

	cfg.kernel = "none";
	ck_assert_int_eq(vm_create(&cfg, &vm, NULL), 0);
	ck_assert_int_eq(vm_add_netdev(vm, "vhost-user", "vu0",
				       (const struct vm_prop[]){
					       { "chardev", "/nonexistent.sock" },
					       { NULL, NULL } },
				       NULL), 0);
	ck_assert_int_eq(vm_clone(vm, NULL, &cl, &err), -ENOTSUP);
	printf("# %s\n", vm_error_message(err));
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "vhost-user"));
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "vu0"));
	vm_error_free(err);
	err = NULL;
	vm_destroy(vm);
	ck_assert_int_eq(vm_clone(NULL, NULL, &cl, NULL), -EINVAL);

	c = counter_start(1, 0);
	counter_wait_lines(c, 0, 2);
	ck_assert_int_eq(vm_clone(c->vm, NULL, &cl, &err), -EBUSY);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "not paused"));
	vm_error_free(err);
	err = NULL;
	pause_ok(c->vm);
	ck_assert_int_eq(vm_clone(c->vm, NULL, &cl, NULL), 0);
	ck_assert_int_eq(vm_clone(cl, NULL, &vm, &err), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(vm_error_message(err), "itself a clone"));
	vm_error_free(err);
	vm_destroy(cl); /* never started: fine, and frees the template */
	ck_assert_int_eq(vm_resume(c->vm, NULL), 0);
	counter_end(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pause");
	TCase *tc = tcase_create("pause");

	sys_find_guests(guest_dir, sizeof(guest_dir));
	if (!sys_kvm_or_skip())
		return 77;
	tcase_set_timeout(tc, 300); /* nested under TCG everything is slow */
	tcase_add_test(tc, test_pause_freezes_and_resume_continues);
	tcase_add_test(tc, test_pause_two_vcpus_from_another_thread);
	tcase_add_test(tc, test_pause_quiesces_nic_io_threads);
	tcase_add_test(tc, test_stop_and_destroy_while_paused);
	tcase_add_test(tc, test_pause_errors);
	tcase_add_test(tc, test_snapshot_restore_in_new_process);
	tcase_add_test(tc, test_snapshot_restore_two_vcpus);
	tcase_add_test(tc, test_snapshot_errors);
	tcase_add_test(tc, test_snapshots_of_one_pause_match);
	tcase_add_test(tc, test_clone_goes_on_from_the_template);
	tcase_add_test(tc, test_clone_two_vcpus);
	tcase_add_test(tc, test_snapshot_restore_with_nic);
	tcase_add_test(tc, test_clone_with_nic);
	tcase_add_test(tc, test_clone_outlives_template);
	tcase_add_test(tc, test_clone_refusals);
	suite_add_tcase(s, tc);
	return check_run(s);
}
