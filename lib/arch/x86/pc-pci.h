/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/pc-pci.h: the PC's PCI bus 0 (lib/pci) and how the ACPI
 * tables describe it.
 *
 * Layout (inside the 3..4 GiB hole that e820.h leaves out of RAM):
 *   0xcf8..0xcff   configuration mechanism #1 (Linux uses it for the first
 *                  256 bytes of every function); byte accesses at 0xcf9
 *                  go to the ACPI reset control register (acpi-pm.h)
 *   X86_PCI_ECAM_BASE, 1 MiB   ECAM for bus 0 (MCFG), reserved by a
 *                  PNP0C02 motherboard resource so Linux trusts it
 *   X86_PCI_MMIO32_BASE..+SIZE  32-bit BAR window (PCI0._CRS)
 *   PCIBUS_X86_IO_BASE..+SIZE   I/O BAR window
 *   00.0 host bridge 8086:29c0 (the q35 MCH's IDs), class 0600.
 * DSDT: \_SB.PCI0 (PNP0A03, bus 0, _CRS with the windows) and \_SB.PRES
 * (PNP0C02 reserving ECAM); an MCFG table with one allocation entry.
 * No _PRT: devices use MSI-X (TODO(#pci-intx): INTx routing).
 *
 * Threads: API thread (machine_new/realize/free). Locking: see pci.h.
 */
#ifndef LIB_ARCH_X86_PC_PCI_H
#define LIB_ARCH_X86_PC_PCI_H

#include "../../pci/pci.h"
#include "acpi-aml.h"
#include "acpi-pm.h"
#include "acpi.h"

#define X86_PCI_ECAM_BASE   0xe0000000ull
#define X86_PCI_MMIO32_BASE 0xc0000000ull
#define X86_PCI_MMIO32_SIZE 0x20000000ull   /* up to the ECAM window */
#define X86_PCI_HOST_VENDOR 0x8086
#define X86_PCI_HOST_DEVICE 0x29c0

struct x86_pc_pci {
	struct pci_bus bus;
	struct aml sb;          /* AML for \_SB, built at init */
	uint8_t mcfg[60];       /* header + reserved + one entry */
	struct x86_acpi_blob mcfg_blob;
	int inited;
};

/* Create bus 0 with its host bridge on @pio/@mmio; 0xcf9 bytes go to @pm. */
int __must_check x86_pc_pci_init(struct x86_pc_pci *p, struct iomap *pio,
				 struct iomap *mmio, struct irq_sink *irq,
				 const struct vlog *log, struct x86_acpi_pm *pm,
				 struct vm_error **errp);
void x86_pc_pci_fini(struct x86_pc_pci *p);
/* Point @ac's sb_aml and tables at the PCI description (borrowed from @p;
 * valid until x86_pc_pci_fini()). -errno if the AML could not be built. */
int __must_check x86_pc_pci_acpi(struct x86_pc_pci *p,
				 struct x86_acpi_config *ac,
				 struct vm_error **errp);

#endif
