/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/first-exit/ours.c: the library's entry in the first-exit benchmark.
 *
 *   ours [-v] [-t] [-i] [GUEST_ELF]
 *
 * Boots GUEST_ELF (default: $BENCH_GUEST, else exit-guest in this
 * program's directory) with the public API only -- vm_create, vm_start, vm_wait,
 * vm_destroy -- on one vCPU and the smallest RAM the library accepts, and
 * the machine the guest needs: VM_CONFIG_F_NO_IRQCHIP, since it takes no
 * interrupts (the floor has no irqchip either); -i keeps the default
 * in-kernel irqchip (the "ours-irq" row of run.sh), and
 * checks that the guest's first act, writing 0x2a to the debug-exit port,
 * came back as VM_EXIT_DEBUG.  Prints nothing unless -v or an error;
 * exit status 0 on success, 1 otherwise.  -t prints on stderr how long
 * each call took (CLOCK_MONOTONIC), to see where the time goes.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kvm-virtio.h>

#define EXIT_VALUE 0x2a

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	struct vm_status st = VM_STATUS_INIT;
	struct vm_config cfg = VM_CONFIG_INIT;
	struct vm_error *err = NULL;
	const char *guest = getenv("BENCH_GUEST");
	struct vm *vm = NULL;
	char path[PATH_MAX];
	int i, rc, verbose = 0, timing = 0, no_irqchip = 1;
	long long t[5];

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else if (!strcmp(argv[i], "-t"))
			timing = 1;
		else if (!strcmp(argv[i], "-i"))
			no_irqchip = 0;
		else
			guest = argv[i];
	}
	if (!guest) {
		/* exit-guest beside /proc/self/exe */
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 16);
		char *slash;

		if (n <= 0)
			n = 0;
		path[n] = '\0';
		slash = strrchr(path, '/');
		strcpy(slash ? slash + 1 : path, "exit-guest");
		guest = path;
	}

	cfg.vcpus = 1;
	cfg.mem_mib = 2;
	if (no_irqchip)
		cfg.flags |= VM_CONFIG_F_NO_IRQCHIP;
	cfg.kernel = guest;
	t[0] = now_us();
	rc = vm_create(&cfg, &vm, &err);
	t[1] = now_us();
	if (rc == 0)
		rc = vm_start(vm, &err);
	t[2] = now_us();
	if (rc < 0) {
		fprintf(stderr, "ours: %s\n", vm_error_message(err));
		vm_error_free(err);
		vm_destroy(vm);
		return 1;
	}
	rc = vm_wait(vm, &st, 10000);
	t[3] = now_us();
	vm_destroy(vm);
	t[4] = now_us();
	if (timing)
		fprintf(stderr, "ours: vm_create %lld us, vm_start %lld us, "
			"vm_wait %lld us, vm_destroy %lld us\n", t[1] - t[0],
			t[2] - t[1], t[3] - t[2], t[4] - t[3]);
	if (rc < 0 || st.reason != VM_EXIT_DEBUG || st.code != EXIT_VALUE) {
		fprintf(stderr, "ours: vm_wait %d, exit reason %d code 0x%x "
			"(want %d code 0x%x)\n", rc, st.reason, st.code,
			VM_EXIT_DEBUG, EXIT_VALUE);
		return 1;
	}
	if (verbose)
		printf("ours: VM_EXIT_DEBUG code 0x%x on vCPU %u\n", st.code,
		       st.vcpu);
	return 0;
}
