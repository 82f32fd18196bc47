/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-acpi.c: ACPI tables (lib/arch/x86/acpi.c), the AML
 * emitter (acpi-aml.c) and the PM1a/reset registers (acpi-pm.c).
 *
 * Tables are read back the way a guest OS does: scan the BIOS area for
 * the RSDP, follow XSDT pointers, check every checksum, parse by offsets
 * taken from the ACPI 6.4 spec (not from our own structs).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arch/x86/acpi-aml.h"
#include "arch/x86/acpi-pm.h"
#include "arch/x86/acpi.h"
#include "arch/x86/boot.h"
#include "arch/x86/vmgenid.h"
#include "check-main.h"
#include "irq-rec.h"

#define MiB (1ull << 20)

static void mem_make(struct gmem *m, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->base = p;
	m->size = size;
	m->nr = 1;
	m->r[0] = (struct gmem_region){ 0, size, 0, p };
}

static const uint8_t *gp(struct gmem *m, uint64_t gpa, uint64_t len)
{
	const uint8_t *p = gmem_ptr(m, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* A table by guest address, with its checksum verified. */
static const uint8_t *table(struct gmem *m, uint64_t gpa, const char *sig)
{
	const uint8_t *h = gp(m, gpa, 36);
	uint32_t len = rd32(h + 4);

	ck_assert_msg(!memcmp(h, sig, 4), "want %s, got %.4s", sig, h);
	ck_assert_uint_ge(len, 36);
	h = gp(m, gpa, len);
	ck_assert_msg(sum(h, len) == 0, "%s checksum", sig);
	ck_assert(gpa >= X86_ACPI_ADDR && gpa + len <= X86_ACPI_AREA_END);
	return h;
}

/* Linux/ACPICA acpi_find_root_pointer(): 16-byte steps over 0xe0000..
 * 0xfffff, signature plus the 20-byte checksum. */
static uint64_t scan_rsdp(struct gmem *m)
{
	uint64_t a;

	for (a = 0xe0000; a < 0x100000; a += 16) {
		const uint8_t *p = gp(m, a, 36);

		if (!memcmp(p, "RSD PTR ", 8) && sum(p, 20) == 0)
			return a;
	}
	return 0;
}

/* The table with @sig listed in the XSDT, or NULL. */
static const uint8_t *find(struct gmem *m, uint64_t rsdp, const char *sig)
{
	const uint8_t *r = gp(m, rsdp, 36);
	const uint8_t *x = table(m, rd64(r + 24), "XSDT");
	uint32_t n = (rd32(x + 4) - 36) / 8, i;

	for (i = 0; i < n; i++) {
		uint64_t a = rd64(x + 36 + 8 * i);

		if (!memcmp(gp(m, a, 4), sig, 4))
			return table(m, a, sig);
	}
	return NULL;
}

static uint64_t build(struct gmem *m, const struct x86_acpi_config *cfg)
{
	uint64_t rsdp = 0;
	struct vm_error *e = NULL;
	int rc = x86_acpi_build(m, cfg, &rsdp, &e);

	ck_assert_msg(rc == 0, "%s", e ? e->msg : "?");
	return rsdp;
}

static const uint8_t *memmem_or_null(const uint8_t *h, size_t hl,
				     const void *n, size_t nl)
{
	return memmem(h, hl, n, nl);
}

START_TEST(test_rsdp_is_found_by_scanning_and_checksums_hold)
{
	struct x86_acpi_config cfg = { .vcpus = 2 };
	struct gmem m;
	uint64_t rsdp;
	const uint8_t *r, *x, *rs, *fadt;
	uint32_t i, n;

	mem_make(&m, 16 * MiB);
	memset(m.base + X86_ACPI_ADDR, 0x5a, 0x20000); /* stale junk */
	rsdp = build(&m, &cfg);
	ck_assert_uint_eq(scan_rsdp(&m), rsdp);
	r = gp(&m, rsdp, 36);
	ck_assert_uint_eq(r[15], 2);           /* revision */
	ck_assert_uint_eq(rd32(r + 20), 36);   /* length */
	ck_assert_uint_eq(sum(r, 36), 0);      /* extended checksum */
	x = table(&m, rd64(r + 24), "XSDT");
	rs = table(&m, rd32(r + 16), "RSDT");
	n = (rd32(x + 4) - 36) / 8;
	ck_assert_uint_eq(n, 2);                /* FADT, MADT */
	ck_assert_uint_eq((rd32(rs + 4) - 36) / 4, n);
	for (i = 0; i < n; i++) {
		const uint8_t *t = gp(&m, rd64(x + 36 + 8 * i), 4);

		table(&m, rd64(x + 36 + 8 * i), (const char *)t);
		ck_assert_uint_eq(rd32(rs + 36 + 4 * i), rd64(x + 36 + 8 * i));
	}
	fadt = find(&m, rsdp, "FACP");
	ck_assert_ptr_nonnull(fadt);
	table(&m, rd64(fadt + 140), "DSDT");
	ck_assert_ptr_nonnull(find(&m, rsdp, "APIC"));
}
END_TEST

START_TEST(test_fadt_fields)
{
	struct x86_acpi_config cfg = { .vcpus = 1 };
	struct gmem m;
	const uint8_t *f, *facs;
	uint64_t rsdp;

	mem_make(&m, 16 * MiB);
	rsdp = build(&m, &cfg);
	f = find(&m, rsdp, "FACP");
	ck_assert_uint_eq(rd32(f + 4), 276);        /* length, rev 6 */
	ck_assert_uint_eq(f[8], 6);
	ck_assert_uint_eq(rd16(f + 46), 9);         /* SCI_INT */
	ck_assert_uint_eq(rd32(f + 48), 0);         /* no SMI_CMD */
	ck_assert_uint_eq(rd32(f + 56), 0x600);     /* PM1a_EVT_BLK */
	ck_assert_uint_eq(rd32(f + 64), 0x604);     /* PM1a_CNT_BLK */
	ck_assert_uint_eq(rd32(f + 76), 0);         /* no PM timer */
	ck_assert_uint_eq(f[88], 4);                /* PM1_EVT_LEN */
	ck_assert_uint_eq(f[89], 2);                /* PM1_CNT_LEN */
	ck_assert_uint_gt(rd16(f + 96), 100);       /* no C2 */
	ck_assert_uint_gt(rd16(f + 98), 1000);      /* no C3 */
	ck_assert_uint_eq(rd16(f + 109) & 0x2, 0);  /* no 8042 by default */
	ck_assert(rd16(f + 109) & 0x4);             /* no VGA */
	ck_assert(rd32(f + 112) & (1u << 10));      /* RESET_REG_SUP */
	ck_assert_uint_eq(rd32(f + 112) & (1u << 20), 0); /* not HW-reduced */
	/* RESET_REG: SystemIO, 8 bits, byte access, 0xcf9; value 6 */
	ck_assert_uint_eq(f[116], 1);
	ck_assert_uint_eq(f[117], 8);
	ck_assert_uint_eq(f[118], 0);
	ck_assert_uint_eq(f[119], 1);
	ck_assert_uint_eq(rd64(f + 120), 0xcf9);
	ck_assert_uint_eq(f[128], 6);
	/* X_PM1a_EVT_BLK / X_PM1a_CNT_BLK agree with the 32-bit fields */
	ck_assert_uint_eq(f[148], 1);
	ck_assert_uint_eq(f[149], 32);
	ck_assert_uint_eq(rd64(f + 152), 0x600);
	ck_assert_uint_eq(f[172], 1);
	ck_assert_uint_eq(f[173], 16);
	ck_assert_uint_eq(rd64(f + 176), 0x604);
	ck_assert_uint_eq(rd32(f + 40), rd64(f + 140)); /* DSDT == X_DSDT */
	ck_assert_uint_eq(rd32(f + 36), 0); /* FACS via X_FIRMWARE_CTRL only */
	ck_assert_uint_ne(rd64(f + 132), 0);
	ck_assert_uint_eq(rd64(f + 132) % 64, 0);
	facs = gp(&m, rd64(f + 132), 64);
	ck_assert(!memcmp(facs, "FACS", 4));
	ck_assert_uint_eq(rd32(facs + 4), 64);

	cfg.flags = X86_ACPI_F_I8042 | X86_ACPI_F_NO_RTC;
	cfg.pm_base = 0xb000;
	rsdp = build(&m, &cfg);
	f = find(&m, rsdp, "FACP");
	ck_assert(rd16(f + 109) & 0x2);
	ck_assert(rd16(f + 109) & 0x20);
	ck_assert_uint_eq(rd32(f + 56), 0xb000);
	ck_assert_uint_eq(rd32(f + 64), 0xb004);
}
END_TEST

static void check_madt(unsigned vcpus, uint32_t flags)
{
	struct x86_acpi_config cfg = { .vcpus = vcpus, .flags = flags };
	struct gmem m;
	const uint8_t *t, *p, *end;
	unsigned lapic = 0, x2apic = 0, ioapic = 0, iso0 = 0, iso9 = 0, nmi = 0;

	mem_make(&m, 16 * MiB);
	t = find(&m, build(&m, &cfg), "APIC");
	ck_assert_uint_eq(rd32(t + 36), 0xfee00000);
	ck_assert_uint_eq(rd32(t + 40) & 1, 1);
	end = t + rd32(t + 4);
	for (p = t + 44; p < end; p += p[1]) {
		ck_assert_uint_ge(p[1], 2);
		switch (p[0]) {
		case 0: /* Processor Local APIC: uid, id, flags */
			ck_assert_uint_eq(p[3], lapic);
			ck_assert_uint_eq(p[2], lapic);
			ck_assert_uint_eq(rd32(p + 4) & 1, 1);
			lapic++;
			break;
		case 9: /* Processor Local x2APIC */
			ck_assert_uint_eq(rd32(p + 4), 255 + x2apic);
			ck_assert_uint_eq(rd32(p + 8) & 1, 1);
			x2apic++;
			break;
		case 1:
			ck_assert_uint_eq(rd32(p + 4), 0xfec00000);
			ck_assert_uint_eq(rd32(p + 8), 0);
			ioapic++;
			break;
		case 2:
			ck_assert_uint_eq(p[2], 0); /* ISA */
			if (p[3] == 0) {
				ck_assert_uint_eq(rd32(p + 4), 2);
				iso0++;
			} else if (p[3] == 9) {
				ck_assert_uint_eq(rd32(p + 4), 9);
				ck_assert_uint_eq(rd16(p + 8), 0xd);
				iso9++;
			}
			break;
		case 4:
			ck_assert_uint_eq(p[5], 1);
			nmi++;
			break;
		default:
			ck_abort_msg("unexpected MADT entry type %u", p[0]);
		}
	}
	ck_assert(p == end);
	ck_assert_uint_eq(lapic + x2apic, vcpus);
	ck_assert_uint_eq(lapic, vcpus < 255 ? vcpus : 255);
	ck_assert_uint_eq(ioapic, 1);
	ck_assert_uint_eq(iso0, flags & X86_ACPI_F_IRQ0_GSI2 ? 1 : 0);
	ck_assert_uint_eq(iso9, 1);
	ck_assert_uint_eq(nmi, 1);
}

START_TEST(test_madt_one_lapic_per_vcpu)
{
	check_madt(1, 0);
	check_madt(2, 0);
	check_madt(8, X86_ACPI_F_IRQ0_GSI2);
	check_madt(300, 0); /* x2APIC entries from ID 255 on */
}
END_TEST

START_TEST(test_dsdt_has_s5_and_sb_extension)
{
	/* Name (\_S5, Package (4) { 5, 5, 0, 0 }) */
	static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12,
				      0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05,
				      0x00, 0x00 };
	struct x86_acpi_config cfg = { .vcpus = 1 };
	struct aml sb;
	struct gmem m;
	const uint8_t *f, *d;
	size_t dev;

	mem_make(&m, 16 * MiB);
	f = find(&m, build(&m, &cfg), "FACP");
	d = table(&m, rd64(f + 140), "DSDT");
	ck_assert_uint_eq(d[8], 2); /* 64-bit integers */
	ck_assert_ptr_nonnull(memmem_or_null(d, rd32(d + 4), s5, sizeof(s5)));

	aml_init(&sb);
	dev = aml_device_begin(&sb, "PCI0");
	aml_name(&sb, "_HID");
	aml_eisaid(&sb, "PNP0A03");
	aml_end(&sb, dev);
	ck_assert_int_eq(sb.err, 0);
	cfg.sb_aml = sb.buf;
	cfg.sb_aml_len = sb.len;
	f = find(&m, build(&m, &cfg), "FACP");
	d = table(&m, rd64(f + 140), "DSDT");
	ck_assert_ptr_nonnull(memmem_or_null(d, rd32(d + 4), s5, sizeof(s5)));
	/* Scope (\_SB) { Device (PCI0) { ... } } */
	{
		static const uint8_t scope[] = { 0x10, 0x17, '\\', '_', 'S', 'B',
						 '_', 0x5b, 0x82, 0x0f, 'P',
						 'C', 'I', '0', 0x08, '_', 'H',
						 'I', 'D', 0x0c, 0x41, 0xd0,
						 0x0a, 0x03 };

		ck_assert_ptr_nonnull(memmem_or_null(d, rd32(d + 4), scope,
						     sizeof(scope)));
	}
	aml_fini(&sb);
}
END_TEST

/* The VM Generation ID: FADT GPE0 block, Device (VGEN) with the IDs Linux
 * binds on and ADDR, \_GPE._E00 notifying it; none of it without. */
START_TEST(test_vmgenid_device_and_gpe_block)
{
	/* Name (ADDR, Package (2) { 0x9fc00, 0 }) */
	static const uint8_t addr[] = { 0x08, 'A', 'D', 'D', 'R', 0x12, 0x08,
					0x02, 0x0c, 0x00, 0xfc, 0x09, 0x00,
					0x00 };
	/* Method (_E00, 0) { Notify (\_SB.VGEN, 0x80) } */
	static const uint8_t e00[] = { 0x14, 0x13, '_', 'E', '0', '0', 0x00,
				       0x86, '\\', 0x2e, '_', 'S', 'B', '_',
				       'V', 'G', 'E', 'N', 0x0a, 0x80 };
	struct x86_acpi_config cfg = { .vcpus = 1 };
	const uint8_t *f, *d;
	struct gmem m;
	size_t len;

	mem_make(&m, 16 * MiB);
	f = find(&m, build(&m, &cfg), "FACP");
	ck_assert_uint_eq(rd32(f + 80), 0);  /* GPE0_BLK */
	ck_assert_uint_eq(f[92], 0);         /* GPE0_BLK_LEN */
	d = table(&m, rd64(f + 140), "DSDT");
	ck_assert_ptr_null(memmem_or_null(d, rd32(d + 4),
					  (const uint8_t *)"VMGENCTR", 8));

	cfg.vmgenid_gpa = X86_VMGENID_ADDR;
	cfg.gpe0_base = X86_ACPI_GPE0_BASE;
	f = find(&m, build(&m, &cfg), "FACP");
	ck_assert_uint_eq(rd32(f + 80), X86_ACPI_GPE0_BASE);
	ck_assert_uint_eq(f[92], X86_ACPI_GPE0_LEN);
	ck_assert_uint_eq(f[220], 1);                    /* X_GPE0_BLK: I/O */
	ck_assert_uint_eq(f[221], 8 * X86_ACPI_GPE0_LEN); /* bit width */
	ck_assert_uint_eq(rd64(f + 224), X86_ACPI_GPE0_BASE);
	d = table(&m, rd64(f + 140), "DSDT");
	len = rd32(d + 4);
	ck_assert_uint_eq(sum(d, len), 0);
	ck_assert_ptr_nonnull(memmem_or_null(d, len, (const uint8_t *)"VMGENCTR", 9));
	ck_assert_ptr_nonnull(memmem_or_null(d, len,
					     (const uint8_t *)"VM_GEN_COUNTER", 15));
	ck_assert_ptr_nonnull(memmem_or_null(d, len, addr, sizeof(addr)));
	ck_assert_ptr_nonnull(memmem_or_null(d, len, e00, sizeof(e00)));
}
END_TEST

START_TEST(test_extra_tables_are_listed_and_checked)
{
	struct {
		struct x86_acpi_header h;
		uint8_t body[24];
	} mcfg;
	struct x86_acpi_blob blob = { &mcfg, sizeof(mcfg) };
	struct x86_acpi_config cfg = { .vcpus = 1, .tables = &blob,
				       .nr_tables = 1 };
	struct vm_error *e = NULL;
	struct gmem m;
	const uint8_t *t;
	uint64_t rsdp;
	uint8_t *big;

	memset(&mcfg, 0, sizeof(mcfg));
	x86_acpi_header_init(&mcfg.h, "MCFG", sizeof(mcfg), 1);
	mcfg.body[8] = 0xb0; /* something to checksum */
	mem_make(&m, 16 * MiB);
	t = find(&m, build(&m, &cfg), "MCFG");
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t[36 + 8], 0xb0);

	mcfg.h.length = 10; /* header disagrees with the blob */
	ck_assert_int_eq(x86_acpi_build(&m, &cfg, &rsdp, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e->msg, "MCFG"));
	free(e->msg);
	free(e);
	e = NULL;

	big = calloc(1, 200000); /* bigger than the BIOS area */
	x86_acpi_header_init((struct x86_acpi_header *)big, "BIGT", 200000, 1);
	blob.data = big;
	blob.len = 200000;
	ck_assert_int_eq(x86_acpi_build(&m, &cfg, &rsdp, &e), -ENOSPC);
	free(e->msg);
	free(e);
	free(big);
}
END_TEST

START_TEST(test_build_rejects_bad_config)
{
	struct x86_acpi_config cfg = { .vcpus = 0 };
	struct vm_error *e = NULL;
	struct gmem m;
	uint64_t rsdp;

	mem_make(&m, 16 * MiB);
	ck_assert_int_eq(x86_acpi_build(&m, &cfg, &rsdp, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e->msg, "vCPUs"));
	free(e->msg);
	free(e);
	e = NULL;
	cfg.vcpus = X86_ACPI_MAX_VCPUS + 1;
	ck_assert_int_eq(x86_acpi_build(&m, &cfg, &rsdp, NULL), -EINVAL);
	cfg.vcpus = 1;
	mem_make(&m, 512 * 1024); /* RAM ends below the BIOS area */
	ck_assert_int_eq(x86_acpi_build(&m, &cfg, &rsdp, &e), -EFAULT);
	free(e->msg);
	free(e);
}
END_TEST

/* --- AML encodings ------------------------------------------------------ */

START_TEST(test_aml_integers_and_names)
{
	static const uint8_t want[] = {
		0x00, 0x01, 0xff, 0x0a, 0x02, 0x0b, 0x34, 0x12,
		0x0c, 0x78, 0x56, 0x34, 0x12,
		0x0e, 0x01, 0, 0, 0, 1, 0, 0, 0,
		'_', 'S', 'B', '_',                         /* "_SB" */
		0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
		0x5e, 0x2f, 3, 'A', '_', '_', '_', 'B', 'C', '_', '_',
		'C', 'D', 'E', 'F',
		0x0d, 'h', 'i', 0,
		0x0c, 0x41, 0xd0, 0x0c, 0x02, /* EISAID("PNP0C02") */
	};
	struct aml a;

	aml_init(&a);
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, UINT64_MAX);
	aml_integer(&a, 2);
	aml_integer(&a, 0x1234);
	aml_integer(&a, 0x12345678);
	aml_integer(&a, 0x100000001ull);
	aml_namestring(&a, "_SB");
	aml_namestring(&a, "\\_SB.PCI0");
	aml_namestring(&a, "^A.BC.CDEF");
	aml_string(&a, "hi");
	aml_eisaid(&a, "PNP0C02");
	ck_assert_int_eq(a.err, 0);
	ck_assert_uint_eq(a.len, sizeof(want));
	ck_assert_mem_eq(a.buf, want, sizeof(want));
	aml_fini(&a);
}
END_TEST

START_TEST(test_aml_rejects_bad_names)
{
	static const char *const bad[] = { "TOOLONG", "1ABC", "a", "A..B",
					   "AB.", "\\\\X", "A-B" };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aml a;

		aml_init(&a);
		aml_namestring(&a, bad[i]);
		ck_assert_msg(a.err == -EINVAL, "'%s' accepted", bad[i]);
		aml_fini(&a);
	}
}
END_TEST

/* PkgLength: 1 byte up to 63, 2 bytes up to 4095, 3 bytes beyond. */
static void check_pkglen(size_t body, const uint8_t *want, size_t n)
{
	struct aml a;
	uint8_t *junk = calloc(1, body);
	size_t mark;

	aml_init(&a);
	mark = aml_scope_begin(&a, "X");
	aml_raw(&a, junk, body - 4); /* + the 4-byte name "X___" */
	aml_end(&a, mark);
	ck_assert_int_eq(a.err, 0);
	ck_assert_uint_eq(a.len, 1 + n + body);
	ck_assert_uint_eq(a.buf[0], 0x10);
	ck_assert_mem_eq(a.buf + 1, want, n);
	ck_assert_mem_eq(a.buf + 1 + n, "X___", 4);
	aml_fini(&a);
	free(junk);
}

START_TEST(test_aml_pkglength_encodings)
{
	check_pkglen(62, (const uint8_t[]){ 63 }, 1);
	/* 63 + 2 = 65 = 0x41: lead 0x40 | 1, then 0x04 */
	check_pkglen(63, (const uint8_t[]){ 0x41, 0x04 }, 2);
	/* 4093 + 2 = 4095 = 0xfff */
	check_pkglen(4093, (const uint8_t[]){ 0x4f, 0xff }, 2);
	/* 4094 + 3 = 4097 = 0x1001: lead 0x80 | 1, 0x00, 0x01 */
	check_pkglen(4094, (const uint8_t[]){ 0x81, 0x00, 0x01 }, 3);
	/* 0x100000 + 4 = 0x100004: lead 0xc0 | 4, 0x00, 0x00, 0x01 */
	check_pkglen(0x100000, (const uint8_t[]){ 0xc4, 0x00, 0x00, 0x01 }, 4);
}
END_TEST

START_TEST(test_aml_method_and_resources)
{
	static const uint8_t method[] = { 0x14, 0x09, '_', 'S', 'T', 'A',
					  0x00, 0xa4, 0x0a, 0x0f };
	static const uint8_t res[] = {
		0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08,  /* IO */
		0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0x00, 0x00,
		0xff, 0x00, 0, 0, 0x00, 0x01,               /* WordBusNumber */
		0x79, 0x00,
	};
	struct aml a, r;
	size_t mark;

	aml_init(&a);
	mark = aml_method_begin(&a, "_STA", 0, 0);
	aml_return(&a);
	aml_integer(&a, 0xf);
	aml_end(&a, mark);
	ck_assert_uint_eq(a.len, sizeof(method));
	ck_assert_mem_eq(a.buf, method, sizeof(method));
	aml_fini(&a);

	aml_init(&r);
	aml_res_io(&r, 0xcf8, 8);
	aml_res_word_bus(&r, 0, 0xff);
	aml_res_end(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.len, sizeof(res));
	ck_assert_mem_eq(r.buf, res, sizeof(res));
	/* as Buffer: 0x11 PkgLength BufferSize bytes */
	aml_init(&a);
	aml_buffer(&a, r.buf, r.len);
	ck_assert_uint_eq(a.buf[0], 0x11);
	ck_assert_uint_eq(a.buf[1], 1 + 2 + sizeof(res));
	ck_assert_uint_eq(a.buf[2], 0x0a);
	ck_assert_uint_eq(a.buf[3], sizeof(res));
	ck_assert_mem_eq(a.buf + 4, res, sizeof(res));
	aml_fini(&a);
	aml_fini(&r);
}
END_TEST

/* --- PM1a block and reset register --------------------------------------- */

struct power_rec {
	int calls, reason;
};

static void power_cb(void *opaque, int reason)
{
	struct power_rec *p = opaque;

	p->calls++;
	p->reason = reason;
}

static void pm_setup(struct iomap *io, struct x86_acpi_pm *pm,
		     struct power_rec *rec, uint16_t reset_port)
{
	struct x86_acpi_pm_config cfg = { .reset_port = reset_port,
					  .power = power_cb, .opaque = rec };

	memset(rec, 0, sizeof(*rec));
	ck_assert_int_eq(iomap_init(io, "pio"), 0);
	ck_assert_int_eq(x86_acpi_pm_init(pm, io, &cfg, NULL), 0);
}

START_TEST(test_pm_s5_write_powers_off)
{
	struct iomap io;
	struct x86_acpi_pm pm;
	struct power_rec rec;
	uint16_t v;

	pm_setup(&io, &pm, &rec, X86_ACPI_RESET_PORT);
	/* ACPICA: SLP_TYP first, then SLP_TYP | SLP_EN (hwsleep.c) */
	v = X86_ACPI_SLP_TYP_S5 << 10;
	ck_assert_int_eq(iomap_write(&io, 0x604, &v, 2), 0);
	ck_assert_int_eq(rec.calls, 0);
	v = 0;
	ck_assert_int_eq(iomap_read(&io, 0x604, &v, 2), 0);
	ck_assert_uint_eq(v, (X86_ACPI_SLP_TYP_S5 << 10) | 1); /* SCI_EN */
	v = (X86_ACPI_SLP_TYP_S5 << 10) | (1 << 13);
	ck_assert_int_eq(iomap_write(&io, 0x604, &v, 2), 0);
	ck_assert_int_eq(rec.calls, 1);
	ck_assert_int_eq(rec.reason, VM_EXIT_POWEROFF);
	ck_assert_int_eq(iomap_read(&io, 0x604, &v, 2), 0);
	ck_assert_uint_eq(v & (1 << 13), 0); /* SLP_EN reads 0 */
	x86_acpi_pm_fini(&pm);
	iomap_fini(&io);
}
END_TEST

START_TEST(test_pm_other_sleep_types_and_byte_writes)
{
	struct iomap io;
	struct x86_acpi_pm pm;
	struct power_rec rec;
	uint16_t v;
	uint8_t b;
	uint32_t d;

	pm_setup(&io, &pm, &rec, X86_ACPI_RESET_PORT);
	v = (1 << 10) | (1 << 13); /* S1: not offered, ignored */
	ck_assert_int_eq(iomap_write(&io, 0x604, &v, 2), 0);
	ck_assert_int_eq(rec.calls, 0);
	/* high byte alone: SLP_EN (bit 5) | SLP_TYP 5 (bits 4:2) */
	b = 0x20 | (X86_ACPI_SLP_TYP_S5 << 2);
	ck_assert_int_eq(iomap_write(&io, 0x605, &b, 1), 0);
	ck_assert_int_eq(rec.calls, 1);
	ck_assert_int_eq(rec.reason, VM_EXIT_POWEROFF);
	/* PM1_EN read/write; PM1_STS write-1-to-clear stays 0 */
	d = 0xffff0120;
	ck_assert_int_eq(iomap_write(&io, 0x600, &d, 4), 0);
	d = 0;
	ck_assert_int_eq(iomap_read(&io, 0x600, &d, 4), 0);
	ck_assert_uint_eq(d, 0xffff0000);
	ck_assert_int_eq(rec.calls, 1);
	x86_acpi_pm_fini(&pm);
	iomap_fini(&io);
}
END_TEST

START_TEST(test_reset_register_resets)
{
	struct iomap io;
	struct x86_acpi_pm pm;
	struct power_rec rec;
	uint8_t b;

	pm_setup(&io, &pm, &rec, X86_ACPI_RESET_PORT);
	b = 0x02; /* SYS_RST alone: Linux's cf9 path arms it first */
	ck_assert_int_eq(iomap_write(&io, 0xcf9, &b, 1), 0);
	ck_assert_int_eq(rec.calls, 0);
	b = 0;
	ck_assert_int_eq(iomap_read(&io, 0xcf9, &b, 1), 0);
	ck_assert_uint_eq(b, 0x02);
	b = X86_ACPI_RESET_VALUE;
	ck_assert_int_eq(iomap_write(&io, 0xcf9, &b, 1), 0);
	ck_assert_int_eq(rec.calls, 1);
	ck_assert_int_eq(rec.reason, VM_EXIT_RESET);
	x86_acpi_pm_fini(&pm);
	/* ranges are gone after fini */
	ck_assert_int_eq(iomap_write(&io, 0xcf9, &b, 1), -ENOENT);
	ck_assert_int_eq(iomap_write(&io, 0x604, &b, 1), -ENOENT);
	iomap_fini(&io);
}
END_TEST

START_TEST(test_reset_register_forwarded_when_not_registered)
{
	struct iomap io;
	struct x86_acpi_pm pm;
	struct power_rec rec;
	uint8_t b = 0x06;

	pm_setup(&io, &pm, &rec, 0);
	ck_assert_int_eq(iomap_write(&io, 0xcf9, &b, 1), -ENOENT);
	x86_acpi_pm_reset_write(&pm, 0x0e);
	ck_assert_int_eq(rec.calls, 1);
	ck_assert_int_eq(rec.reason, VM_EXIT_RESET);
	ck_assert_uint_eq(x86_acpi_pm_reset_read(&pm), 0x0a);
	x86_acpi_pm_fini(&pm);
	iomap_fini(&io);
}
END_TEST

/* GPE0: STS set by the device, write 1 to clear; EN read/write; the SCI
 * is up exactly while STS & EN. */
START_TEST(test_gpe0_block_drives_the_sci)
{
	struct irq_rec irq;
	struct power_rec rec;
	struct x86_acpi_pm_config cfg = { .power = power_cb, .opaque = &rec,
					  .gpe0_base = X86_ACPI_GPE0_BASE,
					  .irq = &irq.sink,
					  .sci_gsi = X86_ACPI_SCI_IRQ };
	struct x86_acpi_pm pm;
	struct iomap io;
	uint16_t v;

	irq_rec_init(&irq);
	ck_assert_int_eq(iomap_init(&io, "pio"), 0);
	ck_assert_int_eq(x86_acpi_pm_init(&pm, &io, &cfg, NULL), 0);
	x86_acpi_pm_gpe_raise(&pm, 0);
	ck_assert_int_eq(irq.level[X86_ACPI_SCI_IRQ], 0); /* not enabled */
	ck_assert_int_eq(iomap_read(&io, X86_ACPI_GPE0_BASE, &v, 2), 0);
	ck_assert_uint_eq(v, 1);
	v = 1;
	ck_assert_int_eq(iomap_write(&io, X86_ACPI_GPE0_BASE + 2, &v, 2), 0);
	ck_assert_int_eq(irq.level[X86_ACPI_SCI_IRQ], 1);
	ck_assert_uint_eq(irq.raised[X86_ACPI_SCI_IRQ], 1);
	v = 2; /* clearing another bit changes nothing */
	ck_assert_int_eq(iomap_write(&io, X86_ACPI_GPE0_BASE, &v, 2), 0);
	ck_assert_int_eq(irq.level[X86_ACPI_SCI_IRQ], 1);
	v = 1;
	ck_assert_int_eq(iomap_write(&io, X86_ACPI_GPE0_BASE, &v, 2), 0);
	ck_assert_int_eq(irq.level[X86_ACPI_SCI_IRQ], 0);
	ck_assert_int_eq(iomap_read(&io, X86_ACPI_GPE0_BASE, &v, 2), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(iomap_read(&io, X86_ACPI_GPE0_BASE + 2, &v, 2), 0);
	ck_assert_uint_eq(v, 1);
	x86_acpi_pm_gpe_raise(&pm, 0);
	ck_assert_uint_eq(irq.raised[X86_ACPI_SCI_IRQ], 2);
	x86_acpi_pm_fini(&pm);
	ck_assert_int_eq(iomap_read(&io, X86_ACPI_GPE0_BASE, &v, 2), -ENOENT);
	iomap_fini(&io);
}
END_TEST

START_TEST(test_pm_range_conflict_is_reported)
{
	struct iomap io;
	struct x86_acpi_pm pm, pm2;
	struct power_rec rec;
	struct x86_acpi_pm_config cfg = { .power = power_cb, .opaque = &rec };
	struct vm_error *e = NULL;

	pm_setup(&io, &pm, &rec, X86_ACPI_RESET_PORT);
	ck_assert_int_eq(x86_acpi_pm_init(&pm2, &io, &cfg, &e), -EEXIST);
	ck_assert_ptr_nonnull(e);
	x86_acpi_pm_fini(&pm2);
	x86_acpi_pm_fini(&pm);
	free(e->msg);
	free(e);
	iomap_fini(&io);
}
END_TEST

static Suite *acpi_suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *tc = tcase_create("tables");

	tcase_add_test(tc, test_rsdp_is_found_by_scanning_and_checksums_hold);
	tcase_add_test(tc, test_fadt_fields);
	tcase_add_test(tc, test_madt_one_lapic_per_vcpu);
	tcase_add_test(tc, test_dsdt_has_s5_and_sb_extension);
	tcase_add_test(tc, test_extra_tables_are_listed_and_checked);
	tcase_add_test(tc, test_vmgenid_device_and_gpe_block);
	tcase_add_test(tc, test_build_rejects_bad_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("aml");
	tcase_add_test(tc, test_aml_integers_and_names);
	tcase_add_test(tc, test_aml_rejects_bad_names);
	tcase_add_test(tc, test_aml_pkglength_encodings);
	tcase_add_test(tc, test_aml_method_and_resources);
	suite_add_tcase(s, tc);

	tc = tcase_create("pm");
	tcase_add_test(tc, test_pm_s5_write_powers_off);
	tcase_add_test(tc, test_pm_other_sleep_types_and_byte_writes);
	tcase_add_test(tc, test_reset_register_resets);
	tcase_add_test(tc, test_reset_register_forwarded_when_not_registered);
	tcase_add_test(tc, test_pm_range_conflict_is_reported);
	tcase_add_test(tc, test_gpe0_block_drives_the_sci);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(acpi_suite());
}
