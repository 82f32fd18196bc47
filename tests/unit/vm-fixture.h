/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/vm-fixture.h: give a struct vm the machine that vm_start()
 * would create (machine_new(): guest RAM, PIO/MMIO maps, PCI bus 0, no KVM),
 * so device realize can run through vm_realize_objects() in unit tests.
 * vm_destroy() unrealizes the objects and frees the machine as usual.
 */
#ifndef TESTS_UNIT_VM_FIXTURE_H
#define TESTS_UNIT_VM_FIXTURE_H

#include <check.h>

#include "vm.h"

/* RAM from a file in @mem_path (NULL: a memfd) with GMEM_F_* @mem_flags. */
static inline struct machine *test_vm_add_machine_ram(struct vm *vm,
						      uint64_t mem_bytes,
						      const char *mem_path,
						      unsigned mem_flags)
{
	struct machine_config mc = {
		.vcpus = 1,
		.mem_bytes = mem_bytes,
		.mem_path = mem_path,
		.mem_flags = mem_flags,
		.kernel = "/nonexistent",
		.console_fd = -1,
		.console_in_fd = -1,
		.log = &vm->log,
	};
	struct machine *m = NULL;

	ck_assert_int_eq(machine_new(&m, &mc, NULL), 0);
	vm->machine = m;
	return m;
}

static inline struct machine *test_vm_add_machine(struct vm *vm,
						  uint64_t mem_bytes)
{
	return test_vm_add_machine_ram(vm, mem_bytes, NULL, 0);
}

#endif
