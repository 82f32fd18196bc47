/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/snapshot/vm-snapshot.c: vm_snapshot() and vm_restore().
 *
 * vm_snapshot() writes a paused VM's machine (lib/arch/x86/machine-snap.c)
 * behind a header that names this library's version, the host's CPUID
 * hash, the vCPU count, RAM size and the machine flags. vm_restore() maps
 * the file, checks the header and every record's checksum, and makes a VM
 * that is not started and holds the mapping and the record index; its
 * vm_start() realizes the machine in restore mode and loads the records
 * instead of booting (lib/vm.c), then drops them.
 *
 * Threads: the API thread of the VM (vm_snapshot: the one that paused it,
 * or any, under the header's rules). Locking: vm->pause_lock is held
 * while saving, so the VM cannot be resumed under the save.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../vm.h"
#include "format.h"
#include "source.h"


void vm_restore_src_free(struct vm_restore_src *s)
{
	if (!s)
		return;
	snap_index_fini(&s->ix);
	if (s->map)
		munmap(s->map, s->len);
	free(s->buf);
	if (s->cow_fd >= 0)
		close(s->cow_fd);
	free(s);
}

int vm_snapshot(struct vm *vm, const char *path, int fd, uint32_t flags,
		struct vm_error **errp)
{
	struct snap_hdr h = { 0 };
	struct snap_w w;
	int rc, out = fd;

	if (!vm)
		return verr_set(errp, -EINVAL, "vm_snapshot: NULL vm");
	if ((path == NULL) == (fd < 0))
		return verr_set(errp, -EINVAL,
				"vm_snapshot: give either a path or an fd");
	if (flags)
		return verr_set(errp, -EINVAL,
				"vm_snapshot: unknown flags 0x%x", flags);
	pthread_mutex_lock(&vm->pause_lock);
	if (!vm->paused) {
		pthread_mutex_unlock(&vm->pause_lock);
		return verr_set(errp, -EBUSY,
				"vm_snapshot: the VM is not paused (vm_pause first)");
	}
	if (path) {
		out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (out < 0) {
			rc = -errno;
			pthread_mutex_unlock(&vm->pause_lock);
			return verr_set_errno(errp, rc, "vm_snapshot: cannot create '%s'",
					      path);
		}
	}
	h.lib_version = VM_VERSION_HEX;
	h.host_id = machine_host_id(vm->machine);
	h.vcpus = vm->cfg.vcpus;
	h.mem_mib = vm->cfg.mem_mib;
	h.flags = ((vm->cfg.flags & VM_CONFIG_F_PIT) ? SNAP_F_PIT : 0) |
		  ((vm->cfg.flags & VM_CONFIG_F_NO_IRQCHIP) ? SNAP_F_NO_IRQCHIP : 0);
	snap_w_init_fd(&w, out, &h);
	rc = snap_devices_save(vm, &w, errp);
	if (rc == 0)
		rc = machine_save(vm->machine, &w, 1, errp);
	if (rc == 0) {
		rc = snap_w_finish(&w);
		if (rc < 0)
			rc = verr_set_errno(errp, rc, "vm_snapshot: write");
	}
	snap_w_fini(&w);
	pthread_mutex_unlock(&vm->pause_lock);
	if (path) {
		if (close(out) < 0 && rc == 0)
			rc = verr_set_errno(errp, -errno, "vm_snapshot: close '%s'",
					    path);
		if (rc < 0)
			unlink(path);
	}
	return rc;
}

/* Map @path or @fd and index it. */
static int restore_open(const char *path, int fd, struct vm_restore_src **out,
			struct vm_error **errp)
{
	struct vm_restore_src *s;
	struct stat st;
	int rc, in = fd;

	*out = NULL;
	if (path) {
		in = open(path, O_RDONLY | O_CLOEXEC);
		if (in < 0)
			return verr_set_errno(errp, -errno,
					      "vm_restore: cannot open '%s'", path);
	}
	rc = fstat(in, &st) < 0 ? -errno : 0;
	if (rc == 0 && (!S_ISREG(st.st_mode) || st.st_size <= 0))
		rc = verr_set(errp, -EINVAL,
			      "vm_restore: the snapshot must be a non-empty regular file");
	else if (rc < 0)
		rc = verr_set_errno(errp, rc, "vm_restore: fstat");
	s = rc == 0 ? calloc(1, sizeof(*s)) : NULL;
	if (rc == 0 && !s)
		rc = verr_set(errp, -ENOMEM, "vm_restore: out of memory");
	if (rc == 0) {
		s->cow_fd = -1;
		s->len = (size_t)st.st_size;
		s->map = mmap(NULL, s->len, PROT_READ, MAP_PRIVATE, in, 0);
		if (s->map == MAP_FAILED) {
			s->map = NULL;
			rc = verr_set_errno(errp, -errno, "vm_restore: mmap");
		}
	}
	if (path)
		close(in);
	if (rc == 0)
		rc = snap_index_build(&s->ix, s->map, s->len, errp);
	if (rc < 0) {
		vm_restore_src_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int vm_restore(const struct vm_config *cfg, const char *path, int fd,
	       struct vm **vmp, struct vm_error **errp)
{
	struct vm_config c = VM_CONFIG_INIT;
	struct vm_restore_src *s;
	const struct snap_hdr *h;
	int rc;

	if (!vmp)
		return verr_set(errp, -EINVAL, "vm_restore: NULL vmp");
	*vmp = NULL;
	if ((path == NULL) == (fd < 0))
		return verr_set(errp, -EINVAL,
				"vm_restore: give either a path or an fd");
	if (!cfg || cfg->size < offsetof(struct vm_config, flags) + sizeof(uint32_t))
		return verr_set(errp, -EINVAL,
				"vm_restore: config missing or too small (start from VM_CONFIG_INIT)");
	rc = restore_open(path, fd, &s, errp);
	if (rc < 0)
		return rc;
	h = &s->ix.hdr;
	if (h->lib_version >> 8 > VM_VERSION_HEX >> 8 || h->vcpus == 0 ||
	    h->mem_mib == 0 || (h->flags & ~(SNAP_F_PIT | SNAP_F_NO_IRQCHIP))) {
		rc = verr_set(errp, -ENOTSUP,
			      "vm_restore: snapshot written by libkvm-virtio %u.%u.%u (this is %s) or with settings it does not know",
			      h->lib_version >> 16, (h->lib_version >> 8) & 0xff,
			      h->lib_version & 0xff, vm_version_string());
		vm_restore_src_free(s);
		return rc;
	}
	memcpy(&c, cfg, MIN(cfg->size, sizeof(c)));
	c.size = sizeof(c);
	c.vcpus = h->vcpus;
	c.mem_mib = h->mem_mib;
	c.kernel = c.initrd = c.cmdline = NULL;
	c.flags &= ~(VM_CONFIG_F_PIT | VM_CONFIG_F_NO_IRQCHIP);
	c.flags |= ((h->flags & SNAP_F_PIT) ? VM_CONFIG_F_PIT : 0) |
		   ((h->flags & SNAP_F_NO_IRQCHIP) ? VM_CONFIG_F_NO_IRQCHIP : 0);
	rc = vm_create(&c, vmp, errp);
	if (rc < 0) {
		vm_restore_src_free(s);
		return rc;
	}
	(*vmp)->restore = s;
	rc = snap_devices_add(*vmp, &s->ix, errp);
	if (rc < 0) {
		vm_destroy(*vmp);
		*vmp = NULL;
	}
	return rc;
}
