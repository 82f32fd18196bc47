/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/e820.c: the guest's e820 memory map, built from struct gmem.
 *
 * Threads: API thread. Locking: none.
 */
#include <errno.h>

#include "e820.h"
#include "boot.h"

static int e820_add(struct boot_e820_entry *tab, unsigned max, unsigned *nr,
		    uint64_t start, uint64_t end, uint32_t type,
		    struct vm_error **errp)
{
	if (end <= start)
		return 0;
	if (*nr >= max)
		return verr_set(errp, -ENOSPC,
				"e820: more than %u memory map entries", max);
	tab[*nr].addr = start;
	tab[*nr].size = end - start;
	tab[*nr].type = type;
	(*nr)++;
	return 0;
}

int x86_e820_build(const struct gmem *mem, struct boot_e820_entry *tab,
		   unsigned max, unsigned *nr, struct vm_error **errp)
{
	int low_seen = 0, rc;
	unsigned i;

	*nr = 0;
	for (i = 0; i < mem->nr && i < GMEM_MAX_REGIONS; i++) {
		uint64_t start = mem->r[i].gpa, end = start + mem->r[i].size;

		if (end < start)
			return verr_set(errp, -EINVAL,
					"e820: RAM region %u wraps around", i);
		if (start >= X86_LOW_RESERVED_END) {
			rc = e820_add(tab, max, nr, start, end, X86_E820_RAM,
				      errp);
			if (rc)
				return rc;
			continue;
		}
		if (start != 0 || end < X86_LOW_RESERVED_END)
			return verr_set(errp, -EINVAL,
					"e820: low RAM must start at 0 and cover 1 MiB "
					"(have [0x%llx, 0x%llx))",
					(unsigned long long)start,
					(unsigned long long)end);
		low_seen = 1;
		rc = e820_add(tab, max, nr, 0, X86_EBDA_START, X86_E820_RAM,
			      errp);
		if (!rc)
			rc = e820_add(tab, max, nr, X86_EBDA_START,
				      X86_LOW_RESERVED_END, X86_E820_RESERVED,
				      errp);
		if (!rc)
			rc = e820_add(tab, max, nr, X86_LOW_RESERVED_END, end,
				      X86_E820_RAM, errp);
		if (rc)
			return rc;
	}
	if (!low_seen)
		return verr_set(errp, -EINVAL,
				"e820: no RAM at guest-physical address 0");
	return 0;
}
