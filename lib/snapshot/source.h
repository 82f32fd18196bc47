/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/snapshot/source.h: what a VM made by vm_restore() or vm_clone()
 * starts from, held by the VM until its vm_start() succeeds, and the
 * copy-on-write link between a template and its clones.
 *
 * Threads: the source belongs to the VM's API thread. struct vm_cow is
 * shared by a template and its clones, which may live on different
 * threads: its counters are atomics.
 */
#ifndef LIB_SNAPSHOT_SOURCE_H
#define LIB_SNAPSHOT_SOURCE_H

#include <stddef.h>

#include "format.h"

struct vm_restore_src {
	void *map;          /* vm_restore(): the file, mapped */
	size_t len;
	void *buf;          /* vm_clone(): the state records, malloc'd */
	int cow_fd;         /* vm_clone(): dup of the template's RAM file, or -1 */
	struct snap_index ix;
};

void vm_restore_src_free(struct vm_restore_src *s);

/* A template's clones: ->clones live ones (vm_resume() of the template
 * is refused while there are any: its writes would show through in the
 * pages they have not written yet), ->refs the template plus every
 * clone, freed at 0. */
struct vm_cow {
	unsigned refs;      /* atomic */
	unsigned clones;    /* atomic */
};

void vm_cow_put(struct vm_cow *c);

/* devices.c: the VM's devices as DEVI records plus their state; added
 * back to a new VM from them; their state loaded at its vm_start(). */
struct vm;
int __must_check snap_devices_save(struct vm *vm, struct snap_w *w,
				   struct vm_error **errp);
int __must_check snap_devices_add(struct vm *vm, const struct snap_index *ix,
				  struct vm_error **errp);
int __must_check snap_devices_load(struct vm *vm, const struct snap_index *ix,
				   struct vm_error **errp);

#endif
