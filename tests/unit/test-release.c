/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/test-release.c: the release queue of lib/kvm/release.h, with
 * jobs that stand for destroyed VMs: every job runs once, at most
 * HV_RELEASE_MAX_THREADS threads run them, at most HV_RELEASE_MAX_PENDING
 * are pending, hv_release_wait() returns when all ran and every thread is
 * joined, and a timeout says so. No KVM needed.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "check-main.h"
#include "kvm/release.h"

struct job {
	struct hv_release_job j;
	int ms;
};

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* Poll until @n jobs ran, up to @ms; true if they did. */
static bool ran_within(unsigned n, int ms);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned ran, running, most_running;

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (long)(ms % 1000) * 1000000L },
		  NULL);
}

static void job_fn(struct hv_release_job *j)
{
	struct job *b = (struct job *)j;

	pthread_mutex_lock(&lock);
	if (++running > most_running)
		most_running = running;
	pthread_mutex_unlock(&lock);
	sleep_ms(b->ms);
	pthread_mutex_lock(&lock);
	running--;
	ran++;
	pthread_mutex_unlock(&lock);
	free(b);
}

static void submit_job(int ms, int hold)
{
	struct job *b = calloc(1, sizeof(*b));

	ck_assert_ptr_nonnull(b);
	b->j.fn = job_fn;
	b->j.hold = (unsigned char)hold;
	b->ms = ms;
	hv_release_submit(&b->j);
}

static void submit(int ms)
{
	submit_job(ms, 0);
}

static unsigned ran_now(void)
{
	unsigned n;

	pthread_mutex_lock(&lock);
	n = ran;
	pthread_mutex_unlock(&lock);
	return n;
}

static bool ran_within(unsigned n, int ms)
{
	for (int i = 0; i < ms && ran_now() < n; i++)
		sleep_ms(1);
	return ran_now() >= n;
}

static unsigned threads_now(void)
{
	DIR *d = opendir("/proc/self/task");
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2; /* . and .. */
}

START_TEST(test_release_runs_every_job_on_few_threads)
{
	unsigned i;

	ran = most_running = 0;
	for (i = 0; i < 40; i++)
		submit(5); /* sleeping jobs, as a VM fd's close is */
	ck_assert_uint_le(hv_release_pending(), 40);
	ck_assert_int_eq(hv_release_wait(-1), 0);
	ck_assert_uint_eq(ran, 40);
	ck_assert_uint_eq(hv_release_pending(), 0);
	ck_assert_uint_ge(most_running, 2);              /* in parallel */
	/* The release threads, and the waiter, which helps. */
	ck_assert_uint_le(most_running, HV_RELEASE_MAX_THREADS + 1);
	for (i = 0; i < 1000 && threads_now() > 1; i++)  /* tid gone < 1 s */
		sleep_ms(1);
	ck_assert_uint_eq(threads_now(), 1);
}
END_TEST

START_TEST(test_release_pending_is_bounded)
{
	unsigned i;

	ran = 0;
	for (i = 0; i < HV_RELEASE_MAX_PENDING + 40; i++) {
		submit(1);
		ck_assert_uint_le(hv_release_pending(), HV_RELEASE_MAX_PENDING);
	}
	ck_assert_int_eq(hv_release_wait(-1), 0);
	ck_assert_uint_eq(ran, HV_RELEASE_MAX_PENDING + 40);
}
END_TEST

START_TEST(test_release_wait_times_out)
{
	ran = 0;
	submit(300);
	ck_assert_int_eq(hv_release_wait(0), -ETIMEDOUT);
	ck_assert_int_eq(hv_release_wait(20), -ETIMEDOUT);
	ck_assert_uint_eq(hv_release_pending(), 1);
	ck_assert_int_eq(hv_release_wait(5000), 0);
	ck_assert_uint_eq(ran, 1);
}
END_TEST

/* A held job (a VM without an irqchip, release.h) alone in the queue
 * waits for the next job: with a 10 s hold it has not run 50 ms later
 * (a release thread would have run it by then), and the next job's
 * submit lets both run at once, long before the hold ends. */
START_TEST(test_release_held_job_waits_for_the_next)
{
	ran = 0;
	hv_release_set_hold_us(10000000);
	submit_job(0, 1);
	sleep_ms(50);
	ck_assert_uint_eq(ran_now(), 0);
	ck_assert_uint_eq(hv_release_pending(), 1);
	submit(0);
	ck_assert_msg(ran_within(2, 2000), "ran %u of 2 after the second submit",
		      ran_now());
	ck_assert_int_eq(hv_release_wait(-1), 0);
	hv_release_set_hold_us(HV_RELEASE_HOLD_US);
}
END_TEST

/* The hold is bounded: a lone held job runs by itself once it is over;
 * and a flush does not wait for it: hv_release_wait() returns at once. */
START_TEST(test_release_hold_ends_by_itself_and_on_a_flush)
{
	uint64_t t0;

	ran = 0;
	hv_release_set_hold_us(100000);
	submit_job(0, 1);
	ck_assert_msg(ran_within(1, 3000), "a lone held job never ran");
	ck_assert_int_eq(hv_release_wait(-1), 0);
	hv_release_set_hold_us(10000000);
	submit_job(0, 1);
	sleep_ms(20);
	t0 = mono_ms();
	ck_assert_int_eq(hv_release_wait(5000), 0);
	ck_assert_uint_lt(mono_ms() - t0, 2000);
	ck_assert_uint_eq(ran_now(), 2);
	hv_release_set_hold_us(HV_RELEASE_HOLD_US);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("release");
	TCase *tc = tcase_create("release");

	tcase_add_test(tc, test_release_runs_every_job_on_few_threads);
	tcase_add_test(tc, test_release_pending_is_bounded);
	tcase_add_test(tc, test_release_wait_times_out);
	tcase_add_test(tc, test_release_held_job_waits_for_the_next);
	tcase_add_test(tc, test_release_hold_ends_by_itself_and_on_a_flush);
	suite_add_tcase(s, tc);
	return check_run(s);
}
