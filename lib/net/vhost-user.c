/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/net/vhost-user.c: netdev "vhost-user": properties only, so far.
 *
 * The properties are those QEMU spreads over -chardev socket and -netdev
 * vhost-user: chardev (the UNIX socket path), server (listen instead of
 * connect), queues, vhostforce, reconnect (seconds). They are parsed and
 * checked today; realize reports -ENOTSUP until the vhost-user protocol
 * lands (its own issue), rather than pretending to work.
 *
 * Threads/Locking: API thread only.
 */
#include <errno.h>
#include <string.h>
#include <sys/un.h>

#include "../core/prop.h"
#include "netdev.h"
#include "backends.h"

struct netdev_vhost_user {
	struct netdev nd;
	char *chardev;
	uint8_t server;
	uint32_t queues;
	uint8_t vhostforce;
	uint32_t reconnect;
};

static int vhost_user_realize(struct vm_obj *o, struct vm_error **errp)
{
	struct netdev_vhost_user *v = (struct netdev_vhost_user *)o;
	struct sockaddr_un sa;

	if (strlen(v->chardev) >= sizeof(sa.sun_path))
		return verr_set(errp, -ENAMETOOLONG,
				"netdev '%s': socket path '%s' is longer than %zu bytes",
				o->id, v->chardev, sizeof(sa.sun_path) - 1);
	return verr_set(errp, -ENOTSUP,
			"netdev '%s': the vhost-user backend is not implemented yet",
			o->id);
}

static const struct vm_prop_desc vhost_user_props[] = {
	PROP_STR("chardev", struct netdev_vhost_user, chardev,
		 VM_PROP_F_REQUIRED, NULL, "UNIX socket path of the backend"),
	PROP_BOOL("server", struct netdev_vhost_user, server, 0, "off",
		  "listen on the socket instead of connecting"),
	PROP_U32("queues", struct netdev_vhost_user, queues, 0, "1", 1,
		 NETDEV_MAX_QUEUES, "queue pairs"),
	PROP_BOOL("vhostforce", struct netdev_vhost_user, vhostforce, 0,
		  "off", "accepted for QEMU compatibility"),
	PROP_U32("reconnect", struct netdev_vhost_user, reconnect, 0, "0", 0,
		 3600, "seconds between reconnect attempts (0: never)"),
	PROP_END,
};

const struct type netdev_vhost_user_type = {
	.name = "vhost-user",
	.parent = TYPE_NETDEV,
	.class_size = sizeof(struct netdev_class),
	.instance_size = sizeof(struct netdev_vhost_user),
	.realize = vhost_user_realize,
	.props = vhost_user_props,
};
