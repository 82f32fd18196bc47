/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * examples/vm-run.c: boot a guest with the library, the way a host program
 * embeds it. Options mirror QEMU's so the mapping is obvious:
 *
 *   vm-run -kernel FILE [-initrd FILE] [-append CMDLINE] [-smp N] [-m MIB]
 *          [-netdev TYPE,id=ID,k=v...]... [-device TYPE,k=v...]...
 *          [-timeout SEC] [-quiet]
 *
 * It prints the device tree once realized, the guest's console on stdout,
 * and how the guest stopped; the exit status is 0 for a power-off (or the
 * value a test guest wrote to the debug-exit port).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kvm-virtio.h>

#define MAX_OBJS 16

static struct vm *the_vm;

static void on_signal(int sig)
{
	(void)sig;
	vm_stop(the_vm); /* safe from any thread; here, a signal handler */
}

static int print_obj(void *opaque, struct vm_obj *o)
{
	char mac[32], nd[64];

	(void)opaque;
	if (vm_obj_kind(o) == VM_OBJ_NETDEV) {
		printf("  netdev %-12s type=%s%s\n", vm_obj_id(o), vm_obj_type(o),
		       vm_obj_is_realized(o) ? " (realized)" : "");
	} else {
		nd[0] = mac[0] = 0;
		vm_obj_get_prop(o, "netdev", nd, sizeof(nd));
		vm_obj_get_prop(o, "mac", mac, sizeof(mac));
		printf("  device %-12s type=%s netdev=%s mac=%s%s\n",
		       vm_obj_id(o), vm_obj_type(o), nd[0] ? nd : "-",
		       mac[0] ? mac : "-",
		       vm_obj_is_realized(o) ? " (realized)" : "");
	}
	return 0;
}

static const char *reason_name(int r)
{
	static const char *const names[] = {
		"none", "poweroff", "reset", "shutdown (triple fault)",
		"internal error", "stopped", "debug-exit",
	};

	return r >= 0 && r < (int)(sizeof(names) / sizeof(names[0])) ? names[r]
								      : "?";
}

static void usage(void)
{
	fprintf(stderr,
		"usage: vm-run -kernel FILE [-initrd FILE] [-append CMDLINE] [-smp N] [-m MIB]\n"
		"              [-netdev TYPE,id=ID,...]... [-device TYPE,...]... [-timeout SEC] [-quiet]\n");
}

static void log_fn(void *opaque, int level, const char *obj, const char *msg)
{
	(void)opaque;
	fprintf(stderr, "vm-run: [%d] %s: %s\n", level, obj, msg);
}

/* "TYPE,k=v,..." (QEMU's implied first key) or "type=TYPE,k=v,...". */
static int add_obj(struct vm *vm, int netdev, const char *spec,
		   struct vm_error **err)
{
	struct vm_prop *props = NULL, *rest;
	const char *type;
	int rc;

	rc = vm_props_parse(spec, &props, err);
	if (rc < 0)
		return rc;
	rest = props;
	if (props[0].key && !props[0].value)
		type = (rest++)->key;
	else
		type = vm_props_get(props, "type", NULL);
	if (!type)
		rc = vm_error_set(err, -EINVAL, "'%s': no type given", spec);
	else if (netdev)
		rc = vm_add_netdev(vm, type, vm_props_get(rest, "id", NULL),
				   rest, err);
	else
		rc = vm_add_device(vm, type, rest, err);
	vm_props_free(props);
	return rc;
}

int main(int argc, char **argv)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_status st = VM_STATUS_INIT;
	struct vm_error *err = NULL;
	const char *netdevs[MAX_OBJS], *devices[MAX_OBJS];
	int nn = 0, nd = 0, timeout = -1, quiet = 0, rc, i;
	struct vm *vm;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-quiet")) {
			quiet = 1;
			continue;
		}
		if (!v) {
			usage();
			return 2;
		}
		i++;
		if (!strcmp(a, "-kernel"))
			cfg.kernel = v;
		else if (!strcmp(a, "-initrd"))
			cfg.initrd = v;
		else if (!strcmp(a, "-append"))
			cfg.cmdline = v;
		else if (!strcmp(a, "-smp"))
			cfg.vcpus = (uint32_t)atoi(v);
		else if (!strcmp(a, "-m"))
			cfg.mem_mib = (uint32_t)atoi(v);
		else if (!strcmp(a, "-timeout"))
			timeout = atoi(v) * 1000;
		else if (!strcmp(a, "-netdev") && nn < MAX_OBJS)
			netdevs[nn++] = v;
		else if (!strcmp(a, "-device") && nd < MAX_OBJS)
			devices[nd++] = v;
		else {
			usage();
			return 2;
		}
	}
	if (!cfg.kernel) {
		usage();
		return 2;
	}
	cfg.console_fd = STDOUT_FILENO;
	if (isatty(STDIN_FILENO))
		cfg.console_in_fd = STDIN_FILENO; /* type into the guest */

	if (vm_create(&cfg, &vm, &err) < 0)
		goto fail;
	if (!quiet)
		vm_set_log_fn(vm, log_fn, NULL, VM_LOG_WARN);
	for (i = 0; i < nn; i++)
		if (add_obj(vm, 1, netdevs[i], &err) < 0)
			goto fail_vm;
	for (i = 0; i < nd; i++)
		if (add_obj(vm, 0, devices[i], &err) < 0)
			goto fail_vm;
	the_vm = vm;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (vm_start(vm, &err) < 0)
		goto fail_vm;
	if (!quiet) {
		printf("vm-run: libkvm-virtio %s, device tree:\n",
		       vm_version_string());
		vm_foreach_obj(vm, print_obj, NULL);
		fflush(stdout);
	}
	rc = vm_wait(vm, &st, timeout);
	if (rc == -ETIMEDOUT) {
		fprintf(stderr, "vm-run: timeout, stopping the guest\n");
		vm_stop(vm);
		rc = vm_wait(vm, &st, -1);
	}
	fflush(stdout);
	if (!quiet)
		fprintf(stderr, "vm-run: guest stopped: %s (code %d, vcpu %u)\n",
			reason_name(st.reason), st.code, st.vcpu);
	vm_destroy(vm);
	if (st.reason == VM_EXIT_DEBUG)
		return st.code;
	return st.reason == VM_EXIT_POWEROFF ? 0 : 1;

fail_vm:
	vm_destroy(vm);
fail:
	fprintf(stderr, "vm-run: %s\n", vm_error_message(err));
	vm_error_free(err);
	return 1;
}
