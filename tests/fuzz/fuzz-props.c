/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/fuzz/fuzz-props.c: property text and object creation as a host
 * program's user can drive them: vm_props_parse() on arbitrary text, then
 * vm_add_netdev() / vm_add_device() with the result, then (once) realize
 * of what was added on a machine without KVM.
 *
 * Input: lines separated by '\n', each "<kind><type>|<id>|<props text>":
 *   kind 'n' netdev, 'd' device (id ignored: it goes in the props), 'p'
 *   parse only, 'r' realize everything added so far (the rest of the line
 *   is ignored). Type, id and text are taken as they are (the seeds name
 *   the real types; libFuzzer's strcmp hooks find the rest).
 * Realize runs only when every netdev added is "null" (realize of "tap"
 * opens /dev/net/tun on the host, and a host fuzzer must not create
 * interfaces; "vhost-user" connects to, or binds and replaces, a socket
 * path the input names, and waits for its peer); it uses a machine from machine_new() as
 * tests/unit/vm-fixture.h does, so virtio-net-pci really plugs into PCI
 * bus 0 with its BARs, capabilities and MSI-X.
 *
 * Invariants: vm_props_parse() returns the count of a {NULL, NULL}-ended
 * array whose keys are non-empty and contain no '='; writing the array back
 * as text (",," for commas) parses to the same array; every failing call
 * gives an error whose code is its return value and whose message is not
 * empty; an added netdev is found by its id; every property given to a
 * successful add reads back (vm_obj_get_prop() >= 0); realize either
 * realizes every object or leaves none realized.
 *
 * Threads: one (virtio-net-pci starts no I/O thread on a "null" netdev).
 * Locking: none.
 */
#include <errno.h>

#include <kvm-virtio.h>

#include "arch/x86/machine.h"
#include "vm.h"
#include "fuzz.h"

#define MAX_LINES 16
#define LINE_MAX_LEN 1024

static void check_err(int rc, struct vm_error *err)
{
	FUZZ_CHECK(rc < 0);
	FUZZ_CHECK(err && vm_error_code(err) == rc);
	FUZZ_CHECK(vm_error_message(err) && vm_error_message(err)[0]);
	vm_error_free(err);
}

/* Text that vm_props_parse() turns back into @p. */
static char *props_unparse(const struct vm_prop *p)
{
	size_t len = 1, i;
	const char *s;
	char *out, *w;

	for (i = 0; p[i].key; i++)
		len += 2 * strlen(p[i].key) + 2 +
		       (p[i].value ? 2 * strlen(p[i].value) : 0);
	out = w = malloc(len);
	FUZZ_CHECK(out);
	for (i = 0; p[i].key; i++) {
		if (i)
			*w++ = ',';
		for (s = p[i].key; *s; s++) {
			if (*s == ',')
				*w++ = ',';
			*w++ = *s;
		}
		if (p[i].value) {
			*w++ = '=';
			for (s = p[i].value; *s; s++) {
				if (*s == ',')
					*w++ = ',';
				*w++ = *s;
			}
		}
	}
	*w = '\0';
	return out;
}

/* Parse and check; returns the array (NULL on a parse error). */
static struct vm_prop *parse(const char *text)
{
	struct vm_error *err = NULL;
	struct vm_prop *p = NULL, *q = NULL;
	int n, m, i;
	char *again;

	n = vm_props_parse(text, &p, &err);
	if (n < 0) {
		check_err(n, err);
		return NULL;
	}
	FUZZ_CHECK(!err && p);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(p[i].key && p[i].key[0]);
		FUZZ_CHECK(!strchr(p[i].key, '='));
	}
	FUZZ_CHECK(!p[n].key && !p[n].value);
	if (n == 0)
		return p;

	again = props_unparse(p);
	m = vm_props_parse(again, &q, NULL);
	FUZZ_CHECK(m == n);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(!strcmp(p[i].key, q[i].key));
		FUZZ_CHECK((!p[i].value && !q[i].value) ||
			   (p[i].value && q[i].value &&
			    !strcmp(p[i].value, q[i].value)));
	}
	vm_props_free(q);
	free(again);
	return p;
}

static void check_props_read_back(struct vm_obj *o, const struct vm_prop *p)
{
	char buf[128];
	int i;

	for (i = 0; p[i].key; i++) {
		/* "id" and "type"-like keys are consumed by the API itself */
		if (!strcmp(p[i].key, "id"))
			continue;
		FUZZ_CHECK(vm_obj_get_prop(o, p[i].key, buf, sizeof(buf)) >= 0);
	}
}

static int count_realized(void *opaque, struct vm_obj *o)
{
	unsigned *n = opaque;

	n[0]++;
	n[1] += vm_obj_is_realized(o) == 1;
	return 0;
}

static void realize(struct vm *vm)
{
	struct machine_config mc = {
		.vcpus = 1,
		.mem_bytes = 64ull << 20,
		.kernel = "/nonexistent",
		.console_fd = -1,
		.console_in_fd = -1,
		.log = &vm->log,
	};
	struct vm_error *err = NULL;
	struct machine *m = NULL;
	unsigned n[2] = { 0, 0 };
	int rc;

	if (vm->machine)
		return;
	if (machine_new(&m, &mc, NULL))
		abort();
	vm->machine = m;  /* vm_destroy() frees it, as in vm-fixture.h */
	rc = vm_realize_objects(vm, &err);
	vm_foreach_obj(vm, count_realized, n);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "realize: %d %s (%u of %u objects)\n", rc,
			rc ? vm_error_message(err) : "ok", n[1], n[0]);
	if (rc) {
		check_err(rc, err);
		FUZZ_CHECK(n[1] == 0);
	} else {
		FUZZ_CHECK(!err && n[1] == n[0]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm *vm = NULL;
	struct vm_error *err = NULL;
	char line[LINE_MAX_LEN + 1];
	size_t pos = 0;
	int lines = 0, host_netdev = 0;

	cfg.kernel = "/nonexistent";
	if (vm_create(&cfg, &vm, &err))
		abort();
	while (pos < size && lines++ < MAX_LINES) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t len = (nl ? (size_t)(nl - data) : size) - pos;
		char *type, *id = NULL, *text = NULL, *bar;
		struct vm_prop *p;
		int rc;

		if (len > LINE_MAX_LEN)
			len = LINE_MAX_LEN;
		memcpy(line, data + pos, len);
		line[len] = '\0';        /* an embedded NUL just ends it early */
		pos += (nl ? (size_t)(nl - (data + pos)) + 1 : size - pos);
		if (!line[0])
			continue;
		type = line + 1;
		if ((bar = strchr(type, '|'))) {
			*bar = '\0';
			id = bar + 1;
			if ((bar = strchr(id, '|'))) {
				*bar = '\0';
				text = bar + 1;
			}
		}
		switch (line[0]) {
		case 'r':
			if (!host_netdev)
				realize(vm);
			continue;
		case 'n':
		case 'd':
		case 'p':
			break;
		default:
			continue;
		}
		p = parse(text ? text : "");
		if (!p || line[0] == 'p') {
			vm_props_free(p);
			continue;
		}
		if (line[0] == 'n') {
			rc = vm_add_netdev(vm, type, id, p, &err);
			if (rc == 0) {
				struct vm_obj *o = vm_obj_find(vm, id);

				FUZZ_CHECK(o && vm_obj_kind(o) == VM_OBJ_NETDEV);
				check_props_read_back(o, p);
				if (strcmp(type, "null"))
					host_netdev = 1;
			}
		} else {
			const char *did = vm_props_get(p, "id", NULL);

			rc = vm_add_device(vm, type, p, &err);
			if (rc == 0 && did) {
				struct vm_obj *o = vm_obj_find(vm, did);

				FUZZ_CHECK(o && vm_obj_kind(o) == VM_OBJ_DEVICE);
				check_props_read_back(o, p);
			}
		}
		if (rc)
			check_err(rc, err);
		else
			FUZZ_CHECK(!err);
		err = NULL;
		vm_props_free(p);
	}
	vm_destroy(vm);
	return 0;
}
