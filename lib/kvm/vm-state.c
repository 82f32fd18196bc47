/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/vm-state.c: the KVM VM's own state as snapshot records:
 *   "CLCK" kvm_clock_data (KVM_GET_CLOCK: kvmclock's time base, as it
 *          was when the vCPUs paused (hv_time_freeze(), vcpu.h); restored
 *          as it was, so the guest's monotonic time goes on from the
 *          pause, without the time the VM spent paused or on disk)
 *   "PIC." instance 0/1: kvm_irqchip of the master/slave 8259
 *   "IOAP" kvm_irqchip of the IOAPIC
 *   "PIT2" kvm_pit_state2 (only when the VM has a PIT)
 * Restore: after the irqchip/PIT exist, before the vCPUs' state.
 *
 * Threads: the API thread, with the vCPUs paused or not started.
 * Locking: none.
 */
#include <endian.h>
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "../snapshot/format.h"
#include "hv.h"

#define VMSTATE_VERSION 1
#define TAG_CLOCK SNAP_TAG('C', 'L', 'C', 'K')
#define TAG_PIC SNAP_TAG('P', 'I', 'C', '.')
#define TAG_IOAPIC SNAP_TAG('I', 'O', 'A', 'P')
#define TAG_PIT SNAP_TAG('P', 'I', 'T', '2')

static int chip_save(struct hv *hv, uint32_t id, uint32_t tag, uint16_t inst,
		     struct snap_w *w, struct vm_error **errp)
{
	struct kvm_irqchip c = { .chip_id = id };
	int r = hv_ioctl(hv->vm_fd, KVM_GET_IRQCHIP, &c);

	if (r < 0)
		return verr_set_errno(errp, r, "KVM_GET_IRQCHIP %u", id);
	snap_w_record(w, tag, VMSTATE_VERSION, inst, &c.chip, sizeof(c.chip));
	return 0;
}

/* The record @tag/@inst, checked to be @size bytes of version 1, copied
 * to @dst. */
static int rec_copy(const struct snap_index *ix, uint32_t tag, uint16_t inst,
		    const char *what, void *dst, size_t size,
		    struct vm_error **errp)
{
	const struct snap_rec *rec;
	int r = snap_need(ix, tag, inst, what, &rec, errp);

	if (r == 0)
		r = snap_rec_check(rec, VMSTATE_VERSION, what, errp);
	if (r < 0)
		return r;
	if (rec->len != size)
		return verr_set(errp, -EBADMSG,
				"snapshot: %s state is %llu bytes, this host's is %zu",
				what, (unsigned long long)rec->len, size);
	memcpy(dst, rec->data, size);
	return 0;
}

static int chip_load(struct hv *hv, uint32_t id, uint32_t tag, uint16_t inst,
		     const char *what, const struct snap_index *ix,
		     struct vm_error **errp)
{
	struct kvm_irqchip c = { .chip_id = id };
	int r = rec_copy(ix, tag, inst, what, &c.chip, sizeof(c.chip), errp);

	if (r < 0)
		return r;
	r = hv_ioctl(hv->vm_fd, KVM_SET_IRQCHIP, &c);
	if (r < 0)
		return verr_set_errno(errp, r, "KVM_SET_IRQCHIP (%s)", what);
	return 0;
}

int hv_vm_save(struct hv *hv, int irqchip, int pit, struct snap_w *w,
	       struct vm_error **errp)
{
	struct kvm_clock_data clk;
	int r;

	memset(&clk, 0, sizeof(clk));
	if (hv->time_frozen) /* paused: the clock as it was then */
		clk.clock = hv->frozen_clock;
	else if ((r = hv_ioctl(hv->vm_fd, KVM_GET_CLOCK, &clk)) < 0)
		return verr_set_errno(errp, r, "KVM_GET_CLOCK");
	snap_w_begin(w, TAG_CLOCK, VMSTATE_VERSION, 0);
	snap_put_u64(w, clk.clock);
	snap_w_end(w);
	if (!irqchip)
		return 0;
	r = chip_save(hv, KVM_IRQCHIP_PIC_MASTER, TAG_PIC, 0, w, errp);
	if (r == 0)
		r = chip_save(hv, KVM_IRQCHIP_PIC_SLAVE, TAG_PIC, 1, w, errp);
	if (r == 0)
		r = chip_save(hv, KVM_IRQCHIP_IOAPIC, TAG_IOAPIC, 0, w, errp);
	if (r == 0 && pit) {
		struct kvm_pit_state2 ps;

		memset(&ps, 0, sizeof(ps));
		r = hv_ioctl(hv->vm_fd, KVM_GET_PIT2, &ps);
		if (r < 0)
			return verr_set_errno(errp, r, "KVM_GET_PIT2");
		snap_w_record(w, TAG_PIT, VMSTATE_VERSION, 0, &ps, sizeof(ps));
	}
	return r;
}

int hv_vm_load(struct hv *hv, int irqchip, int pit,
	       const struct snap_index *ix, struct vm_error **errp)
{
	struct kvm_clock_data clk;
	uint64_t ns;
	int r = rec_copy(ix, TAG_CLOCK, 0, "KVM clock", &ns, sizeof(ns), errp);

	if (r < 0)
		return r;
	memset(&clk, 0, sizeof(clk));
	clk.clock = le64toh(ns);
	r = hv_ioctl(hv->vm_fd, KVM_SET_CLOCK, &clk);
	if (r < 0)
		return verr_set_errno(errp, r, "KVM_SET_CLOCK");
	if (!irqchip)
		return 0;
	r = chip_load(hv, KVM_IRQCHIP_PIC_MASTER, TAG_PIC, 0, "PIC (master)",
		      ix, errp);
	if (r == 0)
		r = chip_load(hv, KVM_IRQCHIP_PIC_SLAVE, TAG_PIC, 1,
			      "PIC (slave)", ix, errp);
	if (r == 0)
		r = chip_load(hv, KVM_IRQCHIP_IOAPIC, TAG_IOAPIC, 0, "IOAPIC",
			      ix, errp);
	if (r == 0 && pit) {
		struct kvm_pit_state2 ps;

		r = rec_copy(ix, TAG_PIT, 0, "PIT", &ps, sizeof(ps), errp);
		if (r == 0 && (r = hv_ioctl(hv->vm_fd, KVM_SET_PIT2, &ps)) < 0)
			return verr_set_errno(errp, r, "KVM_SET_PIT2");
	}
	return r;
}
