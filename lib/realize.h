/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/realize.h: realize and unrealize one object, with the guarantees the
 * public header gives for every type, host-registered ones included.
 *
 * obj_realize() runs the most derived realize hook (a child that wants its
 * parent's calls it itself, as in QEMU) as the level that declared it, so
 * vm_obj_priv() inside sees that level's storage. Whatever the hook does,
 * the errp convention holds: a failure always leaves an error whose code
 * is the value returned and whose message names the object ("device 'd1':
 * ..."), success never leaves one. For objects of host types the library
 * also resolves the VM_PROP_LINK properties their own levels declare,
 * exactly as built-in devices do: the target must exist and have the right
 * kind, and a device takes the netdev it links to as its peer (-EBUSY if
 * another device holds it), given back at unrealize or on failure.
 *
 * Threads: API thread. Locking: none.
 */
#ifndef LIB_REALIZE_H
#define LIB_REALIZE_H

#include "core/obj.h"

/* Realize @o (not yet realized); 0 or a negative errno with *errp set. */
int __must_check obj_realize(struct vm_obj *o, struct vm_error **errp);
/* Undo obj_realize() of a realized @o. */
void obj_unrealize_hooks(struct vm_obj *o);

#endif
