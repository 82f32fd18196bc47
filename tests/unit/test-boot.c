/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-boot.c: the x86 kernel loader (lib/arch/x86/boot.c,
 * e820.c): ELF64 and bzImage files synthesized here, loaded into a guest
 * RAM built by hand over anonymous memory, then checked byte by byte the
 * way the guest would see them (page-table walk, GDT, zero page).
 */
#include <asm/bootparam.h>
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/x86/boot.h"
#include "arch/x86/e820.h"
#include "check-main.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* --- guest RAM by hand -------------------------------------------------- */

static void *map(uint64_t size, int prot)
{
	void *p = mmap(NULL, size, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

/* x86 layout of lib/kvm/mem.h. The part above 4 GiB is PROT_NONE unless
 * @high_rw: the loader must not touch it unless told to. */
static void mem_make(struct gmem *m, uint64_t size, int high_rw)
{
	uint64_t low = size < GMEM_HOLE_START ? size : GMEM_HOLE_START;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->size = size;
	m->base = map(low, PROT_READ | PROT_WRITE);
	m->r[0] = (struct gmem_region){ 0, low, 0, m->base };
	m->nr = 1;
	if (size > low) {
		m->r[1] = (struct gmem_region){
			GMEM_HIGH_START, size - low, low,
			map(size - low, high_rw ? PROT_READ | PROT_WRITE
						: PROT_NONE) };
		m->nr = 2;
	}
}

static void *gp(struct gmem *m, uint64_t gpa, uint64_t len)
{
	void *p = gmem_ptr(m, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

static struct boot_params *bp_of(struct gmem *m)
{
	return gp(m, X86_BOOT_PARAMS, sizeof(struct boot_params));
}

/* --- files ---------------------------------------------------------------- */

static char *file_new(const void *data, size_t len)
{
	char *path = strdup("/tmp/test-boot-XXXXXX");
	int fd;

	ck_assert_ptr_nonnull(path);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static char *file_sized(size_t len, uint8_t fill)
{
	uint8_t *buf = malloc(len);
	char *path;

	ck_assert_ptr_nonnull(buf);
	memset(buf, fill, len);
	path = file_new(buf, len);
	free(buf);
	return path;
}

static void file_free(char *path)
{
	unlink(path);
	free(path);
}

/* --- ELF builder ------------------------------------------------------------ */

struct seg {
	uint32_t type;
	uint64_t paddr, vaddr, filesz, memsz;
	uint8_t fill;
};

#define ELF_DATA_OFF 0x1000

/* Segments' file data are laid out one after the other from 0x1000 and
 * filled with seg->fill. Returns a malloc'd image, size in *len. */
static uint8_t *elf_build(const struct seg *s, unsigned n, uint64_t entry,
			  size_t *len)
{
	size_t size = ELF_DATA_OFF, off;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	uint8_t *img;
	unsigned i;

	for (i = 0; i < n; i++)
		size += s[i].filesz;
	img = calloc(1, size);
	ck_assert_ptr_nonnull(img);
	eh = (Elf64_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = (uint16_t)n;
	ph = (Elf64_Phdr *)(img + sizeof(*eh));
	off = ELF_DATA_OFF;
	for (i = 0; i < n; i++) {
		ph[i].p_type = s[i].type;
		ph[i].p_flags = PF_R | PF_W | PF_X;
		ph[i].p_offset = off;
		ph[i].p_paddr = s[i].paddr;
		ph[i].p_vaddr = s[i].vaddr ? s[i].vaddr : s[i].paddr;
		ph[i].p_filesz = s[i].filesz;
		ph[i].p_memsz = s[i].memsz;
		ph[i].p_align = 0x1000;
		memset(img + off, s[i].fill, s[i].filesz);
		off += s[i].filesz;
	}
	*len = size;
	return img;
}

static char *elf_file(const struct seg *s, unsigned n, uint64_t entry)
{
	size_t len;
	uint8_t *img = elf_build(s, n, entry, &len);
	char *path = file_new(img, len);

	free(img);
	return path;
}

static const struct seg two_segs[] = {
	{ PT_LOAD, 0x100000, 0, 0x300, 0x300, 0xab },
	{ PT_LOAD, 0x200000, 0, 0x10, 0x2000, 0xcd },  /* bss 0x1ff0 */
};

static int load(struct gmem *m, const char *kernel, const char *initrd,
		const char *cmdline, struct x86_boot *b, struct vm_error **e)
{
	struct x86_boot_config cfg = { 0 };

	cfg.kernel = kernel;
	cfg.initrd = initrd;
	cfg.cmdline = cmdline;
	cfg.vcpus = 1;
	return x86_boot_load(m, &cfg, b, e);
}

/* Takes &e: the call that fills it is an argument of the same call. */
static void check_err(int rc, int want, struct vm_error **ep,
		      const char *path, const char *words)
{
	struct vm_error *e = *ep;

	*ep = NULL;
	ck_assert_int_eq(rc, want);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->code, want);
	if (path)
		ck_assert_msg(strstr(e->msg, path), "'%s' lacks '%s'", e->msg,
			      path);
	ck_assert_msg(strstr(e->msg, words), "'%s' lacks '%s'", e->msg, words);
	free(e->msg);
	free(e);
}

/* --- page-table walk as the MMU does it ------------------------------------ */

static uint64_t walk(struct gmem *m, uint64_t cr3, uint64_t va)
{
	uint64_t e;

	e = *(uint64_t *)gp(m, cr3 + ((va >> 39) & 511) * 8, 8);
	if (!(e & 1))
		return UINT64_MAX;
	e = *(uint64_t *)gp(m, (e & 0xffffffffff000ull) + ((va >> 30) & 511) * 8, 8);
	if (!(e & 1))
		return UINT64_MAX;
	if (e & 0x80)
		return (e & 0xfffffc0000000ull) | (va & (GiB - 1));
	e = *(uint64_t *)gp(m, (e & 0xffffffffff000ull) + ((va >> 21) & 511) * 8, 8);
	if (!(e & 1) || !(e & 0x80) || !(e & 2))
		return UINT64_MAX;
	return (e & 0xfffffffe00000ull) | (va & (2 * MiB - 1));
}

/* --- ELF tests ---------------------------------------------------------- */

START_TEST(test_elf_segments_land_and_bss_is_zeroed)
{
	struct gmem m;
	struct x86_boot b;
	char *k = elf_file(two_segs, 2, 0x100010);
	uint8_t *p;
	uint64_t i;

	mem_make(&m, 64 * MiB, 0);
	memset(gp(&m, 0x200000, 0x3000), 0x77, 0x3000); /* dirty "bss" */
	ck_assert_int_eq(load(&m, k, NULL, NULL, &b, NULL), 0);
	p = gp(&m, 0x100000, 0x300);
	for (i = 0; i < 0x300; i++)
		ck_assert_uint_eq(p[i], 0xab);
	p = gp(&m, 0x200000, 0x3000);
	for (i = 0; i < 0x10; i++)
		ck_assert_uint_eq(p[i], 0xcd);
	for (; i < 0x2000; i++)
		ck_assert_uint_eq(p[i], 0);
	ck_assert_uint_eq(p[0x2000], 0x77); /* not past p_memsz */
	ck_assert_uint_eq(b.entry, 0x100010);
	ck_assert_uint_eq(b.boot_params, X86_BOOT_PARAMS);
	ck_assert_uint_eq(b.cr3, X86_PML4_ADDR);
	ck_assert_uint_eq(b.kernel_start, 0x100000);
	ck_assert_uint_eq(b.kernel_end, 0x202000);
	ck_assert_int_eq(b.is_linux, 0);
	file_free(k);
}
END_TEST

START_TEST(test_elf_virtual_entry_is_translated)
{
	struct seg s = { PT_LOAD, 0x400000, 0xffffffff80400000ull, 0x100,
			 0x100, 1 };
	struct gmem m;
	struct x86_boot b;
	char *k = elf_file(&s, 1, 0xffffffff80400040ull);

	mem_make(&m, 64 * MiB, 0);
	ck_assert_int_eq(load(&m, k, NULL, NULL, &b, NULL), 0);
	ck_assert_uint_eq(b.entry, 0x400040);
	file_free(k);
}
END_TEST

START_TEST(test_elf_with_xen_note_is_linux)
{
	struct seg s[2] = {
		{ PT_LOAD, 0x1000000, 0, 0x100, 0x100, 0x90 },
		{ PT_NOTE, 0, 0, 24, 0, 0 },
	};
	size_t len;
	uint8_t *img = elf_build(s, 2, 0x1000000, &len);
	Elf64_Nhdr nh = { 4, 4, 6 }; /* "Xen", XEN_ELFNOTE_GUEST_OS */
	struct gmem m;
	struct x86_boot b;
	char *k;

	memcpy(img + ELF_DATA_OFF + 0x100, &nh, sizeof(nh));
	memcpy(img + ELF_DATA_OFF + 0x100 + sizeof(nh), "Xen\0linu", 8);
	k = file_new(img, len);
	free(img);
	mem_make(&m, 64 * MiB, 0);
	ck_assert_int_eq(load(&m, k, NULL, "console=ttyS0", &b, NULL), 0);
	ck_assert_int_eq(b.is_linux, 1);
	/* a vmlinux gets the header a bzImage loader would give it */
	ck_assert_uint_eq(bp_of(&m)->hdr.boot_flag, 0xaa55);
	ck_assert_uint_eq(bp_of(&m)->hdr.header, 0x53726448);
	ck_assert_uint_eq(bp_of(&m)->hdr.type_of_loader, 0xff);
	ck_assert(bp_of(&m)->hdr.loadflags & LOADED_HIGH);
	ck_assert(bp_of(&m)->hdr.loadflags & CAN_USE_HEAP);
	/* held to Linux's COMMAND_LINE_SIZE (2048 with the NUL) */
	ck_assert_uint_eq(bp_of(&m)->hdr.cmdline_size, 2047);
	{
		char *c = malloc(2049);
		struct vm_error *e = NULL;

		memset(c, 'x', 2048);
		c[2047] = 0;
		ck_assert_int_eq(load(&m, k, NULL, c, &b, NULL), 0);
		c[2047] = 'x';
		c[2048] = 0;
		check_err(load(&m, k, NULL, c, &b, &e), -E2BIG, &e, k,
			  "at most 2047");
		free(c);
	}
	file_free(k);
}
END_TEST

START_TEST(test_gdt_has_flat_boot_cs_and_ds)
{
	struct gmem m;
	struct x86_boot b;
	char *k = elf_file(two_segs, 2, 0x100000);
	uint64_t *g;

	mem_make(&m, 16 * MiB, 0);
	ck_assert_int_eq(load(&m, k, NULL, NULL, &b, NULL), 0);
	ck_assert_uint_eq(b.gdt_base, X86_GDT_ADDR);
	ck_assert_uint_eq(b.gdt_limit, 4 * 8 - 1);
	g = gp(&m, X86_GDT_ADDR, 32);
	ck_assert_uint_eq(g[0], 0);
	ck_assert_uint_eq(g[1], 0);
	/* 0x10: base 0, limit 0xfffff, G, L (64-bit), P, DPL0, code r/x */
	ck_assert_uint_eq(g[X86_BOOT_CS / 8], 0x00af9b000000ffffull);
	/* 0x18: base 0, limit 0xfffff, G, D/B, P, DPL0, data r/w */
	ck_assert_uint_eq(g[X86_BOOT_DS / 8], 0x00cf93000000ffffull);
	file_free(k);
}
END_TEST

START_TEST(test_page_tables_identity_map_low_and_high_ram)
{
	struct gmem m;
	struct x86_boot b;
	char *k = elf_file(two_segs, 2, 0x100000);
	const uint64_t va[] = { 0, 0x1234567, 3 * GiB - 1, 0xfec00000,
				0xfee00000, 4 * GiB, 5 * GiB + 0x12345,
				7 * GiB - 1 };
	unsigned i;

	mem_make(&m, 6 * GiB, 0); /* 3 GiB low + 3 GiB at 4 GiB */
	ck_assert_int_eq(load(&m, k, NULL, NULL, &b, NULL), 0);
	for (i = 0; i < sizeof(va) / sizeof(va[0]); i++)
		ck_assert_uint_eq(walk(&m, b.cr3, va[i]), va[i]);
	ck_assert_uint_eq(walk(&m, b.cr3, 7 * GiB), UINT64_MAX);
	ck_assert_uint_eq(b.map_end, 7 * GiB);
	file_free(k);
}
END_TEST

START_TEST(test_page_tables_small_ram_map_gib_0_and_the_pci_hole)
{
	struct gmem m;
	struct x86_boot b;
	char *k = elf_file(two_segs, 2, 0x100000);

	mem_make(&m, 16 * MiB, 0);
	ck_assert_int_eq(load(&m, k, NULL, NULL, &b, NULL), 0);
	ck_assert_uint_eq(walk(&m, b.cr3, 0x1234567), 0x1234567);
	ck_assert_uint_eq(walk(&m, b.cr3, 0xc0000000), 0xc0000000);
	ck_assert_uint_eq(walk(&m, b.cr3, 0xfee00000), 0xfee00000);
	/* GiBs 1 and 2 hold nothing: no page directory is spent on them */
	ck_assert_uint_eq(walk(&m, b.cr3, 1 * GiB), UINT64_MAX);
	ck_assert_uint_eq(walk(&m, b.cr3, 3 * GiB - 1), UINT64_MAX);
	ck_assert_uint_eq(walk(&m, b.cr3, 4 * GiB), UINT64_MAX);
	ck_assert_uint_eq(b.map_end, 4 * GiB);
	file_free(k);
}
END_TEST

START_TEST(test_page_tables_beyond_fixed_area_need_gbpages)
{
	struct x86_boot_config cfg = { 0 };
	struct gmem m;
	struct x86_boot b;
	char *k = elf_file(two_segs, 2, 0x100000);

	mem_make(&m, 40 * GiB, 0); /* RAM up to 41 GiB, high part PROT_NONE */
	cfg.kernel = k;
	ck_assert_int_eq(x86_boot_load(&m, &cfg, &b, NULL), 0);
	ck_assert_uint_eq(b.map_end, 21 * GiB); /* 2 MiB pages as far as fit */
	ck_assert_uint_eq(walk(&m, b.cr3, 21 * GiB - 1), 21 * GiB - 1);
	ck_assert_uint_eq(walk(&m, b.cr3, 21 * GiB), UINT64_MAX);
	cfg.gbpages = 1;
	ck_assert_int_eq(x86_boot_load(&m, &cfg, &b, NULL), 0);
	ck_assert_uint_eq(b.map_end, 41 * GiB);
	ck_assert_uint_eq(walk(&m, b.cr3, 41 * GiB - 1), 41 * GiB - 1);
	ck_assert_uint_eq(walk(&m, b.cr3, 30 * GiB + 5), 30 * GiB + 5);
	file_free(k);
}
END_TEST

/* With 1 GiB pages the PDPT maps everything: no page directory is
 * written, so those pages of guest RAM are never faulted in. */
START_TEST(test_page_tables_gbpages_leave_page_directories_untouched)
{
	static const uint8_t zero[4096];
	struct x86_boot_config cfg = { 0 };
	struct gmem m;
	struct x86_boot b;
	char *k = elf_file(two_segs, 2, 0x100000);
	uint64_t gpa;

	mem_make(&m, 16 * MiB, 0);
	cfg.kernel = k;
	cfg.gbpages = 1;
	ck_assert_int_eq(x86_boot_load(&m, &cfg, &b, NULL), 0);
	ck_assert_uint_eq(b.map_end, 4 * GiB);
	ck_assert_uint_eq(walk(&m, b.cr3, 0x1234567), 0x1234567);
	ck_assert_uint_eq(walk(&m, b.cr3, 0xfee00000), 0xfee00000);
	ck_assert_uint_eq(walk(&m, b.cr3, 4 * GiB), UINT64_MAX);
	for (gpa = X86_PML4_ADDR + 2 * 4096; gpa < X86_PT_END; gpa += 4096)
		ck_assert(!memcmp(gmem_ptr(&m, gpa, 4096), zero, 4096));
	file_free(k);
}
END_TEST

START_TEST(test_e820_small_ram)
{
	struct gmem m;
	struct x86_boot b;
	struct boot_params *bp;
	char *k = elf_file(two_segs, 2, 0x100000);

	mem_make(&m, 64 * MiB, 0);
	ck_assert_int_eq(load(&m, k, NULL, NULL, &b, NULL), 0);
	bp = bp_of(&m);
	ck_assert_uint_eq(bp->e820_entries, 3);
	ck_assert_uint_eq(bp->e820_table[0].addr, 0);
	ck_assert_uint_eq(bp->e820_table[0].size, 0x9fc00);
	ck_assert_uint_eq(bp->e820_table[0].type, 1);
	ck_assert_uint_eq(bp->e820_table[1].addr, 0x9fc00);
	ck_assert_uint_eq(bp->e820_table[1].size, 0x100000 - 0x9fc00);
	ck_assert_uint_eq(bp->e820_table[1].type, 2);
	ck_assert_uint_eq(bp->e820_table[2].addr, 0x100000);
	ck_assert_uint_eq(bp->e820_table[2].size, 63 * MiB);
	ck_assert_uint_eq(bp->e820_table[2].type, 1);
	file_free(k);
}
END_TEST

START_TEST(test_e820_ram_above_4g)
{
	struct gmem m;
	struct x86_boot b;
	struct boot_params *bp;
	char *k = elf_file(two_segs, 2, 0x100000);

	mem_make(&m, 5 * GiB, 0);
	ck_assert_int_eq(load(&m, k, NULL, NULL, &b, NULL), 0);
	bp = bp_of(&m);
	ck_assert_uint_eq(bp->e820_entries, 4);
	ck_assert_uint_eq(bp->e820_table[2].addr, 0x100000);
	ck_assert_uint_eq(bp->e820_table[2].size, 3 * GiB - MiB);
	ck_assert_uint_eq(bp->e820_table[3].addr, 4 * GiB);
	ck_assert_uint_eq(bp->e820_table[3].size, 2 * GiB);
	ck_assert_uint_eq(bp->e820_table[3].type, 1);
	file_free(k);
}
END_TEST

START_TEST(test_elf_segment_in_high_ram)
{
	struct seg s = { PT_LOAD, 4 * GiB + 0x1000, 0, 0x40, 0x1000, 0x3c };
	struct gmem m;
	struct x86_boot b;
	char *k = elf_file(&s, 1, 4 * GiB + 0x1000);

	mem_make(&m, 4 * GiB, 1);
	ck_assert_int_eq(load(&m, k, NULL, NULL, &b, NULL), 0);
	ck_assert_uint_eq(*(uint8_t *)gp(&m, 4 * GiB + 0x103f, 1), 0x3c);
	ck_assert_uint_eq(walk(&m, b.cr3, b.entry), b.entry);
	file_free(k);
}
END_TEST

START_TEST(test_no_cmdline_is_a_null_pointer_and_touches_nothing)
{
	static const uint8_t zero[16];
	struct gmem m;
	struct x86_boot b;
	char *k = elf_file(two_segs, 2, 0x100000);

	mem_make(&m, 16 * MiB, 0);
	memset(gp(&m, X86_CMDLINE_ADDR, 16), 0, 16);
	ck_assert_int_eq(load(&m, k, NULL, "", &b, NULL), 0);
	ck_assert_uint_eq(bp_of(&m)->hdr.cmd_line_ptr, 0);
	ck_assert_uint_eq(bp_of(&m)->ext_cmd_line_ptr, 0);
	ck_assert_int_eq(load(&m, k, NULL, NULL, &b, NULL), 0);
	ck_assert_uint_eq(bp_of(&m)->hdr.cmd_line_ptr, 0);
	ck_assert(!memcmp(gp(&m, X86_CMDLINE_ADDR, 16), zero, 16));
	file_free(k);
}
END_TEST

START_TEST(test_cmdline_and_initrd_placement)
{
	struct gmem m;
	struct x86_boot b;
	struct boot_params *bp;
	char *k = elf_file(two_segs, 2, 0x100000);
	char *rd = file_sized(10000, 0x5a);
	uint64_t want = (64 * MiB - 10000) & ~0xfffull;

	mem_make(&m, 64 * MiB, 0);
	ck_assert_int_eq(load(&m, k, rd, "console=ttyS0 quiet", &b, NULL), 0);
	bp = bp_of(&m);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, X86_CMDLINE_ADDR);
	ck_assert_uint_eq(bp->ext_cmd_line_ptr, 0);
	ck_assert_str_eq(gp(&m, X86_CMDLINE_ADDR, 32), "console=ttyS0 quiet");
	ck_assert_uint_eq(bp->hdr.ramdisk_image, want);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, 10000);
	ck_assert_uint_eq(b.initrd_addr, want);
	ck_assert_uint_eq(*(uint8_t *)gp(&m, want, 1), 0x5a);
	ck_assert_uint_eq(*(uint8_t *)gp(&m, want + 9999, 1), 0x5a);
	file_free(k);
	file_free(rd);
}
END_TEST

/*
 * Regression (issue 8): an ELF kernel linked below the EBDA used to be no
 * floor for the initrd, which was then copied across [EBDA, 1 MiB), where
 * the ACPI tables live. Now it goes above 1 MiB, or below the EBDA if that
 * is the only room, or it is refused; the reserved bytes never change.
 */
static void fill_bios_area(struct gmem *m)
{
	memset(gp(m, X86_EBDA_START, X86_LOW_RESERVED_END - X86_EBDA_START),
	       0xee, X86_LOW_RESERVED_END - X86_EBDA_START);
}

static void check_bios_area(struct gmem *m)
{
	const uint8_t *p = gp(m, X86_EBDA_START,
			      X86_LOW_RESERVED_END - X86_EBDA_START);
	uint64_t i;

	for (i = 0; i < X86_LOW_RESERVED_END - X86_EBDA_START; i++)
		ck_assert_msg(p[i] == 0xee, "byte 0x%llx of [EBDA, 1 MiB) written",
			      (unsigned long long)(X86_EBDA_START + i));
}

START_TEST(test_initrd_never_overlaps_ebda_with_low_elf)
{
	struct seg s = { PT_LOAD, 0x40000, 0, 0x100, 0x1000, 0x11 };
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	char *k = elf_file(&s, 1, 0x40000);
	char *rd;

	/* 16 MiB of RAM: 15 MiB fits just above 1 MiB ... */
	mem_make(&m, 16 * MiB, 0);
	fill_bios_area(&m);
	rd = file_sized(15 * MiB, 0x5a);
	ck_assert_int_eq(load(&m, k, rd, NULL, &b, NULL), 0);
	ck_assert_uint_eq(b.initrd_addr, 1 * MiB);
	check_bios_area(&m);
	file_free(rd);
	/* ... 15.5 MiB would only fit across [EBDA, 1 MiB): refused. */
	rd = file_sized(15 * MiB + 512 * 1024, 0x5a);
	check_err(load(&m, k, rd, NULL, &b, &e), -E2BIG, &e, rd, "do not fit");
	check_bios_area(&m);
	file_free(rd);

	/* RAM of exactly 1 MiB: the only room is between kernel and EBDA. */
	mem_make(&m, 1 * MiB, 0);
	fill_bios_area(&m);
	rd = file_sized(0x20000, 0x5a);
	ck_assert_int_eq(load(&m, k, rd, NULL, &b, NULL), 0);
	ck_assert_uint_eq(b.initrd_addr, (X86_EBDA_START - 0x20000) & ~0xfffull);
	ck_assert_uint_ge(b.initrd_addr, b.kernel_end);
	ck_assert_uint_le(b.initrd_addr + b.initrd_size, X86_EBDA_START);
	check_bios_area(&m);
	file_free(rd);
	file_free(k);
}
END_TEST

START_TEST(test_acpi_rsdp_goes_to_boot_params)
{
	struct x86_boot_config cfg = { 0 };
	struct gmem m;
	struct x86_boot b;
	char *k = elf_file(two_segs, 2, 0x100000);

	mem_make(&m, 16 * MiB, 0);
	cfg.kernel = k;
	cfg.acpi_rsdp = 0xe0000;
	ck_assert_int_eq(x86_boot_load(&m, &cfg, &b, NULL), 0);
	ck_assert_uint_eq(bp_of(&m)->acpi_rsdp_addr, 0xe0000);
	file_free(k);
}
END_TEST

/* Hostile or broken ELF files: each is rejected with the file named. */
START_TEST(test_elf_rejects_segment_outside_ram)
{
	struct seg s = { PT_LOAD, 64 * MiB - 0x100, 0, 0x10, 0x200, 1 };
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	char *k = elf_file(&s, 1, 64 * MiB - 0x100);

	mem_make(&m, 64 * MiB, 0);
	check_err(load(&m, k, NULL, NULL, &b, &e), -E2BIG, &e, k,
		  "not inside guest RAM");
	file_free(k);
}
END_TEST

START_TEST(test_elf_rejects_filesz_over_memsz)
{
	struct seg s = { PT_LOAD, 0x100000, 0, 0x200, 0x100, 1 };
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	char *k = elf_file(&s, 1, 0x100000);

	mem_make(&m, 64 * MiB, 0);
	check_err(load(&m, k, NULL, NULL, &b, &e), -ENOEXEC, &e, k, "p_filesz");
	file_free(k);
}
END_TEST

START_TEST(test_elf_rejects_address_overflow)
{
	struct seg s = { PT_LOAD, 0xfffffffffffff000ull, 0, 0x10, 0x2000, 1 };
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	char *k = elf_file(&s, 1, 0xfffffffffffff000ull);

	mem_make(&m, 64 * MiB, 0);
	check_err(load(&m, k, NULL, NULL, &b, &e), -ENOEXEC, &e, k, "wraps");
	file_free(k);
}
END_TEST

START_TEST(test_elf_rejects_truncated_file)
{
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	size_t len;
	uint8_t *img = elf_build(two_segs, 2, 0x100000, &len);
	char *k = file_new(img, len - 1); /* last segment byte missing */
	char *k2 = file_new(img, 100);    /* program headers cut */

	mem_make(&m, 64 * MiB, 0);
	check_err(load(&m, k, NULL, NULL, &b, &e), -ENOEXEC, &e, k,
		  "past the end of the file");
	check_err(load(&m, k2, NULL, NULL, &b, &e), -ENOEXEC, &e, k2,
		  "program headers");
	free(img);
	file_free(k);
	file_free(k2);
}
END_TEST

START_TEST(test_elf_rejects_wrong_machine)
{
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	size_t len;
	uint8_t *img = elf_build(two_segs, 2, 0x100000, &len);
	char *k;

	((Elf64_Ehdr *)img)->e_machine = EM_AARCH64;
	k = file_new(img, len);
	mem_make(&m, 64 * MiB, 0);
	check_err(load(&m, k, NULL, NULL, &b, &e), -ENOEXEC, &e, k, "not x86_64");
	file_free(k);
	((Elf64_Ehdr *)img)->e_machine = EM_X86_64;
	img[EI_CLASS] = ELFCLASS32;
	k = file_new(img, len);
	check_err(load(&m, k, NULL, NULL, &b, &e), -ENOEXEC, &e, k, "not x86_64");
	file_free(k);
	free(img);
}
END_TEST

START_TEST(test_elf_rejects_loader_area_and_bad_entry)
{
	struct seg low = { PT_LOAD, 0x8000, 0, 0x10, 0x10, 1 };
	struct seg ebda = { PT_LOAD, 0xf0000, 0, 0x10, 0x10, 1 };
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	char *k = elf_file(&low, 1, 0x8000);

	mem_make(&m, 64 * MiB, 0);
	check_err(load(&m, k, NULL, NULL, &b, &e), -EINVAL, &e, k, "overlaps");
	file_free(k);
	k = elf_file(&ebda, 1, 0xf0000);
	check_err(load(&m, k, NULL, NULL, &b, &e), -EINVAL, &e, k, "overlaps");
	file_free(k);
	k = elf_file(two_segs, 2, 0x300000);
	check_err(load(&m, k, NULL, NULL, &b, &e), -ENOEXEC, &e, k,
		  "entry point");
	file_free(k);
}
END_TEST

START_TEST(test_rejects_file_that_is_not_a_kernel)
{
	static const char txt[] = "#!/bin/sh\necho hello\n";
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	char *k = file_new(txt, sizeof(txt));

	mem_make(&m, 64 * MiB, 0);
	check_err(load(&m, k, NULL, NULL, &b, &e), -ENOEXEC, &e, k,
		  "neither a bzImage nor an x86_64 ELF");
	file_free(k);
	check_err(load(&m, "/nonexistent/vmlinuz", NULL, NULL, &b, &e),
		  -ENOENT, &e, "/nonexistent/vmlinuz", "cannot open");
	check_err(load(&m, "/tmp", NULL, NULL, &b, &e), -EINVAL, &e, "/tmp",
		  "not a regular file");
}
END_TEST

START_TEST(test_rejects_missing_initrd)
{
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	char *k = elf_file(two_segs, 2, 0x100000);

	mem_make(&m, 64 * MiB, 0);
	check_err(load(&m, k, "/nonexistent/initrd.img", NULL, &b, &e),
		  -ENOENT, &e, "/nonexistent/initrd.img", "initrd");
	file_free(k);
}
END_TEST

/* --- bzImage ---------------------------------------------------------------- */

struct bz {
	uint16_t version, xloadflags;
	uint8_t setup_sects;
	uint32_t init_size, cmdline_size, initrd_addr_max;
	uint64_t pref_address;
	size_t pm_size;
};

static const struct bz bz_default = {
	0x020f, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G, 0,
	0x200000, 255, 0x7fffffff, 0x1000000, 0x10000,
};

/* A fake bzImage: setup sectors with a real-looking header, then pm_size
 * bytes of "protected-mode code" counting up. */
static char *bz_file(const struct bz *z)
{
	unsigned sects = z->setup_sects ? z->setup_sects : 4;
	size_t setup = (sects + 1) * 512, len = setup + z->pm_size, i;
	uint8_t *img = calloc(1, len);
	struct setup_header h;
	char *path;

	ck_assert_ptr_nonnull(img);
	memset(&h, 0, sizeof(h));
	h.setup_sects = z->setup_sects;
	h.syssize = (uint32_t)(z->pm_size / 16);
	h.vid_mode = 0xffff;
	h.boot_flag = 0xaa55;
	h.jump = 0x6aeb; /* jmp short: header ends at 0x202 + 0x6a = 0x26c */
	h.header = 0x53726448;
	h.version = z->version;
	h.loadflags = LOADED_HIGH;
	h.code32_start = 0x100000;
	h.initrd_addr_max = z->initrd_addr_max;
	h.kernel_alignment = 0x200000;
	h.relocatable_kernel = 1;
	h.min_alignment = 21;
	h.xloadflags = z->xloadflags;
	h.cmdline_size = z->cmdline_size;
	h.pref_address = z->pref_address;
	h.init_size = z->init_size;
	memcpy(img + 0x1f1, &h, sizeof(h));
	for (i = setup; i < len; i++)
		img[i] = (uint8_t)(i - setup);
	path = file_new(img, len);
	free(img);
	return path;
}

START_TEST(test_bzimage_loads_at_pref_address)
{
	struct gmem m;
	struct x86_boot b;
	struct boot_params *bp;
	char *k = bz_file(&bz_default);
	uint8_t *p;
	size_t i;

	mem_make(&m, 64 * MiB, 0);
	ck_assert_int_eq(load(&m, k, NULL, "console=ttyS0", &b, NULL), 0);
	ck_assert_uint_eq(b.entry, 0x1000200);
	ck_assert_uint_eq(b.kernel_start, 0x1000000);
	ck_assert_uint_eq(b.kernel_end, 0x1200000); /* init_size span */
	ck_assert_int_eq(b.is_linux, 1);
	p = gp(&m, 0x1000000, 0x10000);
	for (i = 0; i < 0x10000; i++)
		ck_assert_uint_eq(p[i], (uint8_t)i);
	bp = bp_of(&m);
	/* setup header copied, loader fields ours */
	ck_assert_uint_eq(bp->hdr.header, 0x53726448);
	ck_assert_uint_eq(bp->hdr.version, 0x020f);
	ck_assert_uint_eq(bp->hdr.boot_flag, 0xaa55);
	ck_assert_uint_eq(bp->hdr.pref_address, 0x1000000);
	ck_assert_uint_eq(bp->hdr.init_size, 0x200000);
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP);
	ck_assert_uint_eq(bp->hdr.code32_start, 0x1000000);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, X86_CMDLINE_ADDR);
	ck_assert_str_eq(gp(&m, X86_CMDLINE_ADDR, 16), "console=ttyS0");
	ck_assert_uint_eq(bp->e820_entries, 3);
	ck_assert_uint_eq(walk(&m, b.cr3, b.entry), b.entry);
	file_free(k);
}
END_TEST

START_TEST(test_bzimage_setup_sects_count)
{
	struct bz z = bz_default;
	struct gmem m;
	struct x86_boot b;
	char *k;

	z.setup_sects = 30; /* real kernels: ~30; the pm code follows */
	k = bz_file(&z);
	mem_make(&m, 64 * MiB, 0);
	ck_assert_int_eq(load(&m, k, NULL, NULL, &b, NULL), 0);
	ck_assert_uint_eq(*(uint8_t *)gp(&m, 0x1000001, 1), 1);
	ck_assert_uint_eq(*(uint8_t *)gp(&m, 0x10000ff, 1), 0xff);
	file_free(k);
}
END_TEST

START_TEST(test_bzimage_initrd_under_initrd_addr_max)
{
	struct bz z = bz_default;
	struct gmem m;
	struct x86_boot b;
	struct boot_params *bp;
	char *k, *rd = file_sized(5 * 4096 + 1, 0xee);

	/* under 32 MiB, though RAM goes to 64 MiB */
	z.initrd_addr_max = 32 * MiB - 1;
	k = bz_file(&z);
	mem_make(&m, 64 * MiB, 0);
	ck_assert_int_eq(load(&m, k, rd, NULL, &b, NULL), 0);
	bp = bp_of(&m);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, 32 * MiB - 6 * 4096);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, 5 * 4096 + 1);
	ck_assert_uint_eq(bp->ext_ramdisk_image, 0);
	ck_assert_uint_eq(*(uint8_t *)gp(&m, 32 * MiB - 6 * 4096, 1), 0xee);
	file_free(k);
	/* under RAM's end when initrd_addr_max is higher */
	z.initrd_addr_max = 0x7fffffff;
	k = bz_file(&z);
	ck_assert_int_eq(load(&m, k, rd, NULL, &b, NULL), 0);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, 64 * MiB - 6 * 4096);
	file_free(k);
	file_free(rd);
}
END_TEST

START_TEST(test_bzimage_rejects_old_protocol)
{
	struct bz z = bz_default;
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	char *k;

	z.version = 0x0205;
	k = bz_file(&z);
	mem_make(&m, 64 * MiB, 0);
	check_err(load(&m, k, NULL, NULL, &b, &e), -ENOEXEC, &e, k,
		  "2.05 is too old");
	file_free(k);
}
END_TEST

START_TEST(test_bzimage_rejects_no_64bit_entry)
{
	struct bz z = bz_default;
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	char *k;

	z.xloadflags = 0;
	k = bz_file(&z);
	mem_make(&m, 64 * MiB, 0);
	check_err(load(&m, k, NULL, NULL, &b, &e), -ENOEXEC, &e, k,
		  "64-bit entry");
	file_free(k);
}
END_TEST

START_TEST(test_bzimage_cmdline_limit)
{
	struct bz z = bz_default;
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	char *k;

	z.cmdline_size = 16;
	k = bz_file(&z);
	mem_make(&m, 64 * MiB, 0);
	ck_assert_int_eq(load(&m, k, NULL, "0123456789abcdef", &b, NULL), 0);
	check_err(load(&m, k, NULL, "0123456789abcdefg", &b, &e), -E2BIG, &e, k,
		  "cmdline is 17 bytes, the kernel accepts at most 16");
	file_free(k);
}
END_TEST

START_TEST(test_bzimage_rejects_initrd_too_big)
{
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	char *k = bz_file(&bz_default);
	char *rd = file_sized(47 * MiB, 0); /* kernel ends at 18 MiB */

	mem_make(&m, 64 * MiB, 0);
	check_err(load(&m, k, rd, NULL, &b, &e), -E2BIG, &e, rd,
		  "do not fit");
	file_free(rd);
	rd = file_sized(46 * MiB, 0); /* 18 + 46 = 64: just fits */
	ck_assert_int_eq(load(&m, k, rd, NULL, &b, NULL), 0);
	ck_assert_uint_eq(b.initrd_addr, 18 * MiB);
	file_free(rd);
	file_free(k);
}
END_TEST

START_TEST(test_bzimage_rejects_kernel_too_big)
{
	struct bz z = bz_default;
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	char *k;

	z.init_size = 0x3000000; /* 16 + 48 MiB > 32 MiB of RAM */
	k = bz_file(&z);
	mem_make(&m, 32 * MiB, 0);
	check_err(load(&m, k, NULL, NULL, &b, &e), -E2BIG, &e, k,
		  "low RAM ends at");
	file_free(k);
}
END_TEST

START_TEST(test_bzimage_rejects_truncated)
{
	struct gmem m;
	struct x86_boot b;
	struct vm_error *e = NULL;
	char *k = bz_file(&bz_default);

	ck_assert_int_eq(truncate(k, 5 * 512 + 0x8000), 0);
	mem_make(&m, 64 * MiB, 0);
	check_err(load(&m, k, NULL, NULL, &b, &e), -ENOEXEC, &e, k,
		  "truncated");
	ck_assert_int_eq(truncate(k, 0x300), 0);
	check_err(load(&m, k, NULL, NULL, &b, &e), -ENOEXEC, &e, k,
		  "setup code");
	file_free(k);
}
END_TEST

static Suite *boot_suite(void)
{
	Suite *s = suite_create("boot");
	TCase *tc = tcase_create("elf");

	/* Some write initrds of 15 MiB: under ASan on a loaded 2-core host
	 * one took longer than Check's default 4 s. */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_elf_segments_land_and_bss_is_zeroed);
	tcase_add_test(tc, test_elf_virtual_entry_is_translated);
	tcase_add_test(tc, test_elf_with_xen_note_is_linux);
	tcase_add_test(tc, test_gdt_has_flat_boot_cs_and_ds);
	tcase_add_test(tc, test_page_tables_identity_map_low_and_high_ram);
	tcase_add_test(tc, test_page_tables_small_ram_map_gib_0_and_the_pci_hole);
	tcase_add_test(tc, test_page_tables_beyond_fixed_area_need_gbpages);
	tcase_add_test(tc, test_page_tables_gbpages_leave_page_directories_untouched);
	tcase_add_test(tc, test_e820_small_ram);
	tcase_add_test(tc, test_e820_ram_above_4g);
	tcase_add_test(tc, test_elf_segment_in_high_ram);
	tcase_add_test(tc, test_no_cmdline_is_a_null_pointer_and_touches_nothing);
	tcase_add_test(tc, test_cmdline_and_initrd_placement);
	tcase_add_test(tc, test_acpi_rsdp_goes_to_boot_params);
	tcase_add_test(tc, test_initrd_never_overlaps_ebda_with_low_elf);
	tcase_add_test(tc, test_elf_rejects_segment_outside_ram);
	tcase_add_test(tc, test_elf_rejects_filesz_over_memsz);
	tcase_add_test(tc, test_elf_rejects_address_overflow);
	tcase_add_test(tc, test_elf_rejects_truncated_file);
	tcase_add_test(tc, test_elf_rejects_wrong_machine);
	tcase_add_test(tc, test_elf_rejects_loader_area_and_bad_entry);
	tcase_add_test(tc, test_rejects_file_that_is_not_a_kernel);
	tcase_add_test(tc, test_rejects_missing_initrd);
	suite_add_tcase(s, tc);

	tc = tcase_create("bzimage");
	tcase_add_test(tc, test_bzimage_loads_at_pref_address);
	tcase_add_test(tc, test_bzimage_setup_sects_count);
	tcase_add_test(tc, test_bzimage_initrd_under_initrd_addr_max);
	tcase_add_test(tc, test_bzimage_rejects_old_protocol);
	tcase_add_test(tc, test_bzimage_rejects_no_64bit_entry);
	tcase_add_test(tc, test_bzimage_cmdline_limit);
	tcase_add_test(tc, test_bzimage_rejects_initrd_too_big);
	tcase_add_test(tc, test_bzimage_rejects_kernel_too_big);
	tcase_add_test(tc, test_bzimage_rejects_truncated);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(boot_suite());
}
