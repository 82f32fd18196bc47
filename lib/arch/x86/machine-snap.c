/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/machine-snap.c: the whole x86 machine as snapshot records,
 * in this order: the KVM VM (clock, PIC, IOAPIC, PIT: lib/kvm/vm-state.c),
 * each vCPU (lib/kvm/vcpu-state.c), COM1, the i8042 (since 0.6), RTC,
 * ACPI PM, the VM Generation ID's address if the guest has the device
 * (vmgenid.h), then guest RAM (lib/kvm/mem-state.c). A restore loads them into a machine realized in
 * restore mode (machine_config.restore: no kernel loaded, no boot tables
 * written, vCPUs given only their CPUID) in the same order.
 *
 * The host id in the header is a hash of KVM_GET_SUPPORTED_CPUID: a guest
 * that saw one CPU feature set must not wake up on a host without it.
 *
 * Threads: the API thread; save needs the vCPUs paused, load runs before
 * they start. Locking: the devices' own (their save/load take them).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>

#include "../../kvm/hv.h"
#include "../../kvm/vcpu.h"
#include "../../snapshot/format.h"
#include "acpi-pm.h"
#include "cpu.h"
#include "pc-ports.h"
#include "machine-internal.h"
#include "rtc.h"
#include "uart8250.h"
#include "vmgenid.h"

uint64_t machine_host_id(const struct machine *m)
{
	const struct kvm_cpuid2 *t = m->cpuid.supported;
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (uint32_t i = 0; t && i < t->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &t->entries[i];
		uint32_t v[6] = { e->function, e->index, e->eax, e->ebx, e->ecx,
				  e->edx };

		for (unsigned k = 0; k < 6; k++)
			for (unsigned b = 0; b < 32; b += 8) {
				h ^= (v[k] >> b) & 0xff;
				h *= 0x100000001b3ull;
			}
	}
	return h;
}

int machine_save(struct machine *m, struct snap_w *w, int with_ram,
		 struct vm_error **errp)
{
	int irqchip = !m->cfg.no_irqchip;
	int r;

	if (!m->started || !hv_vcpus_paused(&m->vcpus))
		return verr_set(errp, -EBUSY, "machine: not paused");
	r = hv_vm_save(&m->hv, irqchip, m->cfg.pit, w, errp);
	for (uint32_t i = 0; r == 0 && i < m->vcpus.nr; i++)
		r = hv_vcpu_save(&m->vcpus.v[i], w, errp);
	if (r < 0)
		return r;
	uart8250_save(&m->com1, w);
	i8042_save(&m->kbc, w);
	rtc_save(&m->rtc, w);
	x86_acpi_pm_save(&m->pm, w);
	if (m->vmgenid_gpa)
		x86_vmgenid_save(m->vmgenid_gpa, w);
	if (with_ram)
		gmem_save(&m->mem, w);
	return w->err < 0 ? verr_set_errno(errp, w->err, "snapshot: write") : 0;
}

int machine_load(struct machine *m, const struct snap_index *ix,
		 struct vm_error **errp)
{
	static const uint32_t tag_uart = SNAP_TAG('U', 'A', 'R', 'T'),
			      tag_rtc = SNAP_TAG('R', 'T', 'C', '.'),
			      tag_pm = SNAP_TAG('P', 'M', '1', '.'),
			      tag_vgid = SNAP_TAG('V', 'G', 'I', 'D');
	const struct snap_rec *rec;
	uint64_t id = machine_host_id(m);
	int r;

	if (!m->realized || m->started || !m->cfg.restore)
		return verr_set(errp, -EINVAL,
				"machine: restore into a machine not realized for it");
	if (ix->hdr.host_id != id)
		return verr_set(errp, -EXDEV,
				"snapshot: taken on a host with another CPU feature set (host id %016llx, this host %016llx)",
				(unsigned long long)ix->hdr.host_id,
				(unsigned long long)id);
	r = m->cfg.cow ? 0 : gmem_load(&m->mem, ix, errp);
	if (r == 0)
		r = hv_vm_load(&m->hv, !m->cfg.no_irqchip, m->cfg.pit, ix, errp);
	for (uint32_t i = 0; r == 0 && i < m->vcpus.nr; i++)
		r = hv_vcpu_load(&m->vcpus.v[i], ix, errp);
	if (r == 0 && (r = snap_need(ix, tag_uart, 0, "COM1", &rec, errp)) == 0)
		r = uart8250_load(&m->com1, rec, errp);
	/* optional: 0.5.0 and older did not save the i8042 */
	if (r == 0 && (rec = snap_find(ix, I8042_SNAP_TAG, 0)))
		r = i8042_load(&m->kbc, rec, errp);
	if (r == 0 && (r = snap_need(ix, tag_rtc, 0, "RTC", &rec, errp)) == 0)
		r = rtc_load(&m->rtc, rec, errp);
	if (r == 0 && (r = snap_need(ix, tag_pm, 0, "ACPI PM", &rec, errp)) == 0)
		r = x86_acpi_pm_load(&m->pm, rec, errp);
	/* optional: a guest without the device (0.3, or turned off) */
	if (r == 0 && (rec = snap_find(ix, tag_vgid, 0)))
		r = x86_vmgenid_load(rec, &m->mem, &m->vmgenid_gpa, errp);
	return r;
}
