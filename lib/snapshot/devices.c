/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/snapshot/devices.c: the VM's devices in a snapshot. Per device, in
 * the order added, instance i = its index: a "DEVI" record (version 1:
 * u16-length-prefixed strings: type, id, then u16 n and n key/value
 * pairs: the properties the caller gave, formatted as text), followed by
 * the device's state records (device_save(), same instance).
 *
 * vm_restore()/vm_clone() add the devices again from the DEVI records
 * (snap_devices_add(), vm_add_device() with the saved properties: links
 * such as netdev=n0 then name netdevs the caller adds before vm_start,
 * which checks them as usual); vm_start() loads each device's state after
 * the machine's (snap_devices_load()).
 *
 * Threads: the VM's API thread. Locking: none of its own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/prop.h"
#include "../devices/device.h"
#include "../vm.h"
#include "format.h"
#include "source.h"

#define DEVI_TAG SNAP_TAG('D', 'E', 'V', 'I')
#define DEVI_VERSION 1
#define DEVI_MAX_PROPS 128u
#define DEVI_STR 512u

static void put_str(struct snap_w *w, const char *s)
{
	size_t n = strlen(s);

	n = n < DEVI_STR ? n : DEVI_STR - 1;
	snap_put_u16(w, (uint16_t)n);
	snap_put(w, s, n);
}

/* Into @buf (DEVI_STR bytes, NUL-terminated). */
static void get_str(struct snap_cur *c, char *buf)
{
	uint16_t n = snap_get_u16(c);

	if (n >= DEVI_STR) {
		c->bad = true;
		n = 0;
	}
	snap_get(c, buf, n);
	buf[n] = '\0';
}

int snap_devices_save(struct vm *vm, struct snap_w *w, struct vm_error **errp)
{
	uint16_t i = 0;
	char val[DEVI_STR];

	for (struct vm_obj *o = vm->devices.head; o; o = o->next, i++) {
		const struct obj_class *k = o->klass;
		uint16_t n = 0;
		int rc;

		for (unsigned p = 0; p < k->nr_props; p++)
			n += o->prop_set[p] != 0;
		snap_w_begin(w, DEVI_TAG, DEVI_VERSION, i);
		put_str(w, obj_type_name(o));
		put_str(w, o->id);
		snap_put_u16(w, n);
		for (unsigned p = 0; p < k->nr_props; p++) {
			if (!o->prop_set[p])
				continue;
			if (vm_obj_get_prop(o, k->props[p].desc->name, val,
					    sizeof(val)) < 0)
				val[0] = '\0';
			put_str(w, k->props[p].desc->name);
			put_str(w, val);
		}
		snap_w_end(w);
		rc = device_save(o, w, i, errp);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* One DEVI record: vm_add_device() with its properties. */
static int devi_add(struct vm *vm, const struct snap_rec *rec,
		    struct vm_error **errp)
{
	char (*s)[DEVI_STR] = calloc(2 + 2 * DEVI_MAX_PROPS, DEVI_STR);
	struct vm_prop *props = calloc(DEVI_MAX_PROPS + 2, sizeof(*props));
	struct snap_cur c;
	unsigned n, k = 0;
	int rc = snap_rec_check(rec, DEVI_VERSION, "device", errp);

	if (!s || !props) {
		rc = verr_set(errp, -ENOMEM, "snapshot: out of memory");
		goto out;
	}
	if (rc < 0)
		goto out;
	snap_cur_init(&c, rec);
	get_str(&c, s[0]);
	get_str(&c, s[1]);
	n = snap_get_u16(&c);
	if (n > DEVI_MAX_PROPS) {
		rc = verr_set(errp, -EBADMSG,
			      "snapshot: device record with %u properties", n);
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		get_str(&c, s[2 + 2 * i]);
		get_str(&c, s[3 + 2 * i]);
	}
	rc = snap_cur_done(&c, rec, "device", errp);
	if (rc < 0)
		goto out;
	props[k++] = (struct vm_prop){ "id", s[1] };
	for (unsigned i = 0; i < n; i++)
		if (strcmp(s[2 + 2 * i], "id"))
			props[k++] = (struct vm_prop){ s[2 + 2 * i], s[3 + 2 * i] };
	rc = vm_add_device(vm, s[0], props, errp);
	if (rc < 0)
		verr_prefix(errp, "snapshot: ");
out:
	free(props);
	free(s);
	return rc;
}

int snap_devices_add(struct vm *vm, const struct snap_index *ix,
		     struct vm_error **errp)
{
	for (uint16_t i = 0;; i++) {
		const struct snap_rec *rec = snap_find(ix, DEVI_TAG, i);
		int rc;

		if (!rec)
			return 0;
		rc = devi_add(vm, rec, errp);
		if (rc < 0)
			return rc;
	}
}

int snap_devices_load(struct vm *vm, const struct snap_index *ix,
		      struct vm_error **errp)
{
	uint16_t i = 0;

	for (struct vm_obj *o = vm->devices.head; o; o = o->next, i++) {
		int rc = device_load(o, ix, i, errp);

		if (rc < 0)
			return rc;
	}
	return 0;
}
