/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/pc-ports.h: the small PC ports that end or reset the VM.
 *
 *   i8042 (0x60 data, 0x64 status/command): enough of the keyboard
 *     controller for Linux's probe not to hang (status, CTR read/write,
 *     self tests) and for its reboot path: command 0xFE (pulse the reset
 *     line) or an output-port write with bit 0 clear -> VM_EXIT_RESET.
 *   debug-exit (0x501, 2 ports, like QEMU's isa-debug-exit): writing V
 *     -> VM_EXIT_DEBUG with code V (QEMU reports (V << 1) | 1; we report V).
 *   (0xcf9 reset control is part of the ACPI PM device, acpi-pm.h.)
 *   0x80 (POST codes / Linux's I/O delay): ignored, so it is not logged as
 *     unhandled.
 *
 * Exits are requested through a callback so the devices know nothing of
 * vCPUs (unit tests record them).
 *
 * Threads: vCPU threads. Locking: ->lock guards the i8042 state; the other
 * ports are stateless.
 */
#ifndef LIB_ARCH_X86_PC_PORTS_H
#define LIB_ARCH_X86_PC_PORTS_H

#include <pthread.h>
#include <stdint.h>

#include "../../kvm/iomap.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define DEBUG_EXIT_PORT 0x501
#define DEBUG_EXIT_LEN 2
#define POST_PORT 0x80

/* Ask the machine to stop with enum vm_exit_reason @reason. */
typedef void x86_exit_fn(void *opaque, int reason, int code);

struct i8042 {
	pthread_mutex_t lock;
	x86_exit_fn *exit;
	void *opaque;
	uint8_t ctr;       /* controller configuration ("command byte") */
	uint8_t out;       /* output buffer */
	int out_full;
	uint8_t pending;   /* command waiting for its data byte, or 0 */
	int last_cmd;      /* status bit 3: last write was a command */
};

extern const struct iomap_ops i8042_data_ops; /* 0x60, 1 port */
extern const struct iomap_ops i8042_cmd_ops;  /* 0x64, 1 port */
void i8042_init(struct i8042 *k, x86_exit_fn *exit, void *opaque);
void i8042_fini(struct i8042 *k);

/* i8042-state.c: the controller's registers as snapshot record "I842";
 * load refuses a short, long, newer or out-of-range record (-EBADMSG,
 * -ENOTSUP) and leaves the controller as it was. Any thread; both take
 * ->lock. */
#define I8042_SNAP_TAG SNAP_TAG('I', '8', '4', '2')
struct snap_w;
struct snap_rec;
struct vm_error;
void i8042_save(struct i8042 *k, struct snap_w *w);
int __must_check i8042_load(struct i8042 *k, const struct snap_rec *rec,
			    struct vm_error **errp);

struct pc_ports {
	x86_exit_fn *exit;
	void *opaque;
};

extern const struct iomap_ops debug_exit_ops; /* 0x501, 2 ports */
extern const struct iomap_ops ignore_ops;     /* reads 0xff, drops writes */
void pc_ports_init(struct pc_ports *p, x86_exit_fn *exit, void *opaque);

#endif
