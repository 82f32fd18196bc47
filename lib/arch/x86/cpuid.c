/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/cpuid.c: the CPUID table of each vCPU.
 *
 * Starts from KVM_GET_SUPPORTED_CPUID (what KVM can virtualise on this
 * host), as kvmtool and Firecracker do, then:
 * - rewrites what depends on the vCPU: the APIC IDs in leaves 1, 0xb, 0x1f
 *   and 0x8000_001e, and the topology (count of logical CPUs in leaves 1,
 *   4, 0xb, 0x1f, 0x8000_0008);
 * - adds what KVM leaves to the VMM (Documentation/virt/kvm/api.rst,
 *   KVM_GET_SUPPORTED_CPUID): CPUID.1:ECX.hypervisor, without which Linux
 *   ignores the KVM leaves 0x4000_00xx ("Booting paravirtualized kernel on
 *   bare hardware": no kvmclock, so TSC and LAPIC timer calibration
 *   against the PIT, slow and, nested, failing), and TSC-deadline
 *   (KVM_CAP_TSC_DEADLINE_TIMER), which spares the guest its LAPIC timer
 *   calibration. QEMU sets both the same way;
 * - passes the KVM leaves through (signature "KVMKVMKVM", features:
 *   kvmclock, PV EOI/unhalt/IPI/TLB flush, async PF, steal time), minus
 *   the features that need the VMM's help, which we do not give
 *   (cpuid_kvm_features_unsupported);
 * - hides XSAVE when this process runs on QEMU's TCG (see
 *   x86_cpuid_init()).
 *
 * Threads: the API threads of any number of VMs. Locking: the per-VM
 * table is its VM's; the process-wide copy of what KVM supports is
 * guarded by cache_lock (x86_cpuid_init()).
 */
#include <asm/kvm_para.h>
#include <cpuid.h>
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../../kvm/hv.h"
#include "cpu.h"

#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)

/* KVM PV features KVM may report but that work only with the VMM's help:
 * extended MSI destination IDs (a userspace IOAPIC: QEMU's split irqchip),
 * KVM_HC_MAP_GPA_RANGE (KVM_CAP_EXIT_HYPERCALL, for encrypted guests) and
 * MSR_KVM_MIGRATION_CONTROL (userspace MSR handling). QEMU leaves them out
 * too unless it provides them. */
static const uint32_t cpuid_kvm_features_unsupported =
	(1u << KVM_FEATURE_MSI_EXT_DEST_ID) |
	(1u << KVM_FEATURE_HC_MAP_GPA_RANGE) |
	(1u << KVM_FEATURE_MIGRATION_CONTROL);

/*
 * 1 if this process runs on QEMU's TCG, i.e. we are the KVM of an L1
 * under an emulated SVM (tests/system/README.md). TCG's XSETBV does not check the SVM
 * intercept (QEMU target/i386/tcg/fpu_helper.c, helper_xsetbv), so the
 * XCR0 an L2 guest sets never reaches KVM: KVM keeps its own idea of the
 * guest's XCR0, reloads it on every VMRUN and keeps CPUID 0xd.0 EBX at
 * the x87-only size. Linux then warns "XSAVE consistency problem" with a
 * backtrace and falls back to FXSAVE anyway.
 */
static int host_is_qemu_tcg(void)
{
	unsigned a, b, c, d;
	char sig[13];

	__cpuid(1, a, b, c, d);
	if (!(c & CPUID_1_ECX_HYPERVISOR))
		return 0;
	__cpuid(KVM_CPUID_SIGNATURE, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
	return strcmp(sig, "TCGTCGTCGTCG") == 0;
}

/*
 * What KVM supports and what we run on do not change while the process
 * lives, and asking is not cheap: KVM_GET_SUPPORTED_CPUID executes CPUID
 * for every leaf, and where the host itself is a VM each one is an exit
 * (perf, bench/churn on a PVM host: 26% of a VM's start). So it is asked
 * once per process and copied into each VM's table: the one process-wide
 * cache, guarded by cache_lock, filled on first use, kept (reachable)
 * until the process ends.
 */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct x86_cpuid cache;            /* guarded by cache_lock */
static size_t cache_size;                 /* bytes of cache.supported */

static int cpuid_query(struct x86_cpuid *c, size_t *size, int kvm_fd,
		       struct vm_error **errp)
{
	uint32_t n = 64;
	int r;

	memset(c, 0, sizeof(*c));
	c->tsc_deadline = hv_ioctl(kvm_fd, KVM_CHECK_EXTENSION,
				   (void *)(unsigned long)
					   KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	c->hide_xsave = host_is_qemu_tcg();
	for (;;) {
		struct kvm_cpuid2 *t = calloc(1, sizeof(*t) +
						 n * sizeof(t->entries[0]));

		if (!t)
			return verr_set(errp, -ENOMEM, "CPUID: out of memory");
		t->nent = n;
		r = hv_ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, t);
		if (r == 0) {
			c->supported = t;
			*size = sizeof(*t) + t->nent * sizeof(t->entries[0]);
			return 0;
		}
		free(t);
		if (r != -E2BIG || n >= 4096)
			return verr_set_errno(errp, r, "KVM_GET_SUPPORTED_CPUID");
		n *= 2;
	}
}

int x86_cpuid_init(struct x86_cpuid *c, int kvm_fd, struct vm_error **errp)
{
	int r = 0;

	memset(c, 0, sizeof(*c));
	pthread_mutex_lock(&cache_lock);
	if (!cache.supported)
		r = cpuid_query(&cache, &cache_size, kvm_fd, errp);
	if (r == 0) {
		*c = cache;
		c->supported = malloc(cache_size);
		if (c->supported)
			memcpy(c->supported, cache.supported, cache_size);
		else
			r = verr_set(errp, -ENOMEM, "CPUID: out of memory");
	}
	pthread_mutex_unlock(&cache_lock);
	return r;
}

void x86_cpuid_fini(struct x86_cpuid *c)
{
	free(c->supported);
	c->supported = NULL;
}

/* Bits needed to number @n items (0 for 1). */
static uint32_t order_base_2(uint32_t n)
{
	uint32_t b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *t, uint32_t fn,
				     uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < t->nent; i++)
		if (t->entries[i].function == fn &&
		    (!(t->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     t->entries[i].index == idx))
			return &t->entries[i];
	return NULL;
}

/* Replace every subleaf of @fn (0xb or 0x1f) with our two levels. */
static void set_ext_topology(struct kvm_cpuid2 *t, uint32_t fn, uint32_t id,
			     uint32_t nr)
{
	struct kvm_cpuid_entry2 *e;
	uint32_t i, j, sub;

	for (i = 0, j = 0; i < t->nent; i++)
		if (t->entries[i].function != fn)
			t->entries[j++] = t->entries[i];
	t->nent = j;
	for (sub = 0; sub < 3; sub++) {
		e = &t->entries[t->nent++];
		memset(e, 0, sizeof(*e));
		e->function = fn;
		e->index = sub;
		e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		e->edx = id;
		e->ecx = sub;
		if (sub == 0) {        /* SMT level: one thread per core */
			e->eax = 0;
			e->ebx = 1;
			e->ecx |= 1u << 8;
		} else if (sub == 1) { /* core level: all vCPUs */
			e->eax = order_base_2(nr);
			e->ebx = nr;
			e->ecx |= 2u << 8;
		}                      /* sub 2: invalid, ends the list */
	}
}

int x86_cpuid_has_gbpages(const struct x86_cpuid *c)
{
	uint32_t i;

	for (i = 0; c->supported && i < c->supported->nent; i++)
		if (c->supported->entries[i].function == 0x80000001)
			return !!(c->supported->entries[i].edx & (1u << 26));
	return 0;
}

struct kvm_cpuid2 *x86_cpuid_for_vcpu(const struct x86_cpuid *c,
				      uint32_t index, uint32_t nr)
{
	const struct kvm_cpuid2 *s = c->supported;
	struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 *t;
	uint32_t i, max_basic = 0, id = index, has_1f;

	/* Room for the extra subleaves we may add. */
	t = calloc(1, sizeof(*t) + (s->nent + 8) * sizeof(t->entries[0]));
	if (!t)
		return NULL;
	t->nent = s->nent;
	memcpy(t->entries, s->entries, s->nent * sizeof(t->entries[0]));

	if ((e = find(t, 0, 0)))
		max_basic = e->eax;
	if ((e = find(t, 1, 0))) {
		e->ebx = (e->ebx & 0x0000ffffu) | (id << 24) |
			 ((nr > 255 ? 255 : nr) << 16);
		if (nr > 1)
			e->edx |= 1u << 28; /* HTT: EBX[23:16] is valid */
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		if (c->tsc_deadline)
			e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
		if (c->hide_xsave)
			e->ecx &= ~CPUID_1_ECX_XSAVE; /* Linux drops AVX & co */
	}
	if ((e = find(t, KVM_CPUID_FEATURES, 0)))
		e->eax &= ~cpuid_kvm_features_unsupported;
	for (i = 0; c->hide_xsave && i < t->nent; i++)
		if (t->entries[i].function == 0xd) { /* as QEMU's -xsave */
			e = &t->entries[i];
			e->eax = e->ebx = e->ecx = e->edx = 0;
		}
	for (i = 0; i < t->nent; i++) {
		e = &t->entries[i];
		if (e->function == 4 && (e->eax & 0x1f)) {
			uint32_t level = (e->eax >> 5) & 7;
			uint32_t share = level >= 3 ? nr - 1 : 0;

			e->eax = (e->eax & 0x3fffu) | (share << 14) |
				 ((nr - 1) << 26);
		}
	}
	if (max_basic >= 0xb)
		set_ext_topology(t, 0xb, id, nr);
	has_1f = find(t, 0x1f, 0) != NULL;
	if (max_basic >= 0x1f && has_1f)
		set_ext_topology(t, 0x1f, id, nr);
	if ((e = find(t, 0x80000008, 0)))
		e->ecx = (e->ecx & ~0xf0ffu) | (order_base_2(nr) << 12) |
			 (nr - 1);
	if ((e = find(t, 0x8000001e, 0))) {
		e->eax = id;
		e->ebx = id & 0xff; /* core id; threads per core - 1 = 0 */
		e->ecx = 0;         /* node 0 */
	}
	return t;
}

int x86_cpuid_set(const struct x86_cpuid *c, int vcpu_fd, uint32_t index,
		  uint32_t nr, struct vm_error **errp)
{
	struct kvm_cpuid2 *t = x86_cpuid_for_vcpu(c, index, nr);
	int r;

	if (!t)
		return verr_set(errp, -ENOMEM, "CPUID: out of memory");
	r = hv_ioctl(vcpu_fd, KVM_SET_CPUID2, t);
	free(t);
	if (r < 0)
		return verr_set_errno(errp, r, "vCPU %u: KVM_SET_CPUID2", index);
	return 0;
}
