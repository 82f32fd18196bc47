/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/core/type.c: type lookup, lazy class construction, host types.
 *
 * Threads: API thread only. Locking: none (the registry is per VM).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../net/netdev.h"
#include "obj.h"
#include "type.h"

/* The smallest vm_type_info accepted: version 0.1's, up to ->opaque. */
#define TYPE_INFO_V1_SIZE                                                     \
	(offsetof(struct vm_type_info, opaque) + sizeof(void *))

/* Deepest type chain accepted; a cycle among host types stops here. */
#define TYPE_MAX_DEPTH 16

struct type_entry {
	struct type_entry *next;
	const struct type *type;   /* built-in, or &host_type */
	struct obj_class *klass;   /* built on first use */
	/* host types only */
	struct type host_type;
	struct vm_type_info host_info;
	char *name, *parent;
};

void type_registry_init(struct type_registry *r)
{
	r->entries = NULL;
}

static void class_free(struct obj_class *k)
{
	if (!k)
		return;
	free(k->props);
	free(k);
}

void type_registry_fini(struct type_registry *r)
{
	struct type_entry *e, *next;

	for (e = r->entries; e; e = next) {
		next = e->next;
		class_free(e->klass);
		free(e->name);
		free(e->parent);
		free(e);
	}
	r->entries = NULL;
}

static const struct type *builtin_find(const char *name)
{
	for (unsigned i = 0; builtin_types[i]; i++)
		if (!strcmp(builtin_types[i]->name, name))
			return builtin_types[i];
	return NULL;
}

static struct type_entry *entry_find(struct type_registry *r,
				     const char *name)
{
	for (struct type_entry *e = r->entries; e; e = e->next)
		if (!strcmp(e->type->name, name))
			return e;
	return NULL;
}

bool type_exists(struct type_registry *r, const char *name)
{
	return name && (entry_find(r, name) || builtin_find(name));
}

/* Entry for @name, creating one for a built-in type on first use. */
static int entry_get(struct type_registry *r, const char *name,
		     struct type_entry **ep, struct vm_error **errp)
{
	struct type_entry *e = entry_find(r, name);
	const struct type *t;

	if (!e) {
		t = builtin_find(name);
		if (!t)
			return verr_set(errp, -ENOENT, "unknown type '%s'",
					name);
		e = calloc(1, sizeof(*e));
		if (!e)
			return verr_set(errp, -ENOMEM, "type '%s': out of memory",
					name);
		e->type = t;
		e->next = r->entries;
		r->entries = e;
	}
	*ep = e;
	return 0;
}

static unsigned count_props(const struct vm_prop_desc *p)
{
	unsigned n = 0;

	while (p && p[n].name)
		n++;
	return n;
}

static int class_build(struct type_registry *r, struct type_entry *e,
		       unsigned depth, struct vm_error **errp)
{
	const struct type *t = e->type;
	struct obj_class *k, *pk = NULL;
	struct type_entry *pe;
	unsigned own, inherited = 0;
	size_t base;
	int rc;

	if (depth > TYPE_MAX_DEPTH)
		return verr_set(errp, -ELOOP,
				"type '%s': parent chain too deep or cyclic",
				t->name);
	if (t->parent) {
		rc = entry_get(r, t->parent, &pe, errp);
		if (rc < 0) {
			verr_prefix(errp, "type '%s': parent: ", t->name);
			return rc;
		}
		if (!pe->klass) {
			rc = class_build(r, pe, depth + 1, errp);
			if (rc < 0)
				return rc;
		}
		pk = pe->klass;
		if (t->class_size < pk->type->class_size ||
		    t->instance_size < pk->type->instance_size)
			return verr_set(errp, -EINVAL,
					"type '%s': smaller than its parent '%s'",
					t->name, pk->type->name);
		inherited = pk->nr_props;
	}
	if (t->class_size < sizeof(struct obj_class) ||
	    t->instance_size < sizeof(struct vm_obj))
		return verr_set(errp, -EINVAL, "type '%s': bad sizes", t->name);

	k = calloc(1, t->class_size);
	if (!k)
		return verr_set(errp, -ENOMEM, "type '%s': out of memory",
				t->name);
	/* Like QOM: the class starts as a copy of the parent's class. */
	if (pk)
		memcpy(k, pk, pk->type->class_size);
	k->type = t;
	k->parent = pk;
	k->host = e->type == &e->host_type ? &e->host_info : NULL;
	k->priv_offset = k->host ? ALIGN_UP(pk->type->instance_size,
					    (size_t)16)
				 : (pk ? pk->priv_offset : 0);
	own = count_props(t->props);
	k->nr_props = inherited + own;
	k->props = k->nr_props ? calloc(k->nr_props, sizeof(*k->props)) : NULL;
	if (k->nr_props && !k->props) {
		free(k);
		return verr_set(errp, -ENOMEM, "type '%s': out of memory",
				t->name);
	}
	if (inherited)
		memcpy(k->props, pk->props, inherited * sizeof(*k->props));
	base = k->host ? k->priv_offset : 0;
	for (unsigned i = 0; i < own; i++) {
		k->props[inherited + i].desc = &t->props[i];
		k->props[inherited + i].base = base;
	}
	if (k->host && k->host->class_init)
		k->host->class_init(k->host->opaque);
	else if (t->class_init)
		t->class_init(k);
	e->klass = k;
	return 0;
}

int type_get_class(struct type_registry *r, const char *name,
		   struct obj_class **kp, struct vm_error **errp)
{
	struct type_entry *e;
	int rc;

	if (!name)
		return verr_set(errp, -EINVAL, "no type name given");
	rc = entry_get(r, name, &e, errp);
	if (rc < 0)
		return rc;
	if (!e->klass) {
		rc = class_build(r, e, 0, errp);
		if (rc < 0)
			return rc;
	}
	*kp = e->klass;
	return 0;
}

bool class_is_a(const struct obj_class *k, const char *name)
{
	for (; k; k = k->parent)
		if (!strcmp(k->type->name, name))
			return true;
	return false;
}

static int check_host_props(const struct vm_type_info *info,
			    struct vm_error **errp)
{
	const struct vm_prop_desc *p = info->props;

	for (unsigned i = 0; p && p[i].name; i++) {
		size_t need;

		switch (p[i].kind) {
		case VM_PROP_STR:
		case VM_PROP_LINK:
			need = sizeof(char *);
			break;
		case VM_PROP_BOOL:
			need = 1;
			break;
		case VM_PROP_U32:
			need = 4;
			break;
		case VM_PROP_U64:
			need = 8;
			break;
		case VM_PROP_MAC:
			need = 6;
			break;
		default:
			return verr_set(errp, -EINVAL,
					"type '%s': property '%s' has unknown kind %u",
					info->name, p[i].name, p[i].kind);
		}
		if (p[i].offset > info->priv_size ||
		    info->priv_size - p[i].offset < need)
			return verr_set(errp, -EINVAL,
					"type '%s': property '%s' lies outside priv_size",
					info->name, p[i].name);
	}
	return 0;
}

/* A host netdev type whose parent is "netdev" is built on the host netdev
 * adapter, so that its frames have somewhere to go (lib/net/host.c). */
static const char *host_parent(const struct vm_type_info *info)
{
	return strcmp(info->parent, TYPE_NETDEV) ? info->parent
						 : TYPE_NETDEV_HOST;
}

static int check_netdev_ops(const struct vm_type_info *info,
			    const struct obj_class *pk,
			    struct vm_error **errp)
{
	if (!info->netdev_ops)
		return 0;
	if (!class_is_a(pk, TYPE_NETDEV_HOST))
		return verr_set(errp, -EINVAL,
				"type '%s': netdev_ops need a parent derived from 'netdev' only (not '%s')",
				info->name, info->parent);
	if (!netdev_host_ops_valid(info->netdev_ops))
		return verr_set(errp, -EINVAL,
				"type '%s': netdev_ops without size or send",
				info->name);
	return 0;
}

int type_register_host(struct type_registry *r,
		       const struct vm_type_info *user_info,
		       struct vm_error **errp)
{
	struct vm_type_info info_copy = { 0 }, *info = &info_copy;
	struct type_entry *e;
	struct obj_class *pk;
	int rc;

	if (!user_info || user_info->size < TYPE_INFO_V1_SIZE)
		return verr_set(errp, -EINVAL,
				"vm_type_register: missing size, name or parent");
	/* An older caller's struct is shorter: the rest stays zero. */
	memcpy(info, user_info, MIN(user_info->size, sizeof(*info)));
	if (!info->name || !*info->name || !info->parent)
		return verr_set(errp, -EINVAL,
				"vm_type_register: missing size, name or parent");
	if (type_exists(r, info->name))
		return verr_set(errp, -EEXIST, "type '%s' already exists",
				info->name);
	rc = type_get_class(r, host_parent(info), &pk, errp);
	if (rc < 0) {
		verr_prefix(errp, "type '%s': ", info->name);
		return rc;
	}
	if (!pk->kind)
		return verr_set(errp, -EINVAL,
				"type '%s': parent '%s' is neither a netdev nor a device",
				info->name, info->parent);
	rc = check_host_props(info, errp);
	if (rc == 0)
		rc = check_netdev_ops(info, pk, errp);
	if (rc < 0)
		return rc;
	e = calloc(1, sizeof(*e));
	if (!e)
		return verr_set(errp, -ENOMEM, "type '%s': out of memory",
				info->name);
	e->name = strdup(info->name);
	e->parent = strdup(host_parent(info));
	if (!e->name || !e->parent) {
		free(e->name);
		free(e->parent);
		free(e);
		return verr_set(errp, -ENOMEM, "type '%s': out of memory",
				info->name);
	}
	e->host_info = *info;
	e->host_info.name = e->name;
	e->host_info.parent = e->parent;
	e->host_type = (struct type){
		.name = e->name,
		.parent = e->parent,
		.class_size = pk->type->class_size,
		.instance_size = ALIGN_UP(pk->type->instance_size, (size_t)16) +
				 info->priv_size,
		.instance_init = info->instance_init,
		.realize = info->realize,
		.unrealize = info->unrealize,
		.finalize = info->finalize,
		.props = info->props,
	};
	e->type = &e->host_type;
	e->next = r->entries;
	r->entries = e;
	return 0;
}
