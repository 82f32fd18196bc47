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
 * abandoned. A thread waiting in hv_release_wait(-1) runs queued jobs
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

struct hv_release_job {
	struct hv_release_job *next;       /* queue link, owned by the queue */
	/* Runs once on a release thread (or the submitter's, or one waiting
	 * in hv_release_wait(-1)); it owns and frees the job's memory. Must not
	 * call hv_release_wait(). */
	void (*fn)(struct hv_release_job *job);
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

/* Jobs queued or running now. */
unsigned hv_release_pending(void);

#endif
