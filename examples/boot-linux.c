/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * examples/boot-linux.c: the smallest program that boots a kernel with a
 * console.
 *
 *   boot-linux KERNEL [INITRD [CMDLINE]]
 *
 * One vCPU, 256 MiB, the guest's COM1 on stdout. CMDLINE defaults to
 * "console=ttyS0 panic=-1". Returns 0 when the guest powers off, the
 * code a test guest wrote to the debug-exit port, else 1.
 */
#include <stdio.h>

#include <kvm-virtio.h>

int main(int argc, char **argv)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_status st = VM_STATUS_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: boot-linux KERNEL [INITRD [CMDLINE]]\n");
		return 2;
	}
	cfg.kernel = argv[1];
	cfg.initrd = argc > 2 ? argv[2] : NULL;
	cfg.cmdline = argc > 3 ? argv[3] : "console=ttyS0 panic=-1";
	cfg.console_fd = 1;
	if (vm_create(&cfg, &vm, &err) < 0 || vm_start(vm, &err) < 0) {
		fprintf(stderr, "boot-linux: %s\n", vm_error_message(err));
		vm_error_free(err);
		vm_destroy(vm);
		return 1;
	}
	vm_wait(vm, &st, -1);
	vm_destroy(vm);
	if (st.reason == VM_EXIT_DEBUG)
		return st.code;
	return st.reason == VM_EXIT_POWEROFF ? 0 : 1;
}
