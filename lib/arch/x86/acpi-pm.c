/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/acpi-pm.c: PM1a event/control registers and the 0xcf9
 * reset control register (see acpi-pm.h).
 *
 * ACPI 6.4 §4.8.3.1 (PM1 event grouping), §4.8.3.2 (PM1 control grouping:
 * SLP_TYP bits 12:10, SLP_EN bit 13, write-only, reads 0), §4.8.3.6 (reset
 * register). Accesses of any size 1..4 at any offset are split into bytes,
 * so a guest doing byte or word accesses sees the same registers.
 *
 * GPE0 block: ACPI 6.4 §4.8.4.1 (GPE0_STS then GPE0_EN, each half of the
 * block), §5.6.4 (the SCI is asserted while a status bit is set whose
 * enable bit is set; the OSPM clears the status, for an edge _Exx method
 * before running it).
 *
 * Threads: handlers run on vCPU threads; x86_acpi_pm_gpe_raise() on the
 * API thread. Locking: ->lock guards sts, en, cnt, rcr, gpe_sts, gpe_en
 * and sci_level (the SCI line is set with it held, so levels reach KVM in
 * order); power() is called after dropping it.
 */
#include <errno.h>
#include <string.h>

#include "acpi-pm.h"
#include "../../snapshot/format.h"
#include "acpi.h"

#define PM_BLOCK_LEN (X86_ACPI_PM1_CNT_OFF + X86_ACPI_PM1_CNT_LEN)
#define REG_BIT_PM    1
#define REG_BIT_RESET 2
#define REG_BIT_GPE0  4

/* Caller holds ->lock. */
static void sci_update(struct x86_acpi_pm *pm)
{
	int level = (pm->gpe_sts & pm->gpe_en) != 0;

	if (level == pm->sci_level || !pm->cfg.irq)
		return;
	pm->sci_level = level;
	irq_set_line(pm->cfg.irq, pm->cfg.sci_gsi, level);
}

static void gpe_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct x86_acpi_pm *pm = opaque;
	uint8_t regs[X86_ACPI_GPE0_LEN], *d = data;

	pthread_mutex_lock(&pm->lock);
	regs[0] = (uint8_t)pm->gpe_sts;
	regs[1] = (uint8_t)(pm->gpe_sts >> 8);
	regs[2] = (uint8_t)pm->gpe_en;
	regs[3] = (uint8_t)(pm->gpe_en >> 8);
	pthread_mutex_unlock(&pm->lock);
	for (unsigned i = 0; i < size; i++)
		d[i] = off + i < X86_ACPI_GPE0_LEN ? regs[off + i] : 0xff;
}

static void gpe_write(void *opaque, uint64_t off, const void *data,
		      unsigned size)
{
	struct x86_acpi_pm *pm = opaque;
	uint8_t val[X86_ACPI_GPE0_LEN] = { 0 }, mask[X86_ACPI_GPE0_LEN] = { 0 };
	const uint8_t *d = data;
	uint16_t v, m;

	for (unsigned i = 0; i < size; i++) {
		if (off + i < X86_ACPI_GPE0_LEN) {
			val[off + i] = d[i];
			mask[off + i] = 0xff;
		}
	}
	pthread_mutex_lock(&pm->lock);
	v = (uint16_t)(val[0] | val[1] << 8); /* STS: write 1 to clear */
	pm->gpe_sts &= (uint16_t)~v;
	v = (uint16_t)(val[2] | val[3] << 8);
	m = (uint16_t)(mask[2] | mask[3] << 8);
	pm->gpe_en = (uint16_t)((pm->gpe_en & ~m) | (v & m));
	sci_update(pm);
	pthread_mutex_unlock(&pm->lock);
}

void x86_acpi_pm_gpe_raise(struct x86_acpi_pm *pm, unsigned bit)
{
	pthread_mutex_lock(&pm->lock);
	pm->gpe_sts |= (uint16_t)(1u << (bit & 15));
	sci_update(pm);
	pthread_mutex_unlock(&pm->lock);
}

static void pm_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct x86_acpi_pm *pm = opaque;
	uint8_t regs[PM_BLOCK_LEN], *d = data;
	uint16_t cnt;
	unsigned i;

	pthread_mutex_lock(&pm->lock);
	/* SLP_EN reads as 0; SCI_EN reads 1: we are always in ACPI mode. */
	cnt = (uint16_t)((pm->cnt & ~X86_PM1_CNT_SLP_EN) | X86_PM1_CNT_SCI_EN);
	regs[0] = (uint8_t)pm->sts;
	regs[1] = (uint8_t)(pm->sts >> 8);
	regs[2] = (uint8_t)pm->en;
	regs[3] = (uint8_t)(pm->en >> 8);
	regs[4] = (uint8_t)cnt;
	regs[5] = (uint8_t)(cnt >> 8);
	pthread_mutex_unlock(&pm->lock);
	for (i = 0; i < size; i++)
		d[i] = off + i < PM_BLOCK_LEN ? regs[off + i] : 0xff;
}

static void pm_write(void *opaque, uint64_t off, const void *data,
		     unsigned size)
{
	struct x86_acpi_pm *pm = opaque;
	uint8_t val[PM_BLOCK_LEN] = { 0 }, mask[PM_BLOCK_LEN] = { 0 };
	const uint8_t *d = data;
	int poweroff = 0;
	uint16_t v, m;
	unsigned i;

	for (i = 0; i < size; i++) {
		if (off + i < PM_BLOCK_LEN) {
			val[off + i] = d[i];
			mask[off + i] = 0xff;
		}
	}
	pthread_mutex_lock(&pm->lock);
	/* PM1_STS: write 1 to clear. */
	v = (uint16_t)(val[0] | val[1] << 8);
	m = (uint16_t)(mask[0] | mask[1] << 8);
	pm->sts &= (uint16_t)~(v & m);
	/* PM1_EN */
	v = (uint16_t)(val[2] | val[3] << 8);
	m = (uint16_t)(mask[2] | mask[3] << 8);
	pm->en = (uint16_t)((pm->en & ~m) | (v & m));
	/* PM1_CNT */
	v = (uint16_t)(val[4] | val[5] << 8);
	m = (uint16_t)(mask[4] | mask[5] << 8);
	if (m) {
		pm->cnt = (uint16_t)((pm->cnt & ~m) | (v & m));
		if (pm->cnt & X86_PM1_CNT_SLP_EN) {
			unsigned typ = (pm->cnt & X86_PM1_CNT_SLP_TYP) >> 10;

			/* Only S5 is advertised (\_S5); other sleep types
			 * are ignored and the guest keeps running. */
			poweroff = typ == X86_ACPI_SLP_TYP_S5;
			pm->cnt &= (uint16_t)~X86_PM1_CNT_SLP_EN;
		}
	}
	pthread_mutex_unlock(&pm->lock);
	if (poweroff && pm->cfg.power)
		pm->cfg.power(pm->cfg.opaque, VM_EXIT_POWEROFF);
}

uint8_t x86_acpi_pm_reset_read(struct x86_acpi_pm *pm)
{
	uint8_t v;

	pthread_mutex_lock(&pm->lock);
	v = pm->rcr;
	pthread_mutex_unlock(&pm->lock);
	return v;
}

void x86_acpi_pm_reset_write(struct x86_acpi_pm *pm, uint8_t val)
{
	/* RST_CPU does the reset (Linux writes 0x02 then 0x06 on the cf9
	 * path, 0x06 through the FADT); the other bits just stick. */
	pthread_mutex_lock(&pm->lock);
	pm->rcr = val & (X86_RCR_SYS_RST | X86_RCR_FULL_RST);
	pthread_mutex_unlock(&pm->lock);
	if ((val & X86_RCR_RST_CPU) && pm->cfg.power)
		pm->cfg.power(pm->cfg.opaque, VM_EXIT_RESET);
}

static void rcr_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	memset(data, 0xff, size);
	if (off == 0 && size >= 1)
		*(uint8_t *)data = x86_acpi_pm_reset_read(opaque);
}

static void rcr_write(void *opaque, uint64_t off, const void *data,
		      unsigned size)
{
	if (off == 0 && size >= 1)
		x86_acpi_pm_reset_write(opaque, *(const uint8_t *)data);
}

static const struct iomap_ops pm_ops = { pm_read, pm_write };
static const struct iomap_ops rcr_ops = { rcr_read, rcr_write };
static const struct iomap_ops gpe_ops = { gpe_read, gpe_write };

int x86_acpi_pm_init(struct x86_acpi_pm *pm, struct iomap *pio,
		     const struct x86_acpi_pm_config *cfg,
		     struct vm_error **errp)
{
	int rc;

	memset(pm, 0, sizeof(*pm));
	rc = -pthread_mutex_init(&pm->lock, NULL);
	if (rc)
		return verr_set_errno(errp, rc, "ACPI PM: mutex");
	pm->cfg = *cfg;
	if (!pm->cfg.pm_base)
		pm->cfg.pm_base = X86_ACPI_PM_BASE;
	pm->pio = pio;
	rc = iomap_add(pio, pm->cfg.pm_base, PM_BLOCK_LEN, &pm_ops, pm,
		       "ACPI PM1a block", errp);
	if (rc)
		return rc;
	pm->registered |= REG_BIT_PM;
	if (pm->cfg.reset_port) {
		rc = iomap_add(pio, pm->cfg.reset_port, 1, &rcr_ops, pm,
			       "ACPI reset register", errp);
		if (rc)
			return rc;
		pm->registered |= REG_BIT_RESET;
	}
	if (pm->cfg.gpe0_base) {
		rc = iomap_add(pio, pm->cfg.gpe0_base, X86_ACPI_GPE0_LEN, &gpe_ops,
			       pm, "ACPI GPE0 block", errp);
		if (rc)
			return rc;
		pm->registered |= REG_BIT_GPE0;
	}
	return 0;
}

void x86_acpi_pm_fini(struct x86_acpi_pm *pm)
{
	if (!pm->pio)
		return;
	if (pm->registered & REG_BIT_RESET)
		iomap_del(pm->pio, pm->cfg.reset_port, pm);
	if (pm->registered & REG_BIT_PM)
		iomap_del(pm->pio, pm->cfg.pm_base, pm);
	if (pm->registered & REG_BIT_GPE0)
		iomap_del(pm->pio, pm->cfg.gpe0_base, pm);
	pm->registered = 0;
	pm->pio = NULL;
	pthread_mutex_destroy(&pm->lock);
}

/* ---- snapshot state ---- */

#define PM_SNAP_VERSION 2 /* 2: + GPE0 STS/EN (0.4) */

void x86_acpi_pm_save(struct x86_acpi_pm *pm, struct snap_w *w)
{
	pthread_mutex_lock(&pm->lock);
	snap_w_begin(w, SNAP_TAG('P', 'M', '1', '.'), PM_SNAP_VERSION, 0);
	snap_put_u16(w, pm->sts);
	snap_put_u16(w, pm->en);
	snap_put_u16(w, pm->cnt);
	snap_put_u8(w, pm->rcr);
	snap_put_u16(w, pm->gpe_sts);
	snap_put_u16(w, pm->gpe_en);
	snap_w_end(w);
	pthread_mutex_unlock(&pm->lock);
}

int x86_acpi_pm_load(struct x86_acpi_pm *pm, const struct snap_rec *rec,
		     struct vm_error **errp)
{
	uint16_t sts, en, cnt, gsts = 0, gen = 0;
	struct snap_cur c;
	uint8_t rcr;
	int rc = snap_rec_check(rec, PM_SNAP_VERSION, "ACPI PM", errp);

	if (rc < 0)
		return rc;
	snap_cur_init(&c, rec);
	sts = snap_get_u16(&c);
	en = snap_get_u16(&c);
	cnt = snap_get_u16(&c);
	rcr = snap_get_u8(&c);
	if (rec->version >= 2) {
		gsts = snap_get_u16(&c);
		gen = snap_get_u16(&c);
	}
	rc = snap_cur_done(&c, rec, "ACPI PM", errp);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&pm->lock);
	pm->sts = sts;
	pm->en = en;
	pm->cnt = cnt;
	pm->rcr = rcr;
	pm->gpe_sts = gsts;
	pm->gpe_en = gen;
	/* The new VM's line starts low whatever the saved one was. */
	pm->sci_level = 0;
	sci_update(pm);
	pthread_mutex_unlock(&pm->lock);
	return 0;
}
