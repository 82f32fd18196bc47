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

static bool dpdk_peer_logged(const struct dpdk_peer *p, const char *what)
{
	char buf[16384];
	FILE *f = fopen(p->log, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, what) != NULL;
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
	snprintf(prefix, sizeof(prefix), "kvmvirtio%d", (int)getpid());
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		int log = open(p->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			       0644);
		char rxq[40], txq[40];
		const char *argv[32] = {
			"stdbuf", "-oL", dpdk_peer_binary(), "-l", "0,1",
			"--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--file-prefix", prefix, "--vdev", vdev,
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

		if (p->port2) {
			argv[n++] = "--vdev";
			argv[n++] = p->port2;
		}
		argv[n++] = "--";
		argv[n++] = rxq;
		argv[n++] = txq;
		argv[n++] = fwd;
		argv[n++] = "--nb-cores=1";
		argv[n++] = "--disable-link-check";
		argv[n++] = "--total-num-mbufs=8192";
		/* stdbuf: its stdout lines reach the log as they are printed */
		execv("/usr/bin/stdbuf", (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	p->stdin_fd = in[1];
	/* wait until it forwards (listening, its vhost thread then serves
	 * the socket; as a client, it retries the connection on its own);
	 * a loaded host may take seconds, a nested L1 more */
	for (int i = 0; i < 12000; i++) {
		bool gone = waitpid(p->pid, NULL, WNOHANG) != 0;

		if (!gone && dpdk_peer_logged(p, "Press enter to exit"))
			return;
		if (gone) {
			dpdk_peer_print_log(p);
			p->pid = 0;
			ck_abort_msg("testpmd exited; see %s", p->log);
		}
		usleep(10000);
	}
	dpdk_peer_print_log(p);
	ck_abort_msg("testpmd did not start within 120 s; see %s", p->log);
}

void dpdk_peer_stop(struct dpdk_peer *p)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
			p->pid = 0;
			break;
		}
		usleep(10000);
	}
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
	close(p->stdin_fd);
	if (!p->client)
		unlink(p->sock); /* testpmd's own socket */
}
