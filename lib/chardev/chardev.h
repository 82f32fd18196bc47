/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/chardev/chardev.h: chardev objects (QEMU's -chardev), so far the
 * "socket" backend only (type "chardev-socket"): a UNIX socket path and
 * its role, named by id by the netdevs that use it (vhost-user's
 * chardev=). vm_add_chardev(vm, "socket", id, props) makes one; chardevs
 * are realized before the netdevs (vm_start phase 1) and unrealized after
 * them. The socket itself is opened by the netdev that uses the chardev,
 * which knows what the connection carries.
 *
 * Threads/Locking: API thread only; fixed after realize.
 */
#ifndef LIB_CHARDEV_CHARDEV_H
#define LIB_CHARDEV_CHARDEV_H

#include <stdint.h>

#include "../core/obj.h"
#include "../core/type.h"

#define TYPE_CHARDEV "chardev"
#define TYPE_CHARDEV_SOCKET "chardev-socket"

struct chardev_socket {
	struct vm_obj obj;
	char *path;          /* property, required */
	uint8_t server;      /* property: listen for the peer */
	uint8_t wait;        /* property: server waits at start (QEMU's) */
	uint32_t reconnect;  /* property: client retry, seconds */
};

extern const struct type chardev_type;
extern const struct type chardev_socket_type;

/* The socket chardev with id @id of @vm, or NULL if @id names none. */
struct chardev_socket *chardev_socket_find(struct vm *vm, const char *id);

#endif
