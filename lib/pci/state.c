/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/pci/state.c: a PCI function's guest-visible state as a snapshot
 * record (pci.h): "PCIF" version 1 = cfg[256], u32 MSI-X vector count,
 * the table (count * 16 bytes) and the PBA ((count + 63) / 64 u64).
 *
 * Threads: the API thread, vCPUs paused or not started. Locking: f->lock
 * around reading and writing the state; the hooks that load triggers run
 * under it, as every pci_func_ops hook does.
 */
#include <errno.h>
#include <string.h>

#include "../snapshot/format.h"
#include "pci-internal.h"

#define PCIF_TAG SNAP_TAG('P', 'C', 'I', 'F')
#define PCIF_VERSION 1
#define PCIF_ID_BYTES 12u  /* vendor, device, command..class: identity */

static size_t pba_words(const struct pci_func *f)
{
	return (f->msix.nvec + 63) / 64;
}

void pci_func_save(struct pci_func *f, struct snap_w *w, uint16_t inst)
{
	pthread_mutex_lock(&f->lock);
	snap_w_begin(w, PCIF_TAG, PCIF_VERSION, inst);
	snap_put(w, f->cfg, sizeof(f->cfg));
	snap_put_u32(w, f->msix.nvec);
	if (f->msix.nvec) {
		snap_put(w, f->msix.table,
			 (size_t)f->msix.nvec * PCI_MSIX_ENTRY_SIZE);
		for (size_t i = 0; i < pba_words(f); i++)
			snap_put_u64(w, f->msix.pba[i]);
	}
	snap_w_end(w);
	pthread_mutex_unlock(&f->lock);
}

/* Same function? Vendor, device, revision and class must match (bytes
 * 4..7, command and status, are state). */
static int same_identity(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, 4) && !memcmp(a + 8, b + 8, PCIF_ID_BYTES - 8);
}

int pci_func_load(struct pci_func *f, const struct snap_rec *rec,
		  struct vm_error **errp)
{
	uint8_t cfg[PCI_CFG_SPACE_SIZE];
	struct snap_cur c;
	uint32_t nvec;
	size_t tlen;
	int rc = snap_rec_check(rec, PCIF_VERSION, "PCI function", errp);

	if (rc < 0)
		return rc;
	snap_cur_init(&c, rec);
	snap_get(&c, cfg, sizeof(cfg));
	nvec = snap_get_u32(&c);
	pthread_mutex_lock(&f->lock);
	if (!c.bad && (nvec != f->msix.nvec || !same_identity(cfg, f->cfg))) {
		rc = verr_set(errp, -EINVAL,
			      "snapshot: %s: saved function %02x%02x:%02x%02x with %u MSI-X vectors, this one is %02x%02x:%02x%02x with %u",
			      f->name, cfg[1], cfg[0], cfg[3], cfg[2], nvec,
			      f->cfg[1], f->cfg[0], f->cfg[3], f->cfg[2],
			      f->msix.nvec);
		goto out;
	}
	tlen = (size_t)f->msix.nvec * PCI_MSIX_ENTRY_SIZE;
	/* Check the whole record before changing anything. */
	if (c.bad || rec->len != sizeof(cfg) + 4 + tlen + 8 * pba_words(f)) {
		rc = verr_set(errp, -EBADMSG,
			      "snapshot: %s: PCI record of %llu bytes does not fit the function",
			      f->name, (unsigned long long)rec->len);
		goto out;
	}
	memcpy(f->cfg, cfg, sizeof(cfg));
	if (f->msix.nvec) {
		snap_get(&c, f->msix.table, tlen);
		for (size_t i = 0; i < pba_words(f); i++)
			f->msix.pba[i] = snap_get_u64(&c);
	}
	pci_bars_update(f);
	pci_msix_replay_locked(f);
out:
	pthread_mutex_unlock(&f->lock);
	return rc;
}
