/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/churn/churn.c: VMs per second, a VM per request.
 *
 *   churn PEER N [GUEST_ELF]
 *
 * Runs N iterations of create -> start -> wait for the guest's exit ->
 * destroy, and prints "<vms_per_s> <total_ns>" on stdout. The time runs
 * from before the first iteration to after every resource is back (ours:
 * vm_release_wait(); the floor releases synchronously), so work the
 * library defers is counted. run.sh pins the process to one CPU.
 *
 * PEER:
 *   floor      bare KVM, what bench/first-exit/floor does, N times: open
 *              /dev/kvm, KVM_CREATE_VM, a 2 MiB anonymous slot, one vCPU in
 *              real mode running "mov al,0x2a; out 0x501,al", one KVM_RUN,
 *              check the exit, unmap and close everything
 *   floor-irq  the same plus KVM_CREATE_IRQCHIP and 64 MiB of memfd RAM
 *              (what any VM with interrupts costs KVM itself; informational)
 *   floor-lm   the floor with its vCPU started the way ours starts the exit
 *              guest: 64-bit long mode at 1 MiB (identity page tables, one
 *              2 MiB page), the host's supported CPUID (KVM takes EFER.LME
 *              only with LM in it), the exit guest's 64-bit code
 *              (informational: what the guest's CPU mode costs KVM)
 *   ours       public API: 1 vCPU, 2 MiB, VM_CONFIG_F_NO_IRQCHIP (the
 *              floor's machine), GUEST_ELF = bench/first-exit/exit-guest
 *   ours-irq   the same with the default irqchip (informational)
 *   ours-net   1 vCPU, 64 MiB, netdev "null" + virtio-net-pci (irqchip):
 *              the realistic sandbox shape
 * Exit status 0, or 1 when an iteration failed (message on stderr).
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <kvm-virtio.h>

#define DEBUG_EXIT_PORT 0x501
#define EXIT_VALUE 0x2a

static const uint8_t guest_code[] = {
	0xb0, EXIT_VALUE,                                   /* mov al, 0x2a */
	0xba, DEBUG_EXIT_PORT & 0xff, DEBUG_EXIT_PORT >> 8, /* mov dx, 0x501 */
	0xee,                                               /* out dx, al */
	0xf4,                                               /* hlt */
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int fail(const char *what)
{
	perror(what);
	return -1;
}

/* The exit guest's code as bench/first-exit/exit-guest has it (64-bit:
 * mov al,0x2a; mov dx,0x501; out dx,al; hlt; jmp .), for floor-lm. */
static const uint8_t guest_code_lm[] = {
	0xb0, EXIT_VALUE, 0x66, 0xba, DEBUG_EXIT_PORT & 0xff,
	DEBUG_EXIT_PORT >> 8, 0xee, 0xf4, 0xeb, 0xfd,
};
#define LM_ENTRY 0x100000u

/* KVM_GET_SUPPORTED_CPUID, once per process (as the library does). */
static struct kvm_cpuid2 *supported_cpuid(int kvm)
{
	static struct kvm_cpuid2 *c;

	if (!c) {
		c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = 256;
		if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) < 0) {
			free(c);
			c = NULL;
		}
	}
	return c;
}

/* floor-lm: the vCPU starts in 64-bit long mode at LM_ENTRY, as ours
 * starts the exit guest: identity page tables (one 2 MiB page) at 0x1000,
 * flat segments, the host's supported CPUID (KVM wants LM in it before it
 * takes EFER.LME). */
static int floor_lm_setup(int kvm, int vcpu, uint8_t *mem,
			  struct kvm_sregs *sregs)
{
	uint64_t *pml4 = (uint64_t *)(void *)(mem + 0x1000);
	uint64_t *pdpt = (uint64_t *)(void *)(mem + 0x2000);
	uint64_t *pd = (uint64_t *)(void *)(mem + 0x3000);
	struct kvm_segment seg = { .base = 0, .limit = 0xffffffff,
				   .selector = 0x10, .type = 0xb, .present = 1,
				   .s = 1, .l = 1, .g = 1 };
	struct kvm_cpuid2 *c = supported_cpuid(kvm);

	if (!c || ioctl(vcpu, KVM_SET_CPUID2, c) < 0)
		return fail("KVM_SET_CPUID2");
	pml4[0] = 0x2000 | 3;
	pdpt[0] = 0x3000 | 3;
	pd[0] = 0x0 | 0x83; /* 2 MiB page, RW, present */
	memcpy(mem + LM_ENTRY, guest_code_lm, sizeof(guest_code_lm));
	sregs->cs = seg;
	seg.selector = 0x18;
	seg.type = 0x3;
	seg.l = 0;
	seg.db = 1;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = seg;
	sregs->cr0 = 0x80000033; /* PG NE ET MP PE */
	sregs->cr3 = 0x1000;
	sregs->cr4 = 0x620;      /* PAE OSFXSR OSXMMEXCPT */
	sregs->efer = 0x500;     /* LME LMA */
	return 0;
}

static int floor_once(int irqchip, int lm)
{
	size_t mem_size = irqchip ? 64u << 20 : 2u << 20;
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	struct kvm_run *run;
	int kvm, vmfd, vcpu, memfd = -1, ok;
	unsigned reason;
	long run_size;
	uint8_t *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	vmfd = ioctl(kvm, KVM_CREATE_VM, 0UL);
	if (vmfd < 0)
		return fail("KVM_CREATE_VM");
	if (irqchip) {
		memfd = memfd_create("floor", MFD_CLOEXEC);
		if (memfd < 0 || ftruncate(memfd, (off_t)mem_size) < 0)
			return fail("memfd");
		mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   memfd, 0);
	} else {
		mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	}
	if (mem == MAP_FAILED)
		return fail("mmap guest memory");
	memcpy(mem, guest_code, sizeof(guest_code));
	region.memory_size = mem_size;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");
	if (irqchip && ioctl(vmfd, KVM_CREATE_IRQCHIP, 0UL) < 0)
		return fail("KVM_CREATE_IRQCHIP");
	vcpu = ioctl(vmfd, KVM_CREATE_VCPU, 0UL);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0UL);
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (lm && floor_lm_setup(kvm, vcpu, mem, &sregs) < 0)
		return -1;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	regs.rflags = 2;
	regs.rip = lm ? LM_ENTRY : 0;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");
	if (ioctl(vcpu, KVM_RUN, 0UL) < 0)
		return fail("KVM_RUN");
	reason = run->exit_reason;
	ok = reason == KVM_EXIT_IO && run->io.port == DEBUG_EXIT_PORT;
	munmap(run, (size_t)run_size);
	close(vcpu);
	close(vmfd);
	munmap(mem, mem_size);
	if (memfd >= 0)
		close(memfd);
	close(kvm);
	if (!ok) {
		fprintf(stderr, "churn: floor: unexpected exit %u\n", reason);
		return -1;
	}
	return 0;
}

static int ours_once(const char *guest, int irqchip, int net)
{
	struct vm_status st = VM_STATUS_INIT;
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	struct vm *vm = NULL;
	int rc;

	cfg.vcpus = 1;
	cfg.mem_mib = net ? 64 : 2;
	cfg.kernel = guest;
	if (!irqchip && !net)
		cfg.flags |= VM_CONFIG_F_NO_IRQCHIP;
	rc = vm_create(&cfg, &vm, &err);
	if (rc == 0 && net)
		rc = vm_add_netdev(vm, "null", "n0", NULL, &err);
	if (rc == 0 && net)
		rc = vm_add_device(vm, "virtio-net-pci", (const struct vm_prop[]){
					   { "netdev", "n0" }, { "id", "net0" },
					   { NULL, NULL } }, &err);
	if (rc == 0)
		rc = vm_start(vm, &err);
	if (rc == 0)
		rc = vm_wait(vm, &st, 10000);
	if (rc == 0 && (st.reason != VM_EXIT_DEBUG || st.code != EXIT_VALUE)) {
		fprintf(stderr, "churn: exit reason %d code 0x%x\n", st.reason,
			st.code);
		rc = -1;
	} else if (rc < 0) {
		fprintf(stderr, "churn: %s\n",
			err ? vm_error_message(err) : "vm_wait failed");
	}
	vm_error_free(err);
	vm_destroy(vm);
	return rc;
}

int main(int argc, char **argv)
{
	const char *peer, *guest = argc > 3 ? argv[3] : "exit-guest";
	long n, i;
	long long t0, t;
	int rc = 0;

	if (argc < 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: churn floor|floor-irq|floor-lm|ours|ours-irq|ours-net N [GUEST_ELF]\n");
		return 2;
	}
	peer = argv[1];
	t0 = now_ns();
	for (i = 0; i < n && rc == 0; i++) {
		if (!strcmp(peer, "floor"))
			rc = floor_once(0, 0);
		else if (!strcmp(peer, "floor-irq"))
			rc = floor_once(1, 0);
		else if (!strcmp(peer, "floor-lm"))
			rc = floor_once(0, 1);
		else if (!strcmp(peer, "ours"))
			rc = ours_once(guest, 0, 0);
		else if (!strcmp(peer, "ours-irq"))
			rc = ours_once(guest, 1, 0);
		else if (!strcmp(peer, "ours-net"))
			rc = ours_once(guest, 1, 1);
		else {
			fprintf(stderr, "churn: unknown peer '%s'\n", peer);
			return 2;
		}
	}
	if (vm_release_wait(60000) < 0) {
		fprintf(stderr, "churn: releases still running after 60 s\n");
		rc = -1;
	}
	t = now_ns() - t0;
	if (rc < 0)
		return 1;
	printf("%.1f %lld\n", (double)n * 1e9 / (double)t, t);
	return 0;
}
