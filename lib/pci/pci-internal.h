/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/pci/pci-internal.h: what the files of lib/pci share and nobody else
 * uses. Threads/Locking: see pci.h; every function here is called with
 * f->lock held unless it says otherwise.
 */
#ifndef LIB_PCI_PCI_INTERNAL_H
#define LIB_PCI_PCI_INTERNAL_H

#include "pci.h"

#define PCIBAR_UPPER 0x80u  /* bars[i] is the upper half of a MEM64 BAR */

/* f->bad_access_logged bits: each guest-triggered cause is logged once. */
#define PCI_LOGGED_CFG_RANGE  (1u << 0)
#define PCI_LOGGED_MSIX_RANGE (1u << 1)
#define PCI_LOGGED_PBA_WRITE  (1u << 2)
#define PCI_LOGGED_MSIX_SIZE  (1u << 3)

/* bar.c */
extern const struct iomap_ops pci_bar_iomap_ops;
/* Map/unmap every BAR according to PCI_COMMAND and the BAR registers. */
void pci_bars_update(struct pci_func *f);
/* Unmap every BAR (unplug). */
void pci_bars_unmap(struct pci_func *f);
/* Assign every BAR an address from the bus windows (plug, API thread). */
int pci_bars_assign(struct pci_bus *b, struct pci_func *f,
		    struct vm_error **errp);

/* msix.c */
/* The MSI-X control word changed from @old (config write). */
void pci_msix_ctrl_written(struct pci_func *f, uint16_t old);
/* 1 if [off, off + size) of BAR @bar is MSI-X table or PBA: served. */
int pci_msix_bar_read(struct pci_func *f, unsigned bar, uint64_t off,
		      void *data, unsigned size);
int pci_msix_bar_write(struct pci_func *f, unsigned bar, uint64_t off,
		       const void *data, unsigned size);
/* After a restore (state.c): every vector as if it had just become what
 * the table says: the msix_vector hook re-creates each usable route, and
 * a pending vector that is usable is delivered. */
void pci_msix_replay_locked(struct pci_func *f);

#endif
