/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/hv.c: /dev/kvm, capability checks, the VM fd and memory slots.
 *
 * Threads: API thread only (vm_start / vm_destroy), of any number of VMs
 * at once. Locking: probe_lock guards the process-wide probe cache below
 * (probe, probed); pvm_state is an atomic. The struct hv of a VM has none.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdbool.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hv.h"
#include "shell.h"

int hv_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* Whether the backend is PVM does not change while the process lives (a
 * module is not swapped under open VMs): asked once. -1 unknown, 0, 1. */
static int pvm_state = -1;

int hv_is_pvm(void)
{
	int v = __atomic_load_n(&pvm_state, __ATOMIC_RELAXED);

	if (v < 0) {
		v = access("/sys/module/kvm_pvm", F_OK) == 0;
		__atomic_store_n(&pvm_state, v, __ATOMIC_RELAXED);
	}
	return v;
}

static const struct {
	unsigned cap;
	const char *name;
	const char *why;
} hv_required[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", "in-kernel LAPIC/IOAPIC/PIC" },
	{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD", "virtqueue notifications" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD", "device interrupts" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING", "MSI routes (GSI routing)" },
	{ KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI", "MSI delivery" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "stopping vCPUs" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR", "x86 TSS placement" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "CPUID setup" },
	{ KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE", "vCPU start state" },
};

/* What /dev/kvm answers: API version, capabilities, limits. Fills the
 * limits of @hv from its open kvm_fd; an error names what is missing. */
static int hv_probe(struct hv *hv, const char *path, struct vm_error **errp)
{
	unsigned i;
	int r;

	r = hv_ioctl(hv->kvm_fd, KVM_GET_API_VERSION, NULL);
	if (r != KVM_API_VERSION) {
		return verr_set(errp, -ENOTSUP, "%s: KVM API version %d, need %d",
				path, r, KVM_API_VERSION);
	}
	for (i = 0; i < ARRAY_SIZE(hv_required); i++) {
		r = hv_ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION,
			     (void *)(unsigned long)hv_required[i].cap);
		if (r <= 0)
			return verr_set(errp, -ENOTSUP,
					"%s lacks %s (needed for %s)", path,
					hv_required[i].name, hv_required[i].why);
		/* Its value is the number of GSIs: keep it, so that
		 * hv_irq_init() need not ask again (every ioctl counts when
		 * KVM itself runs nested). */
		if (hv_required[i].cap == KVM_CAP_IRQ_ROUTING)
			hv->max_gsi = (uint32_t)r;
	}
	r = hv_ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION,
		     (void *)(unsigned long)KVM_CAP_MAX_VCPUS);
	if (r <= 0)
		r = hv_ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION,
			     (void *)(unsigned long)KVM_CAP_NR_VCPUS);
	if (r <= 0)
		return verr_set(errp, -ENOTSUP,
				"%s reports no KVM_CAP_MAX_VCPUS/KVM_CAP_NR_VCPUS",
				path);
	hv->max_vcpus = (uint32_t)r;
	r = hv_ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION,
		     (void *)(unsigned long)KVM_CAP_MAX_VCPU_ID);
	hv->max_vcpu_id = r > 0 ? (uint32_t)r : hv->max_vcpus;

	r = hv_ioctl(hv->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (r < (int)sizeof(struct kvm_run))
		return verr_set(errp, r < 0 ? r : -ENOTSUP,
				"%s: bad KVM_GET_VCPU_MMAP_SIZE %d", path, r);
	hv->run_size = r;
	return 0;
}

/*
 * The answers of HV_DEV_KVM do not change while the process lives, and
 * asking costs 15 ioctls per VM (with the PVM lookup and the vCPU thread
 * naming itself, bench/churn went from 69 to 49 syscalls per VM): probed
 * on the first successful vm_start and
 * copied into every later VM. Only a success is kept, so a host that
 * lacked /dev/kvm (or a capability) is asked again next time. Another
 * @dev path (tests) is always probed.
 */
static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hv probe;   /* guarded by probe_lock: limits only, no fds */
static bool probed;       /* guarded by probe_lock */

static int hv_probe_cached(struct hv *hv, const char *path,
			   struct vm_error **errp)
{
	bool dflt = strcmp(path, HV_DEV_KVM) == 0;
	int r = 0;

	pthread_mutex_lock(&probe_lock);
	if (dflt && probed) {
		hv->run_size = probe.run_size;
		hv->max_vcpus = probe.max_vcpus;
		hv->max_vcpu_id = probe.max_vcpu_id;
		hv->max_gsi = probe.max_gsi;
	} else {
		r = hv_probe(hv, path, errp);
		if (r == 0 && dflt) {
			probe = *hv;
			probed = true;
		}
	}
	pthread_mutex_unlock(&probe_lock);
	return r;
}

int hv_open(struct hv *hv, const char *dev, struct vm_error **errp)
{
	const char *path = dev ? dev : HV_DEV_KVM;
	int r;

	memset(hv, 0, sizeof(*hv));
	hv->vm_fd = -1;
	hv->is_pvm = hv_is_pvm();
	hv->kvm_fd = open(path, O_RDWR | O_CLOEXEC);
	if (hv->kvm_fd < 0)
		return verr_set_errno(errp, -errno, "cannot open %s", path);
	r = hv_probe_cached(hv, path, errp);
	if (r < 0)
		goto fail;

	r = hv_ioctl(hv->kvm_fd, KVM_CREATE_VM, (void *)0);
	if (r < 0) {
		verr_set_errno(errp, r, "%s: KVM_CREATE_VM failed", path);
		goto fail;
	}
	hv->vm_fd = r;
	/* KVM sets FD_CLOEXEC on the VM fd (anon inode with O_CLOEXEC). */
	return 0;
fail:
	r = errp && *errp ? vm_error_code(*errp) : -ENOTSUP;
	hv_close(hv);
	return r;
}

int hv_open_shell(struct hv *hv, struct hv_shell *sh,
		  struct vm_error **errp)
{
	int r;

	memset(hv, 0, sizeof(*hv));
	hv->is_pvm = hv_is_pvm();
	hv->kvm_fd = sh->kvm_fd;
	hv->vm_fd = sh->vm_fd;
	hv->shell_vcpu_fd = sh->vcpu_fd;
	hv->shell_vcpus = sh->shape.vcpus;
	sh->kvm_fd = sh->vm_fd = -1;
	sh->vcpu_fd = NULL;
	hv_shell_free(sh);
	r = hv_probe_cached(hv, HV_DEV_KVM, errp);
	if (r < 0)
		hv_close(hv);
	return r;
}

void hv_close(struct hv *hv)
{
	for (uint32_t i = 0; hv->shell_vcpu_fd && i < hv->shell_vcpus; i++)
		if (hv->shell_vcpu_fd[i] >= 0)
			close(hv->shell_vcpu_fd[i]);
	free(hv->shell_vcpu_fd);
	hv->shell_vcpu_fd = NULL;
	hv->shell_vcpus = 0;
	if (hv->vm_fd >= 0)
		close(hv->vm_fd);
	if (hv->kvm_fd >= 0)
		close(hv->kvm_fd);
	hv->vm_fd = hv->kvm_fd = -1;
	hv->nr_slots = 0;
}

int hv_map_gmem(struct hv *hv, const struct gmem *mem, struct vm_error **errp)
{
	unsigned i;
	int r;

	for (i = 0; i < mem->nr; i++) {
		struct kvm_userspace_memory_region reg = {
			.slot = hv->nr_slots,
			.guest_phys_addr = mem->r[i].gpa,
			.memory_size = mem->r[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)mem->r[i].hva,
		};

		r = hv_ioctl(hv->vm_fd, KVM_SET_USER_MEMORY_REGION, &reg);
		if (r < 0)
			return verr_set_errno(errp, r,
					      "KVM_SET_USER_MEMORY_REGION slot %u "
					      "(0x%llx+0x%llx)",
					      reg.slot,
					      (unsigned long long)reg.guest_phys_addr,
					      (unsigned long long)reg.memory_size);
		hv->nr_slots++;
	}
	return 0;
}
