/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * examples/net-tap.c: the seed's machine, a virtio-net-pci NIC on a tap,
 * modern interface only:
 *
 *   qemu ... -netdev tap,id=n0,ifname=IFNAME \
 *            -device virtio-net-pci,netdev=n0,id=net0,mac=52:54:00:12:34:56,disable-legacy=on
 *
 *   net-tap KERNEL [INITRD [CMDLINE [IFNAME]]]
 *
 * IFNAME defaults to "kvtap0". Creating the tap needs CAP_NET_ADMIN; it
 * is the only step that does: the VM's own threads then run with no
 * capability (VM_CONFIG_F_DROP_CAPS). Prints the tap's name once the VM
 * runs, the guest's console on stdout; returns like boot-linux.
 */
#include <stdio.h>

#include <kvm-virtio.h>

int main(int argc, char **argv)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_status st = VM_STATUS_INIT;
	struct vm_error *err = NULL;
	const char *ifname = argc > 4 ? argv[4] : "kvtap0";
	struct vm *vm = NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: net-tap KERNEL [INITRD [CMDLINE [IFNAME]]]\n");
		return 2;
	}
	cfg.kernel = argv[1];
	cfg.initrd = argc > 2 && argv[2][0] ? argv[2] : NULL;
	cfg.cmdline = argc > 3 ? argv[3] : "console=ttyS0 panic=-1";
	cfg.console_fd = 1;
	cfg.flags = VM_CONFIG_F_DROP_CAPS;
	if (vm_create(&cfg, &vm, &err) < 0 ||
	    vm_add_netdev(vm, "tap", "n0", (const struct vm_prop[]){
				  { "ifname", ifname }, { NULL, NULL } },
			  &err) < 0 ||
	    vm_add_device(vm, "virtio-net-pci", (const struct vm_prop[]){
				  { "netdev", "n0" }, { "id", "net0" },
				  { "mac", "52:54:00:12:34:56" },
				  { "disable-legacy", "on" }, { NULL, NULL } },
			  &err) < 0 ||
	    vm_start(vm, &err) < 0) {
		fprintf(stderr, "net-tap: %s\n", vm_error_message(err));
		vm_error_free(err);
		vm_destroy(vm);
		return 1;
	}
	fprintf(stderr, "net-tap: running, virtio-net-pci net0 on tap %s\n",
		ifname);
	vm_wait(vm, &st, -1);
	vm_destroy(vm);
	if (st.reason == VM_EXIT_DEBUG)
		return st.code;
	return st.reason == VM_EXIT_POWEROFF ? 0 : 1;
}
