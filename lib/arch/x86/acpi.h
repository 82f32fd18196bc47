/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/acpi.h: the guest's ACPI tables, built in the BIOS area.
 *
 * What the guest gets (ACPI 6.4), all in [X86_ACPI_ADDR, 1 MiB), which the
 * e820 map marks reserved:
 *   RSDP (rev 2) at X86_ACPI_ADDR, 16-byte aligned, so Linux finds it by
 *     scanning 0xe0000..0xfffff; pass its address to x86_boot_load() as
 *     cfg->acpi_rsdp too (boot_params.acpi_rsdp_addr, protocol 2.14+).
 *   XSDT (and an RSDT for old readers) -> FADT, MADT, extra tables.
 *   FADT rev 6, not hardware-reduced: PM1a event block (4 bytes) at
 *     pm_base, PM1a control block (2 bytes) at pm_base + 4, SCI on IRQ 9,
 *     no PM timer, no GPE blocks, no SMI command port (always in ACPI
 *     mode), C2/C3 unsupported, no fixed power/sleep buttons, reset
 *     register = byte 0x06 to I/O port 0xcf9 (RESET_REG_SUP). Boot flags
 *     say "no VGA" and, unless X86_ACPI_F_I8042, "no 8042", so Linux
 *     skips probing them (every exit costs ~0.7 ms nested).
 *   FACS (required when not hardware-reduced), pointed at by
 *     X_FIRMWARE_CTRL only (ACPI 6.4 §5.2.9: FIRMWARE_CTRL must then be 0).
 *   MADT: one Processor Local APIC per vCPU (APIC IDs 0..n-1; x2APIC
 *     entries from ID 255 on), one IOAPIC (ID 0, 0xfec00000, GSI base 0),
 *     override SCI IRQ9 level/active-high, LINT1 = NMI. ISA IRQ0 (the PIT)
 *     is identity-mapped to GSI 0 by default, because KVM's default GSI
 *     routing sends the in-kernel PIT's GSI 0 to IOAPIC pin 0: with a
 *     QEMU-style IRQ0 -> GSI2 override on that routing, Linux's
 *     check_timer() fails ("MP-BIOS bug: 8254 timer not connected to
 *     IO-APIC", seen booting Debian's kernel) and falls back through slow
 *     probes. A machine that routes GSI 0 to IOAPIC pin 2 (as QEMU does)
 *     sets X86_ACPI_F_IRQ0_GSI2 to get the override.
 *   DSDT: Name(\_S5, Package{5, 5, 0, 0}) so Linux's poweroff writes
 *     SLP_TYP=5 | SLP_EN to PM1a_CNT (see acpi-pm.h), then
 *     Scope(\_SB) { cfg->sb_aml }.
 *   With cfg->vmgenid_gpa: the FADT lists a GPE0 block (cfg->gpe0_base,
 *     X86_ACPI_GPE0_LEN bytes) and the DSDT has the VM Generation ID
 *     device and its \_GPE._E00 (vmgenid.h).
 * Extension points (the PCI root bridge PNP0A03 and MCFG of the PCI work):
 * cfg->sb_aml is AML emitted with acpi-aml.h and spliced inside \_SB;
 * cfg->tables are complete tables (header filled with
 * x86_acpi_header_init(), checksum is fixed here) listed in the XSDT.
 *
 * Threads: API thread, before vCPUs run. Locking: none.
 */
#ifndef LIB_ARCH_X86_ACPI_H
#define LIB_ARCH_X86_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "../../core/error.h"
#include "../../kvm/mem.h"

#define X86_ACPI_AREA_END    0x100000ull   /* tables live below 1 MiB */
#define X86_ACPI_PM_BASE     0x600         /* PM1a_EVT; PM1a_CNT at +4 */
#define X86_ACPI_PM1_EVT_LEN 4
#define X86_ACPI_PM1_CNT_OFF 4
#define X86_ACPI_PM1_CNT_LEN 2
#define X86_ACPI_RESET_PORT  0xcf9
#define X86_ACPI_RESET_VALUE 0x06
#define X86_ACPI_SCI_IRQ     9
#define X86_ACPI_SLP_TYP_S5  5             /* \_S5 value, PM1_CNT[12:10] */
#define X86_IOAPIC_ADDR      0xfec00000u
#define X86_LAPIC_ADDR       0xfee00000u
#define X86_ACPI_MAX_VCPUS   1024

/* cfg->flags */
#define X86_ACPI_F_I8042  (1u << 0) /* advertise an 8042 keyboard controller */
#define X86_ACPI_F_NO_RTC (1u << 1) /* say there is no CMOS RTC */
#define X86_ACPI_F_IRQ0_GSI2 (1u << 2) /* MADT override ISA IRQ0 -> GSI 2 */

/* The common table header (ACPI 6.4 §5.2.6). */
struct x86_acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct x86_acpi_blob {
	const void *data;  /* a whole table, header first; borrowed */
	size_t len;
};

struct x86_acpi_config {
	uint32_t vcpus;            /* 1..X86_ACPI_MAX_VCPUS */
	uint16_t pm_base;          /* 0: X86_ACPI_PM_BASE */
	uint8_t sci_irq;           /* 0: X86_ACPI_SCI_IRQ */
	uint32_t flags;            /* X86_ACPI_F_* */
	const uint8_t *sb_aml;     /* AML inside Scope(\_SB), borrowed */
	size_t sb_aml_len;
	const struct x86_acpi_blob *tables; /* extra tables for the XSDT */
	unsigned nr_tables;
	uint64_t vmgenid_gpa;      /* the generation ID's address; 0: none */
	uint16_t gpe0_base;        /* with vmgenid_gpa: the GPE0 block */
};

/* Fill a header with our OEM fields; checksum left 0 for the builder. */
void x86_acpi_header_init(struct x86_acpi_header *h, const char sig[4],
			  uint32_t length, uint8_t revision);

/* Sum of @len bytes, mod 256 (0 for a valid table). */
uint8_t x86_acpi_checksum(const void *p, size_t len);

/* Build every table in [X86_ACPI_ADDR, X86_ACPI_AREA_END) of @mem and
 * return the RSDP's guest-physical address in *rsdp_gpa. Errors: -EINVAL
 * (bad vCPU count, malformed extra table), -ENOSPC (tables do not fit the
 * area), -EFAULT (guest RAM does not cover the area). */
int __must_check x86_acpi_build(struct gmem *mem,
				const struct x86_acpi_config *cfg,
				uint64_t *rsdp_gpa, struct vm_error **errp);

#endif
