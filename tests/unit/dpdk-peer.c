/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/dpdk-peer.c: see dpdk-peer.h. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dpdk-peer.h"

static const char *const dpdk_paths[] = { "/usr/bin/dpdk-testpmd",
					  "/usr/local/bin/dpdk-testpmd" };

const char *dpdk_peer_binary(void)
{
	for (unsigned i = 0; i < sizeof(dpdk_paths) / sizeof(dpdk_paths[0]); i++)
		if (access(dpdk_paths[i], X_OK) == 0)
			return dpdk_paths[i];
	return NULL;
}

static unsigned peers_live; /* started and not stopped */

/* Its process is reaped: forget it. */
static void dpdk_peer_gone(struct dpdk_peer *p)
{
	p->pid = 0;
	close(p->stdin_fd);
	peers_live--;
}

/* The log from byte @from on, at most @size - 1 bytes of it, in @buf. */
static void dpdk_peer_read_log(const struct dpdk_peer *p, long from,
			       char *buf, size_t size)
{
	FILE *f = fopen(p->log, "r");
	size_t n = 0;

	if (f && fseek(f, from, SEEK_SET) == 0)
		n = fread(buf, 1, size - 1, f);
	if (f)
		fclose(f);
	buf[n] = 0;
}

static bool dpdk_peer_logged(const struct dpdk_peer *p, const char *what)
{
	char buf[16384];

	dpdk_peer_read_log(p, 0, buf, sizeof(buf));
	return strstr(buf, what) != NULL;
}

bool dpdk_peer_cmd(struct dpdk_peer *p, const char *line, const char *expect,
		   char *out, size_t size)
{
	struct stat st;
	long from = stat(p->log, &st) == 0 ? (long)st.st_size : 0;
	size_t len = strlen(line);

	if (p->pid <= 0 || write(p->stdin_fd, line, len) != (ssize_t)len ||
	    write(p->stdin_fd, "\n", 1) != 1)
		return false;
	for (int i = 0; i < 1000; i++) { /* 10 s */
		dpdk_peer_read_log(p, from, out, size);
		if (strstr(out, expect))
			return true;
		if (waitpid(p->pid, NULL, WNOHANG) != 0) {
			dpdk_peer_gone(p); /* dpdk_peer_stop: nothing to do */
			return false;
		}
		usleep(10000);
	}
	return false;
}

/* testpmd's log as TAP comments (its last 40 lines): what went wrong. */
static void dpdk_peer_print_log(const struct dpdk_peer *p)
{
	char lines[40][160];
	unsigned n = 0;
	FILE *f = fopen(p->log, "r");

	if (!f)
		return;
	while (fgets(lines[n % 40], sizeof(lines[0]), f))
		n++;
	fclose(f);
	for (unsigned i = n > 40 ? n - 40 : 0; i < n; i++)
		printf("#   testpmd| %s", lines[i % 40]);
	fflush(stdout);
}

void dpdk_peer_start(struct dpdk_peer *p, const char *sock, unsigned queues,
		     bool client)
{
	char vdev[200], q[32], prefix[32], fwd[48];
	int in[2];

	ck_assert_ptr_nonnull(dpdk_peer_binary());
	snprintf(p->sock, sizeof(p->sock), "%s", sock);
	p->client = client;
	snprintf(p->log, sizeof(p->log), "%s.log", sock);
	snprintf(vdev, sizeof(vdev), "net_vhost0,iface=%s,queues=%u%s", sock,
		 queues, client ? ",client=1" : "");
	snprintf(q, sizeof(q), "%u", queues);
	snprintf(fwd, sizeof(fwd), "--forward-mode=%s", p->fwd ? p->fwd : "macswap");
	/* EAL's run-time files: one prefix per live testpmd (a benchmark
	 * runs two; a restarted one reuses its predecessor's) */
	snprintf(prefix, sizeof(prefix), "kvmvirtio%d-%u", (int)getpid(),
		 peers_live);
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		int log = open(p->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			       0644);
		char rxq[40], txq[40];
		const char *argv[48] = {
			"stdbuf", "-oL", dpdk_peer_binary(), "-l",
			p->lcores ? p->lcores : "0,1",
			"--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--file-prefix", prefix, "--vdev", p->vdev ? p->vdev : vdev,
		};
		unsigned n = 14;

		snprintf(rxq, sizeof(rxq), "--rxq=%s", q);
		snprintf(txq, sizeof(txq), "--txq=%s", q);
		/* EAL keeps its run-time files in /var/run/dpdk when root:
		 * a minimal root (a nested L1's initramfs) has no /var */
		(void)mkdir("/var", 0755);
		(void)mkdir("/var/run", 0755);
		dup2(in[0], 0);
		if (log >= 0) {
			dup2(log, 1);
			dup2(log, 2);
		}

		if (p->main_lcore) {
			argv[n++] = "--main-lcore";
			argv[n++] = p->main_lcore;
		}
		if (p->port2) {
			argv[n++] = "--vdev";
			argv[n++] = p->port2;
		}
		argv[n++] = "--";
		if (p->interactive)
			argv[n++] = "-i";
		argv[n++] = rxq;
		argv[n++] = txq;
		argv[n++] = fwd;
		argv[n++] = "--nb-cores=1";
		argv[n++] = "--disable-link-check";
		argv[n++] = "--total-num-mbufs=8192";
		for (unsigned i = 0; p->extra && p->extra[i] && n + 1 < 48; i++)
			argv[n++] = p->extra[i];
		/* stdbuf: its stdout lines reach the log as they are printed */
		execv("/usr/bin/stdbuf", (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	p->stdin_fd = in[1];
	peers_live++;
	/* wait until it forwards (listening, its vhost thread then serves
	 * the socket; as a client, it retries the connection on its own);
	 * a loaded host may take seconds, a nested L1 more */
	for (int i = 0; i < 12000; i++) {
		bool gone = waitpid(p->pid, NULL, WNOHANG) != 0;

		if (!gone && dpdk_peer_logged(p, p->interactive ? "testpmd> " :
						      "Press enter to exit"))
			return;
		if (gone) {
			dpdk_peer_print_log(p);
			dpdk_peer_gone(p);
			ck_abort_msg("testpmd exited; see %s", p->log);
		}
		usleep(10000);
	}
	dpdk_peer_print_log(p);
	ck_abort_msg("testpmd did not start within 120 s; see %s", p->log);
}

void dpdk_peer_stop(struct dpdk_peer *p)
{
	bool reaped = false;

	if (p->pid <= 0)
		return;
	kill(p->pid, SIGTERM);
	for (int i = 0; i < 500 && !reaped; i++) {
		reaped = waitpid(p->pid, NULL, WNOHANG) == p->pid;
		if (!reaped)
			usleep(10000);
	}
	if (!reaped) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	dpdk_peer_gone(p);
	if (!p->client)
		unlink(p->sock); /* testpmd's own socket */
}
