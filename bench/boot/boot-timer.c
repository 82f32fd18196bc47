/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/boot/boot-timer.c: start a VMM, time how long its guest takes to
 * print a console marker, and sample the VMM's own RSS at that moment.
 *
 *   boot-timer [-m MARKER] [-e END_MARKER] [-x RAM_KIB] [-t SEC] [-T SEC]
 *              [-o CONSOLE_FILE] [-v] -- COMMAND [ARG]...
 *
 * COMMAND is fork+exec'd directly (no shell) with stdin from /dev/null and
 * stdout on a pipe that this program reads: the VMM must put the guest's
 * serial console there (vm-run does; QEMU with -serial stdio).  stderr is
 * inherited.
 *
 *   -m MARKER   console text that ends the boot (default "@@INIT@@")
 *   -e MARKER   then also wait for this text (default: none); the guest is
 *               then left to power off by itself for a few seconds
 *   -x RAM_KIB  guest RAM size: the mapping holding guest RAM is left out of
 *               the VMM's own RSS (see below); default 262144 (256 MiB)
 *   -t SEC      give up waiting for MARKER after SEC s (default 120)
 *   -T SEC      give up waiting for END_MARKER after SEC s (default 30)
 *   -o FILE     copy the console to FILE
 *   -v          list every mapping with resident pages on stderr
 *
 * At MARKER: CLOCK_MONOTONIC time since just before fork(), then one pass
 * over /proc/PID/smaps summing Rss.  Guest RAM is excluded as one mapping:
 * a memfd mapping ("/memfd:..." name) whose size is RAM_KIB if there is
 * one (our library's guest RAM), else an anonymous mapping of exactly
 * RAM_KIB (QEMU's "pc.ram"), else the largest anonymous or memfd mapping
 * of at least RAM_KIB.
 * The excluded mapping is named on stderr ("boot-timer: excluded ...").
 * Then the child is stopped: it gets END_MARKER's wait and 3 s to exit by
 * itself (guest power-off), then SIGTERM, 5 s later SIGKILL.
 *
 * Prints one line on stdout:
 *   <init_us> <end_us> <own_rss_kib> <total_rss_kib> <ram_rss_kib> <status>
 * init_us / end_us: time to MARKER / END_MARKER in microseconds, -1 if
 * not seen; own = total - ram (RSS of the excluded mapping); status: the
 * child's exit status or 128+signal (a child we had to stop shows 143 or
 * 137).  Exit status: 0 when MARKER was seen (and END_MARKER, if asked),
 * 1 otherwise, 2 for usage errors, 127 if COMMAND could not be run.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAIL 256 /* bytes kept between reads: markers may straddle two */

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

struct rss {
	long long total_kib, ram_kib;
	char ram_desc[640];
};

struct mapping {
	char line[512];
	long long size_kib, rss_kib;
};

static int is_memfd(const char *line)
{
	return strstr(line, " /memfd:") != NULL;
}

/* Is the header line of an smaps entry anonymous (no path, no [name])? */
static int is_anon(const char *line)
{
	const char *p = line;
	int field;

	/* addr perms offset dev inode [path] */
	for (field = 0; field < 5; field++) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ' || *p == '\n')
		p++;
	return *p == '\0';
}

/* smaps header lines start with "addr-addr " in lowercase hex; field
 * lines ("Rss:", "VmFlags:") start with an uppercase letter. */
static int is_header(const char *s)
{
	unsigned long long a, b;

	if (!((s[0] >= '0' && s[0] <= '9') || (s[0] >= 'a' && s[0] <= 'f')))
		return 0;
	return sscanf(s, "%llx-%llx ", &a, &b) == 2;
}

/* Drop the newline and squeeze runs of blanks (smaps pads its columns). */
static void chomp(char *s)
{
	char *d = s, *start = s;

	for (; *s; s++) {
		if (*s == '\n' || (*s == ' ' && (d == start || d[-1] == ' ')))
			continue;
		*d++ = *s;
	}
	if (d != start && d[-1] == ' ')
		d--;
	*d = '\0';
}

/* Sum Rss over /proc/PID/smaps, excluding the guest RAM mapping. */
static int sample_rss(pid_t pid, long long ram_kib, int verbose,
		      struct rss *out)
{
	struct mapping cur, best_memfd, best_anon, best_big;
	char path[64], buf[1024];
	int have = 0, have_memfd = 0, have_anon = 0, have_big = 0;
	const struct mapping *ex;
	FILE *f;

	memset(out, 0, sizeof(*out));
	memset(&cur, 0, sizeof(cur));
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	for (;;) {
		char *ok = fgets(buf, sizeof(buf), f);
		long long v;

		if (!ok || is_header(buf)) {
			if (have) {
				out->total_kib += cur.rss_kib;
				if (verbose && cur.rss_kib)
					fprintf(stderr,
						"boot-timer: %8lld kB rss %9lld kB size  %s\n",
						cur.rss_kib, cur.size_kib,
						cur.line);
				if (cur.size_kib == ram_kib && is_memfd(cur.line) &&
				    !have_memfd) {
					best_memfd = cur;
					have_memfd = 1;
				}
				if (cur.size_kib == ram_kib && is_anon(cur.line) &&
				    !have_anon) {
					best_anon = cur;
					have_anon = 1;
				}
				if (cur.size_kib >= ram_kib &&
				    (is_anon(cur.line) || is_memfd(cur.line)) &&
				    (!have_big ||
				     cur.size_kib > best_big.size_kib)) {
					best_big = cur;
					have_big = 1;
				}
			}
			if (!ok)
				break;
			memset(&cur, 0, sizeof(cur));
			snprintf(cur.line, sizeof(cur.line), "%.500s", buf);
			chomp(cur.line);
			have = 1;
			continue;
		}
		if (sscanf(buf, "Size: %lld kB", &v) == 1)
			cur.size_kib = v;
		else if (sscanf(buf, "Rss: %lld kB", &v) == 1)
			cur.rss_kib = v;
	}
	fclose(f);
	ex = have_memfd ? &best_memfd : have_anon ? &best_anon :
		have_big ? &best_big : NULL;
	if (ex) {
		out->ram_kib = ex->rss_kib;
		snprintf(out->ram_desc, sizeof(out->ram_desc),
			 "%.500s (%s; size %lld kB, rss %lld kB)", ex->line,
			 have_memfd ? "memfd of guest RAM size" :
			 have_anon ? "anonymous, guest RAM size" :
				     "largest anonymous/memfd mapping >= guest RAM size",
			 ex->size_kib, ex->rss_kib);
	} else {
		snprintf(out->ram_desc, sizeof(out->ram_desc),
			 "nothing (no mapping of %lld kB or more)", ram_kib);
	}
	return 0;
}

/* Where `marker` is in the window of console output, or NULL. */
static char *seen(char *win, size_t len, const char *marker)
{
	size_t m = strlen(marker);

	if (!m || len < m)
		return NULL;
	return memmem(win, len, marker, m);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: boot-timer [-m MARKER] [-e END_MARKER] [-x RAM_KIB] [-t SEC] [-T SEC]\n"
		"                  [-o CONSOLE_FILE] [-v] -- COMMAND [ARG]...\n");
}

int main(int argc, char **argv)
{
	const char *marker = "@@INIT@@", *end_marker = NULL, *out_file = NULL;
	long long ram_kib = 262144, t0, t, t_init = -1, t_end = -1, deadline;
	int timeout_s = 120, end_timeout_s = 30, verbose = 0;
	int fds[2], out_fd = -1, wstatus = 0, status, opt, eof = 0;
	char win[TAIL + 4096];
	size_t wlen = 0;
	struct rss rss;
	char *hit;
	pid_t pid;

	memset(&rss, 0, sizeof(rss));
	while ((opt = getopt(argc, argv, "+m:e:x:t:T:o:v")) != -1) {
		switch (opt) {
		case 'm': marker = optarg; break;
		case 'e': end_marker = optarg; break;
		case 'x': ram_kib = atoll(optarg); break;
		case 't': timeout_s = atoi(optarg); break;
		case 'T': end_timeout_s = atoi(optarg); break;
		case 'o': out_file = optarg; break;
		case 'v': verbose = 1; break;
		default: usage(); return 2;
		}
	}
	if (optind >= argc || !*marker || strlen(marker) > TAIL ||
	    (end_marker && (!*end_marker || strlen(end_marker) > TAIL)) ||
	    ram_kib <= 0 || timeout_s <= 0 || end_timeout_s <= 0) {
		usage();
		return 2;
	}
	if (out_file) {
		out_fd = open(out_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0644);
		if (out_fd < 0) {
			fprintf(stderr, "boot-timer: %s: %s\n", out_file,
				strerror(errno));
			return 2;
		}
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		perror("boot-timer: pipe");
		return 127;
	}

	fflush(stdout);
	t0 = now_us();
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		if (nul >= 0)
			dup2(nul, 0);
		dup2(fds[1], 1);
		execv(argv[optind], &argv[optind]);
		if (errno == ENOENT)
			execvp(argv[optind], &argv[optind]);
		fprintf(stderr, "boot-timer: %s: %s\n", argv[optind],
			strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		perror("boot-timer: fork");
		return 127;
	}
	close(fds[1]);

	/* Read the console until MARKER (and END_MARKER), EOF or timeout. */
	deadline = t0 + (long long)timeout_s * 1000000LL;
	while (!eof) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		long long left = deadline - now_us();
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)(left / 1000) + 1) <= 0)
			continue;
		n = read(fds[0], win + wlen, sizeof(win) - wlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			eof = 1;
			break;
		}
		t = now_us();
		if (out_fd >= 0 && write(out_fd, win + wlen, (size_t)n) < 0)
			out_fd = -1;
		wlen += (size_t)n;
		if (t_init < 0 && (hit = seen(win, wlen, marker))) {
			t_init = t - t0;
			if (sample_rss(pid, ram_kib, verbose, &rss) < 0)
				fprintf(stderr,
					"boot-timer: cannot read /proc/%d/smaps\n",
					(int)pid);
			if (!end_marker)
				break;
			deadline = t + (long long)end_timeout_s * 1000000LL;
			/* The end marker counts only after the marker. */
			hit += strlen(marker);
			wlen -= (size_t)(hit - win);
			memmove(win, hit, wlen);
		}
		if (t_init >= 0 && end_marker && seen(win, wlen, end_marker)) {
			t_end = t - t0;
			break;
		}
		if (wlen > TAIL) { /* keep the last TAIL bytes */
			memmove(win, win + wlen - TAIL, TAIL);
			wlen = TAIL;
		}
	}

	/* After the end marker, let the guest power off by itself for a
	 * while; otherwise stop the VMM at once. */
	{
		int sig = 0, waited = 0;
		long long stop_at = now_us() + (t_end >= 0 ? 3000000LL : 0);

		for (;;) {
			pid_t r = waitpid(pid, &wstatus, WNOHANG);

			if (r == pid) {
				waited = 1;
				break;
			}
			if (r < 0 && errno != EINTR)
				break;
			/* Keep draining the console so the child never
			 * blocks on a full pipe. */
			if (!eof) {
				char sink[4096];
				ssize_t n;
				struct pollfd pfd = { .fd = fds[0],
						      .events = POLLIN };

				if (poll(&pfd, 1, 20) > 0) {
					n = read(fds[0], sink, sizeof(sink));
					if (n == 0)
						eof = 1;
					else if (n > 0 && out_fd >= 0 &&
						 write(out_fd, sink,
						       (size_t)n) < 0)
						out_fd = -1;
				}
			} else {
				usleep(20000);
			}
			if (now_us() >= stop_at) {
				if (sig == SIGKILL)
					continue;
				sig = sig ? SIGKILL : SIGTERM;
				kill(pid, sig);
				stop_at = now_us() + 5000000LL;
			}
		}
		if (!waited) {
			perror("boot-timer: waitpid");
			return 127;
		}
	}
	close(fds[0]);
	if (out_fd >= 0)
		close(out_fd);

	status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
				    : 128 + WTERMSIG(wstatus);
	if (t_init >= 0)
		fprintf(stderr, "boot-timer: excluded as guest RAM: %s\n",
			rss.ram_desc);
	else
		fprintf(stderr, "boot-timer: marker '%s' not seen (%s)\n",
			marker, eof ? "console closed" : "timeout");
	if (t_init >= 0 && end_marker && t_end < 0)
		fprintf(stderr, "boot-timer: end marker '%s' not seen\n",
			end_marker);
	printf("%lld %lld %lld %lld %lld %d\n", t_init, t_end,
	       t_init >= 0 ? rss.total_kib - rss.ram_kib : -1,
	       t_init >= 0 ? rss.total_kib : -1, t_init >= 0 ? rss.ram_kib : -1,
	       status);
	if (status == 127 && t_init < 0)
		return 127;
	return t_init >= 0 && (!end_marker || t_end >= 0) ? 0 : 1;
}
