/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/uart8250.h: a 16550A UART (COM1 at 0x3f8, IRQ 4).
 *
 * Implements what Linux's 8250 driver uses: RBR/THR, IER, IIR/FCR, LCR,
 * MCR (loopback), LSR, MSR, SCR, the divisor latch, and the interrupts
 * RDA (received data), THRE (transmitter empty) and MSI. Transmission is
 * instantaneous while the output fd takes bytes: a THR write goes to the
 * fd at once and THRE is set again immediately. When the fd is full (a
 * pipe nobody reads), bytes wait in the 16-byte TX FIFO and LSR.THRE/TEMT
 * read 0 until it is empty (backpressure, as a real UART under flow
 * control); a guest that writes more than 16 anyway loses those bytes
 * (->tx_dropped). A vCPU
 * never waits for the host fd. Input comes from a host fd read by a small
 * I/O thread (started by uart8250_start) into a 64-byte FIFO; the thread
 * waits while the FIFO is full (the guest's flow control), and also
 * watches a full output fd to raise THRE once it drains.
 *
 * The interrupt is a level (IIR != "no interrupt") driven on the sink
 * only when it changes.
 *
 * Threads: registers are accessed from vCPU threads; the input thread
 * pushes received bytes. Locking: ->lock guards every register field, the
 * FIFO and ->irq_level; the output write() and irq_set_line() happen under
 * it so that output order and line level follow register order (the
 * write never waits: see above).
 */
#ifndef LIB_ARCH_X86_UART8250_H
#define LIB_ARCH_X86_UART8250_H

#include <pthread.h>
#include <stdint.h>

#include "../../core/error.h"
#include "../../core/log.h"
#include "../../kvm/iomap.h"
#include "../../kvm/irq.h"

#define UART8250_COM1_BASE 0x3f8
#define UART8250_COM1_IRQ 4
#define UART8250_FIFO 64
#define UART8250_FIFO_TX 16   /* the 16550A's transmit FIFO */

enum uart8250_out_mode {
	UART8250_OUT_PLAIN,   /* regular file, block device: write() */
	UART8250_OUT_NOWAIT,  /* pipe: pwritev2(RWF_NOWAIT) */
	UART8250_OUT_POLL,    /* anything else: poll(POLLOUT, 0), write() */
};

struct uart8250 {
	pthread_mutex_t lock;
	pthread_cond_t space;        /* FIFO has room (input thread waits) */
	const char *name;
	const struct vlog *log;
	struct irq_sink *irq;
	uint32_t gsi;
	int out_fd, in_fd;           /* -1: none */
	/* Output callback instead of out_fd (set before vCPUs run, cleared
	 * by uart8250_detach() under ->lock); called under ->lock on the
	 * vCPU thread that wrote THR. out_fd is guarded the same way. */
	void (*out_fn)(void *opaque, const char *buf, size_t len);
	void *out_opaque;
	/* registers, guarded by ->lock */
	uint8_t ier, iir, lcr, mcr, lsr, msr, scr, fcr, dll, dlm;
	int thr_ipending;
	int irq_level;               /* the line as last driven; -1: unknown */
	uint8_t rx[UART8250_FIFO];
	unsigned rx_head, rx_count;
	unsigned out_errors;
	int out_mode;                /* enum uart8250_out_mode, set at init */
	uint8_t tx_fifo[UART8250_FIFO_TX]; /* bytes the full fd did not take */
	unsigned tx_head, tx_count;
	unsigned long tx_dropped;    /* THR writes lost: TX FIFO full */
	int in_eof;                  /* input fd gave EOF or an error */
	/* I/O thread */
	const struct priv *priv;     /* it enters it first (privilege.h); set
				      * before uart8250_start, may be NULL */
	pthread_t thread;
	int thread_started;          /* API thread only */
	int stop;                    /* guarded by ->lock */
	int wake_fd;                 /* eventfd that wakes the thread's poll */
};

extern const struct iomap_ops uart8250_ops; /* 8 ports */

int __must_check uart8250_init(struct uart8250 *u, const char *name,
			       struct irq_sink *irq, uint32_t gsi, int out_fd,
			       int in_fd, const struct vlog *log,
			       struct vm_error **errp);
/* Start the I/O thread if there is an input fd or an output fd that can
 * be full. */
int __must_check uart8250_start(struct uart8250 *u, struct vm_error **errp);
/* Stop and join the I/O thread (no-op if none). */
void uart8250_stop(struct uart8250 *u);
/* Cut the host off: no output to out_fd/out_fn from now on (a THR write
 * in progress has finished: it runs under ->lock) and the input thread is
 * joined. Output written afterwards is dropped. API thread. */
void uart8250_detach(struct uart8250 *u);
void uart8250_fini(struct uart8250 *u);

/* Queue received bytes as if they came from the line; returns how many fit
 * in the FIFO. Any thread. */
size_t uart8250_receive(struct uart8250 *u, const uint8_t *buf, size_t len);

/* Snapshot state (lib/snapshot/format.h, tag "UART"): the registers and
 * both FIFOs, not the host side (fds, callback, thread). Save on a paused
 * VM; load before the vCPUs run, after the irqchip's state: it drives
 * the interrupt line to the level the loaded registers give (a raise if
 * an interrupt is pending, e.g. THRE or received data; the guest may see
 * it once more, which an 8250 driver tolerates). Load refuses a record that
 * is short, too long, of a newer version or out of range. Any thread;
 * both take ->lock. */
struct snap_w;
struct snap_rec;
void uart8250_save(struct uart8250 *u, struct snap_w *w);
int __must_check uart8250_load(struct uart8250 *u, const struct snap_rec *rec,
			       struct vm_error **errp);

#endif
