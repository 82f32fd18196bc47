/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/eventfd.c: eventfd helpers (ioeventfd and irqfd bindings are the
 * interrupt sink's: lib/kvm/irq.c).
 *
 * Threads: any thread. Locking: none (each call is one syscall).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "eventfd.h"

int hv_eventfd_new(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	return fd < 0 ? -errno : fd;
}

int hv_eventfd_signal(int fd)
{
	uint64_t one = 1;
	ssize_t n;

	do
		n = write(fd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
	/* EAGAIN: the counter is saturated, the reader will wake anyway. */
	if (n < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

int hv_eventfd_drain(int fd)
{
	uint64_t v;
	ssize_t n;

	do
		n = read(fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return v > INT_MAX ? INT_MAX : (int)v;
}
