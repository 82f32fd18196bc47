/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/core/log.c: format a message and hand it to the host's sink. */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void vlog_emit(const struct vlog *l, int level, const char *obj,
	       const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	l->fn(l->opaque, level, obj ? obj : "vm", buf);
}
