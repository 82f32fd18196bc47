/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices/device.h: the abstract "device" type every device derives
 * from, and the built-in device types for the type table.
 */
#ifndef LIB_DEVICES_DEVICE_H
#define LIB_DEVICES_DEVICE_H

#include "../core/obj.h"

#define TYPE_DEVICE "device"

extern const struct type device_type;
extern const struct type virtio_net_pci_type;

/* Resolve link property @prop of @dev to an object of @kind; the target
 * must exist. Messages name the device, property and target. */
int __must_check device_resolve_link(struct vm_obj *dev, const char *prop,
				     int kind, struct vm_obj **target,
				     struct vm_error **errp);

struct vnet;
struct vio_pci;
/* The device model (and transport) of a realized virtio-net-pci, NULL for
 * any other object or before realize. */
struct vnet *vnet_pci_model(struct vm_obj *o, struct vio_pci **vp);

/* vm_pause()'s hook into the device layer: quiesce @o's I/O threads at a
 * queue boundary (virtio-net-pause.c) / let them run again. A no-op for
 * objects without I/O threads or not realized. Any thread but the
 * device's own. */
int __must_check device_pause(struct vm_obj *o);
void device_resume(struct vm_obj *o);

/* Snapshot state of a realized device, records with instance @inst
 * (virtio-net-pci: lib/virtio/pci-state.c and virtio-net-state.c).
 * -ENOTSUP for a device type whose state is not saved (host types).
 * Load re-creates ioeventfds, routes and irqfds; VM paused / not started. */
struct snap_w;
struct snap_index;
int __must_check device_save(struct vm_obj *o, struct snap_w *w,
			     uint16_t inst, struct vm_error **errp);
int __must_check device_load(struct vm_obj *o, const struct snap_index *ix,
			     uint16_t inst, struct vm_error **errp);

#endif
