/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/acpi-pm.h: the ACPI fixed-hardware power registers the FADT
 * (acpi.h) points at, as a PIO device.
 *
 *   pm_base + 0  PM1a_STS  16 bit, write 1 to clear (nothing ever sets a
 *                          status bit: we raise no SCI)
 *   pm_base + 2  PM1a_EN   16 bit, read/write, no effect
 *   pm_base + 4  PM1a_CNT  16 bit; reads SCI_EN = 1 (always ACPI mode);
 *                          writing SLP_EN with SLP_TYP = X86_ACPI_SLP_TYP_S5
 *                          (Linux poweroff, from \_S5) calls
 *                          power(opaque, VM_EXIT_POWEROFF)
 *   gpe0_base + 0  GPE0_STS 16 bit, write 1 to clear; a bit is set by
 *                          x86_acpi_pm_gpe_raise() (the VM Generation ID
 *                          change, vmgenid.h)
 *   gpe0_base + 2  GPE0_EN  16 bit, read/write
 *                (the FADT lists this block only when a device uses it)
 *   The SCI (cfg.sci_gsi on cfg.irq, level, active high as the MADT says)
 *   is asserted while GPE0_STS & GPE0_EN is not 0.
 *   0xcf9        reset control register (the FADT RESET_REG): a write
 *                with bit 2 (RST_CPU) set, e.g. Linux's 0x06, calls
 *                power(opaque, VM_EXIT_RESET)
 *
 * Port 0xcf9 sits inside the PCI configuration mechanism #1 window
 * (0xcf8..0xcff). This device owns it as long as nothing else claims that
 * window; a PCI host bridge that registers 0xcf8..0xcff instead sets
 * cfg.reset_port = 0 here and forwards single-byte accesses to 0xcf9 to
 * x86_acpi_pm_reset_read()/x86_acpi_pm_reset_write().
 *
 * Threads: handlers run on vCPU threads, possibly several at once.
 * x86_acpi_pm_gpe_raise() runs on the API thread (vm_start of a restored
 * VM or a clone, before its vCPUs run).
 * Locking: ->lock guards the register values and the SCI level (the line
 * is set with it held); power() is called after the lock is dropped and
 * must be thread-safe.
 */
#ifndef LIB_ARCH_X86_ACPI_PM_H
#define LIB_ARCH_X86_ACPI_PM_H

#include <pthread.h>
#include <stdint.h>

#include "../../core/error.h"
#include "../../kvm/iomap.h"
#include "../../kvm/irq.h"

#define X86_ACPI_GPE0_BASE 0x620 /* GPE0_STS; GPE0_EN at +2 */
#define X86_ACPI_GPE0_LEN  4

#define X86_PM1_STS_WAK     (1u << 15)
#define X86_PM1_CNT_SCI_EN  (1u << 0)
#define X86_PM1_CNT_SLP_TYP (7u << 10)
#define X86_PM1_CNT_SLP_EN  (1u << 13)
#define X86_RCR_SYS_RST     (1u << 1)
#define X86_RCR_RST_CPU     (1u << 2)
#define X86_RCR_FULL_RST    (1u << 3)

/* @reason: VM_EXIT_POWEROFF or VM_EXIT_RESET. */
typedef void x86_acpi_pm_power_fn(void *opaque, int reason);

struct x86_acpi_pm_config {
	uint16_t pm_base;     /* 0: X86_ACPI_PM_BASE; must match the FADT */
	uint16_t reset_port;  /* X86_ACPI_RESET_PORT, or 0: not registered */
	x86_acpi_pm_power_fn *power;
	void *opaque;
	uint16_t gpe0_base;   /* X86_ACPI_GPE0_BASE, or 0: no GPE0 block */
	struct irq_sink *irq; /* the SCI's line; NULL: none */
	uint32_t sci_gsi;
};

struct x86_acpi_pm {
	pthread_mutex_t lock;
	uint16_t sts, en, cnt;   /* guarded by ->lock */
	uint8_t rcr;             /* guarded by ->lock */
	uint16_t gpe_sts, gpe_en; /* guarded by ->lock */
	int sci_level;           /* last level set on the SCI; ->lock */
	struct x86_acpi_pm_config cfg;
	struct iomap *pio;       /* where the ranges were added */
	int registered;          /* bit 0: PM block, bit 1: reset port */
};

/* Register the PM block (and the reset port) on @pio. -EEXIST if a range
 * is taken (message names the owner). x86_acpi_pm_fini() is safe after a
 * failure too. */
int __must_check x86_acpi_pm_init(struct x86_acpi_pm *pm, struct iomap *pio,
				  const struct x86_acpi_pm_config *cfg,
				  struct vm_error **errp);
void x86_acpi_pm_fini(struct x86_acpi_pm *pm);

/* The reset control register, for a PCI host bridge that owns 0xcf8..0xcff
 * and forwards byte accesses at 0xcf9. */
uint8_t x86_acpi_pm_reset_read(struct x86_acpi_pm *pm);
void x86_acpi_pm_reset_write(struct x86_acpi_pm *pm, uint8_t val);

/* Set GPE0_STS bit @bit (0..15): the SCI goes up if the guest enabled it. */
void x86_acpi_pm_gpe_raise(struct x86_acpi_pm *pm, unsigned bit);

/* Snapshot state (tag "PM1."): PM1a STS/EN/CNT and the reset control
 * register; version 2 (0.4) adds GPE0 STS/EN (a version 1 record loads
 * with them 0). Load refuses a short/long/newer record and sets the SCI
 * line to what the loaded registers say. Any thread; both take ->lock. */
struct snap_w;
struct snap_rec;
void x86_acpi_pm_save(struct x86_acpi_pm *pm, struct snap_w *w);
int __must_check x86_acpi_pm_load(struct x86_acpi_pm *pm,
				  const struct snap_rec *rec,
				  struct vm_error **errp);

#endif
