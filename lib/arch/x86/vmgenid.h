/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/vmgenid.h: the ACPI VM Generation ID device (Microsoft's
 * "Virtual Machine Generation ID" paper; Linux drivers/virt/vmgenid.c).
 *
 * The guest sees, in the DSDT:
 *   Device (\_SB.VGEN) {
 *     Name (_HID, "VMGENCTR")  Name (_CID, "VM_GEN_COUNTER")
 *     Name (_DDN, "VM_Gen_Counter")
 *     Name (ADDR, Package (2) { low 32 bits, high 32 bits })
 *   }
 *   Scope (\_GPE) { Method (_E00) { Notify (\_SB.VGEN, 0x80) } }
 * ADDR is the guest-physical address of the 16-byte generation ID,
 * X86_VMGENID_ADDR, in the e820-reserved [EBDA, 1 MiB) that nothing else
 * uses there. GPE 0 is bit 0 of the PM block's GPE0 (acpi-pm.h).
 *
 * A fresh VM gets a random ID at realize. A restored VM or a clone gets
 * a new random ID when it starts, and GPE 0 raised: Linux's driver reads
 * the new ID on the notification and reseeds its RNG ("crng reseeded due
 * to virtual machine fork"). The snapshot carries a "VGID" record (the
 * ID's address) when the guest has the device; without it, a restore
 * writes nothing.
 *
 * Threads: the API thread (realize, save, load, start). Locking: none.
 */
#ifndef LIB_ARCH_X86_VMGENID_H
#define LIB_ARCH_X86_VMGENID_H

#include <stdint.h>

#include "../../core/error.h"
#include "../../kvm/mem.h"

#define X86_VMGENID_ADDR 0x9fc00ull /* X86_EBDA_START: reserved, unused */
#define X86_VMGENID_LEN  16
#define X86_VMGENID_GPE  0

struct aml;
struct snap_w;
struct snap_rec;

/* Device (VGEN) for inside Scope (\_SB), and Scope (\_GPE) for the root. */
void x86_vmgenid_sb_aml(struct aml *a, uint64_t gpa);
void x86_vmgenid_gpe_aml(struct aml *a);

/* A new random ID at @gpa of @mem. -EFAULT outside RAM, -EIO if the
 * host has no randomness to give (getrandom). */
int __must_check x86_vmgenid_renew(struct gmem *mem, uint64_t gpa,
				   struct vm_error **errp);

/* Record "VGID" v1: the ID's address (u64). Load refuses an address whose
 * 16 bytes are not in @mem (-EBADMSG) and a short/long/newer record. */
void x86_vmgenid_save(uint64_t gpa, struct snap_w *w);
int __must_check x86_vmgenid_load(const struct snap_rec *rec,
				  struct gmem *mem, uint64_t *gpa,
				  struct vm_error **errp);

#endif
