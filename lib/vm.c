/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/vm.c: the public VM calls: create, add netdevs and devices, the
 * two-phase start, wait, stop, destroy.
 *
 * vm_start() is QEMU's order: every netdev is realized (phase 1, in the
 * order added), then every device (phase 2, in the order added), then the
 * machine is built and its vCPUs run. A failure anywhere undoes what was
 * done in reverse order and leaves the VM as it was before the call.
 *
 * Threads/Locking: see vm.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/privilege.h"
#include "core/prop.h"
#include "kvm/hv.h"
#include "net/netdev.h"
#include "realize.h"
#include "snapshot/source.h"
#include "vm.h"

#define VM_MAX_VCPUS 255u
#define VM_MAX_MEM_MIB (1024u * 1024u) /* 1 TiB */

#define VM_CONFIG_F_KNOWN (VM_CONFIG_F_HUGETLB | VM_CONFIG_F_PREALLOC | \
			   VM_CONFIG_F_PIT | VM_CONFIG_F_NO_IRQCHIP | \
			   VM_CONFIG_F_DROP_CAPS | VM_CONFIG_F_SECCOMP | \
			   VM_CONFIG_F_NO_VMGENID)

/* The first version of struct vm_config ended after ->flags. */
#define VM_CONFIG_V0_SIZE (offsetof(struct vm_config, flags) + \
			   sizeof(uint32_t))

static char *dup_opt(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

/* @cfg copied into @c (the current struct size) and checked; @who names
 * the call in the messages. */
static int config_check(const struct vm_config *cfg, struct vm_config *c,
			const char *who, struct vm_error **errp)
{
	if (!cfg || cfg->size < VM_CONFIG_V0_SIZE)
		return verr_set(errp, -EINVAL,
				"%s: config missing or its size %zu is too small (start from VM_CONFIG_INIT)",
				who, cfg ? cfg->size : 0);
	memcpy(c, cfg, MIN(cfg->size, sizeof(*c)));
	c->size = sizeof(*c);
	if (c->vcpus == 0 || c->mem_mib == 0)
		return verr_set(errp, -EINVAL,
				"vm: vcpus (%u) and mem_mib (%u) must be at least 1",
				c->vcpus, c->mem_mib);
	if (c->kick_signal != 0 &&
	    (c->kick_signal < SIGRTMIN || c->kick_signal > SIGRTMAX))
		return verr_set(errp, -EINVAL,
				"vm: kick_signal %d is not a real-time signal (%d..%d)",
				c->kick_signal, SIGRTMIN, SIGRTMAX);
	if (c->vcpus > VM_MAX_VCPUS)
		return verr_set(errp, -E2BIG, "vm: %u vCPUs asked, at most %u",
				c->vcpus, VM_MAX_VCPUS);
	if (c->mem_mib > VM_MAX_MEM_MIB)
		return verr_set(errp, -E2BIG,
				"vm: %u MiB of RAM asked, at most %u", c->mem_mib,
				VM_MAX_MEM_MIB);
	if (c->flags & ~VM_CONFIG_F_KNOWN)
		return verr_set(errp, -EINVAL, "vm: unknown vm_config flags 0x%x",
				c->flags & ~VM_CONFIG_F_KNOWN);
	return 0;
}

int vm_prewarm(const struct vm_config *cfg, unsigned count,
	       struct vm_error **errp)
{
	struct vm_config c = VM_CONFIG_INIT;
	int rc = config_check(cfg, &c, "vm_prewarm", errp);

	if (rc < 0)
		return rc;
	return machine_prewarm(c.vcpus, !!(c.flags & VM_CONFIG_F_NO_IRQCHIP),
			       !!(c.flags & VM_CONFIG_F_PIT), count, errp);
}

int vm_create(const struct vm_config *cfg, struct vm **vmp,
	      struct vm_error **errp)
{
	struct vm_config c = VM_CONFIG_INIT;
	pthread_mutexattr_t recursive;
	struct vm *vm;
	bool oom = false;

	int rc;

	if (!vmp)
		return verr_set(errp, -EINVAL, "vm_create: NULL vmp");
	*vmp = NULL;
	rc = config_check(cfg, &c, "vm_create", errp);
	if (rc < 0)
		return rc;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return verr_set(errp, -ENOMEM, "vm: out of memory");
	pthread_mutexattr_init(&recursive);
	pthread_mutexattr_settype(&recursive, PTHREAD_MUTEX_RECURSIVE);
	vm->cfg = c;
	vm->kernel = dup_opt(c.kernel, &oom);
	vm->initrd = dup_opt(c.initrd, &oom);
	vm->cmdline = dup_opt(c.cmdline, &oom);
	vm->mem_path = dup_opt(c.mem_path, &oom);
	if (!oom && pthread_mutex_init(&vm->log_lock, &recursive) != 0)
		oom = true;
	else if (!oom && pthread_mutex_init(&vm->lock, NULL) != 0) {
		pthread_mutex_destroy(&vm->log_lock);
		oom = true;
	} else if (!oom && pthread_mutex_init(&vm->pause_lock, NULL) != 0) {
		pthread_mutex_destroy(&vm->lock);
		pthread_mutex_destroy(&vm->log_lock);
		oom = true;
	}
	pthread_mutexattr_destroy(&recursive);
	if (oom) {
		free(vm->kernel);
		free(vm->initrd);
		free(vm->cmdline);
		free(vm->mem_path);
		free(vm);
		return verr_set(errp, -ENOMEM, "vm: out of memory");
	}
	vm->cfg.kernel = vm->kernel;
	vm->cfg.initrd = vm->initrd;
	vm->cfg.cmdline = vm->cmdline;
	vm->cfg.mem_path = vm->mem_path;
	type_registry_init(&vm->types);
	vm->state = VM_STATE_CREATED;
	*vmp = vm;
	return 0;
}

/* Every log call of the VM's objects comes here, on any thread. */
static void vm_log_gate(void *opaque, int level, const char *object,
			const char *message)
{
	struct vm *vm = opaque;

	pthread_mutex_lock(&vm->log_lock);
	if (vm->host_log_fn)
		vm->host_log_fn(vm->host_log_opaque, level, object, message);
	pthread_mutex_unlock(&vm->log_lock);
}

void vm_set_log_fn(struct vm *vm, vm_log_fn fn, void *opaque, int level)
{
	if (!vm)
		return;
	pthread_mutex_lock(&vm->log_lock);
	vm->host_log_fn = fn;
	vm->host_log_opaque = opaque;
	pthread_mutex_unlock(&vm->log_lock);
	vm->log.fn = fn ? vm_log_gate : NULL;
	vm->log.opaque = vm;
	vm->log.level = level;
}

int vm_set_console_fn(struct vm *vm, vm_console_fn fn, void *opaque)
{
	if (!vm)
		return -EINVAL;
	if (vm->state != VM_STATE_CREATED)
		return -EBUSY;
	vm->console_fn = fn;
	vm->console_opaque = opaque;
	return 0;
}

const struct vlog *vm_log(struct vm *vm)
{
	return &vm->log;
}

struct machine *vm_machine(struct vm *vm)
{
	return vm->machine;
}

int vm_host_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return VM_HOST_KVM_NONE;
	close(fd);
	return hv_is_pvm() ? VM_HOST_KVM_PVM : VM_HOST_KVM_HARDWARE;
}

/* ------------------------------------------------------------------ */
/* Objects                                                             */

struct vm_obj *vm_obj_find(struct vm *vm, const char *id)
{
	struct vm_list *lists[3];

	if (!vm || !id)
		return NULL;
	lists[0] = &vm->chardevs;
	lists[1] = &vm->netdevs;
	lists[2] = &vm->devices;
	for (unsigned i = 0; i < 3; i++)
		for (struct vm_obj *o = lists[i]->head; o; o = o->next)
			if (!strcmp(o->id, id))
				return o;
	return NULL;
}

int vm_foreach_obj(struct vm *vm, vm_obj_visit_fn fn, void *opaque)
{
	struct vm_list *lists[3];
	int rc;

	if (!vm || !fn)
		return -EINVAL;
	lists[0] = &vm->chardevs;
	lists[1] = &vm->netdevs;
	lists[2] = &vm->devices;
	for (unsigned i = 0; i < 3; i++)
		for (struct vm_obj *o = lists[i]->head; o; o = o->next)
			if ((rc = fn(opaque, o)) != 0)
				return rc;
	return 0;
}

int vm_type_exists(struct vm *vm, const char *name)
{
	return vm && type_exists(&vm->types, name);
}

const struct vm_prop_desc *vm_type_prop(struct vm *vm, const char *name,
				       unsigned int index)
{
	struct obj_class *k;

	if (!vm || !name || type_get_class(&vm->types, name, &k, NULL) < 0 ||
	    index >= k->nr_props)
		return NULL;
	return k->props[index].desc;
}

int vm_type_register(struct vm *vm, const struct vm_type_info *info,
		     struct vm_error **errp)
{
	int rc;

	if (!vm)
		return verr_set(errp, -EINVAL, "vm_type_register: NULL vm");
	if (vm->state != VM_STATE_CREATED)
		return verr_set(errp, -EBUSY,
				"vm: types cannot be registered after vm_start");
	rc = type_register_host(&vm->types, info, errp);
	if (rc == 0)
		vm->host_types = true;
	return rc;
}

/* QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_'. */
static bool id_wellformed(const char *id)
{
	if (!id || !((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z')))
		return false;
	for (const char *p = id + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		      *p == '_'))
			return false;
	return true;
}

static void list_append(struct vm_list *l, struct vm_obj *o)
{
	o->next = NULL;
	if (l->tail)
		l->tail->next = o;
	else
		l->head = o;
	l->tail = o;
}

/* Another device already links to the same netdev? */
static int check_link_unique(struct vm *vm, struct vm_obj *o,
			     struct vm_error **errp)
{
	for (unsigned i = 0; i < o->klass->nr_props; i++) {
		const struct class_prop *cp = &o->klass->props[i];
		const char *target;

		if (cp->desc->kind != VM_PROP_LINK ||
		    prop_link_kind(cp->desc) != VM_OBJ_NETDEV || !o->prop_set[i])
			continue;
		target = *(char **)prop_storage(o, cp);
		for (struct vm_obj *d = vm->devices.head; d; d = d->next) {
			for (unsigned j = 0; j < d->klass->nr_props; j++) {
				const struct class_prop *dp = &d->klass->props[j];
				const char *t2;

				if (dp->desc->kind != VM_PROP_LINK ||
				    prop_link_kind(dp->desc) != VM_OBJ_NETDEV)
					continue;
				t2 = *(char **)prop_storage(d, dp);
				if (t2 && !strcmp(t2, target))
					return verr_set(errp, -EBUSY,
							"device '%s': netdev '%s' is already used by device '%s'",
							o->id, target, d->id);
			}
		}
	}
	return 0;
}

static int vm_add(struct vm *vm, int kind, const char *type, const char *id,
		  const struct vm_prop *props, struct vm_error **errp)
{
	const char *what = kind == VM_OBJ_NETDEV    ? "netdev"
			   : kind == VM_OBJ_CHARDEV ? "chardev"
						    : "device";
	struct obj_class *k;
	struct vm_obj *o = NULL;
	char anon[64];
	int rc;

	if (!vm)
		return verr_set(errp, -EINVAL, "vm_add_%s: NULL vm", what);
	if (vm->state != VM_STATE_CREATED)
		return verr_set(errp, -EBUSY,
				"%s '%s': cannot be added after vm_start",
				what, id ? id : type ? type : "?");
	if (!type)
		return verr_set(errp, -EINVAL, "%s: no type given", what);
	rc = type_get_class(&vm->types, type, &k, errp);
	if (rc < 0) {
		verr_prefix(errp, "%s '%s': ", what, id ? id : type);
		return rc;
	}
	if (k->kind != kind || k->type->abstract)
		return verr_set(errp, -EINVAL, "%s '%s': type '%s' is not a %s%s",
				what, id ? id : type, type,
				k->type->abstract ? "concrete " : "", what);
	if (!id) {
		if (kind != VM_OBJ_DEVICE)
			return verr_set(errp, -EINVAL,
					"%s of type '%s': an id is required",
					what, type);
		/* '#' cannot appear in a user id: no collision possible. The
		 * number is taken only when the add succeeds. */
		snprintf(anon, sizeof(anon), "%s#%u", type, vm->anon_ids);
		id = anon;
	} else if (!id_wellformed(id)) {
		return verr_set(errp, -EINVAL,
				"%s '%s': bad id: it must start with a letter and contain only letters, digits, '-', '.' and '_'",
				what, id);
	} else if (vm_obj_find(vm, id)) {
		return verr_set(errp, -EEXIST, "%s '%s': id already in use",
				what, id);
	}

	rc = obj_new(k, vm, id, &o, errp);
	if (rc < 0)
		return rc;
	for (const struct vm_prop *p = props; p && p->key; p++) {
		/* "id" and "type" are accepted from vm_props_parse() text
		 * when they agree with the arguments. */
		if (!strcmp(p->key, "type") && p->value && !strcmp(p->value, type))
			continue;
		/* chardev text: "socket,id=..." or "backend=socket,..." */
		if (kind == VM_OBJ_CHARDEV &&
		    !strcmp(p->value ? p->value : p->key,
			    type + strlen("chardev-")) &&
		    (!p->value || !strcmp(p->key, "backend")))
			continue;
		if (!strcmp(p->key, "id") && p->value &&
		    (kind != VM_OBJ_DEVICE || id != anon) && !strcmp(p->value, id))
			continue;
		rc = prop_set(o, p->key, p->value, errp);
		if (rc < 0)
			goto fail;
	}
	rc = prop_check_required(o, errp);
	if (rc < 0)
		goto fail;
	if (kind == VM_OBJ_DEVICE) {
		rc = check_link_unique(vm, o, errp);
		if (rc < 0)
			goto fail;
	}
	list_append(kind == VM_OBJ_NETDEV    ? &vm->netdevs
		    : kind == VM_OBJ_CHARDEV ? &vm->chardevs
					     : &vm->devices,
		    o);
	if (id == anon)
		vm->anon_ids++;
	vlog_dbg(&vm->log, o->id, "added %s of type '%s'", what, type);
	return 0;
fail:
	obj_free(o);
	return rc;
}

int vm_add_netdev(struct vm *vm, const char *type, const char *id,
		  const struct vm_prop *props, struct vm_error **errp)
{
	if (!id)
		return verr_set(errp, -EINVAL,
				"netdev of type '%s': an id is required",
				type ? type : "?");
	return vm_add(vm, VM_OBJ_NETDEV, type, id, props, errp);
}

int vm_add_chardev(struct vm *vm, const char *backend, const char *id,
		   const struct vm_prop *props, struct vm_error **errp)
{
	char type[64];

	if (!backend)
		return verr_set(errp, -EINVAL, "chardev: no backend given");
	if (!id)
		return verr_set(errp, -EINVAL,
				"chardev of backend '%s': an id is required",
				backend);
	if (strcmp(backend, "socket"))
		return verr_set(errp, -ENOENT,
				"chardev '%s': unknown backend '%s' (known: socket)",
				id, backend);
	/* QEMU's QOM name; "socket" alone would collide with a netdev. */
	snprintf(type, sizeof(type), "chardev-%s", backend);
	return vm_add(vm, VM_OBJ_CHARDEV, type, id, props, errp);
}

int vm_add_device(struct vm *vm, const char *type,
		  const struct vm_prop *props, struct vm_error **errp)
{
	int found;
	const char *id = vm_props_get(props, "id", &found);

	if (found && !id)
		return verr_set(errp, -EINVAL, "device of type '%s': id has no value",
				type ? type : "?");
	return vm_add(vm, VM_OBJ_DEVICE, type, id, props, errp);
}

/* ------------------------------------------------------------------ */
/* Two-phase realize                                                   */

static void obj_unrealize(struct vm_obj *o)
{
	if (!o->realized)
		return;
	obj_unrealize_hooks(o);
	o->realized = false;
	vlog_dbg(&o->vm->log, o->id, "unrealized");
}

/* Unrealize, newest first, every realized object of @l. */
static void list_unrealize(struct vm_list *l)
{
	struct vm_obj *stack[256], **v = stack;
	unsigned n = 0, cap = ARRAY_SIZE(stack);

	for (struct vm_obj *o = l->head; o; o = o->next)
		n++;
	if (n > cap) {
		v = malloc(n * sizeof(*v));
		if (!v) { /* no memory: forward order is still correct cleanup */
			for (struct vm_obj *o = l->head; o; o = o->next)
				obj_unrealize(o);
			return;
		}
	}
	n = 0;
	for (struct vm_obj *o = l->head; o; o = o->next)
		v[n++] = o;
	while (n-- > 0)
		obj_unrealize(v[n]);
	if (v != stack)
		free(v);
}

static int list_realize(struct vm_list *l, struct vm_error **errp)
{
	for (struct vm_obj *o = l->head; o; o = o->next) {
		int rc;

		if (o->realized)
			continue;
		rc = obj_realize(o, errp);
		if (rc < 0)
			return rc;
		o->realized = true;
		vlog_dbg(&o->vm->log, o->id, "realized");
	}
	return 0;
}

int vm_realize_objects(struct vm *vm, struct vm_error **errp)
{
	int rc;

	rc = list_realize(&vm->chardevs, errp); /* phase 1: chardevs, */
	if (rc < 0)
		goto fail;
	rc = list_realize(&vm->netdevs, errp); /* then netdevs */
	if (rc < 0)
		goto fail;
	rc = list_realize(&vm->devices, errp); /* phase 2 */
	if (rc < 0)
		goto fail;
	return 0;
fail:
	vm_unrealize_objects(vm);
	return rc;
}

void vm_unrealize_objects(struct vm *vm)
{
	list_unrealize(&vm->devices);
	list_unrealize(&vm->netdevs);
	list_unrealize(&vm->chardevs);
}

/* ------------------------------------------------------------------ */
/* Start, wait, stop, destroy                                          */

int vm_start(struct vm *vm, struct vm_error **errp)
{
	struct machine_config mc;
	struct machine *m = NULL;
	int rc;

	if (!vm)
		return verr_set(errp, -EINVAL, "vm_start: NULL vm");
	if (vm->state != VM_STATE_CREATED)
		return verr_set(errp, -EBUSY, "vm: already started");
	if (!vm->kernel && !vm->restore)
		return verr_set(errp, -EINVAL, "vm: no kernel given in vm_config");
	pthread_mutex_lock(&vm->lock);
	if (vm->stop_requested) { /* vm_stop() came first: honour it once */
		vm->stop_requested = false;
		pthread_mutex_unlock(&vm->lock);
		return verr_set(errp, -ECANCELED,
				"vm: vm_stop() was called before vm_start()");
	}
	pthread_mutex_unlock(&vm->lock);
	/* Releases the release threads have not got to yet: see release.h. */
	hv_release_help();
	if ((vm->cfg.flags & VM_CONFIG_F_NO_IRQCHIP) && vm->devices.head)
		return verr_set(errp, -EINVAL,
				"device '%s': a VM without an irqchip (VM_CONFIG_F_NO_IRQCHIP) takes no devices",
				vm->devices.head->id);

	rc = priv_prepare(&vm->priv, vm->cfg.flags & VM_CONFIG_F_DROP_CAPS,
			  vm->cfg.flags & VM_CONFIG_F_SECCOMP, errp);
	if (rc < 0)
		return rc;
	mc = (struct machine_config){
		.vcpus = vm->cfg.vcpus,
		.mem_bytes = (uint64_t)vm->cfg.mem_mib << 20,
		.kernel = vm->kernel,
		.initrd = vm->initrd,
		.cmdline = vm->cmdline,
		.console_fd = vm->cfg.console_fd,
		.console_in_fd = vm->cfg.console_in_fd,
		.console_fn = vm->console_fn,
		.console_opaque = vm->console_opaque,
		.mem_path = vm->mem_path,
		.mem_flags = ((vm->cfg.flags & VM_CONFIG_F_HUGETLB) ? GMEM_F_HUGETLB : 0) |
			     ((vm->cfg.flags & VM_CONFIG_F_PREALLOC) ? GMEM_F_PREALLOC : 0),
		.pit = !!(vm->cfg.flags & VM_CONFIG_F_PIT),
		.no_irqchip = !!(vm->cfg.flags & VM_CONFIG_F_NO_IRQCHIP),
		.kick_signal = vm->cfg.kick_signal,
		.priv = &vm->priv,
		.log = &vm->log,
		.restore = vm->restore != NULL,
		.cow = vm->restore && vm->restore->cow_fd >= 0,
		.cow_fd = vm->restore ? vm->restore->cow_fd : -1,
		.vmgenid = !(vm->cfg.flags & VM_CONFIG_F_NO_VMGENID),
	};
	rc = machine_new(&m, &mc, errp);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&vm->lock);
	vm->machine = m;
	pthread_mutex_unlock(&vm->lock);

	rc = vm_realize_objects(vm, errp);
	if (rc < 0)
		goto fail_machine;
	rc = machine_realize(m, errp);
	if (rc < 0)
		goto fail_objects;
	if (vm->restore) {
		rc = machine_load(m, &vm->restore->ix, errp);
		if (rc == 0)
			rc = snap_devices_load(vm, &vm->restore->ix, errp);
		if (rc < 0)
			goto fail_realized;
	}

	pthread_mutex_lock(&vm->lock);
	if (vm->stop_requested) {
		vm->stop_requested = false;
		pthread_mutex_unlock(&vm->lock);
		rc = verr_set(errp, -ECANCELED,
			      "vm: vm_stop() was called during vm_start()");
		goto fail_realized;
	}
	rc = machine_start(m, errp);
	if (rc == 0)
		vm->state = VM_STATE_RUNNING;
	pthread_mutex_unlock(&vm->lock);
	if (rc < 0)
		goto fail_realized;
	vlog_info(&vm->log, "vm", "%s: %u vCPU(s), %u MiB",
		  vm->restore ? "restored" : "started", vm->cfg.vcpus,
		  vm->cfg.mem_mib);
	vm_restore_src_free(vm->restore);
	vm->restore = NULL;
	return 0;

fail_realized:
	machine_unrealize(m);
fail_objects:
	vm_unrealize_objects(vm);
fail_machine:
	pthread_mutex_lock(&vm->lock);
	vm->machine = NULL;
	pthread_mutex_unlock(&vm->lock);
	machine_free(m);
	return rc;
}

int vm_wait(struct vm *vm, struct vm_status *status, int timeout_ms)
{
	struct vm_status st = VM_STATUS_INIT;
	int rc;

	if (!vm)
		return -EINVAL;
	if (vm->state == VM_STATE_CREATED)
		return -EINVAL;
	rc = machine_wait(vm->machine, &st, timeout_ms);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&vm->lock);
	vm->state = VM_STATE_STOPPED;
	pthread_mutex_unlock(&vm->lock);
	if (status && status->size >= offsetof(struct vm_status, vcpu)) {
		size_t n = MIN(status->size, sizeof(st));

		st.size = status->size;
		memcpy(status, &st, n);
	}
	return 0;
}

void vm_stop(struct vm *vm)
{
	if (!vm)
		return;
	pthread_mutex_lock(&vm->lock);
	vm->stop_requested = true;
	if (vm->machine)
		machine_stop(vm->machine);
	/* a vCPU may be waiting on a backend's reply (vhost-user) */
	for (struct vm_obj *o = vm->netdevs.head; o; o = o->next)
		netdev_cancel(to_netdev(o));
	pthread_mutex_unlock(&vm->lock);
}

static void list_free(struct vm_list *l)
{
	struct vm_obj *o, *next;

	for (o = l->head; o; o = next) {
		next = o->next;
		obj_free(o);
	}
	l->head = l->tail = NULL;
}

/* Everything vm_destroy() promises, on whichever thread runs it. */
static void vm_release(struct vm *vm)
{
	struct machine *m = vm->machine;

	if (m)
		machine_unrealize(m); /* joins the vCPU threads */
	vm_unrealize_objects(vm);
	pthread_mutex_lock(&vm->lock);
	vm->machine = NULL;
	pthread_mutex_unlock(&vm->lock);
	machine_free(m);
	list_free(&vm->devices);
	list_free(&vm->netdevs);
	list_free(&vm->chardevs);
	type_registry_fini(&vm->types);
	vm_restore_src_free(vm->restore);
	vm_cow_put(vm->cow_tmpl);
	vm_cow_put(vm->cow_of);
	pthread_mutex_destroy(&vm->pause_lock);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->log_lock);
	free(vm->kernel);
	free(vm->initrd);
	free(vm->cmdline);
	free(vm->mem_path);
	free(vm);
}

static void vm_release_job(struct hv_release_job *job)
{
	vm_release(container_of(job, struct vm, release));
}

void vm_destroy(struct vm *vm)
{
	struct machine *m;

	if (!vm)
		return;
	if (vm->cow_of) /* no longer holds its template back */
		__atomic_sub_fetch(&vm->cow_of->clones, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_lock(&vm->lock);
	m = vm->machine;
	vm->stop_requested = true;
	if (m)
		machine_stop(m);
	pthread_mutex_unlock(&vm->lock);
	/* Never started (nothing slow to release), or hooks of host types
	 * to run (their contract is to run before vm_destroy returns). */
	if (!m || vm->state == VM_STATE_CREATED || vm->host_types) {
		vm_release(vm);
		return;
	}
	/* From here on the VM reaches none of the host's fds and callbacks:
	 * console output and input are cut (the input thread is joined),
	 * log calls stop at the gate. The rest, including joining the
	 * vCPU threads, is the release thread's. */
	machine_detach_host(m);
	pthread_mutex_lock(&vm->log_lock);
	vm->host_log_fn = NULL;
	pthread_mutex_unlock(&vm->log_lock);
	vm->release.fn = vm_release_job;
	vm->release.hold = !!(vm->cfg.flags & VM_CONFIG_F_NO_IRQCHIP);
	hv_release_submit(&vm->release);
}

int vm_release_wait(int timeout_ms)
{
	return hv_release_wait(timeout_ms);
}

unsigned vm_release_pending(void)
{
	return hv_release_pending();
}
