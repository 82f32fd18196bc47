/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/core/prop.h: typed properties set from strings.
 *
 * A type has a table of struct vm_prop_desc (public, so host types can use
 * it). Built-in types declare entries with the PROP_* macros below, which
 * check at compile time that the field has the C type the kind stores.
 *
 * Threads: API thread. Locking: none.
 */
#ifndef LIB_CORE_PROP_H
#define LIB_CORE_PROP_H

#include <stdint.h>

#include "obj.h"

/* Evaluates to 0, and fails to compile unless field has type T. */
#define PROP_TYPECHECK(st, field, T)                                          \
	(0 * sizeof(char[1 - 2 * !__builtin_types_compatible_p(              \
				 __typeof__(((st *)0)->field), T)]))

#define PROP_ENTRY(n, k, st, field, T, fl, def, lo, hi, h)                    \
	{                                                                     \
		.name = (n), .kind = (k), .flags = (fl),                      \
		.offset = offsetof(st, field) + PROP_TYPECHECK(st, field, T), \
		.defval = (def), .min = (lo), .max = (hi), .help = (h)        \
	}

#define PROP_STR(n, st, f, fl, def, h)                                        \
	PROP_ENTRY(n, VM_PROP_STR, st, f, char *, fl, def, 0, 0, h)
#define PROP_BOOL(n, st, f, fl, def, h)                                       \
	PROP_ENTRY(n, VM_PROP_BOOL, st, f, uint8_t, fl, def, 0, 1, h)
#define PROP_U32(n, st, f, fl, def, lo, hi, h)                                \
	PROP_ENTRY(n, VM_PROP_U32, st, f, uint32_t, fl, def, lo, hi, h)
#define PROP_U64(n, st, f, fl, def, lo, hi, h)                                \
	PROP_ENTRY(n, VM_PROP_U64, st, f, uint64_t, fl, def, lo, hi, h)
#define PROP_MAC(n, st, f, fl, def, h)                                        \
	PROP_ENTRY(n, VM_PROP_MAC, st, f, uint8_t[6], fl, def, 0, 0, h)
/* For links, min is the vm_obj_kind the target must have (0: a netdev). */
#define PROP_LINK(n, st, f, fl, target_kind, h)                               \
	PROP_ENTRY(n, VM_PROP_LINK, st, f, char *, fl, NULL, target_kind, 0, h)
#define PROP_END { .name = NULL }

/* The kind a link's target must have: desc->min, 0 meaning a netdev. */
static inline int prop_link_kind(const struct vm_prop_desc *d)
{
	return d->min ? (int)d->min : VM_OBJ_NETDEV;
}

/* Parsers shared with the host-facing helpers. 0 or -EINVAL. */
int prop_parse_bool(const char *s, uint8_t *out);
int prop_parse_u64(const char *s, uint64_t *out);
int prop_parse_mac(const char *s, uint8_t mac[6]);

/* Find a property of @o's class by name; NULL if none. */
const struct class_prop *prop_find(const struct vm_obj *o, const char *name,
				   unsigned *index);

/* Set one property from text; messages name the object and property. */
int __must_check prop_set(struct vm_obj *o, const char *name,
			  const char *value, struct vm_error **errp);
/* Apply the defaults of every property of @o's class. */
int __must_check prop_set_defaults(struct vm_obj *o, struct vm_error **errp);
/* Check that every VM_PROP_F_REQUIRED property was given. */
int __must_check prop_check_required(struct vm_obj *o,
				     struct vm_error **errp);
/* Free the heap strings held by string and link properties. */
void prop_release(struct vm_obj *o);
/* Format the current value; returns the full length, -ENOENT. */
int prop_format(const struct vm_obj *o, const char *name, char *buf,
		size_t len);
/* Was the property given by the caller (not just defaulted)? */
bool prop_is_set(const struct vm_obj *o, const char *name);
/* Pointer to the property's storage. */
void *prop_storage(const struct vm_obj *o, const struct class_prop *cp);

#endif
