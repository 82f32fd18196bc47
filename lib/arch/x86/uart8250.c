/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/uart8250.c: 16550A UART model (see uart8250.h).
 *
 * Register behaviour follows the 16550A data sheet and what QEMU's
 * hw/char/serial.c shows Linux relies on: reading IIR while it reports
 * THRE clears that interrupt; enabling ETBEI with THR empty raises it;
 * writing THR clears it and (transmission being instant) raises it again.
 *
 * Output never blocks the vCPU: a THR write tries the byte without
 * waiting (uart_out_try); if the host fd is full, the byte goes to a
 * 16-byte TX FIFO (the 16550A's: Linux writes up to 16 bytes per THRE
 * interrupt without looking at LSR) with LSR.THRE/TEMT clear, as on a
 * real UART whose line is flow-controlled. The FIFO is sent when the
 * guest reads LSR and when the I/O thread sees the fd writable (which then
 * raises THRE). A byte beyond the 16 is dropped and counted.
 *
 * Threads: vCPU threads call the register handlers; the I/O thread
 * ("kvm-uart") reads the host input fd and calls uart8250_receive(), and
 * waits for the output fd to drain while a byte is held.
 * Locking: ->lock guards all state (see uart8250.h); the I/O thread
 * sleeps on ->space (cond, with ->lock) while it has nothing to watch
 * and in poll() otherwise; whoever gives it something new to watch (a
 * held byte) or stops it (uart8250_stop: ->stop) signals ->space and
 * ->wake_fd; it then joins.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../../core/privilege.h"
#include "uart8250.h"
#include "../../snapshot/format.h"

#define UART_RBR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI 0x08

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRS 0x1e

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_DELTA 0x0f

/* Caller holds ->lock. */
static void uart_update_irq(struct uart8250 *u)
{
	uint8_t iir = IIR_NO_INT;
	int level;

	if ((u->ier & IER_RLSI) && (u->lsr & LSR_ERRS))
		iir = IIR_RLSI;
	else if ((u->ier & IER_RDI) && (u->lsr & LSR_DR))
		iir = IIR_RDI;
	else if ((u->ier & IER_THRI) && u->thr_ipending)
		iir = IIR_THRI;
	else if ((u->ier & IER_MSI) && (u->msr & MSR_DELTA))
		iir = IIR_MSI;
	u->iir = iir | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
	level = !(iir & IIR_NO_INT);
	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->irq)
			irq_set_line(u->irq, u->gsi, level);
	}
}

static void uart_rx_push(struct uart8250 *u, uint8_t c)
{
	if (u->rx_count == UART8250_FIFO) {
		u->lsr |= LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART8250_FIFO] = c;
	u->rx_count++;
	u->lsr |= LSR_DR;
}

static uint8_t uart_rx_pop(struct uart8250 *u)
{
	uint8_t c = 0;

	if (u->rx_count) {
		c = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART8250_FIFO;
		if (--u->rx_count == UART8250_FIFO - 1 ||
		    u->rx_count == 0)
			pthread_cond_signal(&u->space);
	}
	if (!u->rx_count)
		u->lsr &= ~LSR_DR;
	return c;
}

static void uart_wake(struct uart8250 *u)
{
	uint64_t one = 1;

	pthread_cond_signal(&u->space);
	if (u->wake_fd >= 0 && write(u->wake_fd, &one, sizeof(one)) < 0) {
		/* a full eventfd counter is still readable: it wakes anyway */
	}
}

/* Write @c to the output fd without waiting. 1: written (or dropped on an
 * error), 0: the fd is full, try again later. Caller holds ->lock. */
static int uart_out_try(struct uart8250 *u, uint8_t c)
{
	struct iovec iov = { &c, 1 };
	ssize_t n;

	for (;;) {
		if (u->out_mode == UART8250_OUT_NOWAIT) {
			n = pwritev2(u->out_fd, &iov, 1, -1, RWF_NOWAIT);
			if (n < 0 && (errno == EOPNOTSUPP || errno == EINVAL)) {
				u->out_mode = UART8250_OUT_POLL; /* older kernel */
				continue;
			}
		} else {
			if (u->out_mode == UART8250_OUT_POLL) {
				struct pollfd p = { .fd = u->out_fd, .events = POLLOUT };

				if (poll(&p, 1, 0) == 0)
					return 0;
			}
			n = write(u->out_fd, &c, 1);
		}
		if (n == 1)
			return 1;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (u->out_errors++ == 0)
			vlog_warn(u->log, u->name, "console output: %s (dropping)",
				  n < 0 ? strerror(errno) : "short write");
		return 1;
	}
}

/* 1 when the byte left (THR empty again), 0 when it is held. */
static int uart_tx(struct uart8250 *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP) {
		uart_rx_push(u, c);
		return 1;
	}
	if (u->out_fn) {
		u->out_fn(u->out_opaque, (const char *)&c, 1);
		return 1;
	}
	if (u->out_fd < 0)
		return 1;
	return uart_out_try(u, c);
}

/* Send what the TX FIFO holds, in order, while the fd takes it; once it
 * is empty: THR empty again, THRE interrupt pending. */
static void uart_tx_retry(struct uart8250 *u)
{
	while (u->tx_count && uart_tx(u, u->tx_fifo[u->tx_head])) {
		u->tx_head = (u->tx_head + 1) % UART8250_FIFO_TX;
		u->tx_count--;
	}
	if (u->tx_count)
		return;
	if (!(u->lsr & LSR_THRE)) {
		u->lsr |= LSR_THRE | LSR_TEMT;
		u->thr_ipending = 1;
	}
}

static void uart_thr_write(struct uart8250 *u, uint8_t v)
{
	if (!u->tx_count && uart_tx(u, v)) {
		u->lsr |= LSR_THRE | LSR_TEMT;
		u->thr_ipending = 1;
		return;
	}
	if (u->tx_count == UART8250_FIFO_TX) {
		/* The guest wrote more than the 16550A's FIFO holds without
		 * waiting for THRE: as on the chip, the byte is lost. */
		if (u->tx_dropped++ == 0)
			vlog_warn(u->log, u->name,
				  "console output: guest overran the TX FIFO while the fd was full (dropping, counted)");
		return;
	}
	u->tx_fifo[(u->tx_head + u->tx_count) % UART8250_FIFO_TX] = v;
	u->tx_count++;
	u->lsr &= ~(LSR_THRE | LSR_TEMT);
	u->thr_ipending = 0;
	if (u->tx_count == 1)
		uart_wake(u);
}

static uint8_t uart_msr_value(struct uart8250 *u)
{
	if (u->mcr & MCR_LOOP)
		/* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
		return (u->msr & MSR_DELTA) | ((u->mcr & MCR_DTR) ? MSR_DSR : 0) |
		       ((u->mcr & MCR_RTS) ? MSR_CTS : 0) |
		       ((u->mcr & MCR_OUT1) ? MSR_RI : 0) |
		       ((u->mcr & MCR_OUT2) ? MSR_DCD : 0);
	return u->msr;
}

static void uart_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct uart8250 *u = opaque;
	uint8_t v = 0xff;

	memset(data, 0xff, size);
	pthread_mutex_lock(&u->lock);
	switch (off) {
	case UART_RBR:
		if (u->lcr & LCR_DLAB)
			v = u->dll;
		else
			v = uart_rx_pop(u);
		break;
	case UART_IER:
		v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
		break;
	case UART_IIR:
		v = u->iir;
		if ((v & 0x0f) == IIR_THRI)
			u->thr_ipending = 0;
		break;
	case UART_LCR:
		v = u->lcr;
		break;
	case UART_MCR:
		v = u->mcr;
		break;
	case UART_LSR:
		uart_tx_retry(u); /* a guest polling THRE drains a held byte */
		v = u->lsr;
		u->lsr &= ~(LSR_ERRS); /* error bits clear on read */
		break;
	case UART_MSR:
		v = uart_msr_value(u);
		u->msr &= ~MSR_DELTA;
		break;
	case UART_SCR:
		v = u->scr;
		break;
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	*(uint8_t *)data = v;
}

static void uart_write(void *opaque, uint64_t off, const void *data,
		       unsigned size)
{
	struct uart8250 *u = opaque;
	uint8_t v = *(const uint8_t *)data;
	uint8_t old;

	pthread_mutex_lock(&u->lock);
	switch (off) {
	case UART_RBR:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			break;
		}
		uart_thr_write(u, v);
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		old = u->ier;
		u->ier = v & 0x0f;
		/* Enabling ETBEI with THR empty raises THRE at once. */
		if ((u->ier & IER_THRI) && !(old & IER_THRI) &&
		    (u->lsr & LSR_THRE))
			u->thr_ipending = 1;
		break;
	case UART_IIR: /* FCR */
		if (v & FCR_CLEAR_RX) {
			u->rx_head = u->rx_count = 0;
			u->lsr &= ~(LSR_DR | LSR_OE);
			pthread_cond_signal(&u->space);
		}
		if ((v ^ u->fcr) & FCR_ENABLE) {
			/* Changing the FIFO mode resets both FIFOs. */
			u->rx_head = u->rx_count = 0;
			u->lsr &= ~LSR_DR;
			pthread_cond_signal(&u->space);
		}
		u->fcr = v & 0xc9; /* enable, DMA mode, trigger level */
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1f;
		break;
	case UART_LSR:
	case UART_MSR:
		break; /* read-only (factory test registers) */
	case UART_SCR:
		u->scr = v;
		break;
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

const struct iomap_ops uart8250_ops = { uart_read, uart_write };

size_t uart8250_receive(struct uart8250 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && u->rx_count < UART8250_FIFO)
		uart_rx_push(u, buf[n++]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

int uart8250_init(struct uart8250 *u, const char *name, struct irq_sink *irq,
		  uint32_t gsi, int out_fd, int in_fd, const struct vlog *log,
		  struct vm_error **errp)
{
	memset(u, 0, sizeof(*u));
	u->name = name;
	u->log = log;
	u->irq = irq;
	u->gsi = gsi;
	u->out_fd = out_fd;
	u->in_fd = in_fd;
	u->wake_fd = -1;
	u->out_mode = UART8250_OUT_PLAIN;
	if (out_fd >= 0) {
		struct stat st;

		/* Files and block devices never keep a writer waiting for a
		 * reader; pipes can say "full" per write (RWF_NOWAIT, Linux
		 * >= 5.x for pipes; else poll); anything else is polled. */
		if (fstat(out_fd, &st) == 0 &&
		    (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
			u->out_mode = UART8250_OUT_PLAIN;
		else if (fstat(out_fd, &st) == 0 && S_ISFIFO(st.st_mode))
			u->out_mode = UART8250_OUT_NOWAIT;
		else
			u->out_mode = UART8250_OUT_POLL;
	}
	u->iir = IIR_NO_INT;
	u->lsr = LSR_THRE | LSR_TEMT;
	u->msr = MSR_DCD | MSR_DSR | MSR_CTS;
	u->dll = 0x0c; /* 9600 baud */
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->space, NULL);
	return 0;
}

static void *uart_io_thread(void *arg)
{
	struct uart8250 *u = arg;
	uint8_t buf[UART8250_FIFO];
	int r;

	pthread_setname_np(pthread_self(), "kvm-uart"); /* prctl: cheap */
	r = priv_enter(u->priv);
	if (r < 0) {
		/* Never run with privileges the host asked to drop: no input
		 * then, and output only as far as the vCPU thread's own
		 * non-blocking writes get it out. */
		vlog_err(u->log, u->name, "I/O thread: cannot drop its privileges: %s",
			 strerror(-r));
		return NULL;
	}
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = u->wake_fd, .events = POLLIN },
			{ .fd = -1, .events = POLLIN },
			{ .fd = -1, .events = POLLOUT },
		};
		size_t room = 0;
		ssize_t n;

		pthread_mutex_lock(&u->lock);
		while (!u->stop && !u->tx_count &&
		       (u->in_fd < 0 || u->in_eof || u->rx_count == UART8250_FIFO))
			pthread_cond_wait(&u->space, &u->lock);
		if (u->stop) {
			pthread_mutex_unlock(&u->lock);
			break;
		}
		if (u->in_fd >= 0 && !u->in_eof && u->rx_count < UART8250_FIFO) {
			p[1].fd = u->in_fd;
			room = UART8250_FIFO - u->rx_count;
		}
		if (u->tx_count && u->out_fd >= 0)
			p[2].fd = u->out_fd;
		pthread_mutex_unlock(&u->lock);

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			uint64_t cnt;

			if (read(u->wake_fd, &cnt, sizeof(cnt)) < 0) {
				/* EAGAIN: someone else drained it */
			}
		}
		if (p[2].revents) {
			pthread_mutex_lock(&u->lock);
			uart_tx_retry(u);
			uart_update_irq(u);
			pthread_mutex_unlock(&u->lock);
		}
		if (!(p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(u->in_fd, buf, room);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) { /* EOF or error: no more input */
			pthread_mutex_lock(&u->lock);
			u->in_eof = 1;
			pthread_mutex_unlock(&u->lock);
			continue;
		}
		uart8250_receive(u, buf, (size_t)n);
	}
	return NULL;
}

int uart8250_start(struct uart8250 *u, struct vm_error **errp)
{
	sigset_t all, old;
	int r;

	if (u->thread_started)
		return 0;
	/* Needed for input, or to watch an output fd that can be full. */
	if (u->in_fd < 0 && (u->out_fd < 0 || u->out_mode == UART8250_OUT_PLAIN))
		return 0;
	r = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r < 0)
		return verr_set_errno(errp, -errno, "%s: eventfd", u->name);
	pthread_mutex_lock(&u->lock);
	u->wake_fd = r;
	u->stop = 0;
	pthread_mutex_unlock(&u->lock);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&u->thread, NULL, uart_io_thread, u);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		pthread_mutex_lock(&u->lock);
		close(u->wake_fd);
		u->wake_fd = -1;
		pthread_mutex_unlock(&u->lock);
		return verr_set_errno(errp, r, "%s: cannot create its I/O thread",
				      u->name);
	}
	u->thread_started = 1;
	return 0;
}

void uart8250_stop(struct uart8250 *u)
{
	if (!u->thread_started)
		return;
	pthread_mutex_lock(&u->lock);
	u->stop = 1;
	pthread_cond_broadcast(&u->space);
	uart_wake(u);
	pthread_mutex_unlock(&u->lock);
	pthread_join(u->thread, NULL);
	pthread_mutex_lock(&u->lock);
	close(u->wake_fd);
	u->wake_fd = -1;
	pthread_mutex_unlock(&u->lock);
	u->thread_started = 0;
}

void uart8250_detach(struct uart8250 *u)
{
	pthread_mutex_lock(&u->lock);
	u->out_fn = NULL;
	u->out_fd = -1;
	pthread_mutex_unlock(&u->lock);
	uart8250_stop(u);
}

void uart8250_fini(struct uart8250 *u)
{
	uart8250_stop(u);
	pthread_cond_destroy(&u->space);
	pthread_mutex_destroy(&u->lock);
}

/* ---- snapshot state ---- */

#define UART_SNAP_VERSION 1

void uart8250_save(struct uart8250 *u, struct snap_w *w)
{
	pthread_mutex_lock(&u->lock);
	snap_w_begin(w, SNAP_TAG('U', 'A', 'R', 'T'), UART_SNAP_VERSION, 0);
	snap_put(w, (uint8_t[]){ u->ier, u->iir, u->lcr, u->mcr, u->lsr,
				 u->msr, u->scr, u->fcr, u->dll, u->dlm,
				 (uint8_t)!!u->thr_ipending,
				 (uint8_t)!!u->irq_level }, 12);
	snap_put_u8(w, (uint8_t)u->rx_count);
	for (unsigned i = 0; i < u->rx_count; i++)
		snap_put_u8(w, u->rx[(u->rx_head + i) % UART8250_FIFO]);
	snap_put_u8(w, (uint8_t)u->tx_count);
	for (unsigned i = 0; i < u->tx_count; i++)
		snap_put_u8(w, u->tx_fifo[(u->tx_head + i) % UART8250_FIFO_TX]);
	snap_w_end(w);
	pthread_mutex_unlock(&u->lock);
}

int uart8250_load(struct uart8250 *u, const struct snap_rec *rec,
		  struct vm_error **errp)
{
	uint8_t r[12], rx[UART8250_FIFO], tx[UART8250_FIFO_TX];
	unsigned nrx, ntx;
	struct snap_cur c;
	int rc = snap_rec_check(rec, UART_SNAP_VERSION, "UART", errp);

	if (rc < 0)
		return rc;
	snap_cur_init(&c, rec);
	snap_get(&c, r, sizeof(r));
	nrx = snap_get_u8(&c);
	if (nrx > UART8250_FIFO)
		return verr_set(errp, -EBADMSG,
				"snapshot: UART: %u bytes in a %u-byte receive FIFO",
				nrx, UART8250_FIFO);
	snap_get(&c, rx, nrx);
	ntx = snap_get_u8(&c);
	if (ntx > UART8250_FIFO_TX)
		return verr_set(errp, -EBADMSG,
				"snapshot: UART: %u bytes in a %u-byte transmit FIFO",
				ntx, UART8250_FIFO_TX);
	snap_get(&c, tx, ntx);
	rc = snap_cur_done(&c, rec, "UART", errp);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&u->lock);
	u->ier = r[0];
	u->iir = r[1];
	u->lcr = r[2];
	u->mcr = r[3];
	u->lsr = r[4];
	u->msr = r[5];
	u->scr = r[6];
	u->fcr = r[7];
	u->dll = r[8];
	u->dlm = r[9];
	u->thr_ipending = r[10] != 0;
	memcpy(u->rx, rx, nrx);
	u->rx_head = 0;
	u->rx_count = nrx;
	memcpy(u->tx_fifo, tx, ntx);
	u->tx_head = 0;
	u->tx_count = ntx;
	/* The line as the registers say (r[11], the saved level, agrees
	 * unless the record was edited), set whatever it was: the irqchip
	 * of a new VM starts with this source's line low, and an interrupt
	 * the guest has not serviced yet (THRE, received data) must reach
	 * it again rather than wait for an edge that never comes. */
	u->irq_level = -1;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}
