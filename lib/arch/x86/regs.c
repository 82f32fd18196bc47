/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/regs.c: power-on register state of a vCPU entered in long
 * mode (Linux 64-bit boot protocol, and the project's test guests).
 *
 * Threads: API thread, before the vCPUs run. Locking: none.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "../../kvm/hv.h"
#include "cpu.h"

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MISC_ENABLE_FAST_STRING 1ull

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

static void flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type,
		     int code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code64 ? 1 : 0;
	s->db = code64 ? 0 : 1;
}

int x86_vcpu_set_long_mode(int fd, const struct x86_boot *b,
			   struct vm_error **errp)
{
	struct kvm_sregs sr;
	struct kvm_regs r;
	int e;

	e = hv_ioctl(fd, KVM_GET_SREGS, &sr);
	if (e < 0)
		return verr_set_errno(errp, e, "KVM_GET_SREGS");
	flat_seg(&sr.cs, X86_BOOT_CS, 0xb, 1); /* execute/read, accessed */
	flat_seg(&sr.ds, X86_BOOT_DS, 0x3, 0); /* read/write, accessed */
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = b->gdt_base;
	sr.gdt.limit = b->gdt_limit;
	sr.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG;
	sr.cr3 = b->cr3;
	sr.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	sr.efer = EFER_LME | EFER_LMA;
	e = hv_ioctl(fd, KVM_SET_SREGS, &sr);
	if (e < 0)
		return verr_set_errno(errp, e, "KVM_SET_SREGS (long mode)");

	memset(&r, 0, sizeof(r));
	r.rflags = 0x2;
	r.rip = b->entry;
	r.rsi = b->boot_params;
	e = hv_ioctl(fd, KVM_SET_REGS, &r);
	if (e < 0)
		return verr_set_errno(errp, e, "KVM_SET_REGS");
	return 0;
}

int x86_vcpu_set_fpu_msrs(int fd, struct vm_error **errp)
{
	static const uint32_t zero_msrs[] = {
		MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
		MSR_IA32_SYSENTER_EIP, MSR_STAR, MSR_LSTAR, MSR_CSTAR,
		MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
	};
	/* struct kvm_msrs ends in a flexible array: lay it out by hand. */
	union {
		struct kvm_msrs hdr;
		uint8_t raw[sizeof(struct kvm_msrs) +
			    (ARRAY_SIZE(zero_msrs) + 1) *
				    sizeof(struct kvm_msr_entry)];
	} m;
	struct kvm_msr_entry *me;
	struct kvm_fpu fpu;
	unsigned i;
	int r;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;    /* x87 reset value: all exceptions masked */
	fpu.mxcsr = 0x1f80; /* SSE reset value */
	r = hv_ioctl(fd, KVM_SET_FPU, &fpu);
	if (r < 0)
		return verr_set_errno(errp, r, "KVM_SET_FPU");

	memset(&m, 0, sizeof(m));
	me = m.hdr.entries;
	for (i = 0; i < ARRAY_SIZE(zero_msrs); i++)
		me[i].index = zero_msrs[i];
	me[i].index = MSR_IA32_MISC_ENABLE;
	me[i].data = MISC_ENABLE_FAST_STRING;
	m.hdr.nmsrs = i + 1;
	r = hv_ioctl(fd, KVM_SET_MSRS, &m);
	if (r < 0)
		return verr_set_errno(errp, r, "KVM_SET_MSRS");
	/* r < nmsrs: KVM refused one (e.g. MISC_ENABLE on some hosts);
	 * these are conveniences, not requirements. */
	return 0;
}

static void lapic_set_lvt(struct kvm_lapic_state *l, unsigned reg,
			  unsigned mode)
{
	uint32_t v;

	memcpy(&v, &l->regs[reg], sizeof(v));
	v = (v & ~0x10700u) | (mode << 8); /* delivery mode, unmasked */
	memcpy(&l->regs[reg], &v, sizeof(v));
}

int x86_vcpu_set_lint(int fd, int bsp, struct vm_error **errp)
{
	struct kvm_lapic_state l;
	int r;

	r = hv_ioctl(fd, KVM_GET_LAPIC, &l);
	if (r < 0)
		return verr_set_errno(errp, r, "KVM_GET_LAPIC");
	if (bsp)
		lapic_set_lvt(&l, APIC_LVT0, APIC_MODE_EXTINT);
	lapic_set_lvt(&l, APIC_LVT1, APIC_MODE_NMI);
	r = hv_ioctl(fd, KVM_SET_LAPIC, &l);
	if (r < 0)
		return verr_set_errno(errp, r, "KVM_SET_LAPIC");
	return 0;
}

int x86_vcpu_set_runnable(int fd, struct vm_error **errp)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	int r = hv_ioctl(fd, KVM_SET_MP_STATE, &mp);

	if (r < 0)
		return verr_set_errno(errp, r, "KVM_SET_MP_STATE runnable");
	return 0;
}
