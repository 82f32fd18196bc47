/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/cpu.h: what an x86 vCPU looks like at power-on: CPUID
 * (cpuid.c), registers, MSRs, FPU and LAPIC LINT pins (regs.c).
 *
 * Topology: every vCPU is one core of a single package, one thread per
 * core; the APIC ID of vCPU i is i. The guest sees the hypervisor bit and
 * KVM's own leaves 0x4000_00xx (kvmclock, PV features); see cpuid.c.
 *
 * Threads: API thread, before the vCPUs run. Locking: none.
 */
#ifndef LIB_ARCH_X86_CPU_H
#define LIB_ARCH_X86_CPU_H

#include <stdint.h>

#include "../../core/error.h"
#include "boot.h"

struct kvm_cpuid2;

struct x86_cpuid {
	struct kvm_cpuid2 *supported;  /* KVM_GET_SUPPORTED_CPUID, malloc'd */
	int tsc_deadline;              /* KVM_CAP_TSC_DEADLINE_TIMER */
	int hide_xsave;                /* we run on QEMU TCG (cpuid.c) */
};

int __must_check x86_cpuid_init(struct x86_cpuid *c, int kvm_fd,
				struct vm_error **errp);
void x86_cpuid_fini(struct x86_cpuid *c);

/* 1 if the guest may use 1 GiB pages (CPUID 0x8000_0001 EDX.pdpe1gb). */
int x86_cpuid_has_gbpages(const struct x86_cpuid *c);

/* Build vCPU @index's table out of @c (APIC ID, topology for @nr vCPUs)
 * into a new allocation the caller frees. NULL on -ENOMEM. */
struct kvm_cpuid2 *x86_cpuid_for_vcpu(const struct x86_cpuid *c,
				      uint32_t index, uint32_t nr);
/* x86_cpuid_for_vcpu() + KVM_SET_CPUID2. */
int __must_check x86_cpuid_set(const struct x86_cpuid *c, int vcpu_fd,
			       uint32_t index, uint32_t nr,
			       struct vm_error **errp);

/* 64-bit entry as the Linux boot protocol wants it: long mode, paging with
 * @b->cr3, CS = X86_BOOT_CS (64-bit), DS/ES/SS = X86_BOOT_DS, the GDT of
 * @b, RIP = entry, RSI = boot_params, RFLAGS = 2, interrupts off. */
int __must_check x86_vcpu_set_long_mode(int vcpu_fd, const struct x86_boot *b,
					struct vm_error **errp);
/* The MSRs firmware would leave that KVM's reset state lacks
 * (IA32_MISC_ENABLE fast strings). The FPU/SSE reset values (FCW 0x37f,
 * MXCSR 0x1f80) and the zeroed SYSENTER/SYSCALL MSRs are KVM's own
 * vCPU reset state already: nothing is sent for them. */
int __must_check x86_vcpu_set_fpu_msrs(int vcpu_fd, struct vm_error **errp);
/* LINT0 = ExtINT (BSP only: PIC interrupts go to it), LINT1 = NMI. */
int __must_check x86_vcpu_set_lint(int vcpu_fd, int bsp,
				   struct vm_error **errp);
/* KVM_SET_MP_STATE runnable (for APs of test guests, which start at the
 * entry point too instead of waiting for INIT/SIPI). */
int __must_check x86_vcpu_set_runnable(int vcpu_fd, struct vm_error **errp);

#endif
