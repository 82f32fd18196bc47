/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/e820.h: the BIOS-style memory map handed to the guest in
 * boot_params.
 *
 * Derived from the guest RAM layout only (struct gmem):
 *   [0, 0x9fc00)             RAM       (conventional memory)
 *   [0x9fc00, 1 MiB)         reserved  (EBDA, VGA hole, BIOS area holding
 *                                       our ACPI tables at 0xe0000)
 *   [1 MiB, min(size, 3 GiB)) RAM
 *   [4 GiB, ...)             RAM       (when RAM is larger than 3 GiB)
 * The 3..4 GiB hole is left out of the map, so Linux sees it as a gap it
 * may use for PCI MMIO windows.
 *
 * Threads: API thread. Locking: none.
 */
#ifndef LIB_ARCH_X86_E820_H
#define LIB_ARCH_X86_E820_H

#include <asm/bootparam.h>
#include <stdint.h>

#include "../../core/error.h"
#include "../../kvm/mem.h"

#define X86_E820_RAM      1u
#define X86_E820_RESERVED 2u
#define X86_E820_ACPI     3u

#define X86_LOW_RESERVED_END 0x100000ull /* end of the EBDA..BIOS reservation */

/* Fill @tab (capacity @max) from @mem; *nr gets the entry count. Fails with
 * -EINVAL if RAM does not start at guest-physical 0 or is smaller than
 * 1 MiB, -ENOSPC if @max is too small. */
int __must_check x86_e820_build(const struct gmem *mem,
				struct boot_e820_entry *tab, unsigned max,
				unsigned *nr, struct vm_error **errp);

#endif
