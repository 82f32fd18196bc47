/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/pci/cfg.c: a function's configuration space as data: bytes, a
 * write mask and a write-1-to-clear mask (kvmtool/QEMU style), the header
 * helpers and the capability list builder.
 *
 * A guest write of value v to byte b becomes
 *     cfg = (cfg & ~wmask) | (v & wmask);  cfg &= ~(v & w1cmask);
 * so read-only bits, reserved bits and the BAR sizing protocol need no
 * code: a BAR's wmask is ~(size - 1) above its flag bits.
 *
 * Threads: API thread before plugging (helpers, caps); vCPU threads for
 * guest accesses (pci_func_cfg_read/write via bus.c).
 * Locking: f->lock guards cfg/wmask/w1cmask; guest accesses take it, and
 * the hooks in f->ops run with it held (see pci.h for the order).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci-internal.h"

int pci_func_init(struct pci_func *f, const char *owner,
		  const struct pci_func_ops *ops, struct vm_error **errp)
{
	unsigned i;
	int r;

	memset(f, 0, sizeof(*f));
	f->slot = -1;
	f->ops = ops;
	snprintf(f->name, sizeof(f->name), "pci %s", owner ? owner : "?");
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		f->bars[i].addr = PCIBAR_UNMAPPED;
		f->bars[i].f = f;
		f->bars[i].idx = i;
	}
	r = pthread_mutex_init(&f->lock, NULL);
	if (r)
		return verr_set(errp, -r, "%s: mutex init failed", f->name);
	pci_cfg_set(f, PCI_HEADER_TYPE, PCI_HEADER_TYPE_NORMAL, 1);
	pci_func_set_wmask(f, PCI_COMMAND,
			   PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
			   PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |
			   PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE, 2);
	pci_func_set_w1cmask(f, PCI_STATUS,
			     PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
			     PCI_STATUS_REC_TARGET_ABORT |
			     PCI_STATUS_REC_MASTER_ABORT |
			     PCI_STATUS_SIG_SYSTEM_ERROR |
			     PCI_STATUS_DETECTED_PARITY, 2);
	pci_func_set_wmask(f, PCI_CACHE_LINE_SIZE, 0xff, 1);
	pci_func_set_wmask(f, PCI_LATENCY_TIMER, 0xff, 1);
	pci_func_set_wmask(f, PCI_INTERRUPT_LINE, 0xff, 1);
	f->cap_end = PCI_STD_HEADER_SIZEOF;
	return 0;
}

void pci_func_fini(struct pci_func *f)
{
	if (f->slot < 0 && !f->name[0])
		return; /* never initialised (zeroed) */
	free(f->msix.table);
	free(f->msix.pba);
	f->msix.table = NULL;
	f->msix.pba = NULL;
	f->msix.nvec = 0;
	if (f->name[0])
		pthread_mutex_destroy(&f->lock);
	f->name[0] = '\0';
}

static int pci_cfg_in_range(uint32_t off, unsigned size)
{
	return off < PCI_CFG_SPACE_SIZE && size <= PCI_CFG_SPACE_SIZE - off;
}

uint32_t pci_cfg_get(const struct pci_func *f, uint32_t off, unsigned size)
{
	uint32_t v = 0;
	unsigned i;

	if (size > 4 || !pci_cfg_in_range(off, size))
		return 0;
	for (i = 0; i < size; i++)
		v |= (uint32_t)f->cfg[off + i] << (8 * i);
	return v;
}

static void pci_bytes_set(uint8_t *p, uint32_t off, uint32_t val,
			  unsigned size)
{
	unsigned i;

	if (size > 4 || !pci_cfg_in_range(off, size))
		return;
	for (i = 0; i < size; i++)
		p[off + i] = (uint8_t)(val >> (8 * i));
}

void pci_cfg_set(struct pci_func *f, uint32_t off, uint32_t val,
		 unsigned size)
{
	pci_bytes_set(f->cfg, off, val, size);
}

void pci_func_set_wmask(struct pci_func *f, uint32_t off, uint32_t mask,
			unsigned size)
{
	pci_bytes_set(f->wmask, off, mask, size);
}

void pci_func_set_w1cmask(struct pci_func *f, uint32_t off, uint32_t mask,
			  unsigned size)
{
	pci_bytes_set(f->w1cmask, off, mask, size);
}

void pci_func_set_ids(struct pci_func *f, uint16_t vendor, uint16_t device,
		      uint8_t revision, uint32_t class_code)
{
	pci_cfg_set(f, PCI_VENDOR_ID, vendor, 2);
	pci_cfg_set(f, PCI_DEVICE_ID, device, 2);
	pci_cfg_set(f, PCI_CLASS_REVISION,
		    (class_code & 0xffffffu) << 8 | revision, 4);
}

void pci_func_set_subsys(struct pci_func *f, uint16_t subsys_vendor,
			 uint16_t subsys_id)
{
	pci_cfg_set(f, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor, 2);
	pci_cfg_set(f, PCI_SUBSYSTEM_ID, subsys_id, 2);
}

void pci_func_set_irq_pin(struct pci_func *f, uint8_t pin)
{
	pci_cfg_set(f, PCI_INTERRUPT_PIN, pin <= 4 ? pin : 0, 1);
}

int pci_func_add_cap(struct pci_func *f, uint8_t cap_id, uint8_t len,
		     uint8_t *off, struct vm_error **errp)
{
	unsigned at = ALIGN_UP((unsigned)f->cap_end, 4u);
	uint8_t p;

	if (f->bus)
		return verr_set(errp, -EBUSY,
				"%s: capability 0x%02x added after plugging",
				f->name, cap_id);
	if (len < 2)
		return verr_set(errp, -EINVAL,
				"%s: capability 0x%02x of %u bytes", f->name,
				cap_id, len);
	if (at + len > PCI_CFG_SPACE_SIZE)
		return verr_set(errp, -ENOSPC,
				"%s: capability 0x%02x (%u bytes) does not fit "
				"in config space (%u bytes used)",
				f->name, cap_id, len, at);
	/* Append at the end of the list: the walk order is the add order. */
	if (!(pci_cfg_get(f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST)) {
		pci_cfg_set(f, PCI_CAPABILITY_LIST, at, 1);
		pci_cfg_set(f, PCI_STATUS,
			    pci_cfg_get(f, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST,
			    2);
	} else {
		p = f->cfg[PCI_CAPABILITY_LIST];
		while (f->cfg[p + PCI_CAP_LIST_NEXT])
			p = f->cfg[p + PCI_CAP_LIST_NEXT];
		f->cfg[p + PCI_CAP_LIST_NEXT] = (uint8_t)at;
	}
	memset(&f->cfg[at], 0, len);
	memset(&f->wmask[at], 0, len);
	memset(&f->w1cmask[at], 0, len);
	f->cfg[at + PCI_CAP_LIST_ID] = cap_id;
	f->cfg[at + PCI_CAP_LIST_NEXT] = 0;
	f->cap_end = (uint8_t)MIN(at + len, 0xffu);
	if (at + len == PCI_CFG_SPACE_SIZE)
		f->cap_end = 0xff; /* full: the next add fails */
	*off = (uint8_t)at;
	return 0;
}

static int pci_cfg_access_ok(struct pci_func *f, uint32_t off, unsigned size)
{
	if ((size == 1 || size == 2 || size == 4) && (off & (size - 1)) == 0 &&
	    off < PCI_CFG_SPACE_EXP_SIZE)
		return 1;
	if (!(f->bad_access_logged & PCI_LOGGED_CFG_RANGE)) {
		f->bad_access_logged |= PCI_LOGGED_CFG_RANGE;
		vlog_warn(f->log, f->name,
			  "config access of %u bytes at 0x%x ignored", size,
			  off);
	}
	return 0;
}

uint32_t pci_func_cfg_read(struct pci_func *f, uint32_t off, unsigned size)
{
	uint32_t v;

	pthread_mutex_lock(&f->lock);
	if (!pci_cfg_access_ok(f, off, size)) {
		pthread_mutex_unlock(&f->lock);
		return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	}
	/* A conventional function has no extended space: reads are 0, so
	 * the extended capability list at 0x100 is empty. */
	if (off >= PCI_CFG_SPACE_SIZE) {
		pthread_mutex_unlock(&f->lock);
		return 0;
	}
	if (f->ops && f->ops->cfg_read)
		f->ops->cfg_read(f, off, size);
	v = pci_cfg_get(f, off, size);
	pthread_mutex_unlock(&f->lock);
	return v;
}

static int pci_overlaps(uint32_t off, unsigned size, uint32_t lo,
			uint32_t len)
{
	return off < lo + len && lo < off + size;
}

void pci_func_cfg_write(struct pci_func *f, uint32_t off, uint32_t val,
			unsigned size)
{
	uint16_t msix_old = 0;
	unsigned i;

	pthread_mutex_lock(&f->lock);
	if (!pci_cfg_access_ok(f, off, size) || off >= PCI_CFG_SPACE_SIZE) {
		pthread_mutex_unlock(&f->lock);
		return;
	}
	if (f->msix.nvec)
		msix_old = (uint16_t)pci_cfg_get(f, f->msix.cap + PCI_MSIX_FLAGS,
						 2);
	for (i = 0; i < size; i++) {
		uint8_t v = (uint8_t)(val >> (8 * i));
		uint8_t *c = &f->cfg[off + i];

		*c = (uint8_t)((*c & ~f->wmask[off + i]) |
			       (v & f->wmask[off + i]));
		*c = (uint8_t)(*c & ~(v & f->w1cmask[off + i]));
	}
	if (pci_overlaps(off, size, PCI_COMMAND, 2) ||
	    pci_overlaps(off, size, PCI_BASE_ADDRESS_0, 4 * PCI_STD_NUM_BARS))
		pci_bars_update(f);
	if (f->msix.nvec &&
	    pci_overlaps(off, size, f->msix.cap + PCI_MSIX_FLAGS, 2))
		pci_msix_ctrl_written(f, msix_old);
	if (f->ops && f->ops->cfg_write)
		f->ops->cfg_write(f, off, val, size);
	pthread_mutex_unlock(&f->lock);
}
