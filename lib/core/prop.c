/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/core/prop.c: the one generic property setter, parsing strings by
 * kind, and formatting values back to text.
 *
 * Threads: API thread. Locking: none.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "obj.h"
#include "prop.h"

int prop_parse_bool(const char *s, uint8_t *out)
{
	static const char *const on[] = { "on", "true", "yes", "1" };
	static const char *const off[] = { "off", "false", "no", "0" };

	if (!s) { /* bare flag, as QEMU's "vhostforce" */
		*out = 1;
		return 0;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(on); i++) {
		if (!strcasecmp(s, on[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, off[i])) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

int prop_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int prop_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t m[6];

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, 6);
	return 0;
}

void *prop_storage(const struct vm_obj *o, const struct class_prop *cp)
{
	return (char *)o + cp->base + cp->desc->offset;
}

const struct class_prop *prop_find(const struct vm_obj *o, const char *name,
				   unsigned *index)
{
	const struct obj_class *k = o->klass;

	/* Search from the most derived so a child can shadow a parent. */
	for (unsigned i = k->nr_props; i-- > 0;) {
		if (!strcmp(k->props[i].desc->name, name)) {
			if (index)
				*index = i;
			return &k->props[i];
		}
	}
	return NULL;
}

static const char *kind_text(uint32_t kind)
{
	switch (kind) {
	case VM_PROP_STR:
		return "a string";
	case VM_PROP_BOOL:
		return "on/off";
	case VM_PROP_U32:
	case VM_PROP_U64:
		return "an unsigned integer";
	case VM_PROP_MAC:
		return "a MAC address xx:xx:xx:xx:xx:xx";
	case VM_PROP_LINK:
		return "an object id";
	default:
		return "?";
	}
}

static int set_parsed(struct vm_obj *o, const struct class_prop *cp,
		      const char *value, struct vm_error **errp)
{
	const struct vm_prop_desc *d = cp->desc;
	void *p = prop_storage(o, cp);
	uint64_t v;
	uint8_t b, mac[6];
	char *s, **sp;

	switch (d->kind) {
	case VM_PROP_BOOL:
		if (prop_parse_bool(value, &b) < 0)
			goto bad;
		*(uint8_t *)p = b;
		return 0;
	case VM_PROP_U32:
	case VM_PROP_U64:
		if (prop_parse_u64(value, &v) < 0)
			goto bad;
		if (d->kind == VM_PROP_U32 && v > UINT32_MAX)
			goto range;
		if ((d->min || d->max) && (v < d->min || v > d->max))
			goto range;
		if (d->kind == VM_PROP_U32)
			*(uint32_t *)p = (uint32_t)v;
		else
			*(uint64_t *)p = v;
		return 0;
	case VM_PROP_MAC:
		if (prop_parse_mac(value, mac) < 0)
			goto bad;
		memcpy(p, mac, 6);
		return 0;
	case VM_PROP_STR:
	case VM_PROP_LINK:
		if (!value || (d->kind == VM_PROP_LINK && !*value))
			goto bad;
		s = strdup(value);
		if (!s)
			return verr_set(errp, -ENOMEM, "%s '%s': out of memory",
					obj_kind_name(o), o->id);
		sp = p;
		free(*sp);
		*sp = s;
		return 0;
	}
	return verr_set(errp, -EINVAL, "%s '%s': property '%s' has bad kind",
			obj_kind_name(o), o->id, d->name);
bad:
	return verr_set(errp, -EINVAL,
			"%s '%s': property '%s': '%s' is not %s",
			obj_kind_name(o), o->id, d->name,
			value ? value : "(no value)", kind_text(d->kind));
range:
	return verr_set(errp, -ERANGE,
			"%s '%s': property '%s': %s is out of range [%" PRIu64
			", %" PRIu64 "]",
			obj_kind_name(o), o->id, d->name, value, d->min,
			d->max);
}

int prop_set(struct vm_obj *o, const char *name, const char *value,
	     struct vm_error **errp)
{
	const struct class_prop *cp;
	unsigned idx;
	int rc;

	cp = prop_find(o, name, &idx);
	if (!cp) {
		char known[256];
		size_t n = 0;

		known[0] = 0;
		for (unsigned i = 0; i < o->klass->nr_props && n < sizeof(known);
		     i++) {
			int w = snprintf(known + n, sizeof(known) - n, "%s%s",
					 n ? ", " : "",
					 o->klass->props[i].desc->name);
			if (w < 0)
				break;
			n += (size_t)w;
		}
		return verr_set(errp, -EINVAL,
				"%s '%s': type '%s' has no property '%s' (known: %s)",
				obj_kind_name(o), o->id, obj_type_name(o), name,
				known[0] ? known : "none");
	}
	if (o->prop_set[idx])
		return verr_set(errp, -EINVAL,
				"%s '%s': property '%s' given twice",
				obj_kind_name(o), o->id, name);
	rc = set_parsed(o, cp, value, errp);
	if (rc < 0)
		return rc;
	o->prop_set[idx] = 1;
	return 0;
}

int prop_set_defaults(struct vm_obj *o, struct vm_error **errp)
{
	for (unsigned i = 0; i < o->klass->nr_props; i++) {
		const struct class_prop *cp = &o->klass->props[i];
		int rc;

		if (!cp->desc->defval)
			continue;
		rc = set_parsed(o, cp, cp->desc->defval, errp);
		if (rc < 0) {
			verr_prefix(errp, "default: ");
			return rc;
		}
	}
	return 0;
}

int prop_check_required(struct vm_obj *o, struct vm_error **errp)
{
	for (unsigned i = 0; i < o->klass->nr_props; i++) {
		const struct vm_prop_desc *d = o->klass->props[i].desc;

		if ((d->flags & VM_PROP_F_REQUIRED) && !o->prop_set[i])
			return verr_set(errp, -EINVAL,
					"%s '%s': property '%s' is required",
					obj_kind_name(o), o->id, d->name);
	}
	return 0;
}

void prop_release(struct vm_obj *o)
{
	for (unsigned i = 0; i < o->klass->nr_props; i++) {
		const struct class_prop *cp = &o->klass->props[i];

		if (cp->desc->kind == VM_PROP_STR ||
		    cp->desc->kind == VM_PROP_LINK) {
			char **sp = prop_storage(o, cp);

			free(*sp);
			*sp = NULL;
		}
	}
}

bool prop_is_set(const struct vm_obj *o, const char *name)
{
	unsigned idx;

	return prop_find(o, name, &idx) && o->prop_set[idx];
}

int prop_format(const struct vm_obj *o, const char *name, char *buf,
		size_t len)
{
	const struct class_prop *cp = prop_find(o, name, NULL);
	const void *p;
	const uint8_t *m;
	int n;

	if (!cp)
		return -ENOENT;
	p = prop_storage(o, cp);
	switch (cp->desc->kind) {
	case VM_PROP_BOOL:
		n = snprintf(buf, len, "%s", *(const uint8_t *)p ? "on" : "off");
		break;
	case VM_PROP_U32:
		n = snprintf(buf, len, "%" PRIu32, *(const uint32_t *)p);
		break;
	case VM_PROP_U64:
		n = snprintf(buf, len, "%" PRIu64, *(const uint64_t *)p);
		break;
	case VM_PROP_MAC:
		m = p;
		n = snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0],
			     m[1], m[2], m[3], m[4], m[5]);
		break;
	default:
		n = snprintf(buf, len, "%s",
			     *(char *const *)p ? *(char *const *)p : "");
		break;
	}
	return n;
}
