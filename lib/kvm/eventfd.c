/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/eventfd.c: eventfd, ioeventfd and irqfd helpers.
 *
 * Threads: any thread. Locking: none (each call is one syscall).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "eventfd.h"
#include "hv.h"

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
	return v ? 1 : 0;
}

static int hv_ioeventfd(struct hv *hv, int fd, uint64_t addr, uint32_t len,
			uint64_t datamatch, unsigned flags, int deassign)
{
	struct kvm_ioeventfd io = {
		.datamatch = datamatch,
		.addr = addr,
		.len = len,
		.fd = fd,
	};

	if (flags & HV_IOEVENTFD_PIO)
		io.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (flags & HV_IOEVENTFD_DATAMATCH)
		io.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
	if (deassign)
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	return hv_ioctl(hv->vm_fd, KVM_IOEVENTFD, &io);
}

int hv_ioeventfd_assign(struct hv *hv, int fd, uint64_t addr, uint32_t len,
			uint64_t datamatch, unsigned flags,
			struct vm_error **errp)
{
	int r = hv_ioeventfd(hv, fd, addr, len, datamatch, flags, 0);

	if (r < 0)
		return verr_set_errno(errp, r, "KVM_IOEVENTFD %s 0x%llx/%u",
				      (flags & HV_IOEVENTFD_PIO) ? "pio" : "mmio",
				      (unsigned long long)addr, len);
	return 0;
}

int hv_ioeventfd_deassign(struct hv *hv, int fd, uint64_t addr, uint32_t len,
			  uint64_t datamatch, unsigned flags)
{
	int r = hv_ioeventfd(hv, fd, addr, len, datamatch, flags, 1);

	return r < 0 ? r : 0;
}

int hv_irqfd_assign(struct hv *hv, int fd, uint32_t gsi, int resample_fd,
		    struct vm_error **errp)
{
	struct kvm_irqfd f = { .fd = (uint32_t)fd, .gsi = gsi };
	int r;

	if (resample_fd >= 0) {
		f.flags = KVM_IRQFD_FLAG_RESAMPLE;
		f.resamplefd = (uint32_t)resample_fd;
	}
	r = hv_ioctl(hv->vm_fd, KVM_IRQFD, &f);
	if (r < 0)
		return verr_set_errno(errp, r, "KVM_IRQFD gsi %u", gsi);
	return 0;
}

int hv_irqfd_deassign(struct hv *hv, int fd, uint32_t gsi)
{
	struct kvm_irqfd f = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
		.flags = KVM_IRQFD_FLAG_DEASSIGN,
	};
	int r = hv_ioctl(hv->vm_fd, KVM_IRQFD, &f);

	return r < 0 ? r : 0;
}
