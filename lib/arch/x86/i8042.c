/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/i8042.c: the keyboard controller's reset line (see
 * pc-ports.h). No keyboard or mouse is attached: bytes written to the data
 * port for a device are dropped, as with nothing plugged in.
 *
 * Threads: vCPU threads. Locking: ->lock guards all fields; the exit
 * callback is called without it.
 */
#include <string.h>

#include <kvm-virtio.h>

#include "pc-ports.h"

#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_CMD 0x08
#define ST_UNLOCKED 0x10

#define CTR_KBD_INT 0x01
#define CTR_SYS 0x04
#define CTR_KBD_DISABLE 0x10
#define CTR_AUX_DISABLE 0x20
#define CTR_XLATE 0x40

void i8042_init(struct i8042 *k, x86_exit_fn *exit, void *opaque)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->exit = exit;
	k->opaque = opaque;
	k->ctr = CTR_SYS | CTR_XLATE | CTR_KBD_INT;
}

void i8042_fini(struct i8042 *k)
{
	pthread_mutex_destroy(&k->lock);
}

static void put_out(struct i8042 *k, uint8_t v)
{
	k->out = v;
	k->out_full = 1;
}

static void i8042_data_read(void *opaque, uint64_t off, void *data,
			    unsigned size)
{
	struct i8042 *k = opaque;

	memset(data, 0xff, size);
	pthread_mutex_lock(&k->lock);
	*(uint8_t *)data = k->out;
	k->out_full = 0;
	pthread_mutex_unlock(&k->lock);
}

static void i8042_data_write(void *opaque, uint64_t off, const void *data,
			     unsigned size)
{
	struct i8042 *k = opaque;
	uint8_t v = *(const uint8_t *)data;
	int reset = 0;

	pthread_mutex_lock(&k->lock);
	k->last_cmd = 0;
	switch (k->pending) {
	case 0x60: /* write CTR */
		k->ctr = v;
		break;
	case 0xd1: /* write output port: bit 0 low = reset */
		reset = !(v & 1);
		break;
	default:   /* to the keyboard: nothing is attached */
		break;
	}
	k->pending = 0;
	pthread_mutex_unlock(&k->lock);
	if (reset)
		k->exit(k->opaque, VM_EXIT_RESET, 0);
}

static void i8042_cmd_read(void *opaque, uint64_t off, void *data,
			   unsigned size)
{
	struct i8042 *k = opaque;

	memset(data, 0xff, size);
	pthread_mutex_lock(&k->lock);
	*(uint8_t *)data = (uint8_t)(ST_UNLOCKED | ST_SYS |
				     (k->last_cmd ? ST_CMD : 0) |
				     (k->out_full ? ST_OBF : 0));
	pthread_mutex_unlock(&k->lock);
}

static void i8042_cmd_write(void *opaque, uint64_t off, const void *data,
			    unsigned size)
{
	struct i8042 *k = opaque;
	uint8_t v = *(const uint8_t *)data;
	int reset = 0;

	pthread_mutex_lock(&k->lock);
	k->last_cmd = 1;
	k->pending = 0;
	switch (v) {
	case 0x20: /* read CTR */
		put_out(k, k->ctr);
		break;
	case 0x60: /* write CTR: data follows */
	case 0xd1: /* write output port: data follows */
		k->pending = v;
		break;
	case 0xa7:
		k->ctr |= CTR_AUX_DISABLE;
		break;
	case 0xa8:
		k->ctr &= ~CTR_AUX_DISABLE;
		break;
	case 0xa9: /* aux interface test: OK */
	case 0xab: /* kbd interface test: OK */
		put_out(k, 0x00);
		break;
	case 0xaa: /* controller self test: passed */
		put_out(k, 0x55);
		break;
	case 0xad:
		k->ctr |= CTR_KBD_DISABLE;
		break;
	case 0xae:
		k->ctr &= ~CTR_KBD_DISABLE;
		break;
	default:
		/* 0xf0-0xff pulse output lines low for 6 us; bit 0 of the
		 * command clear = the reset line is pulsed (0xfe). */
		if (v >= 0xf0 && !(v & 1))
			reset = 1;
		break;
	}
	pthread_mutex_unlock(&k->lock);
	if (reset)
		k->exit(k->opaque, VM_EXIT_RESET, 0);
}

const struct iomap_ops i8042_data_ops = { i8042_data_read, i8042_data_write };
const struct iomap_ops i8042_cmd_ops = { i8042_cmd_read, i8042_cmd_write };
