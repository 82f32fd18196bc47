/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/first-exit/floor.c: the floor of the first-exit benchmark.
 *
 * The least a KVM program can do to run a guest until its first exit:
 * open /dev/kvm, create a VM with one 2 MiB memory slot and one vCPU, put
 * two real-mode instructions at guest address 0 ("mov al, 0x2a; out 0x501,
 * al" -- the library's debug-exit port, see lib/arch/x86/pc-ports.h), run
 * the vCPU once and check that it stopped with KVM_EXIT_IO on that port.
 *
 * No library, no threads, no page tables, no CPUID: whatever the library
 * does on top of this is its overhead.  Prints nothing unless -v is given;
 * exit status 0 when the guest's write was seen, 1 otherwise.
 *
 * "floor -n" returns at once: the cost of starting this static program
 * alone, which run.sh shows as the "exec" row.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_MEM (2u << 20)
#define DEBUG_EXIT_PORT 0x501
#define EXIT_VALUE 0x2a

/* mov al, 0x2a; mov dx, 0x501; out dx, al; hlt */
static const uint8_t guest_code[] = {
	0xb0, EXIT_VALUE,                      /* mov al, 0x2a */
	0xba, DEBUG_EXIT_PORT & 0xff, DEBUG_EXIT_PORT >> 8, /* mov dx, 0x501 */
	0xee,                                  /* out dx, al */
	0xf4,                                  /* hlt */
};

static int fail(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vmfd, vcpu, verbose = argc > 1 && !strcmp(argv[1], "-v");
	long run_size;
	uint8_t *mem;

	if (argc > 1 && !strcmp(argv[1], "-n"))
		return 0;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	vmfd = ioctl(kvm, KVM_CREATE_VM, 0UL);
	if (vmfd < 0)
		return fail("KVM_CREATE_VM");

	mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap guest memory");
	memcpy(mem, guest_code, sizeof(guest_code));
	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = GUEST_MEM;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vmfd, KVM_CREATE_VCPU, 0UL);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0UL);
	if (run_size < (long)sizeof(*run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");

	/* Real mode, CS:IP = 0000:0000. */
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");

	if (ioctl(vcpu, KVM_RUN, 0UL) < 0)
		return fail("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_IO ||
	    run->io.direction != KVM_EXIT_IO_OUT ||
	    run->io.port != DEBUG_EXIT_PORT || run->io.size != 1 ||
	    *((uint8_t *)run + run->io.data_offset) != EXIT_VALUE) {
		fprintf(stderr, "floor: unexpected exit %u (port 0x%x)\n",
			run->exit_reason, run->exit_reason == KVM_EXIT_IO ?
			run->io.port : 0);
		return 1;
	}
	if (verbose)
		printf("floor: KVM_EXIT_IO out 0x%x value 0x%x\n",
		       run->io.port, EXIT_VALUE);
	return 0;
}
