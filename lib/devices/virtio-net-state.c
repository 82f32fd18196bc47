/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/virtio-net-state.c: virtio-net's own state as a snapshot
 * record "VNET" (version 1): the MAC the guest sees (it may have set its
 * own: VIRTIO_NET_CTRL_MAC_ADDR_SET), link up, link forced down (backend
 * failed), the queue pairs in use (VQ_PAIRS_SET). The rings and the
 * negotiated features travel with the transport (lib/virtio/pci-state.c);
 * the backend's own state (a tap's queue) does not.
 *
 * Load runs after the transport's, which activated the device (driver_ok
 * set the queues' roles, one pair, the accepted offloads): the saved MAC,
 * link and pair count replace those, and the backend gets the pair count.
 * An announcement the driver had not acked yet is not saved: every load
 * asks for a new one (vnet_announce()), raised before the vCPUs run.
 *
 * Threads: the API thread, device quiesced. Locking: ->mac_lock for the
 * MAC; the rest are atomics.
 */
#include <errno.h>
#include <string.h>

#include "../snapshot/format.h"
#include "virtio-net.h"

#define VNET_TAG SNAP_TAG('V', 'N', 'E', 'T')
#define VNET_VERSION 1

void vnet_save(struct vnet *n, struct snap_w *w, uint16_t inst)
{
	uint8_t mac[6];

	pthread_mutex_lock(&n->mac_lock);
	memcpy(mac, n->mac, sizeof(mac));
	pthread_mutex_unlock(&n->mac_lock);
	snap_w_begin(w, VNET_TAG, VNET_VERSION, inst);
	snap_put(w, mac, sizeof(mac));
	snap_put_u8(w, __atomic_load_n(&n->link_up, __ATOMIC_ACQUIRE));
	snap_put_u8(w, __atomic_load_n(&n->link_forced_down, __ATOMIC_ACQUIRE));
	snap_put_u16(w, (uint16_t)__atomic_load_n(&n->curr_pairs,
						  __ATOMIC_ACQUIRE));
	snap_w_end(w);
}

int vnet_load(struct vnet *n, const struct snap_index *ix, uint16_t inst,
	      struct vm_error **errp)
{
	const struct snap_rec *rec;
	struct snap_cur c;
	uint8_t mac[6], up, forced;
	uint16_t pairs;
	int rc = snap_need(ix, VNET_TAG, inst, "virtio-net", &rec, errp);

	if (rc == 0)
		rc = snap_rec_check(rec, VNET_VERSION, "virtio-net", errp);
	if (rc < 0)
		return rc;
	snap_cur_init(&c, rec);
	snap_get(&c, mac, sizeof(mac));
	up = snap_get_u8(&c);
	forced = snap_get_u8(&c);
	pairs = snap_get_u16(&c);
	rc = snap_cur_done(&c, rec, "virtio-net", errp);
	if (rc < 0)
		return rc;
	if (pairs > n->pairs)
		return verr_set(errp, -EINVAL,
				"snapshot: device '%s': %u queue pairs in use, this device has %u",
				n->name, pairs, n->pairs);
	pthread_mutex_lock(&n->mac_lock);
	memcpy(n->mac, mac, sizeof(mac));
	pthread_mutex_unlock(&n->mac_lock);
	__atomic_store_n(&n->link_forced_down, forced, __ATOMIC_RELEASE);
	__atomic_store_n(&n->link_up, up, __ATOMIC_RELEASE);
	if (pairs && n->peer && netdev_set_queues(n->peer, pairs) < 0)
		return verr_set(errp, -EIO,
				"device '%s': netdev '%s' cannot take %u queue pairs",
				n->name, n->peer->obj.id, pairs);
	__atomic_store_n(&n->curr_pairs, pairs, __ATOMIC_RELEASE);
	vnet_io_wake(n, -1);
	/* The guest is somewhere else now (a new tap, a clone): it tells
	 * the network, as after a migration (QEMU's post_load). */
	(void)vnet_announce(n);
	return 0;
}
