/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/pause.c: vm_pause() and vm_resume(): the vCPUs out of KVM_RUN and
 * parked (lib/kvm/vcpu.c), then every device's I/O threads parked at a
 * queue boundary (lib/devices/device.h); resume in the reverse order.
 *
 * Threads: any host thread but the VM's vCPU threads (a console callback)
 * and its I/O threads. Locking: vm->pause_lock is held for the whole call
 * (so pause and resume never overlap) and guards vm->paused; vm->lock is
 * taken briefly to read vm->state and vm->machine (see lib/vm.h).
 */
#include <errno.h>

#include "devices/device.h"
#include "kvm/vcpu.h"
#include "snapshot/source.h"
#include "vm.h"

/* The started machine, or an error: -ENODEV not started, -ESHUTDOWN the
 * guest stopped (vm_wait() saw it). */
static int pause_machine(struct vm *vm, struct machine **mp,
			 struct vm_error **errp, const char *what)
{
	int state;

	pthread_mutex_lock(&vm->lock);
	state = vm->state;
	*mp = vm->machine;
	pthread_mutex_unlock(&vm->lock);
	if (state == VM_STATE_CREATED || !*mp)
		return verr_set(errp, -ENODEV, "vm: %s: not started", what);
	if (state == VM_STATE_STOPPED)
		return verr_set(errp, -ESHUTDOWN, "vm: %s: the guest has stopped",
				what);
	return 0;
}

static void devices_resume(struct vm *vm, struct vm_obj *upto)
{
	for (struct vm_obj *o = vm->devices.head; o && o != upto; o = o->next)
		device_resume(o);
}

int vm_pause(struct vm *vm, struct vm_error **errp)
{
	struct machine *m;
	struct vm_obj *o;
	int rc;

	if (!vm)
		return verr_set(errp, -EINVAL, "vm_pause: NULL vm");
	if (hv_vcpu_current())
		return verr_set(errp, -EDEADLK,
				"vm: vm_pause: called on a vCPU thread (a console callback)");
	pthread_mutex_lock(&vm->pause_lock);
	rc = vm->paused ? 0 : pause_machine(vm, &m, errp, "vm_pause");
	if (rc < 0 || vm->paused)
		goto out;
	rc = machine_pause(m);
	if (rc < 0) {
		rc = verr_set(errp, rc, "vm: vm_pause: %s",
			      rc == -ESHUTDOWN ? "the guest stopped meanwhile" :
						 "the vCPUs cannot be paused");
		goto out;
	}
	for (o = vm->devices.head; o; o = o->next) {
		rc = device_pause(o);
		if (rc < 0) {
			devices_resume(vm, o);
			machine_resume(m);
			rc = verr_set(errp, rc, "device '%s': cannot pause its I/O",
				      o->id);
			goto out;
		}
	}
	vm->paused = true;
	vlog_dbg(&vm->log, "vm", "paused");
out:
	pthread_mutex_unlock(&vm->pause_lock);
	return rc;
}

int vm_resume(struct vm *vm, struct vm_error **errp)
{
	struct machine *m;
	int rc = 0;

	if (!vm)
		return verr_set(errp, -EINVAL, "vm_resume: NULL vm");
	pthread_mutex_lock(&vm->pause_lock);
	if (vm->paused && vm->cow_tmpl &&
	    __atomic_load_n(&vm->cow_tmpl->clones, __ATOMIC_ACQUIRE)) {
		rc = verr_set(errp, -EBUSY,
			      "vm: vm_resume: %u clone(s) still map this template's RAM copy-on-write (destroy them first)",
			      __atomic_load_n(&vm->cow_tmpl->clones, __ATOMIC_ACQUIRE));
	} else if (vm->paused) {
		m = vm->machine; /* fixed while paused: destroy cannot overlap */
		devices_resume(vm, NULL);
		machine_resume(m);
		vm->paused = false;
		vlog_dbg(&vm->log, "vm", "resumed");
	} else {
		rc = pause_machine(vm, &m, errp, "vm_resume");
		if (rc == -ESHUTDOWN)
			rc = 0; /* nothing to resume, and nothing wrong */
	}
	pthread_mutex_unlock(&vm->pause_lock);
	return rc;
}

int vm_paused(struct vm *vm)
{
	int p;

	if (!vm)
		return 0;
	pthread_mutex_lock(&vm->pause_lock);
	p = vm->paused;
	pthread_mutex_unlock(&vm->pause_lock);
	return p;
}
