/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * examples/vhost-user.c: the seed's vhost-user machine through the API,
 * the packet path in another process (e.g. DPDK's testpmd):
 *
 *   qemu ... -chardev socket,id=char1,path=SOCKET[,server] \
 *            -netdev type=vhost-user,id=mynet3,chardev=char1,vhostforce,queues=N \
 *            -device virtio-net-pci,netdev=mynet3,id=net1,mac=00:00:00:00:00:03,disable-legacy=on
 *
 *   vhost-user [-server] [-queues N] [-initrd FILE] [-cmdline TEXT] KERNEL SOCKET
 *
 * Without -server the VM connects to the backend's SOCKET (QEMU's default
 * role; the backend listens); with -server it listens there and vm_start()
 * waits for the backend to connect. queues=N (default 2, as the seed)
 * needs a backend with N queue pairs (the MQ protocol feature); the device
 * offers N pairs with mq=on when N > 1 (the seed's device line has no
 * mq=on: a guest then uses one). The VM's guest RAM is a shared memory
 * file, which the library hands to the backend. Needs no privilege but
 * /dev/kvm. The guest's console is on stdout; returns like boot-linux
 * (a debug-exit code is the status).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kvm-virtio.h>

static int usage(void)
{
	fprintf(stderr, "usage: vhost-user [-server] [-queues N] [-initrd FILE] "
			"[-cmdline TEXT] KERNEL SOCKET\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_status st = VM_STATUS_INIT;
	struct vm_error *err = NULL;
	const char *queues = "2", *sock;
	struct vm *vm = NULL;
	int server = 0, i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-server"))
			server = 1;
		else if (!strcmp(argv[i], "-queues") && i + 1 < argc)
			queues = argv[++i];
		else if (!strcmp(argv[i], "-initrd") && i + 1 < argc)
			cfg.initrd = argv[++i];
		else if (!strcmp(argv[i], "-cmdline") && i + 1 < argc)
			cfg.cmdline = argv[++i];
		else
			return usage();
	}
	if (argc - i != 2)
		return usage();
	cfg.kernel = argv[i];
	sock = argv[i + 1];
	if (!cfg.cmdline)
		cfg.cmdline = "console=ttyS0 panic=-1";
	cfg.console_fd = 1;
	if (vm_create(&cfg, &vm, &err) < 0 ||
	    vm_add_chardev(vm, "socket", "char1", (const struct vm_prop[]){
				   { "path", sock },
				   { "server", server ? "on" : "off" },
				   { NULL, NULL } }, &err) < 0 ||
	    vm_add_netdev(vm, "vhost-user", "mynet3", (const struct vm_prop[]){
				  { "chardev", "char1" }, { "vhostforce", NULL },
				  { "queues", queues }, { NULL, NULL } },
			  &err) < 0 ||
	    vm_add_device(vm, "virtio-net-pci", (const struct vm_prop[]){
				  { "netdev", "mynet3" }, { "id", "net1" },
				  { "mac", "00:00:00:00:00:03" },
				  { "disable-legacy", "on" },
				  { "mq", strtoul(queues, NULL, 10) > 1 ? "on"
									: "off" },
				  { "queues", queues }, { NULL, NULL } },
			  &err) < 0 ||
	    vm_start(vm, &err) < 0) {
		fprintf(stderr, "vhost-user: %s\n", vm_error_message(err));
		vm_error_free(err);
		vm_destroy(vm);
		return 1;
	}
	fprintf(stderr, "vhost-user: running, virtio-net-pci net1 on vhost-user "
			"mynet3 (%s, %s queue pairs)\n", sock, queues);
	vm_wait(vm, &st, -1);
	vm_destroy(vm);
	if (st.reason == VM_EXIT_DEBUG)
		return st.code;
	return st.reason == VM_EXIT_POWEROFF ? 0 : 1;
}
