/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/pc-pci.c: the PC's PCI bus 0 and its ACPI description
 * (see pc-pci.h for the layout).
 *
 * Threads: API thread only; the bus itself serves vCPU threads (pci.h).
 * Locking: none here.
 */
#include <errno.h>
#include <string.h>

#include "pc-pci.h"

static uint8_t pc_pci_cf9_read(void *opaque)
{
	return x86_acpi_pm_reset_read(opaque);
}

static void pc_pci_cf9_write(void *opaque, uint8_t val)
{
	x86_acpi_pm_reset_write(opaque, val);
}

/* Close a resource template, emit it as Name(_CRS, Buffer) and free it. */
static void pc_pci_end_crs(struct aml *a, struct aml *crs)
{
	aml_res_end(crs);
	aml_name(a, "_CRS");
	aml_buffer(a, crs->buf, crs->len);
	if (crs->err && !a->err)
		a->err = crs->err;
	aml_fini(crs);
}

/* \_SB.PCI0 and \_SB.PRES (ACPI 6.4 §6.1.5 _HID, §6.2.2 _CRS). */
static void pc_pci_build_aml(struct aml *a)
{
	struct aml crs;
	size_t dev;

	dev = aml_device_begin(a, "PCI0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A03");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_SEG");
	aml_integer(a, 0);
	aml_name(a, "_BBN");
	aml_integer(a, 0);
	aml_init(&crs);
	aml_res_word_bus(&crs, 0, 0);
	aml_res_io(&crs, PCIBUS_CF8_PORT, 8);
	aml_res_word_io(&crs, 0x0000, 0x0cf7);
	aml_res_word_io(&crs, 0x0d00, 0xffff);
	aml_res_dword_mem(&crs, AML_RES_MEM_NONCACHE,
			  (uint32_t)X86_PCI_MMIO32_BASE,
			  (uint32_t)(X86_PCI_MMIO32_BASE + X86_PCI_MMIO32_SIZE -
				     1));
	pc_pci_end_crs(a, &crs);
	aml_end(a, dev);

	dev = aml_device_begin(a, "PRES");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0C02");
	aml_name(a, "_UID");
	aml_integer(a, 1);
	aml_init(&crs);
	aml_res_mem32_fixed(&crs, (uint32_t)X86_PCI_ECAM_BASE,
			    PCIBUS_ECAM_BUS_SIZE);
	pc_pci_end_crs(a, &crs);
	aml_end(a, dev);
}

/* MCFG (PCI Firmware 3.2 §4.1.2): header, 8 reserved, one entry. */
static void pc_pci_build_mcfg(uint8_t *t, size_t len)
{
	struct x86_acpi_header h;
	uint64_t base = X86_PCI_ECAM_BASE;
	uint8_t *e = t + sizeof(h) + 8;

	memset(t, 0, len);
	x86_acpi_header_init(&h, "MCFG", (uint32_t)len, 1);
	memcpy(t, &h, sizeof(h));
	memcpy(e, &base, 8);       /* little-endian host (x86) */
	e[8] = 0;                  /* segment group 0 (2 bytes) */
	e[9] = 0;
	e[10] = 0;                 /* start bus */
	e[11] = 0;                 /* end bus */
}

int x86_pc_pci_init(struct x86_pc_pci *p, struct iomap *pio,
		    struct iomap *mmio, struct irq_sink *irq,
		    const struct vlog *log, struct x86_acpi_pm *pm,
		    struct vm_error **errp)
{
	const struct pci_bus_config bc = {
		.pio = pio,
		.mmio = mmio,
		.irq = irq,
		.log = log,
		.legacy_cfg = 1,
		.ecam_base = X86_PCI_ECAM_BASE,
		.ecam_size = PCIBUS_ECAM_BUS_SIZE,
		.mmio32_base = X86_PCI_MMIO32_BASE,
		.mmio32_size = X86_PCI_MMIO32_SIZE,
		.io_base = PCIBUS_X86_IO_BASE,
		.io_size = PCIBUS_X86_IO_SIZE,
		.cf9_read = pc_pci_cf9_read,
		.cf9_write = pc_pci_cf9_write,
		.cf9_opaque = pm,
	};
	int r;

	memset(p, 0, sizeof(*p));
	aml_init(&p->sb);
	r = pci_bus_init(&p->bus, &bc, errp);
	if (r < 0) {
		aml_fini(&p->sb);
		return r;
	}
	p->inited = 1;
	r = pci_bus_add_host(&p->bus, X86_PCI_HOST_VENDOR,
			     X86_PCI_HOST_DEVICE, errp);
	if (r < 0) {
		x86_pc_pci_fini(p);
		return r;
	}
	pc_pci_build_aml(&p->sb);
	pc_pci_build_mcfg(p->mcfg, sizeof(p->mcfg));
	p->mcfg_blob.data = p->mcfg;
	p->mcfg_blob.len = sizeof(p->mcfg);
	return 0;
}

void x86_pc_pci_fini(struct x86_pc_pci *p)
{
	if (!p->inited)
		return;
	pci_bus_fini(&p->bus);
	aml_fini(&p->sb);
	p->inited = 0;
}

int x86_pc_pci_acpi(struct x86_pc_pci *p, struct x86_acpi_config *ac,
		    struct vm_error **errp)
{
	if (p->sb.err)
		return verr_set(errp, p->sb.err,
				"pci bus 0000:00: building its AML failed");
	ac->sb_aml = p->sb.buf;
	ac->sb_aml_len = p->sb.len;
	ac->tables = &p->mcfg_blob;
	ac->nr_tables = 1;
	return 0;
}
