/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/pci/msix.c: MSI-X (PCI Local Bus 3.0 §6.8.2): the capability, the
 * vector table and the pending bit array, emulated in a BAR.
 *
 * Table entries are kept as the guest wrote them (16 bytes each, little
 * endian). A vector is *usable* when MSI-X is enabled, the function mask is
 * clear and the entry's mask bit is clear; pci_msix_notify() delivers a
 * usable vector's message through the bus's irq sink and sets the PBA bit
 * of an unusable one, which is delivered (and cleared) the moment it
 * becomes usable (§6.8.3.5). Every change of a vector's usability or of a
 * usable vector's message is reported to f->ops->msix_vector so that a
 * device can keep an irqfd route in step.
 *
 * Hostile guest: table accesses past nvec read 0 and are dropped; only
 * 4- and 8-byte aligned accesses are served (§6.8.2: "DWORD or QWORD");
 * the reserved bits of Vector Control are read-only; PBA writes are
 * ignored. Each is logged once per function.
 *
 * Threads: table/PBA accesses and control writes on vCPU threads;
 * pci_msix_notify() on any thread (vCPU, I/O loop, queue worker).
 * Locking: f->lock guards table, pba and the capability bytes; delivery
 * (irq_msi) and f->ops->msix_vector run with it held so that a delivery
 * cannot race a mask or a message change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pci-internal.h"

static uint32_t msix_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t msix_ctrl(const struct pci_func *f)
{
	return (uint16_t)pci_cfg_get(f, f->msix.cap + PCI_MSIX_FLAGS, 2);
}

static int msix_usable_ctrl(const struct pci_func *f, uint16_t ctrl,
			    unsigned vec)
{
	const uint8_t *e = &f->msix.table[vec * PCI_MSIX_ENTRY_SIZE];

	return (ctrl & PCI_MSIX_FLAGS_ENABLE) &&
	       !(ctrl & PCI_MSIX_FLAGS_MASKALL) &&
	       !(msix_le32(e + PCI_MSIX_ENTRY_VECTOR_CTRL) &
		 PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void msix_msg(const struct pci_func *f, unsigned vec, uint64_t *addr,
		     uint32_t *data)
{
	const uint8_t *e = &f->msix.table[vec * PCI_MSIX_ENTRY_SIZE];

	*addr = (uint64_t)msix_le32(e + PCI_MSIX_ENTRY_UPPER_ADDR) << 32 |
		msix_le32(e + PCI_MSIX_ENTRY_LOWER_ADDR);
	*data = msix_le32(e + PCI_MSIX_ENTRY_DATA);
}

static int msix_is_pending(const struct pci_func *f, unsigned vec)
{
	return (f->msix.pba[vec / 64] >> (vec % 64)) & 1;
}

static int msix_deliver(struct pci_func *f, unsigned vec)
{
	uint64_t addr;
	uint32_t data;

	if (!f->bus || !f->bus->cfg.irq)
		return -ENOENT;
	msix_msg(f, vec, &addr, &data);
	return irq_msi(f->bus->cfg.irq, addr, data);
}

/* Vector @vec went from @was_usable to whatever it is now. */
static void msix_vector_changed(struct pci_func *f, unsigned vec,
				int was_usable, uint64_t old_addr,
				uint32_t old_data)
{
	int usable = msix_usable_ctrl(f, msix_ctrl(f), vec);
	uint64_t addr;
	uint32_t data;

	msix_msg(f, vec, &addr, &data);
	if (usable && msix_is_pending(f, vec)) {
		f->msix.pba[vec / 64] &= ~(1ull << (vec % 64));
		msix_deliver(f, vec);
	}
	if (usable != was_usable ||
	    (usable && (addr != old_addr || data != old_data))) {
		if (f->ops && f->ops->msix_vector)
			f->ops->msix_vector(f, vec, usable, addr, data);
	}
}

int pci_msix_init(struct pci_func *f, unsigned nvec, unsigned bar_idx,
		  uint32_t table_off, uint32_t pba_off, struct vm_error **errp)
{
	uint64_t tlen = (uint64_t)nvec * PCI_MSIX_ENTRY_SIZE;
	uint64_t plen = ALIGN_UP((uint64_t)nvec, 64u) / 8;
	uint64_t need, size;
	uint8_t cap;
	unsigned i;
	int r;

	if (f->bus)
		return verr_set(errp, -EBUSY, "%s: MSI-X set up after plugging",
				f->name);
	if (f->msix.nvec)
		return verr_set(errp, -EBUSY, "%s: MSI-X set up twice",
				f->name);
	if (nvec == 0 || nvec > PCI_MSIX_FLAGS_QSIZE + 1u)
		return verr_set(errp, -EINVAL, "%s: MSI-X with %u vectors",
				f->name, nvec);
	if (bar_idx >= PCI_STD_NUM_BARS ||
	    f->bars[bar_idx].flags == PCIBAR_UPPER ||
	    (f->bars[bar_idx].flags & PCIBAR_IO))
		return verr_set(errp, -EINVAL,
				"%s: MSI-X: BAR %u is not a memory BAR",
				f->name, bar_idx);
	if ((table_off & 7) || (pba_off & 7) ||
	    (table_off < pba_off + plen && pba_off < table_off + tlen))
		return verr_set(errp, -EINVAL,
				"%s: MSI-X: table at 0x%x (0x%llx bytes) and PBA "
				"at 0x%x (0x%llx bytes) misaligned or overlapping",
				f->name, table_off, (unsigned long long)tlen,
				pba_off, (unsigned long long)plen);
	need = MAX(table_off + tlen, pba_off + plen);
	if (f->bars[bar_idx].size) {
		if (need > f->bars[bar_idx].size)
			return verr_set(errp, -EINVAL,
					"%s: MSI-X: table/PBA end at 0x%llx, "
					"past BAR %u (0x%llx bytes)",
					f->name, (unsigned long long)need,
					bar_idx,
					(unsigned long long)f->bars[bar_idx].size);
	} else {
		for (size = 4096; size < need; size <<= 1)
			;
		r = pci_func_add_bar(f, bar_idx, size, PCIBAR_MEM32, NULL,
				     NULL, errp);
		if (r < 0)
			return r;
	}
	r = pci_func_add_cap(f, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF, &cap,
			     errp);
	if (r < 0)
		return r;
	f->msix.table = calloc(nvec, PCI_MSIX_ENTRY_SIZE);
	f->msix.pba = calloc(plen / 8, 8);
	if (!f->msix.table || !f->msix.pba) {
		free(f->msix.table);
		free(f->msix.pba);
		f->msix.table = NULL;
		f->msix.pba = NULL;
		return verr_set(errp, -ENOMEM, "%s: MSI-X: out of memory",
				f->name);
	}
	for (i = 0; i < nvec; i++)
		f->msix.table[i * PCI_MSIX_ENTRY_SIZE +
			      PCI_MSIX_ENTRY_VECTOR_CTRL] =
			PCI_MSIX_ENTRY_CTRL_MASKBIT;
	f->msix.nvec = nvec;
	f->msix.bar = bar_idx;
	f->msix.table_off = table_off;
	f->msix.pba_off = pba_off;
	f->msix.cap = cap;
	pci_cfg_set(f, cap + PCI_MSIX_FLAGS, nvec - 1, 2);
	pci_func_set_wmask(f, cap + PCI_MSIX_FLAGS,
			   PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
	pci_cfg_set(f, cap + PCI_MSIX_TABLE, table_off | bar_idx, 4);
	pci_cfg_set(f, cap + PCI_MSIX_PBA, pba_off | bar_idx, 4);
	return 0;
}

void pci_msix_ctrl_written(struct pci_func *f, uint16_t old)
{
	uint16_t now = msix_ctrl(f);
	unsigned i;

	if (((old ^ now) &
	     (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)) == 0)
		return;
	for (i = 0; i < f->msix.nvec; i++) {
		uint64_t addr;
		uint32_t data;

		msix_msg(f, i, &addr, &data);
		msix_vector_changed(f, i, msix_usable_ctrl(f, old, i), addr,
				    data);
	}
}

static int msix_log_once(struct pci_func *f, unsigned bit, const char *what,
			 uint64_t off, unsigned size)
{
	if (!(f->bad_access_logged & bit)) {
		f->bad_access_logged |= bit;
		vlog_warn(f->log, f->name,
			  "MSI-X: %s (%u bytes at 0x%llx) ignored", what, size,
			  (unsigned long long)off);
	}
	return 1;
}

/* Which region @off falls in: 1 table, 2 PBA, 0 neither. */
static int msix_region(const struct pci_func *f, unsigned bar, uint64_t off,
		       uint64_t *roff)
{
	uint64_t tlen = (uint64_t)f->msix.nvec * PCI_MSIX_ENTRY_SIZE;
	uint64_t plen = ALIGN_UP((uint64_t)f->msix.nvec, 64u) / 8;

	if (bar != f->msix.bar)
		return 0;
	if (off >= f->msix.table_off && off - f->msix.table_off < tlen) {
		*roff = off - f->msix.table_off;
		return 1;
	}
	if (off >= f->msix.pba_off && off - f->msix.pba_off < plen) {
		*roff = off - f->msix.pba_off;
		return 2;
	}
	return 0;
}

int pci_msix_bar_read(struct pci_func *f, unsigned bar, uint64_t off,
		      void *data, unsigned size)
{
	uint64_t roff, v = 0;
	int reg = msix_region(f, bar, off, &roff);

	if (!reg)
		return 0;
	memset(data, 0, size);
	if ((size != 4 && size != 8) || (roff & (size - 1)))
		return msix_log_once(f, PCI_LOGGED_MSIX_SIZE,
				     "odd-sized read", off, size);
	pthread_mutex_lock(&f->lock);
	if (reg == 1) {
		/* An 8-byte read of the last dword pair stays in the table:
		 * entries are 16 bytes and roff is size-aligned. */
		memcpy(&v, &f->msix.table[roff], size);
	} else {
		/* The PBA array is a whole number of qwords. */
		if (f->ops && f->ops->msix_pba_read)
			f->ops->msix_pba_read(f);
		v = f->msix.pba[roff / 8];
		if (size == 4)
			v >>= 8 * (roff & 4);
	}
	pthread_mutex_unlock(&f->lock);
	memcpy(data, &v, size);
	return 1;
}

int pci_msix_bar_write(struct pci_func *f, unsigned bar, uint64_t off,
		       const void *data, unsigned size)
{
	uint64_t roff, old_addr;
	uint32_t old_data;
	unsigned vec, i;
	uint8_t *e;
	int reg = msix_region(f, bar, off, &roff), was;

	if (!reg)
		return 0;
	if (reg == 2)
		return msix_log_once(f, PCI_LOGGED_PBA_WRITE, "PBA write", off,
				     size);
	if ((size != 4 && size != 8) || (roff & (size - 1)))
		return msix_log_once(f, PCI_LOGGED_MSIX_SIZE,
				     "odd-sized write", off, size);
	vec = (unsigned)(roff / PCI_MSIX_ENTRY_SIZE);
	pthread_mutex_lock(&f->lock);
	e = &f->msix.table[vec * PCI_MSIX_ENTRY_SIZE];
	was = msix_usable_ctrl(f, msix_ctrl(f), vec);
	msix_msg(f, vec, &old_addr, &old_data);
	for (i = 0; i < size; i++) {
		unsigned b = (unsigned)(roff % PCI_MSIX_ENTRY_SIZE) + i;
		uint8_t v = ((const uint8_t *)data)[i];

		if (b == PCI_MSIX_ENTRY_VECTOR_CTRL)
			/* Only the mask bit is defined; the rest reserved. */
			v = (uint8_t)((e[b] & ~PCI_MSIX_ENTRY_CTRL_MASKBIT) |
				      (v & PCI_MSIX_ENTRY_CTRL_MASKBIT));
		else if (b > PCI_MSIX_ENTRY_VECTOR_CTRL)
			continue;
		e[b] = v;
	}
	msix_vector_changed(f, vec, was, old_addr, old_data);
	pthread_mutex_unlock(&f->lock);
	return 1;
}

int pci_msix_notify(struct pci_func *f, unsigned vec)
{
	int r;

	pthread_mutex_lock(&f->lock);
	if (vec >= f->msix.nvec) {
		pthread_mutex_unlock(&f->lock);
		return -EINVAL;
	}
	if (!f->bus || !(msix_ctrl(f) & PCI_MSIX_FLAGS_ENABLE)) {
		pthread_mutex_unlock(&f->lock);
		return -ENOENT;
	}
	if (msix_usable_ctrl(f, msix_ctrl(f), vec)) {
		r = msix_deliver(f, vec);
	} else {
		f->msix.pba[vec / 64] |= 1ull << (vec % 64);
		r = 1;
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

void pci_msix_pend_locked(struct pci_func *f, unsigned vec)
{
	if (vec >= f->msix.nvec)
		return;
	if (msix_usable_ctrl(f, msix_ctrl(f), vec))
		(void)msix_deliver(f, vec);
	else
		f->msix.pba[vec / 64] |= 1ull << (vec % 64);
}

int pci_msix_is_enabled(struct pci_func *f)
{
	int r;

	pthread_mutex_lock(&f->lock);
	r = f->msix.nvec && (msix_ctrl(f) & PCI_MSIX_FLAGS_ENABLE);
	pthread_mutex_unlock(&f->lock);
	return r;
}

int pci_msix_get_msg(struct pci_func *f, unsigned vec, uint64_t *addr,
		     uint32_t *data)
{
	int r;

	pthread_mutex_lock(&f->lock);
	if (vec >= f->msix.nvec) {
		pthread_mutex_unlock(&f->lock);
		return -EINVAL;
	}
	msix_msg(f, vec, addr, data);
	r = msix_usable_ctrl(f, msix_ctrl(f), vec);
	pthread_mutex_unlock(&f->lock);
	return r;
}

void pci_msix_replay_locked(struct pci_func *f)
{
	for (unsigned vec = 0; vec < f->msix.nvec; vec++)
		msix_vector_changed(f, vec, 0, 0, 0);
}
