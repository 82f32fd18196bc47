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

#define MSR_IA32_MISC_ENABLE 0x1a0
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
	/* struct kvm_msrs ends in a flexible array: lay it out by hand.
	 * Only what differs from KVM's vCPU reset state is sent: a new vCPU
	 * already has FCW 0x37f and MXCSR 0x1f80 (its guest FPU state is
	 * initialised as the kernel's init_fpstate: fpstate_init_fx()) and
	 * zero SYSENTER_CS/ESP/EIP, STAR, LSTAR, CSTAR, SFMASK and
	 * KERNEL_GS_BASE, so KVM_SET_FPU and zeroing those MSRs were two
	 * ioctls and a larger KVM_SET_MSRS for nothing (each costs, nested). */
	union {
		struct kvm_msrs hdr;
		uint8_t raw[sizeof(struct kvm_msrs) +
			    1 * sizeof(struct kvm_msr_entry)];
	} m;
	int r;

	memset(&m, 0, sizeof(m));
	m.hdr.entries[0].index = MSR_IA32_MISC_ENABLE;
	m.hdr.entries[0].data = MISC_ENABLE_FAST_STRING;
	m.hdr.nmsrs = 1;
	r = hv_ioctl(fd, KVM_SET_MSRS, &m);
	if (r < 0)
		return verr_set_errno(errp, r, "KVM_SET_MSRS");
	/* r == 0: KVM refused it (e.g. MISC_ENABLE on some hosts); a
	 * convenience, not a requirement. */
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
