/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/types.c: the built-in type table, consulted on lookup. A new
 * built-in type is one line here: no constructor-time registration.
 */
#include <stddef.h>

#include "chardev/chardev.h"
#include "core/type.h"
#include "devices/device.h"
#include "net/backends.h"
#include "net/netdev.h"

const struct type *const builtin_types[] = {
	&chardev_type,
	&chardev_socket_type,
	&netdev_type,
	&netdev_host_type,
	&netdev_null_type,
	&netdev_stream_type,
	&netdev_tap_type,
	&netdev_vhost_user_type,
	&device_type,
	&virtio_net_pci_type,
	NULL,
};
