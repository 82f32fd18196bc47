/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/chardev/socket.c: the abstract "chardev" type and "chardev-socket"
 * (QEMU's -chardev socket,id=...,path=...,server=on|off,wait=on|off,
 * reconnect=N). See chardev.h.
 *
 * Threads/Locking: API thread only.
 */
#include <errno.h>
#include <string.h>
#include <sys/un.h>

#include <kvm-virtio.h>

#include "../core/prop.h"
#include "chardev.h"

static void chardev_class_init(struct obj_class *k)
{
	k->kind = VM_OBJ_CHARDEV;
}

const struct type chardev_type = {
	.name = TYPE_CHARDEV,
	.class_size = sizeof(struct obj_class),
	.instance_size = sizeof(struct vm_obj),
	.abstract = true,
	.class_init = chardev_class_init,
};

static int chardev_socket_realize(struct vm_obj *o, struct vm_error **errp)
{
	struct chardev_socket *c = (struct chardev_socket *)o;
	struct sockaddr_un sa;

	if (!*c->path)
		return verr_set(errp, -EINVAL, "chardev '%s': empty path",
				o->id);
	if (!c->wait && !c->server) /* QEMU refuses it too */
		return verr_set(errp, -EINVAL,
				"chardev '%s': wait=off applies to server=on only",
				o->id);
	if (strlen(c->path) >= sizeof(sa.sun_path))
		return verr_set(errp, -ENAMETOOLONG,
				"chardev '%s': socket path '%s' is longer than %zu bytes",
				o->id, c->path, sizeof(sa.sun_path) - 1);
	return 0;
}

#define S struct chardev_socket
static const struct vm_prop_desc chardev_socket_props[] = {
	PROP_STR("path", S, path, VM_PROP_F_REQUIRED, NULL,
		 "UNIX socket path"),
	PROP_BOOL("server", S, server, 0, "off",
		  "listen on the path and wait for the peer to connect"),
	PROP_BOOL("wait", S, wait, 0, "on",
		  "server: wait for the peer at start (off: vhost-user's link is down until it connects)"),
	PROP_U32("reconnect", S, reconnect, 0, "0", 0, 3600,
		 "client: seconds between connection attempts (0: no retry)"),
	PROP_END,
};
#undef S

const struct type chardev_socket_type = {
	.name = TYPE_CHARDEV_SOCKET,
	.parent = TYPE_CHARDEV,
	.class_size = sizeof(struct obj_class),
	.instance_size = sizeof(struct chardev_socket),
	.realize = chardev_socket_realize,
	.props = chardev_socket_props,
};

struct chardev_socket *chardev_socket_find(struct vm *vm, const char *id)
{
	struct vm_obj *o = vm_obj_find(vm, id);

	if (!o || vm_obj_kind(o) != VM_OBJ_CHARDEV ||
	    strcmp(vm_obj_type(o), TYPE_CHARDEV_SOCKET))
		return NULL;
	return (struct chardev_socket *)o;
}
