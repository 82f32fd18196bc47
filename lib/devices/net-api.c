/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/net-api.c: the public vm_net_* calls: a host program sets a
 * NIC's link and reads its counters by device id.
 *
 * Threads: any host thread while the VM is started (the header's
 * contract): the objects and their models are fixed between vm_start()
 * and vm_destroy(), and what these calls touch is atomic or under the
 * device's ->mac_lock (virtio-net.c).
 * Locking: none here.
 */
#include <errno.h>

#include "../core/prop.h"
#include "../virtio/pci-modern.h"
#include "../vm.h"
#include "device.h"
#include "virtio-net.h"

static int net_lookup(struct vm *vm, const char *id, struct vnet **n,
		      struct vio_pci **vp, struct vm_error **errp)
{
	struct vm_obj *o;

	if (!vm || !id)
		return verr_set(errp, -EINVAL, "vm_net: NULL vm or id");
	o = vm_obj_find(vm, id);
	if (!o)
		return verr_set(errp, -ENOENT, "no device '%s'", id);
	if (!obj_is_a(o, "virtio-net-pci"))
		return verr_set(errp, -ENOTSUP,
				"%s is a '%s', not a network device",
				obj_kind_name(o), obj_type_name(o));
	*n = o->realized ? vnet_pci_model(o, vp) : NULL;
	if (!*n)
		return verr_set(errp, -ENODEV,
				"device '%s': not started (vm_start first)", id);
	return 0;
}

int vm_net_set_link(struct vm *vm, const char *id, int up,
		    struct vm_error **errp)
{
	struct vio_pci *vp;
	struct vnet *n;
	int rc = net_lookup(vm, id, &n, &vp, errp);

	if (rc < 0)
		return rc;
	vnet_set_link(n, up != 0);
	return 0;
}

int vm_net_set_mac(struct vm *vm, const char *id, const char *mac,
		   struct vm_error **errp)
{
	struct vio_pci *vp;
	struct vnet *n;
	uint8_t m[6];
	int rc;

	if (prop_parse_mac(mac, m) < 0)
		return verr_set(errp, -EINVAL,
				"vm_net_set_mac: '%s' is not a MAC (xx:xx:xx:xx:xx:xx)",
				mac ? mac : "(null)");
	rc = net_lookup(vm, id, &n, &vp, errp);
	if (rc < 0)
		return rc;
	vnet_set_mac(n, m);
	return 0;
}

int vm_net_get_stats(struct vm *vm, const char *id, struct vm_net_stats *st,
		     struct vm_error **errp)
{
	struct vio_pci *vp;
	struct vnet *n;
	int rc;

	if (!st || st->size < sizeof(struct vm_net_stats))
		return verr_set(errp, -EINVAL,
				"vm_net_get_stats: NULL or too small struct (size %zu)",
				st ? st->size : (size_t)0);
	rc = net_lookup(vm, id, &n, &vp, errp);
	if (rc < 0)
		return rc;
	vnet_get_stats(n, st);
	st->kick_exits = __atomic_load_n(&vp->stats.kick_exits, __ATOMIC_RELAXED);
	st->irqfd_interrupts =
		__atomic_load_n(&vp->stats.irqfd_calls, __ATOMIC_RELAXED);
	st->interrupts = st->irqfd_interrupts +
			 __atomic_load_n(&vp->stats.msi_calls, __ATOMIC_RELAXED);
	return 0;
}
