/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/pci/pci.h: PCI bus 0 (conventional PCI, function 0 of slots 0..31),
 * configuration space as data, BARs, capabilities and MSI-X.
 *
 * A device embeds a struct pci_func, fills its header with the helpers
 * below, adds BARs, capabilities and MSI-X, then plugs it into the bus
 * (normally from its realize hook). The bus serves the guest's config
 * accesses through configuration mechanism #1 (PIO 0xcf8..0xcff) and an
 * ECAM window, and maps each BAR into the machine's PIO/MMIO iomap while the
 * guest has it programmed and decoding is enabled in PCI_COMMAND.
 *
 * Like firmware, pci_bus_plug() assigns every BAR an address from the bus
 * windows (naturally aligned; decoding stays off until the guest turns it
 * on), so a guest booted without firmware (Linux from bzImage) finds the
 * BARs assigned inside the _CRS windows and only claims them.
 *
 * Files: bus.c (bus, 0xcf8/0xcfc, ECAM, plug), cfg.c (config space, header
 * helpers, capabilities), bar.c (BAR sizing and mapping), msix.c (MSI-X).
 *
 * Threads: the API thread creates the bus, initialises functions, adds BARs,
 * capabilities and MSI-X and plugs/unplugs functions, all before the vCPUs
 * run or after they stopped. vCPU threads run config accesses and BAR
 * handlers. Any thread (vCPU, I/O loop, queue worker) may call
 * pci_msix_notify().
 * Locking:
 *   - bus->lock guards the 0xcf8 address latch (one latch per bus, as on
 *     real chipsets) and bus->slots[]; it is dropped before a function's
 *     config handler runs.
 *   - func->lock guards func->cfg/wmask/w1cmask, the BAR state and the MSI-X
 *     table and PBA. Every pci_func_ops hook is called with func->lock held.
 *   - Lock order: bus->lock is never held together with func->lock;
 *     func->lock -> iomap lock (BAR moves) -> nothing; func->lock -> the
 *     irq sink (MSI delivery). Device hooks may take device locks (order
 *     func->lock -> device lock), so a device must NOT hold a lock its hooks
 *     take while calling pci_msix_notify() or any pci_func_* function.
 *   - Device BAR handlers (struct iomap_ops passed to pci_func_add_bar) run
 *     without func->lock, straight from the iomap dispatch.
 */
#ifndef LIB_PCI_PCI_H
#define LIB_PCI_PCI_H

#include <linux/pci.h>  /* pci_regs.h + PCI_SLOT/PCI_FUNC/PCI_DEVFN */
#include <pthread.h>
#include <stdint.h>

#include "../core/error.h"
#include "../core/log.h"
#include "../kvm/iomap.h"
#include "../kvm/irq.h"

#define PCIBUS_NR_SLOTS 32u
#define PCIBUS_ECAM_BUS_SIZE (1u << 20)  /* one bus: 32 slots x 8 fn x 4 KiB */
#define PCIBUS_CLASS_HOST_BRIDGE 0x060000u  /* base 06 sub 00 if 00 */
#define PCIBUS_CF8_PORT 0xcf8u
#define PCIBUS_CF9_PORT 0xcf9u            /* reset control, forwarded */
#define PCIBUS_CFC_PORT 0xcfcu

/* Default x86 layout (machine.c): ECAM for bus 0, BAR windows in the PCI
 * hole below the IOAPIC (0xfec00000), the I/O window above the ISA ports. */
#define PCIBUS_X86_ECAM_BASE 0xb0000000ull
#define PCIBUS_X86_MMIO32_BASE 0xc0000000ull
#define PCIBUS_X86_MMIO32_SIZE 0x3ec00000ull  /* up to 0xfebfffff */
#define PCIBUS_X86_IO_BASE 0xc000u
#define PCIBUS_X86_IO_SIZE 0x4000u

/* BAR flags for pci_func_add_bar(). */
#define PCIBAR_MEM32    0x0u
#define PCIBAR_IO       0x1u
#define PCIBAR_MEM64    0x2u  /* takes BAR idx and idx + 1 */
#define PCIBAR_PREFETCH 0x4u

#define PCIBAR_UNMAPPED UINT64_MAX

struct pci_func;

/* Hooks of a function; all optional, all called with func->lock held on the
 * thread that made the config access (a vCPU thread, or a unit test). */
struct pci_func_ops {
	/* Before a config read of [off, off + size) is served from f->cfg:
	 * the device may refresh f->cfg there (virtio's PCI_CFG window). */
	void (*cfg_read)(struct pci_func *f, uint32_t off, unsigned size);
	/* After a config write was applied to f->cfg through the masks;
	 * @val is what the guest wrote (size bytes, unmasked). */
	void (*cfg_write)(struct pci_func *f, uint32_t off, uint32_t val,
			  unsigned size);
	/* BAR @idx was mapped at @addr, or unmapped (addr = PCIBAR_UNMAPPED):
	 * the place to (de)register ioeventfds on a notify region. */
	void (*bar_map)(struct pci_func *f, unsigned idx, uint64_t addr);
	/* MSI-X vector @vec changed: @usable is 1 when MSI-X is enabled, the
	 * function and the vector are unmasked, and then (@addr, @data) is the
	 * message the guest programmed (the place to update an irqfd route);
	 * 0 otherwise (the place to fall back to pci_msix_notify(), which
	 * sets the PBA bit). */
	void (*msix_vector)(struct pci_func *f, unsigned vec, int usable,
			    uint64_t addr, uint32_t data);
	/* Before the guest reads the PBA (f->lock held): the device may mark
	 * masked vectors whose events wait elsewhere (the call eventfd a
	 * vhost-user backend writes) with pci_msix_pend_locked(). */
	void (*msix_pba_read)(struct pci_func *f);
};

struct pci_bar {
	uint64_t size;     /* 0: BAR not implemented; else a power of two */
	unsigned flags;    /* PCIBAR_* */
	const struct iomap_ops *ops;  /* device handlers; NULL: MSI-X only */
	void *opaque;
	uint64_t addr;     /* where it is mapped, or PCIBAR_UNMAPPED */
	int map_err_logged;
	struct pci_func *f;  /* back pointer for the dispatch wrapper */
	unsigned idx;
};

struct pci_msix {
	unsigned nvec;          /* 0: no MSI-X */
	unsigned bar;           /* BIR of table and PBA */
	uint32_t table_off, pba_off;
	uint8_t cap;            /* config offset of the capability */
	uint8_t *table;         /* nvec * PCI_MSIX_ENTRY_SIZE, heap */
	uint64_t *pba;          /* (nvec + 63) / 64 words, heap */
	unsigned pending_logged;
};

struct pci_func {
	pthread_mutex_t lock;
	const struct pci_func_ops *ops;   /* may be NULL */
	struct pci_bus *bus;              /* NULL until plugged */
	int slot;                         /* -1 until plugged */
	char name[48];                    /* "pci 00:03.0" once plugged */
	const struct vlog *log;           /* the bus's, once plugged */
	uint8_t cfg[PCI_CFG_SPACE_SIZE];     /* guarded by ->lock */
	uint8_t wmask[PCI_CFG_SPACE_SIZE];   /* bits the guest may write */
	uint8_t w1cmask[PCI_CFG_SPACE_SIZE]; /* bits a 1 clears */
	uint8_t cap_end;                  /* first free byte for caps */
	struct pci_bar bars[PCI_STD_NUM_BARS];
	struct pci_msix msix;
	unsigned bad_access_logged;       /* log-once bits, PCI_LOGGED_* */
};

struct pci_bus_config {
	struct iomap *pio, *mmio;  /* borrowed; must outlive the bus */
	struct irq_sink *irq;      /* borrowed; MSI-X delivery */
	const struct vlog *log;    /* borrowed; may be NULL */
	int legacy_cfg;            /* register 0xcf8..0xcff on pio */
	uint64_t ecam_base;        /* 0: no ECAM window */
	uint64_t ecam_size;        /* PCIBUS_ECAM_BUS_SIZE (bus 0 only) */
	uint64_t mmio32_base, mmio32_size;  /* BAR window below 4 GiB */
	uint64_t mmio64_base, mmio64_size;  /* 0: MEM64 BARs go below 4 GiB */
	uint32_t io_base, io_size;          /* I/O BAR window */
	/* Byte accesses to 0xcf9 (the reset control register, x86). NULL:
	 * reads 0xff, writes dropped. Called on vCPU threads, no lock held. */
	uint8_t (*cf9_read)(void *opaque);
	void (*cf9_write)(void *opaque, uint8_t val);
	void *cf9_opaque;
};

struct pci_bus {
	struct pci_bus_config cfg;
	pthread_mutex_t lock;
	uint32_t cf8;                                 /* guarded by ->lock */
	struct pci_func *slots[PCIBUS_NR_SLOTS];      /* guarded by ->lock */
	uint64_t mmio32_next, mmio64_next, io_next;   /* API thread only */
	int registered;                               /* bit 0: cf8, 1: ecam */
	struct pci_func host;                         /* pci_bus_add_host() */
	int host_plugged;
};

/* Bus. -EEXIST if a window's range is taken (message names the owner). */
int __must_check pci_bus_init(struct pci_bus *b,
			      const struct pci_bus_config *cfg,
			      struct vm_error **errp);
/* Unplugs everything (host bridge included) and unregisters the ranges. */
void pci_bus_fini(struct pci_bus *b);
/* A host bridge (class 0x0600) at 00.0, e.g. 0x8086:0x29c0 (q35). */
int __must_check pci_bus_add_host(struct pci_bus *b, uint16_t vendor,
				  uint16_t device, struct vm_error **errp);
/* Plug @f at @slot (-1: first free slot) and assign its BARs from the
 * windows. -EBUSY if the slot is taken, -ENOSPC if no slot or window
 * space is left, -EINVAL for a bad slot. @f must outlive its plugging. */
int __must_check pci_bus_plug(struct pci_bus *b, struct pci_func *f,
			      int slot, struct vm_error **errp);
/* Unmap its BARs and free its slot. Safe on an unplugged function. */
void pci_bus_unplug(struct pci_bus *b, struct pci_func *f);

/* Config access to bus 0 as the guest sees it: @devfn = slot << 3 | fn,
 * @off < 4096, @size 1/2/4 and naturally aligned (otherwise reads are
 * all-ones and writes dropped). What 0xcfc and ECAM dispatch to. */
uint32_t pci_bus_cfg_read(struct pci_bus *b, unsigned devfn, uint32_t off,
			  unsigned size);
void pci_bus_cfg_write(struct pci_bus *b, unsigned devfn, uint32_t off,
		       uint32_t val, unsigned size);

/* Function. @owner names it in messages until it is plugged ("device
 * 'net1'"); it is copied. Header: all zero, PCI_COMMAND's IO/MEMORY/MASTER/
 * INTX_DISABLE bits writable, PCI_STATUS_CAP_LIST set when a cap is added. */
int __must_check pci_func_init(struct pci_func *f, const char *owner,
			       const struct pci_func_ops *ops,
			       struct vm_error **errp);
/* Frees MSI-X state; the function must be unplugged. Safe after a failed
 * or missing init if @f was zeroed. */
void pci_func_fini(struct pci_func *f);

void pci_func_set_ids(struct pci_func *f, uint16_t vendor, uint16_t device,
		      uint8_t revision, uint32_t class_code /* 24 bit */);
void pci_func_set_subsys(struct pci_func *f, uint16_t subsys_vendor,
			 uint16_t subsys_id);
/* PCI_INTERRUPT_PIN: 0 none, 1..4 INTA..INTD. */
void pci_func_set_irq_pin(struct pci_func *f, uint8_t pin);

/* Add BAR @idx (0..5; MEM64 also takes idx + 1) of @size bytes (a power of
 * two, >= 16 for memory and >= 4 for I/O, <= 256 for I/O). Accesses
 * in [0, size) go to @ops with @opaque. -EINVAL/-EBUSY with a message
 * "pci <name>: BAR <idx>: ...". Only before plugging. */
int __must_check pci_func_add_bar(struct pci_func *f, unsigned idx,
				  uint64_t size, unsigned flags,
				  const struct iomap_ops *ops, void *opaque,
				  struct vm_error **errp);
/* Current guest-visible address of a BAR, PCIBAR_UNMAPPED if not decoded. */
uint64_t pci_func_bar_addr(struct pci_func *f, unsigned idx);

/* Append a capability of @len bytes (>= 2; the ID and next pointer are
 * filled in and read-only, the body is zero and read-only: open bits with
 * pci_func_set_wmask()). *off receives its config offset. -ENOSPC when the
 * 256-byte space is full. Only before plugging. */
int __must_check pci_func_add_cap(struct pci_func *f, uint8_t cap_id,
				  uint8_t len, uint8_t *off,
				  struct vm_error **errp);

/* Raw config access for the device itself (no masks, no hooks; callers
 * hold f->lock when the function is plugged and vCPUs run — hooks already
 * do). Out-of-range offsets are ignored (reads return 0). */
void pci_func_set_wmask(struct pci_func *f, uint32_t off, uint32_t mask,
			unsigned size);
void pci_func_set_w1cmask(struct pci_func *f, uint32_t off, uint32_t mask,
			  unsigned size);
uint32_t pci_cfg_get(const struct pci_func *f, uint32_t off, unsigned size);
void pci_cfg_set(struct pci_func *f, uint32_t off, uint32_t val,
		 unsigned size);

/* Config access as the guest makes it (masks, hooks, BAR updates); takes
 * f->lock. */
uint32_t pci_func_cfg_read(struct pci_func *f, uint32_t off, unsigned size);
void pci_func_cfg_write(struct pci_func *f, uint32_t off, uint32_t val,
			unsigned size);

/*
 * MSI-X with @nvec vectors (1..2048); table at @table_off and PBA at
 * @pba_off of BAR @bar_idx (8-byte aligned, not overlapping each other).
 * If the BAR does not exist yet it is added as a 32-bit memory BAR sized
 * to cover both; if it exists (shared with device registers) both must fit
 * in it and accesses to them never reach the device's handlers. Adds the
 * capability. All vectors start masked. Only before plugging.
 */
int __must_check pci_msix_init(struct pci_func *f, unsigned nvec,
			       unsigned bar_idx, uint32_t table_off,
			       uint32_t pba_off, struct vm_error **errp);
/*
 * Raise vector @vec: when MSI-X is enabled and neither the function nor the
 * vector is masked, deliver its message through the bus's irq sink; when
 * masked, set its PBA bit and deliver on unmask (PCI 3.0 §6.8.3.5).
 * Returns 0 delivered, 1 left pending, -ENOENT MSI-X disabled or the
 * function not plugged (nothing recorded), -EINVAL @vec >= nvec, or the
 * sink's error. Any thread; takes f->lock.
 */
int pci_msix_notify(struct pci_func *f, unsigned vec);
/* pci_msix_notify() for a caller that holds f->lock: only from a
 * pci_func_ops hook (msix_vector), e.g. to turn an event that arrived while
 * a vector was being masked into its pending bit. */
void pci_msix_pend_locked(struct pci_func *f, unsigned vec);
/* 1 if MSI-X is enabled in the capability. Takes f->lock. */
int pci_msix_is_enabled(struct pci_func *f);
/* The message of @vec; returns 1 if it is usable now (see msix_vector),
 * 0 if masked/disabled, -EINVAL if out of range. Takes f->lock. */
int pci_msix_get_msg(struct pci_func *f, unsigned vec, uint64_t *addr,
		     uint32_t *data);

/*
 * Snapshot state (lib/pci/state.c, record "PCIF", instance = @inst):
 * the 256-byte configuration space (BAR placement and decoding included),
 * the MSI-X table and PBA. Load refuses a record of another function
 * (vendor/device/class differ), another vector count, a short, long or
 * newer record, and leaves @f as it was then; on success it maps the BARs
 * as the loaded PCI_COMMAND and BAR registers say (bar_map hooks: e.g.
 * ioeventfds) and replays every MSI-X vector (msix_vector hooks: irqfd
 * routes; usable pending vectors are delivered). @f plugged; takes
 * f->lock; vCPUs paused or not started.
 */
struct snap_w;
struct snap_rec;
void pci_func_save(struct pci_func *f, struct snap_w *w, uint16_t inst);
int __must_check pci_func_load(struct pci_func *f, const struct snap_rec *rec,
			       struct vm_error **errp);

#endif
