/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/vcpu.h: vCPU fds, one thread per vCPU running KVM_RUN, exit
 * dispatch to the PIO/MMIO maps, and stopping them from any thread.
 *
 * Life cycle: hv_vcpus_preinit() (no KVM needed; hv_vcpus_stop() works from
 * then on), hv_vcpus_create() (vCPU fds; the architecture code then sets
 * CPUID/registers on each ->fd), hv_vcpus_start() (threads),
 * hv_vcpus_wait() (join), hv_vcpus_destroy() (stop, join, close).
 *
 * Stopping: the first stop request wins and is what wait reports: a guest
 * power-off/reset/triple fault/debug-exit on one vCPU, an internal error, or
 * hv_vcpus_stop() from the host. Every vCPU is then kicked out of KVM_RUN:
 * run->immediate_exit is set (so a vCPU about to enter returns at once) and
 * the thread is sent ->kick_signal (so one inside KVM_RUN leaves it):
 * HV_KICK_SIGNAL unless the host chose another (vm_config.kick_signal,
 * set by the machine after hv_vcpus_preinit()).
 *
 * The kick signal and the host program: vCPU threads are created with every
 * signal blocked, so the host's signals are never delivered on them. The
 * kick signal is unblocked only inside KVM_RUN, through KVM_SET_SIGNAL_MASK;
 * KVM then returns -EINTR and restores the blocked mask before the signal
 * could be delivered, and the thread consumes it with sigtimedwait(). So no
 * handler is installed and the process-wide disposition of the signal is
 * never changed: a host program may use the kick signal for itself, it
 * only must not send it to our threads.
 *
 * Pausing: hv_vcpus_pause() sets ->pause and kicks every vCPU the same
 * way; a vCPU whose KVM_RUN returns -EINTR with ->pause set parks on
 * ->cond (counted in ->nr_parked) until hv_vcpus_resume() or a stop. Since
 * the kick sets immediate_exit, that last KVM_RUN also completes a pending
 * PIO/MMIO read, so a parked vCPU's registers are whole. Pause returns
 * when every vCPU thread still running is parked. A paused vCPU thread is
 * still running for hv_vcpus_wait(): a pause is not a stop.
 *
 * Threads: vCPU threads run hv_vcpu_thread(); any thread may call
 * hv_vcpus_stop(), hv_vcpus_pause() and hv_vcpus_resume() (not a vCPU
 * thread of the same set: -EDEADLK); the API thread does the rest.
 * Locking: ->lock guards ->status, ->state, ->nr_running, ->nr_parked and
 * each vcpu's ->started; ->stop and ->pause are atomic flags read by vCPU
 * threads without the lock and written under it.
 */
#ifndef LIB_KVM_VCPU_H
#define LIB_KVM_VCPU_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#include <kvm-virtio.h>

#include "../core/error.h"
#include "../core/log.h"
#include "iomap.h"

struct hv;
struct kvm_run;

/* SIGRTMAX - 3: far from SIGRTMIN, which glibc and libraries hand out
 * first; see the paragraph above for why sharing it is harmless. */
#define HV_KICK_SIGNAL (SIGRTMAX - 3)

struct hv_vcpus;

struct hv_vcpu {
	struct hv_vcpus *set;
	uint32_t index;
	int fd;                   /* -1 when closed */
	struct kvm_run *run;      /* mmap of fd; vCPU thread, ->immediate_exit any */
	pthread_t thread;
	void *stack;              /* from the stack pool (vcpu.c), or NULL */
	int started;              /* guarded by set->lock */
	unsigned unhandled;       /* vCPU thread only: rate limit for logs */
	char name[16];            /* "cpu0" */
	/* IA32_TSC when the vCPUs last paused (hv_time_freeze()), as
	 * hv->frozen_clock: same thread rules */
	int tsc_frozen;
	uint64_t frozen_tsc;
};

enum hv_vcpus_state {
	HV_VCPUS_NEW = 0,
	HV_VCPUS_CREATED,
	HV_VCPUS_RUNNING,
	HV_VCPUS_JOINED,
};

struct hv_vcpus {
	struct hv *hv;
	struct iomap *pio, *mmio;   /* borrowed */
	const struct vlog *log;     /* borrowed, may be NULL */
	uint32_t nr;
	struct hv_vcpu *v;
	pthread_mutex_t lock;
	pthread_cond_t cond;        /* nr_running/nr_parked changed, resume */
	int stop;                   /* atomic */
	int pause;                  /* atomic, written under ->lock */
	int state;                  /* guarded by ->lock */
	uint32_t nr_running;        /* guarded by ->lock */
	uint32_t nr_parked;         /* guarded by ->lock */
	struct vm_status status;    /* guarded by ->lock; first stop wins */
	int kick_signal;            /* fixed before hv_vcpus_start() */
	const struct priv *priv;    /* borrowed, may be NULL; fixed before
				     * hv_vcpus_start(): each thread enters it */
};

void hv_vcpus_preinit(struct hv_vcpus *s, struct iomap *pio,
		      struct iomap *mmio, const struct vlog *log);
/* Create @nr vCPU fds (ids 0..nr-1) and map their kvm_run. */
int __must_check hv_vcpus_create(struct hv_vcpus *s, struct hv *hv,
				 uint32_t nr, struct vm_error **errp);
int __must_check hv_vcpus_start(struct hv_vcpus *s, struct vm_error **errp);
/* Record @reason (if nothing was recorded yet) and kick every vCPU.
 * @vcpu: index of the vCPU that caused it (0 for the host). Any thread. */
void hv_vcpus_request_stop(struct hv_vcpus *s, int reason, int code,
			   uint32_t vcpu);
/* hv_vcpus_request_stop(VM_EXIT_STOPPED). Any thread, any time after
 * hv_vcpus_preinit(), also before start. */
void hv_vcpus_stop(struct hv_vcpus *s);
/* Wait until every vCPU thread has returned, join them and fill *st.
 * -ETIMEDOUT, -EINVAL if never started. */
int hv_vcpus_wait(struct hv_vcpus *s, struct vm_status *st, int timeout_ms);
/* Kick every vCPU out of KVM_RUN and wait until each running one is
 * parked. 0 (also when already paused); -EINVAL not running; -EDEADLK on
 * a vCPU thread of @s; -ESHUTDOWN the vCPUs stopped instead. Any thread. */
int hv_vcpus_pause(struct hv_vcpus *s);
/* Let parked vCPUs run again. Any thread; a no-op when not paused. */
void hv_vcpus_resume(struct hv_vcpus *s);
/* 1 while paused (between a successful pause and the resume). */
int hv_vcpus_paused(struct hv_vcpus *s);
/* Stop, join, close the fds; back to the preinit state (the stop reason
 * and flag are kept). */
void hv_vcpus_destroy(struct hv_vcpus *s);
/* Free the lock and cond. */
void hv_vcpus_fini(struct hv_vcpus *s);

/* The vCPU the calling thread runs, or NULL off vCPU threads. Device
 * handlers use it to say which vCPU caused an exit. */
struct hv_vcpu *hv_vcpu_current(void);

/* Unmap the pooled vCPU stacks (library destructor, after every VM is
 * released). */
void hv_vcpu_stacks_fini(void);

/* vcpu-state.c: @v's KVM state as snapshot records / back from them
 * (records listed there). @v must not run (paused or not started). */
struct snap_w;
struct snap_index;
/* A paused VM's clocks stand still for a save: hv_time_freeze(), once
 * every vCPU of @s is parked (hv_vcpus_pause()), reads the KVM clock and
 * each vCPU's TSC, and until hv_time_thaw() (before the resume)
 * hv_vm_save() and hv_vcpu_save() write those values instead of the
 * current ones (which KVM keeps advancing while the vCPUs are parked).
 * So every save of one pause (a snapshot, each clone however late) has
 * the guest's time where it paused. A clock KVM does not give is saved
 * as read at the save. The pausing thread (vcpu-state.c). */
void hv_time_freeze(struct hv_vcpus *s);
void hv_time_thaw(struct hv_vcpus *s);

int __must_check hv_vcpu_save(struct hv_vcpu *v, struct snap_w *w,
			      struct vm_error **errp);
int __must_check hv_vcpu_load(struct hv_vcpu *v, const struct snap_index *ix,
			      struct vm_error **errp);

/* Log the registers of @v (on its own thread or while it does not run). */
void hv_vcpu_log_regs(struct hv_vcpu *v, int level);

#endif
