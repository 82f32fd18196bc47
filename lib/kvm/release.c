/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/release.c: the release queue and its threads (see release.h).
 *
 * Threads: any host thread calls hv_release_submit()/hv_release_wait();
 * up to HV_RELEASE_MAX_THREADS "kvm-release" threads run jobs; the
 * library's destructor waits at exit/unload.
 * Locking: rel.lock guards every field of rel. Threads wait on rel.work
 * (a job was queued, or a flush asks idle threads to leave); submitters
 * and waiters on rel.change (a job finished, a thread left). Jobs run
 * without the lock. A thread that leaves records its pthread_t in
 * rel.done; whoever next holds the lock outside a job joins it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "../core/privilege.h"
#include "release.h"
#include "shell.h"
#include "vcpu.h"

#define REL_STACK (256u << 10)

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work, change;
	struct hv_release_job *head, *tail;
	unsigned queued, running;       /* jobs waiting / being run */
	unsigned threads, idle;         /* release threads alive / waiting */
	unsigned flush;                 /* hv_release_wait() callers */
	pthread_t done[HV_RELEASE_MAX_THREADS]; /* left, not joined yet */
	unsigned nr_done;
} rel = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.change = PTHREAD_COND_INITIALIZER,
};

static __thread int rel_in_job;
static long rel_hold_us = HV_RELEASE_HOLD_US; /* atomic: tests change it */
static pthread_once_t rel_once = PTHREAD_ONCE_INIT;

/* A forked child has none of the parent's threads: start afresh. Jobs the
 * parent had queued are not the child's to run (its copies of those VMs'
 * memory stay mapped in the child until it exits). */
static void rel_atfork_child(void)
{
	pthread_mutex_init(&rel.lock, NULL);
	pthread_cond_init(&rel.work, NULL);
	pthread_cond_init(&rel.change, NULL);
	rel.head = rel.tail = NULL;
	rel.queued = rel.running = rel.threads = rel.idle = 0;
	rel.flush = rel.nr_done = 0;
}

static void rel_register_atfork(void)
{
	pthread_atfork(NULL, NULL, rel_atfork_child);
}

static void deadline_in_us(struct timespec *dl, long us)
{
	clock_gettime(CLOCK_MONOTONIC, dl);
	dl->tv_sec += us / 1000000;
	dl->tv_nsec += (us % 1000000) * 1000L;
	if (dl->tv_nsec >= 1000000000L) {
		dl->tv_sec++;
		dl->tv_nsec -= 1000000000L;
	}
}

static void deadline_in(struct timespec *dl, int ms)
{
	deadline_in_us(dl, (long)ms * 1000L);
}

/* Caller holds rel.lock; drops it while joining. */
static void rel_join_done_locked(void)
{
	pthread_t t[HV_RELEASE_MAX_THREADS];
	unsigned i, n = rel.nr_done;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		t[i] = rel.done[i];
	rel.nr_done = 0;
	pthread_mutex_unlock(&rel.lock);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_lock(&rel.lock);
}

/* Take @j, the queue's head, off the queue and run it: rel.lock held on
 * entry and on return, dropped while the job runs. The release threads,
 * an unbounded vm_release_wait() and hv_release_help() all run jobs so. */
static void rel_run_head_locked(struct hv_release_job *j)
{
	rel.head = j->next;
	if (!rel.head)
		rel.tail = NULL;
	rel.queued--;
	rel.running++;
	pthread_mutex_unlock(&rel.lock);
	rel_in_job = 1;
	j->fn(j);
	rel_in_job = 0;
	pthread_mutex_lock(&rel.lock);
	rel.running--;
	pthread_cond_broadcast(&rel.change);
}

static void *rel_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "kvm-release"); /* prctl: cheap */
	(void)priv_drop_caps(); /* it only closes and unmaps: privilege.h */
	struct hv_release_job *held = NULL;

	pthread_mutex_lock(&rel.lock);
	for (;;) {
		struct hv_release_job *j = rel.head;
		struct timespec dl;
		int r;

		/* A lone held job (release.h): once, wait for the next job or
		 * a flush (both signal rel.work), then run it whatever came. */
		if (j && j->hold && j != held && rel.queued == 1 && !rel.flush) {
			held = j;
			deadline_in_us(&dl, __atomic_load_n(&rel_hold_us,
							    __ATOMIC_RELAXED));
			rel.idle++; /* a submit wakes it rather than spawn one */
			(void)pthread_cond_clockwait(&rel.work, &rel.lock,
						     CLOCK_MONOTONIC, &dl);
			rel.idle--;
			continue;
		}
		if (j) {
			rel_run_head_locked(j);
			continue;
		}
		if (rel.flush)
			break;
		deadline_in(&dl, HV_RELEASE_LINGER_MS);
		rel.idle++;
		r = pthread_cond_clockwait(&rel.work, &rel.lock, CLOCK_MONOTONIC,
					   &dl);
		rel.idle--;
		if (r == ETIMEDOUT && !rel.head)
			break;
	}
	rel.threads--;
	rel.done[rel.nr_done++] = pthread_self();
	pthread_cond_broadcast(&rel.change);
	pthread_mutex_unlock(&rel.lock);
	return NULL;
}

/* Caller holds rel.lock. 0 or a positive pthread error. */
static int rel_spawn_locked(void)
{
	pthread_attr_t a;
	sigset_t all, old;
	pthread_t t;
	int r;

	if (pthread_attr_init(&a))
		return EAGAIN;
	pthread_attr_setstacksize(&a, REL_STACK);
	/* No host signal is ever delivered on a release thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, &a, rel_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	if (r)
		return r;
	rel.threads++;
	return 0;
}

void hv_release_set_hold_us(long us)
{
	__atomic_store_n(&rel_hold_us, us, __ATOMIC_RELAXED);
}

void hv_release_submit(struct hv_release_job *job)
{
	pthread_once(&rel_once, rel_register_atfork);
	job->next = NULL;
	pthread_mutex_lock(&rel.lock);
	rel_join_done_locked();
	/* Bounded: wait for room (a job itself never waits: it could be
	 * the one that has to finish). */
	while (!rel_in_job && rel.queued + rel.running >= HV_RELEASE_MAX_PENDING)
		pthread_cond_wait(&rel.change, &rel.lock);
	if (rel.tail)
		rel.tail->next = job;
	else
		rel.head = job;
	rel.tail = job;
	rel.queued++;
	if (rel.queued > rel.idle && rel.threads < HV_RELEASE_MAX_THREADS &&
	    rel_spawn_locked() != 0 && rel.threads == 0) {
		/* No thread and none can be made: nobody else can have
		 * queued a job either, so ours is the only one. */
		rel.head = rel.tail = NULL;
		rel.queued--;
		rel.running++;
		pthread_mutex_unlock(&rel.lock);
		job->fn(job);
		pthread_mutex_lock(&rel.lock);
		rel.running--;
		pthread_cond_broadcast(&rel.change);
	} else {
		pthread_cond_signal(&rel.work);
	}
	pthread_mutex_unlock(&rel.lock);
}

int hv_release_wait(int timeout_ms)
{
	struct timespec dl;
	int r = 0;

	if (rel_in_job)
		return -EDEADLK;
	if (timeout_ms > 0)
		deadline_in(&dl, timeout_ms);
	pthread_mutex_lock(&rel.lock);
	rel.flush++;
	pthread_cond_broadcast(&rel.work); /* idle threads: leave now */
	for (;;) {
		struct hv_release_job *j;

		rel_join_done_locked();
		if (!rel.queued && !rel.running && !rel.threads)
			break;
		j = timeout_ms < 0 ? rel.head : NULL;
		if (j) {
			/* Waiting without a limit: help rather than wait for a
			 * release thread to be scheduled (at exit, on a busy
			 * host, that wait is most of the cost). A bounded wait
			 * never runs a job: it could outlast the bound. */
			rel_run_head_locked(j);
			continue;
		}
		if (timeout_ms == 0) {
			r = -ETIMEDOUT;
			break;
		}
		if (timeout_ms < 0) {
			pthread_cond_wait(&rel.change, &rel.lock);
		} else if (pthread_cond_clockwait(&rel.change, &rel.lock,
						  CLOCK_MONOTONIC, &dl) == ETIMEDOUT) {
			rel_join_done_locked();
			if (rel.queued || rel.running || rel.threads)
				r = -ETIMEDOUT;
			break;
		}
	}
	rel.flush--;
	pthread_mutex_unlock(&rel.lock);
	return r;
}

void hv_release_help(void)
{
	pthread_mutex_lock(&rel.lock);
	while (!rel_in_job && rel.queued > HV_RELEASE_HELP_ABOVE) {
		rel_run_head_locked(rel.head);
	}
	pthread_mutex_unlock(&rel.lock);
}

unsigned hv_release_pending(void)
{
	unsigned n;

	pthread_mutex_lock(&rel.lock);
	n = rel.queued + rel.running;
	pthread_mutex_unlock(&rel.lock);
	return n;
}

/* Process exit (after main returns or exit()) and dlclose(): every VM
 * destroyed so far is released and every release thread joined before
 * the library's code and data go away. */
__attribute__((destructor)) static void hv_release_fini(void)
{
	(void)hv_release_wait(-1);
	hv_shells_fini();
	hv_vcpu_stacks_fini();
}
