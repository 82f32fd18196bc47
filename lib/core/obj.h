/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/core/obj.h: object instances (struct vm_obj is public and opaque).
 *
 * Inheritance is by first-member embedding: a type's instance struct starts
 * with its parent's, and the root is struct vm_obj. OBJ_CHECK() converts
 * with a type check in debug builds.
 *
 * Threads: created, realized and freed by the API thread. After vm_start()
 * the fields below are read-only except ->realized, which only the API
 * thread writes. Locking: none here; devices document their own.
 */
#ifndef LIB_CORE_OBJ_H
#define LIB_CORE_OBJ_H

#include <stdbool.h>
#include <stdint.h>

#include "type.h"

struct vm;

struct vm_obj {
	struct obj_class *klass;
	struct vm *vm;
	char *id;
	bool realized;
	uint8_t *prop_set;      /* one flag per klass->props: given by caller */
	struct vm_obj *next;    /* in the VM's netdev or device list */
	/* The class whose hook is running (NULL outside hooks): a host type's
	 * hooks see their own level's storage through vm_obj_priv(). */
	const struct obj_class *hook_class;
};

/* Allocate an instance of @k, apply defaults, run instance_init up the
 * chain (parents first). */
int __must_check obj_new(struct obj_class *k, struct vm *vm, const char *id,
			 struct vm_obj **op, struct vm_error **errp);
/* Run finalize (child first) and free. Accepts NULL. */
void obj_free(struct vm_obj *o);

/* The object's type name and kind. */
const char *obj_type_name(const struct vm_obj *o);
int obj_kind(const struct vm_obj *o);
/* "device 'net1'" / "netdev 'mynet3'" for messages. */
const char *obj_kind_name(const struct vm_obj *o);

bool obj_is_a(const struct vm_obj *o, const char *type);

/* Mark @k as the level whose hook runs on @o; returns the previous one for
 * obj_hook_leave() (hooks may nest: a child calling its parent's hook). */
const struct obj_class *obj_hook_enter(struct vm_obj *o,
				       const struct obj_class *k);
void obj_hook_leave(struct vm_obj *o, const struct obj_class *prev);

#ifdef NDEBUG
#define OBJ_CHECK(type, o, name) ((type *)(void *)(o))
#else
#define OBJ_CHECK(type, o, name) ((type *)obj_check((o), (name), __func__))
#endif
void *obj_check(struct vm_obj *o, const char *name, const char *func);

#endif
