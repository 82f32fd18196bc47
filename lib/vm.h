/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/vm.h: struct vm, the object that owns everything of one VM.
 *
 * Threads: every field is owned by the API thread (the host's thread that
 * calls vm_*), except that vm_stop() may run on any thread, that any
 * thread logs through vm_log_gate(), and that after vm_destroy() a release
 * thread (lib/kvm/release.h) owns the whole object and frees it.
 * Locking: ->lock guards ->state and ->machine against vm_stop();
 * ->log_lock (recursive: the host's log function may call back into the
 * library) guards ->host_log_fn/->host_log_opaque, so that once
 * vm_destroy() has cleared them under it no log call reaches the host.
 * ->pause_lock serializes vm_pause()/vm_resume() (any thread) and guards
 * ->paused; it is taken before ->lock and never by a vCPU or I/O thread.
 * Lock order (the one place it is written): vm->pause_lock -> vm->lock ->
 * device state -> queue state; ->log_lock is taken last, around the
 * host's callback only.
 */
#ifndef LIB_VM_H
#define LIB_VM_H

#include <pthread.h>
#include <stdbool.h>

#include "arch/x86/machine.h"
#include "kvm/release.h"
#include "core/log.h"
#include "core/obj.h"
#include "core/privilege.h"
#include "core/type.h"

enum vm_state {
	VM_STATE_CREATED, /* objects may be added */
	VM_STATE_RUNNING, /* vm_start() succeeded */
	VM_STATE_STOPPED, /* vm_wait() saw the guest stop */
};

struct vm_list {
	struct vm_obj *head, *tail;
};

struct vm {
	struct vm_config cfg;          /* copy; strings below are owned */
	char *kernel, *initrd, *cmdline, *mem_path;
	struct vlog log;               /* .fn is vm_log_gate when set */
	pthread_mutex_t log_lock;
	vm_log_fn host_log_fn;         /* guarded by ->log_lock */
	void *host_log_opaque;         /* guarded by ->log_lock */
	bool host_types;               /* vm_type_register() succeeded once */
	struct hv_release_job release; /* vm_destroy() -> release thread */
	vm_console_fn console_fn;      /* set before vm_start */
	void *console_opaque;
	struct type_registry types;
	struct vm_list chardevs, netdevs, devices;
	unsigned anon_ids;             /* counter for generated device ids */
	pthread_mutex_t lock;
	enum vm_state state;           /* guarded by ->lock */
	bool stop_requested;           /* guarded by ->lock */
	struct machine *machine;       /* guarded by ->lock while running */
	struct priv priv;              /* set by vm_start, read by its threads */
	pthread_mutex_t pause_lock;    /* lib/pause.c */
	bool paused;                   /* guarded by ->pause_lock */
	/* vm_restore()/vm_clone(): what vm_start() loads, then frees
	 * (lib/snapshot/source.h). */
	struct vm_restore_src *restore;
	struct vm_cow *cow_tmpl;       /* as a template: its clones */
	struct vm_cow *cow_of;         /* as a clone: its template's */
};

/* Phase 1 then phase 2; on failure everything is unrealized again. Used by
 * vm_start() and by unit tests that have no KVM. */
int __must_check vm_realize_objects(struct vm *vm, struct vm_error **errp);
/* Unrealize devices, then netdevs, then chardevs (each newest first). */
void vm_unrealize_objects(struct vm *vm);

/* The machine while starting/running (devices use it in realize). */
struct machine *vm_machine(struct vm *vm);
const struct vlog *vm_log(struct vm *vm);

#endif
