/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/arch/x86/uart8250.c: 16550A UART model (see uart8250.h).
 *
 * Register behaviour follows the 16550A data sheet and what QEMU's
 * hw/char/serial.c shows Linux relies on: reading IIR while it reports
 * THRE clears that interrupt; enabling ETBEI with THR empty raises it;
 * writing THR clears it and (transmission being instant) raises it again.
 *
 * Threads: vCPU threads call the register handlers; the input thread
 * ("kvm-uart-in") reads the host fd and calls uart8250_receive().
 * Locking: ->lock guards all state (see uart8250.h); the input thread
 * sleeps on ->space (cond, with ->lock) while the FIFO is full and in
 * poll() otherwise; uart8250_stop() sets ->stop, signals ->stop_fd and
 * ->space, then joins.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "uart8250.h"

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

static void uart_tx(struct uart8250 *u, uint8_t c)
{
	ssize_t n;

	if (u->mcr & MCR_LOOP) {
		uart_rx_push(u, c);
		return;
	}
	if (u->out_fn) {
		u->out_fn(u->out_opaque, (const char *)&c, 1);
		return;
	}
	if (u->out_fd < 0)
		return;
	do
		n = write(u->out_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0 && u->out_errors++ == 0)
		vlog_warn(u->log, u->name, "console output: %s (dropping)",
			  strerror(errno));
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
		uart_tx(u, v);
		u->lsr |= LSR_THRE | LSR_TEMT;
		u->thr_ipending = 1;
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
	u->stop_fd = -1;
	u->iir = IIR_NO_INT;
	u->lsr = LSR_THRE | LSR_TEMT;
	u->msr = MSR_DCD | MSR_DSR | MSR_CTS;
	u->dll = 0x0c; /* 9600 baud */
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->space, NULL);
	return 0;
}

static void *uart_input_thread(void *arg)
{
	struct uart8250 *u = arg;
	uint8_t buf[UART8250_FIFO];

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = u->in_fd, .events = POLLIN },
			{ .fd = u->stop_fd, .events = POLLIN },
		};
		size_t room;
		ssize_t n;

		pthread_mutex_lock(&u->lock);
		while (!u->stop && u->rx_count == UART8250_FIFO)
			pthread_cond_wait(&u->space, &u->lock);
		room = UART8250_FIFO - u->rx_count;
		if (u->stop) {
			pthread_mutex_unlock(&u->lock);
			break;
		}
		pthread_mutex_unlock(&u->lock);

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(u->in_fd, buf, room);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) /* EOF or error: no more input */
			break;
		uart8250_receive(u, buf, (size_t)n);
	}
	return NULL;
}

int uart8250_start(struct uart8250 *u, struct vm_error **errp)
{
	sigset_t all, old;
	int r;

	if (u->in_fd < 0 || u->thread_started)
		return 0;
	u->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->stop_fd < 0)
		return verr_set_errno(errp, -errno, "%s: eventfd", u->name);
	u->stop = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&u->thread, NULL, uart_input_thread, u);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		close(u->stop_fd);
		u->stop_fd = -1;
		return verr_set_errno(errp, r, "%s: cannot create input thread",
				      u->name);
	}
	pthread_setname_np(u->thread, "kvm-uart-in");
	u->thread_started = 1;
	return 0;
}

void uart8250_stop(struct uart8250 *u)
{
	uint64_t one = 1;

	if (!u->thread_started)
		return;
	pthread_mutex_lock(&u->lock);
	u->stop = 1;
	pthread_cond_broadcast(&u->space);
	pthread_mutex_unlock(&u->lock);
	if (write(u->stop_fd, &one, sizeof(one)) < 0) {
		/* cannot fail on a fresh eventfd; the cond wakes it anyway */
	}
	pthread_join(u->thread, NULL);
	close(u->stop_fd);
	u->stop_fd = -1;
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
