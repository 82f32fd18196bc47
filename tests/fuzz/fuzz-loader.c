/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/fuzz/fuzz-loader.c: the x86 kernel loader (lib/arch/x86/boot.c,
 * e820.c) on arbitrary files, checking the layout boot.h promises.
 *
 * Input: a small header, then the kernel file itself.
 *   u8   RAM layout: low RAM of 1 MiB, 1 MiB + 256 KiB, 2 MiB or 17 MiB
 *        (bits 0-1), plus 2 MiB at 4 GiB (bit 2); gbpages (bit 3);
 *        an initrd (bit 4); a cmdline (bit 5)
 *   u32  initrd size (modulo low RAM + 1: from 0, which is refused, to
 *        all of low RAM)
 *   u16  cmdline length (modulo 4200: the fixed area holds 64 KiB, Linux
 *        takes up to cmdline_size)
 *   u16  padding: the file is the rest of the input followed by this many
 *        times 256 zero bytes, so a short input can describe segments far
 *        into a large file
 *   ...  the kernel file (bzImage, ELF64, or anything)
 * Files are memfds opened by path (/proc/self/fd/N), as the loader opens a
 * path. Guest RAM is fenced (tests/fuzz/fuzz.h) and the BIOS area
 * [EBDA, 1 MiB) is filled with a pattern standing for the ACPI tables.
 *
 * Invariants, whether the load succeeds or fails: [EBDA, 1 MiB) is never
 * written; a failure comes with an error whose code is the return value.
 * After a success: no ELF PT_LOAD segment and no bzImage span touches
 * [0, X86_LOADER_LOW_END) or [EBDA, 1 MiB); the initrd is page-aligned,
 * inside low RAM, below initrd_addr_max, clear of the kernel and of both
 * reserved ranges; the cmdline is ours and NUL-terminated; the e820 map is
 * sorted, non-overlapping, inside RAM and reserves [EBDA, 1 MiB); the
 * entry point is mapped 1:1 by the page tables when below map_end.
 *
 * Threads: one. Locking: none.
 */
#include <asm/bootparam.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/x86/boot.h"
#include "arch/x86/e820.h"
#include "fuzz.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define BIOS_FILL 0xee
#define BIOS_LEN (X86_LOW_RESERVED_END - X86_EBDA_START)

static const uint64_t low_sizes[] = { 1 * MiB, 1 * MiB + 256 * 1024,
				      2 * MiB, 17 * MiB };
static struct fuzz_ram rams[8];   /* one per layout, made on first use */
static int kfd = -1, ifd = -1;
static char kpath[64], ipath[64];
static char cmdline[4200 + 1];
static uint8_t bios_pattern[BIOS_LEN];
static int verbose;               /* FUZZ_VERBOSE=1: say what each input did */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kfd = memfd_create("fuzz-kernel", MFD_CLOEXEC);
	ifd = memfd_create("fuzz-initrd", MFD_CLOEXEC);
	if (kfd < 0 || ifd < 0)
		abort();
	memset(bios_pattern, BIOS_FILL, sizeof(bios_pattern));
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	snprintf(kpath, sizeof(kpath), "/proc/self/fd/%d", kfd);
	snprintf(ipath, sizeof(ipath), "/proc/self/fd/%d", ifd);
	return 0;
}

static struct fuzz_ram *ram_for(unsigned layout)
{
	struct fuzz_ram *r = &rams[layout & 7];

	if (!r->gm.nr) {
		struct fuzz_ram_region reg[2] = {
			{ 0, low_sizes[layout & 3] },
			{ 4 * GiB, 2 * MiB },
		};

		if (fuzz_ram_init(r, reg, (layout & 4) ? 2 : 1))
			abort();
	}
	return r;
}

static int overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

static int in_reserved(uint64_t a0, uint64_t a1)
{
	return overlaps(a0, a1, 0, X86_LOADER_LOW_END) ||
	       overlaps(a0, a1, X86_EBDA_START, X86_LOW_RESERVED_END);
}

static void check_bios_area(const struct gmem *gm)
{
	const uint8_t *p = gmem_ptr(gm, X86_EBDA_START, BIOS_LEN);

	FUZZ_CHECK(p && !memcmp(p, bios_pattern, BIOS_LEN));
}

/* Every loadable segment of an ELF file, parsed here independently. */
static void check_elf_segments(const uint8_t *file, size_t len,
			       const struct x86_boot *b)
{
	Elf64_Ehdr eh;
	unsigned i;

	if (len < sizeof(eh) || memcmp(file, ELFMAG, SELFMAG))
		return;
	memcpy(&eh, file, sizeof(eh));
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t off = eh.e_phoff + (uint64_t)i * sizeof(ph);

		if (off > len || sizeof(ph) > len - off)
			break;  /* in the zero padding: PT_NULL */
		memcpy(&ph, file + off, sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		FUZZ_CHECK(!in_reserved(ph.p_paddr, ph.p_paddr + ph.p_memsz));
		FUZZ_CHECK(ph.p_paddr >= b->kernel_start &&
			   ph.p_paddr + ph.p_memsz <= b->kernel_end);
	}
}

static uint64_t walk(const struct gmem *gm, uint64_t cr3, uint64_t va)
{
	const uint64_t *e;

	e = gmem_ptr(gm, cr3 + ((va >> 39) & 511) * 8, 8);
	if (!e || !(*e & 1))
		return UINT64_MAX;
	e = gmem_ptr(gm, (*e & 0xffffffffff000ull) + ((va >> 30) & 511) * 8, 8);
	if (!e || !(*e & 1))
		return UINT64_MAX;
	if (*e & 0x80)
		return (*e & 0xfffffc0000000ull) | (va & (GiB - 1));
	e = gmem_ptr(gm, (*e & 0xffffffffff000ull) + ((va >> 21) & 511) * 8, 8);
	if (!e || !(*e & 1) || !(*e & 0x80))
		return UINT64_MAX;
	return (*e & 0xfffffffe00000ull) | (va & (2 * MiB - 1));
}

static void check_layout(const struct gmem *gm, const struct x86_boot *b,
			 const uint8_t *file, size_t len, uint64_t low,
			 const char *cmd)
{
	const struct boot_params *bp = gmem_ptr(gm, X86_BOOT_PARAMS, sizeof(*bp));
	const char *c;
	unsigned i;

	FUZZ_CHECK(bp);
	FUZZ_CHECK(b->boot_params == X86_BOOT_PARAMS);
	FUZZ_CHECK(b->kernel_start < b->kernel_end);
	if (!memcmp(file, ELFMAG, SELFMAG) && len >= SELFMAG) {
		check_elf_segments(file, len, b);
	} else {
		/* bzImage: the whole init_size span above 1 MiB, low RAM */
		FUZZ_CHECK(b->kernel_start >= X86_LOW_RESERVED_END);
		FUZZ_CHECK(b->kernel_end <= low);
		FUZZ_CHECK(b->entry == b->kernel_start + 0x200);
	}
	if (b->initrd_addr) {
		uint64_t a = b->initrd_addr, e = a + b->initrd_size;

		FUZZ_CHECK((a & 4095) == 0 && b->initrd_size && e <= low);
		FUZZ_CHECK(!in_reserved(a, e));
		FUZZ_CHECK(!overlaps(a, e, b->kernel_start, b->kernel_end));
		FUZZ_CHECK(e - 1 <= bp->hdr.initrd_addr_max);
		FUZZ_CHECK(bp->hdr.ramdisk_image == (uint32_t)a &&
			   bp->hdr.ramdisk_size == (uint32_t)b->initrd_size);
	}
	if (*cmd) {
		FUZZ_CHECK(bp->hdr.cmd_line_ptr == X86_CMDLINE_ADDR);
		c = gmem_ptr(gm, X86_CMDLINE_ADDR, strlen(cmd) + 1);
		FUZZ_CHECK(c && !strcmp(c, cmd));
	} else {
		FUZZ_CHECK(bp->hdr.cmd_line_ptr == 0); /* none: not written */
	}
	FUZZ_CHECK(bp->e820_entries >= 2 &&
		   bp->e820_entries <= E820_MAX_ENTRIES_ZEROPAGE);
	for (i = 0; i < bp->e820_entries; i++) {
		const struct boot_e820_entry *e = &bp->e820_table[i];

		FUZZ_CHECK(e->size && e->addr + e->size > e->addr);
		if (i)
			FUZZ_CHECK(e->addr >= bp->e820_table[i - 1].addr +
						      bp->e820_table[i - 1].size);
		if (e->type == X86_E820_RAM) {
			FUZZ_CHECK(gmem_ptr(gm, e->addr, e->size));
			FUZZ_CHECK(!overlaps(e->addr, e->addr + e->size,
					     X86_EBDA_START, X86_LOW_RESERVED_END));
		}
		if (e->addr == X86_EBDA_START)
			FUZZ_CHECK(e->type == X86_E820_RESERVED &&
				   e->addr + e->size == X86_LOW_RESERVED_END);
	}
	if (b->entry < b->map_end)
		FUZZ_CHECK(walk(gm, b->cr3, b->entry) == b->entry);
}

static int put_file(int fd, const uint8_t *p, size_t n, uint64_t total)
{
	if (ftruncate(fd, 0) < 0 || (n && pwrite(fd, p, n, 0) != (ssize_t)n) ||
	    ftruncate(fd, (off_t)total) < 0)
		return -1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	uint8_t layout = fin_u8(&in);
	uint32_t rd_size = fin_u32(&in);
	uint16_t cmd_len = fin_u16(&in), pad = fin_u16(&in);
	struct fuzz_ram *ram = ram_for(layout);
	uint64_t low = ram->gm.r[0].size;
	struct x86_boot_config cfg = { 0 };
	struct vm_error *err = NULL;
	struct x86_boot b;
	int rc;

	if (put_file(kfd, in.p, in.n, in.n + (uint64_t)pad * 256))
		abort();
	cfg.kernel = kpath;
	cfg.vcpus = 1;
	cfg.gbpages = (layout >> 3) & 1;
	cfg.acpi_rsdp = X86_ACPI_ADDR;
	if (layout & 0x10) {
		if (put_file(ifd, NULL, 0, rd_size % (low + 1)))
			abort();
		cfg.initrd = ipath;
	}
	cmd_len = (uint16_t)(cmd_len % (sizeof(cmdline) - 1));
	memset(cmdline, 'k', cmd_len);
	cmdline[cmd_len] = '\0';
	if (layout & 0x20)
		cfg.cmdline = cmdline;

	/* Stale bytes from the last input must not matter: the loader
	 * writes everything it promises, so only the BIOS area is reset. */
	memcpy(gmem_ptr(&ram->gm, X86_EBDA_START, BIOS_LEN), bios_pattern,
	       BIOS_LEN);
	rc = x86_boot_load(&ram->gm, &cfg, &b, &err);
	check_bios_area(&ram->gm);
	if (verbose)
		fprintf(stderr, "load: %d %s; kernel [0x%llx, 0x%llx) initrd 0x%llx+0x%llx\n",
			rc, err ? vm_error_message(err) : "ok",
			(unsigned long long)b.kernel_start,
			(unsigned long long)b.kernel_end,
			(unsigned long long)b.initrd_addr,
			(unsigned long long)b.initrd_size);
	if (rc) {
		FUZZ_CHECK(rc < 0 && err && vm_error_code(err) == rc &&
			   vm_error_message(err)[0]);
		vm_error_free(err);
		return 0;
	}
	FUZZ_CHECK(!err);
	check_layout(&ram->gm, &b, in.p, in.n, low, cfg.cmdline ? cmdline : "");
	return 0;
}
