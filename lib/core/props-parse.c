/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/core/props-parse.c: "k=v,k=v,flag" text to struct vm_prop arrays, a
 * convenience for hosts that keep QEMU-style option strings. Never needed:
 * every call takes arrays directly.
 *
 * Threads: any. Locking: none (no shared state).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/*
 * Layout of one allocation: a hidden slot [0] whose key points at the
 * unescaped text buffer, then the properties, then {NULL, NULL}. The caller
 * gets &slot[1].
 */
int vm_props_parse(const char *text, struct vm_prop **props,
		   struct vm_error **errp)
{
	struct vm_prop *arr;
	size_t len, n = 1, i;
	char *buf, *w, *item;
	int count = 0;

	if (!text || !props)
		return verr_set(errp, -EINVAL, "vm_props_parse: NULL argument");
	len = strlen(text);
	for (i = 0; i < len; i++) {
		if (text[i] == ',' && text[i + 1] == ',')
			i++;
		else if (text[i] == ',')
			n++;
	}
	buf = malloc(len + 1);
	arr = calloc(n + 2, sizeof(*arr));
	if (!buf || !arr) {
		free(buf);
		free(arr);
		return verr_set(errp, -ENOMEM, "vm_props_parse: out of memory");
	}
	arr[0].key = buf;
	if (!len) {
		*props = &arr[1];
		return 0;
	}

	/* Unescape ",," and split on single commas into NUL-separated items. */
	w = buf;
	item = w;
	for (i = 0; i <= len; i++) {
		char c = text[i];

		if (c == ',' && text[i + 1] == ',') {
			*w++ = ',';
			i++;
			continue;
		}
		if (c == ',' || c == '\0') {
			char *eq;

			*w++ = '\0';
			if (!*item) { /* empty item: "a=1,,"-free trailing or ",," */
				if (c == '\0' && count > 0)
					break;
				goto bad;
			}
			eq = strchr(item, '=');
			if (eq == item)
				goto bad;
			if (eq)
				*eq = '\0';
			arr[1 + count].key = item;
			arr[1 + count].value = eq ? eq + 1 : NULL;
			count++;
			item = w;
			continue;
		}
		*w++ = c;
	}
	*props = &arr[1];
	return count;
bad:
	free(buf);
	free(arr);
	return verr_set(errp, -EINVAL,
			"cannot parse properties \"%s\": empty key or item", text);
}

void vm_props_free(struct vm_prop *props)
{
	if (!props)
		return;
	free((void *)props[-1].key);
	free(props - 1);
}

const char *vm_props_get(const struct vm_prop *props, const char *key,
			 int *found)
{
	const char *v = NULL;
	int f = 0;

	for (; props && key && props->key; props++) {
		if (!strcmp(props->key, key)) {
			v = props->value;
			f = 1;
		}
	}
	if (found)
		*found = f;
	return v;
}
