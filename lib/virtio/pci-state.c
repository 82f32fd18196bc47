/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/virtio/pci-state.c: a virtio-pci function's snapshot state: its PCI
 * function ("PCIF", lib/pci/state.c), its virtio device ("VIOD",
 * state.c) and the transport's own registers ("VPCI" version 1: u32
 * device/guest feature selects, u16 queue_select, u16 msix_config, u8
 * ISR, u8 config interrupt owed, u64 queue interrupts owed), all with the
 * same instance.
 *
 * Load, in this order: the device (queues re-enabled, indexes back), the
 * transport registers, then the PCI function, whose BAR mapping calls
 * bar_map (the notify region's ioeventfds are registered again) and whose
 * MSI-X replay calls msix_vector for every vector (MSI routes and the
 * queues' and config's irqfds bound again, from the restored vectors);
 * last, if the driver had set DRIVER_OK, the device's driver_ok hook gets
 * the transport's doorbells, so the device serves its queues again.
 *
 * Threads: the API thread, vCPUs paused or not started. Locking: the
 * device lock around the transport registers; lib/pci and the hooks take
 * their own.
 */
#include <errno.h>

#include "../snapshot/format.h"
#include "pci-modern.h"

#define VPCI_TAG SNAP_TAG('V', 'P', 'C', 'I')
#define VPCI_VERSION 1

void vio_pci_save(struct vio_pci *p, struct snap_w *w, uint16_t inst)
{
	pci_func_save(&p->func, w, inst);
	vio_dev_save(p->vdev, w, inst);
	pthread_mutex_lock(&p->vdev->lock);
	snap_w_begin(w, VPCI_TAG, VPCI_VERSION, inst);
	snap_put_u32(w, p->dfselect);
	snap_put_u32(w, p->gfselect);
	snap_put_u16(w, p->queue_sel);
	snap_put_u16(w, __atomic_load_n(&p->msix_config, __ATOMIC_RELAXED));
	snap_put_u8(w, __atomic_load_n(&p->isr, __ATOMIC_ACQUIRE));
	snap_put_u8(w, __atomic_load_n(&p->pending_config, __ATOMIC_ACQUIRE));
	snap_put_u64(w, __atomic_load_n(&p->pending_queues, __ATOMIC_ACQUIRE));
	snap_w_end(w);
	pthread_mutex_unlock(&p->vdev->lock);
}

int vio_pci_load(struct vio_pci *p, const struct snap_index *ix, uint16_t inst,
		 struct vm_error **errp)
{
	const struct snap_rec *pcif, *viod, *vpci;
	uint32_t dfs, gfs;
	uint16_t qsel, mcfg;
	uint8_t isr, pconf;
	uint64_t pq;
	struct snap_cur c;
	int rc;

	rc = snap_need(ix, SNAP_TAG('P', 'C', 'I', 'F'), inst, "PCI function",
		       &pcif, errp);
	if (rc == 0)
		rc = snap_need(ix, SNAP_TAG('V', 'I', 'O', 'D'), inst,
			       "virtio device", &viod, errp);
	if (rc == 0)
		rc = snap_need(ix, VPCI_TAG, inst, "virtio-pci transport", &vpci,
			       errp);
	if (rc == 0)
		rc = snap_rec_check(vpci, VPCI_VERSION, "virtio-pci transport",
				    errp);
	if (rc < 0)
		return rc;
	snap_cur_init(&c, vpci);
	dfs = snap_get_u32(&c);
	gfs = snap_get_u32(&c);
	qsel = snap_get_u16(&c);
	mcfg = snap_get_u16(&c);
	isr = snap_get_u8(&c);
	pconf = snap_get_u8(&c);
	pq = snap_get_u64(&c);
	rc = snap_cur_done(&c, vpci, "virtio-pci transport", errp);
	if (rc < 0)
		return rc;
	rc = vio_dev_load(p->vdev, viod, p->gm, errp);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&p->vdev->lock);
	p->dfselect = dfs;
	p->gfselect = gfs;
	p->queue_sel = qsel;
	__atomic_store_n(&p->msix_config, mcfg, __ATOMIC_RELAXED);
	__atomic_store_n(&p->isr, isr, __ATOMIC_RELEASE);
	__atomic_store_n(&p->pending_config, pconf, __ATOMIC_RELEASE);
	__atomic_store_n(&p->pending_queues, pq, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&p->vdev->lock);
	rc = pci_func_load(&p->func, pcif, errp);
	if (rc < 0)
		return rc;
	if ((vio_dev_get_status(p->vdev) & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    p->vdev->ops && p->vdev->ops->driver_ok)
		p->vdev->ops->driver_ok(p->vdev, p->vdev->act);
	return 0;
}
