/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/core/obj.c: instance creation, hook chains and the public getters.
 *
 * Threads: API thread. Locking: none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj.h"
#include "prop.h"

const struct obj_class *obj_hook_enter(struct vm_obj *o,
				       const struct obj_class *k)
{
	const struct obj_class *prev = o->hook_class;

	o->hook_class = k;
	return prev;
}

void obj_hook_leave(struct vm_obj *o, const struct obj_class *prev)
{
	o->hook_class = prev;
}

/* Each level's instance_init runs as that level (its own storage). */
static void instance_init_chain(struct obj_class *k, struct vm_obj *o)
{
	const struct obj_class *prev;

	if (!k)
		return;
	instance_init_chain(k->parent, o);
	if (k->type->instance_init) {
		prev = obj_hook_enter(o, k);
		k->type->instance_init(o);
		obj_hook_leave(o, prev);
	}
}

int obj_new(struct obj_class *k, struct vm *vm, const char *id,
	    struct vm_obj **op, struct vm_error **errp)
{
	struct vm_obj *o;
	int rc;

	if (k->type->abstract)
		return verr_set(errp, -EINVAL, "type '%s' is abstract",
				k->type->name);
	o = calloc(1, k->type->instance_size);
	if (!o)
		return verr_set(errp, -ENOMEM, "out of memory");
	o->klass = k;
	o->vm = vm;
	o->id = strdup(id);
	o->prop_set = calloc(k->nr_props ? k->nr_props : 1, 1);
	if (!o->id || !o->prop_set) {
		rc = verr_set(errp, -ENOMEM, "out of memory");
		goto fail;
	}
	rc = prop_set_defaults(o, errp);
	if (rc < 0)
		goto fail;
	instance_init_chain(k, o);
	*op = o;
	return 0;
fail:
	/* instance_init has not run: release properties only. */
	prop_release(o);
	free(o->prop_set);
	free(o->id);
	free(o);
	return rc;
}

void obj_free(struct vm_obj *o)
{
	if (!o)
		return;
	for (struct obj_class *k = o->klass; k; k = k->parent) {
		if (k->type->finalize) {
			const struct obj_class *prev = obj_hook_enter(o, k);

			k->type->finalize(o);
			obj_hook_leave(o, prev);
		}
	}
	prop_release(o);
	free(o->prop_set);
	free(o->id);
	free(o);
}

const char *obj_type_name(const struct vm_obj *o)
{
	return o->klass->type->name;
}

int obj_kind(const struct vm_obj *o)
{
	return o->klass->kind;
}

const char *obj_kind_name(const struct vm_obj *o)
{
	switch (o->klass->kind) {
	case VM_OBJ_NETDEV:
		return "netdev";
	case VM_OBJ_DEVICE:
		return "device";
	case VM_OBJ_CHARDEV:
		return "chardev";
	default:
		return "object";
	}
}

bool obj_is_a(const struct vm_obj *o, const char *type)
{
	return class_is_a(o->klass, type);
}

void *obj_check(struct vm_obj *o, const char *name, const char *func)
{
	if (o && !obj_is_a(o, name)) {
		/* A library bug, never input: a wrong cast would corrupt
		 * memory, so stop here in debug builds. */
		fprintf(stderr, "%s: object '%s' of type '%s' is not a '%s'\n",
			func, o->id, obj_type_name(o), name);
		abort();
	}
	return o;
}

/* Public getters. */

const char *vm_obj_id(const struct vm_obj *obj)
{
	return obj ? obj->id : NULL;
}

const char *vm_obj_type(const struct vm_obj *obj)
{
	return obj ? obj_type_name(obj) : NULL;
}

int vm_obj_kind(const struct vm_obj *obj)
{
	return obj ? obj_kind(obj) : 0;
}

int vm_obj_is_realized(const struct vm_obj *obj)
{
	return obj && obj->realized;
}

int vm_obj_get_prop(const struct vm_obj *obj, const char *key, char *buf,
		    size_t len)
{
	if (!obj || !key)
		return -EINVAL;
	return prop_format(obj, key, buf, len);
}

/* The storage of level @k of @o: NULL for a built-in level or a host
 * level without storage (priv_size 0). */
static void *class_priv(struct vm_obj *o, const struct obj_class *k)
{
	if (!k || !k->host || !k->host->priv_size)
		return NULL;
	return (char *)o + k->priv_offset;
}

/* Inside a hook, the level whose hook runs; else the object's own type. */
static const struct obj_class *current_level(const struct vm_obj *o)
{
	return o->hook_class ? o->hook_class : o->klass;
}

void *vm_obj_priv(struct vm_obj *obj)
{
	return obj ? class_priv(obj, current_level(obj)) : NULL;
}

void *vm_obj_priv_of(struct vm_obj *obj, const char *type)
{
	if (!obj || !type)
		return NULL;
	for (const struct obj_class *k = obj->klass; k; k = k->parent)
		if (!strcmp(k->type->name, type))
			return class_priv(obj, k);
	return NULL;
}

void *vm_type_opaque(const struct vm_obj *obj)
{
	const struct obj_class *k;

	if (!obj)
		return NULL;
	k = current_level(obj);
	return k->host ? k->host->opaque : NULL;
}

struct vm *vm_obj_vm(struct vm_obj *obj)
{
	return obj ? obj->vm : NULL;
}
