/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/core/type.h: types and classes (QOM's idea at a fraction of its
 * weight).
 *
 * A type is a static description. A class is built once per type and VM,
 * lazily on first lookup, by running the parent's class_init and then the
 * type's own on the same zeroed class struct (class_size bytes, which start
 * with the parent's class struct). Built-in types live in a constant table
 * (lib/core/builtin-types.c), no constructor-time registration; host types
 * are registered per VM through vm_type_register().
 *
 * Hook contract (same as QEMU's device life cycle):
 *   class_init     once per type, parent first;
 *   instance_init  after allocation and property defaults, before the
 *                  caller's properties; must not fail or touch the host;
 *   realize        vm_start(); the only hook that may fail, and a failed
 *                  realize leaves no trace; the parent's realize is run
 *                  by the child's explicitly if it wants it (as in QEMU);
 *   unrealize      undoes realize;
 *   finalize       frees what instance_init and properties left; realize
 *                  may never have run. Run child first, then parents.
 * Each hook runs as the level that declares it (vm_obj->hook_class), so a
 * host type's vm_obj_priv() is that level's storage (priv_offset), never a
 * child's. lib/realize.c adds what vm_start() guarantees around realize.
 *
 * Threads: API thread only (types and classes are per VM and built before
 * vm_start()). Locking: none.
 */
#ifndef LIB_CORE_TYPE_H
#define LIB_CORE_TYPE_H

#include <stdbool.h>
#include <stddef.h>

#include <kvm-virtio.h>

#include "compiler.h"
#include "error.h"

struct obj_class;
struct type_registry;

struct type {
	const char *name;
	const char *parent;
	size_t class_size;    /* >= sizeof(struct obj_class) */
	size_t instance_size; /* >= sizeof(struct vm_obj) */
	bool abstract;
	void (*class_init)(struct obj_class *k);
	void (*instance_init)(struct vm_obj *o);
	int (*realize)(struct vm_obj *o, struct vm_error **errp);
	void (*unrealize)(struct vm_obj *o);
	void (*finalize)(struct vm_obj *o);
	const struct vm_prop_desc *props; /* offsets from the object start */
	/* Library-internal, for built-in bases that host types derive from
	 * (lib/net/host.c): every level's base_realize runs, parents first,
	 * before the most derived realize (whoever declares it) and may
	 * fail; every level's base_unrealize runs, child first, after
	 * unrealize or when a later step of realize failed. */
	int (*base_realize)(struct vm_obj *o, struct vm_error **errp);
	void (*base_unrealize)(struct vm_obj *o);
};

/* A property of a class with where its value lives in the object. */
struct class_prop {
	const struct vm_prop_desc *desc;
	size_t base; /* added to desc->offset */
};

/* Every class struct starts with this. */
struct obj_class {
	const struct type *type;
	struct obj_class *parent;  /* NULL for the root */
	int kind;                  /* VM_OBJ_NETDEV / VM_OBJ_DEVICE / 0 */
	size_t priv_offset;        /* host types: start of vm_obj_priv() */
	const struct vm_type_info *host; /* host types: the copied info */
	struct class_prop *props;  /* own and inherited, parents first */
	unsigned nr_props;
};

/* Per-VM registry of host types and built classes. */
struct type_registry {
	struct type_entry *entries; /* singly linked */
};

void type_registry_init(struct type_registry *r);
void type_registry_fini(struct type_registry *r);

/* The class of @name, built on first use; -ENOENT if unknown, -EINVAL if
 * the parent chain is broken. */
int __must_check type_get_class(struct type_registry *r, const char *name,
				struct obj_class **kp, struct vm_error **errp);

/* True if the type exists (built-in or registered). */
bool type_exists(struct type_registry *r, const char *name);

/* Register a host type (see vm_type_register()). */
int __must_check type_register_host(struct type_registry *r,
				    const struct vm_type_info *info,
				    struct vm_error **errp);

/* Is @k the class of @name or of a type derived from it? */
bool class_is_a(const struct obj_class *k, const char *name);

/* The built-in type table, NULL-terminated (lib/core/builtin-types.c). */
extern const struct type *const builtin_types[];

#endif
