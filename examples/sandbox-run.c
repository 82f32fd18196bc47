/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * examples/sandbox-run.c: one VM per request, as a serverless sandbox
 * runtime would use the library. For each request: create a VM from a
 * template (kernel, initramfs, command line, memory, vCPUs, netdevs and
 * devices), run a command in the guest, collect what it printed and its
 * own exit status, destroy the VM. Prints the latency of each request and
 * percentiles over all of them.
 *
 *   sandbox-run -kernel FILE -initrd FILE [-append CMDLINE] [-m MIB]
 *               [-smp N] [-netdev TYPE,id=ID,...]... [-device TYPE,...]...
 *               [-n REQUESTS] [-timeout SEC] [-q] [-console] -- COMMAND
 *
 * How the command and its status travel: the initramfs is
 * tests/system/l2-initramfs.sh's with examples/sandbox-guest.sh as its
 * /test.sh. The command goes on the kernel command line as
 * sandbox.cmd=<hex> (no quoting to get wrong); the guest runs it under sh
 * and prints "@@SANDBOX-OUT@@", the command's output, then
 * "@@SANDBOX-EXIT <status>@@" on COM1, which comes here through a console
 * callback, and powers off. The status is the command's own ($? in the
 * guest).
 *
 * -console also copies each guest's console to stdout as it comes (what
 * bench/sandbox-run times: process start to the exit marker).
 *
 * Output: the first request's command output on stdout, then one line per
 * request ("request 3: exit 0, 812.4 ms"), then
 * "latency: n=20 p50=... p90=... p99=... max=... ms". Exit status: the
 * guest command's status of the last request; 125 when a request did not
 * produce one (boot failure, timeout), 2 for usage errors.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kvm-virtio.h>

#define MAX_OBJS 16
#define CONSOLE_MAX (1u << 20)

struct template {
	struct vm_config cfg;
	const char *base_cmdline;
	const char *netdevs[MAX_OBJS], *devices[MAX_OBJS];
	unsigned nr_netdevs, nr_devices;
	int timeout_ms;
};

/* What one request's guest printed (console callback: a vCPU thread). */
struct console {
	pthread_mutex_t lock;
	char *buf;
	size_t len;
};

static int echo_console;

static void console_cb(void *opaque, const char *buf, size_t len)
{
	struct console *c = opaque;

	if (echo_console)
		(void)!write(STDOUT_FILENO, buf, len);

	pthread_mutex_lock(&c->lock);
	if (len > CONSOLE_MAX - 1 - c->len)
		len = CONSOLE_MAX - 1 - c->len; /* keep the start */
	memcpy(c->buf + c->len, buf, len);
	c->len += len;
	c->buf[c->len] = '\0';
	pthread_mutex_unlock(&c->lock);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* "-netdev TYPE,id=ID,k=v" / "-device TYPE,k=v": add it to @vm. */
static int add_obj(struct vm *vm, const char *spec, int netdev,
		   struct vm_error **errp)
{
	struct vm_prop *p = NULL;
	const char *type, *id;
	int rc = vm_props_parse(spec, &p, errp);

	if (rc < 0)
		return rc;
	if (rc == 0 || p[0].value) { /* the first word is the type */
		vm_props_free(p);
		return vm_error_set(errp, -EINVAL, "'%s': no type first", spec);
	}
	type = p[0].key;
	id = vm_props_get(p + 1, "id", NULL);
	rc = netdev ? vm_add_netdev(vm, type, id, p + 1, errp)
		    : vm_add_device(vm, type, p + 1, errp);
	vm_props_free(p);
	return rc;
}

/* The command line: the template's, then sandbox.cmd=<hex of @cmd>. */
static char *request_cmdline(const struct template *t, const char *cmd)
{
	size_t bl = strlen(t->base_cmdline), cl = strlen(cmd);
	char *s = malloc(bl + 13 + 2 * cl + 1), *p;

	if (!s)
		return NULL;
	p = s + sprintf(s, "%s sandbox.cmd=", t->base_cmdline);
	for (size_t i = 0; i < cl; i++)
		p += sprintf(p, "%02x", (unsigned char)cmd[i]);
	return s;
}

/* One request: the guest command's exit status (0..255), or -1 with the
 * reason on stderr. @out receives the command's output (malloc'ed). */
static int run_request(const struct template *t, const char *cmd,
		       char **out, double *ms)
{
	struct console con = { PTHREAD_MUTEX_INITIALIZER, NULL, 0 };
	struct vm_config cfg = t->cfg;
	struct vm_status st = VM_STATUS_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;
	double t0 = now_ms();
	const char *b, *e;
	char *cmdline = request_cmdline(t, cmd);
	int rc = -1, status = -1;

	con.buf = malloc(CONSOLE_MAX);
	if (!cmdline || !con.buf) {
		fprintf(stderr, "sandbox-run: out of memory\n");
		goto out;
	}
	con.buf[0] = '\0';
	cfg.cmdline = cmdline;
	rc = vm_create(&cfg, &vm, &err);
	if (rc == 0)
		rc = vm_set_console_fn(vm, console_cb, &con);
	for (unsigned i = 0; rc == 0 && i < t->nr_netdevs; i++)
		rc = add_obj(vm, t->netdevs[i], 1, &err);
	for (unsigned i = 0; rc == 0 && i < t->nr_devices; i++)
		rc = add_obj(vm, t->devices[i], 0, &err);
	if (rc == 0)
		rc = vm_start(vm, &err);
	if (rc == 0)
		rc = vm_wait(vm, &st, t->timeout_ms);
	if (rc < 0) {
		fprintf(stderr, "sandbox-run: %s\n",
			err ? vm_error_message(err)
			    : rc == -ETIMEDOUT ? "guest timed out" : strerror(-rc));
		goto out;
	}
	vm_destroy(vm); /* before reading: no more console callbacks */
	vm = NULL;
	b = strstr(con.buf, "@@SANDBOX-OUT@@");
	e = b ? strstr(b, "@@SANDBOX-EXIT ") : NULL;
	if (!e || sscanf(e, "@@SANDBOX-EXIT %d@@", &status) != 1) {
		fprintf(stderr, "sandbox-run: no exit status from the guest "
				"(it stopped: reason %d)\n", st.reason);
		status = -1;
		goto out;
	}
	b += strlen("@@SANDBOX-OUT@@");
	b += strspn(b, "\r\n");
	*out = malloc((size_t)(e - b) + 1);
	if (*out) {
		size_t k = 0;

		for (const char *p = b; p < e; p++)
			if (*p != '\r') /* the serial console's CRLF */
				(*out)[k++] = *p;
		(*out)[k] = '\0';
	}
out:
	*ms = now_ms() - t0;
	vm_destroy(vm);
	vm_error_free(err);
	free(con.buf);
	free(cmdline);
	return status;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The @q quantile (nearest rank) of sorted @v[@n]. */
static double quantile(const double *v, unsigned n, double q)
{
	unsigned k = (unsigned)(q * n + 0.999999);

	return v[k ? k - 1 : 0];
}

static int usage(void)
{
	fprintf(stderr,
		"usage: sandbox-run -kernel FILE -initrd FILE [-append CMDLINE] [-m MIB]\n"
		"                   [-smp N] [-netdev SPEC]... [-device SPEC]...\n"
		"                   [-n REQUESTS] [-timeout SEC] [-q] [-console] -- COMMAND\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct template t = { .cfg = VM_CONFIG_INIT,
			      .base_cmdline = "console=ttyS0 quiet panic=-1",
			      .timeout_ms = 120000 };
	unsigned n = 20, done = 0;
	const char *cmd = NULL;
	double *lat;
	int quiet = 0, status = 125;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--")) {
			cmd = v;
			break;
		}
		if (!strcmp(a, "-q")) {
			quiet = 1;
			continue;
		}
		if (!strcmp(a, "-console")) {
			echo_console = 1;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (!strcmp(a, "-kernel"))
			t.cfg.kernel = v;
		else if (!strcmp(a, "-initrd"))
			t.cfg.initrd = v;
		else if (!strcmp(a, "-append"))
			t.base_cmdline = v;
		else if (!strcmp(a, "-m"))
			t.cfg.mem_mib = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(a, "-smp"))
			t.cfg.vcpus = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(a, "-n"))
			n = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "-timeout"))
			t.timeout_ms = (int)strtol(v, NULL, 0) * 1000;
		else if (!strcmp(a, "-netdev") && t.nr_netdevs < MAX_OBJS)
			t.netdevs[t.nr_netdevs++] = v;
		else if (!strcmp(a, "-device") && t.nr_devices < MAX_OBJS)
			t.devices[t.nr_devices++] = v;
		else
			return usage();
	}
	if (!cmd || !t.cfg.kernel || !t.cfg.initrd || !n)
		return usage();
	lat = calloc(n, sizeof(*lat));
	if (!lat)
		return 125;
	for (unsigned i = 0; i < n; i++) {
		char *out = NULL;
		int s = run_request(&t, cmd, &out, &lat[done]);

		if (s < 0) {
			printf("request %u: failed, %.1f ms\n", i, lat[done]);
			status = 125;
			free(out);
			break;
		}
		if (i == 0 && !quiet && out)
			fputs(out, stdout);
		printf("request %u: exit %d, %.1f ms\n", i, s, lat[done]);
		fflush(stdout);
		free(out);
		status = s;
		done++;
	}
	if (done) {
		qsort(lat, done, sizeof(*lat), cmp_double);
		printf("latency: n=%u p50=%.1f p90=%.1f p99=%.1f max=%.1f ms\n",
		       done, quantile(lat, done, 0.5), quantile(lat, done, 0.9),
		       quantile(lat, done, 0.99), lat[done - 1]);
	}
	free(lat);
	vm_release_wait(-1);
	return done == n ? status : 125;
}
