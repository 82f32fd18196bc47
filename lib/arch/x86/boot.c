/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/boot.c: load a bzImage or an ELF64 kernel, its initrd and
 * cmdline into guest RAM, with boot_params, e820, GDT and identity page
 * tables for a 64-bit entry.
 *
 * Reference: Linux Documentation/arch/x86/boot.rst ("The Linux/x86 Boot
 * Protocol"), sections "The real-mode kernel header", "Details of header
 * fields" and "64-bit boot protocol".
 *
 * Everything read from the kernel file is untrusted: every size and address
 * is checked (without overflow) against the file and against guest RAM
 * through gmem_ptr() before anything is copied.
 *
 * Threads: API thread, before vCPUs run. Locking: none.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asm/bootparam.h>

#include "boot.h"
#include "e820.h"

/* Setup header offsets inside the bzImage file (== inside boot_params). */
#define BZ_SETUP_SECTS   0x1f1
#define BZ_BOOT_FLAG     0x1fe
#define BZ_JUMP_END      0x201  /* byte: header end = 0x202 + this */
#define BZ_HEADER        0x202
#define BZ_HDR_END_MAX   0x290  /* boot_params.edd_mbr_sig_buffer */
#define BZ_HEADER_MAGIC  0x53726448u /* "HdrS" */
#define BZ_BOOT_FLAG_VAL 0xaa55
#define BZ_MIN_VERSION   0x0206
#define BZ_64BIT_ENTRY   0x200
#define BZ_READ_SIZE     0x400  /* enough for any header so far */

#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)
#define SZ_2M  (1ull << 21)
#define SZ_1G  (1ull << 30)
#define SZ_4G  (1ull << 32)
#define PAGE_SZ 4096ull

#define ELF_MAX_PHDRS 128
#define ELF_MAX_NOTES 0x1000 /* bytes of PT_NOTE looked at */

/* Linux's own defaults for x86_64 (arch/x86/boot/header.S,
 * COMMAND_LINE_SIZE in arch/x86/include/asm/setup.h): what a vmlinux,
 * which has no setup header, is held to. */
#define LINUX_INITRD_ADDR_MAX 0x7fffffffu
#define LINUX_CMDLINE_SIZE 2048u

struct loader {
	struct gmem *mem;
	const struct x86_boot_config *cfg;
	struct boot_params *bp;  /* host view of the zero page */
	const char *path;        /* kernel path, for messages */
	int fd;
	uint64_t fsize;
	uint64_t low_end;        /* end of the RAM region at gpa 0 */
	uint32_t cmdline_max;    /* without the NUL */
	uint64_t initrd_max;     /* highest byte address usable by the initrd */
	struct x86_boot *out;
};

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO; /* the file shrank under us */
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int open_file(const char *what, const char *path, int *fdp,
		     uint64_t *sizep, struct vm_error **errp)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return verr_set_errno(errp, -errno, "%s '%s': cannot open",
				      what, path);
	if (fstat(fd, &st) < 0) {
		int rc = -errno;

		close(fd);
		return verr_set_errno(errp, rc, "%s '%s': cannot stat", what,
				      path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return verr_set(errp, -EINVAL, "%s '%s': not a regular file",
				what, path);
	}
	*fdp = fd;
	*sizep = (uint64_t)st.st_size;
	return 0;
}

/* Host pointer to [gpa, gpa + len) in the RAM region that starts at 0, so
 * that every structure the loader writes lies in low RAM. */
static void *low_ptr(const struct loader *l, uint64_t gpa, uint64_t len)
{
	if (gpa > l->low_end || len > l->low_end - gpa)
		return NULL;
	return gmem_ptr(l->mem, gpa, len);
}

/* --- ELF64 ---------------------------------------------------------- */

static int elf_has_linux_note(struct loader *l, const Elf64_Phdr *ph)
{
	uint8_t buf[ELF_MAX_NOTES];
	uint64_t sz = ph->p_filesz, off = 0;

	if (ph->p_offset > l->fsize || sz > l->fsize - ph->p_offset)
		return 0;
	sz = MIN(sz, (uint64_t)sizeof(buf));
	if (read_at(l->fd, buf, (size_t)sz, ph->p_offset))
		return 0;
	while (sz - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_len, desc_len;

		memcpy(&nh, buf + off, sizeof(nh));
		off += sizeof(nh);
		name_len = ALIGN_UP((uint64_t)nh.n_namesz, 4);
		desc_len = ALIGN_UP((uint64_t)nh.n_descsz, 4);
		if (name_len > sz - off)
			break;
		/* Linux's own notes ("Linux") and its PVH/Xen entry notes. */
		if ((nh.n_namesz == 6 && !memcmp(buf + off, "Linux", 6)) ||
		    (nh.n_namesz == 4 && !memcmp(buf + off, "Xen", 4)))
			return 1;
		off += name_len;
		if (desc_len > sz - off)
			break;
		off += desc_len;
	}
	return 0;
}

static int overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

/* What boot.h reserves in low RAM, whatever the kernel's layout: the
 * loader's own structures (GDT, zero page, page tables, cmdline) and
 * [EBDA, 1 MiB), where x86_acpi_build() puts the ACPI tables. Neither a
 * kernel segment nor the initrd may touch them. */
static const struct {
	uint64_t start, end;
} x86_reserved[] = {
	{ 0, X86_LOADER_LOW_END },
	{ X86_EBDA_START, X86_LOW_RESERVED_END },
};

static int overlaps_reserved(uint64_t a0, uint64_t a1, unsigned *which)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(x86_reserved); i++) {
		if (overlaps(a0, a1, x86_reserved[i].start,
			     x86_reserved[i].end)) {
			*which = i;
			return 1;
		}
	}
	return 0;
}

static int load_elf(struct loader *l, const uint8_t *head, size_t head_len,
		    struct vm_error **errp)
{
	Elf64_Phdr ph[ELF_MAX_PHDRS];
	Elf64_Ehdr eh;
	uint64_t lo = UINT64_MAX, hi = 0, entry = 0;
	int found_entry = 0, linux_notes = 0, rc;
	unsigned i, r, nr_load = 0;

	if (head_len < sizeof(eh))
		return verr_set(errp, -ENOEXEC,
				"kernel '%s': truncated ELF header", l->path);
	memcpy(&eh, head, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64)
		return verr_set(errp, -ENOEXEC,
				"kernel '%s': ELF file is not x86_64 (class %u, "
				"data %u, machine %u)", l->path,
				eh.e_ident[EI_CLASS], eh.e_ident[EI_DATA],
				eh.e_machine);
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return verr_set(errp, -ENOEXEC,
				"kernel '%s': ELF type %u is not executable",
				l->path, eh.e_type);
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phnum > ELF_MAX_PHDRS)
		return verr_set(errp, -ENOEXEC,
				"kernel '%s': bad ELF program header table "
				"(%u entries of %u bytes)", l->path,
				eh.e_phnum, eh.e_phentsize);
	if (eh.e_phoff > l->fsize ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > l->fsize - eh.e_phoff)
		return verr_set(errp, -ENOEXEC,
				"kernel '%s': ELF program headers lie past the "
				"end of the file", l->path);
	rc = read_at(l->fd, ph, eh.e_phnum * sizeof(Elf64_Phdr), eh.e_phoff);
	if (rc)
		return verr_set_errno(errp, rc, "kernel '%s': reading program "
				      "headers", l->path);

	/* Validate every segment before copying any. */
	for (i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		uint64_t end;

		if (p->p_type == PT_NOTE && !linux_notes)
			linux_notes = elf_has_linux_note(l, p);
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_filesz > p->p_memsz)
			return verr_set(errp, -ENOEXEC,
					"kernel '%s': segment %u has p_filesz "
					"0x%" PRIx64 " > p_memsz 0x%" PRIx64,
					l->path, i, (uint64_t)p->p_filesz,
					(uint64_t)p->p_memsz);
		if (p->p_offset > l->fsize ||
		    p->p_filesz > l->fsize - p->p_offset)
			return verr_set(errp, -ENOEXEC,
					"kernel '%s': segment %u lies past the "
					"end of the file (truncated?)",
					l->path, i);
		if (p->p_paddr + p->p_memsz < p->p_paddr)
			return verr_set(errp, -ENOEXEC,
					"kernel '%s': segment %u wraps around "
					"the address space", l->path, i);
		end = p->p_paddr + p->p_memsz;
		if (!gmem_ptr(l->mem, p->p_paddr, p->p_memsz))
			return verr_set(errp, -E2BIG,
					"kernel '%s': segment %u [0x%" PRIx64
					", 0x%" PRIx64 ") is not inside guest RAM",
					l->path, i, (uint64_t)p->p_paddr, end);
		if (overlaps_reserved(p->p_paddr, end, &r))
			return verr_set(errp, -EINVAL,
					"kernel '%s': segment %u [0x%" PRIx64
					", 0x%" PRIx64 ") overlaps the loader's "
					"low memory ([0, 0x%llx) and [0x%llx, "
					"1 MiB) are reserved)", l->path, i,
					(uint64_t)p->p_paddr, end,
					(unsigned long long)X86_LOADER_LOW_END,
					(unsigned long long)X86_EBDA_START);
		lo = MIN(lo, (uint64_t)p->p_paddr);
		hi = MAX(hi, end);
		nr_load++;
		/* Linux's e_entry is physical (ENTRY(phys_startup_64)); a
		 * test guest may give a virtual one: accept either. */
		if (!found_entry && eh.e_entry >= p->p_paddr &&
		    eh.e_entry - p->p_paddr < p->p_memsz) {
			entry = eh.e_entry;
			found_entry = 1;
		} else if (!found_entry && eh.e_entry >= p->p_vaddr &&
			   eh.e_entry - p->p_vaddr < p->p_memsz) {
			entry = p->p_paddr + (eh.e_entry - p->p_vaddr);
			found_entry = 1;
		}
	}
	if (!nr_load)
		return verr_set(errp, -ENOEXEC,
				"kernel '%s': ELF file has no loadable segment",
				l->path);
	if (!found_entry)
		return verr_set(errp, -ENOEXEC,
				"kernel '%s': entry point 0x%" PRIx64
				" is outside every loadable segment", l->path,
				(uint64_t)eh.e_entry);

	for (i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		uint8_t *dst;

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		dst = gmem_ptr(l->mem, p->p_paddr, p->p_memsz);
		rc = read_at(l->fd, dst, (size_t)p->p_filesz, p->p_offset);
		if (rc)
			return verr_set_errno(errp, rc, "kernel '%s': reading "
					      "segment %u", l->path, i);
		memset(dst + p->p_filesz, 0, (size_t)(p->p_memsz - p->p_filesz));
	}

	/* A vmlinux gets the same zero page a bzImage loader would fill. */
	l->bp->hdr.boot_flag = BZ_BOOT_FLAG_VAL;
	l->bp->hdr.header = BZ_HEADER_MAGIC;
	l->bp->hdr.version = 0x020f;
	l->bp->hdr.loadflags = LOADED_HIGH;
	l->bp->hdr.kernel_alignment = SZ_2M;
	l->bp->hdr.initrd_addr_max = LINUX_INITRD_ADDR_MAX;
	l->cmdline_max = linux_notes ? LINUX_CMDLINE_SIZE - 1
				     : (uint32_t)(X86_CMDLINE_MAX - 1);
	l->bp->hdr.cmdline_size = l->cmdline_max;
	l->bp->hdr.vid_mode = 0xffff;
	l->initrd_max = LINUX_INITRD_ADDR_MAX;

	l->out->entry = entry;
	l->out->kernel_start = lo;
	l->out->kernel_end = hi;
	l->out->is_linux = linux_notes;
	return 0;
}

/* --- bzImage -------------------------------------------------------- */

static int is_bzimage(const uint8_t *head, size_t len)
{
	uint32_t magic;
	uint16_t flag;

	if (len < BZ_HEADER + 4)
		return 0;
	memcpy(&flag, head + BZ_BOOT_FLAG, 2);
	memcpy(&magic, head + BZ_HEADER, 4);
	return flag == BZ_BOOT_FLAG_VAL && magic == BZ_HEADER_MAGIC;
}

static int load_bzimage(struct loader *l, const uint8_t *head,
			size_t head_len, struct vm_error **errp)
{
	struct setup_header h;
	size_t hdr_len;
	uint64_t setup_size, pm_size, load, span, end;
	unsigned setup_sects;
	void *dst;
	int rc;

	if (head_len < BZ_HDR_END_MAX)
		return verr_set(errp, -ENOEXEC,
				"kernel '%s': truncated bzImage header", l->path);
	memset(&h, 0, sizeof(h));
	/* The header's self-declared end (0x202 + byte at 0x201) bounds
	 * what we copy; never past the fields boot_params has room for. */
	hdr_len = (size_t)(BZ_HEADER + head[BZ_JUMP_END]) - BZ_SETUP_SECTS;
	hdr_len = MIN(hdr_len, sizeof(h));
	memcpy(&h, head + BZ_SETUP_SECTS, hdr_len);

	if (h.version < BZ_MIN_VERSION)
		return verr_set(errp, -ENOEXEC,
				"kernel '%s': boot protocol %u.%02u is too old "
				"(2.06 or later needed)", l->path,
				h.version >> 8, h.version & 0xff);
	if (h.version < 0x020c || !(h.xloadflags & XLF_KERNEL_64))
		return verr_set(errp, -ENOEXEC,
				"kernel '%s': bzImage has no 64-bit entry point "
				"(XLF_KERNEL_64 not set)", l->path);
	setup_sects = h.setup_sects ? h.setup_sects : 4;
	setup_size = (uint64_t)(setup_sects + 1) * 512;
	if (l->fsize <= setup_size)
		return verr_set(errp, -ENOEXEC,
				"kernel '%s': file ends inside the setup code "
				"(%u setup sectors, %" PRIu64 " bytes)", l->path,
				setup_sects, l->fsize);
	pm_size = l->fsize - setup_size;
	if (h.syssize && (uint64_t)h.syssize * 16 > pm_size)
		return verr_set(errp, -ENOEXEC,
				"kernel '%s': truncated (syssize says %" PRIu64
				" bytes of protected-mode code, file has %" PRIu64
				")", l->path, (uint64_t)h.syssize * 16, pm_size);

	/* Protocol 2.10+: pref_address and init_size. A relocatable kernel
	 * could go elsewhere, but at pref_address the decompressor does not
	 * have to move itself. */
	load = h.version >= 0x020a ? h.pref_address : 0x100000;
	if (h.relocatable_kernel && h.kernel_alignment &&
	    !(h.kernel_alignment & (h.kernel_alignment - 1)))
		load = ALIGN_UP(load, (uint64_t)h.kernel_alignment);
	if (load < X86_LOW_RESERVED_END)
		load = X86_KERNEL_DEFAULT;
	span = MAX(pm_size, h.version >= 0x020a ? (uint64_t)h.init_size : 0);
	end = load + span;
	if (end < load || !low_ptr(l, load, span))
		return verr_set(errp, -E2BIG,
				"kernel '%s': needs guest RAM [0x%" PRIx64
				", 0x%" PRIx64 ") but low RAM ends at 0x%" PRIx64,
				l->path, load, end, l->low_end);
	dst = low_ptr(l, load, pm_size);
	rc = read_at(l->fd, dst, (size_t)pm_size, setup_size);
	if (rc)
		return verr_set_errno(errp, rc, "kernel '%s': reading the "
				      "protected-mode code", l->path);

	memcpy(&l->bp->hdr, &h, sizeof(h));
	l->bp->hdr.code32_start = (uint32_t)load;
	l->cmdline_max = h.cmdline_size;
	l->initrd_max = h.initrd_addr_max;

	l->out->entry = load + BZ_64BIT_ENTRY;
	l->out->kernel_start = load;
	l->out->kernel_end = end;
	l->out->is_linux = 1;
	return 0;
}

/* --- common pieces --------------------------------------------------- */

static int put_cmdline(struct loader *l, struct vm_error **errp)
{
	const char *c = l->cfg->cmdline ? l->cfg->cmdline : "";
	size_t len = strlen(c), max = MIN((uint64_t)l->cmdline_max,
					  X86_CMDLINE_MAX - 1);
	uint8_t *dst;

	if (len > max)
		return verr_set(errp, -E2BIG,
				"kernel '%s': cmdline is %zu bytes, the kernel "
				"accepts at most %zu", l->path, len, max);
	if (!len) {
		/* No cmdline: cmd_line_ptr 0 says so (Linux copies nothing),
		 * and its page of guest RAM is never faulted in. */
		l->bp->hdr.cmd_line_ptr = 0;
		l->bp->ext_cmd_line_ptr = 0;
		return 0;
	}
	dst = low_ptr(l, X86_CMDLINE_ADDR, X86_CMDLINE_MAX);
	/* The string and its NUL only: the kernel reads no further, and
	 * clearing all 64 KiB would fault in 16 pages of guest RAM. */
	memcpy(dst, c, len);
	dst[len] = '\0';
	l->bp->hdr.cmd_line_ptr = (uint32_t)X86_CMDLINE_ADDR;
	l->bp->ext_cmd_line_ptr = 0;
	return 0;
}

/* Highest page-aligned address for @size bytes in [lo, top) that
 * overlaps no reserved range; UINT64_MAX if there is none. Each step moves
 * the candidate below the range it hit, so the walk ends. */
static uint64_t initrd_place(uint64_t lo, uint64_t top, uint64_t size)
{
	uint64_t addr;
	unsigned r;

	if (size == 0 || size > top)
		return UINT64_MAX;
	addr = ALIGN_DOWN(top - size, PAGE_SZ);
	while (addr >= lo && overlaps_reserved(addr, addr + size, &r)) {
		if (x86_reserved[r].start < size)
			return UINT64_MAX;
		addr = ALIGN_DOWN(x86_reserved[r].start - size, PAGE_SZ);
	}
	return addr >= lo ? addr : UINT64_MAX;
}

static int put_initrd(struct loader *l, struct vm_error **errp)
{
	const char *path = l->cfg->initrd;
	uint64_t size, top, lo, addr;
	int fd, rc;

	if (!path)
		return 0;
	rc = open_file("initrd", path, &fd, &size, errp);
	if (rc)
		return rc;
	/* Highest page-aligned spot: under initrd_addr_max (inclusive
	 * limit) and low RAM, above the kernel's whole init_size span, and
	 * clear of every reserved range: an ELF kernel may be linked below
	 * the EBDA (its end is then no floor that keeps the initrd out of
	 * [EBDA, 1 MiB)), and a RAM of exactly 1 MiB has room only below. */
	top = MIN(l->initrd_max + 1, l->low_end);
	lo = ALIGN_UP(l->out->kernel_end, PAGE_SZ);
	addr = initrd_place(lo, top, size);
	if (size == 0 || addr == UINT64_MAX) {
		close(fd);
		if (!size)
			return verr_set(errp, -EINVAL, "initrd '%s': empty file",
					path);
		return verr_set(errp, -E2BIG,
				"initrd '%s': %" PRIu64 " bytes do not fit between "
				"the kernel end 0x%" PRIx64 " and 0x%" PRIx64
				" (min of initrd_addr_max and low RAM end) "
				"outside the reserved [0x%llx, 1 MiB)",
				path, size, lo, top,
				(unsigned long long)X86_EBDA_START);
	}
	rc = read_at(fd, low_ptr(l, addr, size), (size_t)size, 0);
	close(fd);
	if (rc)
		return verr_set_errno(errp, rc, "initrd '%s': reading", path);
	l->bp->hdr.ramdisk_image = (uint32_t)addr;
	l->bp->hdr.ramdisk_size = (uint32_t)size;
	l->bp->ext_ramdisk_image = (uint32_t)(addr >> 32);
	l->bp->ext_ramdisk_size = (uint32_t)(size >> 32);
	l->out->initrd_addr = addr;
	l->out->initrd_size = size;
	return 0;
}

static void put_gdt(struct loader *l)
{
	uint64_t gdt[X86_GDT_ENTRIES] = {
		0, 0, X86_GDT_ENTRY_CODE64, X86_GDT_ENTRY_DATA,
	};

	memcpy(low_ptr(l, X86_GDT_ADDR, sizeof(gdt)), gdt, sizeof(gdt));
	l->out->gdt_base = X86_GDT_ADDR;
	l->out->gdt_limit = sizeof(gdt) - 1;
}

/* Whether GiB @g of guest-physical space holds RAM, or is the top GiB
 * below 4 GiB (the PCI hole: BARs, ECAM, IOAPIC, LAPIC; test guests poke
 * those), or GiB 0 (where every boot structure sits). Only those GiBs are
 * mapped: a GiB with nothing in it needs no page directory, and each page
 * directory is a page of guest RAM faulted in before the first
 * instruction (two of them for a small VM). */
static int gib_used(const struct loader *l, uint64_t g)
{
	const uint64_t lo = g * SZ_1G, hi = lo + SZ_1G;
	unsigned r;

	if (g == 0 || g == SZ_4G / SZ_1G - 1)
		return 1;
	for (r = 0; r < l->mem->nr && r < GMEM_MAX_REGIONS; r++)
		if (overlaps(lo, hi, l->mem->r[r].gpa,
			     l->mem->r[r].gpa + l->mem->r[r].size))
			return 1;
	return 0;
}

/* PML4 at X86_PML4_ADDR, one PDPT after it (512 GiB). With 1 GiB pages
 * (cfg->gbpages) the PDPT maps every GiB itself; without, a page
 * directory of 2 MiB pages follows for each GiB gib_used() wants, as many
 * as fit below X86_PT_END. */
static void put_page_tables(struct loader *l)
{
	const uint64_t pdpt_gpa = X86_PML4_ADDR + PAGE_SZ;
	const uint64_t pd_gpa = pdpt_gpa + PAGE_SZ;
	const uint64_t nr_pd = (X86_PT_END - pd_gpa) / PAGE_SZ;
	uint64_t *pml4, *pdpt, *pd, ram_end = 0, want, g, i, k = 0;
	unsigned r;

	for (r = 0; r < l->mem->nr && r < GMEM_MAX_REGIONS; r++)
		ram_end = MAX(ram_end, l->mem->r[r].gpa + l->mem->r[r].size);
	/* Always up to 4 GiB (the MMIO hole included), then RAM above; one
	 * PDPT reaches 512 GiB. */
	want = ALIGN_UP(MAX(ram_end, SZ_4G), SZ_1G) / SZ_1G;
	want = MIN(want, 512);

	/* Clear the PML4 and the PDPT only: every page directory used is
	 * written whole below and the unused ones are not referenced, so
	 * they need not be touched. */
	pml4 = low_ptr(l, X86_PML4_ADDR, X86_PT_END - X86_PML4_ADDR);
	memset(pml4, 0, 2 * PAGE_SZ);
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	pml4[0] = pdpt_gpa | PTE_P | PTE_RW;
	for (g = 0; g < want; g++) {
		if (l->cfg->gbpages) {
			pdpt[g] = (g * SZ_1G) | PTE_P | PTE_RW | PTE_PS;
		} else if (!gib_used(l, g)) {
			continue;
		} else if (k < nr_pd) {
			pdpt[g] = (pd_gpa + k * PAGE_SZ) | PTE_P | PTE_RW;
			for (i = 0; i < 512; i++)
				pd[k * 512 + i] = (g * SZ_1G + i * SZ_2M) |
						  PTE_P | PTE_RW | PTE_PS;
			k++;
		} else {
			break;
		}
	}
	l->out->cr3 = X86_PML4_ADDR;
	l->out->map_end = g * SZ_1G;
}

int x86_boot_load(struct gmem *mem, const struct x86_boot_config *cfg,
		  struct x86_boot *out, struct vm_error **errp)
{
	struct boot_e820_entry e820[E820_MAX_ENTRIES_ZEROPAGE];
	struct loader l = { .mem = mem, .cfg = cfg, .out = out, .fd = -1 };
	uint8_t head[BZ_READ_SIZE];
	size_t head_len;
	unsigned i, nr;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!cfg->kernel)
		return verr_set(errp, -EINVAL, "no kernel given");
	l.path = cfg->kernel;
	for (i = 0; i < mem->nr && i < GMEM_MAX_REGIONS; i++)
		if (mem->r[i].gpa == 0)
			l.low_end = mem->r[i].size;
	if (l.low_end < X86_LOW_RESERVED_END)
		return verr_set(errp, -EINVAL,
				"kernel '%s': guest RAM below 1 MiB is missing "
				"or too small", l.path);
	l.bp = low_ptr(&l, X86_BOOT_PARAMS, sizeof(*l.bp));
	memset(l.bp, 0, sizeof(*l.bp));

	rc = open_file("kernel", cfg->kernel, &l.fd, &l.fsize, errp);
	if (rc)
		return rc;
	head_len = (size_t)MIN(l.fsize, (uint64_t)sizeof(head));
	memset(head, 0, sizeof(head));
	rc = read_at(l.fd, head, head_len, 0);
	if (rc) {
		verr_set_errno(errp, rc, "kernel '%s': reading", l.path);
		goto out;
	}
	if (head_len >= SELFMAG && !memcmp(head, ELFMAG, SELFMAG))
		rc = load_elf(&l, head, head_len, errp);
	else if (is_bzimage(head, head_len))
		rc = load_bzimage(&l, head, head_len, errp);
	else
		rc = verr_set(errp, -ENOEXEC,
			      "kernel '%s': neither a bzImage nor an x86_64 "
			      "ELF kernel", l.path);
	if (rc)
		goto out;

	l.bp->hdr.type_of_loader = 0xff;
	l.bp->hdr.loadflags |= CAN_USE_HEAP;
	l.bp->hdr.heap_end_ptr = 0xfe00;
	l.bp->acpi_rsdp_addr = cfg->acpi_rsdp;
	rc = put_cmdline(&l, errp);
	if (!rc)
		rc = put_initrd(&l, errp);
	if (!rc)
		rc = x86_e820_build(mem, e820, ARRAY_SIZE(e820), &nr, errp);
	if (rc)
		goto out;
	memcpy(l.bp->e820_table, e820, nr * sizeof(e820[0]));
	l.bp->e820_entries = (uint8_t)nr;
	put_gdt(&l);
	put_page_tables(&l);
	out->boot_params = X86_BOOT_PARAMS;
out:
	close(l.fd);
	return rc;
}
