/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/device.c: the abstract "device" type and link resolution.
 *
 * Threads: API thread; device_pause()/device_resume() the thread that
 * pauses the VM. Locking: none here.
 */
#include <errno.h>

#include "../core/prop.h"
#include "../vm.h"
#include "device.h"
#include "../virtio/pci-modern.h"
#include "virtio-net.h"

static void device_class_init(struct obj_class *k)
{
	k->kind = VM_OBJ_DEVICE;
}

const struct type device_type = {
	.name = TYPE_DEVICE,
	.class_size = sizeof(struct obj_class),
	.instance_size = sizeof(struct vm_obj),
	.abstract = true,
	.class_init = device_class_init,
};

int device_resolve_link(struct vm_obj *dev, const char *prop, int kind,
			struct vm_obj **target, struct vm_error **errp)
{
	const struct class_prop *cp = prop_find(dev, prop, NULL);
	const char *id;
	struct vm_obj *t;

	*target = NULL;
	if (!cp || cp->desc->kind != VM_PROP_LINK)
		return verr_set(errp, -EINVAL, "device '%s': no link '%s'",
				dev->id, prop);
	id = *(char **)prop_storage(dev, cp);
	if (!id)
		return 0;
	t = vm_obj_find(dev->vm, id);
	if (!t)
		return verr_set(errp, -ENOENT,
				"device '%s': property '%s': no object with id '%s'",
				dev->id, prop, id);
	if (kind && obj_kind(t) != kind)
		return verr_set(errp, -EINVAL,
				"device '%s': property '%s': '%s' is a %s, not a %s",
				dev->id, prop, id, obj_kind_name(t),
				kind == VM_OBJ_NETDEV ? "netdev" : "device");
	*target = t;
	return 0;
}

int device_pause(struct vm_obj *o)
{
	struct vnet *n = o->realized ? vnet_pci_model(o, NULL) : NULL;

	return n ? vnet_pause(n) : 0;
}

void device_resume(struct vm_obj *o)
{
	struct vnet *n = o->realized ? vnet_pci_model(o, NULL) : NULL;

	if (n)
		vnet_resume(n);
}

static struct vnet *device_vnet(struct vm_obj *o, struct vio_pci **vp,
				struct vm_error **errp)
{
	struct vnet *n = o->realized ? vnet_pci_model(o, vp) : NULL;

	if (!n)
		verr_set(errp, -ENOTSUP,
			 "device '%s' (%s): its state cannot be saved or restored",
			 o->id, obj_type_name(o));
	return n;
}

int device_save(struct vm_obj *o, struct snap_w *w, uint16_t inst,
		struct vm_error **errp)
{
	struct vio_pci *vp;
	struct vnet *n = device_vnet(o, &vp, errp);

	if (!n)
		return -ENOTSUP;
	vio_pci_save(vp, w, inst);
	vnet_save(n, w, inst);
	return 0;
}

int device_load(struct vm_obj *o, const struct snap_index *ix, uint16_t inst,
		struct vm_error **errp)
{
	struct vio_pci *vp;
	struct vnet *n = device_vnet(o, &vp, errp);
	int rc;

	if (!n)
		return -ENOTSUP;
	n->vhost_loading = true; /* the transport's load may start the rings */
	rc = vio_pci_load(vp, ix, inst, errp);
	n->vhost_loading = false;
	if (rc == 0)
		rc = vnet_load(n, ix, inst, errp);
	if (rc < 0)
		verr_prefix(errp, "device '%s': ", o->id);
	return rc;
}
