/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-cpuid.c: the per-vCPU CPUID table built from a fake
 * KVM_GET_SUPPORTED_CPUID answer (no /dev/kvm needed): hypervisor bit and
 * KVM leaves for Linux's KVM detection, TSC-deadline, topology, and XSAVE
 * hidden on a QEMU TCG host.
 */
#include <asm/kvm_para.h>
#include <check.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/cpu.h"
#include "check-main.h"

#define SIG_KVM_EBX 0x4b4d564bu /* "KVMK" */
#define SIG_KVM_ECX 0x564b4d56u /* "VMKV" */
#define SIG_KVM_EDX 0x0000004du /* "M\0\0\0" */

static const struct kvm_cpuid_entry2 fake[] = {
	{ .function = 0, .eax = 0xd, .ebx = 0x68747541 },
	/* leaf 1 as KVM reports it on an EPYC: XSAVE, x2APIC, no
	 * hypervisor bit, no TSC-deadline (both are the VMM's to set) */
	{ .function = 1, .eax = 0x00800f12, .ebx = 0x00000800,
	  .ecx = 0x76f83203, .edx = 0x078bfbfd },
	{ .function = 0xb, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX },
	{ .function = 0xd, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
	  .eax = 7, .ebx = 0x340, .ecx = 0x340 },
	{ .function = 0xd, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
	  .eax = 5 },
	{ .function = 0xd, .index = 2, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
	  .eax = 0x100, .ebx = 0x240 },
	{ .function = KVM_CPUID_SIGNATURE, .eax = KVM_CPUID_FEATURES,
	  .ebx = SIG_KVM_EBX, .ecx = SIG_KVM_ECX, .edx = SIG_KVM_EDX },
	{ .function = KVM_CPUID_FEATURES,
	  .eax = (1u << KVM_FEATURE_CLOCKSOURCE2) |
		 (1u << KVM_FEATURE_PV_EOI) |
		 (1u << KVM_FEATURE_MSI_EXT_DEST_ID) |
		 (1u << KVM_FEATURE_HC_MAP_GPA_RANGE) |
		 (1u << KVM_FEATURE_MIGRATION_CONTROL) |
		 (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT) },
	{ .function = 0x80000000, .eax = 0x80000008 },
	{ .function = 0x80000008, .eax = 0x3028 },
};

static struct x86_cpuid c;

static void setup(void)
{
	size_t n = sizeof(fake) / sizeof(fake[0]);

	memset(&c, 0, sizeof(c));
	c.supported = calloc(1, sizeof(*c.supported) + sizeof(fake));
	ck_assert_ptr_nonnull(c.supported);
	c.supported->nent = (uint32_t)n;
	memcpy(c.supported->entries, fake, sizeof(fake));
}

static void teardown(void)
{
	x86_cpuid_fini(&c);
}

static const struct kvm_cpuid_entry2 *leaf(const struct kvm_cpuid2 *t,
					   uint32_t fn, uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < t->nent; i++)
		if (t->entries[i].function == fn && t->entries[i].index == idx)
			return &t->entries[i];
	return NULL;
}

START_TEST(test_cpuid_sets_hypervisor_bit_and_keeps_kvm_signature)
{
	struct kvm_cpuid2 *t = x86_cpuid_for_vcpu(&c, 1, 2);
	const struct kvm_cpuid_entry2 *e;

	ck_assert_ptr_nonnull(t);
	e = leaf(t, 1, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->ecx >> 31, 1);        /* hypervisor present */
	ck_assert_uint_eq(e->ebx >> 24, 1);        /* APIC ID = index */
	ck_assert_uint_eq((e->ebx >> 16) & 0xff, 2);
	ck_assert_uint_eq(e->ecx & (1u << 24), 0); /* no TSC-deadline cap */
	e = leaf(t, KVM_CPUID_SIGNATURE, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->eax, KVM_CPUID_FEATURES);
	ck_assert_uint_eq(e->ebx, SIG_KVM_EBX);
	ck_assert_uint_eq(e->ecx, SIG_KVM_ECX);
	ck_assert_uint_eq(e->edx, SIG_KVM_EDX);
	free(t);
}
END_TEST

START_TEST(test_cpuid_drops_kvm_features_needing_the_vmm)
{
	struct kvm_cpuid2 *t = x86_cpuid_for_vcpu(&c, 0, 1);
	const struct kvm_cpuid_entry2 *e = leaf(t, KVM_CPUID_FEATURES, 0);

	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->eax, (1u << KVM_FEATURE_CLOCKSOURCE2) |
					  (1u << KVM_FEATURE_PV_EOI) |
					  (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT));
	free(t);
}
END_TEST

START_TEST(test_cpuid_tsc_deadline_when_kvm_has_it)
{
	struct kvm_cpuid2 *t;

	c.tsc_deadline = 1;
	t = x86_cpuid_for_vcpu(&c, 0, 1);
	ck_assert_uint_eq(leaf(t, 1, 0)->ecx & (1u << 24), 1u << 24);
	free(t);
}
END_TEST

START_TEST(test_cpuid_keeps_kvm_xsave_leaves)
{
	struct kvm_cpuid2 *t = x86_cpuid_for_vcpu(&c, 0, 1);

	ck_assert_uint_eq(leaf(t, 1, 0)->ecx & (1u << 26), 1u << 26);
	ck_assert_uint_eq(leaf(t, 0xd, 0)->eax, 7);
	ck_assert_uint_eq(leaf(t, 0xd, 0)->ebx, 0x340);
	ck_assert_uint_eq(leaf(t, 0xd, 2)->eax, 0x100);
	ck_assert_uint_eq(leaf(t, 0xd, 2)->ebx, 0x240);
	free(t);
}
END_TEST

START_TEST(test_cpuid_hides_xsave_on_tcg_host)
{
	struct kvm_cpuid2 *t;
	uint32_t i;

	c.hide_xsave = 1;
	t = x86_cpuid_for_vcpu(&c, 0, 1);
	ck_assert_uint_eq(leaf(t, 1, 0)->ecx & (1u << 26), 0);
	ck_assert_uint_eq(leaf(t, 1, 0)->ecx >> 31, 1);
	for (i = 0; i < t->nent; i++)
		if (t->entries[i].function == 0xd) {
			ck_assert_uint_eq(t->entries[i].eax, 0);
			ck_assert_uint_eq(t->entries[i].ebx, 0);
			ck_assert_uint_eq(t->entries[i].ecx, 0);
			ck_assert_uint_eq(t->entries[i].edx, 0);
		}
	free(t);
}
END_TEST

START_TEST(test_cpuid_topology_leaf_b_per_vcpu)
{
	struct kvm_cpuid2 *t = x86_cpuid_for_vcpu(&c, 2, 4);
	const struct kvm_cpuid_entry2 *e;

	e = leaf(t, 0xb, 1); /* core level */
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->ebx, 4);
	ck_assert_uint_eq(e->edx, 2);
	ck_assert_uint_eq(e->eax, 2); /* bits to number 4 CPUs */
	ck_assert_uint_eq(leaf(t, 0x80000008, 0)->ecx & 0xff, 3);
	free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cpuid");
	TCase *tc = tcase_create("cpuid");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cpuid_sets_hypervisor_bit_and_keeps_kvm_signature);
	tcase_add_test(tc, test_cpuid_drops_kvm_features_needing_the_vmm);
	tcase_add_test(tc, test_cpuid_tsc_deadline_when_kvm_has_it);
	tcase_add_test(tc, test_cpuid_keeps_kvm_xsave_leaves);
	tcase_add_test(tc, test_cpuid_hides_xsave_on_tcg_host);
	tcase_add_test(tc, test_cpuid_topology_leaf_b_per_vcpu);
	suite_add_tcase(s, tc);
	return check_run(s);
}
