/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/release.h: releasing destroyed VMs behind the caller's back.
 *
 * Closing a KVM VM fd can sleep for a grace period (~15 ms measured on a
 * 6.18 host when the VM lived less than that), and joining vCPU threads,
 * closing vCPU fds and unmapping guest RAM add more. vm_destroy() hands
 * that work to this queue as one job and returns.
 *
 * Bounds: at most HV_RELEASE_MAX_PENDING jobs are queued or running (a
 * submit beyond that waits for one to finish: the caller then pays for
 * the release, as before this queue existed); at most
 * HV_RELEASE_MAX_THREADS release threads ("kvm-release") run them, started
 * on demand with every signal blocked; a thread that finds no job for
 * HV_RELEASE_LINGER_MS exits. hv_release_wait() waits until no job is left
 * and every release thread has been joined; a destructor of the library
 * does the same at process exit or dlclose(), so nothing is ever
 * abandoned. A job marked ->hold that is alone in the queue waits up to
 * HV_RELEASE_HOLD_US for the next job (or a flush) before it runs: see
 * hold below. A thread waiting in hv_release_wait(-1) runs queued jobs
 * itself rather than wait for a release thread to get to them. If no release
 * thread can be created at all, the job runs on the submitter's thread.
 *
 * The state is the library's one process-wide object besides the type
 * tables; it is created statically (no constructor) and holds no fd.
 *
 * Threads: any thread submits and waits; release threads run the jobs.
 * Locking: one mutex guards the queue, the counters and the thread list;
 * jobs run without it.
 */
#ifndef LIB_KVM_RELEASE_H
#define LIB_KVM_RELEASE_H

#define HV_RELEASE_MAX_PENDING 256u
#define HV_RELEASE_MAX_THREADS 16u
#define HV_RELEASE_HELP_ABOVE 4u
#define HV_RELEASE_LINGER_MS 50
#define HV_RELEASE_HOLD_US 2000

struct hv_release_job {
	struct hv_release_job *next;       /* queue link, owned by the queue */
	/* Runs once on a release thread (or the submitter's, or one waiting
	 * in hv_release_wait(-1)); it owns and frees the job's memory. Must not
	 * call hv_release_wait(). */
	void (*fn)(struct hv_release_job *job);
	/* Release this VM after the next one is queued, if that comes within
	 * HV_RELEASE_HOLD_US. For VMs without an in-kernel irqchip: each of
	 * their vCPUs holds a static key of KVM's (kvm_has_noapic_vcpu, not
	 * a deferred one) whose 0 <-> 1 transitions patch kernel text on
	 * every CPU (text_poke, ~150 us each on the 6.18 host measured). A
	 * VM-per-request loop releasing each VM before creating the next
	 * flips it twice per VM; with the hold, the next VM's vCPU exists
	 * before this one's goes and the key stays up. VMs with an irqchip
	 * gain nothing (KVM defers its LAPIC keys by itself; held, they were
	 * ~5 % slower in bench/churn's ours-net) and are not held. */
	unsigned char hold;
};

/* Queue @job (fn set by the caller). Returns at once unless
 * HV_RELEASE_MAX_PENDING jobs are pending; see above. */
void hv_release_submit(struct hv_release_job *job);

/* Wait until every job submitted so far (by any thread) has run and no
 * release thread is left. @timeout_ms -1: forever. Returns 0 or
 * -ETIMEDOUT; -EDEADLK when called from a job. */
int hv_release_wait(int timeout_ms);

/* Run queued jobs on the calling thread while more than
 * HV_RELEASE_HELP_ABOVE are queued (vm_start(), before it creates a VM). */
void hv_release_help(void);

/* How long a lone held job waits (HV_RELEASE_HOLD_US; tests). */
void hv_release_set_hold_us(long us);

/* Jobs queued or running now. */
unsigned hv_release_pending(void);

#endif
