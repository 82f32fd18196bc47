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
 * Locking: ->lock guards the register values; power() is called after the
 * lock is dropped and must be thread-safe.
 */
#ifndef LIB_ARCH_X86_ACPI_PM_H
#define LIB_ARCH_X86_ACPI_PM_H

#include <pthread.h>
#include <stdint.h>

#include "../../core/error.h"
#include "../../kvm/iomap.h"

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
};

struct x86_acpi_pm {
	pthread_mutex_t lock;
	uint16_t sts, en, cnt;   /* guarded by ->lock */
	uint8_t rcr;             /* guarded by ->lock */
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

/* Snapshot state (tag "PM1."): PM1a STS/EN/CNT and the reset control
 * register. Load refuses a short/long/newer record. Any thread; both take
 * ->lock. */
struct snap_w;
struct snap_rec;
void x86_acpi_pm_save(struct x86_acpi_pm *pm, struct snap_w *w);
int __must_check x86_acpi_pm_load(struct x86_acpi_pm *pm,
				  const struct snap_rec *rec,
				  struct vm_error **errp);

#endif
