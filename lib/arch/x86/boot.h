/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/boot.h: put a kernel into guest RAM and say how to enter it.
 *
 * Accepted kernels, recognised by content:
 *   - bzImage (Linux x86 boot protocol >= 2.06): protected-mode code loaded
 *     at its preferred address, entered at the 64-bit entry (+0x200) with
 *     RSI = boot_params;
 *   - ELF64 (vmlinux, or the project's test guests): PT_LOAD segments at
 *     their physical addresses, entered at e_entry in long mode with
 *     RSI = boot_params.
 * Both get: boot_params (zero page) with the e820 map, cmdline and initrd
 * (placed under initrd_addr_max), identity-mapped page tables covering
 * all RAM (low and high) and a GDT with __BOOT_CS 0x10 / __BOOT_DS 0x18.
 *
 * Threads: API thread, before vCPUs run. Locking: none.
 */
#ifndef LIB_ARCH_X86_BOOT_H
#define LIB_ARCH_X86_BOOT_H

#include <stdint.h>

#include "../../core/error.h"
#include "../../kvm/mem.h"

/* Fixed low-memory layout used by the loader (guest-physical). */
#define X86_GDT_ADDR      0x500ull
#define X86_BOOT_PARAMS   0x7000ull
#define X86_CMDLINE_ADDR  0x20000ull
#define X86_CMDLINE_MAX   0x10000ull
#define X86_PML4_ADDR     0x9000ull   /* page tables: 0x9000..0x1ffff */
#define X86_PT_END        0x20000ull
#define X86_EBDA_START    0x9fc00ull  /* RAM from here to 1 MiB is reserved */
#define X86_ACPI_ADDR     0xe0000ull  /* ACPI tables in the BIOS area */
#define X86_KERNEL_DEFAULT 0x1000000ull

#define X86_BOOT_CS 0x10
#define X86_BOOT_DS 0x18
/* The GDT written at X86_GDT_ADDR: null, null, then these two (flat 4 GiB).
 * KVM segment attributes that match them: CS type 0xb, s 1, l 1, db 0,
 * g 1, present 1; DS type 0x3, s 1, db 1, g 1, present 1. */
#define X86_GDT_ENTRY_CODE64 0x00af9b000000ffffull
#define X86_GDT_ENTRY_DATA   0x00cf93000000ffffull
#define X86_GDT_ENTRIES 4

/* Segments of an ELF that is not Linux must stay out of the loader's own
 * low area [0, X86_LOADER_LOW_END) and of [X86_EBDA_START, 1 MiB). */
#define X86_LOADER_LOW_END (X86_CMDLINE_ADDR + X86_CMDLINE_MAX)

struct x86_boot_config {
	const char *kernel;   /* path */
	const char *initrd;   /* path or NULL */
	const char *cmdline;  /* or NULL */
	uint32_t vcpus;       /* for ACPI MADT */
	/* Added for the loader (zero = default): */
	uint64_t acpi_rsdp;   /* boot_params.acpi_rsdp_addr, 0: none (the
			       * kernel then scans 0xe0000..0xfffff) */
	int gbpages;          /* guest CPUID has pdpe1gb: 1 GiB pages may map
			       * RAM the 2 MiB tables cannot reach */
};

struct x86_boot {
	uint64_t entry;         /* RIP */
	uint64_t boot_params;   /* RSI */
	uint64_t cr3;           /* PML4 */
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint64_t kernel_end;    /* first byte past the loaded image */
	int is_linux;           /* bzImage or vmlinux (vs a bare test ELF) */
	/* Added for the loader: */
	uint64_t kernel_start;  /* first byte of the loaded image */
	uint64_t initrd_addr;   /* 0 if none */
	uint64_t initrd_size;
	uint64_t map_end;       /* identity map ends at map_end (holes: above) */
};

/* Load everything into @mem. Errors name the file and the reason: not a
 * kernel, too large for RAM, cmdline longer than the kernel accepts, initrd
 * does not fit below initrd_addr_max, I/O errors.
 *
 * Memory written: GDT at X86_GDT_ADDR, boot_params page at X86_BOOT_PARAMS,
 * page tables in [X86_PML4_ADDR, X86_PT_END), cmdline at X86_CMDLINE_ADDR
 * (a non-empty one: without, cmd_line_ptr is 0 and nothing is written),
 * the kernel, the initrd (highest page-aligned spot under
 * min(initrd_addr_max, end of low RAM) that clears the kernel and the two
 * reserved ranges below). Nothing from the kernel file or the initrd ever
 * lands in [0, X86_LOADER_LOW_END) or in [X86_EBDA_START, 1 MiB), where
 * x86_acpi_build() puts its tables; build those first or after, and pass
 * the RSDP address in cfg->acpi_rsdp.
 *
 * Identity map from 0 to max(4 GiB, end of RAM): 1 GiB pages when
 * cfg->gbpages; else 2 MiB pages for each GiB that holds RAM, GiB 0 and
 * the GiB below 4 GiB (the PCI hole), as far as the fixed area allows (21
 * page directories), a GiB with neither RAM nor the hole left unmapped,
 * and so is everything past the last page directory (Linux only needs its
 * image, boot_params and cmdline mapped; out->map_end says where the map
 * ends). */
int __must_check x86_boot_load(struct gmem *mem,
			       const struct x86_boot_config *cfg,
			       struct x86_boot *out, struct vm_error **errp);

#endif
