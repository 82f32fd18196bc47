/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/first-exit/timeit.c: run a command once and report its wall time
 * and peak RSS (busybox has no usable `time`).
 *
 *   timeit [-q] [-n] -- COMMAND [ARG]...
 *
 * Prints one line on stdout:  <wall_ns> <maxrss_kib> <status>
 *   wall_ns     CLOCK_MONOTONIC from just before fork() to wait4() returning
 *   maxrss_kib  ru_maxrss of the child (from wait4)
 *   status      the child's exit status, or 128+signal
 * -q sends the child's stdout to /dev/null (stderr is kept).
 * -n gives the child stdin from /dev/null.
 * Exit status: 0 when the command was run and reaped, 127 when it could
 * not be executed (the line is still printed), 2 for usage errors.
 *
 * fork() rather than posix_spawn(): Linux folds the peak RSS of the mm a
 * process leaves at execve() into its ru_maxrss.  After vfork that mm is
 * ours (whole binary resident); after fork it holds only the anonymous
 * pages copied into the child, a few KiB for this small static program.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int quiet = 0, nullin = 0, i = 1, wstatus = 0, status;
	struct rusage ru;
	long long t0, t1;
	pid_t pid;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-q"))
			quiet = 1;
		else if (!strcmp(argv[i], "-n"))
			nullin = 1;
		else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: timeit [-q] [-n] -- COMMAND [ARG]...\n");
		return 2;
	}

	fflush(stdout);
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		if (quiet || nullin) {
			int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

			if (fd >= 0 && quiet)
				dup2(fd, 1);
			if (fd >= 0 && nullin)
				dup2(fd, 0);
		}
		execv(argv[i], &argv[i]);
		if (errno == ENOENT)
			execvp(argv[i], &argv[i]);
		fprintf(stderr, "timeit: %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		perror("timeit: fork");
		return 127;
	}
	memset(&ru, 0, sizeof(ru));
	while (wait4(pid, &wstatus, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("timeit: wait4");
			return 127;
		}
	}
	t1 = now_ns();
	status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
				    : 128 + WTERMSIG(wstatus);
	printf("%lld %ld %d\n", t1 - t0, ru.ru_maxrss, status);
	return status == 127 ? 127 : 0;
}
