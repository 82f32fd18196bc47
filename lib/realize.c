/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/realize.c: realize and unrealize one object (see realize.h).
 *
 * Threads: API thread. Locking: none.
 */
#include <errno.h>
#include <string.h>

#include "core/prop.h"
#include "net/netdev.h"
#include "realize.h"
#include "vm.h"

static const struct obj_class *realize_class(const struct vm_obj *o)
{
	for (const struct obj_class *k = o->klass; k; k = k->parent)
		if (k->type->realize)
			return k;
	return NULL;
}

static const struct obj_class *unrealize_class(const struct vm_obj *o)
{
	for (const struct obj_class *k = o->klass; k; k = k->parent)
		if (k->type->unrealize)
			return k;
	return NULL;
}

static const char *kind_word(int kind)
{
	return kind == VM_OBJ_DEVICE ? "device" : "netdev";
}

/* Visit the set link properties that host levels of @o declare. */
typedef int (*link_fn)(struct vm_obj *o, const struct vm_prop_desc *d,
		       const char *target, struct vm_error **errp);

static int foreach_host_link(struct vm_obj *o, link_fn fn,
			     struct vm_error **errp)
{
	for (const struct obj_class *k = o->klass; k; k = k->parent) {
		const struct vm_prop_desc *d = k->host ? k->type->props : NULL;

		for (; d && d->name; d++) {
			const char *target;
			int rc;

			if (d->kind != VM_PROP_LINK)
				continue;
			target = *(char **)((char *)o + k->priv_offset +
					    d->offset);
			if (!target)
				continue;
			rc = fn(o, d, target, errp);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int link_detach(struct vm_obj *o, const struct vm_prop_desc *d,
		       const char *target, struct vm_error **errp)
{
	struct vm_obj *t = vm_obj_find(o->vm, target);

	(void)d;
	(void)errp;
	if (t && obj_kind(t) == VM_OBJ_NETDEV && obj_kind(o) == VM_OBJ_DEVICE)
		netdev_detach(to_netdev(t), o);
	return 0;
}

/* The same checks and messages as device_resolve_link() and the
 * virtio-net-pci realize give for built-in links. */
static int link_attach(struct vm_obj *o, const struct vm_prop_desc *d,
		       const char *target, struct vm_error **errp)
{
	int want = prop_link_kind(d);
	struct vm_obj *t = vm_obj_find(o->vm, target);
	int rc;

	if (!t)
		return verr_set(errp, -ENOENT,
				"%s '%s': property '%s': no object with id '%s'",
				obj_kind_name(o), o->id, d->name, target);
	if (obj_kind(t) != want)
		return verr_set(errp, -EINVAL,
				"%s '%s': property '%s': '%s' is a %s, not a %s",
				obj_kind_name(o), o->id, d->name, target,
				obj_kind_name(t), kind_word(want));
	if (want == VM_OBJ_NETDEV && obj_kind(o) == VM_OBJ_DEVICE) {
		rc = netdev_attach(to_netdev(t), o, errp);
		if (rc < 0) {
			verr_prefix(errp, "device '%s': ", o->id);
			return rc;
		}
	}
	return 0;
}

/* The base_realize of every level, parents first (type.h). */
static int base_realize_chain(struct vm_obj *o, const struct obj_class *k,
			      struct vm_error **errp)
{
	int rc;

	if (!k)
		return 0;
	rc = base_realize_chain(o, k->parent, errp);
	if (rc < 0 || !k->type->base_realize)
		return rc;
	rc = k->type->base_realize(o, errp);
	if (rc < 0) { /* undo the parents' */
		for (k = k->parent; k; k = k->parent)
			if (k->type->base_unrealize)
				k->type->base_unrealize(o);
	}
	return rc;
}

static void base_unrealize_chain(struct vm_obj *o)
{
	for (const struct obj_class *k = o->klass; k; k = k->parent)
		if (k->type->base_unrealize)
			k->type->base_unrealize(o);
}

/* "device 'd1': " unless the message already starts so. */
static void prefix_once(struct vm_obj *o, struct vm_error **errp)
{
	const char *kind = obj_kind_name(o), *msg = vm_error_message(*errp);
	size_t kl = strlen(kind), il = strlen(o->id);

	if (!strncmp(msg, kind, kl) && !strncmp(msg + kl, " '", 2) &&
	    !strncmp(msg + kl + 2, o->id, il) &&
	    !strncmp(msg + kl + 2 + il, "': ", 3))
		return;
	verr_prefix(errp, "%s '%s': ", kind, o->id);
}

int obj_realize(struct vm_obj *o, struct vm_error **errp)
{
	const struct obj_class *k = realize_class(o), *prev;
	struct vm_error *err = NULL;
	bool host = o->klass->host != NULL;
	int rc = 0;

	if (host) {
		rc = foreach_host_link(o, link_attach, &err);
		if (rc < 0)
			goto fail;
	}
	rc = base_realize_chain(o, o->klass, &err);
	if (rc < 0)
		goto fail;
	if (k) {
		prev = obj_hook_enter(o, k);
		rc = k->type->realize(o, &err);
		obj_hook_leave(o, prev);
	}
	if (rc == 0) {
		if (err) { /* a hook that set an error and then succeeded */
			vlog_warn(vm_log(o->vm), o->id,
				  "realize succeeded but left an error: %s",
				  vm_error_message(err));
			vm_error_free(err);
		}
		return 0;
	}
	if (rc > 0) /* not a negative errno: keep the contract */
		rc = -EINVAL;
	if (!err)
		verr_set_errno(&err, rc, "%s '%s': realize of type '%s' failed",
			       obj_kind_name(o), o->id, obj_type_name(o));
	else if (k && k->host)
		prefix_once(o, &err);
	verr_force_code(err, rc);
	base_unrealize_chain(o);
fail:
	if (host)
		(void)foreach_host_link(o, link_detach, NULL);
	verr_propagate(errp, err);
	return rc;
}

void obj_unrealize_hooks(struct vm_obj *o)
{
	const struct obj_class *k = unrealize_class(o), *prev;

	if (k) {
		prev = obj_hook_enter(o, k);
		k->type->unrealize(o);
		obj_hook_leave(o, prev);
	}
	base_unrealize_chain(o);
	if (o->klass->host)
		(void)foreach_host_link(o, link_detach, NULL);
}
