/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * examples/embed.c: the smallest host program. Built against the
 * installed library with `cc embed.c $(pkg-config --cflags --libs
 * libkvm-virtio)`: it describes the seed's QEMU command line through the
 * API and prints the objects. It needs no KVM: it never starts the VM.
 */
#include <stdio.h>

#include <kvm-virtio.h>

static int show(void *opaque, struct vm_obj *o)
{
	(void)opaque;
	printf("%s %s type=%s\n",
	       vm_obj_kind(o) == VM_OBJ_NETDEV ? "netdev" : "device",
	       vm_obj_id(o), vm_obj_type(o));
	return 0;
}

int main(void)
{
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct vm *vm;

	if (vm_create(&cfg, &vm, &err) < 0 ||
	    vm_add_netdev(vm, "vhost-user", "mynet3",
			  (const struct vm_prop[]){ { "chardev", "/tmp/vhostsock0" },
						    { "vhostforce", NULL },
						    { "queues", "4" },
						    { NULL, NULL } },
			  &err) < 0 ||
	    vm_add_device(vm, "virtio-net-pci",
			  (const struct vm_prop[]){ { "netdev", "mynet3" },
						    { "id", "net1" },
						    { "mac", "00:00:00:00:00:03" },
						    { "disable-legacy", "on" },
						    { NULL, NULL } },
			  &err) < 0) {
		fprintf(stderr, "embed: %s\n", vm_error_message(err));
		vm_error_free(err);
		return 1;
	}
	printf("libkvm-virtio %s\n", vm_version_string());
	vm_foreach_obj(vm, show, NULL);
	vm_destroy(vm);
	return 0;
}
