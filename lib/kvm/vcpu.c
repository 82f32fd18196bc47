/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/vcpu.c: vCPU threads, the KVM_RUN loop and exit dispatch.
 *
 * Threads: one "kvm-vcpuN" thread per vCPU runs hv_vcpu_thread(); it handles
 * its own exits (PIO/MMIO through the maps, handlers run on this thread).
 * hv_vcpus_request_stop() runs on any thread (host vm_stop(), a device
 * handler on a vCPU thread, the UART input thread). The API thread creates,
 * starts, waits and destroys.
 * Locking: ->lock guards ->status, ->state, ->nr_running and v->started; it
 * is never held across KVM_RUN or a device handler. Kicking (pthread_kill)
 * happens under ->lock so a thread cannot be joined (and its pthread_t
 * become invalid) while it is being kicked: hv_vcpus_wait() sets
 * ->state = JOINED under the lock before joining.
 * ->stop is written with __atomic stores and read by vCPU threads before
 * every KVM_RUN; run->immediate_exit is written by the stopper (and the
 * pauser), and cleared by a vCPU thread leaving its park (hv_vcpu_park).
 * ->pause is written under ->lock and read by vCPU threads after a kick;
 * parked threads wait on ->cond, which every change of ->nr_running,
 * ->nr_parked, ->pause or ->stop broadcasts.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../core/privilege.h"
#include "hv.h"
#include "vcpu.h"

static __thread struct hv_vcpu *hv_vcpu_self;

/*
 * vCPU thread stacks come from a small process-wide pool instead of
 * glibc's: a thread on a stack glibc allocated ends with
 * madvise(MADV_DONTNEED) over it, and in a process with KVM VMs every
 * such call goes through each VM's MMU notifier (perf of bench/churn on
 * a PVM host: ~10% of a VM's whole life). A stack we give is left alone;
 * after the join it goes back to the pool (at most HV_STACK_POOL kept,
 * the rest unmapped) and the next vCPU reuses it. Same size as glibc's
 * default, so host callbacks run on vCPU threads keep the stack they
 * had; only pages a thread touched are ever backed.
 * Locking: stack_lock guards stack_pool/nr_stacks.
 */
#define HV_STACK_SIZE (8u << 20)
#define HV_STACK_GUARD (64u << 10)
#define HV_STACK_POOL 64u

static pthread_mutex_t stack_lock = PTHREAD_MUTEX_INITIALIZER;
static void *stack_pool[HV_STACK_POOL];    /* guarded by stack_lock */
static unsigned nr_stacks;                 /* guarded by stack_lock */

/* The usable base (above the guard), or NULL. */
static void *hv_stack_get(void)
{
	void *p = NULL;

	pthread_mutex_lock(&stack_lock);
	if (nr_stacks)
		p = stack_pool[--nr_stacks];
	pthread_mutex_unlock(&stack_lock);
	if (p)
		return p;
	p = mmap(NULL, HV_STACK_GUARD + HV_STACK_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p, HV_STACK_GUARD, PROT_NONE) < 0) {
		munmap(p, HV_STACK_GUARD + HV_STACK_SIZE);
		return NULL;
	}
	return (char *)p + HV_STACK_GUARD;
}

/* After the thread on it was joined. */
static void hv_stack_put(void *base)
{
	if (!base)
		return;
	pthread_mutex_lock(&stack_lock);
	if (nr_stacks < HV_STACK_POOL) {
		stack_pool[nr_stacks++] = base;
		base = NULL;
	}
	pthread_mutex_unlock(&stack_lock);
	if (base)
		munmap((char *)base - HV_STACK_GUARD,
		       HV_STACK_GUARD + HV_STACK_SIZE);
}

void hv_vcpu_stacks_fini(void)
{
	pthread_mutex_lock(&stack_lock);
	while (nr_stacks) {
		void *base = stack_pool[--nr_stacks];

		munmap((char *)base - HV_STACK_GUARD,
		       HV_STACK_GUARD + HV_STACK_SIZE);
	}
	pthread_mutex_unlock(&stack_lock);
}

struct hv_vcpu *hv_vcpu_current(void)
{
	return hv_vcpu_self;
}

void hv_vcpus_preinit(struct hv_vcpus *s, struct iomap *pio,
		      struct iomap *mmio, const struct vlog *log)
{
	pthread_condattr_t ca;

	memset(s, 0, sizeof(*s));
	s->pio = pio;
	s->mmio = mmio;
	s->log = log;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	s->status.size = sizeof(s->status);
	s->kick_signal = HV_KICK_SIGNAL;
}

void hv_vcpus_fini(struct hv_vcpus *s)
{
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

static void hv_vcpu_close(struct hv_vcpu *v, int run_size)
{
	if (v->run)
		munmap(v->run, (size_t)run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

int hv_vcpus_create(struct hv_vcpus *s, struct hv *hv, uint32_t nr,
		    struct vm_error **errp)
{
	struct hv_vcpu *vs;
	uint32_t i;
	int r;

	if (nr == 0)
		return verr_set(errp, -EINVAL, "0 vCPUs");
	if (nr > hv->max_vcpus)
		return verr_set(errp, -E2BIG,
				"%u vCPUs requested, KVM supports at most %u",
				nr, hv->max_vcpus);
	vs = calloc(nr, sizeof(*vs));
	if (!vs)
		return verr_set(errp, -ENOMEM, "vCPUs: out of memory");
	for (i = 0; i < nr; i++) {
		vs[i].set = s;
		vs[i].index = i;
		vs[i].fd = -1;
		snprintf(vs[i].name, sizeof(vs[i].name), "cpu%u", i);
	}
	for (i = 0; i < nr; i++) {
		struct hv_vcpu *v = &vs[i];
		void *p;

		if (i < hv->shell_vcpus && hv->shell_vcpu_fd[i] >= 0) {
			r = hv->shell_vcpu_fd[i]; /* made in advance */
			hv->shell_vcpu_fd[i] = -1;
		} else {
			r = hv_ioctl(hv->vm_fd, KVM_CREATE_VCPU,
				     (void *)(unsigned long)i);
		}
		if (r < 0) {
			verr_set_errno(errp, r, "KVM_CREATE_VCPU %u", i);
			goto fail;
		}
		v->fd = r;
		p = mmap(NULL, (size_t)hv->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, v->fd, 0);
		if (p == MAP_FAILED) {
			r = -errno;
			verr_set_errno(errp, r, "vCPU %u: cannot map kvm_run", i);
			goto fail;
		}
		v->run = p;
		/* A stop requested before the vCPUs existed still counts. */
		if (__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			v->run->immediate_exit = 1;
	}
	/* Publish under the lock: hv_vcpus_stop() may walk the array. */
	pthread_mutex_lock(&s->lock);
	s->hv = hv;
	s->v = vs;
	s->nr = nr;
	s->state = HV_VCPUS_CREATED;
	pthread_mutex_unlock(&s->lock);
	return 0;
fail:
	for (i = 0; i < nr; i++)
		hv_vcpu_close(&vs[i], hv->run_size);
	free(vs);
	return r;
}

/* Caller holds s->lock. */
static void hv_vcpus_kick_locked(struct hv_vcpus *s)
{
	uint32_t i;

	if (s->state == HV_VCPUS_JOINED)
		return;
	for (i = 0; i < s->nr; i++) {
		struct hv_vcpu *v = &s->v[i];

		if (v->run)
			__atomic_store_n(&v->run->immediate_exit, 1,
					 __ATOMIC_SEQ_CST);
		if (v->started && !pthread_equal(v->thread, pthread_self()))
			pthread_kill(v->thread, s->kick_signal);
	}
}

void hv_vcpus_request_stop(struct hv_vcpus *s, int reason, int code,
			   uint32_t vcpu)
{
	pthread_mutex_lock(&s->lock);
	if (s->status.reason == VM_EXIT_NONE) {
		s->status.reason = reason;
		s->status.code = code;
		s->status.vcpu = vcpu;
	}
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	hv_vcpus_kick_locked(s);
	pthread_cond_broadcast(&s->cond); /* parked vCPUs leave */
	pthread_mutex_unlock(&s->lock);
}

void hv_vcpus_stop(struct hv_vcpus *s)
{
	hv_vcpus_request_stop(s, VM_EXIT_STOPPED, 0, 0);
}

static int hv_vcpus_stopping(struct hv_vcpus *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_SEQ_CST);
}

void hv_vcpu_log_regs(struct hv_vcpu *v, int level)
{
	const struct vlog *l = v->set->log;
	struct kvm_regs r;
	struct kvm_sregs sr;

	if (!l || !l->fn || level > l->level)
		return;
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &sr) < 0) {
		vlog_at(l, level, v->name, "cannot read registers");
		return;
	}
	vlog_at(l, level, v->name,
		"rip=%016llx rsp=%016llx rflags=%08llx rax=%016llx "
		"rbx=%016llx rcx=%016llx rdx=%016llx rsi=%016llx rdi=%016llx",
		r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi,
		r.rdi);
	vlog_at(l, level, v->name,
		"cr0=%llx cr2=%llx cr3=%llx cr4=%llx efer=%llx cs=%x/%llx "
		"ss=%x idt=%llx/%x gdt=%llx/%x",
		sr.cr0, sr.cr2, sr.cr3, sr.cr4, sr.efer, sr.cs.selector,
		sr.cs.base, sr.ss.selector, sr.idt.base, sr.idt.limit,
		sr.gdt.base, sr.gdt.limit);
}

/* A guest can trigger these at will: log the first few per vCPU only. */
static void hv_vcpu_unhandled(struct hv_vcpu *v, const char *what,
			      uint64_t addr, unsigned size)
{
	if (v->unhandled < 8)
		vlog_dbg(v->set->log, v->name, "unhandled %s 0x%llx/%u%s", what,
			 (unsigned long long)addr, size,
			 v->unhandled == 7 ? " (further ones not logged)" : "");
	v->unhandled++;
}

static void hv_vcpu_pio(struct hv_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;
	uint32_t i;
	int r;

	/* KVM puts the data of "rep ins/outs" in the run page, count
	 * elements of size bytes, all at the same port. */
	for (i = 0; i < run->io.count; i++, data += size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			r = iomap_write(v->set->pio, run->io.port, data, size);
		else
			r = iomap_read(v->set->pio, run->io.port, data, size);
		if (r < 0)
			hv_vcpu_unhandled(v, run->io.direction == KVM_EXIT_IO_OUT ?
					  "pio write" : "pio read",
					  run->io.port, size);
	}
}

static void hv_vcpu_mmio(struct hv_vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned len = run->mmio.len;
	int r;

	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	if (run->mmio.is_write)
		r = iomap_write(v->set->mmio, run->mmio.phys_addr,
				run->mmio.data, len);
	else
		r = iomap_read(v->set->mmio, run->mmio.phys_addr,
			       run->mmio.data, len);
	if (r < 0)
		hv_vcpu_unhandled(v, run->mmio.is_write ? "mmio write" :
							  "mmio read",
				  run->mmio.phys_addr, len);
}

static void hv_vcpu_fail(struct hv_vcpu *v, int code, const char *fmt, ...)
	__printf(3, 4);

static void hv_vcpu_fail(struct hv_vcpu *v, int code, const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vlog_err(v->set->log, v->name, "%s", buf);
	hv_vcpu_log_regs(v, VM_LOG_ERR);
	hv_vcpus_request_stop(v->set, VM_EXIT_INTERNAL, code, v->index);
}

/* One exit; returns 1 to keep running. */
static int hv_vcpu_exit(struct hv_vcpu *v)
{
	struct kvm_run *run = v->run;
	struct hv_vcpus *s = v->set;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		hv_vcpu_pio(v);
		return 1;
	case KVM_EXIT_MMIO:
		hv_vcpu_mmio(v);
		return 1;
	case KVM_EXIT_INTR:
		return 1;
	case KVM_EXIT_SHUTDOWN:
		vlog_info(s->log, v->name, "shutdown (triple fault)");
		hv_vcpu_log_regs(v, VM_LOG_INFO);
		hv_vcpus_request_stop(s, VM_EXIT_SHUTDOWN, 0, v->index);
		return 0;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			hv_vcpus_request_stop(s, VM_EXIT_POWEROFF, 0, v->index);
			return 0;
		case KVM_SYSTEM_EVENT_RESET:
			hv_vcpus_request_stop(s, VM_EXIT_RESET, 0, v->index);
			return 0;
		default:
			hv_vcpu_fail(v, (int)run->system_event.type,
				     "system event %u",
				     (unsigned)run->system_event.type);
			return 0;
		}
	case KVM_EXIT_INTERNAL_ERROR:
		hv_vcpu_fail(v, (int)run->internal.suberror,
			     "KVM internal error, suberror %u",
			     (unsigned)run->internal.suberror);
		return 0;
	case KVM_EXIT_FAIL_ENTRY:
		hv_vcpu_fail(v, KVM_EXIT_FAIL_ENTRY,
			     "VM entry failed, reason 0x%llx on cpu %llu",
			     (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			     (unsigned long long)run->fail_entry.cpu);
		return 0;
	default:
		hv_vcpu_fail(v, (int)run->exit_reason,
			     "unexpected exit reason %u",
			     (unsigned)run->exit_reason);
		return 0;
	}
}

/* The kernel's sigset for KVM_SET_SIGNAL_MASK: 64 bits, bit n-1 = signal n
 * blocked. Everything blocked except the kick signal. */
static int hv_vcpu_set_sigmask(struct hv_vcpu *v)
{
	uint64_t buf[2]; /* struct kvm_signal_mask { __u32 len; __u8 sigset[]; } */
	struct kvm_signal_mask *k = (struct kvm_signal_mask *)buf;
	uint64_t set = ~(1ull << (v->set->kick_signal - 1));
	int r;

	k->len = sizeof(set);
	memcpy(k->sigset, &set, sizeof(set));
	r = hv_ioctl(v->fd, KVM_SET_SIGNAL_MASK, k);
	return r < 0 ? r : 0;
}

static void hv_vcpu_drain_kick(int sig)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
}

/*
 * Park until resumed or stopped. On the way out immediate_exit is cleared
 * *before* ->pause is looked at again: a pauser stores ->pause before it
 * sets immediate_exit, so either this sees the new pause and parks again,
 * or the pauser's immediate_exit = 1 lands after our 0 and the next
 * KVM_RUN returns at once. A stop works the same way through ->stop, which
 * the loop in hv_vcpu_thread() reads next.
 */
static void hv_vcpu_park(struct hv_vcpu *v)
{
	struct hv_vcpus *s = v->set;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		s->nr_parked++;
		pthread_cond_broadcast(&s->cond);
		while (__atomic_load_n(&s->pause, __ATOMIC_SEQ_CST) &&
		       !hv_vcpus_stopping(s))
			pthread_cond_wait(&s->cond, &s->lock);
		s->nr_parked--;
		pthread_mutex_unlock(&s->lock);
		hv_vcpu_drain_kick(s->kick_signal);
		if (hv_vcpus_stopping(s))
			return;
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&s->pause, __ATOMIC_SEQ_CST))
			return;
	}
}

static void *hv_vcpu_thread(void *arg)
{
	struct hv_vcpu *v = arg;
	struct hv_vcpus *s = v->set;
	char tname[32];
	int r;

	hv_vcpu_self = v;
	/* Named by itself (one prctl): naming another thread is an open,
	 * write and close of /proc/self/task/TID/comm, a tenth of a VM's
	 * start in bench/churn. Hosts find vCPU threads by it (e.g. to pin
	 * them) once the guest runs. */
	snprintf(tname, sizeof(tname), "kvm-vcpu%u", v->index % 10000000u);
	tname[15] = '\0'; /* the kernel's limit */
	pthread_setname_np(pthread_self(), tname);
	/* Before the guest's first instruction: privilege.h. */
	r = priv_enter(s->priv);
	if (r < 0) {
		vlog_err(s->log, v->name, "cannot drop its privileges: %s",
			 strerror(-r));
		hv_vcpus_request_stop(s, VM_EXIT_INTERNAL, r, v->index);
	}
	r = hv_vcpu_set_sigmask(v);
	if (r < 0) {
		vlog_err(s->log, v->name, "KVM_SET_SIGNAL_MASK: %s", strerror(-r));
		hv_vcpus_request_stop(s, VM_EXIT_INTERNAL, r, v->index);
	}
	while (!hv_vcpus_stopping(s)) {
		r = ioctl(v->fd, KVM_RUN, 0);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				hv_vcpu_drain_kick(s->kick_signal);
				if (__atomic_load_n(&s->pause, __ATOMIC_SEQ_CST))
					hv_vcpu_park(v);
				continue;
			}
			r = -errno;
			vlog_err(s->log, v->name, "KVM_RUN: %s", strerror(-r));
			hv_vcpu_log_regs(v, VM_LOG_ERR);
			hv_vcpus_request_stop(s, VM_EXIT_INTERNAL, r, v->index);
			break;
		}
		if (!hv_vcpu_exit(v))
			break;
	}
	/* A kick still pending now dies with this thread (signals sent to
	 * a thread are its own): nothing to drain. */
	pthread_mutex_lock(&s->lock);
	s->nr_running--;
	pthread_cond_broadcast(&s->cond); /* waiters and pausers look again */
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int hv_vcpus_start(struct hv_vcpus *s, struct vm_error **errp)
{
	sigset_t all;
	uint32_t i;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	if (s->state != HV_VCPUS_CREATED) {
		pthread_mutex_unlock(&s->lock);
		return verr_set(errp, -EBUSY, "vCPUs already started");
	}
	/* No host signal is ever delivered on a vCPU thread: it starts with
	 * every signal blocked (set by glibc in the new thread, where it
	 * sets a mask anyway: no extra syscalls on the caller's side). */
	sigfillset(&all);
	for (i = 0; i < s->nr; i++) {
		struct hv_vcpu *v = &s->v[i];
		pthread_attr_t a;

		v->stack = hv_stack_get();
		r = pthread_attr_init(&a) ? -ENOMEM : 0;
		if (r == 0) {
			if (v->stack)
				pthread_attr_setstack(&a, v->stack, HV_STACK_SIZE);
			r = -pthread_attr_setsigmask_np(&a, &all);
			if (r == 0)
				r = -pthread_create(&v->thread, &a, hv_vcpu_thread,
						    v);
			pthread_attr_destroy(&a);
		}
		if (r < 0) {
			hv_stack_put(v->stack);
			v->stack = NULL;
			verr_set_errno(errp, r, "cannot create vCPU thread %u", i);
			break;
		}
		v->started = 1;
		s->nr_running++;
	}
	s->state = HV_VCPUS_RUNNING;
	if (r < 0) {
		/* Stop the ones that run; wait() joins them later. */
		if (s->status.reason == VM_EXIT_NONE) {
			s->status.reason = VM_EXIT_INTERNAL;
			s->status.code = r;
		}
		__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
		hv_vcpus_kick_locked(s);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

int hv_vcpus_wait(struct hv_vcpus *s, struct vm_status *st, int timeout_ms)
{
	struct timespec dl;
	uint32_t i;
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	if (timeout_ms > 0) {
		dl.tv_sec += timeout_ms / 1000;
		dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&s->lock);
	if (s->state != HV_VCPUS_RUNNING && s->state != HV_VCPUS_JOINED) {
		pthread_mutex_unlock(&s->lock);
		return -EINVAL;
	}
	while (s->nr_running > 0 && r == 0) {
		if (timeout_ms < 0)
			r = -pthread_cond_wait(&s->cond, &s->lock);
		else if (timeout_ms == 0)
			r = -ETIMEDOUT;
		else
			r = -pthread_cond_timedwait(&s->cond, &s->lock, &dl);
	}
	if (s->nr_running > 0) {
		pthread_mutex_unlock(&s->lock);
		return -ETIMEDOUT;
	}
	if (s->state == HV_VCPUS_RUNNING) {
		/* Every thread has left its loop; after this no one kicks
		 * them, so joining (outside the lock) is safe. */
		s->state = HV_VCPUS_JOINED;
		pthread_mutex_unlock(&s->lock);
		for (i = 0; i < s->nr; i++)
			if (s->v[i].started)
				pthread_join(s->v[i].thread, NULL);
		for (i = 0; i < s->nr; i++) {
			hv_stack_put(s->v[i].stack);
			s->v[i].stack = NULL;
		}
		pthread_mutex_lock(&s->lock);
		for (i = 0; i < s->nr; i++)
			s->v[i].started = 0;
	}
	if (st) {
		size_t n = st->size && st->size < sizeof(*st) ? st->size :
								 sizeof(*st);
		struct vm_status out = s->status;

		out.size = n;
		memcpy(st, &out, n);
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int hv_vcpus_pause(struct hv_vcpus *s)
{
	struct hv_vcpu *self = hv_vcpu_current();
	int r = 0;

	if (self && self->set == s)
		return -EDEADLK;
	pthread_mutex_lock(&s->lock);
	if (s->state != HV_VCPUS_RUNNING) {
		pthread_mutex_unlock(&s->lock);
		return -EINVAL;
	}
	__atomic_store_n(&s->pause, 1, __ATOMIC_SEQ_CST);
	hv_vcpus_kick_locked(s);
	/* Bounded: a vCPU is at most one exit handler away from its next
	 * KVM_RUN, which returns at once (immediate_exit). */
	while (s->nr_parked < s->nr_running && !hv_vcpus_stopping(s) &&
	       __atomic_load_n(&s->pause, __ATOMIC_SEQ_CST))
		pthread_cond_wait(&s->cond, &s->lock);
	if (!__atomic_load_n(&s->pause, __ATOMIC_SEQ_CST)) {
		r = -EAGAIN; /* a resume came in between (callers serialize) */
	} else if (hv_vcpus_stopping(s)) {
		__atomic_store_n(&s->pause, 0, __ATOMIC_SEQ_CST);
		r = -ESHUTDOWN;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

void hv_vcpus_resume(struct hv_vcpus *s)
{
	pthread_mutex_lock(&s->lock);
	__atomic_store_n(&s->pause, 0, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

int hv_vcpus_paused(struct hv_vcpus *s)
{
	return __atomic_load_n(&s->pause, __ATOMIC_SEQ_CST);
}

void hv_vcpus_destroy(struct hv_vcpus *s)
{
	uint32_t i;
	int state;

	pthread_mutex_lock(&s->lock);
	state = s->state;
	pthread_mutex_unlock(&s->lock);
	if (state == HV_VCPUS_RUNNING) {
		hv_vcpus_stop(s);
		hv_vcpus_wait(s, NULL, -1);
	}
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nr; i++)
		hv_vcpu_close(&s->v[i], s->hv->run_size);
	free(s->v);
	s->v = NULL;
	s->nr = 0;
	s->state = HV_VCPUS_NEW;
	pthread_mutex_unlock(&s->lock);
}
