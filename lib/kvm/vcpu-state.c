/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/vcpu-state.c: one vCPU's KVM state to and from snapshot records
 * (lib/snapshot/format.h), instance = vCPU index:
 *   "VREG" kvm_regs        "VXSV" kvm_xsave (or "VFPU" kvm_fpu without
 *   "VXCR" kvm_xcrs                 KVM_CAP_XSAVE)
 *   "VSRG" kvm_sregs       "VMSR" u32 count, then (u32 index, u64 value)
 *   "VMPS" kvm_mp_state            for every MSR KVM lists that reads
 *   "VLAP" kvm_lapic_state "VEVT" kvm_vcpu_events  "VDBG" kvm_debugregs
 * Each record is the kernel's struct as KVM_GET_* fills it (x86 ABI, fixed
 * size; the size is checked on load). The LAPIC record exists only with
 * the in-kernel irqchip. Restore sets them in the order QEMU uses
 * (kvm_arch_put_registers): registers, XSAVE, XCRs, sregs, MSRs, MP state,
 * LAPIC, the TSC-deadline MSR again (it needs the LAPIC's timer mode),
 * events, debug registers. The MSRs carry kvmclock's (MSR_KVM_SYSTEM_TIME,
 * WALL_CLOCK, ...) and the TSC, the TSC as it was when the vCPUs paused
 * (hv_time_freeze(): the TSC keeps counting while they are parked).
 *
 * Threads: the API thread, on a vCPU that does not run (paused, or not
 * started yet); hv_time_freeze()/thaw() on the thread pausing/resuming.
 * Locking: none (the VM's pause lock serializes pause, save, resume).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "../snapshot/format.h"
#include "hv.h"
#include "vcpu.h"

#define VSTATE_VERSION 1
#define MSR_TSC 0x10
#define MSR_TSC_DEADLINE 0x6e0
/* Hyper-V's partition reference counter: KVM lists it and a host read
 * gives the KVM clock / 100 ns, advancing while the vCPUs are paused;
 * read-only (a host write is ignored), so not saved: a snapshot of a
 * pause stays the same bytes. */
#define MSR_HV_TIME_REF_COUNT 0x40000020

struct vstate {
	uint32_t tag;
	unsigned long get, set;
	size_t size;
	const char *name;
	int optional; /* KVM may refuse it (no irqchip: no LAPIC) */
};

#define T(a, b, c, d) SNAP_TAG(a, b, c, d)
static const struct vstate vs_regs = { T('V', 'R', 'E', 'G'), KVM_GET_REGS,
	KVM_SET_REGS, sizeof(struct kvm_regs), "registers", 0 };
static const struct vstate vs_xsave = { T('V', 'X', 'S', 'V'), KVM_GET_XSAVE,
	KVM_SET_XSAVE, sizeof(struct kvm_xsave), "XSAVE", 0 };
static const struct vstate vs_fpu = { T('V', 'F', 'P', 'U'), KVM_GET_FPU,
	KVM_SET_FPU, sizeof(struct kvm_fpu), "FPU", 0 };
static const struct vstate vs_xcrs = { T('V', 'X', 'C', 'R'), KVM_GET_XCRS,
	KVM_SET_XCRS, sizeof(struct kvm_xcrs), "XCRs", 1 };
static const struct vstate vs_sregs = { T('V', 'S', 'R', 'G'), KVM_GET_SREGS,
	KVM_SET_SREGS, sizeof(struct kvm_sregs), "sregs", 0 };
static const struct vstate vs_mp = { T('V', 'M', 'P', 'S'),
	KVM_GET_MP_STATE, KVM_SET_MP_STATE, sizeof(struct kvm_mp_state),
	"MP state", 0 };
static const struct vstate vs_lapic = { T('V', 'L', 'A', 'P'), KVM_GET_LAPIC,
	KVM_SET_LAPIC, sizeof(struct kvm_lapic_state), "LAPIC", 1 };
static const struct vstate vs_events = { T('V', 'E', 'V', 'T'),
	KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS,
	sizeof(struct kvm_vcpu_events), "vCPU events", 0 };
static const struct vstate vs_debug = { T('V', 'D', 'B', 'G'),
	KVM_GET_DEBUGREGS, KVM_SET_DEBUGREGS, sizeof(struct kvm_debugregs),
	"debug registers", 1 };
#define TAG_MSRS SNAP_TAG('V', 'M', 'S', 'R')
#undef T

static int has_cap(struct hv_vcpu *v, long cap)
{
	return hv_ioctl(v->set->hv->kvm_fd, KVM_CHECK_EXTENSION,
			(void *)cap) > 0;
}

static int vs_save(struct hv_vcpu *v, const struct vstate *d,
		   struct snap_w *w, struct vm_error **errp)
{
	uint8_t buf[sizeof(struct kvm_xsave)]; /* the largest of them */
	int r = hv_ioctl(v->fd, d->get, buf);

	if (r < 0 && d->optional)
		return 0;
	if (r < 0)
		return verr_set_errno(errp, r, "vCPU %u: cannot read its %s",
				      v->index, d->name);
	snap_w_record(w, d->tag, VSTATE_VERSION, (uint16_t)v->index, buf,
		      d->size);
	return 0;
}

static int vs_load(struct hv_vcpu *v, const struct vstate *d,
		   const struct snap_index *ix, struct vm_error **errp)
{
	const struct snap_rec *rec = snap_find(ix, d->tag, (uint16_t)v->index);
	uint8_t buf[sizeof(struct kvm_xsave)];
	int r;

	if (!rec && d->optional)
		return 0;
	if (!rec)
		return verr_set(errp, -EBADMSG,
				"snapshot: vCPU %u: no %s state in the file",
				v->index, d->name);
	r = snap_rec_check(rec, VSTATE_VERSION, d->name, errp);
	if (r < 0)
		return r;
	if (rec->len != d->size)
		return verr_set(errp, -EBADMSG,
				"snapshot: vCPU %u: %s state is %llu bytes, this host's is %zu",
				v->index, d->name, (unsigned long long)rec->len,
				d->size);
	memcpy(buf, rec->data, d->size);
	if (d->tag == vs_events.tag) {
		struct kvm_vcpu_events *e = (void *)buf;

		e->flags |= KVM_VCPUEVENT_VALID_NMI_PENDING |
			    KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	}
	r = hv_ioctl(v->fd, d->set, buf);
	if (r < 0)
		return verr_set_errno(errp, r, "vCPU %u: cannot set its %s",
				      v->index, d->name);
	return 0;
}

/* ---- MSRs ---- */

static int msr_index_list(struct hv_vcpu *v, struct kvm_msr_list **out,
			  struct vm_error **errp)
{
	struct kvm_msr_list probe = { 0 }, *l;
	int r = hv_ioctl(v->set->hv->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe);

	if (r < 0 && r != -E2BIG)
		return verr_set_errno(errp, r, "KVM_GET_MSR_INDEX_LIST");
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(uint32_t));
	if (!l)
		return verr_set(errp, -ENOMEM, "vCPU state: out of memory");
	l->nmsrs = probe.nmsrs;
	r = hv_ioctl(v->set->hv->kvm_fd, KVM_GET_MSR_INDEX_LIST, l);
	if (r < 0) {
		free(l);
		return verr_set_errno(errp, r, "KVM_GET_MSR_INDEX_LIST");
	}
	*out = l;
	return 0;
}

/* KVM_GET/SET_MSRS stop at the first MSR they refuse: go on past it,
 * marking it (index ~0) in @e. Returns how many went through, or -ENOMEM
 * / the ioctl's error. */
static int msr_xfer(int fd, unsigned long req, struct kvm_msr_entry *e,
		    unsigned n)
{
	struct kvm_msrs *t = malloc(sizeof(*t) + (n + 1) * sizeof(*e));
	unsigned done = 0, ok = 0;
	int r = 0;

	if (!t)
		return -ENOMEM;
	while (done < n) {
		t->nmsrs = n - done;
		t->pad = 0;
		memcpy(t->entries, e + done, (n - done) * sizeof(*e));
		r = hv_ioctl(fd, req, t);
		if (r < 0)
			break;
		memcpy(e + done, t->entries, (size_t)r * sizeof(*e));
		ok += (unsigned)r;
		done += (unsigned)r;
		if (done < n)
			e[done++].index = ~0u;
		r = 0;
	}
	free(t);
	return r < 0 ? r : (int)ok;
}

static int msrs_save(struct hv_vcpu *v, struct snap_w *w,
		     struct vm_error **errp)
{
	struct kvm_msr_list *l = NULL;
	struct kvm_msr_entry *e;
	unsigned n, cnt = 0;
	int r = msr_index_list(v, &l, errp);

	if (r < 0)
		return r;
	n = l->nmsrs;
	e = calloc(n + 1, sizeof(*e));
	if (!e) {
		free(l);
		return verr_set(errp, -ENOMEM, "vCPU state: out of memory");
	}
	for (unsigned i = 0, k = 0; i < l->nmsrs; i++)
		if (l->indices[i] != MSR_HV_TIME_REF_COUNT)
			e[k++].index = l->indices[i];
		else
			n--;
	free(l);
	r = msr_xfer(v->fd, KVM_GET_MSRS, e, n);
	if (r < 0) {
		free(e);
		return verr_set_errno(errp, r, "vCPU %u: KVM_GET_MSRS", v->index);
	}
	for (unsigned i = 0; i < n; i++) {
		cnt += e[i].index != ~0u;
		if (e[i].index == MSR_TSC && v->tsc_frozen)
			e[i].data = v->frozen_tsc; /* as it paused */
	}
	snap_w_begin(w, TAG_MSRS, VSTATE_VERSION, (uint16_t)v->index);
	snap_put_u32(w, cnt);
	for (unsigned i = 0; i < n; i++) {
		if (e[i].index == ~0u)
			continue;
		snap_put_u32(w, e[i].index);
		snap_put_u64(w, e[i].data);
	}
	snap_w_end(w);
	free(e);
	return 0;
}

/* All MSRs of the record (@only_deadline: just IA32_TSC_DEADLINE). An MSR
 * this KVM refuses is skipped (logged): the host-id check of the header
 * is what keeps snapshots on hosts that take them. */
static int msrs_load(struct hv_vcpu *v, const struct snap_index *ix,
		     int only_deadline, struct vm_error **errp)
{
	const struct snap_rec *rec;
	struct kvm_msr_entry *e;
	struct snap_cur c;
	uint32_t cnt;
	unsigned n = 0;
	int r = snap_need(ix, TAG_MSRS, (uint16_t)v->index, "MSR", &rec, errp);

	if (r < 0)
		return r;
	r = snap_rec_check(rec, VSTATE_VERSION, "MSR", errp);
	if (r < 0)
		return r;
	snap_cur_init(&c, rec);
	cnt = snap_get_u32(&c);
	if (rec->len < 4 || (uint64_t)cnt * 12 != rec->len - 4 || cnt > 65536)
		return verr_set(errp, -EBADMSG,
				"snapshot: vCPU %u: MSR record of %llu bytes does not hold %u MSRs",
				v->index, (unsigned long long)rec->len, cnt);
	e = calloc(cnt + 1, sizeof(*e));
	if (!e)
		return verr_set(errp, -ENOMEM, "vCPU state: out of memory");
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t idx = snap_get_u32(&c);
		uint64_t val = snap_get_u64(&c);

		if (only_deadline && idx != MSR_TSC_DEADLINE)
			continue;
		e[n].index = idx;
		e[n].data = val;
		n++;
	}
	r = msr_xfer(v->fd, KVM_SET_MSRS, e, n);
	free(e);
	if (r < 0)
		return verr_set_errno(errp, r, "vCPU %u: KVM_SET_MSRS", v->index);
	if ((unsigned)r < n)
		vlog_dbg(v->set->log, v->name,
			 "restore: KVM took %d of %u MSRs", r, n);
	return 0;
}

/* ---- time at a pause ---- */

void hv_time_freeze(struct hv_vcpus *s)
{
	struct kvm_clock_data clk;

	memset(&clk, 0, sizeof(clk));
	s->hv->time_frozen = hv_ioctl(s->hv->vm_fd, KVM_GET_CLOCK, &clk) == 0;
	s->hv->frozen_clock = clk.clock;
	for (uint32_t i = 0; i < s->nr; i++) {
		struct kvm_msr_entry e = { .index = MSR_TSC };
		struct hv_vcpu *v = &s->v[i];

		v->tsc_frozen = msr_xfer(v->fd, KVM_GET_MSRS, &e, 1) == 1;
		v->frozen_tsc = e.data;
	}
}

void hv_time_thaw(struct hv_vcpus *s)
{
	s->hv->time_frozen = 0;
	for (uint32_t i = 0; i < s->nr; i++)
		s->v[i].tsc_frozen = 0;
}

/* ---- the vCPU ---- */

int hv_vcpu_save(struct hv_vcpu *v, struct snap_w *w, struct vm_error **errp)
{
	int r = vs_save(v, &vs_regs, w, errp);

	if (r == 0)
		r = vs_save(v, has_cap(v, KVM_CAP_XSAVE) ? &vs_xsave : &vs_fpu,
			    w, errp);
	if (r == 0 && has_cap(v, KVM_CAP_XCRS))
		r = vs_save(v, &vs_xcrs, w, errp);
	if (r == 0)
		r = vs_save(v, &vs_sregs, w, errp);
	if (r == 0)
		r = msrs_save(v, w, errp);
	if (r == 0)
		r = vs_save(v, &vs_mp, w, errp);
	if (r == 0)
		r = vs_save(v, &vs_lapic, w, errp);
	if (r == 0)
		r = vs_save(v, &vs_events, w, errp);
	if (r == 0)
		r = vs_save(v, &vs_debug, w, errp);
	return r;
}

int hv_vcpu_load(struct hv_vcpu *v, const struct snap_index *ix,
		 struct vm_error **errp)
{
	int r = vs_load(v, &vs_regs, ix, errp);

	if (r == 0)
		r = vs_load(v, snap_find(ix, vs_xsave.tag, (uint16_t)v->index) ?
				       &vs_xsave : &vs_fpu, ix, errp);
	if (r == 0)
		r = vs_load(v, &vs_xcrs, ix, errp);
	if (r == 0)
		r = vs_load(v, &vs_sregs, ix, errp);
	if (r == 0)
		r = msrs_load(v, ix, 0, errp);
	if (r == 0)
		r = vs_load(v, &vs_mp, ix, errp);
	if (r == 0)
		r = vs_load(v, &vs_lapic, ix, errp);
	if (r == 0)
		r = msrs_load(v, ix, 1, errp);
	if (r == 0)
		r = vs_load(v, &vs_events, ix, errp);
	if (r == 0)
		r = vs_load(v, &vs_debug, ix, errp);
	return r;
}
