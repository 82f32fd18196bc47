/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/hv.h: the KVM VM: /dev/kvm, capabilities, the VM fd, memory slots.
 *
 * hv_open() opens /dev/kvm, checks the API version and every capability the
 * library relies on (each missing one is an error naming it), and creates
 * the VM. Architecture code (lib/arch/x86/machine.c) then adds the memory
 * slots, the irqchip, the PIT (if asked; its capability is checked there)
 * and the vCPUs on hv->vm_fd.
 *
 * Threads: opened and closed on the API thread; the fds are read by every
 * thread afterwards. Locking: none, the fields are fixed between hv_open()
 * and hv_close(); memory slots are set before vCPUs run.
 */
#ifndef LIB_KVM_HV_H
#define LIB_KVM_HV_H

#include <stdint.h>

#include "../core/error.h"
#include "mem.h"

#define HV_DEV_KVM "/dev/kvm"

struct hv {
	int kvm_fd;             /* /dev/kvm, -1 when closed */
	int vm_fd;              /* KVM_CREATE_VM, -1 when closed */
	int run_size;           /* KVM_GET_VCPU_MMAP_SIZE */
	uint32_t max_vcpus;     /* KVM_CAP_MAX_VCPUS (or NR_VCPUS) */
	uint32_t max_vcpu_id;   /* KVM_CAP_MAX_VCPU_ID */
	uint32_t max_gsi;       /* KVM_CAP_IRQ_ROUTING: GSIs a route table may use */
	uint32_t nr_slots;      /* memory slots in use */
	int is_pvm;             /* the host KVM is the PVM backend */
	int *shell_vcpu_fd;     /* from a prewarmed shell: vCPU fds made in
				   advance, taken by hv_vcpus_create() (an
				   entry taken is -1); NULL otherwise */
	uint32_t shell_vcpus;   /* entries in shell_vcpu_fd */
	/* The KVM clock when the vCPUs last paused (hv_time_freeze(),
	 * vcpu.h), what hv_vm_save() writes until the resume: set and read
	 * by the thread pausing, saving and resuming the VM (they are
	 * serialized by the VM's pause lock, lib/pause.c). */
	int time_frozen;
	uint64_t frozen_clock;
};

/* Open /dev/kvm (@dev: NULL for HV_DEV_KVM), check capabilities, create
 * the VM. Errors: -ENOENT "cannot open /dev/kvm: ...", -EACCES, -ENOTSUP
 * naming the missing capability or API version. On failure nothing stays
 * open. */
int __must_check hv_open(struct hv *hv, const char *dev,
			 struct vm_error **errp);
void hv_close(struct hv *hv);

/* Like hv_open() on HV_DEV_KVM, with the VM (and its vCPU fds) of the
 * prewarmed shell @sh (shell.h) instead of a new one; @sh is consumed,
 * success or not. */
struct hv_shell;
int __must_check hv_open_shell(struct hv *hv, struct hv_shell *sh,
			       struct vm_error **errp);

/* Register every region of @mem as a memory slot. */
int __must_check hv_map_gmem(struct hv *hv, const struct gmem *mem,
			     struct vm_error **errp);

/* 1 when /sys/module/kvm_pvm exists: the host KVM is the PVM backend, so
 * guests that are not PVM-aware run by instruction emulation. */
int hv_is_pvm(void);

/* ioctl() on a KVM fd that retries EINTR; returns the result or -errno. */
int hv_ioctl(int fd, unsigned long req, void *arg);

/* vm-state.c: the VM's KVM clock, and with @irqchip its PIC/IOAPIC, with
 * @pit its PIT, as snapshot records / back from them (vCPUs paused or not
 * started). */
struct snap_w;
struct snap_index;
int __must_check hv_vm_save(struct hv *hv, int irqchip, int pit,
			    struct snap_w *w, struct vm_error **errp);
int __must_check hv_vm_load(struct hv *hv, int irqchip, int pit,
			    const struct snap_index *ix, struct vm_error **errp);

#endif
