/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/core/error.c: struct vm_error and the verr_* helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static char oom_text[] = "out of memory";
static struct vm_error oom_error = { -ENOMEM, oom_text };

static void verr_store(struct vm_error **errp, int code, char *msg)
{
	struct vm_error *e;

	if (!errp || *errp) {
		free(msg);
		return;
	}
	e = msg ? malloc(sizeof(*e)) : NULL;
	if (!e) {
		free(msg);
		*errp = &oom_error;
		return;
	}
	e->code = code;
	e->msg = msg;
	*errp = e;
}

static __printf(1, 0) char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

static __printf(3, 0) int verr_vset(struct vm_error **errp, int code,
				    const char *fmt, va_list ap)
{
	if (errp && !*errp)
		verr_store(errp, code, vformat(fmt, ap));
	return code;
}

int verr_set(struct vm_error **errp, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr_vset(errp, code, fmt, ap);
	va_end(ap);
	return code;
}

int verr_set_errno(struct vm_error **errp, int code, const char *fmt, ...)
{
	va_list ap;
	char *head, *msg = NULL;

	if (!errp || *errp)
		return code;
	va_start(ap, fmt);
	head = vformat(fmt, ap);
	va_end(ap);
	if (head && asprintf(&msg, "%s: %s", head, strerror(-code)) < 0)
		msg = NULL;
	free(head);
	verr_store(errp, code, msg);
	return code;
}

void verr_prefix(struct vm_error **errp, const char *fmt, ...)
{
	va_list ap;
	char *head, *msg = NULL;
	struct vm_error *e;

	if (!errp || !*errp || *errp == &oom_error)
		return;
	e = *errp;
	va_start(ap, fmt);
	head = vformat(fmt, ap);
	va_end(ap);
	if (head && asprintf(&msg, "%s%s", head, e->msg) >= 0) {
		free(e->msg);
		e->msg = msg;
	}
	free(head);
}

void verr_force_code(struct vm_error *e, int code)
{
	if (e && e != &oom_error)
		e->code = code;
}

void verr_propagate(struct vm_error **dst, struct vm_error *src)
{
	if (!src)
		return;
	if (dst && !*dst) {
		*dst = src;
		return;
	}
	vm_error_free(src);
}

int vm_error_set(struct vm_error **errp, int code, const char *fmt, ...)
{
	va_list ap;

	if (code >= 0) /* the contract is a negative errno: keep it so */
		code = -EINVAL;
	va_start(ap, fmt);
	verr_vset(errp, code, fmt, ap);
	va_end(ap);
	return code;
}

int vm_error_code(const struct vm_error *err)
{
	return err ? err->code : 0;
}

const char *vm_error_message(const struct vm_error *err)
{
	return err ? err->msg : "no error";
}

void vm_error_free(struct vm_error *err)
{
	if (!err || err == &oom_error)
		return;
	free(err->msg);
	free(err);
}
