/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/acpi.c: RSDP, XSDT/RSDT, FADT, FACS, MADT and DSDT in the
 * BIOS area (see acpi.h for what the guest gets and why).
 *
 * The tables are laid out in a host buffer that mirrors
 * [X86_ACPI_ADDR, X86_ACPI_AREA_END) and copied into guest RAM once, with
 * gmem_write(), when every checksum is final.
 *
 * Threads: the API thread of each VM, before its vCPUs run; several VMs
 * may build at once. Locking: area_lock guards the one build buffer
 * (area_buf) for the whole of x86_acpi_build().
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acpi-aml.h"
#include "acpi-pm.h"
#include "acpi.h"
#include "vmgenid.h"
#include "boot.h"

#define AREA_SIZE (X86_ACPI_AREA_END - X86_ACPI_ADDR)

#define OEM_ID       "LKVMV "   /* 6 */
#define OEM_TABLE_ID "LKVMVIRT" /* 8 */
#define CREATOR_ID   "LKVM"     /* 4 */

/* Generic Address Structure (ACPI 6.4 §5.2.3.2). */
struct acpi_gas {
	uint8_t space_id;   /* 1: SystemIO */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1

/* §5.2.5.3 */
struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;      /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;      /* 2: ACPI 2.0+ */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t ext_checksum;  /* over the whole 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

/* §5.2.9, revision 6 */
struct acpi_fadt {
	struct x86_acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg, sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

/* FADT flags (§5.2.9 Table 5.10) */
#define FADT_F_WBINVD        (1u << 0)
#define FADT_F_PROC_C1       (1u << 2)
#define FADT_F_PWR_BUTTON    (1u << 4)  /* 1: no fixed power button */
#define FADT_F_SLP_BUTTON    (1u << 5)  /* 1: no fixed sleep button */
#define FADT_F_RESET_REG_SUP (1u << 10)
/* IA-PC boot architecture flags (Table 5.11) */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define FADT_BOOT_8042           (1u << 1)
#define FADT_BOOT_NO_VGA         (1u << 2)
#define FADT_BOOT_NO_CMOS_RTC    (1u << 5)

/* §5.2.10 */
struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));

/* §5.2.12 */
struct acpi_madt {
	struct x86_acpi_header h;
	uint32_t lapic_address;
	uint32_t flags;        /* bit 0 PCAT_COMPAT: dual 8259 present */
} __attribute__((packed));

struct madt_lapic {         /* type 0 */
	uint8_t type, length, uid, apic_id;
	uint32_t flags;         /* bit 0: enabled */
} __attribute__((packed));

struct madt_ioapic {        /* type 1 */
	uint8_t type, length, id, reserved;
	uint32_t address, gsi_base;
} __attribute__((packed));

struct madt_iso {           /* type 2: interrupt source override */
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

struct madt_lapic_nmi {     /* type 4 */
	uint8_t type, length, uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

struct madt_x2apic {        /* type 9 */
	uint8_t type, length;
	uint16_t reserved;
	uint32_t x2apic_id, flags, uid;
} __attribute__((packed));

_Static_assert(sizeof(struct x86_acpi_header) == 36, "header");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "rsdp");
_Static_assert(sizeof(struct acpi_fadt) == 276, "fadt rev 6");
_Static_assert(sizeof(struct acpi_facs) == 64, "facs");
_Static_assert(sizeof(struct madt_lapic) == 8, "lapic");
_Static_assert(sizeof(struct madt_ioapic) == 12, "ioapic");
_Static_assert(sizeof(struct madt_iso) == 10, "iso");
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "nmi");
_Static_assert(sizeof(struct madt_x2apic) == 16, "x2apic");

#define MADT_ISO_ACTIVE_HIGH 0x1
#define MADT_ISO_LEVEL       0xc
#define MADT_MAX_XAPIC_ID    254    /* 255 is the broadcast ID */

#define MAX_TABLES 64

struct builder {
	uint8_t *area;              /* mirrors X86_ACPI_ADDR.. */
	uint64_t used;
	uint64_t tables[MAX_TABLES]; /* offsets listed in the XSDT */
	unsigned nr;
};

uint8_t x86_acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *b++);
	return sum;
}

void x86_acpi_header_init(struct x86_acpi_header *h, const char sig[4],
			  uint32_t length, uint8_t revision)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, CREATOR_ID, 4);
	h->creator_revision = 1;
}

static pthread_mutex_t area_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *area_buf; /* AREA_SIZE bytes, guarded by area_lock */

/* Room for @len bytes at @align; returns the offset or -ENOSPC. */
static int64_t alloc(struct builder *b, uint64_t len, uint64_t align,
		     struct vm_error **errp)
{
	uint64_t off = ALIGN_UP(b->used, align);

	if (off > AREA_SIZE || len > AREA_SIZE - off)
		return verr_set(errp, -ENOSPC,
				"ACPI: tables need more than the %llu bytes of "
				"[0x%llx, 0x%llx)", (unsigned long long)AREA_SIZE,
				(unsigned long long)X86_ACPI_ADDR,
				(unsigned long long)X86_ACPI_AREA_END);
	b->used = off + len;
	return (int64_t)off;
}

static uint64_t gpa(uint64_t off)
{
	return X86_ACPI_ADDR + off;
}

static void seal(struct builder *b, uint64_t off)
{
	struct x86_acpi_header *h = (void *)(b->area + off);

	h->checksum = 0;
	h->checksum = (uint8_t)-x86_acpi_checksum(h, h->length);
}

/* Copy a finished table (header length must be set), checksum it and, if
 * @listed, add it to the XSDT. Returns the offset or a negative errno. */
static int64_t add_table(struct builder *b, const void *t, size_t len,
			 int listed, struct vm_error **errp)
{
	int64_t off;

	if (listed && b->nr == MAX_TABLES)
		return verr_set(errp, -ENOSPC, "ACPI: more than %d tables",
				MAX_TABLES);
	off = alloc(b, len, 16, errp);
	if (off < 0)
		return off;
	memcpy(b->area + off, t, len);
	seal(b, (uint64_t)off);
	if (listed)
		b->tables[b->nr++] = (uint64_t)off;
	return off;
}

static int64_t build_dsdt(struct builder *b, const struct x86_acpi_config *cfg,
			  struct vm_error **errp)
{
	struct x86_acpi_header h;
	struct aml a;
	size_t mark;
	int64_t off;

	aml_init(&a);
	aml_raw(&a, &h, sizeof(h)); /* placeholder, rewritten below */
	/* Name (\_S5, Package (4) { 5, 5, 0, 0 }): SLP_TYPa, SLP_TYPb. */
	aml_name(&a, "\\_S5");
	mark = aml_package_begin(&a, 4);
	aml_integer(&a, X86_ACPI_SLP_TYP_S5);
	aml_integer(&a, X86_ACPI_SLP_TYP_S5);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_end(&a, mark);
	/* Scope (\_SB) { extension AML: PCI root bridge, ... } */
	mark = aml_scope_begin(&a, "\\_SB");
	aml_raw(&a, cfg->sb_aml, cfg->sb_aml_len);
	if (cfg->vmgenid_gpa)
		x86_vmgenid_sb_aml(&a, cfg->vmgenid_gpa);
	aml_end(&a, mark);
	if (cfg->vmgenid_gpa)
		x86_vmgenid_gpe_aml(&a);
	if (a.err || a.len > UINT32_MAX) {
		int err = a.err ? a.err : -E2BIG;

		aml_fini(&a);
		return verr_set(errp, err, "ACPI: cannot build the DSDT");
	}
	/* Revision 2: integers are 64-bit (§5.2.11.1). */
	x86_acpi_header_init(&h, "DSDT", (uint32_t)a.len, 2);
	memcpy(a.buf, &h, sizeof(h));
	off = add_table(b, a.buf, a.len, 0, errp);
	aml_fini(&a);
	return off;
}

static int64_t build_facs(struct builder *b, struct vm_error **errp)
{
	struct acpi_facs *f;
	int64_t off = alloc(b, sizeof(*f), 64, errp); /* §5.2.10: 64-aligned */

	if (off < 0)
		return off;
	f = (void *)(b->area + off);
	memcpy(f->signature, "FACS", 4);
	f->length = sizeof(*f);
	f->version = 2;
	return off;
}

static int64_t build_fadt(struct builder *b, const struct x86_acpi_config *cfg,
			  uint64_t dsdt, uint64_t facs, struct vm_error **errp)
{
	struct acpi_fadt f;
	uint16_t pm = cfg->pm_base ? cfg->pm_base : X86_ACPI_PM_BASE;

	memset(&f, 0, sizeof(f));
	x86_acpi_header_init(&f.h, "FACP", sizeof(f), 6);
	f.minor_version = 0;
	/* FACS through X_FIRMWARE_CTRL only: with both set, Linux installs
	 * the FACS twice. The DSDT pointers agree, so ACPICA has nothing to
	 * warn about whichever it reads. */
	f.x_firmware_ctrl = gpa(facs);
	f.dsdt = (uint32_t)gpa(dsdt);
	f.x_dsdt = gpa(dsdt);
	f.sci_int = cfg->sci_irq ? cfg->sci_irq : X86_ACPI_SCI_IRQ;
	/* smi_cmd 0: no SMM; the platform is always in ACPI mode. */
	f.pm1a_evt_blk = pm;
	f.pm1a_cnt_blk = pm + X86_ACPI_PM1_CNT_OFF;
	f.pm1_evt_len = X86_ACPI_PM1_EVT_LEN;
	f.pm1_cnt_len = X86_ACPI_PM1_CNT_LEN;
	f.x_pm1a_evt_blk = (struct acpi_gas){ GAS_SYSTEM_IO,
					      8 * X86_ACPI_PM1_EVT_LEN, 0, 0,
					      pm };
	f.x_pm1a_cnt_blk = (struct acpi_gas){ GAS_SYSTEM_IO,
					      8 * X86_ACPI_PM1_CNT_LEN, 0, 0,
					      pm + X86_ACPI_PM1_CNT_OFF };
	if (cfg->vmgenid_gpa && cfg->gpe0_base) {
		f.gpe0_blk = cfg->gpe0_base;
		f.gpe0_blk_len = X86_ACPI_GPE0_LEN;
		f.x_gpe0_blk = (struct acpi_gas){ GAS_SYSTEM_IO,
						  8 * X86_ACPI_GPE0_LEN, 0, 0,
						  cfg->gpe0_base };
	}
	/* No PM timer, no GPE block unless the VM Generation ID device
	 * needs one: fewer ports for Linux to poll. C2/C3
	 * latencies over 100/1000 us mean "not supported". */
	f.p_lvl2_lat = 101;
	f.p_lvl3_lat = 1001;
	f.iapc_boot_arch = FADT_BOOT_NO_VGA;
	if (cfg->flags & X86_ACPI_F_I8042)
		f.iapc_boot_arch |= FADT_BOOT_8042 | FADT_BOOT_LEGACY_DEVICES;
	if (cfg->flags & X86_ACPI_F_NO_RTC)
		f.iapc_boot_arch |= FADT_BOOT_NO_CMOS_RTC;
	f.flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON |
		  FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP;
	f.reset_reg = (struct acpi_gas){ GAS_SYSTEM_IO, 8, 0, GAS_ACCESS_BYTE,
					 X86_ACPI_RESET_PORT };
	f.reset_value = X86_ACPI_RESET_VALUE;
	memcpy(&f.hypervisor_vendor_id, "LKVMVIRT", 8);
	return add_table(b, &f, sizeof(f), 1, errp);
}

static int64_t build_madt(struct builder *b, const struct x86_acpi_config *cfg,
			  struct vm_error **errp)
{
	uint8_t sci = cfg->sci_irq ? cfg->sci_irq : X86_ACPI_SCI_IRQ;
	size_t len = sizeof(struct acpi_madt), pos;
	struct acpi_madt *m;
	uint8_t *t;
	uint32_t i;
	int64_t off;

	for (i = 0; i < cfg->vcpus; i++)
		len += i <= MADT_MAX_XAPIC_ID ? sizeof(struct madt_lapic)
					      : sizeof(struct madt_x2apic);
	len += sizeof(struct madt_ioapic) + sizeof(struct madt_iso) +
	       sizeof(struct madt_lapic_nmi);
	if (cfg->flags & X86_ACPI_F_IRQ0_GSI2)
		len += sizeof(struct madt_iso);
	t = calloc(1, len);
	if (!t)
		return verr_set(errp, -ENOMEM, "ACPI: MADT: out of memory");
	m = (void *)t;
	x86_acpi_header_init(&m->h, "APIC", (uint32_t)len, 5);
	m->lapic_address = X86_LAPIC_ADDR;
	m->flags = 1; /* PCAT_COMPAT: KVM's irqchip has the 8259 pair */
	pos = sizeof(*m);
	for (i = 0; i < cfg->vcpus; i++) {
		if (i <= MADT_MAX_XAPIC_ID) {
			struct madt_lapic e = { 0, sizeof(e), (uint8_t)i,
						(uint8_t)i, 1 };

			memcpy(t + pos, &e, sizeof(e));
			pos += sizeof(e);
		} else {
			struct madt_x2apic e = { 9, sizeof(e), 0, i, 1, i };

			memcpy(t + pos, &e, sizeof(e));
			pos += sizeof(e);
		}
	}
	{
		struct madt_ioapic io = { 1, sizeof(io), 0, 0, X86_IOAPIC_ADDR,
					  0 };
		struct madt_iso timer = { 2, sizeof(timer), 0, 0, 2, 0 };
		struct madt_iso sci_iso = { 2, sizeof(sci_iso), 0, sci, sci,
					    MADT_ISO_ACTIVE_HIGH |
						    MADT_ISO_LEVEL };
		/* LINT1 of every processor (0xff) is the NMI, edge/high as
		 * the bus defines (flags 0). */
		struct madt_lapic_nmi nmi = { 4, sizeof(nmi), 0xff, 0, 1 };

		memcpy(t + pos, &io, sizeof(io));
		pos += sizeof(io);
		if (cfg->flags & X86_ACPI_F_IRQ0_GSI2) {
			memcpy(t + pos, &timer, sizeof(timer));
			pos += sizeof(timer);
		}
		memcpy(t + pos, &sci_iso, sizeof(sci_iso));
		pos += sizeof(sci_iso);
		memcpy(t + pos, &nmi, sizeof(nmi));
	}
	off = add_table(b, t, len, 1, errp);
	free(t);
	return off;
}

static int add_extra(struct builder *b, const struct x86_acpi_config *cfg,
		     struct vm_error **errp)
{
	unsigned i;

	for (i = 0; i < cfg->nr_tables; i++) {
		const struct x86_acpi_blob *t = &cfg->tables[i];
		struct x86_acpi_header h;
		int64_t off;

		if (!t->data || t->len < sizeof(h))
			return verr_set(errp, -EINVAL,
					"ACPI: extra table %u is shorter than a "
					"header", i);
		memcpy(&h, t->data, sizeof(h));
		if (h.length != t->len)
			return verr_set(errp, -EINVAL,
					"ACPI: extra table %u ('%.4s'): header "
					"length %u, blob %zu bytes", i,
					h.signature, h.length, t->len);
		off = add_table(b, t->data, t->len, 1, errp);
		if (off < 0)
			return (int)off;
	}
	return 0;
}

static int64_t build_sdt(struct builder *b, const char *sig, unsigned width,
			 struct vm_error **errp)
{
	struct x86_acpi_header *h;
	uint64_t len = sizeof(*h) + (uint64_t)width * b->nr;
	int64_t off = alloc(b, len, 16, errp);
	unsigned i;

	if (off < 0)
		return off;
	h = (void *)(b->area + off);
	x86_acpi_header_init(h, sig, (uint32_t)len, 1);
	for (i = 0; i < b->nr; i++) {
		uint64_t a = gpa(b->tables[i]);

		/* all tables are below 1 MiB: the 32-bit RSDT holds them */
		memcpy(b->area + off + sizeof(*h) + i * width, &a, width);
	}
	seal(b, (uint64_t)off);
	return off;
}

int x86_acpi_build(struct gmem *mem, const struct x86_acpi_config *cfg,
		   uint64_t *rsdp_gpa, struct vm_error **errp)
{
	struct builder b = { 0 };
	struct acpi_rsdp *rsdp;
	int64_t rsdp_off, facs = 0, dsdt = 0, xsdt = 0, rsdt = 0, r;
	int rc = 0;

	if (cfg->vcpus == 0 || cfg->vcpus > X86_ACPI_MAX_VCPUS)
		return verr_set(errp, -EINVAL,
				"ACPI: %u vCPUs (1..%u supported)", cfg->vcpus,
				X86_ACPI_MAX_VCPUS);
	if (cfg->sci_irq > 15)
		return verr_set(errp, -EINVAL, "ACPI: SCI IRQ %u is not an ISA "
				"IRQ", cfg->sci_irq);
	if (cfg->nr_tables && !cfg->tables)
		return verr_set(errp, -EINVAL, "ACPI: extra tables missing");
	if (cfg->sb_aml_len && !cfg->sb_aml)
		return verr_set(errp, -EINVAL, "ACPI: \\_SB AML missing");
	if (!gmem_ptr(mem, X86_ACPI_ADDR, AREA_SIZE))
		return verr_set(errp, -EFAULT,
				"ACPI: guest RAM does not cover [0x%llx, 0x%llx)",
				(unsigned long long)X86_ACPI_ADDR,
				(unsigned long long)X86_ACPI_AREA_END);
	/* One 128 KiB buffer for the process, zero between builds, kept: a
	 * calloc() of that size is an mmap/munmap pair per VM, and each
	 * munmap goes through the MMU notifier of every live KVM VM of the
	 * process (bench/churn). */
	pthread_mutex_lock(&area_lock);
	if (!area_buf)
		area_buf = calloc(1, AREA_SIZE);
	if (!area_buf) {
		pthread_mutex_unlock(&area_lock);
		return verr_set(errp, -ENOMEM, "ACPI: out of memory");
	}
	b.area = area_buf;

	/* RSDP first: the lowest 16-byte boundary Linux's scan tries. */
	rsdp_off = r = alloc(&b, sizeof(*rsdp), 16, errp);
	if (r >= 0)
		facs = r = build_facs(&b, errp);
	if (r >= 0)
		dsdt = r = build_dsdt(&b, cfg, errp);
	if (r >= 0)
		r = build_fadt(&b, cfg, (uint64_t)dsdt, (uint64_t)facs, errp);
	if (r >= 0)
		r = build_madt(&b, cfg, errp);
	if (r >= 0)
		r = add_extra(&b, cfg, errp);
	if (r >= 0)
		xsdt = r = build_sdt(&b, "XSDT", 8, errp);
	if (r >= 0)
		rsdt = r = build_sdt(&b, "RSDT", 4, errp);
	if (r < 0) {
		rc = (int)r;
		goto out;
	}

	rsdp = (void *)(b.area + rsdp_off);
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->rsdt_address = (uint32_t)gpa((uint64_t)rsdt);
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = gpa((uint64_t)xsdt);
	rsdp->checksum = (uint8_t)-x86_acpi_checksum(rsdp, 20);
	rsdp->ext_checksum = (uint8_t)-x86_acpi_checksum(rsdp, sizeof(*rsdp));

	/* Only the bytes built (gaps included, zero). Not the whole 128 KiB:
	 * that faulted in 32 pages of guest RAM for ~2 KiB of tables. What
	 * lies above b.used is left as it is (zero in the fresh RAM of a
	 * machine); it cannot be mistaken for ours: the RSDP sits at the
	 * lowest 16-byte boundary a scan of 0xe0000.. tries, and every other
	 * table is reached through it. */
	rc = gmem_write(mem, X86_ACPI_ADDR, b.area, (size_t)b.used);
	if (rc) {
		verr_set(errp, rc, "ACPI: cannot write the tables");
		goto out;
	}
	*rsdp_gpa = gpa((uint64_t)rsdp_off);
out:
	memset(b.area, 0, (size_t)b.used); /* alloc() keeps used <= AREA_SIZE */
	pthread_mutex_unlock(&area_lock);
	return rc;
}
