/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kvm/shell.c: the pool of prewarmed KVM VMs (see shell.h).
 *
 * Threads: hv_shells_set() makes shells on its caller's thread;
 * hv_shells_refill() queues one refill job (release.h) per missing shell,
 * which makes it on a release thread. Locking: shells.lock guards every
 * field of shells; shells are made and closed without it. A generation
 * number tells a refill that finishes after the shape changed (or the
 * pool was emptied) to throw its shell away.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../core/compiler.h"
#include "hv.h"
#include "release.h"
#include "shell.h"

static struct {
	pthread_mutex_t lock;
	struct hv_shell *head, *tail; /* oldest first */
	struct hv_shape shape;
	hv_shell_build_fn build;
	unsigned want, have, making;  /* target, in the list, being made */
	uint64_t gen;                 /* bumped when the pool is emptied */
} shells = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_once_t shells_once = PTHREAD_ONCE_INIT;

struct shell_refill {
	struct hv_release_job job;
	struct hv_shape shape;
	hv_shell_build_fn build;
	uint64_t gen;
};

static uint64_t shell_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool shape_eq(const struct hv_shape *a, const struct hv_shape *b)
{
	return a->vcpus == b->vcpus && a->irqchip == b->irqchip &&
	       a->pit == b->pit;
}

void hv_shell_free(struct hv_shell *sh)
{
	if (!sh)
		return;
	for (uint32_t i = 0; sh->vcpu_fd && i < sh->shape.vcpus; i++)
		if (sh->vcpu_fd[i] >= 0)
			close(sh->vcpu_fd[i]);
	if (sh->vm_fd >= 0)
		close(sh->vm_fd);
	if (sh->kvm_fd >= 0)
		close(sh->kvm_fd);
	free(sh->vcpu_fd);
	free(sh);
}

static void shell_free_list(struct hv_shell *sh)
{
	while (sh) {
		struct hv_shell *next = sh->next;

		hv_shell_free(sh);
		sh = next;
	}
}

/* One shell of @shape, made on the calling thread. */
static int shell_make(const struct hv_shape *shape, hv_shell_build_fn build,
		      struct hv_shell **out, struct vm_error **errp)
{
	struct hv_shell *sh = calloc(1, sizeof(*sh));
	uint32_t i;
	int r;

	if (!sh || !(sh->vcpu_fd = calloc(shape->vcpus, sizeof(int)))) {
		free(sh);
		return verr_set(errp, -ENOMEM, "prewarm: out of memory");
	}
	sh->shape = *shape;
	sh->vm_fd = -1;
	for (i = 0; i < shape->vcpus; i++)
		sh->vcpu_fd[i] = -1;
	sh->kvm_fd = open(HV_DEV_KVM, O_RDWR | O_CLOEXEC);
	if (sh->kvm_fd < 0) {
		r = verr_set_errno(errp, -errno, "prewarm: cannot open %s",
				   HV_DEV_KVM);
		goto fail;
	}
	r = hv_ioctl(sh->kvm_fd, KVM_CREATE_VM, (void *)0);
	if (r < 0) {
		verr_set_errno(errp, r, "prewarm: KVM_CREATE_VM");
		goto fail;
	}
	sh->vm_fd = r;
	r = build(sh->kvm_fd, sh->vm_fd, shape, errp);
	if (r < 0)
		goto fail;
	for (i = 0; i < shape->vcpus; i++) {
		r = hv_ioctl(sh->vm_fd, KVM_CREATE_VCPU,
			     (void *)(unsigned long)i);
		if (r < 0) {
			verr_set_errno(errp, r, "prewarm: KVM_CREATE_VCPU %u", i);
			goto fail;
		}
		sh->vcpu_fd[i] = r;
	}
	sh->made_ns = shell_now_ns();
	*out = sh;
	return 0;
fail:
	hv_shell_free(sh);
	return r;
}

/* shells.lock held: take @sh into the pool if it is still wanted.
 * Returns true if it was. */
static bool shell_keep_locked(struct hv_shell *sh, uint64_t gen)
{
	if (gen != shells.gen || shells.have >= shells.want)
		return false;
	sh->next = NULL;
	if (shells.tail)
		shells.tail->next = sh;
	else
		shells.head = sh;
	shells.tail = sh;
	shells.have++;
	return true;
}

/* shells.lock held: unlink the whole list and return it. */
static struct hv_shell *shell_unlink_all_locked(void)
{
	struct hv_shell *l = shells.head;

	shells.head = shells.tail = NULL;
	shells.have = 0;
	shells.gen++;
	return l;
}

/* A forked child shares none of the parent's VMs (KVM refuses them to
 * another mm) and none of its release threads: it starts empty. Its
 * copies of the fds are closed, which leaves the parent's VMs alone. */
static void shells_atfork_child(void)
{
	struct hv_shell *l;

	pthread_mutex_init(&shells.lock, NULL);
	l = shell_unlink_all_locked();
	shells.want = shells.making = 0;
	shell_free_list(l);
}

static void shells_register_atfork(void)
{
	pthread_atfork(NULL, NULL, shells_atfork_child);
}

static void shell_refill_run(struct hv_release_job *j)
{
	struct shell_refill *rf = container_of(j, struct shell_refill, job);
	struct hv_shell *sh = NULL;
	int r = shell_make(&rf->shape, rf->build, &sh, NULL);

	pthread_mutex_lock(&shells.lock);
	shells.making--;
	if (r == 0 && shell_keep_locked(sh, rf->gen))
		sh = NULL;
	pthread_mutex_unlock(&shells.lock);
	hv_shell_free(sh);
	free(rf);
}

int hv_shells_set(const struct hv_shape *shape, unsigned count,
		  hv_shell_build_fn build, struct vm_error **errp)
{
	struct hv_shell *drop = NULL, *sh;
	uint64_t gen;
	int r = 0, ready;

	if (count > HV_SHELLS_MAX)
		return verr_set(errp, -EINVAL, "prewarm: %u VMs asked, at most %u",
				count, HV_SHELLS_MAX);
	pthread_once(&shells_once, shells_register_atfork);
	pthread_mutex_lock(&shells.lock);
	if (!count || !shape_eq(&shells.shape, shape)) {
		drop = shell_unlink_all_locked();
		shells.shape = *shape;
	}
	shells.want = count;
	shells.build = build;
	while (shells.have > count) { /* the oldest go */
		sh = shells.head;
		shells.head = sh->next;
		if (!shells.head)
			shells.tail = NULL;
		shells.have--;
		sh->next = drop;
		drop = sh;
	}
	gen = shells.gen;
	pthread_mutex_unlock(&shells.lock);
	shell_free_list(drop);
	for (;;) {
		pthread_mutex_lock(&shells.lock);
		if (gen != shells.gen ||
		    shells.have + shells.making >= shells.want) {
			ready = gen == shells.gen ? (int)shells.have : 0;
			pthread_mutex_unlock(&shells.lock);
			return ready;
		}
		shells.making++;
		pthread_mutex_unlock(&shells.lock);
		sh = NULL;
		r = shell_make(shape, build, &sh, errp);
		pthread_mutex_lock(&shells.lock);
		shells.making--;
		if (r == 0 && shell_keep_locked(sh, gen))
			sh = NULL;
		pthread_mutex_unlock(&shells.lock);
		hv_shell_free(sh);
		if (r < 0)
			return r;
	}
}

void hv_shells_refill(void)
{
	for (;;) {
		struct shell_refill *rf = NULL;

		pthread_mutex_lock(&shells.lock);
		if (shells.have + shells.making < shells.want &&
		    (rf = calloc(1, sizeof(*rf)))) {
			shells.making++;
			rf->shape = shells.shape;
			rf->build = shells.build;
			rf->gen = shells.gen;
			rf->job.fn = shell_refill_run;
		}
		pthread_mutex_unlock(&shells.lock);
		if (!rf)
			return;
		hv_release_submit(&rf->job);
	}
}

struct hv_shell *hv_shell_take(const struct hv_shape *shape)
{
	struct hv_shell *sh;

	pthread_mutex_lock(&shells.lock);
	sh = shells.head;
	if (!sh || !shape_eq(&shells.shape, shape) ||
	    shell_now_ns() - sh->made_ns < HV_SHELL_AGE_MS * 1000000ull) {
		pthread_mutex_unlock(&shells.lock);
		return NULL;
	}
	shells.head = sh->next;
	if (!shells.head)
		shells.tail = NULL;
	shells.have--;
	sh->next = NULL;
	pthread_mutex_unlock(&shells.lock);
	return sh;
}

void hv_shells_fini(void)
{
	struct hv_shell *l;

	pthread_mutex_lock(&shells.lock);
	shells.want = 0;
	l = shell_unlink_all_locked();
	pthread_mutex_unlock(&shells.lock);
	shell_free_list(l);
}
