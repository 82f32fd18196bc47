/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/pc-ports.c: debug-exit and ignored ports (see pc-ports.h).
 *
 * Threads: vCPU threads. Locking: none (stateless).
 */
#include <string.h>

#include <kvm-virtio.h>

#include "pc-ports.h"

void pc_ports_init(struct pc_ports *p, x86_exit_fn *exit, void *opaque)
{
	memset(p, 0, sizeof(*p));
	p->exit = exit;
	p->opaque = opaque;
}

static void debug_exit_read(void *opaque, uint64_t off, void *data,
			    unsigned size)
{
	memset(data, 0xff, size);
}

static void debug_exit_write(void *opaque, uint64_t off, const void *data,
			     unsigned size)
{
	struct pc_ports *p = opaque;
	uint32_t v = 0;

	memcpy(&v, data, size > 4 ? 4 : size); /* little-endian host */
	p->exit(p->opaque, VM_EXIT_DEBUG, (int)v);
}

const struct iomap_ops debug_exit_ops = { debug_exit_read, debug_exit_write };

static void ignore_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	memset(data, 0xff, size);
}

static void ignore_write(void *opaque, uint64_t off, const void *data,
			 unsigned size)
{
}

const struct iomap_ops ignore_ops = { ignore_read, ignore_write };
