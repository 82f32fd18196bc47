/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/shell.h: KVM VMs made before they are asked for (vm_prewarm()).
 *
 * A shell is a KVM VM fd whose VM-wide set-up that does not depend on
 * guest RAM is done (on x86: identity map and TSS, irqchip, PIT when the
 * shape has one) and whose vCPU fds exist; what a shell does not have is
 * a memory slot, a boot image or any vCPU state. machine_realize() takes
 * one of the right shape instead of creating its VM, adds the slots and
 * goes on as for a fresh VM. The pool keeps HV_SHELLS_MAX shells at most,
 * of one shape: the latest hv_shells_set() call's.
 *
 * A shell is handed out only once it is HV_SHELL_AGE_MS old: on the 6.18
 * PVM host a memory slot added within ~15 ms of KVM_CREATE_IRQCHIP waits
 * for the irqchip's grace period (5-7 ms measured), one added later takes
 * ~0.1 ms (tmp probe in bench/README.md, "prewarm"). A younger shell is
 * left in the pool and the VM is created as without one.
 *
 * Threads: any thread calls hv_shells_set()/hv_shell_take()/
 * hv_shells_refill(); refills run as release jobs (lib/kvm/release.c) on
 * release threads. Locking:
 * shells.lock (shell.c) guards the pool's list, shape, target and count;
 * KVM calls are made without it.
 */
#ifndef LIB_KVM_SHELL_H
#define LIB_KVM_SHELL_H

#include <stdint.h>

#include "../core/error.h"

#define HV_SHELLS_MAX 64u
#define HV_SHELL_AGE_MS 30u

/* What a shell must match: the VM-wide set-up made in advance. */
struct hv_shape {
	uint32_t vcpus;
	uint8_t irqchip;
	uint8_t pit;
};

struct hv_shell {
	struct hv_shell *next;   /* pool link, owned by the pool */
	struct hv_shape shape;
	int kvm_fd, vm_fd;       /* owned by the shell until taken */
	int *vcpu_fd;            /* shape.vcpus fds, ids 0..vcpus-1 */
	uint64_t made_ns;        /* CLOCK_MONOTONIC when made */
};

/* The architecture's VM-wide set-up of a shell on @vm_fd (@kvm_fd open):
 * everything before the memory slots, the irqchip and PIT included. */
typedef int (*hv_shell_build_fn)(int kvm_fd, int vm_fd,
				 const struct hv_shape *shape,
				 struct vm_error **errp);

/* Keep @count shells of @shape (0: none; every shell of another shape is
 * dropped). The missing ones are made now, on the calling thread, with
 * @build. Returns the number of shells of @shape ready, or a negative
 * errno (those made before the failure stay). */
int hv_shells_set(const struct hv_shape *shape, unsigned count,
		  hv_shell_build_fn build, struct vm_error **errp);

/* A shell of @shape at least HV_SHELL_AGE_MS old, or NULL. The caller
 * owns it (hv_shell_free() or hv_open_shell()). */
struct hv_shell *hv_shell_take(const struct hv_shape *shape);

/* Queue release jobs that make the shells missing from the target
 * (machine_start(), once the taker's vCPUs run: a refill on a release
 * thread then does not compete with the start it replaces). */
void hv_shells_refill(void);

/* Close what @sh still owns (fds set to -1 are skipped) and free it. */
void hv_shell_free(struct hv_shell *sh);

/* Library destructor: drop every shell (after the release queue is
 * empty, so no refill runs). */
void hv_shells_fini(void);

#endif
