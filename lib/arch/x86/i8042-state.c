/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/i8042-state.c: the i8042's state as snapshot record "I842"
 * (version 1): u8 ctr, u8 out, u8 out_full, u8 pending, u8 last_cmd. The
 * controller raises no interrupt (no keyboard or mouse is attached), so
 * there is no line to restore. A snapshot without the record (0.5.0 and
 * older) leaves the controller as reset.
 *
 * Threads: the API thread, vCPUs paused (save) or not started (load).
 * Locking: ->lock, as the ports' handlers.
 */
#include <errno.h>

#include "../../snapshot/format.h"
#include "pc-ports.h"

#define I8042_SNAP_VERSION 1

void i8042_save(struct i8042 *k, struct snap_w *w)
{
	pthread_mutex_lock(&k->lock);
	snap_w_begin(w, I8042_SNAP_TAG, I8042_SNAP_VERSION, 0);
	snap_put_u8(w, k->ctr);
	snap_put_u8(w, k->out);
	snap_put_u8(w, (uint8_t)!!k->out_full);
	snap_put_u8(w, k->pending);
	snap_put_u8(w, (uint8_t)!!k->last_cmd);
	snap_w_end(w);
	pthread_mutex_unlock(&k->lock);
}

int i8042_load(struct i8042 *k, const struct snap_rec *rec,
	       struct vm_error **errp)
{
	uint8_t ctr, out, full, pending, cmd;
	struct snap_cur c;
	int rc = snap_rec_check(rec, I8042_SNAP_VERSION, "i8042", errp);

	if (rc < 0)
		return rc;
	snap_cur_init(&c, rec);
	ctr = snap_get_u8(&c);
	out = snap_get_u8(&c);
	full = snap_get_u8(&c);
	pending = snap_get_u8(&c);
	cmd = snap_get_u8(&c);
	rc = snap_cur_done(&c, rec, "i8042", errp);
	if (rc < 0)
		return rc;
	/* Only the two commands that take a data byte can be waiting. */
	if (full > 1 || cmd > 1 ||
	    (pending && pending != 0x60 && pending != 0xd1))
		return verr_set(errp, -EBADMSG,
				"snapshot: i8042: out_full %u, last_cmd %u, pending command 0x%02x",
				full, cmd, pending);
	pthread_mutex_lock(&k->lock);
	k->ctr = ctr;
	k->out = out;
	k->out_full = full;
	k->pending = pending;
	k->last_cmd = cmd;
	pthread_mutex_unlock(&k->lock);
	return 0;
}
