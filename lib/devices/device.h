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

#endif
