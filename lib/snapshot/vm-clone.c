/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/snapshot/vm-clone.c: vm_clone(): a new VM in this process that
 * starts where a paused template is, with guest RAM a private
 * copy-on-write mapping of the template's RAM file (lib/kvm/mem.h,
 * gmem_init_cow): the template's machine and device state is saved to
 * memory without its RAM (machine_save(with_ram = 0)) and loaded by the
 * clone's vm_start() as a restore would (lib/vm.c), while the clone's RAM
 * maps a dup of the template's memfd MAP_PRIVATE. Pages are copied only
 * when the clone writes them.
 *
 * What a clone shares with its template: every RAM page it has not
 * written (read from the template's file), hence the guest's RNG state,
 * its keys and caches, its idea of its identity (hostname, MAC in memory
 * and the NIC's saved MAC, DHCP leases, TCP sequence numbers); the devices'
 * state (a clone gets the template's devices, and new netdevs from its
 * caller); the vCPU state at the instant of the
 * clone, except the TSC and kvmclock values, which are those of the
 * template's pause (hv_time_freeze(), lib/kvm/vcpu.h: a clone's guest
 * time goes on from the template's, not from when it was cloned). A runtime
 * must give each clone what must be unique (addresses, keys, identity;
 * the guest's RNG is told through the VM Generation ID device, which each
 * clone's vm_start() gives a new ID and a notification:
 * lib/arch/x86/vmgenid.h; a MAC with vm_net_set_mac()), and never resume
 * the template while clones live (vm_resume() refuses: -EBUSY).
 *
 * Threads: the template's API thread (or any, under vm_pause()'s rules).
 * Locking: the template's ->pause_lock is held while its state is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../vm.h"
#include "format.h"
#include "source.h"

void vm_cow_put(struct vm_cow *c)
{
	if (c && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(c);
}

/* What a clone cannot have: backends that map guest RAM themselves. */
static int clone_refuse(struct vm *t, struct vm_error **errp)
{
	struct vm_obj *o;

	for (o = t->netdevs.head; o; o = o->next)
		if (obj_is_a(o, "vhost-user"))
			return verr_set(errp, -ENOTSUP,
					"vm_clone: netdev '%s' is vhost-user: its backend maps the guest RAM itself and cannot follow a private copy-on-write mapping (snapshot and restore instead)",
					o->id);
	if (t->cow_of)
		return verr_set(errp, -ENOTSUP,
				"vm_clone: the template is itself a clone (its RAM is a private mapping)");
	return 0;
}

/* The template's state (no RAM) into @s; template paused, pause_lock held. */
static int clone_capture(struct vm *t, struct vm_restore_src *s,
			 struct vm_error **errp)
{
	struct snap_hdr h = { 0 };
	struct snap_w w;
	int rc;

	h.lib_version = VM_VERSION_HEX;
	h.host_id = machine_host_id(t->machine);
	h.vcpus = t->cfg.vcpus;
	h.mem_mib = t->cfg.mem_mib;
	snap_w_init(&w, &h);
	rc = snap_devices_save(t, &w, errp);
	if (rc == 0)
		rc = machine_save(t->machine, &w, 0, errp);
	if (rc == 0 && (rc = snap_w_finish(&w)) < 0)
		rc = verr_set(errp, rc, "vm_clone: out of memory");
	if (rc < 0) {
		snap_w_fini(&w);
		return rc;
	}
	s->buf = w.buf; /* the index points into it: keep it */
	s->len = w.len;
	rc = snap_index_build(&s->ix, s->buf, s->len, errp);
	if (rc < 0)
		return rc;
	s->cow_fd = fcntl(machine_mem(t->machine)->fd, F_DUPFD_CLOEXEC, 0);
	if (s->cow_fd < 0)
		return verr_set_errno(errp, -errno, "vm_clone: dup of the RAM file");
	return 0;
}

int vm_clone(struct vm *t, const struct vm_config *cfg, struct vm **vmp,
	     struct vm_error **errp)
{
	struct vm_config c = VM_CONFIG_INIT;
	struct vm_restore_src *s;
	struct vm *vm;
	int rc;

	if (!vmp)
		return verr_set(errp, -EINVAL, "vm_clone: NULL vmp");
	*vmp = NULL;
	if (!t)
		return verr_set(errp, -EINVAL, "vm_clone: NULL template");
	if (cfg && cfg->size < offsetof(struct vm_config, flags) + sizeof(uint32_t))
		return verr_set(errp, -EINVAL,
				"vm_clone: config too small (start from VM_CONFIG_INIT)");
	rc = clone_refuse(t, errp);
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s)
		return verr_set(errp, -ENOMEM, "vm_clone: out of memory");
	s->cow_fd = -1;
	pthread_mutex_lock(&t->pause_lock);
	if (!t->paused)
		rc = verr_set(errp, -EBUSY,
			      "vm_clone: the template is not paused (vm_pause first)");
	else if (!t->cow_tmpl && !(t->cow_tmpl = calloc(1, sizeof(*t->cow_tmpl))))
		rc = verr_set(errp, -ENOMEM, "vm_clone: out of memory");
	else {
		if (!t->cow_tmpl->refs)
			t->cow_tmpl->refs = 1; /* the template's own */
		rc = clone_capture(t, s, errp);
	}
	if (rc == 0) {
		if (cfg)
			memcpy(&c, cfg, MIN(cfg->size, sizeof(c)));
		c.size = sizeof(c);
		c.vcpus = t->cfg.vcpus;
		c.mem_mib = t->cfg.mem_mib;
		c.kernel = c.initrd = c.cmdline = c.mem_path = NULL;
		c.flags = t->cfg.flags & (VM_CONFIG_F_PIT | VM_CONFIG_F_NO_IRQCHIP);
		rc = vm_create(&c, &vm, errp);
	}
	if (rc < 0) {
		pthread_mutex_unlock(&t->pause_lock);
		vm_restore_src_free(s);
		return rc;
	}
	__atomic_add_fetch(&t->cow_tmpl->refs, 1, __ATOMIC_ACQ_REL);
	__atomic_add_fetch(&t->cow_tmpl->clones, 1, __ATOMIC_ACQ_REL);
	vm->cow_of = t->cow_tmpl;
	vm->restore = s;
	pthread_mutex_unlock(&t->pause_lock);
	rc = snap_devices_add(vm, &s->ix, errp);
	if (rc < 0) {
		vm_destroy(vm);
		return rc;
	}
	*vmp = vm;
	return 0;
}
