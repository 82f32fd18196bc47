/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/fuzz/fuzz-pci.c: PCI bus 0 as the PC has it (lib/arch/x86/pc-pci.c
 * over lib/pci): configuration mechanism #1 (0xcf8 latch, 0xcfc..0xcff
 * data, 0xcf9 forwarded to the ACPI reset register), the ECAM window,
 * BAR sizing and moves, capabilities, and MSI-X table, PBA and delivery.
 *
 * Every access goes through the PIO/MMIO range maps a vCPU exit uses
 * (iomap_read/iomap_write), partly through the unit tests' mock guest PCI
 * driver (tests/unit/mock/pci-driver.c: Linux's BAR sizing, programming,
 * capability walk, MSI-X entry writes), partly raw: any port or address,
 * any size, any alignment, any value.
 *
 * Behind the bus: the host bridge (00.0) and two functions the way a
 * device builds them:
 *   slot 1 "A": I/O BAR 0 (64 B), MEM32 BAR 1 (4 KiB), MEM64
 *     prefetchable BAR 2 (16 KiB) whose upper half holds an MSI-X table
 *     of 20 vectors at 0x2000 and its PBA at 0x3000 (shared with device
 *     registers, as virtio-pci does), and a vendor capability with four
 *     writable bytes;
 *   slot 2 "B": MSI-X with 2048 vectors in a BAR of its own (BAR 0, sized
 *     by pci_msix_init) and a 4-byte I/O BAR 4.
 * Each device BAR is a register file of exactly its size (heap, so ASan
 * sees a stray offset).
 *
 * Invariants checked after every operation: a BAR is mapped only while its
 * space is enabled in PCI_COMMAND, at an address aligned to its size,
 * wholly inside its bus window, never overlapping another mapped BAR, and
 * an access to it reaches its owner; the bar_map hook saw the same
 * address; device handlers only ever get offsets inside their BAR; the
 * msix_vector hook only names existing vectors; PBA bits above the last
 * vector stay clear; an MSI is delivered only when the vector is usable.
 *
 * Threads: one. Locking: as pci.h says (hooks run under func->lock, so
 * they only record; checks run between operations).
 */
#include <errno.h>

#include <linux/pci_regs.h>

#include "arch/x86/acpi-pm.h"
#include "arch/x86/acpi.h"
#include "arch/x86/pc-pci.h"
#include "pci/pci.h"
#include "fuzz.h"
#include "irq-rec.h"
#include "mock/pci-driver.h"

#define MAX_OPS 256
#define NDEV 2
#define A_NVEC 20
#define B_NVEC 2048

struct regfile {
	uint8_t *r;
	uint64_t size;
};

struct fdev {
	struct pci_func f;
	int slot;
	unsigned nvec;
	struct regfile rf[PCI_STD_NUM_BARS];
	uint64_t hook_addr[PCI_STD_NUM_BARS];  /* last bar_map() per BAR */
};

static struct iomap pio, mmio;
static struct irq_rec irq;
static struct x86_acpi_pm pm;
static struct x86_pc_pci pc;
static struct fdev devs[NDEV];
static struct mock_pci drv;
static unsigned resets;

static void rf_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct regfile *rf = o;

	FUZZ_CHECK(size >= 1 && size <= 8);
	FUZZ_CHECK(off < rf->size && size <= rf->size - off);
	memcpy(data, rf->r + off, size);
}

static void rf_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct regfile *rf = o;

	FUZZ_CHECK(size >= 1 && size <= 8);
	FUZZ_CHECK(off < rf->size && size <= rf->size - off);
	memcpy(rf->r + off, data, size);
}

static const struct iomap_ops rf_ops = { rf_read, rf_write };

static struct fdev *fdev_of(struct pci_func *f)
{
	return container_of(f, struct fdev, f);
}

static void hook_cfg_read(struct pci_func *f, uint32_t off, unsigned size)
{
	(void)f;
	FUZZ_CHECK(off < PCI_CFG_SPACE_SIZE && size <= 4 &&
		   off + size <= PCI_CFG_SPACE_SIZE);
}

static void hook_cfg_write(struct pci_func *f, uint32_t off, uint32_t val,
			   unsigned size)
{
	(void)f;
	(void)val;
	FUZZ_CHECK(off < PCI_CFG_SPACE_SIZE && size <= 4 &&
		   off + size <= PCI_CFG_SPACE_SIZE);
}

static void hook_bar_map(struct pci_func *f, unsigned idx, uint64_t addr)
{
	FUZZ_CHECK(idx < PCI_STD_NUM_BARS && f->bars[idx].size);
	fdev_of(f)->hook_addr[idx] = addr;
}

static void hook_msix_vector(struct pci_func *f, unsigned vec, int usable,
			     uint64_t addr, uint32_t data)
{
	(void)usable;
	(void)addr;
	(void)data;
	FUZZ_CHECK(vec < fdev_of(f)->nvec);
}

static const struct pci_func_ops hooks = {
	.cfg_read = hook_cfg_read,
	.cfg_write = hook_cfg_write,
	.bar_map = hook_bar_map,
	.msix_vector = hook_msix_vector,
};

static void pm_power(void *opaque, int reason)
{
	(void)opaque;
	(void)reason;
	resets++;
}

static int add_rf_bar(struct fdev *d, unsigned idx, uint64_t size,
		      unsigned flags)
{
	d->rf[idx].size = size;
	d->rf[idx].r = calloc(1, size);
	if (!d->rf[idx].r)
		return -ENOMEM;
	return pci_func_add_bar(&d->f, idx, size, flags, &rf_ops, &d->rf[idx],
				NULL);
}

static int setup(void)
{
	const struct x86_acpi_pm_config pmc = { .power = pm_power };
	struct fdev *a = &devs[0], *b = &devs[1];
	uint8_t cap;
	unsigned i;

	memset(devs, 0, sizeof(devs));
	for (i = 0; i < NDEV; i++)
		for (unsigned k = 0; k < PCI_STD_NUM_BARS; k++)
			devs[i].hook_addr[k] = PCIBAR_UNMAPPED;
	if (iomap_init(&pio, "pio") || iomap_init(&mmio, "mmio"))
		return -1;
	irq_rec_init(&irq);
	if (x86_acpi_pm_init(&pm, &pio, &pmc, NULL) ||
	    x86_pc_pci_init(&pc, &pio, &mmio, &irq.sink, NULL, &pm, NULL))
		return -1;

	if (pci_func_init(&a->f, "fuzz A", &hooks, NULL))
		return -1;
	pci_func_set_ids(&a->f, 0x1af4, 0x1041, 1, 0x020000);
	if (add_rf_bar(a, 0, 64, PCIBAR_IO) ||
	    add_rf_bar(a, 1, 4096, PCIBAR_MEM32) ||
	    add_rf_bar(a, 2, 16384, PCIBAR_MEM64 | PCIBAR_PREFETCH) ||
	    pci_msix_init(&a->f, A_NVEC, 2, 0x2000, 0x3000, NULL) ||
	    pci_func_add_cap(&a->f, PCI_CAP_ID_VNDR, 16, &cap, NULL))
		return -1;
	pci_func_set_wmask(&a->f, cap + 4, 0xffffffffu, 4);
	a->nvec = A_NVEC;
	a->slot = 1;

	if (pci_func_init(&b->f, "fuzz B", &hooks, NULL))
		return -1;
	pci_func_set_ids(&b->f, 0x1af4, 0x1042, 0, 0x018000);
	if (pci_msix_init(&b->f, B_NVEC, 0, 0, 0x8000, NULL) ||
	    add_rf_bar(b, 4, 4, PCIBAR_IO))
		return -1;
	b->nvec = B_NVEC;
	b->slot = 2;

	if (pci_bus_plug(&pc.bus, &a->f, a->slot, NULL) ||
	    pci_bus_plug(&pc.bus, &b->f, b->slot, NULL))
		return -1;
	drv = (struct mock_pci){ &pio, &mmio, 0 };
	return 0;
}

static void teardown(void)
{
	unsigned i, k;

	x86_pc_pci_fini(&pc);   /* unplugs everything */
	for (i = 0; i < NDEV; i++) {
		pci_func_fini(&devs[i].f);
		for (k = 0; k < PCI_STD_NUM_BARS; k++)
			free(devs[i].rf[k].r);
	}
	x86_acpi_pm_fini(&pm);
	iomap_fini(&pio);
	iomap_fini(&mmio);
}

static unsigned pick_size(struct fin *in)
{
	static const unsigned s[] = { 1, 2, 4, 8 };

	return s[fin_u8(in) & 3];
}

static struct fdev *pick_dev(struct fin *in)
{
	return &devs[fin_u8(in) % NDEV];
}

/* A slot number as the guest would scan: ours, the host bridge, empty. */
static unsigned pick_slot(struct fin *in)
{
	uint8_t v = fin_u8(in);

	return v < 200 ? v % 4 : v % 32;
}

/* An address to program into BAR @idx of @d. */
static uint64_t pick_bar_addr(struct fin *in, struct fdev *d, unsigned idx)
{
	uint8_t how = fin_u8(in);
	uint64_t cur = pci_func_bar_addr(&d->f, idx);
	struct fdev *o = &devs[how >> 7];

	switch (how & 7) {
	case 0: /* inside the window, size-aligned */
		return (d->f.bars[idx].flags & PCIBAR_IO) ?
			       PCIBUS_X86_IO_BASE + (fin_u16(in) % PCIBUS_X86_IO_SIZE) :
			       X86_PCI_MMIO32_BASE + ((uint64_t)fin_u32(in) % X86_PCI_MMIO32_SIZE);
	case 1: /* on top of another BAR */
		return pci_func_bar_addr(&o->f, fin_u8(in) % PCI_STD_NUM_BARS);
	case 2: /* near the current place */
		return cur == PCIBAR_UNMAPPED ? 0 : cur + (int16_t)fin_u16(in);
	case 3: /* the ECAM window, RAM, the hole's end */
		return (uint64_t[]){ X86_PCI_ECAM_BASE, 0x1000, 0xfec00000,
				     0xffffffff, 0x100000000ull,
				     0xcf8, 0x3f8, 0 }[fin_u8(in) & 7];
	default:
		return fin_u64(in);
	}
}

/* An address inside (or just outside) a BAR, biased to the MSI-X parts. */
static uint64_t pick_in_bar(struct fin *in, struct fdev **dp, unsigned *idxp)
{
	struct fdev *d = pick_dev(in);
	unsigned idx = fin_u8(in) % PCI_STD_NUM_BARS;
	uint64_t base = pci_func_bar_addr(&d->f, idx), off;
	uint8_t how = fin_u8(in);

	if (base == PCIBAR_UNMAPPED)
		base = mock_pci_bar_get(&drv, (unsigned)d->slot, idx);
	switch (how & 3) {
	case 0: /* the MSI-X table or PBA, if this BAR has them */
		off = ((how & 4) ? d->f.msix.pba_off : d->f.msix.table_off) +
		      fin_u16(in) % 0x800;
		break;
	case 1: /* the last bytes, and just past the end */
		off = d->f.bars[idx].size - 16 + fin_u8(in) % 32;
		break;
	default:
		off = fin_u16(in);
		break;
	}
	*dp = d;
	*idxp = idx;
	return base + off;
}

static int bar_enabled(const struct fdev *d, unsigned idx)
{
	uint16_t cmd = (uint16_t)pci_cfg_get(&d->f, PCI_COMMAND, 2);

	return (d->f.bars[idx].flags & PCIBAR_IO) ? (cmd & PCI_COMMAND_IO) != 0
						  : (cmd & PCI_COMMAND_MEMORY) != 0;
}

static void check_invariants(void)
{
	uint64_t lo[NDEV * PCI_STD_NUM_BARS], hi[NDEV * PCI_STD_NUM_BARS];
	int io[NDEV * PCI_STD_NUM_BARS];
	unsigned n = 0, i, k, j;

	for (i = 0; i < NDEV; i++) {
		struct fdev *d = &devs[i];

		for (k = 0; k < PCI_STD_NUM_BARS; k++) {
			const struct pci_bar *bar = &d->f.bars[k];
			uint64_t a = pci_func_bar_addr(&d->f, k);
			uint8_t probe[1];

			FUZZ_CHECK(a == d->hook_addr[k] ||
				   (a == PCIBAR_UNMAPPED &&
				    d->hook_addr[k] == PCIBAR_UNMAPPED));
			if (!bar->size || a == PCIBAR_UNMAPPED)
				continue;
			FUZZ_CHECK(bar_enabled(d, k));
			FUZZ_CHECK((a & (bar->size - 1)) == 0 && a != 0);
			if (bar->flags & PCIBAR_IO) {
				FUZZ_CHECK(a >= PCIBUS_X86_IO_BASE &&
					   a + bar->size <= PCIBUS_X86_IO_BASE +
							    PCIBUS_X86_IO_SIZE);
				FUZZ_CHECK(iomap_read(&pio, a, probe, 1) == 0);
			} else {
				FUZZ_CHECK(a >= X86_PCI_MMIO32_BASE &&
					   a + bar->size <= X86_PCI_MMIO32_BASE +
							    X86_PCI_MMIO32_SIZE);
				FUZZ_CHECK(iomap_read(&mmio, a, probe, 1) == 0);
			}
			lo[n] = a;
			hi[n] = a + bar->size;
			io[n] = (bar->flags & PCIBAR_IO) != 0;
			for (j = 0; j < n; j++)
				FUZZ_CHECK(io[j] != io[n] || hi[j] <= lo[n] ||
					   hi[n] <= lo[j]);
			n++;
		}
		if (d->nvec % 64) {
			uint64_t last = d->f.msix.pba[d->nvec / 64];

			FUZZ_CHECK((last >> (d->nvec % 64)) == 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	int ops = 0;

	if (setup())
		abort();
	drv.ecam = (fin_u8(&in) & 1) ? X86_PCI_ECAM_BASE : 0;

	while (!fin_empty(&in) && ops++ < MAX_OPS) {
		uint8_t op = fin_u8(&in), buf[8];
		struct fdev *d;
		unsigned idx, sz, msis = irq.msis;
		uint64_t a, v;

		switch (op % 16) {
		case 0: /* the 0xcf8 latch */
			v = (fin_u8(&in) & 1) ? fin_u32(&in) :
				0x80000000u | pick_slot(&in) << 11 |
				(fin_u8(&in) & 0xfc);
			iomap_write(&pio, 0xcf8, &v, 4);
			break;
		case 1: /* any access in 0xcf8..0xcff */
		case 2:
			a = 0xcf8 + (fin_u8(&in) & 7);
			sz = pick_size(&in);
			if (op & 16) {
				v = fin_u64(&in);
				iomap_write(&pio, a, &v, sz);
			} else {
				iomap_read(&pio, a, buf, sz);
			}
			break;
		case 3: /* ECAM, any offset and size */
		case 4:
			a = X86_PCI_ECAM_BASE +
			    ((fin_u8(&in) & 1) ? fin_u32(&in) % (PCIBUS_ECAM_BUS_SIZE + 64) :
			     (uint64_t)pick_slot(&in) << 15 | (fin_u8(&in) & 7) << 12 |
				     (fin_u16(&in) % 4096));
			sz = pick_size(&in);
			if (op & 16) {
				v = fin_u64(&in);
				iomap_write(&mmio, a, &v, sz);
			} else {
				iomap_read(&mmio, a, buf, sz);
			}
			break;
		case 5: { /* config write through the mock driver */
			unsigned slot = pick_slot(&in), off = fin_u16(&in) % 4096;

			sz = pick_size(&in) & 7;
			mock_pci_cfg_write(&drv, slot, off, fin_u32(&in),
					   sz > 4 ? 4 : sz);
			break;
		}
		case 6: { /* Linux's BAR sizing */
			uint32_t flags;

			d = pick_dev(&in);
			(void)mock_pci_bar_size(&drv, (unsigned)d->slot,
						fin_u8(&in) % PCI_STD_NUM_BARS, &flags);
			break;
		}
		case 7: /* move a BAR */
			d = pick_dev(&in);
			idx = fin_u8(&in) % PCI_STD_NUM_BARS;
			mock_pci_bar_set(&drv, (unsigned)d->slot, idx,
					 pick_bar_addr(&in, d, idx));
			break;
		case 8: /* PCI_COMMAND */
			d = pick_dev(&in);
			if (fin_u8(&in) & 1)
				mock_pci_cfg_write(&drv, (unsigned)d->slot,
						   PCI_COMMAND, fin_u16(&in), 2);
			else
				mock_pci_command(&drv, (unsigned)d->slot,
						 fin_u8(&in) & 7, fin_u8(&in) & 7);
			break;
		case 9: /* MMIO into a BAR: table, PBA, registers, edges */
		case 10:
			a = pick_in_bar(&in, &d, &idx);
			sz = pick_size(&in);
			if (op & 16) {
				v = fin_u64(&in);
				iomap_write((d->f.bars[idx].flags & PCIBAR_IO) ? &pio
									 : &mmio,
					    a, &v, sz);
			} else {
				iomap_read((d->f.bars[idx].flags & PCIBAR_IO) ? &pio
									: &mmio,
					   a, buf, sz);
			}
			break;
		case 11: { /* the device raises a vector */
			int r;

			d = pick_dev(&in);
			r = pci_msix_notify(&d->f, fin_u16(&in) % (d->nvec + 2));
			FUZZ_CHECK(r == 0 ? irq.msis == msis + 1 : irq.msis == msis);
			break;
		}
		case 12: { /* MSI-X message control */
			unsigned cap;

			d = pick_dev(&in);
			cap = mock_pci_find_cap(&drv, (unsigned)d->slot,
						PCI_CAP_ID_MSIX, 0);
			if (cap)
				mock_pci_cfg_write(&drv, (unsigned)d->slot,
						   cap + PCI_MSIX_FLAGS,
						   fin_u16(&in), 2);
			break;
		}
		case 13: /* program an MSI-X entry the way Linux does */
			d = pick_dev(&in);
			if (mock_pci_find_cap(&drv, (unsigned)d->slot,
					      PCI_CAP_ID_MSIX, 0))
				mock_pci_msix_set(&drv, (unsigned)d->slot,
						  fin_u16(&in) % (d->nvec + 1),
						  0xfee00000u | fin_u8(&in) << 12,
						  fin_u16(&in), fin_u8(&in) & 1);
			break;
		case 14: { /* the device's view of a vector */
			uint64_t ma;
			uint32_t md;
			int usable;

			d = pick_dev(&in);
			idx = fin_u16(&in) % (d->nvec + 1);
			usable = pci_msix_get_msg(&d->f, idx, &ma, &md);
			FUZZ_CHECK(idx < d->nvec ? usable >= 0 : usable == -EINVAL);
			if (usable == 1)
				FUZZ_CHECK(pci_msix_is_enabled(&d->f) == 1);
			break;
		}
		default: /* anywhere at all */
			a = fin_u64(&in);
			sz = pick_size(&in);
			if (op & 16) {
				v = fin_u64(&in);
				iomap_write((op & 32) ? &pio : &mmio, a, &v, sz);
			} else {
				iomap_read((op & 32) ? &pio : &mmio, a, buf, sz);
			}
			break;
		}
		check_invariants();
	}
	teardown();
	return 0;
}
