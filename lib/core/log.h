/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/core/log.h: per-VM logging to the host's callback.
 *
 * Silent by default. The level test happens before any formatting, so a
 * disabled message costs a load and a compare. Messages name their object.
 *
 * Threads: any thread may log. Locking: the sink is set before vm_start()
 * and read-only afterwards, so no lock is needed; the host's callback must
 * be thread-safe.
 */
#ifndef LIB_CORE_LOG_H
#define LIB_CORE_LOG_H

#include <kvm-virtio.h>

#include "compiler.h"

struct vlog {
	vm_log_fn fn;
	void *opaque;
	int level;
};

void vlog_emit(const struct vlog *l, int level, const char *obj,
	       const char *fmt, ...) __printf(4, 5);

#define vlog_at(l, lvl, obj, ...)                                             \
	do {                                                                  \
		const struct vlog *l_ = (l);                                  \
		if (l_ && l_->fn && (lvl) <= l_->level)                       \
			vlog_emit(l_, (lvl), (obj), __VA_ARGS__);             \
	} while (0)

#define vlog_err(l, obj, ...) vlog_at(l, VM_LOG_ERR, obj, __VA_ARGS__)
#define vlog_warn(l, obj, ...) vlog_at(l, VM_LOG_WARN, obj, __VA_ARGS__)
#define vlog_info(l, obj, ...) vlog_at(l, VM_LOG_INFO, obj, __VA_ARGS__)
#define vlog_dbg(l, obj, ...) vlog_at(l, VM_LOG_DEBUG, obj, __VA_ARGS__)

#endif
