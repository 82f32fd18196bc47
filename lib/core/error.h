/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/core/error.h: errors that carry a negative errno and a message.
 *
 * Every fallible internal function returns 0 or a negative errno and, when
 * it can explain itself, takes `struct vm_error **errp` last. NULL errp
 * means "don't care". verr_set() records and returns in one line:
 *
 *     return verr_set(errp, -EBUSY, "netdev '%s' is already used", id);
 */
#ifndef LIB_CORE_ERROR_H
#define LIB_CORE_ERROR_H

#include <kvm-virtio.h>

#include "compiler.h"

struct vm_error {
	int code;  /* negative errno */
	char *msg; /* heap, or the static out-of-memory text */
};

/* Store an error in *errp (unless errp is NULL or *errp is already set) and
 * return @code. Falls back to a static "out of memory" error. */
int verr_set(struct vm_error **errp, int code, const char *fmt, ...)
	__printf(3, 4);

/* Like verr_set() with ": <strerror(-code)>" appended. */
int verr_set_errno(struct vm_error **errp, int code, const char *fmt, ...)
	__printf(3, 4);

/* Prepend a formatted prefix to the message in *errp, if there is one. */
void verr_prefix(struct vm_error **errp, const char *fmt, ...) __printf(2, 3);

/* Make @e carry @code (a negative errno) so that its code and the value a
 * call returns agree; the static out-of-memory error is left alone. */
void verr_force_code(struct vm_error *e, int code);

/* Move *src into *dst (if *dst is empty), leaving *src NULL. */
void verr_propagate(struct vm_error **dst, struct vm_error *src);

#endif
