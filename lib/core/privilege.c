/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/core/privilege.c: dropping capabilities (libcap-ng) and the syscall
 * allow-list (libseccomp) of a VM's threads. See privilege.h for which
 * thread applies what to itself, and why a thread's creator matters.
 *
 * The allow-list is what a vCPU thread, the UART's input thread and a
 * virtio-net I/O thread call while serving a guest, plus what glibc needs
 * to start and end a thread (the I/O threads are created by a vCPU thread
 * and so run under its filter). Anything else fails with EPERM on that
 * thread only: the guest keeps running, the host's threads are unaffected.
 * The list, by what it is for:
 *   KVM and devices   ioctl (KVM_RUN, irqfd/ioeventfd/MSI routes, the tap's
 *                     TUNSETOFFLOAD and TUNSETVNETHDRSZ), read, write,
 *                     readv, writev, pread64, preadv, pwritev, preadv2,
 *                     pwritev2 (the UART's non-blocking console writes:
 *                     RWF_NOWAIT), send/recv (sendto, recvfrom,
 *                     sendmsg, recvmsg, sendmmsg, recvmmsg), poll, ppoll,
 *                     epoll_wait, epoll_pwait, epoll_ctl, eventfd2, fcntl,
 *                     close, fstat, newfstatat
 *   kicks and stops   rt_sigtimedwait, rt_sigprocmask, rt_sigreturn,
 *                     tgkill, tkill, getpid, gettid, futex, sched_yield,
 *                     nanosleep, clock_nanosleep, clock_gettime,
 *                     gettimeofday, restart_syscall
 *   memory, threads   mmap, munmap, mprotect, madvise, mremap, brk, clone,
 *                     clone3, set_robust_list, rseq, sigaltstack, exit,
 *                     getrandom, prctl (PR_SET_NAME and PR_GET_NAME only)
 * Not in it, for example: open/openat, socket, connect, execve, fork,
 * kill, ptrace, mount, bpf, and exit_group (a library thread never ends
 * the process).
 *
 * Threads/Locking: see privilege.h.
 */
#include <errno.h>
#include <linux/filter.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "privilege.h"

#ifndef SECCOMP_MODE_FILTER
#define SECCOMP_MODE_FILTER 2
#endif

static const char *const allowed[] = {
	"ioctl", "read", "write", "readv", "writev", "pread64", "preadv",
	"pwritev", "preadv2", "pwritev2",
	"sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
	"poll", "ppoll", "epoll_wait", "epoll_pwait", "epoll_ctl", "eventfd2",
	"fcntl", "close", "fstat", "newfstatat",
	"rt_sigtimedwait", "rt_sigprocmask", "rt_sigreturn", "tgkill", "tkill",
	"getpid", "gettid", "futex", "sched_yield", "nanosleep",
	"clock_nanosleep", "clock_gettime", "gettimeofday", "restart_syscall",
	"mmap", "munmap", "mprotect", "madvise", "mremap", "brk", "clone",
	"clone3", "set_robust_list", "rseq", "sigaltstack", "exit",
	"getrandom",
};

/* The filter does not depend on the VM: built on first use, then shared
 * by every VM of the process and kept (reachable) until it ends. */
static pthread_mutex_t filter_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sock_fprog filter;          /* guarded by filter_lock */

/* libseccomp 2.5 exports BPF only to an fd: a memfd, read back. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *out)
{
	int fd = memfd_create("kvm-virtio-seccomp", MFD_CLOEXEC);
	struct sock_filter *insns = NULL;
	off_t size = 0;
	int r;

	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	if (r == 0) {
		size = lseek(fd, 0, SEEK_END);
		if (size <= 0 || size % (off_t)sizeof(*insns) ||
		    size / (off_t)sizeof(*insns) > BPF_MAXINSNS)
			r = -EINVAL;
	}
	if (r == 0 && !(insns = malloc((size_t)size)))
		r = -ENOMEM;
	if (r == 0 && pread(fd, insns, (size_t)size, 0) != size)
		r = -EIO;
	close(fd);
	if (r < 0) {
		free(insns);
		return r;
	}
	out->len = (unsigned short)(size / (off_t)sizeof(*insns));
	out->filter = insns;
	return 0;
}

static int build_filter(struct sock_fprog *out, const char **what)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int r = 0;

	*what = "seccomp_init";
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && !r; i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);

		*what = allowed[i];
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	*what = "prctl";
	for (unsigned i = 0; i < 2 && !r; i++) {
		/* Spelled out: SCMP_A0() leaves datum_b to the compiler. */
		const struct scmp_arg_cmp op = {
			.arg = 0, .op = SCMP_CMP_EQ,
			.datum_a = i ? PR_GET_NAME : PR_SET_NAME, .datum_b = 0,
		};

		r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl),
					   1, &op);
	}
	*what = "export";
	if (!r)
		r = export_bpf(ctx, out);
	seccomp_release(ctx);
	return r;
}

int priv_prepare(struct priv *p, bool drop_caps, bool seccomp,
		 struct vm_error **errp)
{
	const char *what = "";
	int r = 0;

	memset(p, 0, sizeof(*p));
	p->drop_caps = drop_caps;
	if (!seccomp)
		return 0;
	pthread_mutex_lock(&filter_lock);
	if (!filter.filter)
		r = build_filter(&filter, &what);
	pthread_mutex_unlock(&filter_lock);
	if (r < 0)
		return verr_set(errp, r == -ENOMEM ? r : -ENOTSUP,
				"vm: syscall filter (VM_CONFIG_F_SECCOMP): libseccomp failed at %s: %s",
				what, strerror(-r));
	p->filter = &filter;
	return 0;
}

int priv_drop_caps(void)
{
	capng_clear(CAPNG_SELECT_CAPS);
	return capng_apply(CAPNG_SELECT_CAPS) == 0 ? 0 : -EPERM;
}

int priv_enter(const struct priv *p)
{
	if (!p)
		return 0;
	if (p->drop_caps && priv_drop_caps() < 0)
		return -EPERM;
	if (!p->filter)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, p->filter, 0L, 0L) < 0)
		return -errno;
	return 0;
}
