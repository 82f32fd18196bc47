/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * examples/net-passt.c: a guest on the network with no privileges at all:
 * no tap, no CAP_NET_ADMIN. The NIC's backend is a "stream" netdev that
 * speaks QEMU's -netdev stream framing to passt (Debian's "passt"
 * package), which gives the guest an address by DHCP and carries its
 * TCP/UDP/ICMP through ordinary sockets of the host.
 *
 *   net-passt -kernel FILE [-initrd FILE] [-append CMDLINE] [-m MIB]
 *             (-socket PATH | -spawn [-passt PROGRAM]) [-timeout SEC]
 *
 * Both ways of meeting passt:
 *   -socket PATH  passt already runs (e.g. `passt -s /tmp/p.sock`); the
 *                 library connects to its UNIX socket (addr.type=unix).
 *                 The library never starts passt by itself.
 *   -spawn        this program starts passt (PROGRAM, default "passt")
 *                 with `-f -q -1 --fd N` on one end of a socketpair and
 *                 gives the other end to the netdev (fd=); passt quits
 *                 when the VM is gone.
 * The guest's console goes to stdout; on stderr, passt's pid when spawned
 * and how it ended. Exit status: 0 when the guest powered off, the value
 * a test guest wrote to the debug-exit port, 1 otherwise, 2 for usage
 * errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kvm-virtio.h>

static int usage(void)
{
	fprintf(stderr,
		"usage: net-passt -kernel FILE [-initrd FILE] [-append CMDLINE] [-m MIB]\n"
		"                 (-socket PATH | -spawn [-passt PROGRAM]) [-timeout SEC]\n");
	return 2;
}

/* Start @prog on one end of a socketpair; the other end is returned. */
static int spawn_passt(const char *prog, pid_t *pid)
{
	int sp[2];
	char fd[16];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	*pid = fork();
	if (*pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return -errno;
	}
	if (*pid == 0) {
		fcntl(sp[1], F_SETFD, 0); /* passt inherits this one */
		snprintf(fd, sizeof(fd), "%d", sp[1]);
		execlp(prog, prog, "-f", "-q", "-1", "--fd", fd, (char *)NULL);
		fprintf(stderr, "net-passt: %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	close(sp[1]);
	fprintf(stderr, "net-passt: started %s (pid %d) on fd %d\n", prog,
		(int)*pid, sp[0]);
	return sp[0];
}

int main(int argc, char **argv)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_status st = VM_STATUS_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;
	const char *sock = NULL, *prog = "passt";
	char fdbuf[16];
	int spawn = 0, timeout_ms = -1, fd = -1, rc;
	pid_t pid = -1;

	cfg.cmdline = "console=ttyS0 quiet";
	cfg.console_fd = STDOUT_FILENO;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-spawn")) {
			spawn = 1;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (!strcmp(a, "-kernel"))
			cfg.kernel = v;
		else if (!strcmp(a, "-initrd"))
			cfg.initrd = v;
		else if (!strcmp(a, "-append"))
			cfg.cmdline = v;
		else if (!strcmp(a, "-m"))
			cfg.mem_mib = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(a, "-socket"))
			sock = v;
		else if (!strcmp(a, "-passt"))
			prog = v;
		else if (!strcmp(a, "-timeout"))
			timeout_ms = (int)strtol(v, NULL, 0) * 1000;
		else
			return usage();
	}
	if (!cfg.kernel || !!sock == spawn)
		return usage();
	if (spawn) {
		fd = spawn_passt(prog, &pid);
		if (fd < 0) {
			fprintf(stderr, "net-passt: starting %s: %s\n", prog,
				strerror(-fd));
			return 1;
		}
		snprintf(fdbuf, sizeof(fdbuf), "%d", fd);
	}
	rc = vm_create(&cfg, &vm, &err);
	if (rc == 0)
		rc = spawn ? vm_add_netdev(vm, "stream", "n0",
					   (const struct vm_prop[]){
						   { "fd", fdbuf }, { NULL, NULL } },
					   &err)
			   : vm_add_netdev(vm, "stream", "n0",
					   (const struct vm_prop[]){
						   { "addr.type", "unix" },
						   { "addr.path", sock },
						   { NULL, NULL } },
					   &err);
	if (rc == 0)
		rc = vm_add_device(vm, "virtio-net-pci",
				   (const struct vm_prop[]){
					   { "netdev", "n0" }, { "id", "net0" },
					   { NULL, NULL } },
				   &err);
	if (rc == 0)
		rc = vm_start(vm, &err);
	if (fd >= 0)
		close(fd); /* the netdev has its own (dup'ed) */
	if (rc == 0) {
		rc = vm_wait(vm, &st, timeout_ms);
		if (rc < 0)
			fprintf(stderr, "net-passt: guest still running after %d s\n",
				timeout_ms / 1000);
	} else {
		fprintf(stderr, "net-passt: %s\n", vm_error_message(err));
	}
	vm_destroy(vm); /* closes the socket: a spawned passt (-1) quits */
	vm_error_free(err);
	vm_release_wait(-1);
	if (pid > 0) {
		int ws = 0;

		/* -1: passt leaves once its socket closed; give it a moment */
		for (int i = 0; i < 50 && waitpid(pid, &ws, WNOHANG) == 0; i++)
			usleep(20000);
		if (waitpid(pid, &ws, WNOHANG) == 0) {
			kill(pid, SIGTERM);
			waitpid(pid, &ws, 0);
			fprintf(stderr, "net-passt: %s (pid %d) stopped\n", prog,
				(int)pid);
		} else {
			fprintf(stderr, "net-passt: %s (pid %d) exited, status %d\n",
				prog, (int)pid,
				WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
		}
	}
	if (rc == 0 && st.reason == VM_EXIT_DEBUG)
		return st.code;
	return rc == 0 && st.reason == VM_EXIT_POWEROFF ? 0 : 1;
}
