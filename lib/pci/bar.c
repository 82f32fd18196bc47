/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/pci/bar.c: base address registers: declaration, firmware-style
 * assignment at plug, and mapping into the machine's iomap.
 *
 * Sizing needs no code: the BAR's write mask is ~(size - 1) above the
 * read-only flag bits, so writing all-ones reads back the size. A BAR is
 * mapped while PCI_COMMAND enables its space, its address is not 0 and it
 * lies wholly inside one of the bus windows (positive decode, as a root
 * complex does): a BAR the guest points at RAM, at the ECAM window or at
 * another device is therefore left unmapped (logged once), and one that
 * overlaps another BAR makes iomap_add() fail, same treatment.
 *
 * Every BAR is registered with pci_bar_iomap_ops and its struct pci_bar as
 * opaque; the wrapper serves the MSI-X table/PBA and forwards the rest to
 * the device's ops.
 *
 * Threads: declaration and assignment on the API thread before plugging;
 * mapping on vCPU threads (config writes) — a BAR moves from inside a
 * config write handler, which iomap allows since it calls handlers without
 * its lock. BAR accesses on vCPU threads.
 * Locking: f->lock guards bars[] state (addr, map_err_logged); the
 * wrapper reads only fields fixed before plugging and takes no lock
 * (msix.c takes f->lock for the table).
 */
#include <errno.h>
#include <string.h>

#include "pci-internal.h"

static int pci_is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

int pci_func_add_bar(struct pci_func *f, unsigned idx, uint64_t size,
		     unsigned flags, const struct iomap_ops *ops, void *opaque,
		     struct vm_error **errp)
{
	int is_io = flags & PCIBAR_IO, is64 = flags & PCIBAR_MEM64;
	struct pci_bar *bar;
	uint32_t lo;

	if (f->bus)
		return verr_set(errp, -EBUSY, "%s: BAR %u added after plugging",
				f->name, idx);
	if (idx >= PCI_STD_NUM_BARS || (is64 && idx + 1 >= PCI_STD_NUM_BARS))
		return verr_set(errp, -EINVAL, "%s: BAR %u: no such BAR%s",
				f->name, idx, is64 ? " pair (64-bit)" : "");
	if ((flags & ~(PCIBAR_IO | PCIBAR_MEM64 | PCIBAR_PREFETCH)) ||
	    (is_io && (flags & (PCIBAR_MEM64 | PCIBAR_PREFETCH))))
		return verr_set(errp, -EINVAL, "%s: BAR %u: bad flags 0x%x",
				f->name, idx, flags);
	if (!pci_is_pow2(size) || size < (is_io ? 4u : 16u) ||
	    (is_io && size > 256) || (!is64 && size > (1ull << 31)) || size > (1ull << 40))
		return verr_set(errp, -EINVAL,
				"%s: BAR %u: bad %s size 0x%llx", f->name, idx,
				is_io ? "I/O" : "memory",
				(unsigned long long)size);
	if (f->bars[idx].size || f->bars[idx].flags == PCIBAR_UPPER ||
	    (is64 && (f->bars[idx + 1].size ||
		      f->bars[idx + 1].flags == PCIBAR_UPPER)))
		return verr_set(errp, -EBUSY, "%s: BAR %u: already in use",
				f->name, is64 && !f->bars[idx].size &&
				f->bars[idx].flags != PCIBAR_UPPER ? idx + 1 : idx);
	bar = &f->bars[idx];
	bar->size = size;
	bar->flags = flags;
	bar->ops = ops;
	bar->opaque = opaque;
	bar->addr = PCIBAR_UNMAPPED;
	if (is_io) {
		lo = PCI_BASE_ADDRESS_SPACE_IO;
		pci_func_set_wmask(f, PCI_BASE_ADDRESS_0 + 4 * idx,
				   (uint32_t)~(size - 1) &
				   PCI_BASE_ADDRESS_IO_MASK, 4);
	} else {
		lo = (is64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 :
			     PCI_BASE_ADDRESS_MEM_TYPE_32) |
		     (flags & PCIBAR_PREFETCH ? PCI_BASE_ADDRESS_MEM_PREFETCH
					      : 0);
		pci_func_set_wmask(f, PCI_BASE_ADDRESS_0 + 4 * idx,
				   (uint32_t)~(size - 1) &
				   (uint32_t)PCI_BASE_ADDRESS_MEM_MASK, 4);
	}
	pci_cfg_set(f, PCI_BASE_ADDRESS_0 + 4 * idx, lo, 4);
	if (is64) {
		f->bars[idx + 1].flags = PCIBAR_UPPER;
		pci_func_set_wmask(f, PCI_BASE_ADDRESS_0 + 4 * (idx + 1),
				   (uint32_t)(~(size - 1) >> 32), 4);
		pci_cfg_set(f, PCI_BASE_ADDRESS_0 + 4 * (idx + 1), 0, 4);
	}
	return 0;
}

uint64_t pci_func_bar_addr(struct pci_func *f, unsigned idx)
{
	uint64_t a;

	if (idx >= PCI_STD_NUM_BARS)
		return PCIBAR_UNMAPPED;
	pthread_mutex_lock(&f->lock);
	a = f->bars[idx].addr;
	pthread_mutex_unlock(&f->lock);
	return a;
}

/* The address programmed in BAR @i (flag bits stripped). */
static uint64_t pci_bar_reg(const struct pci_func *f, unsigned i)
{
	const struct pci_bar *bar = &f->bars[i];
	uint64_t a = pci_cfg_get(f, PCI_BASE_ADDRESS_0 + 4 * i, 4);

	if (bar->flags & PCIBAR_IO)
		return a & PCI_BASE_ADDRESS_IO_MASK;
	a &= (uint32_t)PCI_BASE_ADDRESS_MEM_MASK;
	if (bar->flags & PCIBAR_MEM64)
		a |= (uint64_t)pci_cfg_get(f, PCI_BASE_ADDRESS_0 + 4 * (i + 1),
					   4) << 32;
	return a;
}

static int pci_in_window(uint64_t a, uint64_t len, uint64_t base,
			 uint64_t size)
{
	return size && a >= base && a - base < size && len <= size - (a - base);
}

/* Where BAR @i should be decoded now, or PCIBAR_UNMAPPED. */
static uint64_t pci_bar_target(struct pci_func *f, unsigned i)
{
	const struct pci_bus_config *c = &f->bus->cfg;
	struct pci_bar *bar = &f->bars[i];
	uint16_t cmd = (uint16_t)pci_cfg_get(f, PCI_COMMAND, 2);
	uint64_t a = pci_bar_reg(f, i);
	int ok;

	if (!(cmd & (bar->flags & PCIBAR_IO ? PCI_COMMAND_IO
					     : PCI_COMMAND_MEMORY)) || a == 0)
		return PCIBAR_UNMAPPED;
	if (bar->flags & PCIBAR_IO)
		ok = pci_in_window(a, bar->size, c->io_base, c->io_size);
	else
		ok = pci_in_window(a, bar->size, c->mmio32_base,
				   c->mmio32_size) ||
		     pci_in_window(a, bar->size, c->mmio64_base,
				   c->mmio64_size);
	if (!ok) {
		/* Linux sizes BARs with decoding off, so an all-ones pattern
		 * here is a guest bug or hostility: log once per BAR. */
		if (!(bar->map_err_logged & 1)) {
			bar->map_err_logged |= 1;
			vlog_warn(f->log, f->name,
				  "BAR %u at 0x%llx+0x%llx is outside the bus "
				  "windows: left unmapped", i,
				  (unsigned long long)a,
				  (unsigned long long)bar->size);
		}
		return PCIBAR_UNMAPPED;
	}
	return a;
}

static struct iomap *pci_bar_map_of(struct pci_func *f, unsigned i)
{
	return f->bars[i].flags & PCIBAR_IO ? f->bus->cfg.pio
					    : f->bus->cfg.mmio;
}

static void pci_bar_set(struct pci_func *f, unsigned i, uint64_t to)
{
	struct pci_bar *bar = &f->bars[i];
	struct vm_error *err = NULL;
	struct iomap *m = pci_bar_map_of(f, i);

	if (to == bar->addr)
		return;
	if (bar->addr != PCIBAR_UNMAPPED) {
		iomap_del(m, bar->addr, bar);
		bar->addr = PCIBAR_UNMAPPED;
		if (f->ops && f->ops->bar_map)
			f->ops->bar_map(f, i, PCIBAR_UNMAPPED);
	}
	if (to == PCIBAR_UNMAPPED)
		return;
	if (iomap_add(m, to, bar->size, &pci_bar_iomap_ops, bar, f->name,
		      &err) < 0) {
		if (!(bar->map_err_logged & 2)) {
			bar->map_err_logged |= 2;
			vlog_warn(f->log, f->name,
				  "BAR %u: %s: left unmapped", i,
				  vm_error_message(err));
		}
		vm_error_free(err);
		return;
	}
	bar->addr = to;
	if (f->ops && f->ops->bar_map)
		f->ops->bar_map(f, i, to);
}

void pci_bars_update(struct pci_func *f)
{
	unsigned i;

	if (!f->bus)
		return;
	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		if (f->bars[i].size)
			pci_bar_set(f, i, pci_bar_target(f, i));
}

void pci_bars_unmap(struct pci_func *f)
{
	unsigned i;

	if (!f->bus)
		return;
	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		if (f->bars[i].size)
			pci_bar_set(f, i, PCIBAR_UNMAPPED);
}

/* Write @a into BAR @i as the guest would (flag bits kept). */
static void pci_bar_program(struct pci_func *f, unsigned i, uint64_t a)
{
	uint32_t off = PCI_BASE_ADDRESS_0 + 4 * i;
	uint32_t wm = (uint32_t)f->wmask[off] |
		      (uint32_t)f->wmask[off + 1] << 8 |
		      (uint32_t)f->wmask[off + 2] << 16 |
		      (uint32_t)f->wmask[off + 3] << 24;

	pci_cfg_set(f, off, (pci_cfg_get(f, off, 4) & ~wm) |
		    ((uint32_t)a & wm), 4);
	if (f->bars[i].flags & PCIBAR_MEM64)
		pci_cfg_set(f, off + 4, (uint32_t)(a >> 32), 4);
}

/* Bump allocation with natural alignment; 0 when the window is full. */
static uint64_t pci_window_alloc(uint64_t *next, uint64_t base, uint64_t size,
				 uint64_t len)
{
	uint64_t a = ALIGN_UP(*next < base ? base : *next, len);

	if (!pci_in_window(a, len, base, size))
		return 0;
	*next = a + len;
	return a;
}

int pci_bars_assign(struct pci_bus *b, struct pci_func *f,
		    struct vm_error **errp)
{
	const struct pci_bus_config *c = &b->cfg;
	uint64_t a;
	unsigned i;

	/* Largest first packs naturally aligned BARs without holes. */
	for (uint64_t sz = 1ull << 40; sz; sz >>= 1) {
		for (i = 0; i < PCI_STD_NUM_BARS; i++) {
			struct pci_bar *bar = &f->bars[i];

			if (bar->size != sz)
				continue;
			a = 0;
			if (bar->flags & PCIBAR_IO) {
				a = pci_window_alloc(&b->io_next, c->io_base,
						     c->io_size, sz);
			} else {
				if (bar->flags & PCIBAR_MEM64)
					a = pci_window_alloc(&b->mmio64_next,
							     c->mmio64_base,
							     c->mmio64_size, sz);
				if (!a)
					a = pci_window_alloc(&b->mmio32_next,
							     c->mmio32_base,
							     c->mmio32_size, sz);
			}
			if (!a)
				return verr_set(errp, -ENOSPC,
						"%s: BAR %u: no room for "
						"0x%llx bytes in the %s window",
						f->name, i,
						(unsigned long long)sz,
						bar->flags & PCIBAR_IO ? "I/O"
								       : "memory");
			pci_bar_program(f, i, a);
		}
	}
	return 0;
}

static void pci_bar_read(void *opaque, uint64_t off, void *data,
			 unsigned size)
{
	struct pci_bar *bar = opaque;

	if (bar->f->msix.nvec &&
	    pci_msix_bar_read(bar->f, bar->idx, off, data, size))
		return;
	if (bar->ops)
		bar->ops->read(bar->opaque, off, data, size);
	else
		memset(data, 0, size);
}

static void pci_bar_write(void *opaque, uint64_t off, const void *data,
			  unsigned size)
{
	struct pci_bar *bar = opaque;

	if (bar->f->msix.nvec &&
	    pci_msix_bar_write(bar->f, bar->idx, off, data, size))
		return;
	if (bar->ops)
		bar->ops->write(bar->opaque, off, data, size);
}

const struct iomap_ops pci_bar_iomap_ops = {
	.read = pci_bar_read,
	.write = pci_bar_write,
};
