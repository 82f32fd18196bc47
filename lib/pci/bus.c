/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/pci/bus.c: PCI bus 0 and its host bridge: configuration mechanism #1
 * (0xcf8 address latch, 0xcfc..0xcff data), the ECAM window, slots and
 * plugging.
 *
 * Only function 0 of each slot exists (header type without the
 * multi-function bit, so Linux scans one function per slot: 32 reads of a
 * vendor ID, two exits each with mechanism #1). Config accesses to other
 * buses or functions read all-ones and drop writes, as a master abort does.
 *
 * 0xcf8..0xcff is registered as one range because an access must lie in
 * one range; byte accesses at 0xcf9 (the x86 reset control register) go to
 * cfg->cf9_read/cf9_write so that lib/pci has no x86 code. Only a dword
 * access at 0xcf8 touches the latch (what Linux's pci_check_type1() and
 * every chipset since the PIIX do).
 *
 * Threads: API thread for init/fini/plug/unplug (vCPUs not running);
 * vCPU threads for 0xcf8/0xcfc/ECAM accesses.
 * Locking: ->lock guards ->cf8 and ->slots[]; it is dropped before the
 * function's config handler takes f->lock (never held together). A
 * function is only unplugged while vCPUs are stopped, so the pointer read
 * under ->lock stays valid after it is dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pci-internal.h"

static uint32_t pci_ones(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static struct pci_func *pci_bus_func(struct pci_bus *b, unsigned devfn)
{
	struct pci_func *f = NULL;

	if (PCI_FUNC(devfn) != 0)
		return NULL;
	pthread_mutex_lock(&b->lock);
	f = b->slots[PCI_SLOT(devfn)];
	pthread_mutex_unlock(&b->lock);
	return f;
}

uint32_t pci_bus_cfg_read(struct pci_bus *b, unsigned devfn, uint32_t off,
			  unsigned size)
{
	struct pci_func *f = devfn < 256 ? pci_bus_func(b, devfn) : NULL;

	if (!f)
		return pci_ones(size);
	return pci_func_cfg_read(f, off, size);
}

void pci_bus_cfg_write(struct pci_bus *b, unsigned devfn, uint32_t off,
		       uint32_t val, unsigned size)
{
	struct pci_func *f = devfn < 256 ? pci_bus_func(b, devfn) : NULL;

	if (f)
		pci_func_cfg_write(f, off, val, size);
}

/* The (devfn, register) the latch selects for data port offset @k, or -1
 * when it selects nothing of ours (disabled, another bus). */
static int pci_cf8_target(struct pci_bus *b, unsigned k, unsigned *devfn,
			  uint32_t *reg)
{
	uint32_t cf8;

	pthread_mutex_lock(&b->lock);
	cf8 = b->cf8;
	pthread_mutex_unlock(&b->lock);
	if (!(cf8 & 0x80000000u) || ((cf8 >> 16) & 0xff) != 0)
		return -1;
	*devfn = (cf8 >> 8) & 0xff;
	*reg = (cf8 & 0xfc) + k;
	return 0;
}

static void pci_cf8_read(void *opaque, uint64_t off, void *data,
			 unsigned size)
{
	struct pci_bus *b = opaque;
	uint32_t v = pci_ones(size), reg;
	unsigned devfn;

	if (off == 0 && size == 4) {
		pthread_mutex_lock(&b->lock);
		v = b->cf8;
		pthread_mutex_unlock(&b->lock);
	} else if (off == 1 && size == 1) {
		if (b->cfg.cf9_read)
			v = b->cfg.cf9_read(b->cfg.cf9_opaque);
	} else if (off >= 4 && size <= 4 && off - 4 + size <= 4) {
		if (pci_cf8_target(b, (unsigned)off - 4, &devfn, &reg) == 0)
			v = pci_bus_cfg_read(b, devfn, reg, size);
	}
	memcpy(data, &v, size > 4 ? 4 : size);
	if (size > 4)
		memset((char *)data + 4, 0xff, size - 4);
}

static void pci_cf8_write(void *opaque, uint64_t off, const void *data,
			  unsigned size)
{
	struct pci_bus *b = opaque;
	uint32_t v = 0, reg;
	unsigned devfn;

	memcpy(&v, data, size > 4 ? 4 : size);
	if (off == 0 && size == 4) {
		pthread_mutex_lock(&b->lock);
		b->cf8 = v & 0x80fffffcu; /* reserved bits read as 0 */
		pthread_mutex_unlock(&b->lock);
	} else if (off == 1 && size == 1) {
		if (b->cfg.cf9_write)
			b->cfg.cf9_write(b->cfg.cf9_opaque, (uint8_t)v);
	} else if (off >= 4 && size <= 4 && off - 4 + size <= 4) {
		if (pci_cf8_target(b, (unsigned)off - 4, &devfn, &reg) == 0)
			pci_bus_cfg_write(b, devfn, reg, v, size);
	}
}

static const struct iomap_ops pci_cf8_ops = {
	.read = pci_cf8_read,
	.write = pci_cf8_write,
};

/* ECAM (PCIe 5.0 §7.2.2): bus << 20 | devfn << 12 | register. */
static void pci_ecam_read(void *opaque, uint64_t off, void *data,
			  unsigned size)
{
	struct pci_bus *b = opaque;
	uint32_t v = pci_ones(size);

	if (size <= 4 && (off >> 20) == 0)
		v = pci_bus_cfg_read(b, (off >> 12) & 0xff, off & 0xfff, size);
	memset(data, 0xff, size);
	memcpy(data, &v, size > 4 ? 4 : size);
}

static void pci_ecam_write(void *opaque, uint64_t off, const void *data,
			   unsigned size)
{
	struct pci_bus *b = opaque;
	uint32_t v = 0;

	if (size > 4 || (off >> 20) != 0)
		return;
	memcpy(&v, data, size);
	pci_bus_cfg_write(b, (off >> 12) & 0xff, off & 0xfff, v, size);
}

static const struct iomap_ops pci_ecam_ops = {
	.read = pci_ecam_read,
	.write = pci_ecam_write,
};

int pci_bus_init(struct pci_bus *b, const struct pci_bus_config *cfg,
		 struct vm_error **errp)
{
	int r;

	memset(b, 0, sizeof(*b));
	b->cfg = *cfg;
	b->mmio32_next = cfg->mmio32_base;
	b->mmio64_next = cfg->mmio64_base;
	b->io_next = cfg->io_base;
	r = pthread_mutex_init(&b->lock, NULL);
	if (r)
		return verr_set(errp, -r, "pci bus: mutex init failed");
	b->registered |= 4; /* the mutex */
	if (cfg->legacy_cfg) {
		r = iomap_add(cfg->pio, PCIBUS_CF8_PORT, 8, &pci_cf8_ops, b,
			      "pci bus 0000:00 config ports", errp);
		if (r < 0)
			goto fail;
		b->registered |= 1;
	}
	if (cfg->ecam_base) {
		r = iomap_add(cfg->mmio, cfg->ecam_base,
			      cfg->ecam_size ? cfg->ecam_size
					     : PCIBUS_ECAM_BUS_SIZE,
			      &pci_ecam_ops, b, "pci bus 0000:00 ECAM", errp);
		if (r < 0)
			goto fail;
		b->registered |= 2;
	}
	return 0;
fail:
	pci_bus_fini(b);
	return r;
}

void pci_bus_fini(struct pci_bus *b)
{
	unsigned i;

	if (!(b->registered & 4))
		return;
	for (i = 0; i < PCIBUS_NR_SLOTS; i++)
		if (b->slots[i])
			pci_bus_unplug(b, b->slots[i]);
	if (b->host_plugged) {
		pci_func_fini(&b->host);
		b->host_plugged = 0;
	}
	if (b->registered & 1)
		iomap_del(b->cfg.pio, PCIBUS_CF8_PORT, b);
	if (b->registered & 2)
		iomap_del(b->cfg.mmio, b->cfg.ecam_base, b);
	pthread_mutex_destroy(&b->lock);
	b->registered = 0;
}

int pci_bus_add_host(struct pci_bus *b, uint16_t vendor, uint16_t device,
		     struct vm_error **errp)
{
	int r;

	r = pci_func_init(&b->host, "host bridge", NULL, errp);
	if (r < 0)
		return r;
	pci_func_set_ids(&b->host, vendor, device, 0,
			 PCIBUS_CLASS_HOST_BRIDGE);
	r = pci_bus_plug(b, &b->host, 0, errp);
	if (r < 0) {
		pci_func_fini(&b->host);
		return r;
	}
	b->host_plugged = 1;
	return 0;
}

int pci_bus_plug(struct pci_bus *b, struct pci_func *f, int slot,
		 struct vm_error **errp)
{
	char name[sizeof(f->name)];
	int r;

	if (f->bus)
		return verr_set(errp, -EBUSY, "%s: already plugged", f->name);
	if (slot < -1 || slot >= (int)PCIBUS_NR_SLOTS)
		return verr_set(errp, -EINVAL,
				"%s: slot %d: bus 00 has slots 0..%u", f->name,
				slot, PCIBUS_NR_SLOTS - 1);
	pthread_mutex_lock(&b->lock);
	if (slot == -1) {
		/* Slot 0 is the host bridge's; devices start at 1. */
		for (slot = 1; slot < (int)PCIBUS_NR_SLOTS; slot++)
			if (!b->slots[slot])
				break;
		if (slot == (int)PCIBUS_NR_SLOTS) {
			pthread_mutex_unlock(&b->lock);
			return verr_set(errp, -ENOSPC,
					"%s: no free slot on bus 00", f->name);
		}
	} else if (b->slots[slot]) {
		pthread_mutex_unlock(&b->lock);
		return verr_set(errp, -EBUSY, "%s: slot 00:%02x.0 is taken by %s",
				f->name, slot, b->slots[slot]->name);
	}
	pthread_mutex_unlock(&b->lock);

	r = pci_bars_assign(b, f, errp);
	if (r < 0)
		return r;
	memcpy(name, f->name, sizeof(name));
	snprintf(f->name, sizeof(f->name), "pci 00:%02x.0", slot);
	f->log = b->cfg.log;
	vlog_dbg(f->log, f->name, "%s plugged", name);
	pthread_mutex_lock(&f->lock);
	f->bus = b;
	f->slot = slot;
	pci_bars_update(f); /* decoding is off: nothing mapped yet */
	pthread_mutex_unlock(&f->lock);
	pthread_mutex_lock(&b->lock);
	b->slots[slot] = f;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

void pci_bus_unplug(struct pci_bus *b, struct pci_func *f)
{
	if (f->bus != b || f->slot < 0)
		return;
	pthread_mutex_lock(&b->lock);
	b->slots[f->slot] = NULL;
	pthread_mutex_unlock(&b->lock);
	pthread_mutex_lock(&f->lock);
	pci_bars_unmap(f);
	f->bus = NULL;
	f->slot = -1;
	pthread_mutex_unlock(&f->lock);
}
