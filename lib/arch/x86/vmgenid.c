/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/vmgenid.c: the VM Generation ID device's AML, ID and
 * snapshot record (see vmgenid.h).
 *
 * Linux (drivers/virt/vmgenid.c) binds on _HID "VMGENCTR" or
 * "VM_GEN_COUNTER", evaluates ADDR (a package of two integers, low and
 * high 32 bits), maps the 16 bytes there, and on any notification reads
 * them again and calls add_vmfork_randomness() if they changed.
 *
 * Threads: the API thread. Locking: none (the ID is written before the
 * vCPUs run).
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "../../snapshot/format.h"
#include "acpi-aml.h"
#include "vmgenid.h"

#define VGID_TAG SNAP_TAG('V', 'G', 'I', 'D')
#define VGID_SNAP_VERSION 1

void x86_vmgenid_sb_aml(struct aml *a, uint64_t gpa)
{
	size_t dev = aml_device_begin(a, "VGEN"), pkg;

	aml_name(a, "_HID");
	aml_string(a, "VMGENCTR");
	aml_name(a, "_CID");
	aml_string(a, "VM_GEN_COUNTER");
	aml_name(a, "_DDN");
	aml_string(a, "VM_Gen_Counter");
	aml_name(a, "ADDR");
	pkg = aml_package_begin(a, 2);
	aml_integer(a, gpa & 0xffffffffu);
	aml_integer(a, gpa >> 32);
	aml_end(a, pkg);
	aml_end(a, dev);
}

void x86_vmgenid_gpe_aml(struct aml *a)
{
	size_t scope = aml_scope_begin(a, "\\_GPE");
	size_t m = aml_method_begin(a, "_E00", 0, 0);

	_Static_assert(X86_VMGENID_GPE == 0, "the method is _E00");
	aml_notify(a, "\\_SB.VGEN", 0x80);
	aml_end(a, m);
	aml_end(a, scope);
}

int x86_vmgenid_renew(struct gmem *mem, uint64_t gpa, struct vm_error **errp)
{
	uint8_t id[X86_VMGENID_LEN], *p = gmem_ptr(mem, gpa, sizeof(id));
	ssize_t n;

	if (!p)
		return verr_set(errp, -EFAULT,
				"vmgenid: 0x%llx is not guest RAM",
				(unsigned long long)gpa);
	do
		n = getrandom(id, sizeof(id), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(id))
		return verr_set_errno(errp, n < 0 ? -errno : -EIO,
				      "vmgenid: getrandom");
	memcpy(p, id, sizeof(id));
	return 0;
}

void x86_vmgenid_save(uint64_t gpa, struct snap_w *w)
{
	snap_w_begin(w, VGID_TAG, VGID_SNAP_VERSION, 0);
	snap_put_u64(w, gpa);
	snap_w_end(w);
}

int x86_vmgenid_load(const struct snap_rec *rec, struct gmem *mem,
		     uint64_t *gpa, struct vm_error **errp)
{
	struct snap_cur c;
	uint64_t v;
	int rc = snap_rec_check(rec, VGID_SNAP_VERSION, "VM Generation ID",
				errp);

	if (rc < 0)
		return rc;
	snap_cur_init(&c, rec);
	v = snap_get_u64(&c);
	rc = snap_cur_done(&c, rec, "VM Generation ID", errp);
	if (rc < 0)
		return rc;
	if (!gmem_ptr(mem, v, X86_VMGENID_LEN))
		return verr_set(errp, -EBADMSG,
				"snapshot: VM Generation ID at 0x%llx, outside the guest RAM",
				(unsigned long long)v);
	*gpa = v;
	return 0;
}
