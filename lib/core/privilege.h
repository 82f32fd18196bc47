/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/core/privilege.h: what a VM's own threads keep of the process's
 * privileges (VM_CONFIG_F_DROP_CAPS, VM_CONFIG_F_SECCOMP).
 *
 * Capabilities and seccomp filters are per thread in Linux, and a thread
 * starts with its creator's. So each library thread that serves a guest
 * drops what it must not keep on itself, first thing, before it touches
 * guest state: the vCPU threads (before their first KVM_RUN) and the
 * UART's input thread. virtio-net's I/O threads are created later, by a
 * vCPU thread when the guest's driver sets DRIVER_OK, and inherit that
 * thread's empty capability sets and its filter: which is why the filter
 * is one allow-list for both kinds of thread. Release threads ("kvm-release",
 * shared by every VM of the process) always keep no capabilities: closing
 * fds and unmapping memory needs none. The host's own threads, the one
 * that calls vm_start() included, are never touched.
 *
 * Threads: priv_prepare() on the API thread (vm_start); priv_enter() and
 * priv_drop_caps() on the thread they apply to. Locking: filter_lock
 * guards the process-wide filter in privilege.c; a struct priv is fixed
 * between priv_prepare() and the end of the VM's threads.
 */
#ifndef LIB_CORE_PRIVILEGE_H
#define LIB_CORE_PRIVILEGE_H

#include <stdbool.h>

#include "error.h"

struct sock_fprog;

struct priv {
	bool drop_caps;                 /* no capabilities at all */
	const struct sock_fprog *filter; /* NULL: no syscall filter */
};

/* Fill @p for a VM: @drop_caps, and with @seccomp the allow-list built
 * once per process (libseccomp). -ENOTSUP "syscall filter: ..." when the
 * filter cannot be built; nothing changes on any thread here. */
int __must_check priv_prepare(struct priv *p, bool drop_caps, bool seccomp,
			      struct vm_error **errp);

/* Apply @p to the calling thread: capabilities first (capset on this
 * thread only), then no_new_privs and the filter. -errno of the first
 * step that failed; a NULL @p or an empty one is 0 and does nothing. */
int priv_enter(const struct priv *p);

/* Empty effective, permitted and inheritable sets (and so no ambient
 * ones) for the calling thread. 0 or -errno. */
int priv_drop_caps(void);

#endif
